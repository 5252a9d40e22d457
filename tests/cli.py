"""`cfnews` as a user runs it, for the tests: a subprocess in the project folder, with its exit
status, stdout and stderr; optionally under a stricter network guard than the suite's
(tests/egress_guard), which ends the process (exit 97) at a name lookup or connection it does not
allow, before anything is sent."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.egress_guard.sitecustomize import NETWORK_ATTEMPT  # noqa: F401 (re-exported)

ROOT = Path(__file__).resolve().parents[1]
GUARD_FILE = ROOT / "tests" / "egress_guard" / "sitecustomize.py"


def network_guard(allow_loopback: bool) -> str:
    """Python run before cfnews starts: the suite's network guard (tests/egress_guard), refusing
    every name lookup and connection (`allow_loopback=False`, for commands that must not touch
    the network at all), or every one off loopback; a refusal ends the process (97)."""
    return ("import os, sys, importlib.util as _util\n"
            f"_spec = _util.spec_from_file_location('cfnews_cli_egress_guard', {str(GUARD_FILE)!r})\n"
            "_guard = _util.module_from_spec(_spec)\n"
            "_spec.loader.exec_module(_guard)\n"
            f"_guard.install(allow_loopback={bool(allow_loopback)})\n")


def python_path(*first) -> str:
    """PYTHONPATH with `first` ahead of this process's (which holds the suite's egress guard)."""
    rest = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    return os.pathsep.join([*map(str, first), *rest])


def cfnews(*args, timeout: float = 300, env: dict | None = None, prelude: str = ""):
    """`cfnews ARGS` in a subprocess; `env` adds to this process's environment; `prelude` is
    Python run first in the child (a `network_guard`, an option printer)."""
    argv = ([sys.executable, "-c", prelude + "from cfnews.pipeline.cli import entry\nentry()\n"]
            if prelude else [sys.executable, "-m", "cfnews"])
    return subprocess.run([*argv, *map(str, args)], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env=dict(os.environ, **env) if env else None)
