"""What one History open costs on an object store, as the lake grows: every worker process of
every job on `gs://`/`s3://` output opens one (transforms/history.py: `open_remote`), and there
is no index there. Lakes of growing size (tests/lake.py) are uploaded to an S3-compatible server
(moto) started on 127.0.0.1; for each, `load_history` is timed and the server's requests and
the files' bytes counted. Nothing leaves the machine.

    .venv/bin/python -m tests.benchmarks.history_object_store --days 15,30,60 --rounds 3
"""
from __future__ import annotations

import argparse
import statistics
import time

from tests.benchmarks.sql_object_store import BUCKET, start_moto, upload_lake


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", default="15,30,60", help="lake sizes, in days (comma-separated)")
    parser.add_argument("--articles-per-day", type=int, default=200)
    parser.add_argument("--outlets", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    requests, server = start_moto()
    import os
    from apache_beam.io.filesystems import FileSystems
    from apache_beam.options.pipeline_options import PipelineOptions
    from cfnews.transforms.history import load_history
    FileSystems.set_options(PipelineOptions([   # as a job's options tell its workers
        f"--s3_endpoint_url={os.environ['AWS_ENDPOINT_URL']}", "--s3_access_key_id=test",
        "--s3_secret_access_key=test", "--s3_region_name=us-east-1"]))
    try:
        for days in (int(d) for d in args.days.split(",")):
            prefix = f"lake{days}"
            counts = upload_lake(args.articles_per_day * days, days, args.outlets, prefix)
            runs = []
            for _ in range(args.rounds):
                requests.seen = {}
                started = time.perf_counter()
                history = load_history(f"s3://{BUCKET}/{prefix}")
                took = time.perf_counter() - started
                runs.append((took, sum(requests.seen.values()), dict(requests.seen)))
            assert len(history.ids), "the history saw no article"
            files = counts.get("files", "?")
            print(f"{days:4d} days: {counts}; one open, median of {args.rounds}: "
                  f"{statistics.median(t for t, _, _ in runs):.2f} s, "
                  f"{statistics.median(n for _, n, _ in runs):.0f} requests "
                  f"({runs[-1][2]}), files {files}, {counts['bytes'] / 1e6:.1f} MB in the lake, "
                  f"ids {len(history.ids)}", flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
