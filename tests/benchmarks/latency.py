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

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from tests.benchmarks.common import PublishingSite, percentile, require_shared  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cycles", type=int, default=6)
    parser.add_argument("--every", type=float, default=20.0)
    parser.add_argument("--per-cycle", type=int, default=8, help="new entries per cycle period")
    args = parser.parse_args()
    require_shared()
    from cfnews.pipeline.continuous import ContinuousIngest, Schedule
    from cfnews.pipeline.runner import make_options

    site = PublishingSite(period=args.every / args.per_cycle).start()
    with tempfile.TemporaryDirectory() as out:
        options = make_options(["--runner=FnApiRunner"], out=out, all_topics=True,
                               allow_hosts=[site.host_port], min_host_delay=0.0)
        ingest = ContinuousIngest(options, [site.feed_source()],
                                  Schedule(every=args.every, min_interval=args.every,
                                           max_interval=args.every))
        reports = []
        ingest.run_forever(max_cycles=args.cycles, on_cycle=reports.append)
        import pyarrow.dataset as ds
        table = ds.dataset(os.path.join(out, "articles"), format="parquet").to_table(
            columns=["discovered_at", "written_at", "url"])
    site.close()
    latencies = sorted((w - d).total_seconds() for d, w in zip(
        table.column("discovered_at").to_pylist(), table.column("written_at").to_pylist()))
    cycle_times = [r.seconds for r in reports]
    from_appearance = sorted(w.timestamp() - site.appeared[site.story_number(u)] for w, u in zip(
        table.column("written_at").to_pylist(), table.column("url").to_pylist()))
    p95 = percentile(latencies, 0.95)
    print(f"cycles {len(reports)}, articles {len(latencies)}, cycle processing time median "
          f"{statistics.median(cycle_times):.1f}s, cycle period {args.every:g}s")
    print(f"latency written - discovered: p50 {statistics.median(latencies):.1f}s, p95 {p95:.1f}s "
          f"(target p95 <= cycle time + 30 s = {args.every + 30:g}s)")
    q95 = percentile(from_appearance, 0.95)
    print(f"latency written - first appearance in the feed: p50 "
          f"{statistics.median(from_appearance):.1f}s, p95 {q95:.1f}s")


if __name__ == "__main__":
    main()
