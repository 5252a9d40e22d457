"""A loopback port a test can close and bind again later (two `cfnews demo` runs that must see
the same URLs; a server address handed to Beam).

A port the kernel picked for a `bind(..., 0)` is in its ephemeral range, which every other
port-0 server and outgoing connection on the machine draws from: between the probe's close and
the test's next bind another process may take it. A port below that range is never handed out
by the kernel, so only a process asking for that very number could."""
from __future__ import annotations

import random
import socket

FIXED_RANGE = (20000, 32000)  # below Linux's default ephemeral range (32768-60999)


def _ephemeral_range() -> tuple:
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low, high = (int(n) for n in f.read().split())
        return low, high
    except (OSError, ValueError):
        return 32768, 60999


def reusable_port(host: str = "127.0.0.1") -> int:
    """A free port on `host` outside the kernel's ephemeral range, checked by binding it."""
    low, high = _ephemeral_range()
    candidates = [p for p in range(*FIXED_RANGE) if not low <= p <= high]
    for port in random.sample(candidates, 50):
        with socket.socket() as probe:
            try:
                probe.bind((host, port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port on {host} in {FIXED_RANGE}")
