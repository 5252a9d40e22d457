"""DemoSite: the demo outlets' feeds and article pages, served from 127.0.0.1 on an ephemeral
port by a background thread, so the pipeline can run end to end with no network."""
from __future__ import annotations

import html
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from cfnews.pipeline.demo.catalog import (FIGURE_SRC, DemoArticle, load_catalog, load_outlets,
                                   render_feed, render_page)
from cfnews.schemas import FeedSource


class LoopbackHTTPServer(ThreadingHTTPServer):
    """A threaded HTTP server that names itself by the address it binds. The standard one asks
    the resolver for that address's host name (`socket.getfqdn`), a DNS query off the machine
    for any loopback address /etc/hosts does not list (127.0.0.2, ...)."""

    def server_bind(self):
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

HTML = "text/html; charset=utf-8"
FIGURE_SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" width="800" height="450">'
              b'<rect width="800" height="450" fill="#c8ccd4"/></svg>')


class _Handler(BaseHTTPRequestHandler):
    server_version = "cfnews-demo/1.0"

    def _answer(self, with_body: bool) -> None:
        route = self.server.routes.get(urlsplit(self.path).path)
        status, (ctype, body) = (200, route) if route else (404, (HTML, self.server.not_found))
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def do_GET(self):
        self._answer(True)

    def do_HEAD(self):
        self._answer(False)

    def log_message(self, *args):  # keep test and demo output quiet
        pass


class DemoSite:
    """Offline demo news site. Use as a context manager (or start()/stop()):

        with DemoSite() as site:
            site.feeds      # list[FeedSource] pointing at this server
            site.base_url   # e.g. http://127.0.0.1:54321
    """

    def __init__(self, port: int = 0, any_port_if_busy: bool = False):
        self.port = port
        self.any_port_if_busy = any_port_if_busy
        self.outlets = load_outlets()
        self.articles = load_catalog()
        self.base_url = ""
        self.feeds: list[FeedSource] = []
        self._server = None
        self._thread = None

    @property
    def allow_hosts(self) -> list:
        """'host:port' of this server, for the SSRF guard's explicit allow-list."""
        return [self.base_url.split("//", 1)[1]]

    def url_of(self, article: DemoArticle) -> str:
        return article.url(self.base_url)

    def _routes(self) -> dict:
        by_outlet = {o.id: [a for a in self.articles if a.outlet == o.id] for o in self.outlets}
        routes = {FIGURE_SRC: ("image/svg+xml", FIGURE_SVG)}
        for o in self.outlets:
            routes[o.feed_path] = (o.feed_content_type, render_feed(o, self.articles, self.base_url))
            related = [a for a in by_outlet[o.id] if a.page == "full"]
            for a in by_outlet[o.id]:
                if a.page != "missing":  # a 'missing' page is the 404 case
                    page = render_page(a, o, base_url=self.base_url, related=related)
                    routes[a.path] = (HTML, page.encode("utf-8"))
        index = "".join(f'<li><a href="{f.url}">{html.escape(f.name)}</a> ({f.language})</li>'
                        for f in self.feeds)
        routes["/"] = (HTML, f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>cfnews demo"
                             f"</title></head><body><h1>cfnews demo feeds</h1><ul>{index}</ul>"
                             f"</body></html>".encode("utf-8"))
        return routes

    def start(self) -> "DemoSite":
        if self._server is not None:
            return self
        try:
            server = LoopbackHTTPServer(("127.0.0.1", self.port), _Handler)  # loopback only
        except OSError:
            if not (self.port and self.any_port_if_busy):
                raise
            server = LoopbackHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{server.server_address[1]}"
        self.feeds = [o.feed_source(self.base_url) for o in self.outlets]
        server.routes = self._routes()  # rendered once: the server only looks pages up
        server.not_found = (b"<!DOCTYPE html><html><head><meta charset='utf-8'><title>404 Not Found"
                            b"</title></head><body><h1>Page not found</h1></body></html>")
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="cfnews-demo-site",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> "DemoSite":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
