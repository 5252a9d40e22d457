"""One writer per output folder: an exclusive lock that every writing command takes on DIR.

Local filesystems: DIR/.cfnews.lock, locked with a POSIX record lock (fcntl F_SETLK) and
holding the holder's pid, host, command and start time. The kernel drops the lock when its
process dies, however it dies (kill -9 included), so a lock left by a dead run is free: the
next run takes it over and warns, naming the dead holder. POSIX locks are not inherited by
forked children (Beam's worker processes), so a worker outliving a killed run cannot keep the
folder locked. The file is never deleted (deleting a locked file lets two processes lock two
different files): an unheld lock is an empty file.

Object stores (gs://, s3://) have no such lock: there the lock is a lease object of the same
name kept with conditional writes (pipeline/lease.py)."""
from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import json
import logging
import os
import socket
from typing import Iterator, Optional

log = logging.getLogger(__name__)

LOCK_FILE = ".cfnews.lock"
# The exit status of a command that found its output folder locked by another run
# (EX_TEMPFAIL of sysexits.h: try again later).
from cfnews.pipeline.exit_codes import OUTPUT_LOCKED as EXIT_LOCKED  # noqa: E402  (one table)


class OutputLocked(RuntimeError):
    """Another live process holds DIR's lock."""


def lock_path(out_dir: str) -> str:
    return os.path.join(out_dir, LOCK_FILE)


def _holder_text(raw: bytes) -> str:
    try:
        info = json.loads(raw.decode("utf-8"))
        return (f"pid {info['pid']} on {info['host']} ({info['command']}, started "
                f"{info['started']})")
    except (ValueError, KeyError, TypeError):
        return "an unidentified process" if not raw.strip() else f"{raw[:200]!r}"


def _read_all(fd: int) -> bytes:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _holder_record(fd: int, wait_s: float = 1.0) -> bytes:
    """The lock file's content as its holder wrote it. A holder takes the lock, then writes
    who it is: a run that lost the race by a moment would read an empty file, so it waits
    (briefly) for the record before naming the holder."""
    import time
    deadline = time.monotonic() + wait_s
    raw = _read_all(fd)
    while not raw.strip() and time.monotonic() < deadline:
        time.sleep(0.02)
        raw = _read_all(fd)
    return raw


class OutputLock:
    """The held lock of one output folder; release() (or process death) frees it."""

    def __init__(self, out_dir: str, command: str):
        self.out_dir = out_dir
        self.command = command
        self.fd: Optional[int] = None
        self.took_over: str = ""

    def acquire(self) -> "OutputLock":
        os.makedirs(self.out_dir, exist_ok=True)
        path = lock_path(self.out_dir)
        # O_NOFOLLOW: a symlink planted at the lock's place must not redirect the write
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        try:
            if not os.path.isfile(path) or not os.path.samestat(os.fstat(fd), os.lstat(path)):
                raise OutputLocked(f"{path} is not a regular file")
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno not in (errno.EACCES, errno.EAGAIN):
                    raise
                holder = _holder_text(_holder_record(fd))
                raise OutputLocked(
                    f"{self.out_dir} is being written by another cfnews run: {holder}. "
                    "One writer per output folder: wait for it to finish (or stop it), "
                    "then run again.") from None
            previous = _read_all(fd)
            if previous.strip():  # its holder died without releasing: the kernel freed it
                self.took_over = _holder_text(previous)
                log.warning("%s: taking over the lock of %s, which is no longer running",
                            path, self.took_over)
            info = {"pid": os.getpid(), "host": socket.gethostname(), "command": self.command,
                    "started": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(info).encode("utf-8") + b"\n", 0)
            os.fsync(fd)
        except BaseException:
            os.close(fd)  # closing drops a POSIX lock this process may hold on the file
            raise
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is None:
            return
        try:
            os.ftruncate(self.fd, 0)  # an unheld lock is an empty file
        finally:
            os.close(self.fd)         # drops the lock
            self.fd = None


@contextlib.contextmanager
def hold_output(out_dir: str, command: str, beam_args=()) -> Iterator[Optional[object]]:
    """Hold DIR's writer lock for the duration of the block: a POSIX lock on a local folder, a
    lease object on gs:// and s3:// (pipeline/lease.py; the store's client from `beam_args`,
    else its environment)."""
    if "://" in out_dir:
        with _hold_lease(out_dir, command, beam_args) as lease:
            yield lease
        return
    lock = OutputLock(out_dir, command).acquire()
    if lock.took_over:
        _warn_took_over(command, lock.took_over, "a run was killed; its leftovers are "
                        "reconciled at start-up")
    try:
        yield lock
    finally:
        lock.release()


def _warn_took_over(command: str, holder: str, why: str) -> None:
    import sys
    print(f"cfnews {command}: warning: took over the lock of {holder}, which is no longer "
          f"running ({why})", file=sys.stderr)


@contextlib.contextmanager
def _hold_lease(out_dir: str, command: str, beam_args) -> Iterator[Optional[object]]:
    from apache_beam.options.pipeline_options import PipelineOptions
    from cfnews.pipeline.lease import OutputLease, store_for
    from cfnews.pipeline.runner import is_dry_run
    options = PipelineOptions(list(beam_args))
    if is_dry_run(options):   # translated, not run: writes nothing, and may not reach the store
        yield None
        return
    try:
        store = store_for(out_dir, options)
    except ImportError as exc:   # no client for this store: Beam cannot write there either
        log.warning("%s: no writer lease (%s)", out_dir, exc)
        store = None
    if store is None:
        yield None
        return
    def stop_this_run():   # as a scheduler would: the command stops and says why (cli.py)
        import signal
        os.kill(os.getpid(), signal.SIGTERM)
    from apache_beam.options.pipeline_options import GoogleCloudOptions
    replaces_job = bool(options.view_as(GoogleCloudOptions).update) or any(
        str(a).startswith("--savepoint_path") for a in beam_args)   # Flink: passed through
    try:
        lease = OutputLease(out_dir, command, store, on_lost=stop_this_run,
                            replaces_job=replaces_job).acquire()
    except OutputLocked:
        raise
    except Exception as exc:   # the store unreachable or refusing: try again later
        raise OutputLocked(f"cannot take the writer lease {out_dir}/{LOCK_FILE} "
                           f"({type(exc).__name__}: {str(exc)[:300]})") from None
    if lease.took_over:
        _warn_took_over(command, lease.took_over, "its lease ended without a release")
    try:
        yield lease
    finally:
        lease.release()
