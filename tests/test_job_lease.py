"""A streaming job keeps its folder's writer lease (pipeline/job_lease.py): its launcher hands
the lease over, its ticks renew it, and a tick that finds another writer holding it polls
nothing. On a loopback S3 server (moto)."""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket

import pytest

pytest.importorskip("moto.server", reason="needs moto[s3], flask and flask-cors (test extra)")
boto3 = pytest.importorskip("boto3", reason="needs apache-beam[aws] (test extra)")

import apache_beam as beam  # noqa: E402
from apache_beam.testing.test_stream import TestStream  # noqa: E402
from apache_beam.transforms.window import TimestampedValue  # noqa: E402

from cfnews.pipeline.graph import build_streaming  # noqa: E402
from cfnews.pipeline.job_lease import (JobLeaseKeeper, job_lease_seconds,  # noqa: E402
                                       lease_for_job)
from cfnews.pipeline.lease import LOCK_OBJECT, OutputLease, S3Store  # noqa: E402
from cfnews.pipeline.lock import OutputLocked  # noqa: E402
from cfnews.pipeline.runner import make_options  # noqa: E402
from cfnews.schemas import FeedSource  # noqa: E402
from tests.test_lease import backend, gcs, lock_info, record  # noqa: E402,F401  (fixtures)
from tests.test_object_store import BUCKET, keys, s3  # noqa: E402,F401  (the moto fixture)
from tests.test_retry_e2e import list_feed  # noqa: E402

def keeper(prefix: str, job: str = "20261206T120000Z-job001", backend=None) -> JobLeaseKeeper:
    if backend is not None:
        return JobLeaseKeeper(backend.out(prefix), job, backend.store(prefix), lease_seconds=600)
    out = f"s3://{BUCKET}/{prefix}"
    return JobLeaseKeeper(out, job, S3Store(f"{out}/{LOCK_OBJECT}"), lease_seconds=600)


def test_a_jobs_lease_lasts_three_ticks_and_never_less_than_a_runs():
    assert job_lease_seconds(600) == 1800
    assert job_lease_seconds(10) == 300


def test_ticks_take_a_free_lease_renew_their_own_and_yield_to_a_live_writer(backend, caplog):
    """On S3 (moto) and GCS (fake-gcs-server): the keeper's rule over conditional writes."""
    now = dt.datetime.now(dt.timezone.utc)
    job = keeper("job-rules", backend=backend)
    held, _ = job.renew(now)
    assert held
    first = backend.info("job-rules")
    assert first["job"] == "20261206T120000Z-job001" and first["command"] == "streaming job"
    held, _ = job.renew(now + dt.timedelta(minutes=1))            # its own: renewed
    assert held and backend.info("job-rules")["until"] > first["until"]
    assert backend.info("job-rules")["started"] == first["started"]
    # a run that took the folder (the job's lease had ended) holds it: the tick yields
    backend.put("job-rules", record(now + dt.timedelta(minutes=4)))
    held, holder = job.renew(now)
    assert not held and "pid 4242 on gone-host" in holder
    assert "job" not in backend.info("job-rules")                 # untouched
    # released by that run: taken back, quietly
    backend.put("job-rules", record(now + dt.timedelta(minutes=4), released="x"))
    caplog.set_level(logging.WARNING)
    assert job.renew()[0] and not [r for r in caplog.records if r.levelno >= logging.WARNING]
    # ended without release (the run was killed): taken over, with a warning
    backend.put("job-rules", record(now - dt.timedelta(minutes=10)))
    assert job.renew()[0]
    assert any("took over the lease of pid 4242" in r.getMessage() for r in caplog.records)
    # not a cfnews lock: never overwritten
    backend.put("job-rules", b"someone else's object")
    held, holder = job.renew()
    assert not held and "not a cfnews lock" in holder


def test_the_launcher_hands_its_lease_to_the_job_and_a_second_writer_is_refused(s3, capsys):
    out = f"s3://{BUCKET}/handed"
    launcher = OutputLease(out, "run", S3Store(f"{out}/{LOCK_OBJECT}")).acquire()
    options = make_options(["--runner=FnApiRunner", "--poll_interval=600"], out=out)
    with lease_for_job(launcher, options, "20261206T120000Z-job002"):
        # the job's before it is submitted (its first tick may come before the launcher
        # returns), for three poll intervals
        info = lock_info("handed")
        until = dt.datetime.fromisoformat(info["until"])
        assert dt.timedelta(minutes=29) < until - dt.datetime.now(dt.timezone.utc) <= \
            dt.timedelta(minutes=30)
        assert keeper("handed", "20261206T120000Z-job002").renew()[0]
    launcher.release()                             # what the CLI does next: leaves it alone
    info = lock_info("handed")
    assert info["job"] == "20261206T120000Z-job002" and "released" not in info
    assert "is now the job's" in capsys.readouterr().out
    with pytest.raises(OutputLocked, match="the streaming job of run 20261206T120000Z-job002"):
        OutputLease(out, "backfill", S3Store(f"{out}/{LOCK_OBJECT}")).acquire()
    assert keeper("handed", "20261206T120000Z-job002").renew()[0]   # the job renews it


def test_a_submission_that_fails_releases_the_lease_it_was_to_hand_over(s3):
    out = f"s3://{BUCKET}/not-submitted"
    launcher = OutputLease(out, "run", S3Store(f"{out}/{LOCK_OBJECT}")).acquire()
    options = make_options(["--runner=FnApiRunner"], out=out)
    with pytest.raises(RuntimeError, match="rejected"):
        with lease_for_job(launcher, options, "20261206T120000Z-job003"):
            raise RuntimeError("job rejected by the service")
    launcher.release()
    assert "released" in lock_info("not-submitted")
    OutputLease(out, "run", S3Store(f"{out}/{LOCK_OBJECT}")).acquire().release()   # free


def run_streaming(out: str, server, tmp_path, ticks: int = 2):
    feeds = [FeedSource(outlet="wire", url=server.url("/feed.xml"), language="en", country="FR")]
    options = make_options(["--runner=BundleBasedDirectRunner", "--streaming"], out=out,
                           all_topics=True, allow_hosts=[server.host_port], min_host_delay=0.0)
    base = dt.datetime(2025, 12, 4, 8, tzinfo=dt.timezone.utc).timestamp()
    stream = TestStream()
    for k in range(ticks):
        stream = (stream.advance_watermark_to(base + 600 * k)
                  .add_elements([TimestampedValue("tick", base + 600 * k)]))
    with beam.Pipeline(options=options) as p:
        build_streaming(p, options, "20261206T120000Z-stream", feeds,
                        ticks=p | stream.advance_watermark_to_infinity(), job_lease=True)


def test_a_job_whose_lease_another_writer_holds_polls_nothing_then_resumes(s3, server, tmp_path,
                                                                          caplog):
    out = f"s3://{BUCKET}/stream"
    list_feed(server, "/feed.xml", ["a", "b"])
    for name in ("a", "b"):
        server.add(f"/s/{name}", f"<html><body><article><h1>{name}</h1><p>{'Words here. ' * 40}"
                   "</p></article></body></html>")
    holder = OutputLease(out, "backfill", S3Store(f"{out}/{LOCK_OBJECT}")).acquire()
    try:
        caplog.set_level(logging.ERROR)
        run_streaming(out, server, tmp_path)
        assert server.hits.get("/feed.xml", 0) == 0               # no tick polled
        assert not [k for k in keys("stream/") if k.endswith(".parquet")]
        assert any(f"pid {os.getpid()} on {socket.gethostname()}" in r.getMessage()
                   for r in caplog.records)
    finally:
        holder.release()
    run_streaming(out, server, tmp_path)                          # released: the job takes it
    assert server.hits.get("/feed.xml", 0) >= 1
    assert len([k for k in keys("stream/articles/") if k.endswith(".parquet")]) >= 1
    assert json.loads(boto3.client("s3").get_object(
        Bucket=BUCKET, Key=f"stream/{LOCK_OBJECT}")["Body"].read())["job"] == \
        "20261206T120000Z-stream"


def test_an_update_takes_the_lease_over_from_the_job_it_replaces_and_only_from_a_job(s3, caplog):
    """Dataflow's in-place update (`--update`) and a Flink restore from a savepoint launch the
    job that replaces the running one: its launcher takes the running job's lease over. Any
    other launch is refused, and a run's lease is never taken by an update."""
    from cfnews.pipeline.lock import hold_output
    out = f"s3://{BUCKET}/updated"
    assert keeper("updated", "20261206T120000Z-old").renew()[0]
    with pytest.raises(OutputLocked, match="the streaming job of run 20261206T120000Z-old"):
        with hold_output(out, "run", list(s3)):
            pass
    caplog.set_level(logging.WARNING)
    for update in (["--update"], ["--savepoint_path=gs://bucket/savepoints/savepoint-1"]):
        assert keeper("updated", "20261206T120000Z-old").renew()[0]
        with hold_output(out, "run", [*s3, *update]) as held:
            assert held is not None and lock_info("updated").get("pid") == os.getpid()
        assert any("which this launch replaces" in r.getMessage() for r in caplog.records)
    holder = OutputLease(out, "backfill", S3Store(f"{out}/{LOCK_OBJECT}")).acquire()
    try:
        with pytest.raises(OutputLocked, match=f"pid {os.getpid()}"):
            with hold_output(out, "run", [*s3, "--update"]):
                pass
    finally:
        holder.release()
