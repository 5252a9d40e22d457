"""A strict, polite HTTP GET for untrusted URLs.

- Safety: a URL is parsed once (netguard.parse_target); every hop (redirects included) goes
  through the SSRF guard, and the request is sent to the very address and port the guard
  checked, with the path of that same parse (DNS-rebinding safe; no second URL parser).
- Limits: connect/read timeouts and one total deadline per fetch that covers everything —
  connect, status line, response headers, body, every redirect and retry (a watchdog shuts
  the socket down when it passes, so a server dripping header lines cannot hold a request);
  a body cap enforced while reading the decompressed stream (a gzip/deflate bomb stops at the
  cap); a redirect limit with loop detection.
- Politeness: robots.txt per host (transforms/robots.py: RFC 9309, fetched once per host and
  shared by every thread), a descriptive User-Agent, per-host concurrency limit and minimum
  delay (per worker process, across all threads), Retry-After honoured for 429/503,
  exponential backoff with jitter for transient failures (schemas/reasons.py: is_transient, the
  rule later runs apply too). A failure that speaks for the
  server (Retry-After, 429/502/503/504, host unreachable) pauses the host concerned,
  host-wide (every request to it not yet sent waits for the pause), and nothing else; one that
  speaks for its URL (a 500, a reset or timeout mid-answer) delays only that URL. Inside a
  transforms/inflight.py task the retry is not slept on a thread but handed back to the
  scheduler (RetryLater) to run again when the pause ends, so other hosts' entries go on.
- Connections are kept alive and reused per (host, checked address, port).

Failures raise FetchError carrying a reason from schemas.Reason, so callers turn them into
`rejected` rows without guessing."""
from __future__ import annotations

import collections
import dataclasses
import email.utils
import os
import random
import re
import socket
import threading
import time
from typing import Callable, Dict, List, Optional, Tuple
from urllib.parse import urljoin

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from cfnews.schemas import Reason
from cfnews.schemas.reasons import is_transient
from cfnews.transforms.netguard import BlockedAddress, Guard, Target, parse_target
from cfnews.transforms.timers import TIMERS

DEFAULT_USER_AGENT = ("cfnews/0.1 (+https://github.com/cfnews/cfnews; China-France news "
                      "research crawler)")
# Requests in flight per worker process (pages, feeds, robots.txt): waits, not work, so many
# more than cores; the per-host limits below keep each site's share small.
DEFAULT_MAX_IN_FLIGHT = 32


@dataclasses.dataclass(frozen=True)
class HttpConfig:
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    total_timeout: float = 30.0           # wall-clock budget for one fetch: all hops and retries
    max_bytes: int = 5 * 1024 * 1024      # body cap (decompressed), checked while reading
    max_redirects: int = 5
    user_agent: str = DEFAULT_USER_AGENT
    allow_hosts: Tuple[str, ...] = ()     # 'host:port' pairs allowed although not public
    respect_robots: bool = True
    robots_ttl: float = 24 * 3600.0
    per_host_concurrency: int = 2         # simultaneous requests to one host, per process
    min_host_delay: float = 1.0           # seconds between request starts to one host
    max_retries: int = 2                  # extra attempts after a transient failure
    backoff: float = 0.5                  # first retry delay; doubles, with jitter
    max_retry_after: float = 20.0         # a longer Retry-After is not waited for
    resolver: Optional[Callable[[str, int], List[str]]] = None  # None: the system's (tests stub it)
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT  # concurrent fetches per process (transforms/inflight.py)

    @property
    def guard(self) -> Guard:
        return dataclasses.replace(Guard.allowing(self.allow_hosts), resolver=self.resolver)


@dataclasses.dataclass(frozen=True)
class HttpResponse:
    url: str                  # the URL finally answered (after redirects)
    status: int
    headers: Dict[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


# Answers that speak for the whole server (it limits us, is overloaded, or its gateway
# failed), not for the one URL asked: their retry pauses the host. A CDN's 521 (origin
# down), 522 (origin connection timed out) and 523 (origin unreachable) say the same of the
# origin behind it; its 520 and 524 (one request's odd or slow answer) do not.
HOST_WIDE_STATUSES = frozenset({429, 502, 503, 504, 521, 522, 523})


class FetchError(Exception):
    def __init__(self, reason: Reason, message: str, status: Optional[int] = None,
                 retry_after: Optional[float] = None, unreachable: bool = False):
        super().__init__(message)
        self.reason = reason
        self.status = status
        self.retry_after = retry_after
        self.unreachable = unreachable   # no connection could be made (DNS, refused, connect timeout)
        self.host: Optional[str] = None  # the host (authority) of the hop that failed

    @property
    def pauses_host(self) -> bool:
        """Whether the retry's wait holds every request to the host: the server asked for it
        (Retry-After), said it is overloaded (HOST_WIDE_STATUSES), or cannot be reached.
        Other transient failures (a 500 from one broken page, a reset or timeout mid-answer)
        delay only their own URL's retry."""
        return (self.retry_after is not None or self.unreachable
                or (self.reason == Reason.HTTP_ERROR and self.status in HOST_WIDE_STATUSES))

    @property
    def transient(self) -> bool:
        """Worth retrying within this fetch: the rule later runs apply too
        (schemas/reasons.py: is_transient)."""
        return is_transient(self.reason, self.status)


# ------------------------------------------------------------------ the deadline watchdog
# (the process's timer thread, transforms/timers.py: socket timeouts bound each read, not
# the sum of many slow ones such as dripped header lines)

class _Alarm:
    """A request's deadline on one connection: when it passes, the socket is shut down."""
    __slots__ = ("connection", "fired", "_timer")

    def __init__(self, deadline: float, connection):
        self.connection, self.fired = connection, False
        self._timer = TIMERS.call_at(deadline, self.fire)

    def cancel(self) -> None:
        self._timer.cancel()

    def fire(self) -> None:
        self.fired = True
        sock = getattr(self.connection, "sock", None)
        if sock is not None:
            try:  # wakes a recv blocked on this socket at once, whatever the server does
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


_ctx = threading.local()  # the deadline and alarms of the request this thread is making


def _watch(connection) -> None:
    deadline = getattr(_ctx, "deadline", None)
    if deadline is None:
        return
    alarms = _ctx.alarms
    if not any(a.connection is connection for a in alarms):
        alarms.append(_Alarm(deadline, connection))


def _mark_sent() -> None:
    on_sent = getattr(_ctx, "on_sent", None)
    if on_sent is not None:
        _ctx.on_sent = None
        on_sent()


class _WatchedHTTPConnection(HTTPConnection):
    def connect(self):
        _watch(self)
        super().connect()

    def request(self, *args, **kwargs):
        _watch(self)  # a kept-alive connection is reused: armed again for each request
        try:
            return super().request(*args, **kwargs)
        finally:
            _mark_sent()


class _WatchedHTTPSConnection(HTTPSConnection):
    def connect(self):
        _watch(self)
        super().connect()

    def request(self, *args, **kwargs):
        _watch(self)
        try:
            return super().request(*args, **kwargs)
        finally:
            _mark_sent()


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


# ------------------------------------------------------------------ connection pools

class _Pools:
    """Keep-alive connection pools per (scheme, checked address, port, host name), shared by
    every thread of the process. The pool connects to the checked address only."""

    MAX_POOLS = 512

    def __init__(self):
        self._lock = threading.Lock()
        self._pools: "collections.OrderedDict[tuple, HTTPConnectionPool]" = collections.OrderedDict()
        self._pid = os.getpid()

    def get(self, target: Target, address: str, size: int) -> HTTPConnectionPool:
        key = (target.scheme, address, target.port, target.host)
        with self._lock:
            if self._pid != os.getpid():  # a forked worker must not share its parent's sockets
                self._pools, self._pid = collections.OrderedDict(), os.getpid()
            pool = self._pools.get(key)
            if pool is not None:
                self._pools.move_to_end(key)
                return pool
            if target.scheme == "https":
                pool = _HTTPSPool(address, target.port, maxsize=max(1, size), block=False,
                                  retries=False, cert_reqs="CERT_REQUIRED", ca_certs=_ca_bundle(),
                                  server_hostname=target.host, assert_hostname=target.host)
            else:
                pool = _HTTPPool(address, target.port, maxsize=max(1, size), block=False,
                                 retries=False)
            self._pools[key] = pool
            while len(self._pools) > self.MAX_POOLS:
                _key, old = self._pools.popitem(last=False)
                old.close()
            return pool

    def close_all(self) -> None:
        with self._lock:
            pools, self._pools = list(self._pools.values()), collections.OrderedDict()
        for pool in pools:
            pool.close()


def _ca_bundle() -> Optional[str]:
    try:
        import certifi
        return certifi.where()
    except ImportError:  # the system's store
        return None


_pools = _Pools()


# ------------------------------------------------------------------ politeness

class HostLimiter:
    """Per-host concurrency limit, minimum delay between requests and pauses (one process,
    every thread). The delay is counted from when the previous request was actually sent (not
    from when it was allowed to start), so a slow connect cannot squeeze two arrivals
    together. A pause (Retry-After, backoff) holds every request to the host not yet sent."""

    def __init__(self):
        self._lock = threading.Lock()
        self._slots: Dict[str, threading.Semaphore] = {}
        self._gates: Dict[str, threading.Lock] = {}   # one request per host being started
        self._last_sent: Dict[str, float] = collections.defaultdict(lambda: float("-inf"))
        self._paused_until: Dict[str, float] = {}
        self._held: Dict[str, int] = collections.defaultdict(int)  # slots taken or awaited

    def pause(self, host: str, until: float) -> None:
        """No request to `host` starts before `until` (monotonic); a pause only lengthens."""
        with self._lock:
            if until > self._paused_until.get(host, float("-inf")):
                self._paused_until[host] = until

    def paused_until(self, host: str) -> float:
        """When the host's pause ends (monotonic; in the past if it is not paused)."""
        with self._lock:
            until = self._paused_until.get(host)
            if until is not None and until <= time.monotonic():
                del self._paused_until[host]  # keeps the map to the hosts paused now
                until = None
        return float("-inf") if until is None else until

    def acquire(self, host: str, concurrency: int, min_delay: float, deadline: float) -> None:
        """Wait for a slot and for the host's turn; the caller must call sent() (once the
        request is on the wire, or has failed to get there) and release()."""
        with self._lock:
            slot = self._slots.setdefault(host, threading.Semaphore(max(1, concurrency)))
            gate = self._gates.setdefault(host, threading.Lock())
            self._held[host] += 1  # counted from the wait on: forget_idle_hosts keeps the slot
        if not slot.acquire(timeout=max(0.0, deadline - time.monotonic())):
            with self._lock:
                self._held[host] -= 1
            raise FetchError(Reason.TIMEOUT, f"no free connection slot for {host} in time")
        if not gate.acquire(timeout=max(0.0, deadline - time.monotonic())):
            self.release(host)
            raise FetchError(Reason.TIMEOUT, f"politeness delay for {host} exceeds the budget")
        while True:  # again after each wait: a pause may have come meanwhile
            with self._lock:
                start = max(self._last_sent[host] + min_delay,
                            self._paused_until.get(host, float("-inf")))
            wait = start - time.monotonic()
            if wait <= 0:
                return
            if time.monotonic() + wait > deadline:
                gate.release()
                self.release(host)
                raise FetchError(Reason.TIMEOUT, f"politeness delay for {host} exceeds the budget")
            time.sleep(wait)

    def sent(self, host: str) -> None:
        """The request to `host` is sent (or failed before): the next one may start its wait."""
        with self._lock:
            self._last_sent[host] = time.monotonic()
            gate = self._gates.get(host)
        if gate is not None and gate.locked():
            gate.release()

    def release(self, host: str) -> None:
        with self._lock:
            slot = self._slots.get(host)
            if slot is not None:
                self._held[host] -= 1
        if slot is not None:
            slot.release()

    def forget_idle_hosts(self) -> None:
        """Drop every host's pause and delay, and the slots of hosts with no request holding
        one (a busy host's slots stay: their holders will release them)."""
        with self._lock:
            self._paused_until.clear()
            self._last_sent.clear()
            for host in [h for h, held in self._held.items() if held == 0]:
                del self._held[host]
                self._slots.pop(host, None)
                self._gates.pop(host, None)


_limiter = HostLimiter()


def forget_hosts() -> None:
    """Forget what this process learnt about hosts: robots.txt rules, pauses and delays,
    DNS answers and pooled connections. Host state is keyed by host:port, so a test that
    starts a new loopback server on a port an earlier one used must not inherit its state;
    a long-lived worker never needs this."""
    from cfnews.transforms.netguard import forget_dns_answers
    _robots_cache().clear()
    _limiter.forget_idle_hosts()
    forget_dns_answers()
    _pools.close_all()


def _robots_cache():
    from cfnews.transforms.robots import ROBOTS  # robots.txt is fetched with _get_with_redirects
    return ROBOTS


# ------------------------------------------------------------------ retries, rescheduled

class RetryLater(Exception):
    """Raised by http_get inside a rescheduling task instead of sleeping: the task is to be
    run again from `at` (monotonic); its deadline and attempt count are kept in the task."""

    def __init__(self, at: float):
        super().__init__(f"retry at {at:.3f}")
        self.at = at


class RetryTask:
    """What survives a RetryLater between runs of one task: each URL's deadline (set on its
    first attempt) and attempts made."""

    def __init__(self):
        self.deadlines: Dict[str, float] = {}
        self.attempts: Dict[str, int] = {}


class rescheduling:
    """`with rescheduling(task):` the http_get calls of this thread raise RetryLater instead
    of sleeping before a retry (transforms/inflight.py runs the task again later)."""

    def __init__(self, task: RetryTask):
        self.task = task

    def __enter__(self):
        self._previous = getattr(_ctx, "task", None)
        _ctx.task = self.task
        return self.task

    def __exit__(self, *exc):
        _ctx.task = self._previous
        return False


def paused_until(host: str) -> float:
    """When the pause of `host` (Retry-After or backoff) ends, monotonic."""
    return _limiter.paused_until(host)


# ------------------------------------------------------------------ the GET

def http_get(url: str, config: HttpConfig = HttpConfig(),
             extra_headers: Optional[Dict[str, str]] = None,
             check_robots: bool = False) -> HttpResponse:
    """GET `url` politely and safely, retrying transient failures within the budget.
    Returns the final 2xx response; raises FetchError for anything else.
    A retry's wait (backoff or Retry-After) pauses the failing host for every request of the
    process; under `rescheduling` the wait raises RetryLater instead of blocking the thread."""
    task = getattr(_ctx, "task", None)
    if task is not None:  # a rescheduled run: the same deadline, the attempts counted so far
        deadline = task.deadlines.setdefault(url, time.monotonic() + config.total_timeout)
        attempt = task.attempts.get(url, 0)
    else:
        deadline, attempt = time.monotonic() + config.total_timeout, 0
    if check_robots and config.respect_robots:
        _robots_cache().check(url, config, deadline)
    while True:
        try:
            return _get_with_redirects(url, config, deadline, extra_headers=extra_headers)
        except FetchError as exc:
            if not exc.transient or attempt >= config.max_retries:
                raise
            delay = config.backoff * (2 ** attempt) * random.uniform(0.5, 1.5)
            if exc.retry_after is not None:
                if exc.retry_after > config.max_retry_after:
                    raise  # not waited for: this URL fails now, the host is not held up
                delay = max(delay, exc.retry_after)
            resume_at = time.monotonic() + delay
            if resume_at >= deadline:
                raise
            attempt += 1
            host_wide = bool(exc.host) and exc.pauses_host
            if host_wide:
                _limiter.pause(exc.host, resume_at)  # its queued requests wait too
            if task is not None:
                task.attempts[url] = attempt
                raise RetryLater(resume_at) from None
            if not host_wide:
                time.sleep(delay)  # else the retry's acquire() waits for the host's pause


def _get_with_redirects(url: str, config: HttpConfig, deadline: float,
                        extra_headers: Optional[Dict[str, str]] = None,
                        max_bytes: Optional[int] = None) -> HttpResponse:
    guard = config.guard
    headers = {"User-Agent": config.user_agent,
               "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
               "Accept-Encoding": "gzip, deflate"}
    headers.update(extra_headers or {})
    seen = set()
    current = url
    for _hop in range(config.max_redirects + 1):
        try:
            target = parse_target(current)  # the one parse this hop uses, for check and request
        except ValueError as exc:
            raise FetchError(Reason.BAD_URL, str(exc)) from None
        try:
            address = guard.check_target(target)
        except BlockedAddress as exc:
            raise FetchError(Reason.BLOCKED_ADDRESS, str(exc)) from None
        except ValueError as exc:
            raise FetchError(Reason.BAD_URL, str(exc)) from None
        except OSError as exc:
            error = FetchError(Reason.CONNECTION_ERROR, f"DNS: {exc}", unreachable=True)
            error.host = target.authority
            raise error from None
        if target.url in seen:
            raise FetchError(Reason.TOO_MANY_REDIRECTS, f"redirect loop at {target.url}")
        seen.add(target.url)
        # the socket goes to the checked address; the Host header still names the site
        headers["Host"] = target.authority
        host = target.authority
        _limiter.acquire(host, config.per_host_concurrency, config.min_host_delay, deadline)
        _ctx.on_sent = lambda host=host: _limiter.sent(host)
        try:
            status, response_headers, body = _request(target, address, headers, config, deadline,
                                                      max_bytes or config.max_bytes)
        except FetchError as exc:
            exc.host = host
            raise
        finally:
            _mark_sent()  # failed before sending: the host's turn passes on all the same
            _limiter.release(host)
        if status in (301, 302, 303, 307, 308):
            location = response_headers.get("location")
            if not location:
                raise FetchError(Reason.HTTP_ERROR, "redirect without Location", status)
            current = urljoin(target.url, location.strip())
            continue
        if status == 304:  # only ever answers a conditional request
            return HttpResponse(url=target.url, status=304, body=b"", headers=response_headers)
        return HttpResponse(url=target.url, status=status, headers=response_headers, body=body)
    raise FetchError(Reason.TOO_MANY_REDIRECTS, f"more than {config.max_redirects} redirects")


def _retry_after(value: Optional[str]) -> Optional[float]:
    """Seconds from a Retry-After header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _request(target: Target, address: str, headers: Dict[str, str], config: HttpConfig,
             deadline: float, max_bytes: int) -> Tuple[int, Dict[str, str], bytes]:
    """One request on a kept-alive connection to (address, target.port): status, headers
    (lower-case names) and, for a 2xx answer, the capped body. The watchdog holds the
    deadline over every byte, head included."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise FetchError(Reason.TIMEOUT, "total time budget exhausted")
    pool = _pools.get(target, address, config.per_host_concurrency)
    _ctx.deadline, _ctx.alarms = deadline, []
    response = None
    complete = False
    try:
        try:
            response = pool.urlopen(
                "GET", target.path, headers=headers, retries=False, redirect=False,
                assert_same_host=False, preload_content=False, release_conn=False,
                timeout=urllib3.Timeout(connect=min(config.connect_timeout, remaining),
                                        read=min(config.read_timeout, remaining)))
        except Exception as exc:
            raise _fetch_error(exc, None) from None
        status = response.status
        response_headers = {k.lower(): v for k, v in response.headers.items()}
        if 200 <= status < 300:
            encoding = response_headers.get("content-encoding", "").strip().lower()
            if encoding not in ("", "identity", "gzip", "x-gzip", "deflate"):
                # we never ask for br/zstd/...: undecoded bytes must not pass as a page
                raise FetchError(Reason.BAD_ENCODING, f"unsupported Content-Encoding {encoding!r}",
                                 status)
            body = _read_capped(response, response_headers, max_bytes, deadline)
            complete = True
        elif status in (301, 302, 303, 307, 308, 304):
            body = b""
        else:
            raise FetchError(Reason.HTTP_ERROR, f"HTTP {status}", status,
                             retry_after=_retry_after(response_headers.get("retry-after")))
        if any(a.fired for a in _ctx.alarms):  # the watchdog cut it: whatever came is partial
            raise FetchError(Reason.TIMEOUT, "total time budget exhausted", status)
        return status, response_headers, body
    except FetchError as exc:
        if exc.reason != Reason.TIMEOUT and any(a.fired for a in _ctx.alarms):
            raise FetchError(Reason.TIMEOUT, f"total time budget exhausted ({exc})",
                             exc.status) from None
        raise
    finally:
        for alarm in _ctx.alarms:
            alarm.cancel()
        _ctx.deadline, _ctx.alarms = None, []
        if response is not None:
            if not complete:
                response.close()  # unread bytes: this connection cannot be reused
            response.release_conn()


def _fetch_error(exc: Exception, status: Optional[int]) -> FetchError:
    from urllib3 import exceptions as u3
    name = f"{type(exc).__name__}: {exc}"
    if any(a.fired for a in getattr(_ctx, "alarms", [])):
        return FetchError(Reason.TIMEOUT, f"total time budget exhausted ({name})", status)
    if isinstance(exc, FetchError):
        return exc
    if isinstance(exc, u3.NewConnectionError):  # (a subclass of ConnectTimeoutError)
        return FetchError(Reason.CONNECTION_ERROR, name, status, unreachable=True)
    if isinstance(exc, u3.ConnectTimeoutError):
        return FetchError(Reason.TIMEOUT, name, status, unreachable=True)
    if isinstance(exc, (u3.TimeoutError, TimeoutError, socket.timeout)):
        return FetchError(Reason.TIMEOUT, name, status)
    if isinstance(exc, u3.DecodeError):
        return FetchError(Reason.BAD_ENCODING, name, status)
    if isinstance(exc, (u3.LocationValueError, ValueError)) and not isinstance(exc, u3.HTTPError):
        return FetchError(Reason.BAD_URL, name, status)
    return FetchError(Reason.CONNECTION_ERROR, name, status)


def _read_capped(response, headers: Dict[str, str], max_bytes: int, deadline: float) -> bytes:
    declared = headers.get("content-length", "")
    encoded = headers.get("content-encoding", "identity").lower() not in ("", "identity")
    status = response.status
    if declared.isdigit() and int(declared) > max_bytes and not encoded:
        raise FetchError(Reason.TOO_LARGE, f"Content-Length {declared} > {max_bytes}", status)
    chunks, size = [], 0
    # read1 returns what one socket read brings; decode_content: the cap counts decompressed
    # bytes (bombs stop early). The watchdog ends a read that the deadline overtakes.
    while True:
        try:
            chunk = response.read1(64 * 1024, decode_content=True)
        except Exception as exc:
            raise _fetch_error(exc, status) from None
        if not chunk:
            break
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(Reason.TOO_LARGE, f"body over {max_bytes} bytes", status)
        if time.monotonic() > deadline:
            raise FetchError(Reason.TIMEOUT, "total time budget exhausted while reading", status)
        chunks.append(chunk)
    return b"".join(chunks)


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.I)


_SINGLE_BYTE_LATIN = {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "cp1252",
                      "windows-1252", "us-ascii", "ascii"}


def decode_html(body: bytes, content_type_header: str = "") -> str:
    """Text of an HTML body, never raising. Declarations are often wrong, so: a body that is
    valid UTF-8 with multi-byte characters is UTF-8, whatever it declares; else the declared
    charset, then the <meta> one, if they decode — except that a single-byte Latin
    declaration (which decodes anything) over non-ASCII bytes is checked by detection, so a
    GB2312 page labelled ISO-8859-1 is not turned into mojibake; else detection; else cp1252."""
    try:
        text = body.decode("utf-8")
        if any(b >= 0x80 for b in body[:65536]):
            return text
    except UnicodeDecodeError:
        pass
    candidates = []
    match = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", content_type_header or "", re.I)
    if match:
        candidates.append(match.group(1))
    meta = _META_CHARSET.search(body[:4096])
    if meta:
        candidates.append(meta.group(1).decode("ascii", "ignore"))
    for charset in candidates + ["utf-8"]:
        if charset.lower() in _SINGLE_BYTE_LATIN and any(b >= 0x80 for b in body[:65536]):
            guess = _detect(body)
            if guess and guess.lower().replace("_", "-") not in _SINGLE_BYTE_LATIN \
                    and not guess.lower().startswith(("cp125", "iso8859", "mac")):
                return body.decode(guess, errors="replace")
        try:
            return body.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    guess = _detect(body)
    return body.decode(guess or "cp1252", errors="replace")


# Characters no text page is made of: C0/C1 controls (not tab, newlines, form feed) and the
# replacement character decoding leaves. Real pages hold under 0.01 % (the 181 pages of the shared
# extraction benchmark: at most 0.007 %); random bytes, executables and compressed data decoded as
# a page hold 13-40 %.
_NOT_TEXT_CHARS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufffd]")
NOT_TEXT_SHARE = 0.01
_NOT_TEXT_SAMPLE = 65536


def not_text_problem(text: str) -> str:
    """Why a decoded body is not text (binary data served or saved as a page), or ''."""
    sample = text[:_NOT_TEXT_SAMPLE]
    if not sample:
        return ""
    share = len(_NOT_TEXT_CHARS.findall(sample)) / len(sample)
    if share <= NOT_TEXT_SHARE:
        return ""
    return f"not text: {share:.0%} of its characters are control or undecodable characters"


def _detect(body: bytes) -> Optional[str]:
    try:
        import charset_normalizer  # a dependency of requests
        best = charset_normalizer.from_bytes(body[:65536]).best()
        return best.encoding if best else None
    except Exception:
        return None
