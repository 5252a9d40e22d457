"""Concurrent fetching inside a worker (issue 16), over loopback hosts 127.0.0.2.. : results
in input order whatever the completion order, windows and timestamps kept, per-host
concurrency and minimum delay held across the whole pool, a slow host not stalling others."""
import collections
import time

import apache_beam as beam
import pytest
from apache_beam.transforms.window import IntervalWindow
from apache_beam.utils.windowed_value import WindowedValue

from cfnews.schemas import Page, Rejected
from cfnews.transforms.fetch import FetchPages, _FetchFn
from cfnews.transforms.http import HttpConfig
from cfnews.transforms.inflight import run_in_order
from tests.conftest import article_html
from tests.loopback_hosts import start_hosts
from tests.test_netguard import entry

# wall-clock bounds: run in the test command's serial pass, not beside other tests
pytestmark = pytest.mark.timing


@pytest.fixture
def hosts():
    started = start_hosts(4)
    yield started
    for host in started:
        host.stop()


def config_for(hosts, **overrides):
    values = dict(allow_hosts=tuple(h.host_port for h in hosts), min_host_delay=0.0,
                  max_retries=0, max_in_flight=16)
    values.update(overrides)
    return HttpConfig(**values)


def run_fetch_dofn(dofn, windowed_values):
    """Drive the DoFn as a runner does, collecting (tag, WindowedValue) in emission order."""
    out = []

    def collect(results):
        for result in results or ():
            tag = getattr(result, "tag", None)
            out.append((tag, result.value if tag else result))
    dofn.setup() if hasattr(dofn, "setup") else None
    dofn.start_bundle()
    for wv in windowed_values:
        collect(dofn.process(wv.value, windowed=wv))
    collect(dofn.finish_bundle())
    return out


def test_every_result_comes_with_its_inputs_window_and_timestamp(hosts):
    # later entries answer first: completion order is the reverse of input order
    delays = [0.6, 0.45, 0.3, 0.15, 0.0]
    for i, delay in enumerate(delays):
        host = hosts[i % len(hosts)]

        def slow(handler, delay=delay, i=i):
            time.sleep(delay)
            body = article_html(f"T{i}", [f"page {i}"]).encode()
            handler.send_response(200)
            handler.send_header("Content-Type", "text/html")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        host.handlers[f"/p{i}"] = slow
    host_of = [hosts[i % len(hosts)] for i in range(len(delays))]
    entries = [entry(host_of[i].url(f"/p{i}")) for i in range(len(delays))] + \
        [entry(hosts[0].url("/missing"))]
    windows = [IntervalWindow(100 * i, 100 * i + 60) for i in range(len(entries))]
    values = [WindowedValue(e, 100 * i + 1, [w]) for i, (e, w) in enumerate(zip(entries, windows))]
    start = time.monotonic()
    out = run_fetch_dofn(_FetchFn(config_for(hosts, respect_robots=False)), values)
    seconds = time.monotonic() - start
    index = {e.url: i for i, e in enumerate(entries)}
    got = {}
    for tag, wv in out:
        url = wv.value.entry.url if isinstance(wv.value, Page) else wv.value.url
        got[index[url]] = (tag, wv.timestamp.micros // 1_000_000, wv.windows)
    # each entry exactly once, with its own timestamp and window, whatever finished first
    assert len(out) == len(entries) and sorted(got) == list(range(len(entries)))
    assert got == {i: (None if i < len(delays) else "rejected", 100 * i + 1, [windows[i]])
                   for i in range(len(entries))}
    # emitted as they finished: the fastest page is not held behind the slowest
    first = out[0][1].value
    assert isinstance(first, Rejected) or first.entry.url != entries[0].url
    assert seconds < 1.2  # concurrent: about the slowest (0.6 s), not the sum (1.5 s)


def test_per_host_limits_hold_across_the_pool(hosts, monkeypatch):
    from cfnews.transforms import http
    sends = collections.defaultdict(list)  # host -> when the client finished sending each
    real_sent = http._limiter.sent

    def sent_and_stamped(host):
        real_sent(host)
        sends[host].append(time.monotonic())
    monkeypatch.setattr(http._limiter, "sent", sent_and_stamped)
    for host in hosts:
        host.latency = 0.15
        for i in range(8):
            host.add(f"/p{i}", article_html("T", [f"{host.address} {i}"]))
        host.add("/robots.txt", "User-agent: *\nAllow: /\n", content_type="text/plain")
    config = config_for(hosts, per_host_concurrency=2, min_host_delay=0.1, max_in_flight=32)
    items = [(h.host_port, (lambda h=h, i=i: _fetch(h.url(f"/p{i}"), config)))
             for i in range(8) for h in hosts]
    start = time.monotonic()
    results = run_in_order(items, max_in_flight=32, per_host=2)
    seconds = time.monotonic() - start
    assert all(isinstance(r, Page) for r in results)
    for host in hosts:
        assert host.peak <= 2, host.address                      # measured by the server
        # minimum delay held where it is decided: each send 0.1 s after the previous one
        client = sorted(sends[host.host_port])
        assert len(client) == len(host.starts) == 9, host.address  # robots.txt + 8 pages
        assert min(b - a for a, b in zip(client, client[1:])) >= 0.1, (host.address, client)
        # and as the server saw it. The server stamps a request when its handler runs, in
        # this process: a stall of its threads (CI once saw 0.6 s, then two stamps 3 ms
        # apart) makes stamps late, never early, so whatever the stalls the k-th arrival
        # is at least k x 0.1 s after the run began; without the delay it is not
        for k, arrival in enumerate(sorted(host.starts)):
            assert arrival - start >= 0.1 * k, (host.address, k, host.gaps())
    # 4 hosts in parallel: ~ 9 requests x 0.1 s spacing per host, not 36 x 0.15 s in a row
    assert seconds < 3.0


def _fetch(url, config):
    from cfnews.transforms.fetch import fetch_page
    return fetch_page(entry(url), config)


def test_a_slow_host_does_not_stall_other_hosts(hosts):
    slow, fast = hosts[0], hosts[1]
    slow.latency = 1.5
    for i in range(10):
        slow.add(f"/s{i}", article_html("T", ["slow"]))
        fast.add(f"/f{i}", article_html("T", ["fast"]))
    config = config_for(hosts, per_host_concurrency=2, max_in_flight=4, respect_robots=False)
    finished = {}

    def timed_fetch(url):
        result = _fetch(url, config)
        finished[url] = time.monotonic()
        return result
    start = time.monotonic()
    # the slow host's entries come first and outnumber the pool
    items = [(slow.host_port, lambda i=i: timed_fetch(slow.url(f"/s{i}"))) for i in range(10)]
    items += [(fast.host_port, lambda i=i: timed_fetch(fast.url(f"/f{i}"))) for i in range(10)]
    results = run_in_order(items, max_in_flight=4, per_host=2)
    assert all(isinstance(r, Page) for r in results)
    fast_done = max(t for url, t in finished.items() if "/f" in url) - start
    slow_done = max(t for url, t in finished.items() if "/s" in url) - start
    assert fast_done < 1.0 < slow_done  # the fast host finished while the slow one still waited
    assert slow.peak <= 2


def test_fetch_pages_in_a_pipeline_keeps_every_entry(hosts):
    for host in hosts:
        for i in range(5):
            host.add(f"/p{i}", article_html("T", [f"{host.address} {i}"]))
    entries = [entry(h.url(f"/p{i}")) for h in hosts for i in range(5)]
    entries.append(entry(hosts[0].url("/gone")))
    config = config_for(hosts)
    with beam.Pipeline(runner="FnApiRunner") as p:
        pages, rejected = p | beam.Create(entries) | FetchPages(config)
        urls = pages | "PageUrls" >> beam.Map(lambda page: page.entry.url)
        bad = rejected | "BadUrls" >> beam.Map(lambda r: (r.url, r.reason))
        from apache_beam.testing.util import assert_that, equal_to
        assert_that(urls, equal_to([e.url for e in entries[:-1]]), label="pages")
        assert_that(bad, equal_to([(entries[-1].url, "http_error")]), label="rejected")
