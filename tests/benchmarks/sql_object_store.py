"""`cfnews sql` on an object store: requests and time per filtered query, against an older
checkout's command, interleaved. The lake (tests/lake.py) is written locally, uploaded to an
S3-compatible server (moto) this script starts on 127.0.0.1, and queried with a one-day,
one-outlet filter through each checkout's `cfnews sql` as a subprocess; the server counts the
requests of each call. Nothing leaves the machine (endpoint, credentials and region given).

    .venv/bin/python -m tests.benchmarks.sql_object_store --days 90 --rounds 3 \\
        --baseline /path/to/older/checkout      # with its own .venv (an editable install)

The first call of a checkout that caches (pipeline/versions.py) builds its cache; the calls
after it are what every later query pays.
"""
from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BUCKET = "cfnews-bench"
QUERY = ("SELECT count(*) FROM articles "
         "WHERE date = DATE '2026-11-01' AND outlet = 'outlet-03'")


class Requests(logging.Handler):
    """The server's requests (werkzeug logs one line per request): counts by method (`seen`)
    and, in order, (method, path) (`requests`)."""

    def __init__(self):
        super().__init__()
        self.seen = {}
        self.requests = []

    def emit(self, record):
        words = record.getMessage().split('"')
        if len(words) > 1 and words[1].split():
            method, *rest = words[1].split()
            method = method.lstrip("\x1b[0123456789;m")
            self.seen[method] = self.seen.get(method, 0) + 1
            self.requests.append((method, rest[0] if rest else ""))


def start_moto():
    """An S3-compatible server (moto) on 127.0.0.1, the environment pointing boto3, pyarrow and
    Beam at it with dummy credentials and a private CFNEWS_CACHE_DIR, and a request counter."""
    from moto import server as moto_server
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    cache = tempfile.mkdtemp(prefix="cfnews-cache-")
    os.environ.update({
        "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": f"http://{host}:{port}", "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "CFNEWS_CACHE_DIR": cache})
    requests = Requests()
    werkzeug = logging.getLogger("werkzeug")
    werkzeug.setLevel(logging.INFO)
    werkzeug.propagate = False
    werkzeug.handlers = [requests]
    return requests, server


def upload_lake(articles: int, days: int, outlets: int, prefix: str = "lake",
                end: dt.date = dt.date(2026, 11, 30), seed: int = 7, run: int = 0) -> dict:
    """A lake (tests/lake.py) written locally and uploaded to s3://BUCKET/PREFIX; its counts
    and its size in bytes. `run` names its files apart from other runs' (one file per
    partition and dataset each, as runs leave them)."""
    import boto3
    from tests.lake import write_lake
    client = boto3.client("s3")
    try:
        client.create_bucket(Bucket=BUCKET)
    except client.exceptions.BucketAlreadyOwnedByYou:
        pass
    size = 0
    with tempfile.TemporaryDirectory() as local:
        counts = write_lake(local, articles=articles, days=days, outlets=outlets, end=end,
                            seed=seed)
        for path in Path(local).rglob("*.parquet"):
            size += path.stat().st_size
            key = f"{prefix}/{path.relative_to(local)}"
            client.upload_file(str(path), BUCKET,
                               key.replace("-0000.parquet", f"-{run:04d}.parquet"))
    return dict(counts, bytes=size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--outlets", type=int, default=10)
    parser.add_argument("--articles", type=int, default=18000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", help="an older checkout with its own .venv")
    args = parser.parse_args()

    requests, server = start_moto()
    counts = upload_lake(args.articles, args.days, args.outlets)
    print(f"lake: {counts}, on s3://{BUCKET}/lake; {os.cpu_count()} CPUs")

    here = Path(__file__).resolve().parents[2]
    commands = {"now": here / ".venv" / "bin" / "cfnews"}
    if args.baseline:
        commands["baseline"] = Path(args.baseline) / ".venv" / "bin" / "cfnews"
    figures = {name: [] for name in commands}
    for round_ in range(args.rounds + 1):          # round 0: each checkout's first call
        for name, command in commands.items():
            requests.seen = {}
            started = time.perf_counter()
            done = subprocess.run([str(command), "sql", "--out", f"s3://{BUCKET}/lake",
                                   "--format", "csv", QUERY],
                                  capture_output=True, text=True, cwd=tempfile.gettempdir())
            took = time.perf_counter() - started
            if done.returncode != 0:
                sys.exit(f"{name}: exit {done.returncode}: {done.stderr[-2000:]}")
            answer = done.stdout.split()[-1]
            label = "first call" if round_ == 0 else f"round {round_}"
            print(f"{name:9s} {label:10s} {took:6.2f} s  requests {dict(sorted(requests.seen.items()))}"
                  f"  answer {answer}")
            if round_:
                figures[name].append((took, sum(requests.seen.values())))
    for name, runs in figures.items():
        print(f"{name:9s} median of {len(runs)}: {statistics.median(t for t, _ in runs):.2f} s, "
              f"{statistics.median(n for _, n in runs):.0f} requests per query")
    server.stop()


if __name__ == "__main__":
    main()
