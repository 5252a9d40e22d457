"""robots.txt by RFC 9309 (Protego): wildcards, `$`, longest match, Allow over Disallow on a
tie, the group of our own product token, and the 2xx / 4xx / 5xx / unreachable rules — over
loopback; and one robots.txt fetch per host shared by concurrent threads."""
import threading
import time

import pytest

from cfnews.transforms.fetch import fetch_page
from cfnews.transforms.http import FetchError
from cfnews.transforms.robots import allowed, parse_robots, product_token
from tests.conftest import respond
from tests.conftest import article_html
from tests.test_netguard import entry

RULES = """
User-agent: *
Disallow: /*?print=
Allow: /news/$
Disallow: /news/
Disallow: /private/
Allow: /private/open/
Disallow: /*.pdf$
Allow: /tie
Disallow: /tie

User-agent: otherbot
Disallow: /
"""

UA = "cfnews/0.1 (+https://github.com/cfnews/cfnews; research crawler)"


@pytest.mark.parametrize("path,expected", [
    ("/story?print=1", False), ("/a/b?print=yes", False), ("/a?x=1&print=1", True), ("/story?x=1", True),  # `*`
    ("/news/", True), ("/news/article-1", False),                                  # `$`
    ("/private/secret", False), ("/private/open/page", True),                      # longest
    ("/doc.pdf", False), ("/doc.pdf?download=1", True), ("/doc.pdfx", True),       # `*` + `$`
    ("/tie", True),                                                                # tie: Allow
    ("/anything-else", True),
])
def test_rfc9309_matching(path, expected):
    rules = parse_robots(RULES)
    assert allowed(rules, "http://site.example" + path, product_token(UA)) is expected


def test_our_own_group_is_used_and_other_bots_groups_are_not():
    rules = parse_robots("User-agent: *\nDisallow: /\n\nUser-agent: cfnews\nAllow: /\n")
    assert allowed(rules, "http://s.example/a", product_token(UA))
    assert not allowed(rules, "http://s.example/a", "otherbot")
    assert product_token(UA) == "cfnews"


def test_the_standard_librarys_misreadings_are_gone():
    """urllib.robotparser ignores `*` and `$` (issue 14): these two rules now hold."""
    import urllib.robotparser
    stdlib = urllib.robotparser.RobotFileParser()
    stdlib.parse(RULES.splitlines())
    assert stdlib.can_fetch("cfnews", "http://s.example/story?print=1")     # wrongly allowed
    assert not allowed(parse_robots(RULES), "http://s.example/story?print=1", "cfnews")


def test_rules_are_applied_to_fetches_over_loopback(server):
    server.add("/robots.txt", RULES, content_type="text/plain")
    for path in ("/news/", "/story?print=1", "/private/open/page", "/private/x", "/doc.pdf"):
        server.add(path, article_html("T", ["x"]))
    outcomes = {p: getattr(fetch_page(entry(server.url(p)), server.config()), "reason", "page")
                for p in ("/news/", "/story?print=1", "/private/open/page", "/private/x", "/doc.pdf")}
    assert outcomes == {"/news/": "page", "/story?print=1": "robots_disallowed",
                        "/private/open/page": "page", "/private/x": "robots_disallowed",
                        "/doc.pdf": "robots_disallowed"}
    assert server.hits["/robots.txt"] == 1
    assert "/private/x" not in server.hits and "/doc.pdf" not in server.hits


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 451])
def test_a_4xx_robots_txt_allows_everything(server, status):
    server.add("/robots.txt", "Disallow: /", status=status, content_type="text/plain")
    server.add("/page", article_html("T", ["x"]))
    assert fetch_page(entry(server.url("/page")), server.config()).http_status == 200


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_5xx_robots_txt_defers_the_page_with_a_transient_reason(server, status):
    server.add("/robots.txt", "down", status=status, content_type="text/plain")
    server.add("/page", article_html("T", ["x"]))
    result = fetch_page(entry(server.url("/page")), server.config())
    assert (result.reason, result.http_status) == ("robots_unavailable", status)
    assert "/page" not in server.hits
    with pytest.raises(FetchError) as info:
        from cfnews.transforms.http import http_get
        http_get(server.url("/page"), server.config(), check_robots=True)
    assert info.value.transient  # a deferral, not a permanent http_error
    assert server.hits["/robots.txt"] == 1  # the failure is remembered for a while


def test_an_unreachable_robots_txt_defers_the_page(server):
    port = server.httpd.server_address[1]
    server.stop()
    result = fetch_page(entry(f"http://127.0.0.1:{port}/page"),
                        server.config(connect_timeout=1, total_timeout=2))
    assert result.reason == "robots_unavailable" and "connection_error" in result.error
    server.httpd = type("Dummy", (), {"shutdown": lambda s: None, "server_close": lambda s: None})()


def test_robots_txt_is_fetched_once_per_host_by_concurrent_threads(server):
    def slow_robots(handler):
        time.sleep(0.3)
        body = b"User-agent: *\nDisallow: /no/\n"
        respond(handler, 200, {"Content-Type": "text/plain"}, body)
    server.routes["/robots.txt"] = slow_robots
    for i in range(8):
        server.add(f"/p{i}", article_html("T", ["x"]))
    config = server.config(per_host_concurrency=8)
    results = [None] * 8
    threads = [threading.Thread(target=lambda i=i: results.__setitem__(
        i, fetch_page(entry(server.url(f"/p{i}")), config))) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.http_status == 200 for r in results)
    assert server.hits["/robots.txt"] == 1
