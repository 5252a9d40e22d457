"""Retry-After and backoff pause only the host concerned, host-wide (issue 16), over loopback
hosts 127.0.0.2.. : every queued request to that host waits for the pause, other hosts go on
(even with a single fetch thread: a retry's wait holds no thread), the retry runs first when
the pause ends, and the request's total deadline spans its rescheduled attempts. Arrival
times are measured by the servers."""
import threading
import time

import pytest

from cfnews.schemas import Page, Rejected
from cfnews.transforms import http
from cfnews.transforms.fetch import fetch_page
from cfnews.transforms.http import FetchError, HttpConfig, http_get
from cfnews.transforms.inflight import run_in_order
from tests.conftest import article_html, respond
from tests.loopback_hosts import start_hosts
from tests.test_netguard import entry

# wall-clock bounds: run in the test command's serial pass, not beside other tests
pytestmark = pytest.mark.timing

PAGE = article_html("T", ["A page that extracts."]).encode()


@pytest.fixture
def hosts():
    started = start_hosts(2)
    yield started
    for host in started:
        host.stop()


def config_for(hosts, **overrides):
    values = dict(allow_hosts=tuple(h.host_port for h in hosts), min_host_delay=0.0,
                  max_retries=1, respect_robots=False, per_host_concurrency=2,
                  total_timeout=10.0)
    values.update(overrides)
    return HttpConfig(**values)


def fails_first(host, path, status, headers, then=None):
    """`path` answers `status` once (the time it did goes to the returned list), then the
    page (or `then(handler)`)."""
    failed_at = []

    def route(handler):
        if not failed_at:
            failed_at.append(time.monotonic())
            respond(handler, status, dict({"Content-Type": "text/plain"}, **headers), b"no")
        elif then is not None:
            then(handler)
        else:
            respond(handler, 200, {"Content-Type": "text/html; charset=utf-8"}, PAGE)
    host.handlers[path] = route
    return failed_at


def add_slow_page(host, path, seconds=0.4):
    """`path` answers the page after `seconds`: a request sent on the host's other connection
    just before the client has read the failure stays in flight until the client has surely
    read it, so the test does not depend on how fast this machine runs the client."""
    def route(handler):
        time.sleep(seconds)
        respond(handler, 200, {"Content-Type": "text/html; charset=utf-8"}, PAGE)
    host.handlers[path] = route


def starts_of(host, skip_path=None):
    return [(t, p) for t, p in zip(host.starts, host.paths) if p != skip_path]


def fetch_all(items, config, max_in_flight):
    return run_in_order([(h.host_port, lambda u=u: fetch_page(entry(u), config))
                         for h, u in items], max_in_flight=max_in_flight, per_host=2)


def test_retry_after_holds_every_queued_request_to_that_host(hosts):
    busy, other = hosts
    failed_at = fails_first(busy, "/busy", 503, {"Retry-After": "2"})
    for i in range(6):
        add_slow_page(busy, f"/a{i}")
        other.add(f"/b{i}", PAGE)
    items = [(busy, busy.url("/busy"))] + [(busy, busy.url(f"/a{i}")) for i in range(6)] \
        + [(other, other.url(f"/b{i}")) for i in range(6)]
    results = fetch_all(items, config_for(hosts), max_in_flight=8)
    assert all(isinstance(r, Page) for r in results), results
    t503 = failed_at[0]
    # after its 503, the host got at most the one request already sent on its other
    # connection; the rest came once the 2 s had passed (before, that connection went on
    # fetching during the wait)
    later = [(round(t - t503, 2), p) for t, p in starts_of(busy) if t > t503]
    in_flight = [(dt, p) for dt, p in later if dt < 0.15]
    held = [(dt, p) for dt, p in later if dt >= 0.15]
    assert len(in_flight) <= 1 and held and all(dt >= 1.95 for dt, _ in held), later
    # the retry is dispatched first when the pause ends (with the host's other connection
    # starting at once, either may reach the server first)
    assert "/busy" in [p for _, p in held[:2]], held
    # the other host was not held up at all
    assert max(other.starts) < t503 + 1.0, [round(t - t503, 2) for t in other.starts]
    assert busy.peak <= 2 and other.peak <= 2


def test_a_waiting_retry_holds_no_fetch_thread(hosts):
    busy, other = hosts
    failed_at = fails_first(busy, "/busy", 429, {"Retry-After": "2"})
    for i in range(5):
        other.add(f"/b{i}", PAGE)
    items = [(busy, busy.url("/busy"))] + [(other, other.url(f"/b{i}")) for i in range(5)]
    # one fetch thread for everything: before, it slept through the 2 s and the other host's
    # pages waited behind it
    results = fetch_all(items, config_for(hosts), max_in_flight=1)
    assert all(isinstance(r, Page) for r in results), results
    t429 = failed_at[0]
    assert len(other.starts) == 5 and max(other.starts) < t429 + 1.5, \
        [round(t - t429, 2) for t in other.starts]
    assert busy.paths == ["/busy", "/busy"] and busy.starts[1] - t429 >= 1.95


def test_backoff_after_an_overloaded_answer_pauses_the_host(hosts):
    flaky, other = hosts
    failed_at = fails_first(flaky, "/flaky", 503, {})  # overloaded, no Retry-After: backoff
    for i in range(6):
        add_slow_page(flaky, f"/a{i}")
        other.add(f"/b{i}", PAGE)
    items = [(flaky, flaky.url("/flaky"))] + [(flaky, flaky.url(f"/a{i}")) for i in range(6)] \
        + [(other, other.url(f"/b{i}")) for i in range(6)]
    # backoff 1 s with jitter: the pause lasts 0.5 to 1.5 s
    results = fetch_all(items, config_for(hosts, backoff=1.0), max_in_flight=8)
    assert all(isinstance(r, Page) for r in results), results
    t503 = failed_at[0]
    later = [round(t - t503, 2) for t, _ in starts_of(flaky) if t > t503]
    held = [dt for dt in later if dt >= 0.15]  # (one may have been sent already: see above)
    assert len(later) - len(held) <= 1 and held and min(held) >= 0.45, later
    assert max(other.starts) < t503 + 0.45, [round(t - t503, 2) for t in other.starts]


def test_a_broken_page_delays_only_its_own_retry(hosts):
    """A 500 (or a reset mid-answer) speaks for its URL, not for the server: its retry waits
    out the backoff, while the host's other pages go on at once."""
    flaky, other = hosts
    failed_at = fails_first(flaky, "/broken", 500, {})
    for i in range(6):
        flaky.add(f"/a{i}", PAGE)
    items = [(flaky, flaky.url("/broken"))] + [(flaky, flaky.url(f"/a{i}")) for i in range(6)]
    results = fetch_all(items, config_for(hosts, backoff=1.0), max_in_flight=8)
    assert all(isinstance(r, Page) for r in results), results
    t500 = failed_at[0]
    pages = [t - t500 for t, p in starts_of(flaky) if p.startswith("/a")]
    retry = [t - t500 for t, p in starts_of(flaky) if p == "/broken"][1]
    assert retry >= 0.45, retry  # the backoff was waited out (0.5 to 1.5 s)
    assert max(pages) < 0.4 < retry, ([round(t, 2) for t in pages], round(retry, 2))
    assert http.paused_until(flaky.host_port) < time.monotonic()


def test_which_failures_pause_the_host():
    def error(status=None, retry_after=None, unreachable=False, reason=None):
        from cfnews.schemas import Reason
        return FetchError(reason or (Reason.HTTP_ERROR if status else Reason.CONNECTION_ERROR),
                          "x", status, retry_after=retry_after, unreachable=unreachable)
    assert [error(s).pauses_host for s in (429, 502, 503, 504)] == [True] * 4
    # a CDN says its origin is down, timed out or unreachable: the whole origin
    assert [error(s).pauses_host for s in (521, 522, 523)] == [True] * 3
    assert not error(520).pauses_host and not error(524).pauses_host  # one request's answer
    assert error(500, retry_after=5.0).pauses_host      # the server said when to come back
    assert error(unreachable=True).pauses_host          # refused, DNS, connect timeout
    assert not error(500).pauses_host and not error(501).pauses_host
    assert not error().pauses_host                       # a reset mid-answer


def test_a_pause_holds_requests_made_outside_the_pool_too(hosts):
    busy = hosts[0]
    failed_at = fails_first(busy, "/busy", 503, {"Retry-After": "1"})
    busy.add("/page", PAGE)
    config = config_for(hosts)
    first = threading.Thread(target=http_get, args=(busy.url("/busy"), config))
    first.start()
    deadline = time.monotonic() + 5
    while http.paused_until(busy.host_port) < time.monotonic() and time.monotonic() < deadline:
        time.sleep(0.01)  # until the first request's 503 has paused the host
    assert failed_at, "the first request never reached the server"
    second = http_get(busy.url("/page"), config)  # a plain call on another thread
    first.join()
    assert second.status == 200
    page_start = busy.starts[busy.paths.index("/page")]
    assert page_start - failed_at[0] >= 0.95, page_start - failed_at[0]


def test_a_retry_after_longer_than_the_limit_fails_at_once_and_pauses_nothing(hosts):
    busy = hosts[0]
    busy.add("/closed", b"closed", status=503, headers={"Retry-After": "3600"})
    start = time.monotonic()
    with pytest.raises(FetchError) as caught:
        http_get(busy.url("/closed"), config_for(hosts))
    assert caught.value.status == 503 and time.monotonic() - start < 1.0
    assert http.paused_until(busy.host_port) < time.monotonic()


def test_the_total_deadline_spans_rescheduled_attempts(hosts):
    busy = hosts[0]

    def slow_page(handler):
        time.sleep(1.0)
        respond(handler, 200, {"Content-Type": "text/html; charset=utf-8"}, PAGE)
    fails_first(busy, "/busy", 503, {"Retry-After": "1"}, then=slow_page)
    config = config_for(hosts, total_timeout=1.6, read_timeout=5.0)
    start = time.monotonic()
    [result] = fetch_all([(busy, busy.url("/busy"))], config, max_in_flight=4)
    seconds = time.monotonic() - start
    # 1 s of Retry-After + 1 s of answer > the 1.6 s budget counted from the first attempt
    assert isinstance(result, Rejected) and result.reason == "timeout", result
    assert 1.5 <= seconds < 2.4, seconds
    assert busy.paths == ["/busy", "/busy"]


def test_a_refused_connection_is_unreachable_and_pauses_the_host():
    import socket
    with socket.socket() as probe:  # a loopback port nobody listens on once closed
        probe.bind(("127.0.0.3", 0))
        port = probe.getsockname()[1]
    config = HttpConfig(allow_hosts=(f"127.0.0.3:{port}",), max_retries=0, respect_robots=False)
    with pytest.raises(FetchError) as info:
        http_get(f"http://127.0.0.3:{port}/x", config)
    assert info.value.unreachable and info.value.pauses_host, info.value
