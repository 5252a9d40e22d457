"""Fault injection: the whole pipeline against a hostile web.

Loopback servers, one per outlet, each with a robots.txt, serve feeds whose entries mix good
pages (the 181 real pages of the extraction benchmark and the five seeds, each also
republished by another outlet, some listed twice) with every fault of issue 6: empty 200s,
JavaScript shells, PDFs, images, truncated transfers, invalid gzip, gzip/deflate bombs,
unsupported encodings, oversize bodies, slow drips, slow headers, redirect loops, chains and
redirects to blocked addresses, 404/410/451/500/503 (with and without Retry-After), 429,
connection resets, robots.txt disallows, blocked links, entries without links, repeated guids;
and good pages behind recoverable faults (503 then 200, a redirect, gzip, wrong or missing
content types, wrong charsets). Plus four broken feeds.

Each round runs the pipeline twice, side by side: on the hostile web, and on the same good
entries alone (every good page served plainly). Printed: entries in, rows out per dataset,
rejected by reason, each fault's outcome, crashes (a run that raises, internal_error rows),
lost entries (by the run's own count, and per entry read back from the Parquet output: each
entry exactly once), good entries whose fate the faults changed, and throughput relative to
the clean run; medians over the rounds.

    python tests/benchmarks/fault_injection.py [--rounds 3]

The same site, smaller, is tests/test_fault_injection.py."""
from __future__ import annotations

import argparse
import collections
import dataclasses
import datetime as dt
import email.utils
import glob
import itertools
import json
import os
import socket
import struct
import sys
import tempfile
import time
import zlib
from typing import Callable, Dict, List, Optional, Sequence, Tuple
from xml.sax.saxutils import escape

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from tests.benchmarks.common import BENCH, SHARED, benchmark_pages, median, require_shared  # noqa: E402
from tests.conftest import LocalServer, article_html, respond, slow_drip  # noqa: E402

BASE_DATE = dt.datetime(2025, 12, 1, 6, 0, tzinfo=dt.timezone.utc)
# good pages that are themselves a later edit of another (../shared/README.md: seed 004 is
# seed 002's AP story, re-edited): they end in `duplicates`
REPUBLISHED = frozenset({"seed-004"})
ROBOTS = b"User-agent: *\nDisallow: /private/\n"
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
                    "0000000d4944415478da63f8ffff3f0005fe02fea7d6a4830000000049454e44ae426082")
JS_SHELL = (b"<!DOCTYPE html><html><head><title>Loading</title>"
            b"<script src='/static/app.js'></script></head>"
            b"<body><div id='root'></div><script>window.__APP__={}</script></body></html>")


def quiet_server() -> LocalServer:
    """A LocalServer (which answers without Nagle's delay, see tests/conftest.py)."""
    return LocalServer()


# ------------------------------------------------------------------ raw routes

def reset_route(handler):
    """Close with a TCP reset before answering."""
    handler.close_connection = True
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def closed_route(handler):
    """Close cleanly without a byte of response."""
    handler.close_connection = True


def truncated_route(body: bytes):
    """Promise the whole body, send a third of it, hang up."""
    def route(handler):
        handler.close_connection = True
        respond(handler, 200, {"Content-Type": "text/html; charset=utf-8",
                               "Content-Length": str(len(body))}, body[:len(body) // 3])
    return route


def slow_headers_route(delay: float, body: bytes):
    def route(handler):
        time.sleep(delay)
        respond(handler, 200, {"Content-Type": "text/html; charset=utf-8"}, body)
    return route


def oversize_route(megabytes: int):
    """Stream chunked HTML with no Content-Length: only a cap enforced while reading stops it."""
    def route(handler):
        handler.close_connection = True
        try:
            handler.send_response(200)
            handler.send_header("Content-Type", "text/html")
            handler.send_header("Transfer-Encoding", "chunked")
            handler.end_headers()
            block = b"<p>" + b"filler " * 9000 + b"</p>\n"
            for _ in range(megabytes * (1 << 20) // len(block)):
                handler.wfile.write(b"%x\r\n%s\r\n" % (len(block), block))
            handler.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
    return route


def fails_once_route(body: bytes):
    """503 with Retry-After: 0 the first time, the page afterwards (a transient failure)."""
    hits = itertools.count()

    def route(handler):
        if next(hits) == 0:
            respond(handler, 503, {"Content-Type": "text/plain", "Retry-After": "0"}, b"busy")
        else:
            respond(handler, 200, {"Content-Type": "text/html; charset=utf-8"}, body)
    return route


def compression_bomb(megabytes: int, wbits: int) -> bytes:
    """Zeros, compressed: gzip (wbits 31) or zlib deflate (15); ~1000:1."""
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    zeros = b"\0" * (1 << 20)
    return b"".join([packer.compress(zeros) for _ in range(megabytes)] + [packer.flush()])


# ------------------------------------------------------------------ faults

@dataclasses.dataclass(frozen=True)
class Fault:
    """A way for an entry's page to go wrong. `expect` is the dataset the entry must end in,
    or `stage.reason` of its rejected row; `status` the http_status that row must carry."""
    name: str
    expect: str
    status: Optional[int]
    serve: Callable[["HostileWeb", LocalServer, str], str]  # (web, server, path) -> entry link
    # served from a host of its own: a fault whose outcome needs its whole time budget (nine
    # redirect hops) would otherwise end as a timeout whenever a neighbour's 503 or reset
    # pauses the shared host mid-chain, which is right of the fetcher but not this fault's test
    own_host: bool = False


def _static(body: bytes, status: int = 200, content_type: str = "text/html; charset=utf-8",
            **headers) -> Callable:
    def serve(web, server, path):
        return server.add(path, body, status=status, content_type=content_type,
                          headers={k.replace("_", "-"): v for k, v in headers.items()})
    return serve


def serve_route(server: LocalServer, path: str, route: Callable) -> str:
    server.routes[path] = route
    return server.url(path)


def _route(make_route: Callable) -> Callable:
    return lambda web, server, path: serve_route(server, path, make_route(web))


def _redirects(target: Callable[[LocalServer, str], str], hops: int = 1) -> Callable:
    def serve(web, server, path):
        locations = [f"{path}/hop{i}" for i in range(1, hops)] + [target(server, path)]
        for i, location in enumerate(locations):
            server.add(path if i == 0 else f"{path}/hop{i}", b"", status=302,
                       headers={"Location": location})
        return server.url(path)
    return serve


def _loop(web, server, path):
    server.add(path, b"", status=302, headers={"Location": path + "/b"})
    server.add(path + "/b", b"", status=301, headers={"Location": path})
    return server.url(path)


def _robots_disallowed(web, server, path):
    return server.add("/private" + path, web.filler_page)


def _link(make: Callable[[LocalServer, str], str]) -> Callable:
    """An entry link that is never served."""
    return lambda web, server, path: make(server, path)


def _port(server: LocalServer) -> int:
    return server.httpd.server_address[1]


# Loopback on a port no test server uses (discard): the guard must refuse it before any
# connection; were it to fail, the attempt would still stay on this machine.
UNSERVED_PORT = 9


FAULTS: Tuple[Fault, ...] = (
    Fault("empty_200", "extract.extraction_failed", None, _static(b"")),
    Fault("javascript_shell", "extract.extraction_failed", None, _static(JS_SHELL)),
    Fault("pdf", "fetch.not_html", 200, _static(PDF, content_type="application/pdf")),
    Fault("pdf_as_octet_stream", "fetch.not_html", 200,
          _static(PDF, content_type="application/octet-stream")),
    Fault("image", "fetch.not_html", 200, _static(PNG, content_type="image/png")),
    Fault("json", "fetch.not_html", 200, _static(b'{"error": "use the app"}',
                                                 content_type="application/json")),
    Fault("truncated_transfer", "fetch.connection_error", None,
          _route(lambda web: truncated_route(web.filler_page))),
    Fault("invalid_gzip", "fetch.bad_encoding", 200,
          _static(b"\x1f\x8b\x08\x00garbage, not gzip", Content_Encoding="gzip")),
    Fault("invalid_deflate", "fetch.bad_encoding", 200,
          _static(b"not deflate at all", Content_Encoding="deflate")),
    Fault("gzip_bomb", "fetch.too_large", 200,
          lambda web, server, path: server.add(path, web.gzip_bomb,
                                               headers={"Content-Encoding": "gzip"})),
    Fault("deflate_bomb", "fetch.too_large", 200,
          lambda web, server, path: server.add(path, web.deflate_bomb,
                                               headers={"Content-Encoding": "deflate"})),
    Fault("oversize_stream", "fetch.too_large", 200, _route(lambda web: oversize_route(8))),
    Fault("oversize_declared", "fetch.too_large", 200,
          _route(lambda web: lambda h: respond(h, 200, {"Content-Type": "text/html",
                                                        "Content-Length": str(60 << 20)}))),
    Fault("slow_drip", "fetch.timeout", None,
          _route(lambda web: slow_drip(chunks=12, delay=0.25))),
    Fault("slow_headers", "fetch.timeout", None,
          _route(lambda web: slow_headers_route(3.0, web.filler_page))),
    Fault("redirect_loop", "fetch.too_many_redirects", None, _loop),
    Fault("redirect_chain", "fetch.too_many_redirects", None,
          _redirects(lambda server, path: path + "/end", hops=9), own_host=True),
    Fault("redirect_to_blocked_port", "fetch.blocked_address", None,
          _redirects(lambda server, path: f"http://127.0.0.1:{UNSERVED_PORT}/x")),
    Fault("redirect_to_localhost", "fetch.blocked_address", None,
          _redirects(lambda server, path: f"http://localhost:{UNSERVED_PORT}/x")),
    Fault("redirect_to_file", "fetch.bad_url", None,
          _redirects(lambda server, path: "file:///etc/passwd")),
    Fault("http_404", "fetch.http_error", 404, _static(b"gone", status=404)),
    Fault("http_410", "fetch.http_error", 410, _static(b"gone", status=410)),
    Fault("http_451", "fetch.http_error", 451, _static(b"legal", status=451)),
    Fault("http_500", "fetch.http_error", 500, _static(b"oops", status=500)),
    Fault("http_503", "fetch.http_error", 503, _static(b"busy", status=503)),
    Fault("http_503_retry_after_1s", "fetch.http_error", 503,
          _static(b"busy", status=503, Retry_After="1")),
    Fault("http_503_retry_after_1h", "fetch.http_error", 503,
          _static(b"busy", status=503, Retry_After="3600")),
    Fault("http_429_retry_after_1s", "fetch.http_error", 429,
          _static(b"slow down", status=429, Retry_After="1")),
    Fault("connection_reset", "fetch.connection_error", None, _route(lambda web: reset_route)),
    Fault("closed_without_response", "fetch.connection_error", None,
          _route(lambda web: closed_route)),
    Fault("robots_disallowed", "fetch.robots_disallowed", None, _robots_disallowed),
    Fault("link_to_blocked_port", "fetch.blocked_address", None,
          _link(lambda server, path: f"http://127.0.0.1:{UNSERVED_PORT}{path}")),
    Fault("link_to_ipv6_loopback", "fetch.blocked_address", None,
          _link(lambda server, path: f"http://[::1]:{_port(server)}{path}")),
    Fault("link_to_octal_loopback", "fetch.blocked_address", None,
          _link(lambda server, path: f"http://0177.0.0.1:{UNSERVED_PORT}{path}")),
    Fault("entry_without_link", "feeds.entry_no_link", None, _link(lambda server, path: "")),
    Fault("javascript_link", "feeds.entry_no_link", None,
          _link(lambda server, path: "javascript:alert(1)")),
)
# an item listed again in its feed is one entry: no row of its own, counted in the summary
LISTED_AGAIN = "listed_again"
FEED_DUPLICATE_GUID = Fault("repeated_guid", LISTED_AGAIN, None, None)
# unsupported Content-Encoding: should be bad_encoding; today the raw bytes go on as HTML
UNSUPPORTED_ENCODING = Fault("brotli_unasked", "fetch.bad_encoding", 200,
                             _static(b"\x8b\x03\x80<p>compressed?</p>", Content_Encoding="br"))
EXPECTED = {f.name: f.expect for f in FAULTS + (FEED_DUPLICATE_GUID, UNSUPPORTED_ENCODING)}


@dataclasses.dataclass(frozen=True)
class Recovery:
    """A good page behind a fault a careful client gets past."""
    name: str
    serve: Callable[[LocalServer, str, bytes], str]   # (server, path, html) -> link


def _latin1(html: bytes) -> bytes:
    """The page in ISO-8859-1; what Latin-1 lacks (Cyrillic, curly quotes) as character
    references, so the page still says the same thing."""
    return html.decode("utf-8", "replace").encode("latin-1", "xmlcharrefreplace")


def _moved(server: LocalServer, path: str, html: bytes) -> str:
    server.add(path + "/moved", html)
    return server.add(path, b"", status=301, headers={"Location": path + "/moved"})


RECOVERIES: Tuple[Recovery, ...] = (
    Recovery("fails_once_then_ok", lambda s, p, h: serve_route(s, p, fails_once_route(h))),
    Recovery("redirected_once", _moved),
    Recovery("gzip_encoded", lambda s, p, h: s.add(p, h, gzip_body=True)),
    Recovery("no_content_type", lambda s, p, h: s.add(p, h, content_type="")),
    Recovery("html_as_octet_stream", lambda s, p, h: s.add(p, h, content_type="application/octet-stream")),
    Recovery("xhtml", lambda s, p, h: s.add(p, h, content_type="application/xhtml+xml")),
    Recovery("utf8_declared_latin1", lambda s, p, h: s.add(p, h, content_type="text/html; charset=iso-8859-1")),
    Recovery("latin1_declared_utf8", lambda s, p, h: s.add(p, _latin1(h), content_type="text/html; charset=utf-8")),
)

BROKEN_FEEDS = (
    ("feed_404", "feeds.feed_http_error", lambda s, p: s.add(p, b"no", status=404)),
    ("feed_is_html", "feeds.feed_unparseable",
     lambda s, p: s.add(p, article_html("Not a feed", ["A page, not a feed."]))),
    ("feed_gzip_bomb", "feeds.feed_unparseable",
     lambda s, p: s.add(p, compression_bomb(16, 31), content_type="application/rss+xml",
                        headers={"Content-Encoding": "gzip"})),
    ("feed_slow_headers", "feeds.feed_unreachable",
     lambda s, p: serve_route(s, p, slow_headers_route(3.0, b"<rss/>"))),
)


# ------------------------------------------------------------------ the site

@dataclasses.dataclass
class Entry:
    guid: str
    link: str
    title: str
    published: dt.datetime
    expect: str                 # dataset, or stage.reason
    status: Optional[int]
    kind: str                   # good / copy / repeat / recovery:<name> / <fault name>


def good_pages(limit: Optional[int] = None) -> Dict[str, bytes]:
    """Page id -> HTML: the extraction-benchmark pages, then the seeds as simple pages."""
    pages = benchmark_pages()
    if limit is not None:  # the longest gold bodies: they extract well above the minimum
        gold = json.loads((BENCH / "ground-truth.json").read_text())
        keep = sorted(pages, key=lambda k: -len(gold[k]["articleBody"]))[:limit]
        pages = {k: pages[k] for k in sorted(keep)}
    for path in sorted((SHARED / "seeds").glob("*.txt")):
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        pages[f"seed-{path.name[:3]}"] = article_html(lines[0], lines[1:]).encode("utf-8")
    return pages


class HostileWeb:
    """Outlets on loopback servers; `faults=False` serves the same good entries only, every
    good page plainly. Entry guids are the same in both, so the two runs can be compared."""

    def __init__(self, pages: Dict[str, bytes], faults: bool = True, outlets: int = 4,
                 fault_counts: Optional[Dict[str, int]] = None, copies: int = 1,
                 repeat_every: int = 5, recover_every: int = 5, bomb_megabytes: int = 64,
                 extra_faults: Sequence[Fault] = ()):
        self.servers = [quiet_server() for _ in range(outlets)]
        self.calm_server = quiet_server()  # no feed and no pausing fault: see Fault.own_host
        for server in self.servers + [self.calm_server]:
            server.add("/robots.txt", ROBOTS, content_type="text/plain")
        self.filler_page = next(iter(pages.values()))
        self.gzip_bomb = compression_bomb(bomb_megabytes, 31) if faults else b""
        self.deflate_bomb = compression_bomb(bomb_megabytes, 15) if faults else b""
        self.items: List[List[Entry]] = [[] for _ in range(outlets)]
        self._clock = itertools.count()
        for i, (page_id, html) in enumerate(pages.items()):
            self._good(i, page_id, html, faults, copies, repeat_every, recover_every)
        if faults:
            for fault in FAULTS + tuple(extra_faults):
                for n in range((fault_counts or {}).get(fault.name, 1)):
                    outlet = (n + len(fault.name)) % outlets
                    server = self.calm_server if fault.own_host else self.servers[outlet]
                    link = fault.serve(self, server, f"/{fault.name}/{n}.html")
                    self._add(outlet, f"{fault.name}-{n}", link, fault.expect, fault.status, fault.name)
            for n in range((fault_counts or {}).get(FEED_DUPLICATE_GUID.name, 1)):
                outlet = n % outlets
                first = self.items[outlet][n]  # the repeat is no row, whatever the first's fate
                # the same item listed again (its guid and link; a guid repeated with another
                # link names another page, fetched like any)
                self._add(outlet, first.guid, first.link,
                          FEED_DUPLICATE_GUID.expect, None, FEED_DUPLICATE_GUID.name)
        self.feeds = [self._publish(k) for k in range(outlets)]
        self.broken_feeds = []
        if faults:
            for name, expect, serve in BROKEN_FEEDS:
                url = serve(self.servers[0], f"/{name}.xml")
                self.broken_feeds.append((self._source(f"broken-{name.replace('_', '-')}", url), expect))

    def _good(self, i, page_id, html, faults, copies, repeat_every, recover_every):
        outlets = len(self.servers)
        outlet, server = i % outlets, self.servers[i % outlets]
        path = f"/news/{page_id}.html"
        recovery = RECOVERIES[(i // recover_every) % len(RECOVERIES)] \
            if faults and recover_every and i % recover_every == recover_every - 1 else None
        link = recovery.serve(server, path, html) if recovery else server.add(path, html)
        kind = f"recovery:{recovery.name}" if recovery else "good"
        expect = "duplicates" if page_id in REPUBLISHED else "articles"
        self._add(outlet, f"{page_id}", link, expect, None, kind, hours=0)
        for c in range(1, copies + 1):  # the same story, republished later by another outlet
            other = (outlet + c) % outlets
            copy_link = self.servers[other].add(f"/syndicated/{c}/{page_id}.html", html)
            self._add(other, f"{page_id}-copy{c}", copy_link, "duplicates", None, "copy", hours=c)
        if repeat_every and i % repeat_every == 0:  # the very same link, listed by another feed
            self._add((outlet + 1) % outlets, f"{page_id}-repeat", link, "duplicates", None,
                      "repeat", hours=copies + 1)

    def _add(self, outlet, guid, link, expect, status, kind, hours=0):
        published = BASE_DATE + dt.timedelta(hours=hours, seconds=next(self._clock))
        self.items[outlet].append(Entry(guid, link, f"{kind} {guid}", published, expect, status, kind))

    def _publish(self, outlet: int):
        items = []
        for e in self.items[outlet]:
            link = f"<link>{escape(e.link)}</link>" if e.link else ""
            items.append(f"<item><title>{escape(e.title)}</title>{link}"
                         f"<guid isPermaLink='false'>{escape(e.guid)}</guid>"
                         f"<pubDate>{email.utils.format_datetime(e.published)}</pubDate></item>")
        feed = ("<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
                f"<title>outlet {outlet}</title>{''.join(items)}</channel></rss>")
        url = self.servers[outlet].add(f"/feed-{outlet}.xml", feed, content_type="application/rss+xml")
        return self._source(f"outlet-{outlet}", url)

    @staticmethod
    def _source(outlet, url):
        from cfnews.schemas import FeedSource
        return FeedSource(outlet=outlet, url=url, language="en", country="US")

    @property
    def entries(self) -> Dict[Tuple[str, str], Entry]:
        """(feed_url, guid) -> Entry; a repeated guid keeps its last Entry."""
        return {(feed.url, e.guid): e for feed, items in zip(self.feeds, self.items) for e in items}

    @property
    def entry_count(self) -> int:
        """Entries the feeds list (an item listed twice in its feed is one)."""
        return sum(e.expect != LISTED_AGAIN for items in self.items for e in items)

    @property
    def repeat_count(self) -> int:
        """Listings of an item its feed had listed before (the summary's entries.repeated)."""
        return sum(e.expect == LISTED_AGAIN for items in self.items for e in items)

    @property
    def allow_hosts(self) -> List[str]:
        return [s.host_port for s in self.servers + [self.calm_server]]

    def stop(self):
        for server in self.servers + [self.calm_server]:
            server.stop()


# ------------------------------------------------------------------ running and reading back

def run(web: HostileWeb, out: str, **overrides):
    """The pipeline on every feed of `web` (broken feeds included); (summary, seconds)."""
    from cfnews.pipeline.runner import make_options, run_job
    values = dict(out=out, all_topics=True, reprocess=True, allow_hosts=web.allow_hosts,
                  min_host_delay=0.0, max_retries=1, connect_timeout=1.0, read_timeout=1.0,
                  request_timeout=2.0)
    values.update(overrides)
    options = make_options(["--runner=FnApiRunner"], **values)
    start = time.perf_counter()
    summary = run_job(options, feeds=web.feeds + [f for f, _ in web.broken_feeds])
    return summary, time.perf_counter() - start


def read_rows(out: str) -> Dict[str, list]:
    """dataset -> rows (dicts) read back from the Parquet output with DuckDB."""
    import duckdb
    rows = {}
    for dataset in ("articles", "duplicates", "rejected"):
        pattern = os.path.join(out, dataset, "**", "*.parquet")
        if not glob.glob(pattern, recursive=True):
            rows[dataset] = []
            continue
        columns = "feed_url, entry_id, url" + (", stage, reason, http_status, error"
                                               if dataset == "rejected" else "")
        relation = duckdb.sql(f"SELECT {columns} FROM read_parquet('{pattern}', hive_partitioning=true)")
        rows[dataset] = [dict(zip(relation.columns, r)) for r in relation.fetchall()]
    return rows


def outcome_of(dataset: str, row: dict) -> str:
    return f"{row['stage']}.{row['reason']}" if dataset == "rejected" else dataset


def check(web: HostileWeb, rows: Dict[str, list]) -> dict:
    """Accounting per entry: every (feed, guid) of the site in exactly one dataset, as many
    times as the feed lists it; each entry's outcome against its expectation; the broken
    feeds' rows."""
    from cfnews.transforms.feeds import FEED_LEVEL_REASONS
    listed = collections.defaultdict(list)      # (feed_url, guid) -> [Entry], in feed order
    by_kind = collections.defaultdict(collections.Counter)
    for feed, items in zip(web.feeds, web.items):
        for entry in items:
            if entry.expect == LISTED_AGAIN:  # one entry with its first listing: no row
                by_kind[entry.kind][LISTED_AGAIN] += 1
            else:
                listed[(feed.url, entry.guid)].append(entry)
    observed = collections.defaultdict(list)    # (feed_url, guid) -> [(outcome, row)]
    feed_level = []
    for dataset, dataset_rows in rows.items():
        for row in dataset_rows:
            if dataset == "rejected" and row["reason"] in FEED_LEVEL_REASONS:
                feed_level.append((row["feed_url"], outcome_of(dataset, row)))
            else:
                observed[(row["feed_url"], row["entry_id"])].append((outcome_of(dataset, row), row))
    lost, extra, wrong = [], [], []
    for key in set(listed) | set(observed):
        entries, found = listed.get(key, []), list(observed.get(key, []))
        lost += [(e.kind, key[1]) for e in entries[len(found):]]
        extra += [(o, key[1]) for o, _ in found[len(entries):]]
        for entry in entries:  # pair each entry with the row that matches it, if any
            match = next((f for f in found if f[0] == entry.expect), found[0] if found else None)
            if match is None:
                continue
            found.remove(match)
            outcome, row = match
            by_kind[entry.kind][outcome] += 1
            if outcome != entry.expect or (entry.status is not None
                                           and row.get("http_status") != entry.status):
                wrong.append((entry.kind, key[1], entry.expect, outcome, row.get("http_status"),
                              (row.get("error") or "")[:160]))
    broken_expected = sorted((source.url, expect) for source, expect in web.broken_feeds)
    return dict(entries_in=sum(len(e) for e in listed.values()), lost=lost, extra=extra,
                by_kind=by_kind, wrong=wrong, feed_level=sorted(feed_level),
                broken_feeds_ok=sorted(feed_level) == broken_expected,
                internal_errors=[r for r in rows["rejected"] if r["reason"] == "internal_error"])


# ------------------------------------------------------------------ the benchmark

BENCH_COUNTS = {
    "empty_200": 40, "javascript_shell": 40, "pdf": 30, "pdf_as_octet_stream": 20, "image": 30,
    "json": 20, "truncated_transfer": 20, "invalid_gzip": 20, "invalid_deflate": 10,
    "gzip_bomb": 15, "deflate_bomb": 15, "oversize_stream": 8, "oversize_declared": 10,
    "slow_drip": 6, "slow_headers": 6, "redirect_loop": 20, "redirect_chain": 20,
    "redirect_to_blocked_port": 15, "redirect_to_localhost": 10, "redirect_to_file": 10,
    "http_404": 40, "http_410": 30, "http_451": 20, "http_500": 15, "http_503": 15,
    "http_503_retry_after_1s": 6, "http_503_retry_after_1h": 10, "http_429_retry_after_1s": 6,
    "connection_reset": 20, "closed_without_response": 10, "robots_disallowed": 40,
    "link_to_blocked_port": 10, "link_to_ipv6_loopback": 10, "link_to_octal_loopback": 10,
    "entry_without_link": 20, "javascript_link": 10, "repeated_guid": 20, "brotli_unasked": 10,
}


def one_round(pages, round_no: int) -> dict:
    results = {}
    runs = (("hostile", True), ("clean", False))
    for label, faults in runs if round_no % 2 else runs[::-1]:  # alternate which goes first
        web = HostileWeb(pages, faults=faults, fault_counts=BENCH_COUNTS, bomb_megabytes=256,
                         extra_faults=(UNSUPPORTED_ENCODING,))
        try:
            with tempfile.TemporaryDirectory() as out:
                crashed = None
                try:
                    summary, seconds = run(web, out)
                except Exception as exc:  # a crash is a figure here, not the end of the benchmark
                    crashed, summary, seconds = f"{type(exc).__name__}: {exc}", None, float("nan")
                rows = read_rows(out) if crashed is None else {}
                checked = check(web, rows) if crashed is None else {}
        finally:
            web.stop()
        results[label] = dict(web=web, summary=summary, seconds=seconds, crashed=crashed,
                              rows=rows, check=checked)
    hostile, clean = results["hostile"], results["clean"]
    good_kinds = ("good", "copy", "repeat")
    fates = {}
    for label in ("hostile", "clean"):
        by_guid = {}
        for dataset, dataset_rows in results[label]["rows"].items():
            for row in dataset_rows:
                by_guid.setdefault(row["entry_id"], []).append(outcome_of(dataset, row))
        fates[label] = by_guid
    good_guids = {e.guid for e in hostile["web"].entries.values()
                  if e.kind in good_kinds or e.kind.startswith("recovery:")}
    changed = sorted(g for g in good_guids if fates["hostile"].get(g) != fates["clean"].get(g))
    good_entries = clean["web"].entry_count
    report(round_no, hostile, clean, changed, good_entries)
    return dict(hostile_s=hostile["seconds"], clean_s=clean["seconds"],
                hostile_eps=hostile["web"].entry_count / hostile["seconds"],
                clean_eps=good_entries / clean["seconds"],
                relative=clean["seconds"] / hostile["seconds"],
                lost=len(hostile["check"].get("lost", [])) + len(hostile["check"].get("extra", [])),
                crashes=(1 if hostile["crashed"] else 0) + len(hostile["check"].get("internal_errors", [])))


def report(round_no, hostile, clean, changed, good_entries):
    print(f"\n=== round {round_no} ===")
    for label, r in (("hostile", hostile), ("clean", clean)):
        if r["crashed"]:
            print(f"{label}: CRASHED: {r['crashed']}")
            continue
        s, c = r["summary"], r["check"]
        print(f"{label}: {r['web'].entry_count} entries in {len(r['web'].feeds)} feeds"
              f" (+{len(r['web'].broken_feeds)} broken feeds), {r['seconds']:.1f} s,"
              f" {r['web'].entry_count / r['seconds']:.1f} entries/s")
        print(f"  rows out: articles {s.written.get('articles', 0)}, duplicates "
              f"{s.written.get('duplicates', 0)}, rejected {s.written.get('rejected', 0)} "
              f"({s.entry_rejected} entries + {s.feed_level_rejected} feed-level)")
        print(f"  summary: entries seen {s.entries_seen}, adds up: {s.adds_up}; internal_error rows: "
              f"{len(c['internal_errors'])}; lost (per entry, read back): {len(c['lost'])}, "
              f"written twice or unknown: {len(c['extra'])}")
    s, c = hostile["summary"], hostile["check"]
    if s is None:
        return
    print("  hostile rejected by reason:")
    for key, n in sorted(s.rejected_by_reason.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"    {key:<36} {n}")
    print("  outcome per kind of entry (expected -> observed):")
    for kind, counter in sorted(c["by_kind"].items()):
        want = EXPECTED.get(kind, "as in the clean run")
        seen = ", ".join(f"{o} x{n}" for o, n in counter.most_common())
        flag = "   <-- differs" if kind in EXPECTED and set(counter) != {want} else ""
        print(f"    {kind:<34} {want:<28} {seen}{flag}")
    print(f"  broken feeds as expected: {c['broken_feeds_ok']} {[o for _, o in c['feed_level']]}")
    print(f"  good entries whose fate the faults changed: {len(changed)} of {good_entries}"
          + (f" ({changed[:5]})" if changed else ""))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    require_shared()
    pages = good_pages()
    load = os.getloadavg()
    print(f"{len(pages)} good pages; rounds: {args.rounds}; load average at start "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
    rounds = [one_round(pages, r + 1) for r in range(args.rounds)]
    m = {k: median([r[k] for r in rounds]) for k in rounds[0]}
    load = os.getloadavg()
    print(f"\nmedians over {args.rounds} rounds: hostile run {m['hostile_s']:.1f} s "
          f"({m['hostile_eps']:.1f} entries/s), clean run {m['clean_s']:.1f} s "
          f"({m['clean_eps']:.1f} entries/s)")
    print(f"throughput on the same good pages, hostile relative to clean: {m['relative']:.2f}x")
    print(f"crashes (runs that raised + internal_error rows), all rounds: "
          f"{sum(r['crashes'] for r in rounds)} (target 0)")
    print(f"lost entries, all rounds: {sum(r['lost'] for r in rounds)} (target 0)")
    print(f"load average at end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
