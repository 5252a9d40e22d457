"""robots.txt by RFC 9309, parsed by Protego (wildcards `*`, end anchor `$`, longest match,
Allow winning a tie), fetched once per origin per process and shared by every thread.

Status rules (RFC 9309 §2.3.1): 2xx — the rules apply; 4xx — no robots.txt, everything is
allowed; 5xx or unreachable (connection error, timeout) — nothing may be fetched for now: the
page is refused with the transient reason `robots_unavailable`, and the failure is remembered
for `UNAVAILABLE_TTL` so a failing host is not asked again for each page. Redirects are
followed (up to the fetch's limit) and every hop passes the SSRF guard."""
from __future__ import annotations

import threading
import time
from typing import Dict, Optional, Tuple

from protego import Protego

from cfnews.schemas import Reason
from cfnews.transforms.netguard import BlockedAddress, parse_target

ROBOTS_MAX_BYTES = 500 * 1024  # RFC 9309 §2.5: parse at least 500 KiB


def parse_robots(text: str) -> Protego:
    return Protego.parse(text)


def allowed(rules: Optional[Protego], url: str, user_agent: str) -> bool:
    """Whether `user_agent` may fetch `url` under `rules` (None: no robots.txt)."""
    return rules is None or rules.can_fetch(url, user_agent)


def product_token(user_agent: str) -> str:
    """The product token matched against User-agent lines ('cfnews' of 'cfnews/0.1 (...)')."""
    return user_agent.split("/", 1)[0].split()[0] if user_agent.strip() else "*"


class RobotsCache:
    """robots.txt per origin (scheme://host:port) with expiry; one fetch per origin at a
    time: threads asking for an origin being fetched wait for that answer."""

    UNAVAILABLE_TTL = 600.0

    def __init__(self):
        self._lock = threading.Lock()
        self._cache: Dict[str, Tuple[float, Optional[Protego], Optional[Exception]]] = {}
        self._loading: Dict[str, threading.Lock] = {}
        self.fetches = 0  # robots.txt requests made (for tests)

    def check(self, url: str, config, deadline: float) -> None:
        """Raise FetchError unless robots.txt lets `config.user_agent` fetch `url`."""
        from cfnews.transforms.http import FetchError
        try:
            target = parse_target(url)
            config.guard.check_target(target)
        except (ValueError, OSError, BlockedAddress):
            return  # the fetch itself refuses the URL, with its own reason
        origin = target.origin
        expiry, rules, failure = self._get(origin, config, deadline)
        if failure is not None:
            raise FetchError(Reason.ROBOTS_UNAVAILABLE,
                             f"robots.txt unavailable ({failure.reason.value}), not fetching "
                             f"for now: {failure}",
                             getattr(failure, "status", None))
        if not allowed(rules, url, product_token(config.user_agent)):
            raise FetchError(Reason.ROBOTS_DISALLOWED, f"robots.txt disallows {url}")

    def _get(self, origin: str, config, deadline: float):
        from cfnews.transforms.http import FetchError
        cached = self._fresh(origin)
        if cached is not None:
            return cached
        with self._lock:
            loading = self._loading.setdefault(origin, threading.Lock())
        if not loading.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise FetchError(Reason.TIMEOUT, f"waited past the deadline for {origin}/robots.txt")
        try:
            cached = self._fresh(origin)  # another thread may have fetched it meanwhile
            if cached is None:
                cached = self._load(origin, config, deadline)
                with self._lock:
                    self._cache[origin] = cached
            return cached
        finally:
            loading.release()

    def _fresh(self, origin: str):
        with self._lock:
            cached = self._cache.get(origin)
        return cached if cached is not None and cached[0] >= time.monotonic() else None

    def _load(self, origin: str, config, deadline: float):
        from cfnews.transforms.http import FetchError, _get_with_redirects
        now = time.monotonic()
        self.fetches += 1
        try:
            response = _get_with_redirects(origin + "/robots.txt", config, deadline,
                                           max_bytes=ROBOTS_MAX_BYTES)
        except FetchError as exc:
            if exc.reason == Reason.HTTP_ERROR and exc.status and 400 <= exc.status < 500:
                return (now + config.robots_ttl, None, None)  # no robots.txt: all allowed
            if exc.reason == Reason.TOO_LARGE:  # over the cap: the rules that fit are read
                return (now + config.robots_ttl, parse_robots(""), None)
            return (now + min(config.robots_ttl, self.UNAVAILABLE_TTL), None, exc)
        return (now + config.robots_ttl,
                parse_robots(response.body.decode("utf-8", errors="replace")), None)

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()


ROBOTS = RobotsCache()
