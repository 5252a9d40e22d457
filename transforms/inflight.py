"""Many requests in flight per worker, results in input order.

Fetching is waiting, so a worker keeps up to `max_in_flight` fetches running on a
process-wide thread pool while its own thread goes on with the next elements (and with the
CPU work downstream: extraction never runs on these threads). Per host, at most
`per_host` of a bundle's fetches are handed to the pool at once, so a slow or rate-limiting
host holds a few threads, never the pool: other hosts' entries keep going. Waits hold no
thread: a host paused by Retry-After or backoff gets nothing dispatched until the pause ends,
and a fetch that must retry later gives its thread back and is run again when due. The
politeness rules themselves (per-host concurrency, minimum delay and pauses across every
thread of the process, deadlines) are enforced by transforms/http.py on every request.

`ConcurrentStageDoFn` is the Beam side: `process` submits and emits whatever has finished,
`finish_bundle` emits the rest as it finishes — each result as a WindowedValue with its
input's timestamp, windows and pane, so batch and streaming graphs get the same elements as
from a one-at-a-time DoFn. A PCollection has no order, and nothing downstream depends on
arrival order (dedup orders by publication time and id), so results are emitted as they
finish: the worker's thread extracts finished pages while slow ones are still waited for,
instead of idling behind the slowest at the head. `run_in_order` (plain functions) keeps
input order."""
from __future__ import annotations

import collections
import concurrent.futures
import heapq
import itertools
import logging
import os
import threading
import time
from typing import Any, Callable, Deque, Dict, List, Optional, Tuple

import apache_beam as beam
from apache_beam.pvalue import TaggedOutput

from cfnews.schemas import Rejected
from cfnews.transforms import http
from cfnews.transforms.common import REJECTED, count, distribution, internal_error_row
from cfnews.transforms.netguard import parse_target
from cfnews.transforms.timers import TIMERS

log = logging.getLogger(__name__)

_executor_lock = threading.Lock()
_executor: Optional[concurrent.futures.ThreadPoolExecutor] = None
_executor_key: Tuple[int, int] = (0, 0)


def shared_executor(threads: int) -> concurrent.futures.ThreadPoolExecutor:
    """The process's fetch threads (one pool per process; a forked worker makes its own)."""
    global _executor, _executor_key
    with _executor_lock:
        key = (os.getpid(), threads)
        if _executor is None or _executor_key[0] != key[0] or _executor_key[1] < threads:
            _executor = concurrent.futures.ThreadPoolExecutor(
                max_workers=max(1, threads), thread_name_prefix="cfnews-fetch")
            _executor_key = key
        return _executor


def host_of(url: str) -> str:
    try:
        return parse_target(url).authority
    except ValueError:
        return ""




class HostScheduler:
    """Runs callables on a shared pool, at most `per_host` per host and `max_in_flight` in
    all at once, hosts taking turns; submit() returns a Future.

    Waits never hold a thread or a host's share: a host paused by Retry-After or backoff
    (transforms/http.py) gets nothing dispatched until the pause ends, and a task whose fetch
    must retry later (http.RetryLater) gives its thread and share back and is run again, ahead
    of its host's queue, when due. Meanwhile other hosts' tasks run."""

    def __init__(self, max_in_flight: int, per_host: int,
                 executor: Optional[concurrent.futures.Executor] = None):
        self.max_in_flight = max(1, max_in_flight)
        self.per_host = max(1, per_host)
        self._executor = executor or shared_executor(self.max_in_flight)
        self._lock = threading.Lock()
        self._queues: "collections.OrderedDict[str, Deque]" = collections.OrderedDict()
        self._active: Dict[str, int] = collections.Counter()
        self._total = 0
        self._delayed: List[tuple] = []     # heap: (due, order, host, task) of retries
        self._order = itertools.count()
        self._wake_at = float("inf")        # the earliest wake-up asked of TIMERS

    def submit(self, host: str, fn: Callable[[], Any]) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()
        with self._lock:
            self._queues.setdefault(host, collections.deque()).append(
                (fn, future, http.RetryTask()))
            ready = self._dispatchable()
        self._start(ready)
        return future

    def _dispatchable(self) -> List[tuple]:
        now = time.monotonic()
        while self._delayed and self._delayed[0][0] <= now:  # due retries go first
            _due, _order, host, task = heapq.heappop(self._delayed)
            self._queues.setdefault(host, collections.deque()).appendleft(task)
        wake = self._delayed[0][0] if self._delayed else float("inf")
        ready = []
        progress = True
        while progress and self._total < self.max_in_flight:
            progress = False
            for host in list(self._queues):  # one per host per turn: hosts interleave
                if self._total >= self.max_in_flight:
                    break
                queue = self._queues[host]
                if queue and self._active[host] < self.per_host:
                    paused = http.paused_until(host)
                    if paused > now:  # nothing for this host until its pause ends
                        wake = min(wake, paused)
                        continue
                    fn, future, task = queue.popleft()
                    self._active[host] += 1
                    self._total += 1
                    ready.append((host, fn, future, task))
                    progress = True
                if not queue:
                    del self._queues[host]
        if wake < self._wake_at or self._wake_at <= now:
            if wake < float("inf"):
                self._wake_at = wake
                TIMERS.call_at(wake, self._wake)
        return ready

    def _wake(self) -> None:
        with self._lock:
            self._wake_at = float("inf")
            ready = self._dispatchable()
        self._start(ready)

    def _start(self, ready: List[tuple]) -> None:
        for host, fn, future, task in ready:
            self._executor.submit(self._run, host, fn, future, task)

    def _run(self, host, fn, future, task) -> None:
        retry_at = None
        try:
            if future.running() or future.set_running_or_notify_cancel():
                try:
                    with http.rescheduling(task):
                        result = fn()
                    future.set_result(result)
                except http.RetryLater as later:  # run again when due, not on this thread
                    retry_at = later.at
                except BaseException as exc:  # handed to the caller through the future
                    future.set_exception(exc)
        finally:
            with self._lock:
                self._active[host] -= 1
                self._total -= 1
                if retry_at is not None:
                    heapq.heappush(self._delayed, (retry_at, next(self._order), host,
                                                   (fn, future, task)))
                ready = self._dispatchable()
            self._start(ready)


def run_in_order(items: List[Tuple[str, Callable[[], Any]]], max_in_flight: int,
                 per_host: int) -> List[Any]:
    """Run (host, fn) pairs concurrently; their results (or exceptions) in input order."""
    scheduler = HostScheduler(max_in_flight, per_host)
    futures = [scheduler.submit(host, fn) for host, fn in items]
    results = []
    for future in futures:
        try:
            results.append(future.result())
        except Exception as exc:
            results.append(exc)
    return results


class ConcurrentStageDoFn(beam.DoFn):
    """A stage whose per-element work is I/O: `work(element)` (a plain function returning a
    list of results and Rejected rows, run on the fetch threads) and `host(element)` (whose
    per-host share it counts against). `after(element, results)` runs on the DoFn's thread
    (counters live there). Outputs as a StageDoFn's: Rejected rows to REJECTED, counted."""

    stage = None  # a schemas.Stage

    def __init__(self, max_in_flight: int, per_host: int):
        self.max_in_flight = max_in_flight
        self.per_host = per_host
        self._pending: Deque = collections.deque()
        self._scheduler: Optional[HostScheduler] = None

    def work(self, element) -> List[Any]:
        raise NotImplementedError

    def host(self, element) -> str:
        return ""

    def after(self, element, results: List[Any]) -> None:
        pass

    def divert(self, element) -> Optional[Tuple[str, Any]]:
        """(tag, value) to send an element elsewhere at once, its work not done (the fetch's
        entries earlier runs failed, which wait for their due time: transforms/fetch.py);
        None, the default: worked on."""
        return None

    def route(self, element, result) -> Optional[Tuple[str, Any]]:
        """(tag, value) to send a result elsewhere than the main or REJECTED output (the
        fetch's in-job retries, transforms/fetch.py); None, the default: routed as usual."""
        return None

    def _timed_work(self, element):
        """(results, milliseconds): timed on the pool's thread, recorded on the DoFn's
        (Beam metrics belong to the thread that processes the bundle)."""
        started = time.perf_counter()
        results = self.work(element)
        if not isinstance(results, list):  # a list is kept as it is (its type may carry counts)
            results = list(results)
        return results, (time.perf_counter() - started) * 1000

    def start_bundle(self):
        self._scheduler = HostScheduler(self.max_in_flight, self.per_host)
        self._pending = collections.deque()

    def process(self, element, windowed=beam.DoFn.WindowedValueParam):
        diverted = self.divert(element)
        if diverted is not None:
            yield TaggedOutput(diverted[0], windowed.with_value(diverted[1]))
            return
        if self._scheduler is None:
            self.start_bundle()
        self._pending.append((windowed, self._scheduler.submit(
            self.host(element), lambda: self._timed_work(element))))
        # emit what has finished; never hold more than a few pools' worth of elements
        limit = 4 * self.max_in_flight
        if len(self._pending) > limit:
            concurrent.futures.wait([f for _, f in self._pending],
                                    return_when=concurrent.futures.FIRST_COMPLETED)
        yield from self._emit_done()

    def finish_bundle(self):
        while self._pending:
            concurrent.futures.wait([f for _, f in self._pending],
                                    return_when=concurrent.futures.FIRST_COMPLETED)
            yield from self._emit_done()
        self._scheduler = None

    def _emit_done(self):
        done = [item for item in self._pending if item[1].done()]
        if done:
            self._pending = collections.deque(item for item in self._pending if not item[1].done()
                                              or item not in done)
            for windowed, future in done:
                yield from self._emit(windowed, future)

    def _emit(self, windowed, future):
        element = windowed.value
        try:
            results, elapsed_ms = future.result()
            distribution("cfnews.stage_ms", self.stage.value, elapsed_ms)
        except Exception as exc:  # a stage must never crash the pipeline on one element
            results = [internal_error_row(element, self.stage, exc)]
        self.after(element, results)
        for result in results:
            routed = self.route(element, result)
            if routed is not None:
                yield TaggedOutput(routed[0], windowed.with_value(routed[1]))
            elif isinstance(result, Rejected):
                count("cfnews.rejected", f"{result.stage}.{result.reason}")
                yield TaggedOutput(REJECTED, windowed.with_value(result))
            else:
                count("cfnews.stage_out", self.stage.value)
                yield windowed.with_value(result)
