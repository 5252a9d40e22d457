"""kill -9 at any moment, restart: no row written twice, no entry that appeared is lost.

A local feed server keeps adding entries (two per request) and shows only the latest twelve,
so an entry missed while cfnews is down can drop out of the feed for good. cfnews runs as a
real subprocess (`cfnews run --every`), killed by SIGKILL at fixed points (journal saved,
half the files renamed, all written but state not saved) and at random moments."""
import hashlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from tests.cli import python_path

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[1]
WORDS = ("trade aircraft cognac tariff delegation ministry summit nuclear reactor investment "
         "export import visit dialogue cooperation agreement market customs quota farmers "
         "luxury brand satellite launch treaty talks embassy port railway bank bond").split()


class GrowingFeed:
    """Serves /feed.xml with a sliding window of entries; each request adds two."""

    def __init__(self, server, window=12, per_request=2):
        self.server, self.window, self.per_request = server, window, per_request
        self.lock = threading.Lock()
        self.count = 0
        self.served = set()
        server.routes["/feed.xml"] = self.feed
        server.routes["/robots.txt"] = (404, {"Content-Type": "text/plain"}, b"")

    def advance(self, n):
        """Time passes while cfnews is down: n entries come and go unseen, and what was in
        the feed before scrolls out of it."""
        with self.lock:
            self.count += n
            for k in range(self.count - n + 1, self.count + 1):
                self.server.routes[f"/story/{k}"] = (200, {"Content-Type": "text/html"},
                                                     self.page_for(k))

    def page_for(self, n):
        rng = random.Random(n)
        paras = [" ".join(rng.choice(WORDS) for _ in range(60)) + "." for _ in range(4)]
        body = "".join(f"<p>Story {n}: {p}</p>" for p in paras)
        return (f"<html><head><title>Story {n}</title></head><body><article><h1>Story {n}</h1>"
                f"{body}</article></body></html>").encode()

    def feed(self, handler):
        with self.lock:
            self.count += self.per_request
            first = max(1, self.count - self.window + 1)
            numbers = list(range(first, self.count + 1))
            for n in numbers:
                self.server.routes[f"/story/{n}"] = (200, {"Content-Type": "text/html"},
                                                     self.page_for(n))
            self.served.update(numbers)
        items = "".join(
            f"<item><title>Story {n}</title><link>{self.server.url(f'/story/{n}')}</link>"
            f"<guid isPermaLink='false'>story-{n}</guid>"
            f"<pubDate>Thu, 04 Dec 2025 {8 + n // 60 % 10:02d}:{n % 60:02d}:00 GMT</pubDate></item>"
            for n in reversed(numbers))
        body = (f"<?xml version='1.0'?><rss version='2.0'><channel><title>grow</title>{items}"
                "</channel></rss>").encode()
        etag = '"' + hashlib.sha1(body).hexdigest() + '"'
        if handler.headers.get("If-None-Match") == etag:
            handler.send_response(304)
            handler.send_header("ETag", etag)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        handler.send_response(200)
        handler.send_header("Content-Type", "application/rss+xml")
        handler.send_header("ETag", etag)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)


def cfnews(tmp_path, server, crash_at=None, max_cycles=None, every="1s"):
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("version: 1\nfeeds:\n  - outlet: growing\n"
                     f"    url: \"{server.url('/feed.xml')}\"\n    language: en\n    country: FR\n")
    args = [sys.executable, "-m", "cfnews", "run", "--feeds", str(feeds), "--out",
            str(tmp_path / "out"), "--every", every, "--min-poll", "1s", "--all-topics",
            "--runner=FnApiRunner", f"--allow_hosts={server.host_port}", "--min_host_delay=0",
            "--max_retries=0"]
    if max_cycles:
        args += ["--max-cycles", str(max_cycles)]
    env = dict(os.environ, PYTHONPATH=python_path(ROOT))
    env.pop("CFNEWS_CRASH_AT", None)
    if crash_at:
        env["CFNEWS_CRASH_AT"] = crash_at
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def all_rows(out):
    rows = []
    for dataset in ("articles", "duplicates", "rejected"):
        if (out / dataset).exists():
            rows += [(dataset,) + r for r in duckdb.sql(
                f"SELECT entry_id, article_id FROM read_parquet('{out}/{dataset}/**/*.parquet', "
                "hive_partitioning=true)").fetchall()]
    return rows


def test_kill_at_every_point_then_restart_loses_and_doubles_nothing(tmp_path, server):
    feed = GrowingFeed(server)
    for point in ("after_pending", "mid_write", "after_write"):
        proc = cfnews(tmp_path, server, crash_at=point)
        output, _ = proc.communicate(timeout=300)
        assert proc.returncode == -signal.SIGKILL, (point, output[-2000:])
        feed.advance(feed.window)
    for delay in (2.5, 6.0):  # and at moments nobody chose
        proc = cfnews(tmp_path, server)
        time.sleep(delay)
        proc.kill()
        proc.wait(timeout=60)
        feed.advance(feed.window)
    proc = cfnews(tmp_path, server, max_cycles=2)
    output, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, output[-3000:]

    rows = all_rows(tmp_path / "out")
    by_entry = {}
    for dataset, entry_id, _ in rows:
        by_entry.setdefault(entry_id, []).append(dataset)
    doubled = {k: v for k, v in by_entry.items() if len(v) > 1}
    assert not doubled, doubled
    served = {f"story-{n}" for n in feed.served}
    assert len(served) >= 3 * feed.window  # runs polled, and the feed moved on between
    lost = served - set(by_entry)
    assert not lost, sorted(lost)
    assert set(by_entry) == served  # nothing that was never in a served feed
    assert all(ds == ["articles"] for ds in by_entry.values())
    for dataset in ("articles", "duplicates", "rejected"):
        for path in (tmp_path / "out" / dataset).rglob("*"):
            assert path.is_dir() or (path.name.startswith("part-") and path.suffix == ".parquet")
