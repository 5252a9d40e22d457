"""Throughput of the whole pipeline vs. the same libraries in a plain loop.

The 181 real pages of ../shared/corpora/extraction-benchmark are served from a loopback
server behind one RSS feed. Each round measures, side by side:
  * loop:      requests.get -> trafilatura.bare_extraction -> detect_language -> spaCy NER,
               models already loaded (the raw library cost);
  * in_memory: the cfnews pipeline (FnApiRunner, one worker), relevance filter off,
               from feed poll to Parquet, start-up included;
  * multi_processing: the same with --direct_running_mode=multi_processing --direct_num_workers=2.
Prints each round and the medians, and the ratios pipeline/loop and in_memory/multi_processing.

    python tests/benchmarks/throughput.py [--rounds 3]
"""
from __future__ import annotations

import argparse
import datetime as dt
import email.utils
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from tests.benchmarks.common import benchmark_pages, median, require_shared  # noqa: E402
from tests.conftest import LocalServer  # noqa: E402


def serve(pages):
    server = LocalServer()
    items = []
    for i, (page_id, html) in enumerate(sorted(pages.items())):
        url = server.add(f"/p/{page_id}.html", html)
        date = email.utils.format_datetime(
            dt.datetime(2025, 12, 1, 8, i % 60, tzinfo=dt.timezone.utc))
        items.append(f"<item><title>Page {i}</title><link>{url}</link>"
                     f"<guid isPermaLink='false'>{page_id}</guid><pubDate>{date}</pubDate></item>")
    feed = ("<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>bench</title>"
            + "".join(items) + "</channel></rss>")
    server.add("/feed.xml", feed, content_type="application/rss+xml")
    return server


def plain_loop(urls):
    import requests
    import trafilatura
    from transforms.entities import extract_entities_batch, load_ner
    from transforms.language import detect_language
    for language in ("en", "fr"):
        load_ner(language)
    session = requests.Session()
    start = time.perf_counter()
    texts = {"en": [], "fr": []}
    n = 0
    for url in urls:
        html = session.get(url, timeout=10).text
        doc = trafilatura.bare_extraction(html, url=url, with_metadata=True,
                                          include_comments=False, include_tables=False)
        if doc is None or not doc.text:
            continue
        lang = detect_language(doc.text, doc.title or "").code
        n += 1
        if lang in texts:
            texts[lang].append(doc.text)
    for lang, batch in texts.items():
        if batch:
            extract_entities_batch(load_ner(lang), batch)
    return n, time.perf_counter() - start


def pipeline_run(feed_url, extra_args, allow):
    from pipeline.runner import make_options, run_job
    from schemas import FeedSource
    with tempfile.TemporaryDirectory() as out:
        options = make_options(["--runner=FnApiRunner", *extra_args], out=out, all_topics=True,
                               reprocess=True, allow_hosts=[allow], min_host_delay=0.0)
        start = time.perf_counter()
        summary = run_job(options, feeds=[FeedSource(outlet="bench", url=feed_url,
                                                     language="en", country="US")])
        elapsed = time.perf_counter() - start
    assert summary.adds_up, summary.render()
    return summary, elapsed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    require_shared()
    pages = benchmark_pages()
    server = serve(pages)
    urls = [server.url(f"/p/{k}.html") for k in sorted(pages)]
    feed_url = server.url("/feed.xml")
    results = {"loop": [], "in_memory": [], "multi_processing": []}
    print(f"{len(pages)} pages; rounds: {args.rounds}")
    try:
        for r in range(args.rounds):
            n, t = plain_loop(urls)
            results["loop"].append(len(urls) / t)
            s, t_mem = pipeline_run(feed_url, [], server.host_port)
            results["in_memory"].append(len(urls) / t_mem)
            _, t_mp = pipeline_run(feed_url, ["--direct_running_mode=multi_processing",
                                              "--direct_num_workers=2"], server.host_port)
            results["multi_processing"].append(len(urls) / t_mp)
            print(f"round {r + 1}: loop {len(urls) / t:.2f} pages/s ({n} extracted) | "
                  f"in_memory {len(urls) / t_mem:.2f} pages/s ({s.written.get('articles', 0)} articles, "
                  f"{s.written.get('duplicates', 0)} duplicates, {s.entry_rejected} rejected) | "
                  f"multi_processing x2 {len(urls) / t_mp:.2f} pages/s", flush=True)
    finally:
        server.stop()
    m = {k: median(v) for k, v in results.items()}
    print("medians (pages/s): " + ", ".join(f"{k} {v:.2f}" for k, v in m.items()))
    print(f"pipeline in_memory cost / plain loop cost: {m['loop'] / m['in_memory']:.2f}x (target <= 1.3)")
    print(f"multi_processing x2 speed-up over in_memory: {m['multi_processing'] / m['in_memory']:.2f}x (target >= 1.5)")


if __name__ == "__main__":
    main()
