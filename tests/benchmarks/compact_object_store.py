"""`cfnews compact` on an object store: what a lake written every hour costs its readers before
and after compaction. The lake (tests/lake.py, written `--runs-per-day` times with other rows,
as hourly runs leave it) is uploaded to an S3-compatible server (moto) this script starts on
127.0.0.1; `cfnews sql` (a subprocess, its reader cache warm) answers a whole-lake and a
one-day query, then `cfnews compact` runs, then the same queries again. The server counts
requests. Nothing leaves the machine (endpoint, credentials and region given).

    .venv/bin/python -m tests.benchmarks.compact_object_store --days 30 --runs-per-day 24 --rounds 3
"""
from __future__ import annotations

import argparse
import datetime as dt
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.benchmarks.sql_object_store import BUCKET, start_moto, upload_lake

END = dt.date(2026, 11, 30)
QUERIES = {"whole lake": "SELECT count(*) FROM articles",
           "one day": f"SELECT count(*) FROM articles WHERE date = DATE '{END.isoformat()}'"}


def cfnews(*args) -> tuple:
    here = Path(__file__).resolve().parents[2]
    started = time.perf_counter()
    done = subprocess.run([str(here / ".venv" / "bin" / "cfnews"), *args], capture_output=True,
                          text=True, cwd=tempfile.gettempdir())
    took = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"cfnews {args[0]}: exit {done.returncode}: {done.stderr[-2000:]}")
    return took, done.stdout


def measure(requests, label: str, rounds: int) -> dict:
    answers = {}
    for name, query in QUERIES.items():
        cfnews("sql", "--out", f"s3://{BUCKET}/hourly", "--format", "csv", query)  # warm cache
        runs = []
        for _ in range(rounds):
            requests.seen = {}
            took, out = cfnews("sql", "--out", f"s3://{BUCKET}/hourly", "--format", "csv", query)
            runs.append((took, sum(requests.seen.values())))
            answers[name] = out.split()[-1]
        print(f"{label:17s} {name:10s} median of {rounds}: "
              f"{statistics.median(t for t, _ in runs):6.2f} s, "
              f"{statistics.median(n for _, n in runs):5.0f} requests  answer {answers[name]}")
    return answers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--outlets", type=int, default=5)
    parser.add_argument("--runs-per-day", type=int, default=24)
    parser.add_argument("--articles-per-run", type=int, default=150)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    requests, server = start_moto()
    files = sum(upload_lake(args.articles_per_run * args.days, args.days, args.outlets,
                            prefix="hourly", end=END, seed=100 + run, run=run)["files"]
                for run in range(args.runs_per_day))
    print(f"lake: {args.days} days x {args.outlets} outlets x {args.runs_per_day} runs a day, "
          f"{files} files, on s3://{BUCKET}/hourly")
    before = measure(requests, "before compaction", args.rounds)
    requests.seen = {}
    took, out = cfnews("compact", "--out", f"s3://{BUCKET}/hourly", "--before",
                       (END + dt.timedelta(days=1)).isoformat())
    print(f"compaction: {took:.1f} s, requests {dict(sorted(requests.seen.items()))}\n"
          f"  {out.strip()}")
    after = measure(requests, "after compaction", args.rounds)
    print("answers " + ("equal" if before == after else f"DIFFER: {before} vs {after}"))
    server.stop()


if __name__ == "__main__":
    main()
