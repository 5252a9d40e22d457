"""A strict, polite HTTP GET for untrusted URLs.

- Safety: every hop (redirects included) goes through the SSRF guard (transforms/netguard.py)
  and the connection is made to the very address the guard checked (DNS-rebinding safe).
- Limits: connect/read timeouts, a total deadline, a body cap enforced while reading the
  decompressed stream (a gzip/deflate bomb stops at the cap), a redirect limit with loop
  detection.
- Politeness: robots.txt per host (cached, with expiry), a descriptive User-Agent, per-host
  concurrency limit and minimum delay (per worker process), Retry-After honoured for 429/503,
  exponential backoff with jitter for transient failures.

Failures raise FetchError carrying a reason from schemas.Reason, so callers turn them into
`rejected` rows without guessing."""
from __future__ import annotations

import collections
import dataclasses
import email.utils
import random
import re
import threading
import time
import urllib.robotparser
from typing import Callable, Dict, List, Optional, Tuple
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter

from schemas import Reason
from transforms.netguard import BlockedAddress, Guard

DEFAULT_USER_AGENT = ("cfnews/0.1 (+https://github.com/cfnews/cfnews; China-France news "
                      "research crawler)")


@dataclasses.dataclass(frozen=True)
class HttpConfig:
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    total_timeout: float = 30.0           # wall-clock budget for one fetch, retries included
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


class FetchError(Exception):
    def __init__(self, reason: Reason, message: str, status: Optional[int] = None,
                 retry_after: Optional[float] = None):
        super().__init__(message)
        self.reason = reason
        self.status = status
        self.retry_after = retry_after

    @property
    def transient(self) -> bool:
        return (self.reason in (Reason.TIMEOUT, Reason.CONNECTION_ERROR)
                or (self.reason == Reason.HTTP_ERROR and self.status is not None
                    and (self.status >= 500 or self.status == 429)))


# ------------------------------------------------------------------ connection pinning

_pin = threading.local()


class _PinnedAdapter(HTTPAdapter):
    """Connects to the address the guard approved, keeping the URL's host name for the Host
    header, TLS SNI and certificate checks."""

    def get_connection_with_tls_context(self, request, verify, proxies=None, cert=None):
        host_params, pool_kwargs = self.build_connection_pool_key_attributes(request, verify, cert)
        address = getattr(_pin, "address", None)
        if address is None:
            raise BlockedAddress("connection attempted without a guard decision")
        if host_params["scheme"] == "https":
            pool_kwargs["server_hostname"] = host_params["host"]
            pool_kwargs["assert_hostname"] = host_params["host"]
        host_params["host"] = address
        return self.poolmanager.connection_from_host(**host_params, pool_kwargs=pool_kwargs)


_local = threading.local()


def _session() -> requests.Session:
    # requests.Session is not guaranteed thread-safe: one per thread.
    session = getattr(_local, "session", None)
    if session is None:
        session = requests.Session()
        session.trust_env = False  # no proxies/netrc from the environment
        adapter = _PinnedAdapter(max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        _local.session = session
    return session


# ------------------------------------------------------------------ politeness

class HostLimiter:
    """Per-host concurrency limit and minimum delay between request starts (one process)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._slots: Dict[str, threading.Semaphore] = {}
        self._next_start: Dict[str, float] = collections.defaultdict(float)

    def acquire(self, host: str, concurrency: int, min_delay: float, deadline: float) -> None:
        with self._lock:
            slot = self._slots.setdefault(host, threading.Semaphore(max(1, concurrency)))
        if not slot.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise FetchError(Reason.TIMEOUT, f"no free connection slot for {host} in time")
        with self._lock:
            start = max(time.monotonic(), self._next_start[host])
            self._next_start[host] = start + min_delay
        wait = start - time.monotonic()
        if wait > 0:
            if time.monotonic() + wait > deadline:
                slot.release()
                raise FetchError(Reason.TIMEOUT, f"politeness delay for {host} exceeds the budget")
            time.sleep(wait)

    def release(self, host: str) -> None:
        with self._lock:
            slot = self._slots.get(host)
        if slot is not None:
            slot.release()


class RobotsCache:
    """robots.txt per scheme://host:port, with expiry. As RFC 9309 says: a 4xx robots.txt
    means everything is allowed; an unreachable or 5xx one means nothing is, for now — the
    page is then refused with the robots.txt failure itself (a transient reason), so the
    entry is tried again on a later poll instead of being written off."""

    UNAVAILABLE_TTL = 600.0

    def __init__(self):
        self._lock = threading.Lock()
        self._cache: Dict[str, tuple] = {}  # origin -> (expiry, parser | None, FetchError | None)

    def check(self, url: str, config: HttpConfig, deadline: float) -> None:
        """Raise FetchError unless robots.txt lets `config.user_agent` fetch `url`."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        with self._lock:
            cached = self._cache.get(origin)
        if cached is None or cached[0] < time.monotonic():
            cached = self._load(origin, config, deadline)
            with self._lock:
                self._cache[origin] = cached
        _expiry, parser, failure = cached
        if failure is not None:
            raise FetchError(failure.reason, f"robots.txt unavailable, not fetching: {failure}",
                             failure.status)
        if parser is not None and not parser.can_fetch(config.user_agent, url):
            raise FetchError(Reason.ROBOTS_DISALLOWED, f"robots.txt disallows {url}")

    def _load(self, origin: str, config: HttpConfig, deadline: float) -> tuple:
        now = time.monotonic()
        try:
            response = _get_with_redirects(origin + "/robots.txt", config, deadline,
                                           max_bytes=512 * 1024)
        except FetchError as exc:
            if exc.reason == Reason.HTTP_ERROR and exc.status and 400 <= exc.status < 500:
                return (now + config.robots_ttl, None, None)  # no robots.txt: all allowed
            return (now + min(config.robots_ttl, self.UNAVAILABLE_TTL), None, exc)
        parser = urllib.robotparser.RobotFileParser()
        parser.parse(response.body.decode("utf-8", errors="replace").splitlines())
        return (now + config.robots_ttl, parser, None)


_limiter = HostLimiter()
_robots = RobotsCache()


# ------------------------------------------------------------------ the GET

def http_get(url: str, config: HttpConfig = HttpConfig(),
             extra_headers: Optional[Dict[str, str]] = None,
             check_robots: bool = False) -> HttpResponse:
    """GET `url` politely and safely, retrying transient failures within the budget.
    Returns the final 2xx response; raises FetchError for anything else."""
    deadline = time.monotonic() + config.total_timeout
    if check_robots and config.respect_robots:
        _robots.check(url, config, deadline)
    attempt = 0
    while True:
        try:
            return _get_with_redirects(url, config, deadline, extra_headers=extra_headers)
        except FetchError as exc:
            if not exc.transient or attempt >= config.max_retries:
                raise
            delay = config.backoff * (2 ** attempt) * random.uniform(0.5, 1.5)
            if exc.retry_after is not None:
                if exc.retry_after > config.max_retry_after:
                    raise
                delay = max(delay, exc.retry_after)
            if time.monotonic() + delay >= deadline:
                raise
            time.sleep(delay)
            attempt += 1


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
        if current in seen:
            raise FetchError(Reason.TOO_MANY_REDIRECTS, f"redirect loop at {current}")
        seen.add(current)
        try:
            address = guard.check_url(current)
        except BlockedAddress as exc:
            raise FetchError(Reason.BLOCKED_ADDRESS, str(exc)) from None
        except ValueError as exc:
            raise FetchError(Reason.BAD_URL, str(exc)) from None
        except OSError as exc:
            raise FetchError(Reason.CONNECTION_ERROR, f"DNS: {exc}") from None
        host = urlsplit(current).netloc.lower().rsplit("@", 1)[-1]
        # the socket goes to the pinned address; the Host header must still name the site
        headers["Host"] = host
        _limiter.acquire(host, config.per_host_concurrency, config.min_host_delay, deadline)
        try:
            response = _request(current, address, headers, config, deadline)
            try:
                if response.status_code in (301, 302, 303, 307, 308):
                    location = response.headers.get("location")
                    if not location:
                        raise FetchError(Reason.HTTP_ERROR, "redirect without Location",
                                         response.status_code)
                    current = urljoin(current, location.strip())
                    continue
                if response.status_code == 304:  # only ever answers a conditional request
                    return HttpResponse(url=current, status=304, body=b"",
                                        headers={k.lower(): v for k, v in response.headers.items()})
                if not 200 <= response.status_code < 300:
                    raise FetchError(Reason.HTTP_ERROR, f"HTTP {response.status_code}",
                                     response.status_code,
                                     retry_after=_retry_after(response.headers.get("retry-after")))
                encoding = response.headers.get("content-encoding", "").strip().lower()
                if encoding not in ("", "identity", "gzip", "x-gzip", "deflate"):
                    # we never ask for br/zstd/...: undecoded bytes must not pass as a page
                    raise FetchError(Reason.BAD_ENCODING, f"unsupported Content-Encoding {encoding!r}",
                                     response.status_code)
                body = _read_capped(response, max_bytes or config.max_bytes, deadline)
                return HttpResponse(url=current, status=response.status_code,
                                    headers={k.lower(): v for k, v in response.headers.items()},
                                    body=body)
            finally:
                response.close()
        finally:
            _limiter.release(host)
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


def _request(url, address, headers, config, deadline) -> requests.Response:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise FetchError(Reason.TIMEOUT, "total time budget exhausted")
    _pin.address = address
    try:
        return _session().get(url, headers=headers, stream=True, allow_redirects=False,
                              timeout=(min(config.connect_timeout, remaining),
                                       min(config.read_timeout, remaining)))
    except requests.exceptions.Timeout as exc:
        raise FetchError(Reason.TIMEOUT, f"{type(exc).__name__}: {exc}") from None
    except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
            requests.exceptions.InvalidSchema) as exc:
        raise FetchError(Reason.BAD_URL, f"{type(exc).__name__}: {exc}") from None
    except requests.exceptions.RequestException as exc:
        raise FetchError(Reason.CONNECTION_ERROR, f"{type(exc).__name__}: {exc}") from None
    finally:
        _pin.address = None


def _urllib3_error(exc: Exception) -> Exception:
    import urllib3.exceptions as u3
    if isinstance(exc, u3.DecodeError):
        return requests.exceptions.ContentDecodingError(exc)
    if isinstance(exc, (u3.ReadTimeoutError, TimeoutError)):
        return requests.exceptions.ReadTimeout(exc)
    if isinstance(exc, (u3.ProtocolError, u3.IncompleteRead, ConnectionError, OSError)):
        return requests.exceptions.ChunkedEncodingError(exc)
    return exc


def _read_capped(response: requests.Response, max_bytes: int, deadline: float) -> bytes:
    declared = response.headers.get("content-length")
    encoded = response.headers.get("content-encoding", "identity").lower() not in ("", "identity")
    if declared and declared.isdigit() and int(declared) > max_bytes and not encoded:
        raise FetchError(Reason.TOO_LARGE, f"Content-Length {declared} > {max_bytes}",
                         response.status_code)
    chunks, size = [], 0
    raw = response.raw
    try:
        # read1 returns what one socket read brings, so a slow-drip server cannot hold a read
        # past the deadline; decode_content: the cap counts decompressed bytes (bombs stop early)
        while True:
            try:
                chunk = raw.read1(64 * 1024, decode_content=True)
            except Exception as exc:  # urllib3 errors: map them as requests would
                raise _urllib3_error(exc) from None
            if not chunk:
                break
            size += len(chunk)
            if size > max_bytes:
                raise FetchError(Reason.TOO_LARGE, f"body over {max_bytes} bytes",
                                 response.status_code)
            if time.monotonic() > deadline:
                raise FetchError(Reason.TIMEOUT, "total time budget exhausted while reading",
                                 response.status_code)
            chunks.append(chunk)
    except requests.exceptions.Timeout as exc:
        raise FetchError(Reason.TIMEOUT, f"{type(exc).__name__}: {exc}",
                         response.status_code) from None
    except requests.exceptions.ContentDecodingError as exc:
        raise FetchError(Reason.BAD_ENCODING, f"{type(exc).__name__}: {exc}",
                         response.status_code) from None
    except requests.exceptions.RequestException as exc:
        raise FetchError(Reason.CONNECTION_ERROR, f"{type(exc).__name__}: {exc}",
                         response.status_code) from None
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


def _detect(body: bytes) -> Optional[str]:
    try:
        import charset_normalizer  # a dependency of requests
        best = charset_normalizer.from_bytes(body[:65536]).best()
        return best.encoding if best else None
    except Exception:
        return None
