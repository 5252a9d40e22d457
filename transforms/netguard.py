"""Where cfnews may connect: the SSRF guard.

cfnews fetches URLs taken from third-party feeds, on cloud workers that can reach metadata
services and private networks. Before every connection (every redirect hop too) the host is
resolved once, every address is checked, and the connection is then made to the address that
was checked (so a DNS answer that changes between check and connect — rebinding — cannot
redirect it). Refused: loopback, private, link-local (169.254.169.254 metadata included),
shared/CGNAT, multicast, reserved, unspecified, documentation and any other non-global
address, in IPv4 and IPv6 (IPv4-mapped/compatible/6to4/Teredo forms are unwrapped), and
numeric host spellings (decimal, hex, octal, short forms) are read the way the C library reads
them. Only explicitly allowed (host, port) pairs may be local: the demo and the tests allow
their own 127.0.0.1 server that way.

A URL is parsed once, here (`parse_target`), strictly: the host, port and request path that
the guard approves are the ones the connection uses (transforms/http.py sends the request to
the checked address and port with that path; no library parses the URL a second time).
Spellings that parsers read differently (backslashes, userinfo '@', whitespace or control
characters, bad ports) are refused as malformed instead of being guessed at.

DNS answers are cached briefly (`DNS_TTL`), per process; every connection is still checked."""
from __future__ import annotations

import dataclasses
import ipaddress
import re
import socket
import threading
import time
from typing import Callable, Dict, FrozenSet, List, Optional, Sequence, Tuple, Union
from urllib.parse import quote, urlsplit

IPAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
# resolver(host, port) -> list of address strings (getaddrinfo by default)
Resolver = Callable[[str, int], List[str]]


class BlockedAddress(Exception):
    """The URL's host is, or resolves to, an address cfnews must not connect to."""


def system_resolver(host: str, port: int) -> List[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [info[4][0] for info in infos]


DNS_TTL = 60.0  # seconds an answer is reused (getaddrinfo gives no TTL; short on purpose)
_dns_lock = threading.Lock()
_dns_cache: Dict[Tuple[str, int], Tuple[float, List[str]]] = {}


def cached_system_resolver(host: str, port: int) -> List[str]:
    """system_resolver with answers kept DNS_TTL seconds (failures are not kept)."""
    now = time.monotonic()
    with _dns_lock:
        hit = _dns_cache.get((host, port))
    if hit is not None and hit[0] > now:
        return list(hit[1])
    addresses = system_resolver(host, port)
    with _dns_lock:
        if len(_dns_cache) > 10000:
            _dns_cache.clear()
        _dns_cache[(host, port)] = (now + DNS_TTL, list(addresses))
    return addresses


def forget_dns_answers() -> None:
    with _dns_lock:
        _dns_cache.clear()


@dataclasses.dataclass(frozen=True)
class Target:
    """One URL, parsed once: what the guard checks and what the connection uses."""
    scheme: str          # 'http' | 'https'
    host: str            # lower case, IDNA (ASCII), IPv6 without brackets
    port: int
    path: str            # request target: path and query, percent-encoded; never a fragment
    explicit_port: bool = False

    @property
    def authority(self) -> str:
        """The Host header: the host as the URL named it, with a non-default port."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.authority}{self.path}"

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{self.authority}"


_UNSAFE_CHARS = re.compile(r"[\x00-\x20\x7f\\]")
_HOST_CHARS = re.compile(r"^[a-z0-9_.-]+$")
_BRACKETED = re.compile(r"^\[([0-9a-f:.]+)(%25[a-z0-9_.~-]+)?\]$")
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"


def parse_target(url: str) -> Target:
    """Parse `url` strictly; ValueError for anything two parsers could read differently."""
    url = (url or "").strip(" \t\r\n\x00")
    if _UNSAFE_CHARS.search(url):
        raise ValueError(f"whitespace, control character or backslash in URL {url[:200]!r}")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"only http and https are fetched, not {parts.scheme!r}")
    netloc = parts.netloc
    if "@" in netloc:
        raise ValueError(f"credentials (userinfo) in URL {url[:200]!r} are refused")
    if netloc.startswith("["):
        host_part, _, port_part = netloc.partition("]")
        host_part += "]"
        if port_part and not port_part.startswith(":"):
            raise ValueError(f"malformed host in {url[:200]!r}")
        port_part = port_part[1:]
        bracketed = _BRACKETED.match(host_part.lower())
        if not bracketed:
            raise ValueError(f"malformed IPv6 host in {url[:200]!r}")
        host = bracketed.group(1)
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ValueError(f"malformed IPv6 host in {url[:200]!r}") from None
    else:
        host, _, port_part = netloc.partition(":")
        if ":" in port_part:
            raise ValueError(f"more than one ':' in the host of {url[:200]!r}")
        try:
            host = host.encode("idna").decode("ascii") if not host.isascii() else host
        except UnicodeError:
            raise ValueError(f"host of {url[:200]!r} is not a valid international name") from None
        host = host.lower().rstrip(".")
        if not host or not _HOST_CHARS.match(host):
            raise ValueError(f"no valid host in {url[:200]!r}")
    if port_part and not (port_part.isascii() and port_part.isdigit() and 0 < int(port_part) < 65536):
        raise ValueError(f"bad port {port_part!r} in {url[:200]!r}")
    port = int(port_part) if port_part else (443 if scheme == "https" else 80)
    path = quote(parts.path or "/", safe=_PATH_SAFE)
    if not path.startswith("/"):
        path = "/" + path
    if parts.query:
        path += "?" + quote(parts.query, safe=_PATH_SAFE + "?")
    return Target(scheme=scheme, host=host, port=port, path=path, explicit_port=bool(port_part))


_INT_PART = re.compile(r"^(0x[0-9a-f]*|0[0-7]*|[1-9][0-9]*)$", re.I)


def parse_ipv4_loose(host: str) -> Optional[ipaddress.IPv4Address]:
    """An IPv4 address in any spelling inet_aton accepts: 2130706433, 0x7f000001,
    0177.0.0.1, 127.1, 127.0.1 ...; None if `host` is not such a spelling."""
    parts = host.rstrip(".").split(".")
    if not 1 <= len(parts) <= 4 or not all(_INT_PART.match(p) for p in parts):
        return None
    values = []
    for part in parts:
        if part.lower().startswith("0x"):
            values.append(int(part[2:] or "0", 16))
        elif part.startswith("0") and len(part) > 1:
            values.append(int(part, 8))
        else:
            values.append(int(part))
    *head, last = values
    if any(v > 255 for v in head) or last >= 256 ** (4 - len(head)):
        return None
    number = 0
    for v in head:
        number = number * 256 + v
    number = number * 256 ** (4 - len(head)) + last
    return ipaddress.IPv4Address(number)


def ip_literal(host: str) -> Optional[IPAddress]:
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])  # drop an IPv6 zone id
    except ValueError:
        return parse_ipv4_loose(host)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> Optional[ipaddress.IPv4Address]:
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip.sixtofour:
        return ip.sixtofour
    if ip.teredo:
        return ip.teredo[1]
    if int(ip) >> 32 == 0 and int(ip) > 1:  # deprecated IPv4-compatible ::a.b.c.d
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public(ip: IPAddress) -> bool:
    """True only for globally routable unicast addresses."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None and not is_public(inner):
            return False
    return ip.is_global and not ip.is_multicast and not ip.is_unspecified and not ip.is_reserved


@dataclasses.dataclass(frozen=True)
class Guard:
    """Decides, per (host, port), which address to connect to — or refuses."""
    allow: FrozenSet[Tuple[str, int]] = frozenset()   # local (host, port) pairs allowed
    resolver: Optional[Resolver] = None               # None: the system resolver

    @staticmethod
    def allowing(host_ports: Sequence[str]) -> "Guard":
        """A guard that also allows the given 'host:port' pairs (for local test servers)."""
        pairs = set()
        for item in host_ports:
            host, _, port = item.rpartition(":")
            if not host or not port.isdigit():
                raise ValueError(f"expected host:port, got {item!r}")
            pairs.add((host.strip("[]").lower(), int(port)))
        return Guard(allow=frozenset(pairs))

    def check_url(self, url: str) -> str:
        """The address to connect to for `url`; raises BlockedAddress or ValueError."""
        return self.check_target(parse_target(url))

    def check_target(self, target: Target) -> str:
        """The address to connect to for an already parsed URL (its host and port)."""
        return self.check_host(target.host, target.port)

    def check_host(self, host: str, port: int) -> str:
        host = host.lower().rstrip(".")
        literal = ip_literal(host)
        allowed = (host, port) in self.allow or (
            literal is not None and (str(literal), port) in self.allow)
        if literal is not None:
            if allowed or is_public(literal):
                return str(literal)
            raise BlockedAddress(f"{host} is the non-public address {literal}")
        try:
            addresses = (self.resolver or cached_system_resolver)(host, port)
        except (OSError, UnicodeError) as exc:
            raise OSError(f"cannot resolve {host}: {exc}") from None
        if not addresses:
            raise OSError(f"cannot resolve {host}: no address")
        parsed = [ipaddress.ip_address(a.split("%", 1)[0]) for a in addresses]
        if allowed:
            return str(parsed[0])
        blocked = [str(ip) for ip in parsed if not is_public(ip)]
        if blocked:  # one bad answer is enough to refuse: the attacker picks which is used
            raise BlockedAddress(f"{host} resolves to non-public address(es) {blocked}")
        return str(parsed[0])
