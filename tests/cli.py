"""`cfnews` as a user runs it, for the tests: a subprocess in the project folder, with its exit
status, stdout and stderr; optionally under a network guard that ends the process (exit 97)
at a name lookup or connection it does not allow, before anything is sent."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NETWORK_ATTEMPT = "NETWORK ATTEMPT"

_GUARD = """
import os, sys
_ALLOW_LOOPBACK = {allow_loopback}
def _allowed(host):
    return _ALLOW_LOOPBACK and (host in (None, "", "localhost") or str(host).startswith("127."))
def _guard(event, args):
    if event == "socket.connect":
        address = args[1]
        if isinstance(address, tuple) and _allowed(address[0]):
            return
        if isinstance(address, (str, bytes)) and _ALLOW_LOOPBACK:
            return   # a Unix socket stays on the machine
    elif event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr"):
        address = args[0]
        if _allowed(address):
            return
    else:
        return
    sys.stderr.write(f"{network_attempt} {{event}} {{address!r}}\\n"); sys.stderr.flush()
    os._exit(97)
sys.addaudithook(_guard)
"""


def network_guard(allow_loopback: bool) -> str:
    """Python run before cfnews starts: an audit hook refusing every name lookup and connection
    (`allow_loopback=False`, for commands that must not touch the network at all), or every
    one that is not to 127.x / localhost (servers the test started)."""
    return _GUARD.format(allow_loopback=bool(allow_loopback), network_attempt=NETWORK_ATTEMPT)


def cfnews(*args, timeout: float = 300, env: dict | None = None, prelude: str = ""):
    """`cfnews ARGS` in a subprocess; `env` adds to this process's environment; `prelude` is
    Python run first in the child (a `network_guard`, an option printer)."""
    argv = ([sys.executable, "-c", prelude + "from cfnews.pipeline.cli import entry\nentry()\n"]
            if prelude else [sys.executable, "-m", "cfnews"])
    return subprocess.run([*argv, *map(str, args)], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env=dict(os.environ, **env) if env else None)
