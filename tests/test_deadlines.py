"""Issue 13 item 3: one deadline over the whole request — connect, status line, response
headers, body, redirects and retries — for pages, feeds and robots.txt, against loopback
servers that drip their response head."""
import time

import pytest

from cfnews.schemas import FeedSource, Rejected
from cfnews.transforms.feeds import fetch_feed
from cfnews.transforms.fetch import fetch_page
from cfnews.transforms.http import FetchError, http_get
from tests.conftest import article_html
from tests.test_netguard import entry

# wall-clock bounds: run in the test command's serial pass, not beside other tests
pytestmark = pytest.mark.timing


def drip_headers(lines: int = 40, delay: float = 0.25, status: bytes = b"200 OK"):
    """Status line at once, then one header line every `delay` s (each read is quick, so
    no socket timeout ever trips)."""
    def route(handler):
        try:
            handler.wfile.write(b"HTTP/1.1 " + status + b"\r\n")
            handler.wfile.flush()
            for i in range(lines):
                time.sleep(delay)
                handler.wfile.write(b"X-Drip-%d: %s\r\n" % (i, b"x" * 10))
                handler.wfile.flush()
            handler.wfile.write(b"Content-Type: text/html\r\nContent-Length: 0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass
        handler.close_connection = True
    return route


def timed(fn):
    start = time.monotonic()
    result = fn()
    return result, time.monotonic() - start


def test_dripped_response_head_cannot_hold_a_page_past_the_deadline(server):
    server.routes["/drip-head"] = drip_headers()  # 10 s of header lines
    result, seconds = timed(lambda: fetch_page(
        entry(server.url("/drip-head")), server.config(read_timeout=5, total_timeout=1.0)))
    assert isinstance(result, Rejected) and result.reason == "timeout"
    assert seconds < 1.6


def test_dripped_head_of_a_feed_hits_the_deadline(server):
    server.routes["/feed.xml"] = drip_headers()
    source = FeedSource(outlet="o", url=server.url("/feed.xml"), language="en", country="FR")
    rows, seconds = timed(lambda: fetch_feed(source, server.config(read_timeout=5,
                                                                  total_timeout=1.0)))
    assert [r.reason for r in rows] == ["feed_unreachable"] and "timeout" in rows[0].error
    assert seconds < 1.6


def test_dripped_robots_txt_defers_the_page_within_the_deadline(server):
    server.routes["/robots.txt"] = drip_headers()
    server.add("/page", article_html("T", ["x"]))
    result, seconds = timed(lambda: fetch_page(
        entry(server.url("/page")), server.config(read_timeout=5, total_timeout=1.0)))
    assert result.reason == "robots_unavailable" and "timeout" in result.error
    assert seconds < 1.6 and server.hits.get("/page") is None


def test_deadline_covers_redirect_hops_and_retries(server):
    # each hop answers quickly but slowly enough that the chain outlasts the budget
    for i in range(5):
        def hop(handler, i=i):
            time.sleep(0.3)
            handler.send_response(302)
            handler.send_header("Location", f"/hop{i + 1}")
            handler.send_header("Content-Length", "0")
            handler.end_headers()
        server.routes[f"/hop{i}"] = hop
    with pytest.raises(FetchError) as info:
        _, seconds = timed(lambda: http_get(server.url("/hop0"),
                                            server.config(total_timeout=0.8, max_retries=3)))
    assert info.value.reason.value == "timeout"
    calls = []
    drip_503 = drip_headers(lines=2, delay=0.3, status=b"503 Service Unavailable")

    def busy(handler):  # each try 0.6 s, then a transient 503: retried until the budget ends
        calls.append(time.monotonic())
        drip_503(handler)
    server.routes["/drip-retry"] = busy
    start = time.monotonic()
    with pytest.raises(FetchError):
        http_get(server.url("/drip-retry"),
                 server.config(total_timeout=1.0, max_retries=5, backoff=0.01, read_timeout=5))
    assert time.monotonic() - start < 1.6 and len(calls) == 2


def test_a_kept_alive_connection_is_still_watched(server):
    """The second request on a reused connection keeps its own deadline."""
    server.add("/fast", article_html("T", ["fast"]))
    server.routes["/slow-head"] = drip_headers()
    config = server.config(read_timeout=5, total_timeout=1.0, respect_robots=False)
    assert http_get(server.url("/fast"), config).status == 200
    start = time.monotonic()
    with pytest.raises(FetchError) as info:
        http_get(server.url("/slow-head"), config)
    assert info.value.reason.value == "timeout" and time.monotonic() - start < 1.6
    assert http_get(server.url("/fast"), config).status == 200  # the pool recovers
