"""What a History open costs on an object store, as the lake grows: every worker process of
every job on `gs://`/`s3://` output opens one (transforms/history_remote.py). Lakes of growing
size (tests/lake.py) are uploaded to an S3-compatible server (moto) started on 127.0.0.1; for
each, `load_history` is timed and the server's requests counted: the first open (no index in
the bucket: it reads every file and packs their summaries), the opens after it (median), an
open after one more day's files arrive, and one date store (what the dedup loads). Nothing
leaves the machine.

    .venv/bin/python -m tests.benchmarks.history_object_store --days 10,20,40 --rounds 3
"""
from __future__ import annotations

import argparse
import datetime as dt
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
    def timed(call):
        requests.seen = {}
        started = time.perf_counter()
        result = call()
        return result, time.perf_counter() - started, sum(requests.seen.values())

    try:
        for days in (int(d) for d in args.days.split(",")):
            prefix = f"lake{days}"
            out = f"s3://{BUCKET}/{prefix}"
            counts = upload_lake(args.articles_per_day * days, days, args.outlets, prefix)
            first, first_s, first_n = timed(lambda: load_history(out))
            later = [timed(lambda: load_history(out)) for _ in range(args.rounds)]
            upload_lake(args.articles_per_day, 1, args.outlets, prefix,
                        end=dt.date(2026, 11, 30) + dt.timedelta(days=1), seed=days)
            grown, grown_s, grown_n = timed(lambda: load_history(out))
            last = grown.dates[-2]
            _, store_first_s, store_first_n = timed(lambda: load_history(out)._load_date(last))
            store_later = [timed(lambda: load_history(out)._load_date(last))[1:]
                           for _ in range(args.rounds)]
            assert len(first.ids) == len(later[-1][0].ids) > 0
            assert len(grown.ids) > len(first.ids)
            print(f"{days:4d} days, {counts['files']} files, {counts['bytes'] / 1e6:.1f} MB, "
                  f"{len(first.ids)} ids: first open {first_s:.2f} s / {first_n} requests; "
                  f"later opens (median of {args.rounds}) "
                  f"{statistics.median(t for _, t, _ in later):.2f} s / "
                  f"{statistics.median(n for _, _, n in later):.0f} requests; "
                  f"after one more day ({args.outlets * 3} files) {grown_s:.2f} s / {grown_n} "
                  f"requests; open + one date's store: first {store_first_s:.2f} s / "
                  f"{store_first_n} requests, later "
                  f"{statistics.median(t for t, _ in store_later):.2f} s / "
                  f"{statistics.median(n for _, n in store_later):.0f} requests", flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
