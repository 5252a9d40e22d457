"""Shared fixtures: a loopback HTTP server with scripted routes, the seeds, ../shared."""
from __future__ import annotations

import gzip
import http.server
import importlib.util
import os
import sys
import threading
import time
from pathlib import Path
from typing import Callable, Dict, Tuple, Union

import pytest

from cfnews.pipeline.demo.site import LoopbackHTTPServer

SHARED = Path(__file__).resolve().parents[2] / "shared"
SEEDS = SHARED / "seeds"


def need_shared(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: this test needs ../shared beside the repository")
    return path


def first_snapshot_posts(posts, n: int = 50, hint: str = ""):
    """The first n (path, raw) of a snapshot reader's `posts`; skips the test, with the reason,
    when the snapshot is not under /work/.mirror (or $CFNEWS_MIRROR)."""
    from tests.data.relevance.sources import SnapshotMissing
    first = []
    try:
        for post in posts:
            first.append(post)
            if len(first) == n:
                break
    except SnapshotMissing as exc:
        pytest.skip(f"snapshot absent{f' ({hint})' if hint else ''}: {exc}")
    return first


# --- the standing network guard (tests/egress_guard/sitecustomize.py) ----------------------------

EGRESS_GUARD = Path(__file__).resolve().parent / "egress_guard"
_network_attempts = []


def _egress_guard_module():
    """tests/egress_guard/sitecustomize.py as this process has it: imported at start-up in the
    processes the tests start (xdist's workers too), loaded here in the first pytest process."""
    module = sys.modules.get("sitecustomize")
    if module is not None and str(getattr(module, "__file__", "")).startswith(str(EGRESS_GUARD)):
        return module
    spec = importlib.util.spec_from_file_location("cfnews_test_egress_guard",
                                                  EGRESS_GUARD / "sitecustomize.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _refuse_in_a_test(event, address):
    _network_attempts.append(f"{event} {address!r}")
    raise OSError(f"{event} {address!r} refused by the test suite's network guard "
                  "(tests/egress_guard): tests may reach only loopback servers they start")


def pytest_configure(config):
    """Every name lookup, connection or datagram off loopback, and every server bound beyond it,
    is refused, here and in every Python process the tests start (which inherit the guard
    through PYTHONPATH)."""
    guard = _egress_guard_module()
    if not guard.installed:
        guard.install(allow_loopback=True)
    guard.on_refusal = _refuse_in_a_test
    os.environ[guard.ENV] = "loopback"
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if str(EGRESS_GUARD) not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([str(EGRESS_GUARD), *paths])


@pytest.fixture
def network_attempts():
    """The attempts refused in this process so far (for the guard's own test)."""
    return _network_attempts


@pytest.fixture(autouse=True)
def nothing_leaves_the_machine():
    """A test fails if it (or code it ran in this process) asked for an address off loopback,
    even if the code swallowed the refusal."""
    before = len(_network_attempts)
    yield
    attempts = _network_attempts[before:]
    if attempts:
        pytest.fail("network attempts off loopback (refused before sending): "
                    + "; ".join(attempts[:5]), pytrace=False)


# --- running in parallel (pytest-xdist: the test command's first pass, `-n auto --dist loadfile`) --

@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config) -> int:
    """`-n auto`: one worker more than this process may use CPUs (two on CI's 2 vCPUs gives 3):
    many tests wait on a subprocess starting, a loopback server or a real-time stream, and the
    extra worker runs while they wait. PYTEST_XDIST_AUTO_NUM_WORKERS still overrides it."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS", "").isdigit():
        return int(os.environ["PYTEST_XDIST_AUTO_NUM_WORKERS"])
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (cpus or 1) + 1


@pytest.fixture(scope="session")
def seeds() -> Dict[str, str]:
    """Seed texts by number ('000'..'004')."""
    folder = need_shared("seeds")
    return {p.name[:3]: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt"))}


@pytest.fixture(autouse=True)
def fresh_host_state():
    """Each test starts with no host state from earlier tests: robots.txt rules, pauses and
    connection slots are kept per host:port for the life of the process, and a test's
    loopback server may get a port an earlier test's server had (a stale "robots.txt
    unavailable" then refuses every page of the new server)."""
    from cfnews.transforms.http import forget_hosts
    forget_hosts()
    yield


@pytest.fixture(scope="session")
def demo_output(tmp_path_factory):
    """One offline demo run (tests/demo_output.py) for the tests that only read its output."""
    from tests.demo_output import run_demo
    return run_demo(str(tmp_path_factory.mktemp("demo-output") / "out"))


# A route answers (status, headers, body) or is a callable(handler) that writes itself.
Route = Union[Tuple[int, Dict[str, str], bytes], Callable]


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else each response waits ~40 ms for a delayed ACK
    routes: Dict[str, Route] = {}
    hits: Dict[str, int] = {}

    def log_message(self, *args):  # keep test output clean
        pass

    def do_GET(self):
        self.hits[self.path] = self.hits.get(self.path, 0) + 1
        route = self.routes.get(self.path)
        if route is None:
            route = (404, {"Content-Type": "text/plain"}, b"not found")
        if callable(route):
            route(self)
            return
        respond(self, *route)


def respond(handler, status: int, headers: Dict[str, str], body: bytes = b"") -> None:
    """Write one whole response; a client that already gave up is not an error here."""
    try:
        handler.send_response(status)
        for key, value in headers.items():
            handler.send_header(key, value)
        if "Content-Length" not in headers:
            handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
    except (BrokenPipeError, ConnectionResetError):
        pass


class LocalServer:
    def __init__(self):
        handler = type("Handler", (_Handler,), {"routes": {}, "hits": {}})
        self.httpd = LoopbackHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False  # a slow handler must not hold up stop()
        self.httpd.handle_error = lambda request, address: None  # resets are test cases here
        self.routes = handler.routes
        self.hits = handler.hits
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def host_port(self) -> str:
        return self.base_url.split("//", 1)[1]

    def config(self, **overrides):
        """An HttpConfig allowing this server, without politeness delays or retries."""
        from cfnews.transforms.http import HttpConfig
        values = dict(allow_hosts=(self.host_port,), min_host_delay=0.0, max_retries=0)
        values.update(overrides)
        return HttpConfig(**values)

    def url(self, path: str) -> str:
        return self.base_url + path

    def add(self, path: str, body: Union[bytes, str] = b"", status: int = 200,
            content_type: str = "text/html; charset=utf-8", headers=None, gzip_body=False):
        data = body.encode("utf-8") if isinstance(body, str) else body
        all_headers = {"Content-Type": content_type}
        if gzip_body:
            data = gzip.compress(data)
            all_headers["Content-Encoding"] = "gzip"
        all_headers.update(headers or {})
        self.routes[path] = (status, all_headers, data)
        return self.url(path)

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    srv = LocalServer()
    yield srv
    srv.stop()


def slow_drip(chunks: int, delay: float, chunk: bytes = b"<p>drip</p>"):
    """A route that sends a page a little at a time."""
    def route(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Content-Length", str(chunks * len(chunk)))
        handler.end_headers()
        for _ in range(chunks):
            try:
                handler.wfile.write(chunk)
                handler.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                return
            time.sleep(delay)
    return route


def article_html(title: str, paragraphs, extra_chrome: bool = True) -> str:
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    chrome = ("<nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
              "<div class='cookie'>We use cookies. Accept all cookies?</div>") if extra_chrome else ""
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head>"
            f"<body>{chrome}<article><h1>{title}</h1>{body}</article>"
            "<footer>Copyright Example News</footer></body></html>")


def cli(*args: str, timeout: float = 600):
    """`cfnews ARGS` as a user runs it: a subprocess (exit status, stdout, stderr)."""
    from tests.cli import cfnews
    return cfnews(*args, timeout=timeout)
