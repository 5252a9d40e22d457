"""Live progress of a local job: counts arrive from the stages over a Unix datagram socket
(transforms/tally.py) and are shown on one updating line on a terminal (rich), or as a log
line every N seconds off a terminal. `-q` turns both off.

Two steps, because multi_processing forks its worker zygote from the driver only while the
driver has a single thread: `progress_for` (around the whole command) binds the socket and
names it in the environment, which workers inherit; `running` (around `pipeline.run()`, in
pipeline/runner.py) starts the reader and display threads, and stops them when the job ends."""
from __future__ import annotations

import collections
import contextlib
import json
import logging
import os
import socket
import sys
import tempfile
import threading
import time
from typing import Dict, Iterator, Optional

from cfnews.transforms import tally
from cfnews.transforms.feeds import FEED_LEVEL_REASONS as FEED_LEVEL

# cfnews.dedup counters that are not an entry's outcome
DEDUP_BOOKKEEPING = frozenset({"prior_reclassified_ignored", "expired_postings",
                               "hit_after_decision", "decided_with_missing_acks",
                               "chain_not_followed"})

log = logging.getLogger("cfnews.progress")

REFRESH = 0.5  # seconds between terminal updates (the brief: at most 2 s)
_active: Optional["Progress"] = None


class Progress:
    def __init__(self, terminal: bool, every: float, total: Optional[int] = None, stream=None):
        self.terminal = terminal
        self.every = every
        self.total = total          # entries expected (a backfill manifest's lines)
        self.stream = stream or sys.stderr
        self.counts: Dict[str, int] = collections.Counter()
        self.lock = threading.Lock()
        self.folder = tempfile.mkdtemp(prefix="cfnews-progress-")
        self.path = os.path.join(self.folder, "tally.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.2)
        self.started = time.monotonic()
        self.stop = threading.Event()
        self.threads = []

    # -- receiving -----------------------------------------------------------------------
    def _receive(self) -> None:
        while not self.stop.is_set():
            self._drain_once(block=True)

    def _drain_once(self, block: bool) -> bool:
        try:
            data = self.sock.recv(65536) if block else self.sock.recv(65536, socket.MSG_DONTWAIT)
        except (socket.timeout, BlockingIOError):
            return False
        except OSError:
            return False
        try:
            batch = json.loads(data)
        except ValueError:
            return True
        with self.lock:
            for key, n in batch.items():
                self.counts[key] += int(n)
        return True

    # -- figures -------------------------------------------------------------------------
    def figures(self) -> Dict[str, float]:
        with self.lock:
            c = dict(self.counts)
        rejected = sum(n for k, n in c.items() if k.startswith("cfnews.rejected/")
                       and k.split(".", 2)[-1] not in FEED_LEVEL)
        copies = sum(n for k, n in c.items() if k.startswith("cfnews.dedup/")
                     and k.split("/", 1)[1] not in DEDUP_BOOKKEEPING)
        # an entry is done when it leaves the last stage, is rejected, or is a copy
        done = (c.get("cfnews.stage_out/entities", 0) + rejected + copies
                + c.get("cfnews.entries/already_seen", 0))
        elapsed = time.monotonic() - self.started
        out = {
            "discovered": c.get("cfnews.entries/seen", 0),
            "fetched": c.get("cfnews.stage_out/fetch", 0),
            "extracted": c.get("cfnews.stage_out/extract", 0),
            "written": c.get("cfnews.written/articles", 0) + c.get("cfnews.written/duplicates", 0),
            "rejected": rejected,
            "done": done,
            "elapsed": elapsed,
            "rate": done / elapsed if elapsed > 0 else 0.0,
        }
        if self.total and out["rate"] > 0:
            out["eta"] = max(0.0, (self.total - done) / out["rate"])
        return out

    def line(self) -> str:
        f = self.figures()
        text = (f"discovered {f['discovered']} | fetched {f['fetched']} | extracted "
                f"{f['extracted']} | written {f['written']} | rejected {f['rejected']} | "
                f"{f['rate']:.1f}/s | {_clock(f['elapsed'])}")
        if self.total:
            eta = _clock(f["eta"]) if "eta" in f else "--:--"
            text += f" | {f['done']}/{self.total} done, ETA {eta}"
        return text

    # -- showing -------------------------------------------------------------------------
    def _show_terminal(self) -> None:
        from rich.console import Console
        from rich.live import Live
        from rich.text import Text
        console = Console(file=self.stream, force_terminal=True)
        def render():
            return Text(self.line(), no_wrap=True, overflow="ellipsis")
        with Live(render(), console=console, auto_refresh=False, transient=False,
                  redirect_stdout=False, redirect_stderr=False) as live:
            while not self.stop.wait(REFRESH):
                live.update(render(), refresh=True)
            live.update(render(), refresh=True)

    def _log_lines(self) -> None:
        while not self.stop.wait(self.every):
            log.info("progress: %s", self.line())

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        self.stop.clear()
        self.started = time.monotonic()
        self.threads = [threading.Thread(target=self._receive, name="cfnews-progress-in",
                                         daemon=True),
                        threading.Thread(target=self._show_terminal if self.terminal
                                         else self._log_lines, name="cfnews-progress-out",
                                         daemon=True)]
        for thread in self.threads:
            thread.start()
        try:
            yield
        finally:
            tally.flush()  # in_memory: the driver's own last counts
            self.stop.set()
            for thread in self.threads:
                thread.join(timeout=5)
            while self._drain_once(block=False):
                pass

    def close(self) -> None:
        self.sock.close()
        with contextlib.suppress(OSError):
            os.unlink(self.path)
            os.rmdir(self.folder)


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def manifest_lines(path: Optional[str]) -> Optional[int]:
    """Non-blank lines of a backfill manifest (for the ETA), or None if it cannot be read."""
    if not path:
        return None
    from apache_beam.io.filesystems import FileSystems
    try:
        with FileSystems.open(path) as handle:
            return sum(1 for line in handle if line.strip())
    except Exception:
        return None


@contextlib.contextmanager
def progress_for(args, manifest: Optional[str] = None) -> Iterator[Optional[Progress]]:
    """The progress of one command (None with --quiet). Beam's own counters stay as they are
    for distributed runners, which show them in their own UI."""
    global _active
    if getattr(args, "quiet", False):
        yield None
        return
    progress = Progress(terminal=sys.stderr.isatty(), every=getattr(args, "progress_every", 30.0),
                        total=manifest_lines(manifest))
    previous_env = os.environ.get(tally.ENV)
    os.environ[tally.ENV] = progress.path
    _active = progress
    try:
        yield progress
    finally:
        _active = None
        if previous_env is None:
            os.environ.pop(tally.ENV, None)
        else:
            os.environ[tally.ENV] = previous_env
        progress.close()


@contextlib.contextmanager
def running() -> Iterator[None]:
    """Around a job's run: shows progress if the command asked for it, else does nothing."""
    if _active is None:
        yield
        return
    with _active.running():
        yield
