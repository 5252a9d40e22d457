"""The process's one timer thread (transforms/timers.py), shared by request deadlines and
the fetch scheduler's wake-ups."""
import threading
import time

from cfnews.transforms.timers import TIMERS


def test_timers_run_in_time_order_skip_cancelled_ones_and_survive_a_failing_callback():
    calls, done = [], threading.Event()
    now = time.monotonic()

    def boom():
        calls.append("boom")
        raise RuntimeError("a failing callback")

    TIMERS.call_at(now + 0.20, lambda: (calls.append("late"), done.set()))
    TIMERS.call_at(now + 0.05, boom)
    TIMERS.call_at(now + 0.10, lambda: calls.append("cancelled")).cancel()
    TIMERS.call_at(now + 0.15, lambda: calls.append("second"))
    assert done.wait(5)
    assert calls == ["boom", "second", "late"]
    assert time.monotonic() - now >= 0.2


def test_a_request_deadline_and_a_scheduler_wake_up_share_the_thread():
    from cfnews.transforms import http, inflight  # noqa: F401  (both use TIMERS)
    TIMERS.call_at(time.monotonic(), lambda: None)
    names = [t.name for t in threading.enumerate() if t.name == "cfnews-timers"]
    assert names == ["cfnews-timers"]
