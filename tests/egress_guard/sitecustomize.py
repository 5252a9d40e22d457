"""The test suite's standing network guard (tests may talk only to loopback servers they start).

An audit hook refuses, before anything is sent, every name lookup, reverse lookup, connection
and datagram whose address is neither loopback nor listed in the hosts file (which the resolver
reads before asking DNS), and every server socket bound beyond loopback (all interfaces
included), which hosts off the machine could reach. It sees what Python code asks for; C++ and
Java libraries (Arrow's cloud clients, ONNX Runtime, Spark, Chromium) bypass it and are kept
local by their tests' settings.

conftest.py installs it in the pytest process, where a refused call raises and the test that
made it fails, and puts this folder first on PYTHONPATH with CFNEWS_TEST_NETWORK_GUARD set, so
that every Python process the tests start imports this file as `sitecustomize` and installs it
too; there a refused attempt is written to stderr and ends the process with exit status 97 (an
exception the code swallowed could let a test pass unnoticed). pytest-xdist's workers start
with it installed, and their conftest switches them to raising. `install(allow_loopback=False)`
refuses loopback as well, for commands that must not touch the network at all."""
from __future__ import annotations

import ipaddress
import os
import sys

ENV = "CFNEWS_TEST_NETWORK_GUARD"
NETWORK_ATTEMPT = "NETWORK ATTEMPT"
REFUSED_EXIT = 97
_LOOKUPS = ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex",
            "socket.gethostbyaddr")
_SENDS = ("socket.connect", "socket.sendto", "socket.sendmsg")


def hosts_file_entries(path: str = "/etc/hosts") -> frozenset:
    """Names and addresses the hosts file lists (looked up there, never sent to a resolver)."""
    entries = set()
    try:
        with open(path, encoding="utf-8", errors="replace") as lines:
            for line in lines:
                entries.update(line.split("#", 1)[0].split())
    except OSError:
        pass
    return frozenset(entry.lower() for entry in entries)


def is_loopback(host) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if host is None or host == "" or str(host).lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        address = ipaddress.ip_address(str(host).split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


def refused_address(event: str, args, allow_loopback: bool, hosts: frozenset):
    """The address an audited socket call would reach and the guard refuses, else None."""
    if event in _LOOKUPS or event == "socket.getnameinfo":
        target = args[0][0] if event == "socket.getnameinfo" else args[0]
    elif event in _SENDS:
        target = args[1] if len(args) > 1 else None
        if not isinstance(target, tuple):
            # a Unix socket's path, or a send on a connected socket: stays where it was
            return None if allow_loopback or target is None else target
        if target and isinstance(target[0], int):
            return None                    # a netlink or packet address: nothing leaves
        target = target[0]
    elif event == "socket.bind":
        # a server listening beyond loopback could be reached, and answer, from off the machine
        target = args[1] if len(args) > 1 else None
        if not isinstance(target, tuple) or not target or isinstance(target[0], int):
            return None                    # a Unix socket's path, a netlink address
        host = target[0].decode("ascii", "replace") if isinstance(target[0], bytes) else target[0]
        return None if host and is_loopback(host) else (host or "every interface")
    else:
        return None
    if allow_loopback:
        name = target.decode("ascii", "replace") if isinstance(target, bytes) else target
        if is_loopback(name) or str(name).lower() in hosts:
            return None
    return target


def exit_on_refusal(event: str, address) -> None:
    """The refusal in a process the tests start: said on stderr, and the process ends (97)."""
    sys.stderr.write(f"{NETWORK_ATTEMPT} {event} {address!r} (tests/egress_guard)\n")
    sys.stderr.flush()
    os._exit(REFUSED_EXIT)


# What a refusal does in this process; the pytest processes (conftest) make it raise instead.
on_refusal = exit_on_refusal
installed = False     # the loopback guard is in this process


def install(allow_loopback: bool = True) -> None:
    """Add the guard to this process (audit hooks stay for the life of the process). A stricter
    guard (`allow_loopback=False`) always ends the process at a refusal."""
    hosts = hosts_file_entries() if allow_loopback else frozenset()

    def guard(event, args):
        if not event.startswith("socket."):
            return
        address = refused_address(event, args, allow_loopback, hosts)
        if address is not None:
            (on_refusal if allow_loopback else exit_on_refusal)(event, address)

    sys.addaudithook(guard)
    if allow_loopback:
        global installed
        installed = True


# only as the `sitecustomize` of a process the tests started (imported elsewhere: constants)
if __name__ == "sitecustomize" and os.environ.get(ENV) == "loopback":
    install(allow_loopback=True)
