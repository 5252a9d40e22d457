"""Politeness and resource limits against a real loopback server."""
import gzip
import threading
import time
import zlib

import pytest

from cfnews.transforms.http import FetchError, http_get
from cfnews.transforms.robots import ROBOTS as _robots

from tests.test_netguard import entry
from cfnews.transforms.fetch import fetch_page


def page_route(body=b"<html><body><p>ok</p></body></html>", status=200, headers=None, log=None):
    def route(handler):
        if log is not None:
            log.append(dict(handler.headers))
        handler.send_response(status)
        handler.send_header("Content-Type", "text/html")
        for k, v in (headers or {}).items():
            handler.send_header(k, v)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
    return route


def test_robots_txt_is_obeyed_and_cached(server):
    server.add("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    server.add("/private/a", "<p>secret</p>")
    server.add("/public/a", "<html><p>fine</p></html>")
    server.add("/public/b", "<html><p>fine</p></html>")
    refused = fetch_page(entry(server.url("/private/a")), server.config())
    assert refused.reason == "robots_disallowed"
    assert server.hits.get("/private/a") is None
    for path in ("/public/a", "/public/b"):
        assert fetch_page(entry(server.url(path)), server.config()).http_status == 200
    assert server.hits["/robots.txt"] == 1


def test_missing_robots_allows_and_failing_robots_defers(server):
    server.add("/page", "<html><p>x</p></html>")
    assert fetch_page(entry(server.url("/page")), server.config()).http_status == 200  # 404 robots
    _robots._cache.clear()
    server.add("/robots.txt", "down", status=503, content_type="text/plain")
    deferred = fetch_page(entry(server.url("/page")), server.config())
    assert (deferred.reason, deferred.http_status) == ("robots_unavailable", 503)
    assert "robots.txt unavailable" in deferred.error
    assert server.hits["/page"] == 1  # not fetched while robots.txt fails


def test_user_agent_names_the_crawler_and_a_contact(server):
    log = []
    server.routes["/ua"] = page_route(log=log)
    http_get(server.url("/ua"), server.config())
    assert log[0]["User-Agent"].startswith("cfnews/") and "+http" in log[0]["User-Agent"]


def test_retry_after_is_honoured_then_the_page_is_fetched(server):
    calls = []

    def flaky(handler):
        calls.append(time.monotonic())
        route = page_route(status=503, headers={"Retry-After": "1"}) if len(calls) == 1 else page_route()
        route(handler)
    server.routes["/busy"] = flaky
    response = http_get(server.url("/busy"), server.config(max_retries=2, backoff=0.01))
    assert response.status == 200 and len(calls) == 2
    assert calls[1] - calls[0] >= 0.95


@pytest.mark.timing  # a wall-clock bound: the serial pass
def test_a_long_retry_after_is_not_waited_for(server):
    server.routes["/later"] = page_route(status=429, headers={"Retry-After": "3600"})
    start = time.monotonic()
    with pytest.raises(FetchError) as info:
        http_get(server.url("/later"), server.config(max_retries=3))
    assert info.value.status == 429 and info.value.transient
    assert time.monotonic() - start < 2 and server.hits["/later"] == 1


def test_transient_errors_back_off_and_retry(server):
    calls = []

    def two_failures(handler):
        calls.append(time.monotonic())
        (page_route(status=500) if len(calls) <= 2 else page_route())(handler)
    server.routes["/flaky"] = two_failures
    assert http_get(server.url("/flaky"), server.config(max_retries=2, backoff=0.1)).status == 200
    gaps = [b - a for a, b in zip(calls, calls[1:])]
    assert gaps[0] >= 0.05 and gaps[1] >= 0.1  # base 0.1 s, doubling, jitter 0.5-1.5x
    server.hits.clear()
    calls.clear()
    with pytest.raises(FetchError):
        http_get(server.url("/flaky"), server.config(max_retries=1, backoff=0.01))
    assert len(calls) == 2  # one try + one retry, then give up


def test_permanent_errors_are_not_retried(server):
    server.add("/gone", "gone", status=410)
    with pytest.raises(FetchError):
        http_get(server.url("/gone"), server.config(max_retries=3))
    assert server.hits["/gone"] == 1


def test_minimum_delay_between_requests_to_one_host(server):
    server.add("/d", "<p>x</p>")
    start = time.monotonic()
    for _ in range(4):
        http_get(server.url("/d"), server.config(min_host_delay=0.2))
    assert time.monotonic() - start >= 0.55


def test_per_host_concurrency_limit(server):
    active, peak, lock = [0], [0], threading.Lock()

    def slow(handler):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.2)
        with lock:
            active[0] -= 1
        page_route()(handler)
    server.routes["/slow"] = slow
    config = server.config(per_host_concurrency=2)
    threads = [threading.Thread(target=http_get, args=(server.url("/slow"), config)) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak[0] == 2


@pytest.mark.parametrize("encoding,compress", [
    ("gzip", gzip.compress), ("deflate", zlib.compress)])
def test_decompression_bombs_stop_at_the_cap(server, encoding, compress):
    bomb = compress(b"\0" * (50 * 1024 * 1024))  # 50 MiB of zeros in ~50 KiB
    server.add(f"/bomb-{encoding}", bomb, headers={"Content-Encoding": encoding})
    result = fetch_page(entry(server.url(f"/bomb-{encoding}")),
                        server.config(max_bytes=1024 * 1024))
    assert result.reason == "too_large"


def test_invalid_gzip_is_a_bad_encoding(server):
    server.add("/badgz", b"this is not gzip at all" * 10, headers={"Content-Encoding": "gzip"})
    result = fetch_page(entry(server.url("/badgz")), server.config())
    assert result.reason == "bad_encoding"


def test_truncated_body_and_connection_reset(server):
    def truncated(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Content-Length", "100000")
        handler.end_headers()
        handler.wfile.write(b"<html><p>only the beginning")
        handler.close_connection = True

    def reset(handler):
        import socket
        import struct
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.close_connection = True
    server.routes["/truncated"] = truncated
    server.routes["/reset"] = reset
    assert fetch_page(entry(server.url("/truncated")), server.config()).reason == "connection_error"
    assert fetch_page(entry(server.url("/reset")), server.config()).reason == "connection_error"


def test_forget_hosts_drops_robots_rules_and_pauses_but_not_a_held_slot():
    """Host state is per host:port for the process's life; forget_hosts (run before every
    test) clears it, except the slot of a request still in flight."""
    import time as _time
    from cfnews.transforms import http as _http
    from cfnews.transforms.robots import ROBOTS as robots
    robots._cache["http://127.0.0.1:9"] = (_time.monotonic() + 600, None, RuntimeError("down"))
    _http._limiter.pause("127.0.0.1:9", _time.monotonic() + 600)
    _http._limiter.acquire("127.0.0.1:8", 1, 0.0, _time.monotonic() + 1)  # held, not released
    _http._limiter.sent("127.0.0.1:8")
    _http.forget_hosts()
    assert "http://127.0.0.1:9" not in robots._cache
    assert _http.paused_until("127.0.0.1:9") < _time.monotonic()
    # the held slot survived: a second request to that host still waits for it
    with pytest.raises(_http.FetchError):
        _http._limiter.acquire("127.0.0.1:8", 1, 0.0, _time.monotonic() + 0.2)
    _http._limiter.release("127.0.0.1:8")
    _http._limiter.acquire("127.0.0.1:8", 1, 0.0, _time.monotonic() + 0.2)
    _http._limiter.sent("127.0.0.1:8")
    _http._limiter.release("127.0.0.1:8")
