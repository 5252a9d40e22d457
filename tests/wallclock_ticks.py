"""Real-time ticks for the BundleBasedDirectRunner in streaming mode.

`PeriodicImpulse` does not run in real time on the local runners (the FnApiRunner holds
windowed output until the source stops; BundleBased + PeriodicImpulse do not mix), so a
scripted `TestStream` cannot show what a streaming runner does over wall-clock time. A
`TestStream` may instead read its events from a TestStream service: this one, on loopback,
emits a tick every `interval` seconds stamped with the wall clock, and advances the watermark
to the wall clock twice a second. Downstream, windows close and files are written as real
time passes, as on a streaming runner.
"""
from __future__ import annotations

import os
import threading
import time

from apache_beam.coders import StrUtf8Coder
from apache_beam.portability.api import beam_runner_api_pb2
from apache_beam.testing.test_stream import TestStream
from apache_beam.testing.test_stream_service import TestStreamServiceController

from tests.ports import reusable_port

_Event = beam_runner_api_pb2.TestStreamPayload.Event
_CODER = StrUtf8Coder()


def _micros(seconds: float) -> int:
    # The direct runner reads TestStream service timestamps as microseconds.
    return int(seconds * 1_000_000)


class _TickReader:
    def __init__(self, interval: float, duration: float, step: float, until=None,
                 longest: float = None):
        self.interval, self.duration, self.step = interval, duration, step
        self.until, self.longest = until, longest
        self.met_at = None
        self.ticks: list = []
        self.stopped = threading.Event()

    def _running(self, start: float) -> bool:
        elapsed = time.time() - start
        if elapsed < self.duration:
            return True
        # past `duration`, go on (to `longest`) until what the caller waits for has happened
        if self.until is None or elapsed >= self.longest:
            return False
        if self.met_at is None:
            if not self.until():
                return True
            self.met_at = time.time()
        # then one tick more (it happened before the last tick), and one interval after that
        # tick with the watermark only, as a run of `duration` ends an interval after its last
        return time.time() - self.met_at < 2 * self.interval

    def _ticking(self) -> bool:
        return self.met_at is None or not self.ticks or self.ticks[-1] < self.met_at

    def read_multiple(self, _tags):
        start = time.time()
        next_tick = start
        while self._running(start) and not self.stopped.is_set():
            now = time.time()
            if now >= next_tick and self._ticking():
                self.ticks.append(now)
                yield _Event(element_event=_Event.AddElements(tag="None", elements=[
                    beam_runner_api_pb2.TestStreamPayload.TimestampedElement(
                        encoded_element=_CODER.encode("tick"), timestamp=_micros(now))]))
                next_tick += self.interval
            yield _Event(watermark_event=_Event.AdvanceWatermark(
                tag="None", new_watermark=_micros(time.time())))
            self.stopped.wait(self.step)


class WallClockTicks:
    """Context manager: `with WallClockTicks(interval=10, duration=120) as ticks:` then
    `p | ticks.source()` is an unbounded PCollection of "tick" strings timestamped with the
    wall clock. After `duration` seconds the stream ends and the watermark goes to infinity;
    with `until` (a callable), the stream goes on past `duration` while `until()` is false, up to
    `longest` seconds: a runner slowed by a loaded machine gets the time it needs to show what
    the test waits for, without a longer run where it is quick."""

    def __init__(self, interval: float, duration: float, step: float = 0.5, until=None,
                 longest: float = None):
        self.reader = _TickReader(interval, duration, step, until,
                                  duration if longest is None else longest)
        # An explicit IPv4 loopback endpoint: Beam's default, "localhost:0", may resolve to
        # an address the runner's gRPC client cannot reach, and the runner reads a stream it
        # cannot open (UNAVAILABLE) as an empty one: a run with no ticks at all.
        self.controller = TestStreamServiceController(
            self.reader, endpoint=f"127.0.0.1:{reusable_port()}")

    def source(self) -> TestStream:
        return TestStream(coder=_CODER, endpoint=self.controller.endpoint)

    @property
    def ticks(self) -> list:
        return list(self.reader.ticks)

    @property
    def was_read(self) -> bool:
        """True once the runner has opened the event stream (a tick is sent at once)."""
        return bool(self.reader.ticks)

    def __enter__(self) -> "WallClockTicks":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.reader.stopped.set()
        self.controller.stop()


class FileArrivals:
    """Context manager recording when each Parquet file first appears in the datasets under
    `root` (staging and state folders excluded): `arrivals[path] = wall-clock time`."""

    def __init__(self, root, every: float = 0.1):
        self.root, self.every = str(root), every
        self.arrivals: dict = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.is_set():
            for folder, _dirs, files in os.walk(self.root):
                if "_staging" in folder or "_state" in folder:
                    continue
                for name in files:
                    if name.endswith(".parquet"):
                        self.arrivals.setdefault(os.path.join(folder, name), time.time())
            self._stop.wait(self.every)

    def __enter__(self) -> "FileArrivals":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
