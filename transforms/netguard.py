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
their own 127.0.0.1 server that way."""
from __future__ import annotations

import dataclasses
import ipaddress
import re
import socket
from typing import Callable, FrozenSet, List, Optional, Sequence, Tuple, Union
from urllib.parse import urlsplit

IPAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
# resolver(host, port) -> list of address strings (getaddrinfo by default)
Resolver = Callable[[str, int], List[str]]


class BlockedAddress(Exception):
    """The URL's host is, or resolves to, an address cfnews must not connect to."""


def system_resolver(host: str, port: int) -> List[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [info[4][0] for info in infos]


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
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise ValueError(f"only http and https are fetched, not {parts.scheme!r}")
        if not parts.hostname:
            raise ValueError(f"no host in {url!r}")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return self.check_host(parts.hostname, port)

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
            addresses = (self.resolver or system_resolver)(host, port)
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
