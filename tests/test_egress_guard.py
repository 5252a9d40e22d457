"""The suite's standing network guard (tests/egress_guard/sitecustomize.py): what it refuses, that
processes the tests start inherit it, and that a test whose code asks for an address off
loopback fails. Every call made here sends nothing even when unguarded (numeric-only lookups,
a UDP socket's connect, which only sets its peer)."""
from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from tests.egress_guard.sitecustomize import (NETWORK_ATTEMPT, REFUSED_EXIT, hosts_file_entries,
                                          refused_address)

HOSTS = frozenset({"vm", "runsc", "10.1.2.3"})


@pytest.mark.parametrize("event, args", [
    ("socket.getaddrinfo", ("127.0.0.1", 80, 0, 0, 0)),
    ("socket.getaddrinfo", ("127.42.0.9", 80, 0, 0, 0)),
    ("socket.getaddrinfo", ("localhost", 80, 0, 0, 0)),
    ("socket.getaddrinfo", (None, 80, 0, 0, 0)),
    ("socket.getaddrinfo", (b"::1", 80, 0, 0, 0)),
    ("socket.getaddrinfo", ("vm", 80, 0, 0, 0)),                  # the hosts file's name
    ("socket.gethostbyaddr", ("::ffff:127.0.0.2",)),
    ("socket.gethostbyname", ("localhost",)),
    ("socket.getnameinfo", (("127.0.0.3", 80), 0)),
    ("socket.connect", (None, ("127.0.0.5", 8080))),
    ("socket.connect", (None, ("::1", 8080, 0, 0))),
    ("socket.connect", (None, "/tmp/some.sock")),                 # a Unix socket
    ("socket.connect", (None, (0, 0))),                           # a netlink address
    ("socket.sendto", (None, ("127.0.0.1", 53))),
    ("socket.sendmsg", (None, None)),                             # on a connected socket
    ("socket.bind", (None, ("127.0.0.4", 0))),                    # a loopback server
    ("socket.bind", (None, ("::1", 0, 0, 0))),
    ("socket.bind", (None, "/tmp/some.sock")),
    ("socket.listen", (None, 5)),                                  # not audited here
])
def test_loopback_the_hosts_file_and_local_sockets_pass(event, args):
    assert refused_address(event, args, allow_loopback=True, hosts=HOSTS) is None


@pytest.mark.parametrize("event, args, address", [
    ("socket.getaddrinfo", ("example.org", 443, 0, 0, 0), "example.org"),
    ("socket.getaddrinfo", ("192.0.2.7", 443, 0, 0, 0), "192.0.2.7"),
    ("socket.gethostbyname", ("metadata.google.internal",), "metadata.google.internal"),
    ("socket.gethostbyaddr", ("10.255.255.53",), "10.255.255.53"),
    ("socket.getnameinfo", (("8.8.8.8", 53), 0), "8.8.8.8"),
    ("socket.connect", (None, ("169.254.169.254", 80)), "169.254.169.254"),
    ("socket.connect", (None, ("2001:db8::1", 443, 0, 0)), "2001:db8::1"),
    ("socket.sendto", (None, ("10.255.255.53", 53)), "10.255.255.53"),
    ("socket.sendmsg", (None, ("192.0.2.1", 53)), "192.0.2.1"),
    ("socket.bind", (None, ("", 8080)), "every interface"),       # a server others could reach
    ("socket.bind", (None, ("0.0.0.0", 0)), "0.0.0.0"),
    ("socket.bind", (None, ("::", 0, 0, 0)), "::"),
    ("socket.bind", (None, ("vm", 0)), "vm"),                     # a name: its address unknown here
])
def test_every_other_address_is_refused(event, args, address):
    assert refused_address(event, args, allow_loopback=True, hosts=HOSTS) == address


def test_the_strict_guard_refuses_loopback_and_unix_sockets_too():
    assert refused_address("socket.getaddrinfo", ("127.0.0.1", 80, 0, 0, 0), False, HOSTS)
    assert refused_address("socket.connect", (None, "/tmp/some.sock"), False, HOSTS)
    assert refused_address("socket.getaddrinfo", ("vm", 80, 0, 0, 0), False, HOSTS) == "vm"
    # binding a loopback server sends nothing: allowed by both
    assert refused_address("socket.bind", (None, ("127.0.0.1", 0)), False, HOSTS) is None


def test_the_hosts_file_is_read_without_its_comments(tmp_path):
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1 localhost\n10.1.2.3 Vm vm.local  # the machine\n# 8.8.8.8 x\n")
    assert hosts_file_entries(str(hosts)) == {"127.0.0.1", "localhost", "10.1.2.3", "vm",
                                              "vm.local"}
    assert hosts_file_entries(str(tmp_path / "absent")) == frozenset()


def run_python(code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)


def test_a_process_the_tests_start_inherits_the_guard():
    off = run_python("import socket\n"
                     "socket.getaddrinfo('192.0.2.7', 443, flags=socket.AI_NUMERICHOST)\n"
                     "print('not stopped')")
    assert off.returncode == REFUSED_EXIT, off.stdout + off.stderr
    assert f"{NETWORK_ATTEMPT} socket.getaddrinfo '192.0.2.7'" in off.stderr
    udp = run_python("import socket\n"
                     "socket.socket(socket.AF_INET, socket.SOCK_DGRAM).connect(('192.0.2.7', 9))")
    assert udp.returncode == REFUSED_EXIT and NETWORK_ATTEMPT in udp.stderr
    server = run_python("import socket\nsocket.socket().bind(('', 0))\nprint('listening')")
    assert server.returncode == REFUSED_EXIT and "'every interface'" in server.stderr
    local = run_python("import socket\n"
                       "print(socket.getaddrinfo('127.0.0.2', 80, flags=socket.AI_NUMERICHOST)[0][4])")
    assert local.returncode == 0 and "127.0.0.2" in local.stdout, local.stderr


def test_in_this_process_a_refused_call_raises_and_is_recorded(network_attempts):
    before = len(network_attempts)
    with pytest.raises(OSError, match="refused by the test suite's network guard"):
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM).connect(("192.0.2.7", 9))
    assert network_attempts[before:] == ["socket.connect '192.0.2.7'"]
    # the record would fail this test at teardown (`nothing_leaves_the_machine`): taken back
    del network_attempts[before:]
