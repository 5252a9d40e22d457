"""A side channel for live progress: counts sent from wherever a stage runs (the driver's
threads in `in_memory` mode, SDK worker processes in `multi_processing`) to the local driver
that shows them. Beam's own metrics reach the driver only when the job ends.

Inert unless the driver sets CFNEWS_PROGRESS_SOCKET to the path of a Unix datagram socket
(pipeline/progress.py does, for local runs); on Dataflow and other distributed runners the
Beam counters and distributions are the progress. No thread: counts are batched and sent at
most every SEND_EVERY seconds from the counting thread, and at the end of each bundle."""
from __future__ import annotations

import collections
import json
import os
import socket
import threading
import time

ENV = "CFNEWS_PROGRESS_SOCKET"
SEND_EVERY = 0.2  # seconds


class _Sender:
    def __init__(self, path: str):
        self.path = path
        self.pid = os.getpid()
        self.lock = threading.Lock()
        self.pending: collections.Counter = collections.Counter()
        self.last_sent = time.monotonic()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setblocking(False)  # a slow reader drops progress, never slows the job

    def add(self, key: str, n: int) -> None:
        with self.lock:
            self.pending[key] += n
            due = time.monotonic() - self.last_sent >= SEND_EVERY
        if due:
            self.flush()

    def flush(self) -> None:
        with self.lock:
            if not self.pending:
                return
            payload, self.pending = dict(self.pending), collections.Counter()
            self.last_sent = time.monotonic()
        try:
            self.sock.sendto(json.dumps(payload).encode(), self.path)
        except OSError:  # the driver is gone or its queue is full: progress only, not data
            pass


_sender = None
_sender_lock = threading.Lock()


def _current():
    global _sender
    path = os.environ.get(ENV)
    if not path:
        return None
    sender = _sender
    if sender is None or sender.pid != os.getpid() or sender.path != path:
        with _sender_lock:  # first use in this process (a forked worker starts afresh)
            if _sender is None or _sender.pid != os.getpid() or _sender.path != path:
                _sender = _Sender(path)
            sender = _sender
    return sender


def add(namespace: str, name: str, n: int = 1) -> None:
    sender = _current()
    if sender is not None:
        sender.add(f"{namespace}/{name}", n)


def flush() -> None:
    sender = _current()
    if sender is not None:
        sender.flush()
