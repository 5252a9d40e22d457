"""One timer thread per process: calls a callback at a given monotonic time.

Shared by the request deadlines (transforms/http.py: shut a socket down when its request's
total deadline passes) and the fetch scheduler (transforms/inflight.py: wake up when a paused
host may go on or a retry is due). Callbacks run on the timer thread, so they must be short;
one that raises is logged and the thread goes on."""
from __future__ import annotations

import heapq
import itertools
import logging
import os
import threading
import time
from typing import Callable, List

log = logging.getLogger(__name__)


class Timer:
    """A scheduled call; cancel() before it is due and it never runs."""
    __slots__ = ("when", "callback", "cancelled")

    def __init__(self, when: float, callback: Callable[[], None]):
        self.when, self.callback, self.cancelled = when, callback, False

    def cancel(self) -> None:
        self.cancelled = True


class Timers:
    def __init__(self):
        self._cond = threading.Condition()
        self._heap: List[tuple] = []
        self._order = itertools.count()
        self._pid = None

    def call_at(self, when: float, callback: Callable[[], None]) -> Timer:
        timer = Timer(when, callback)
        with self._cond:
            if self._pid != os.getpid():  # first use, or a forked worker: its own thread
                self._pid, self._heap = os.getpid(), []
                threading.Thread(target=self._run, name="cfnews-timers", daemon=True).start()
            heapq.heappush(self._heap, (when, next(self._order), timer))
            self._cond.notify()
        return timer

    def pending(self) -> int:
        """Timers not yet run nor cancelled (for tests)."""
        with self._cond:
            return sum(1 for _when, _n, timer in self._heap if not timer.cancelled)

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._heap and self._heap[0][2].cancelled:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait()
                    continue
                wait = self._heap[0][0] - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                timer = heapq.heappop(self._heap)[2]
            try:
                timer.callback()
            except Exception:  # one failing callback must not stop every later timer
                log.exception("timer callback failed")


TIMERS = Timers()
