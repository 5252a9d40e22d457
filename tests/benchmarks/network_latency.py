"""Network latency: does a run overlap its waits? (issue 16)

Real pages (../shared/corpora/extraction-benchmark) are served from several loopback hosts
(127.0.0.2, 127.0.0.3, ...: all of 127.0.0.0/8 is local), `--pages-per-host` each, each host
with a robots.txt, and one RSS feed (on a host of its own) lists them all. Every response is
delayed by a configurable latency. Each round runs `cfnews run --once --all-topics` as a
subprocess (a fresh process each time) twice, side by side: with no latency and with
`--latency` seconds (the order alternates between rounds). The servers record, per host, the
most simultaneous requests and the gaps between request starts, so politeness is measured
where it matters: at the server.

Printed per round and as medians: wall seconds of each run, their ratio (target <= 1.3 at
0.4 s), per-host peak concurrency against --per_host_concurrency, the smallest gap between
request starts to one host against --min_host_delay, and the articles written.

    python tests/benchmarks/network_latency.py [--rounds 3] [--latency 0.4] [--hosts 12]
        [--pages-per-host 6] [--min-host-delay 0.25] [--per-host-concurrency 2]
        [--repo DIR]   # the cfnews tree to run (default: this one), e.g. an older commit's
"""
from __future__ import annotations

import argparse
import datetime as dt
import email.utils
import glob
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from tests.benchmarks.common import benchmark_pages, median, require_shared  # noqa: E402
from tests.loopback_hosts import LoopbackHost, start_hosts  # noqa: E402


def build_site(pages, hosts: int, per_host: int, latency: float):
    """(page hosts, feed host): pages spread over `hosts` loopback hosts, one feed listing
    them, every response delayed by `latency`."""
    chosen = sorted(pages.items())[:hosts * per_host]
    servers = start_hosts(hosts, latency)
    feed_host = LoopbackHost(f"127.0.0.{2 + hosts}", latency)
    items = []
    for i, (page_id, html) in enumerate(chosen):
        server = servers[i % hosts]
        url = server.add(f"/news/{page_id}.html", html)
        date = email.utils.format_datetime(dt.datetime(2025, 12, 1, 8, i % 60, tzinfo=dt.timezone.utc))
        items.append(f"<item><title>Page {i}</title><link>{url}</link>"
                     f"<guid isPermaLink='false'>{page_id}</guid><pubDate>{date}</pubDate></item>")
    for server in servers + [feed_host]:
        server.add("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    feed_host.add("/feed.xml", "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
                  "<title>bench</title>" + "".join(items) + "</channel></rss>",
                  content_type="application/rss+xml")
    return servers, feed_host, len(chosen)


def run_once(args, latency: float, pages) -> dict:
    servers, feed_host, n_pages = build_site(pages, args.hosts, args.pages_per_host, latency)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            feeds = os.path.join(tmp, "feeds.yaml")
            with open(feeds, "w") as f:
                f.write("version: 1\nfeeds:\n"
                        f"  - {{outlet: bench, url: '{feed_host.url('/feed.xml')}', "
                        "language: en, country: US}\n")
            out = os.path.join(tmp, "out")
            command = [sys.executable, "-m", "cfnews", "run", "--once", "--all-topics",
                       "--feeds", feeds, "--out", out,
                       f"--min_host_delay={args.min_host_delay}",
                       f"--per_host_concurrency={args.per_host_concurrency}",
                       "--allow_hosts", *[s.host_port for s in servers + [feed_host]]]
            start = time.perf_counter()
            done = subprocess.run(command, cwd=args.repo, capture_output=True, text=True,
                                  timeout=900)
            seconds = time.perf_counter() - start
            if done.returncode != 0:
                print(done.stdout[-2000:], done.stderr[-4000:])
                raise SystemExit(f"cfnews exited {done.returncode}")
            articles = _count_rows(os.path.join(out, "articles"))
    finally:
        for server in servers + [feed_host]:
            server.stop()
    gaps = [g for s in servers for g in s.gaps()]
    return dict(seconds=seconds, pages=n_pages, articles=articles,
                peak=max(s.peak for s in servers), min_gap=min(gaps) if gaps else float("nan"),
                requests=sum(len(s.starts) for s in servers))


def _count_rows(folder: str) -> int:
    files = glob.glob(os.path.join(folder, "**", "*.parquet"), recursive=True)
    if not files:
        return 0
    import pyarrow.parquet as pq
    return sum(pq.ParquetFile(f).metadata.num_rows for f in files)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--latency", type=float, default=0.4)
    parser.add_argument("--hosts", type=int, default=12)
    parser.add_argument("--pages-per-host", type=int, default=6)
    parser.add_argument("--min-host-delay", type=float, default=0.25)
    parser.add_argument("--per-host-concurrency", type=int, default=2)
    parser.add_argument("--repo", default=ROOT)
    args = parser.parse_args()
    require_shared()
    pages = benchmark_pages()
    load = os.getloadavg()
    print(f"{args.hosts} hosts x {args.pages_per_host} pages, latency {args.latency} s, "
          f"min_host_delay {args.min_host_delay} s, per_host_concurrency "
          f"{args.per_host_concurrency}, repo {args.repo}; load {load[0]:.2f} on "
          f"{os.cpu_count()} cores")
    rounds = []
    for r in range(args.rounds):
        order = (0.0, args.latency) if r % 2 == 0 else (args.latency, 0.0)
        result = {latency: run_once(args, latency, pages) for latency in order}
        fast, slow = result[0.0], result[args.latency]
        ratio = slow["seconds"] / fast["seconds"]
        rounds.append(dict(fast=fast["seconds"], slow=slow["seconds"], ratio=ratio,
                           peak=max(fast["peak"], slow["peak"]),
                           min_gap=min(fast["min_gap"], slow["min_gap"]),
                           articles=(fast["articles"], slow["articles"])))
        print(f"round {r + 1}: no latency {fast['seconds']:.1f} s, {args.latency} s latency "
              f"{slow['seconds']:.1f} s, ratio {ratio:.2f}; articles {fast['articles']}/"
              f"{slow['articles']} of {fast['pages']}; per-host peak {fast['peak']}/"
              f"{slow['peak']} (limit {args.per_host_concurrency}); min gap between starts "
              f"{fast['min_gap']:.3f}/{slow['min_gap']:.3f} s (min_host_delay "
              f"{args.min_host_delay}); requests {fast['requests']}/{slow['requests']}")
    print(f"\nmedians over {args.rounds} rounds: no latency {median([r['fast'] for r in rounds]):.1f} s, "
          f"{args.latency} s latency {median([r['slow'] for r in rounds]):.1f} s, ratio "
          f"{median([r['ratio'] for r in rounds]):.2f} (target <= 1.3)")
    print(f"per-host peak concurrency, all runs: {max(r['peak'] for r in rounds)} (limit "
          f"{args.per_host_concurrency}); smallest gap between request starts to one host: "
          f"{min(r['min_gap'] for r in rounds):.3f} s (min_host_delay {args.min_host_delay})")


if __name__ == "__main__":
    main()
