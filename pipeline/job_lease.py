"""A streaming job's writer lease on an object store (pipeline/lease.py): held by the job, not by
a process.

`cfnews run --streaming` (and the Flex Template's launcher) returns once the job is submitted,
so the lease its process took would end a few minutes later while the job writes for weeks,
and a batch run, a backfill or `compact` on the same folder would then write beside it. So the
launcher hands its lease to the job (the lock object then names the job's run id), and the job
keeps it: every tick of its periodic impulse renews it before any feed is polled
(`HoldJobLease`, placed by pipeline/graph.py). A tick that finds the lease held by another
writer polls nothing: the job writes nothing new until that writer has released the lease, and
then takes it back. A job that is drained or cancelled stops renewing it, and its lease ends
`job_lease_seconds` after its last tick. Work a tick already started (pages being fetched,
windows being written) finishes even if the lease is lost meanwhile.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import logging
from typing import Iterator, Optional, Tuple

import apache_beam as beam

from cfnews.pipeline.lease import (LEASE_SECONDS, Conflict, holder_text, job_record, state_of,
                                   store_for)
from cfnews.transforms.common import count

log = logging.getLogger(__name__)


def job_lease_seconds(poll_interval: float) -> float:
    """Three ticks' worth (a tick may be late when workers scale), never under the lease of a
    run (LEASE_SECONDS)."""
    return max(LEASE_SECONDS, 3.0 * poll_interval)


class JobLeaseKeeper:
    """Renews the lease of job `job` on `out_dir` (its lock object in `store`)."""

    def __init__(self, out_dir: str, job: str, store, lease_seconds: float):
        self.out_dir, self.job, self.store = out_dir, job, store
        self.lease_seconds = lease_seconds
        self.started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")

    def renew(self, now: Optional[dt.datetime] = None) -> Tuple[bool, str]:
        """(True, "") if the job holds the lease until now + its length; else (False, who holds
        it). Free, released or ended leases are taken (an ended one with a warning)."""
        now = now or dt.datetime.now(dt.timezone.utc)
        current = self.store.read()
        raw, version = current if current is not None else (None, None)
        state, info = state_of(raw, now)
        if state == "unreadable":
            return False, f"{self.out_dir}: the lock object is not a cfnews lock"
        if state == "held" and info.get("job") != self.job:
            return False, holder_text(info)
        ours = info.get("job") == self.job
        started = info.get("started") if ours and info.get("started") else self.started
        try:
            self.store.write(job_record(self.job, started,
                                        now + dt.timedelta(seconds=self.lease_seconds)), version)
        except Conflict:   # another writer changed it between the read and the write
            return False, "another writer (the lock changed while it was renewed)"
        if state == "expired":
            log.warning("%s: the streaming job %s took over the lease of %s, which had ended",
                        self.out_dir, self.job, holder_text(info))
        return True, ""


class _HoldLeaseFn(beam.DoFn):
    """Passes a tick on only while the job holds the lease (see the module docstring)."""

    def __init__(self, out_dir: str, job: str, lease_seconds: float, store_options: dict):
        self.out_dir, self.job, self.lease_seconds = out_dir, job, lease_seconds
        self.store_options = store_options    # the job's S3/GCS options: endpoint, project, ...
        self.keeper: Optional[JobLeaseKeeper] = None
        self.refused_by = ""

    def setup(self):
        from apache_beam.options.pipeline_options import PipelineOptions
        store = store_for(self.out_dir, PipelineOptions.from_dictionary(self.store_options))
        self.keeper = JobLeaseKeeper(self.out_dir, self.job, store, self.lease_seconds)

    def process(self, tick):
        try:
            held, holder = self.keeper.renew()
        except Exception as exc:   # the store unreachable: the lease may still be ours
            held, holder = False, f"nobody known ({type(exc).__name__}: {exc})"
        if held:
            if self.refused_by:
                log.warning("%s: the streaming job %s holds the writer lease again; polling "
                            "resumes", self.out_dir, self.job)
            self.refused_by = ""
            yield tick
            return
        count("cfnews", "lease_refused_ticks")
        if holder != self.refused_by:
            log.error("%s: the streaming job %s does not hold the writer lease (held by %s): "
                      "this tick polls nothing", self.out_dir, self.job, holder)
        self.refused_by = holder


def store_options(options) -> dict:
    """What a worker needs of the job's options to reach the lock object: the S3 endpoint,
    region and credentials, the Google Cloud project."""
    return {k: v for k, v in options.get_all_options(drop_default=True).items()
            if k.startswith("s3_") or k == "project"}


class HoldJobLease(beam.PTransform):
    """ticks -> the ticks this job may act on: those at which it holds `out_dir`'s lease."""

    def __init__(self, out_dir: str, job: str, lease_seconds: float, options_for_store: dict):
        super().__init__()
        self.fn = _HoldLeaseFn(out_dir, job, lease_seconds, options_for_store)

    def expand(self, ticks):
        return ticks | beam.ParDo(self.fn)


@contextlib.contextmanager
def lease_for_job(held, options, run_id: str) -> Iterator[None]:
    """Around a streaming job's submission: the launcher's writer lease (gs://, s3://) is the
    job's before the job starts (its first tick may come before the launcher returns) and
    stays the job's once it is submitted; if the submission fails, the launcher releases it as
    usual. A local folder's lock is only this process's."""
    if held is None or not hasattr(held, "hand_over"):
        yield
        return
    seconds = job_lease_seconds(options.poll_interval)
    try:
        held.hand_over(run_id, seconds)
    except Exception as exc:   # kept by the launcher, released as usual: the job takes it
        log.warning("%s: the writer lease could not be handed to the job (%s: %s); the job "
                    "takes it at a tick once it is free", options.out, type(exc).__name__, exc)
        yield
        return
    yield
    held.job_started()
    print(f"the writer lease of {options.out} is now the job's: renewed at each of its ticks, "
          f"it ends {seconds:.0f} s after the job stops")
