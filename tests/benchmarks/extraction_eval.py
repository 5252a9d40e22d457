"""Extraction quality and cost: titles (exact match) and bodies (token F1) from
`transforms.extract.extract_article`, against trafilatura alone, on the pages of
tests/benchmarks/title_corpus.py.

Each page goes through extract_article as a backfill line with HTML would (no feed title), and,
with --feed-title, once more with the page's og:title/<title> as a feed title (feeds repeat the
page's furniture). Title exact match compares the strings as they are (no-break and ideographic
spaces count). Body token F1: bag of lower-cased word tokens against the gold body.
Cost: seconds per page of extract_article and of trafilatura's bare_extraction alone, timed
side by side page by page, median of --runs runs; the ratio of the two totals.
Targets: title exact match >= 0.90, body F1 >= 0.97, cost ratio <= 1.3.

    python tests/benchmarks/extraction_eval.py [--set shared|public|all] [--split dev|test|all]
        [--runs 3] [--errors]
"""
from __future__ import annotations

import argparse
import collections
import datetime as dt
import os
import re
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from cfnews.schemas import Article, FeedEntry, Page  # noqa: E402
from tests.benchmarks import title_corpus  # noqa: E402
from tests.benchmarks.common import require_shared  # noqa: E402
from cfnews.transforms.extract import _TRAFILATURA_LOCK, extract_article, load_trafilatura  # noqa: E402

_WORD = re.compile(r"\w+", re.UNICODE)


def token_f1(predicted: str, gold: str) -> float:
    p = collections.Counter(t.lower() for t in _WORD.findall(predicted or ""))
    g = collections.Counter(t.lower() for t in _WORD.findall(gold or ""))
    if not p or not g:
        return float(p == g)
    overlap = sum((p & g).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(p.values()), overlap / sum(g.values())
    return 2 * precision * recall / (precision + recall)


def as_page(item, feed_title: str = "") -> Page:
    entry = FeedEntry(outlet="bench", feed_url="", entry_id=item.page_id, url=item.url,
                      article_id=item.page_id, canonical_url=item.url, title=feed_title,
                      discovered_at=dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc))
    return Page(entry=entry, html=item.html, final_url=item.url, http_status=200)


def trafilatura_alone(item):
    with _TRAFILATURA_LOCK:
        return load_trafilatura().bare_extraction(
            item.html, url=item.url, with_metadata=True, include_comments=False,
            include_tables=False)


def page_title_meta(html: str) -> str:
    import lxml.html
    doc = lxml.html.fromstring(html)
    found = doc.xpath('//meta[@property="og:title"]/@content') or \
        [t.text_content() for t in doc.xpath("//title")]
    return found[0].strip() if found else ""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--set", choices=("shared", "public", "all"), default="all")
    parser.add_argument("--split", choices=("dev", "test", "all"), default="all")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--feed-title", action="store_true")
    parser.add_argument("--errors", action="store_true")
    args = parser.parse_args()
    sets = []
    if args.set in ("shared", "all"):
        require_shared()
        sets.append(("shared", list(title_corpus.shared_pages())))
    if args.set in ("public", "all"):
        if title_corpus.public_pages_available():
            sets.append(("public", list(title_corpus.public_pages())))
        else:
            print(f"SKIPPED public set: snapshots absent under {title_corpus.MIRROR}")
    load_trafilatura()
    for name, items in sets:
        items = [i for i in items if args.split in ("all", i.split)]
        modes = [("no feed title", lambda i: "")]
        if args.feed_title:
            modes.append(("feed title = og:title", lambda i: page_title_meta(i.html)))
        for mode, feed_title in modes:
            exact, f1_ours, f1_traf, traf_title, misses = 0, [], [], 0, []
            for item in items:
                result = extract_article(as_page(item, feed_title(item)))
                doc = trafilatura_alone(item)
                title = result.title if isinstance(result, Article) else ""
                exact += title == item.title
                traf_title += ((doc.title or "").strip() if doc else "") == item.title
                if title != item.title:
                    misses.append((item.page_id, item.title, title))
                if item.body is not None:
                    f1_ours.append(token_f1(result.text if isinstance(result, Article) else "",
                                            item.body))
                    f1_traf.append(token_f1(doc.text if doc else "", item.body))
            n = len(items)
            print(f"[{name} / {args.split} / {mode}] pages {n}: title exact {exact / n:.3f} "
                  f"(trafilatura alone {traf_title / n:.3f})", end="")
            if f1_ours:
                print(f"; body token-F1 mean {statistics.mean(f1_ours):.4f} "
                      f"(trafilatura alone {statistics.mean(f1_traf):.4f})", end="")
            print()
            if args.errors:
                for page_id, gold, got in misses:
                    print(f"   {page_id[:24]}\n      gold {gold!r}\n      got  {got!r}")
        ours_runs, traf_runs = [], []
        for _ in range(args.runs):
            ours = traf = 0.0
            for item in items:
                page = as_page(item)
                start = time.perf_counter()
                trafilatura_alone(item)
                middle = time.perf_counter()
                extract_article(page)
                ours += time.perf_counter() - middle
                traf += middle - start
            ours_runs.append(ours / n)
            traf_runs.append(traf / n)
        print(f"[{name} / {args.split}] cost per page: extract_article "
              f"{statistics.median(ours_runs) * 1000:.1f} ms, trafilatura alone "
              f"{statistics.median(traf_runs) * 1000:.1f} ms, ratio "
              f"{statistics.median(o / t for o, t in zip(ours_runs, traf_runs)):.2f} "
              f"(median of {args.runs} runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
