"""A small, strict HTTP GET: timeouts, a total deadline, a body size cap enforced while
streaming, manual redirects (each hop visible, with a limit and loop detection).

Failures raise FetchError with a reason from schemas.Reason, so callers turn them into
`rejected` rows without guessing."""
from __future__ import annotations

import dataclasses
import re
import threading
import time
from typing import Dict, Optional
from urllib.parse import urljoin, urlsplit

import requests

from schemas import Reason

DEFAULT_USER_AGENT = "cfnews/0.1 (+https://github.com/cfnews/cfnews; news research crawler)"


@dataclasses.dataclass(frozen=True)
class HttpConfig:
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    total_timeout: float = 30.0           # wall-clock budget for one request, redirects included
    max_bytes: int = 5 * 1024 * 1024      # body cap, checked while reading
    max_redirects: int = 5
    user_agent: str = DEFAULT_USER_AGENT


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
    def __init__(self, reason: Reason, message: str, status: Optional[int] = None):
        super().__init__(message)
        self.reason = reason
        self.status = status


_local = threading.local()


def _session() -> requests.Session:
    # requests.Session is not guaranteed thread-safe: one per thread.
    session = getattr(_local, "session", None)
    if session is None:
        session = requests.Session()
        session.trust_env = False  # no proxies/netrc from the environment
        _local.session = session
    return session


def http_get(url: str, config: HttpConfig = HttpConfig(),
             extra_headers: Optional[Dict[str, str]] = None) -> HttpResponse:
    """GET `url`, following at most `config.max_redirects` redirects. Returns the final
    2xx/3xx-free response; raises FetchError for anything else."""
    deadline = time.monotonic() + config.total_timeout
    headers = {"User-Agent": config.user_agent,
               "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
               "Accept-Encoding": "gzip, deflate"}
    headers.update(extra_headers or {})
    seen = set()
    current = url
    for _hop in range(config.max_redirects + 1):
        parts = urlsplit(current)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError(Reason.BAD_URL, f"not an http(s) URL: {current!r}")
        if current in seen:
            raise FetchError(Reason.TOO_MANY_REDIRECTS, f"redirect loop at {current}")
        seen.add(current)
        response = _request(current, headers, config, deadline)
        try:
            if response.status_code in (301, 302, 303, 307, 308):
                location = response.headers.get("location")
                if not location:
                    raise FetchError(Reason.HTTP_ERROR, "redirect without Location",
                                     response.status_code)
                current = urljoin(current, location)
                continue
            if response.status_code >= 400 or response.status_code < 200:
                raise FetchError(Reason.HTTP_ERROR, f"HTTP {response.status_code}",
                                 response.status_code)
            body = _read_capped(response, config, deadline)
            return HttpResponse(url=current, status=response.status_code,
                                headers={k.lower(): v for k, v in response.headers.items()},
                                body=body)
        finally:
            response.close()
    raise FetchError(Reason.TOO_MANY_REDIRECTS, f"more than {config.max_redirects} redirects")


def _request(url, headers, config, deadline) -> requests.Response:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise FetchError(Reason.TIMEOUT, "total time budget exhausted")
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


def _read_capped(response: requests.Response, config: HttpConfig, deadline: float) -> bytes:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > config.max_bytes:
        raise FetchError(Reason.TOO_LARGE, f"Content-Length {declared} > {config.max_bytes}",
                         response.status_code)
    chunks, size = [], 0
    try:
        # decode_content=True: the cap applies to decompressed bytes (a gzip bomb stops early)
        for chunk in response.iter_content(chunk_size=64 * 1024):
            size += len(chunk)
            if size > config.max_bytes:
                raise FetchError(Reason.TOO_LARGE, f"body over {config.max_bytes} bytes",
                                 response.status_code)
            if time.monotonic() > deadline:
                raise FetchError(Reason.TIMEOUT, "total time budget exhausted while reading",
                                 response.status_code)
            chunks.append(chunk)
    except requests.exceptions.Timeout as exc:
        raise FetchError(Reason.TIMEOUT, f"{type(exc).__name__}: {exc}",
                         response.status_code) from None
    except requests.exceptions.RequestException as exc:
        raise FetchError(Reason.CONNECTION_ERROR, f"{type(exc).__name__}: {exc}",
                         response.status_code) from None
    return b"".join(chunks)


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.I)


def decode_html(body: bytes, content_type_header: str = "") -> str:
    """Text of an HTML body: the declared charset if it decodes cleanly, else the <meta>
    charset, else UTF-8, else cp1252 with replacement (never raises)."""
    candidates = []
    match = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", content_type_header or "", re.I)
    if match:
        candidates.append(match.group(1))
    meta = _META_CHARSET.search(body[:4096])
    if meta:
        candidates.append(meta.group(1).decode("ascii", "ignore"))
    candidates += ["utf-8"]
    for charset in candidates:
        try:
            return body.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("cp1252", errors="replace")
