"""Several loopback hosts (127.0.0.2, 127.0.0.3, ...: the whole 127.0.0.0/8 is local), each a
threaded HTTP server that delays every response by `latency` seconds and records, per host,
the most simultaneous requests and when each request started. Used by the concurrency tests
and tests/benchmarks/network_latency.py."""
from __future__ import annotations

import http.server
import threading
import time
from typing import Callable, Dict, List, Optional, Tuple

from cfnews.pipeline.demo.site import LoopbackHTTPServer


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    host: "LoopbackHost" = None

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.host.serve(self)


class LoopbackHost:
    def __init__(self, address: str, latency: float = 0.0):
        self.address = address
        self.latency = latency
        self.routes: Dict[str, Tuple[int, Dict[str, str], bytes]] = {}
        self.handlers: Dict[str, Callable] = {}
        self.starts: List[float] = []          # monotonic time of each request's arrival
        self.paths: List[str] = []
        self.active = 0
        self.peak = 0
        self._lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"host": self})
        self.httpd = LoopbackHTTPServer((address, 0), handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.httpd.handle_error = lambda request, client: None
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def host_port(self) -> str:
        return f"{self.address}:{self.port}"

    def url(self, path: str) -> str:
        return f"http://{self.host_port}{path}"

    def add(self, path: str, body, status: int = 200, content_type: str = "text/html; charset=utf-8",
            headers: Optional[Dict[str, str]] = None) -> str:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = (status, dict({"Content-Type": content_type}, **(headers or {})), data)
        return self.url(path)

    def serve(self, handler) -> None:
        with self._lock:
            self.starts.append(time.monotonic())
            self.paths.append(handler.path)
            self.active += 1
            self.peak = max(self.peak, self.active)
        try:
            if self.latency:
                time.sleep(self.latency)
            custom = self.handlers.get(handler.path)
            if custom is not None:
                custom(handler)
                return
            status, headers, body = self.routes.get(
                handler.path, (404, {"Content-Type": "text/plain"}, b"not found"))
            try:
                handler.send_response(status)
                for key, value in headers.items():
                    handler.send_header(key, value)
                handler.send_header("Content-Length", str(len(body)))
                handler.end_headers()
                handler.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass
        finally:
            with self._lock:
                self.active -= 1

    def gaps(self) -> List[float]:
        """Seconds between consecutive request starts."""
        starts = sorted(self.starts)
        return [b - a for a, b in zip(starts, starts[1:])]

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def start_hosts(count: int, latency: float = 0.0, first: int = 2) -> List[LoopbackHost]:
    return [LoopbackHost(f"127.0.0.{first + i}", latency) for i in range(count)]
