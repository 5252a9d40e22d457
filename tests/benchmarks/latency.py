"""Latency of the local continuous mode: written_at - discovered_at per article.

A loopback feed server adds entries over time (real article text from the seeds and the
extraction benchmark's gold bodies); `cfnews run --every` logic runs N cycles; the figures
are p50/p95 over every article written, against the target cycle time + 30 s.

    python tests/benchmarks/latency.py [--cycles 6] [--every 20]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from tests.benchmarks.common import gold_bodies, require_shared  # noqa: E402
from tests.conftest import LocalServer  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cycles", type=int, default=6)
    parser.add_argument("--every", type=float, default=20.0)
    parser.add_argument("--per-cycle", type=int, default=8, help="new entries per cycle period")
    args = parser.parse_args()
    require_shared()
    from pipeline.continuous import ContinuousIngest, Schedule
    from pipeline.runner import make_options
    from schemas import FeedSource

    bodies = [b for b in gold_bodies().values() if len(b) > 800]
    server = LocalServer()
    published = []
    appeared = {}
    lock = threading.Lock()

    def publish(n):
        paragraphs = "".join(f"<p>{p}</p>" for p in bodies[n % len(bodies)].split("\n") if p.strip())
        server.add(f"/a/{n}", f"<html><body><article><h1>Story {n}</h1>{paragraphs}</article></body></html>")
        with lock:
            published.append(n)
            appeared[n] = time.time()

    def feed(handler):
        with lock:
            numbers = published[-50:]
        items = "".join(f"<item><title>Story {n}</title><link>{server.url(f'/a/{n}')}</link>"
                        f"<guid isPermaLink='false'>s{n}</guid></item>" for n in numbers)
        body = f"<rss version='2.0'><channel><title>t</title>{items}</channel></rss>".encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/rss+xml")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
    server.routes["/feed.xml"] = feed
    stop = threading.Event()

    def publisher():  # entries appear continuously, not just before each poll
        n = 0
        while not stop.is_set():
            publish(n)
            n += 1
            stop.wait(args.every / args.per_cycle)
    threading.Thread(target=publisher, daemon=True).start()
    with tempfile.TemporaryDirectory() as out:
        options = make_options(["--runner=FnApiRunner"], out=out, all_topics=True,
                               allow_hosts=[server.host_port], min_host_delay=0.0)
        ingest = ContinuousIngest(options, [FeedSource(outlet="lat", url=server.url("/feed.xml"),
                                                       language="en", country="US")],
                                  Schedule(every=args.every, min_interval=args.every,
                                           max_interval=args.every))
        reports = ingest.run_forever(max_cycles=args.cycles)
        stop.set()
        import pyarrow.dataset as ds
        table = ds.dataset(os.path.join(out, "articles"), format="parquet").to_table(
            columns=["discovered_at", "written_at", "url"])
    server.stop()
    latencies = sorted((w - d).total_seconds() for d, w in zip(
        table.column("discovered_at").to_pylist(), table.column("written_at").to_pylist()))
    cycle_times = [r.seconds for r in reports]
    from_appearance = sorted(w.timestamp() - appeared[int(u.rsplit("/", 1)[1])] for w, u in zip(
        table.column("written_at").to_pylist(), table.column("url").to_pylist()))
    p95 = latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))]
    print(f"cycles {len(reports)}, articles {len(latencies)}, cycle processing time median "
          f"{statistics.median(cycle_times):.1f}s, cycle period {args.every:g}s")
    print(f"latency written - discovered: p50 {statistics.median(latencies):.1f}s, p95 {p95:.1f}s "
          f"(target p95 <= cycle time + 30 s = {args.every + 30:g}s)")
    q95 = from_appearance[min(len(from_appearance) - 1, round(0.95 * (len(from_appearance) - 1)))]
    print(f"latency written - first appearance in the feed: p50 "
          f"{statistics.median(from_appearance):.1f}s, p95 {q95:.1f}s")


if __name__ == "__main__":
    main()
