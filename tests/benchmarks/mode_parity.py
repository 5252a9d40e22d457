"""One input, every mode: the same feeds (two loopback hosts, 127.0.0.2 and 127.0.0.3) read by
`run --once` (in-process and with multi_processing workers), `run --every` (one cycle), the
bounded graph that polls inside the job (what `demo` and a Dataflow `run --once` run), the
streaming graph (BundleBasedDirectRunner, TestStream ticks) and `backfill` (a manifest of the
pages as fetched). Prints the rows of `articles`, `duplicates` and `rejected` per mode and
every difference against `run --once`, and the summary counts.

    .venv/bin/python -m tests.benchmarks.mode_parity [--modes once,graph,...] [--show]

The input holds: an item listed twice in one feed, a wire copy in another outlet's feed, the
same link in two outlets' feeds, an off-topic page, a 404, a PDF, an item without a date, one
dated 2100, one dated 30 hours ahead, a redirecting link, two links differing only by tracking parameters, an item
without a link. Nothing leaves loopback. Needs ../shared/seeds (the seed texts)."""
from __future__ import annotations

import argparse
import collections
import datetime as dt
import email.utils
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional, Tuple

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT.parent / "shared" / "seeds"

# Written for this harness (ours): a second China–France text for the tracking-parameter pair.
TRADE_TEXT = """French Foreign Minister Jean-Noël Barrot arrived in Beijing on Monday for talks with Chinese Foreign Minister Wang Yi on trade between France and China.
The two ministers discussed French cognac exports, which China's commerce ministry placed under anti-dumping duties last year, and Chinese electric vehicles sold in France.
Barrot told reporters that France wanted fair access to the Chinese market for its farmers and its aircraft makers, and that Paris would defend European trade rules.
Wang said China was ready to import more French agricultural products and hoped France would play a positive role in relations between China and the European Union.
The visit prepares a trip to China by President Emmanuel Macron, who is expected to meet President Xi Jinping in the spring to sign agreements on nuclear energy and aviation.
French companies operating in China, including Airbus and EDF, have asked the French government to press Beijing on licences and on payments delayed for months.
Chinese investors in France, a delegation from Shanghai told the French embassy, are waiting for clear rules on subsidies for battery factories in the north of France."""

WEATHER_TEXT = ("Sunny in Lyon today, with a light breeze from the west and clouds building "
                "over the hills in the evening. ") * 30

T_PUB = "Thu, 04 Dec 2025 08:00:00 +0000"


def html_page(title: str, text: str) -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in text.split("\n") if p.strip())
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head>"
            f"<body><article><h1>{title}</h1>{paragraphs}</article></body></html>")


def item(title: str, link: Optional[str], guid: str, date: Optional[str] = T_PUB) -> str:
    parts = [f"<title>{title}</title>"]
    if link:
        parts.append(f"<link>{link.replace('&', '&amp;')}</link>")
    parts.append(f"<guid isPermaLink='false'>{guid}</guid>")
    if date:
        parts.append(f"<pubDate>{date}</pubDate>")
    return "<item>" + "".join(parts) + "</item>"


def rss(items: List[str]) -> str:
    return ("<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>t</title>"
            + "".join(items) + "</channel></rss>")


def seed_texts(folder: Path = SEEDS) -> Dict[str, str]:
    return {p.name[:3]: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt"))}


def serve_input(alpha, beta, seeds: Dict[str, str]) -> List[dict]:
    """Routes on the two hosts; returns the feeds (feeds.yaml rows)."""
    a = alpha.url
    alpha.add("/news/macron-xi", html_page("Macron and Xi", seeds["002"]))
    alpha.add("/news/weather", html_page("Weather in Lyon", WEATHER_TEXT))
    alpha.add("/news/tomorrow", html_page("Weather tomorrow", WEATHER_TEXT.replace("today", "tomorrow")))
    alpha.add("/news/report.pdf", b"%PDF-1.4 not a page", content_type="application/pdf")
    alpha.add("/news/undated", html_page("Economic cooperation", seeds["000"]))
    alpha.add("/news/future", html_page("Strategic dialogue", seeds["001"]))
    alpha.add("/news/old-address", b"", status=301,
              headers={"Location": a("/news/new-address")})
    alpha.add("/news/new-address", html_page("Tech alliance", seeds["003"]))
    for query in ("?utm_source=rss", "?utm_medium=email&utm_source=x"):  # served as linked
        alpha.add("/news/trade" + query, html_page("Trade talks", TRADE_TEXT))
    beta.add("/wire/macron-xi", html_page("Macron and Xi, wire copy", seeds["004"]))
    alpha.add("/feed.xml", rss([
        item("Macron and Xi", a("/news/macron-xi"), "a-1"),
        item("Macron and Xi", a("/news/macron-xi"), "a-1"),             # listed twice
        item("Weather in Lyon", a("/news/weather"), "a-2"),              # off topic
        item("Gone", a("/news/gone"), "a-3"),                            # 404
        item("Report", a("/news/report.pdf"), "a-4"),                    # not HTML
        item("Economic cooperation", a("/news/undated"), "a-5", date=None),
        item("Strategic dialogue", a("/news/future"), "a-6",
             date="Fri, 01 Jan 2100 00:00:00 GMT"),
        item("Tech alliance", a("/news/old-address"), "a-7"),            # redirects
        item("Trade talks", a("/news/trade?utm_source=rss"), "a-8"),     # tracking parameters
        item("Trade talks", a("/news/trade?utm_medium=email&utm_source=x"), "a-9"),
        item("No link", None, "a-10"),
        # 30 hours ahead: within the records' two days (feeds alone once cut at 26 hours)
        item("Weather tomorrow", a("/news/tomorrow"), "a-11", date=email.utils.format_datetime(
            dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(hours=30))),
    ]), content_type="application/rss+xml")
    beta.add("/feed.xml", rss([
        item("Macron and Xi (wire)", beta.url("/wire/macron-xi"), "b-1"),  # a wire copy
        item("Macron and Xi", a("/news/macron-xi"), "b-2"),                # another's link
    ]), content_type="application/rss+xml")
    return [{"outlet": "alpha", "url": a("/feed.xml")}, {"outlet": "beta", "url": beta.url("/feed.xml")}]


def feeds_yaml(feeds: List[dict], path: Path) -> Path:
    rows = "".join(f"  - {{outlet: {f['outlet']}, url: '{f['url']}', language: en, country: FR}}\n"
                   for f in feeds)
    path.write_text(f"version: 1\nfeeds:\n{rows}", encoding="utf-8")
    return path


def manifest_from_site(feeds_path: Path, allow: List[str], folder: Path) -> Path:
    """A backfill manifest of the feeds' entries as the fetch stage sees them: each entry's
    link, outlet and feed date, and the page's HTML (entries whose page is no HTML page are
    left out: a backfill has no fetch to fail)."""
    from cfnews.pipeline.feeds_file import load_feeds
    from cfnews.schemas import FeedEntry
    from cfnews.transforms.feeds import fetch_feed
    from cfnews.transforms.http import FetchError, HttpConfig, http_get
    config = HttpConfig(allow_hosts=tuple(allow), min_host_delay=0.0, max_retries=0)
    lines = []
    for source in load_feeds(str(feeds_path)):
        for entry in fetch_feed(source, config):
            if not isinstance(entry, FeedEntry):
                continue
            try:
                page = http_get(entry.url, config)
            except FetchError:
                continue
            if "html" not in page.headers.get("content-type", ""):
                continue
            line = {"url": entry.url, "outlet": entry.outlet,
                    "html": page.body.decode("utf-8")}
            if entry.published_at or entry.published_raw:  # the date the feed gave
                line["published"] = (entry.published_raw or entry.published_at.isoformat())
            lines.append(json.dumps(line))
    path = folder / "pages.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# ------------------------------------------------------------------------- the modes

GRAPH = """
import sys
from cfnews.pipeline.feeds_file import load_feeds
from cfnews.pipeline.runner import make_options, run_job
from cfnews.pipeline.summary import write_summary_json
feeds, out, summary, *allow = sys.argv[1:]
all_topics = "--all-topics" in allow or None
allow = [a for a in allow if a != "--all-topics"]
options = make_options([], out=out, allow_hosts=allow, min_host_delay=0.0, all_topics=all_topics)
result = run_job(options, feeds=load_feeds(feeds))
write_summary_json(result, summary, result.exit_status())
import os; os._exit(0)
"""

STREAM = """
import os, sys, time
import apache_beam as beam
from apache_beam.testing.test_stream import TestStream
from apache_beam.transforms.window import TimestampedValue
from cfnews.pipeline.feeds_file import load_feeds
from cfnews.pipeline.graph import build_streaming
from cfnews.pipeline.runner import make_options
feeds, out, summary, *allow = sys.argv[1:]
options = make_options(["--runner=BundleBasedDirectRunner", "--streaming"], out=out,
                       allow_hosts=allow, min_host_delay=0.0)
base = int(time.time()) + int(os.environ.get("PARITY_TICK_OFFSET", "0"))  # a later restart
ticks = (TestStream().advance_watermark_to(base)
         .add_elements([TimestampedValue("tick", base)])
         .advance_watermark_to(base + 600)
         .add_elements([TimestampedValue("tick", base + 600)])
         .advance_watermark_to_infinity())
with beam.Pipeline(options=options) as p:
    build_streaming(p, options, "stream", load_feeds(feeds), ticks=p | ticks)
import os; os._exit(0)
"""

MODES = ("once", "once_mp", "every", "graph", "stream", "backfill")


def run_mode(mode: str, feeds_path: Path, out: Path, allow: List[str], manifest: Optional[Path],
             timeout: float = 600, env: Optional[dict] = None
             ) -> Tuple[subprocess.CompletedProcess, Optional[dict]]:
    summary = out.parent / f"{mode}.summary.json"
    # one --allow-hosts with every host (given twice, the last one wins: argparse)
    flags = ["--allow-hosts", *allow, "--min-host-delay=0", "-q",
                                                      "--summary-json", str(summary)]
    cli = [sys.executable, "-m", "cfnews"]
    if mode == "once":
        cmd = cli + ["run", "--feeds", str(feeds_path), "--out", str(out), "--once"] + flags
    elif mode == "once_mp":
        cmd = cli + ["run", "--feeds", str(feeds_path), "--out", str(out), "--once",
                     "--direct_running_mode=multi_processing", "--direct_num_workers=2"] + flags
    elif mode == "every":
        cmd = cli + ["run", "--feeds", str(feeds_path), "--out", str(out), "--every", "1s",
                     "--max-cycles", "1"] + flags
    elif mode == "graph":
        cmd = [sys.executable, "-c", GRAPH, str(feeds_path), str(out), str(summary), *allow]
    elif mode == "stream":
        cmd = [sys.executable, "-c", STREAM, str(feeds_path), str(out), str(summary), *allow]
    elif mode == "backfill":
        cmd = cli + ["backfill", "--manifest", str(manifest), "--out", str(out)] + flags[-3:]
    else:
        raise ValueError(mode)
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env=dict(os.environ, **(env or {})))
    data = json.loads(summary.read_text()) if summary.exists() else None
    return done, data


# ------------------------------------------------------------------------- the tables

def table(out: Path, dataset: str) -> List[dict]:
    import duckdb
    if not list((out / dataset).glob("**/*.parquet")):
        return []
    rel = duckdb.sql(f"SELECT * FROM read_parquet('{out}/{dataset}/**/*.parquet', "
                     "hive_partitioning=true, union_by_name=true)")
    return [dict(zip(rel.columns, r)) for r in rel.fetchall()]


ARTICLE_KEYS = ("article_id", "cluster_id", "story_id", "canonical_url", "title", "language",
                "relevance", "relevance_terms", "published_at", "published_raw", "date",
                "word_count", "item_id")
DUPLICATE_KEYS = ("article_id", "canonical_id", "cluster_id", "matched_id", "method",
                  "story_id", "canonical_url", "date")
REJECTED_KEYS = ("article_id", "stage", "reason", "http_status", "url", "title", "date",
                 "published_raw")


def _value(row: dict, key: str):
    value = row.get(key)
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, list):
        return tuple(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def fates(out: Path) -> Dict[str, List[tuple]]:
    """dataset -> sorted rows (the compared columns), feed-level rejections included."""
    result = {}
    for dataset, keys in (("articles", ARTICLE_KEYS), ("duplicates", DUPLICATE_KEYS),
                          ("rejected", REJECTED_KEYS)):
        rows = [tuple((k, _value(r, k)) for k in keys) for r in table(out, dataset)]
        result[dataset] = sorted(rows, key=repr)
    return result


def summary_counts(data: Optional[dict]) -> Optional[dict]:
    if data is None:
        return None
    return {"entries": data["entries"], "written": data["written"],
            "rejected_by_reason": data["rejected_by_reason"], "adds_up": data["adds_up"]}


def differences(base: Dict[str, List[tuple]], other: Dict[str, List[tuple]],
                ignore: Tuple[str, ...] = ()) -> List[str]:
    """Rows in one and not the other, by dataset (columns in `ignore` left out)."""
    found = []
    for dataset in ("articles", "duplicates", "rejected"):
        def strip(rows):
            return sorted((tuple(kv for kv in r if kv[0] not in ignore) for r in rows), key=repr)
        a, b = collections.Counter(strip(base[dataset])), collections.Counter(strip(other[dataset]))
        for row, n in sorted((a - b).items(), key=repr):
            found.append(f"{dataset}: only in base{f' (x{n})' if n > 1 else ''}: {dict(row)}")
        for row, n in sorted((b - a).items(), key=repr):
            found.append(f"{dataset}: only here{f' (x{n})' if n > 1 else ''}:    {dict(row)}")
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--show", action="store_true", help="print every mode's rows")
    parser.add_argument("--keep", help="keep the outputs under this folder")
    parser.add_argument("--rerun", action="store_true",
                        help="run each mode a second time on its output: nothing may be added")
    args = parser.parse_args(argv)
    from tests.loopback_hosts import start_hosts
    modes = [m for m in args.modes.split(",") if m]
    alpha, beta = start_hosts(2)
    folder = Path(args.keep or tempfile.mkdtemp(prefix="mode-parity-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        feeds = serve_input(alpha, beta, seed_texts())
        allow = [alpha.host_port, beta.host_port]
        feeds_path = feeds_yaml(feeds, folder / "feeds.yaml")
        manifest = manifest_from_site(feeds_path, allow, folder) if "backfill" in modes else None
        results = {}
        for mode in modes:
            started = time.monotonic()
            done, summary = run_mode(mode, feeds_path, folder / mode, allow, manifest)
            results[mode] = (fates(folder / mode), summary_counts(summary))
            print(f"== {mode}: exit {done.returncode}, {time.monotonic() - started:.0f}s")
            if done.returncode != 0:
                print(done.stdout[-2000:], done.stderr[-4000:])
            print("   summary:", json.dumps(results[mode][1], sort_keys=True))
            if args.rerun:
                # a streaming job started again an hour later (its state starts empty)
                again, summary = run_mode(mode, feeds_path, folder / mode, allow, manifest,
                                          env={"PARITY_TICK_OFFSET": "3600"})
                added = differences(results[mode][0], fates(folder / mode))
                print(f"   rerun: exit {again.returncode}, {len(added)} row(s) changed; summary:",
                      json.dumps(summary_counts(summary), sort_keys=True))
                for line in added[:10]:
                    print("     " + line)
            if args.show:
                for dataset, rows in results[mode][0].items():
                    for row in rows:
                        print(f"   {dataset}: {dict(row)}")
        base = modes[0]
        for mode in modes[1:]:
            diff = differences(results[base][0], results[mode][0])
            print(f"== {mode} vs {base}: {len(diff)} row difference(s)")
            for line in diff:
                print("   " + line)
        return 0
    finally:
        alpha.stop()
        beta.stop()


if __name__ == "__main__":
    sys.exit(main())
