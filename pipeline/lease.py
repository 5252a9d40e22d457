"""One writer per output folder on an object store: a lease, OUT/.cfnews.lock, kept with
conditional writes.

Object stores have no advisory locks and no process death to drop one, so the lock is an object
holding its holder (pid, host, command, start) and the time its lease ends. Every change of it
is a conditional write against the version the writer last read (S3: If-None-Match/If-Match on
the ETag; GCS: if_generation_match), so of two runs that race, exactly one wins:

* free (no object, or one released)         -> taken;
* held, its lease not over                  -> refused: OutputLocked names the holder;
* held, its lease over by more than SKEW    -> the holder died (or lost its network): taken
                                               over, with a warning naming it.

The holder renews the lease every RENEW_SECONDS from a thread; a renewal that finds the object
changed by another run means the lease was lost (this run stalled past its lease): it is logged
as an error and `lost` is set. Releasing rewrites the object as released (an unheld lock is a
small object, as the local lock is an empty file); a run killed with kill -9 leaves a lease that
ends within LEASE_SECONDS. Times are the hosts' clocks: SKEW allows for theirs to differ.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
import threading
import uuid
from typing import Callable, Optional, Tuple

log = logging.getLogger(__name__)

LOCK_OBJECT = ".cfnews.lock"
# CFNEWS_LEASE_SECONDS: the lease's length (default 5 min; renewed every fifth of it)
LEASE_SECONDS = float(os.environ.get("CFNEWS_LEASE_SECONDS") or 300.0)
RENEW_SECONDS = LEASE_SECONDS / 5
SKEW_SECONDS = 60.0


class Conflict(Exception):
    """The object is not at the version a conditional write expected."""


# ---------------------------------------------------------------- stores

def _split(url: str) -> Tuple[str, str]:
    bucket, _, key = url.split("://", 1)[1].partition("/")
    return bucket, key


class S3Store:
    """The lock object on S3 (or an S3-compatible server) through boto3, with Beam's S3
    options where given (endpoint, credentials, region), else boto3's own configuration."""

    def __init__(self, url: str, options=None):
        import boto3
        self.bucket, self.key = _split(url)
        kwargs = {}
        if options is not None:
            from apache_beam.options.pipeline_options import S3Options
            s3 = options.view_as(S3Options)
            kwargs = {k: v for k, v in {
                "endpoint_url": s3.s3_endpoint_url, "region_name": s3.s3_region_name,
                "aws_access_key_id": s3.s3_access_key_id,
                "aws_secret_access_key": s3.s3_secret_access_key,
                "aws_session_token": s3.s3_session_token}.items() if v}
        self.client = boto3.client("s3", **kwargs)

    def _conflict(self, exc) -> bool:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
        return code in ("PreconditionFailed", "ConditionalRequestConflict", "NoSuchKey", "412",
                        "409", "404")

    def read(self) -> Optional[Tuple[bytes, str]]:
        try:
            got = self.client.get_object(Bucket=self.bucket, Key=self.key)
        except self.client.exceptions.NoSuchKey:
            return None
        return got["Body"].read(), got["ETag"]

    def write(self, data: bytes, version: Optional[str]) -> str:
        """Writes if the object is at `version` (None: if there is no object); its new version."""
        from botocore.exceptions import ClientError
        condition = {"IfNoneMatch": "*"} if version is None else {"IfMatch": version}
        try:
            put = self.client.put_object(Bucket=self.bucket, Key=self.key, Body=data, **condition)
        except ClientError as exc:
            if self._conflict(exc):
                raise Conflict(str(exc)) from None
            raise
        return put["ETag"]


class GcsStore:
    """The lock object on Cloud Storage through google-cloud-storage (generation match)."""

    def __init__(self, url: str, options=None):
        from google.cloud import storage
        project = None
        if options is not None:
            from apache_beam.options.pipeline_options import GoogleCloudOptions
            project = options.view_as(GoogleCloudOptions).project
        bucket, self.key = _split(url)
        self.bucket = storage.Client(project=project).bucket(bucket)

    def read(self) -> Optional[Tuple[bytes, str]]:
        from google.api_core.exceptions import NotFound, PreconditionFailed
        for _ in range(3):   # the object may change between its metadata and its bytes
            blob = self.bucket.get_blob(self.key)
            if blob is None:
                return None
            try:
                return blob.download_as_bytes(if_generation_match=blob.generation), str(blob.generation)
            except (NotFound, PreconditionFailed):
                continue
        raise Conflict(f"{self.key} kept changing while read")

    def write(self, data: bytes, version: Optional[str]) -> str:
        from google.api_core.exceptions import NotFound, PreconditionFailed
        blob = self.bucket.blob(self.key)
        try:
            blob.upload_from_string(data, content_type="application/json",
                                    if_generation_match=0 if version is None else int(version))
        except (PreconditionFailed, NotFound) as exc:
            raise Conflict(str(exc)) from None
        return str(blob.generation)


def store_for(out_dir: str, options=None):
    url = f"{out_dir.rstrip('/')}/{LOCK_OBJECT}"
    scheme = out_dir.split("://", 1)[0].lower()
    if scheme == "s3":
        return S3Store(url, options)
    if scheme == "gs":
        return GcsStore(url, options)
    return None


# ---------------------------------------------------------------- the lease

def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def holder_text(info: dict) -> str:
    if info.get("job"):   # a streaming job's lease (pipeline/job_lease.py)
        return (f"the streaming job of run {info['job']} (launched from {info.get('host')}, "
                f"started {info.get('started')}, lease until {info.get('until')})")
    return (f"pid {info.get('pid')} on {info.get('host')} ({info.get('command')}, started "
            f"{info.get('started')}, lease until {info.get('until')})")


def job_record(job: str, started: str, until: dt.datetime) -> bytes:
    """The lock object's bytes while the streaming job of run `job` holds the lease."""
    info = {"job": job, "command": "streaming job", "host": socket.gethostname(),
            "started": started, "until": until.isoformat()}
    return json.dumps(info).encode("utf-8") + b"\n"


def state_of(raw: Optional[bytes], now: dt.datetime, skew: float = SKEW_SECONDS
             ) -> Tuple[str, dict]:
    """("free" | "held" | "expired" | "unreadable", the record) of the lock object's bytes."""
    if raw is None:
        return "free", {}
    try:
        info = json.loads(raw.decode("utf-8"))
        until = dt.datetime.fromisoformat(info["until"]) if info.get("until") else None
    except (ValueError, KeyError, TypeError, AttributeError):
        return "unreadable", {}
    if not isinstance(info, dict) or info.get("released"):
        return "free", info if isinstance(info, dict) else {}
    if until is None or until.tzinfo is None:
        return "unreadable", info
    if now > until + dt.timedelta(seconds=skew):
        return "expired", info
    return "held", info


class OutputLease:
    """The held lease of one output folder on an object store; release() frees it."""

    def __init__(self, out_dir: str, command: str, store, lease_seconds: float = LEASE_SECONDS,
                 renew_seconds: float = RENEW_SECONDS, on_lost: Optional[Callable[[], None]] = None,
                 replaces_job: bool = False):
        self.out_dir = out_dir
        self.command = command
        # launching a streaming job's update (Dataflow --update, a Flink savepoint restore):
        # the running job's lease is taken over, as that job is being replaced
        self.replaces_job = replaces_job
        self.store = store
        self.lease_seconds = lease_seconds
        self.renew_seconds = renew_seconds
        self.on_lost = on_lost      # called (from the renewing thread) when the lease is lost
        self.until = _now()         # the end of the lease as last written
        self.version: Optional[str] = None
        self.took_over = ""
        self.lost = ""
        self.token = uuid.uuid4().hex
        self.started = _now().isoformat(timespec="seconds")
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def _record(self, released: bool = False) -> bytes:
        self.pending_until = _now() + dt.timedelta(seconds=self.lease_seconds)
        info = {"pid": os.getpid(), "host": socket.gethostname(), "command": self.command,
                "started": self.started, "token": self.token,
                "until": self.pending_until.isoformat()}
        if released:
            info["released"] = _now().isoformat(timespec="seconds")
        return json.dumps(info).encode("utf-8") + b"\n"

    def acquire(self) -> "OutputLease":
        from cfnews.pipeline.lock import OutputLocked
        for _ in range(5):   # a race lost to a release or another taker: look again
            current = self.store.read()
            raw, version = current if current is not None else (None, None)
            state, info = state_of(raw, _now())
            if state == "held" and self.replaces_job and info.get("job"):
                state = "replaced"
            if state == "held":
                raise OutputLocked(
                    f"{self.out_dir} is being written by another cfnews run: {holder_text(info)}. "
                    "One writer per output folder: wait for it to finish (or stop it), then run "
                    f"again; a run that was killed frees it when its lease ends.")
            if state == "unreadable":
                raise OutputLocked(
                    f"{self.out_dir}/{LOCK_OBJECT} is not a cfnews lock ({(raw or b'')[:120]!r}): "
                    "if no cfnews run is writing there, delete it and run again.")
            try:
                self.version = self.store.write(self._record(), version)
            except Conflict:
                continue
            self.until = self.pending_until
            if state == "expired":
                self.took_over = holder_text(info)
                log.warning("%s: taking over the lease of %s, which ended without being "
                            "released", self.out_dir, self.took_over)
            elif state == "replaced":
                log.warning("%s: taking over the lease of %s, which this launch replaces "
                            "(an update)", self.out_dir, holder_text(info))
            self._thread = threading.Thread(target=self._renew, name="cfnews-lease", daemon=True)
            self._thread.start()
            return self
        raise OutputLocked(f"{self.out_dir}: the lock changed hands on every attempt; "
                           "another run is starting there")

    def _renew(self) -> None:
        while not self._stop.wait(self.renew_seconds):
            try:
                self.version = self.store.write(self._record(), self.version)
                self.until = self.pending_until
            except Conflict:
                try:
                    current = self.store.read()
                except Exception:
                    current = None
                _, info = state_of(current[0] if current else None, _now())
                self._lose(holder_text(info) if info else "nobody (the object is gone)")
                return
            except Exception as exc:   # the store unreachable for a while: try again
                if _now() > self.until:
                    self._lose(f"nobody known: it ended at {self.until.isoformat()} while it "
                               f"could not be renewed ({type(exc).__name__}: {exc})")
                    return
                log.warning("%s: cannot renew the writer lease (%s: %s); retrying",
                            self.out_dir, type(exc).__name__, exc)

    def _lose(self, to: str) -> None:
        self.lost = to
        log.error("%s: this run's writer lease was lost to %s: two runs may now write the "
                  "folder; this run stops", self.out_dir, to)
        if self.on_lost is not None:
            self.on_lost()

    def hand_over(self, job: str, lease_seconds: float) -> None:
        """Gives the lease to the streaming job of run `job`, which renews it from then on
        (pipeline/job_lease.py): this process stops renewing it. release() then frees it only
        if `job_started()` was not called (its submission failed)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self.lost or self.version is None:
            return
        self.version = self.store.write(job_record(
            job, self.started, _now() + dt.timedelta(seconds=lease_seconds)), self.version)

    def job_started(self) -> None:
        """The job the lease was handed to runs: release() leaves the lease to it."""
        self.version = None

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self.lost or self.version is None:
            return
        try:
            self.store.write(self._record(released=True), self.version)
        except Exception as exc:   # its lease ends by itself
            log.warning("%s: cannot release the writer lease (%s); it ends at the latest in "
                        "%.0f s", self.out_dir, exc, self.lease_seconds)
        self.version = None
