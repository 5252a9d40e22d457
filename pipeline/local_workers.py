"""The SDK worker processes of local multi_processing runs: forked from a warm zygote.

Beam's FnApiRunner, in multi_processing mode, starts every SDK worker as a fresh interpreter
(`python -m apache_beam.runners.worker.sdk_worker_main`) that imports Beam (~2.4 s here),
then loads trafilatura, langdetect's profiles, spaCy and the English model (~2.5 s more):
per worker, on the job's critical path, and paid again by every worker. At the end of the
job the runner stops the workers one after the other, and each interpreter's finalisation
takes ~1 s more. On two cores that is ~5 s of a ~24 s job (measured for issue 2).

Here a zygote process loads once, while the main process is still building the graph, then
forks one worker per request: a worker starts in milliseconds, already loaded, sharing the
loaded memory copy-on-write, and leaves with `os._exit` once Beam's harness has returned
(DoFns torn down, its log handler flushed and closed). The zygote is itself forked from the
main process, which has Beam and cfnews imported already, if that process has no other
thread (see `safe_to_fork_here`); else it is a fresh interpreter that imports them.

How the pieces talk (a Unix socket the main process creates and hands to the zygote):
- FnApiRunner starts each worker with a shell command; ours is `python -m
  pipeline.local_workers fork SOCKET`, a stdlib-only client that sends its environment
  (where the runner puts the control and logging endpoints, the worker id and the pipeline
  options) as one JSON line, then reads `forked` and, when the worker ends, its exit status,
  and exits with it.
- The zygote forks; the child takes that environment and runs the harness.
- A client that cannot reach the zygote, or gets no fork within FORK_TIMEOUT, runs the
  worker itself (Beam's harness in that fresh interpreter, then os._exit): slower, never wrong.
- If a client dies (the runner kills workers on failure), the zygote kills its worker; if
  the zygote's parent dies or it is told to stop (SIGTERM), it kills its workers and exits.

This module imports only the standard library at the top: the client must start fast.
The zygote is single-threaded (one selector loop) so that forking it is safe: no other
Python thread can hold a lock the child would inherit.
"""
from __future__ import annotations

import json
import logging
import os
import selectors
import signal
import socket
import sys
import tempfile
import threading
import traceback
from typing import Dict, Optional

log = logging.getLogger(__name__)

MODULE = "cfnews.pipeline.local_workers"
REQUEST_TIMEOUT = 30.0       # seconds for a client to send its request once connected
FORK_TIMEOUT = 120.0         # seconds a client waits for its fork (the zygote may be loading)
FORKED = b"forked\n"
STOP_TIMEOUT = 10.0          # seconds the zygote gets to exit after SIGTERM


def fork_supported() -> bool:
    """Forking a process that has loaded numpy/BLAS and gRPC is safe on Linux; macOS's
    system libraries are not fork-safe, and Windows has no fork."""
    return sys.platform.startswith("linux")


# --- the worker itself ---------------------------------------------------------------------

def run_harness() -> int:
    """Beam's SDK harness with the endpoints from the environment; its exit status."""
    try:
        from apache_beam.runners.worker import sdk_worker_main
        sdk_worker_main.main([])
        return 0
    except BaseException:  # noqa: B902 - every failure becomes a non-zero status, reported
        traceback.print_exc()
        return 1


def exit_now(status: int) -> None:
    """Leave without interpreter finalisation: the harness has already torn down its DoFns
    and closed its log handler; only stdio may still hold buffered text."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - a closed stream must not stop the exit
            pass
    os._exit(status)


# --- the client FnApiRunner starts for each worker ----------------------------------------

def worker_command(socket_path: Optional[str]) -> str:
    """The shell command line FnApiRunner runs for each worker (the form of Beam's own)."""
    if socket_path is None:
        return f"{sys.executable} -m {MODULE} worker"
    return f"{sys.executable} -m {MODULE} fork {socket_path}"


def request_fork(socket_path: str) -> int:
    """Ask the zygote for a worker with this process's environment; its exit status. If the
    zygote cannot be reached or does not fork within FORK_TIMEOUT, run the worker here."""
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(socket_path)
        conn.sendall(json.dumps(dict(os.environ)).encode() + b"\n")
        conn.settimeout(FORK_TIMEOUT)
        replies = conn.makefile("rb")
        forked = replies.readline() == FORKED
    except OSError as error:
        forked, reason = False, str(error)
    else:
        reason = "no worker forked"
    if not forked:
        conn.close()                 # the zygote kills a worker it forks for a closed client
        print(f"cfnews: worker zygote unavailable ({reason}); starting a fresh worker",
              file=sys.stderr, flush=True)
        return run_harness()
    conn.settimeout(None)
    status = replies.readline()
    conn.close()
    try:
        return int(status)
    except ValueError:
        print("cfnews: the worker zygote went away before the worker ended", file=sys.stderr)
        return 1


# --- the zygote --------------------------------------------------------------------------

def preload() -> None:
    """What every worker would load anyway: Beam's harness, every transform module (the
    DoFns are unpickled from them), and the libraries and models their setup() loads."""
    import apache_beam.runners.worker.sdk_worker_main  # noqa: F401
    import cfnews.pipeline.graph  # noqa: F401  (imports every transform module)
    from cfnews.transforms.entities import knowledge, load_ner
    from cfnews.transforms.extract import load_trafilatura
    from cfnews.transforms.language import load_detector
    load_trafilatura()
    load_detector()
    load_ner("en")
    knowledge()


GRPC_THREADS = ("grpc", "event_engine", "lifeguard", "default-execu", "resolver-execu")


def safe_to_fork_here() -> bool:
    """Whether this process may fork a zygote: Linux, and no thread besides this one. A fork
    copies only the calling thread, so any other thread's state is inherited without the
    thread: a Beam job run earlier in this process leaves the idle threads of Beam's shared
    thread pool, which a forked worker would hand work to and wait for forever (seen here);
    gRPC's core threads (named below) mean a channel or server was made, and gRPC does not
    survive fork after that."""
    if not fork_supported() or threading.active_count() != 1:
        return False
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return False
    for task in tasks:
        try:
            with open(f"/proc/self/task/{task}/comm") as comm:
                if comm.read().strip().startswith(GRPC_THREADS):
                    return False
        except OSError:
            continue
    return True


class Zygote:
    """The zygote process, seen from the main process. Start it early (it loads while the
    graph is built); `socket_path` goes into the worker command; `close()` when the job ends.

    Forked from this process when that is safe (`safe_to_fork_here`): the zygote then has
    Beam and cfnews imported already and only loads the libraries and models. Otherwise it
    is a fresh interpreter that imports everything itself."""

    def __init__(self, fork: bool = True):
        self.socket_path = os.path.join(tempfile.mkdtemp(prefix="cfnews-workers-"), "zygote.sock")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(self.socket_path)
        listener.listen(64)          # clients may connect before the zygote has loaded
        self._closed = False
        self.forked = fork and safe_to_fork_here()
        try:
            if self.forked:
                self.pid = self._fork(listener)
                self._process = None
            else:
                import subprocess
                self._process = subprocess.Popen(
                    [sys.executable, "-m", MODULE, "zygote", str(listener.fileno()),
                     str(os.getpid())], pass_fds=[listener.fileno()], stdin=subprocess.DEVNULL)
                self.pid = self._process.pid
        finally:
            listener.close()

    @staticmethod
    def _fork(listener: socket.socket) -> int:
        parent = os.getpid()
        for stream in (sys.stdout, sys.stderr):
            stream.flush()           # or the child would write this process's buffered text
        pid = os.fork()
        if pid == 0:                 # the zygote: must never return into the caller's code
            status = 1
            try:
                # the CLI's SIGTERM handler (stop like Ctrl-C) is the main process's: SIGTERM
                # while loading ends the zygote at once, as serve() expects
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                serve(listener.fileno(), parent)
            finally:
                exit_now(status)
        return pid

    def close(self) -> None:
        if self._closed:             # called by the runner, then again by its finaliser
            return
        self._closed = True
        if self._process is not None:
            if self._process.poll() is None:
                self._process.terminate()
                try:
                    self._process.wait(STOP_TIMEOUT)
                except Exception:  # noqa: BLE001 - subprocess.TimeoutExpired: force it
                    self._process.kill()
                    self._process.wait()
        else:
            _stop_child(self.pid)
        _remove_socket(self.socket_path)


def _stop_child(pid: int) -> None:
    """SIGTERM, up to STOP_TIMEOUT to exit, then SIGKILL; reaped either way."""
    import time
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return
        time.sleep(0.01)
    _kill(pid)
    os.waitpid(pid, 0)


def _read_request(conn: socket.socket) -> Dict[str, str]:
    conn.settimeout(REQUEST_TIMEOUT)
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk:
            raise ConnectionError("client closed before sending its request")
        data += chunk
    conn.settimeout(None)
    environment = json.loads(data)
    if not isinstance(environment, dict):
        raise ValueError("request is not a JSON object")
    return {str(k): str(v) for k, v in environment.items()}


def _become_worker(environment: Dict[str, str], client: socket.socket,
                   selector: selectors.BaseSelector) -> None:
    """In the forked child: drop the zygote's sockets and signal handlers, take the client's
    environment, run the harness, exit with its status. Never returns."""
    status = 1
    try:
        for key in list(selector.get_map().values()):
            key.fileobj.close()
        selector.close()
        client.close()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.environ.clear()
        os.environ.update(environment)
        status = run_harness()
    finally:
        exit_now(status)


def serve(listen_fd: int, parent_pid: int) -> None:
    """The zygote's loop: load, then fork a worker per client until told to stop."""
    listener = socket.socket(fileno=listen_fd)
    try:
        preload()           # SIGTERM meanwhile ends the process at once (default action)
    except Exception:  # noqa: BLE001 - loading is an optimisation: workers load what failed
        log.warning("cfnews worker zygote: preload failed; workers will load lazily",
                    exc_info=True)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    workers: Dict[int, socket.socket] = {}
    while not stop and os.getppid() == parent_pid:
        for key, _ in selector.select(timeout=0.1):
            if key.fileobj is listener:
                conn, _ = listener.accept()
                try:
                    environment = _read_request(conn)
                except (OSError, ValueError) as error:
                    log.warning("cfnews worker zygote: bad request: %s", error)
                    conn.close()
                    continue
                pid = os.fork()
                if pid == 0:
                    _become_worker(environment, conn, selector)
                workers[pid] = conn
                selector.register(conn, selectors.EVENT_READ, pid)
                try:
                    conn.sendall(FORKED)
                except OSError:
                    pass             # the client has gone: noticed as readable, its worker killed
            else:
                # the client sends nothing after its request: readable means it went away
                # (killed by the runner); its worker must not outlive it
                _kill(key.data)
                selector.unregister(key.fileobj)
        _reap(workers, selector)
    for pid in list(workers):
        _kill(pid)
    while workers:
        pid, status = os.waitpid(-1, 0)
        _report(workers, selector, pid, status)
    _remove_socket(listener.getsockname())   # the parent may be gone (killed with its group)
    exit_now(0)


def _remove_socket(path: str) -> None:
    try:
        os.unlink(path)
        os.rmdir(os.path.dirname(path))
    except OSError:
        pass


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _reap(workers: Dict[int, socket.socket], selector: selectors.BaseSelector) -> None:
    while workers:
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            return
        _report(workers, selector, pid, status)


def _report(workers, selector, pid: int, status: int) -> None:
    conn = workers.pop(pid, None)
    if conn is None:
        return
    try:
        selector.unregister(conn)
    except (KeyError, ValueError):
        pass                           # already unregistered: the client had gone
    code = os.waitstatus_to_exitcode(status)
    try:
        conn.sendall(b"%d\n" % (code if code >= 0 else 128 - code))   # killed: 128 + signal
    except OSError:
        pass
    conn.close()


def main(argv=None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["fork"] and len(args) == 2:
        exit_now(request_fork(args[1]))
    if args[:1] == ["worker"] and len(args) == 1:
        exit_now(run_harness())
    if args[:1] == ["zygote"] and len(args) == 3:
        serve(int(args[1]), int(args[2]))
    print(f"usage: python -m {MODULE} fork SOCKET | worker | zygote FD PARENT_PID",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
