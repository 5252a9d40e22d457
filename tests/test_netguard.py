"""The SSRF guard, tested at the decision step: no traffic goes to any refused address."""
import pytest

from cfnews.schemas import FeedEntry, Rejected
from cfnews.transforms.fetch import fetch_page
from cfnews.transforms.netguard import BlockedAddress, Guard, is_public, parse_ipv4_loose, ip_literal
from cfnews.transforms.urls import article_id_for, canonical_url

BLOCKED_URLS = [
    "http://127.0.0.1/", "http://localhost.localdomain.invalid/",  # resolved by the stub below
    "http://2130706433/", "http://0x7f000001/", "http://0177.0.0.1/", "http://0x7f.1/",
    "http://127.1/", "http://017700000001/", "http://0/", "http://0.0.0.0/",
    "http://10.1.2.3/", "http://172.16.0.1/", "http://192.168.1.1/", "http://100.64.0.1/",
    "http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/",
    "http://[::1]/", "http://[::]/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:a9fe:a9fe]/",
    "http://[::127.0.0.1]/", "http://[2002:a9fe:a9fe::1]/", "http://[fe80::1%25eth0]/",
    "http://224.0.0.1/", "http://[ff02::1]/", "http://240.0.0.1/", "http://255.255.255.255/",
    "http://192.0.2.10/", "http://198.18.0.1/", "http://[2001:db8::1]/",
]


def stub_resolver(table):
    calls = []

    def resolve(host, port):
        calls.append(host)
        if host not in table:
            raise OSError("no such host")
        return list(table[host])
    resolve.calls = calls
    return resolve


@pytest.mark.parametrize("url", BLOCKED_URLS)
def test_non_public_addresses_are_refused(url):
    guard = Guard(resolver=stub_resolver({"localhost.localdomain.invalid": ["127.0.0.1"]}))
    with pytest.raises(BlockedAddress):
        guard.check_url(url)


@pytest.mark.parametrize("url,address", [
    ("http://8.8.8.8/", "8.8.8.8"), ("https://[2606:4700:4700::1111]/x", "2606:4700:4700::1111"),
    ("http://news.example/a", "93.184.216.34"),
])
def test_public_addresses_pass_and_the_checked_address_is_returned(url, address):
    guard = Guard(resolver=stub_resolver({"news.example": ["93.184.216.34"]}))
    assert guard.check_url(url) == address


def test_one_private_answer_among_public_ones_refuses_the_host():
    guard = Guard(resolver=stub_resolver({"mixed.example": ["93.184.216.34", "10.0.0.5"]}))
    with pytest.raises(BlockedAddress):
        guard.check_url("http://mixed.example/")


def test_names_that_resolve_to_metadata_or_loopback_are_refused():
    guard = Guard(resolver=stub_resolver({"evil.example": ["169.254.169.254"],
                                          "evil6.example": ["::ffff:127.0.0.1"]}))
    for url in ("http://evil.example/", "http://evil6.example:8080/"):
        with pytest.raises(BlockedAddress):
            guard.check_url(url)


def test_only_http_and_https_schemes():
    for url in ("file:///etc/passwd", "ftp://8.8.8.8/", "gopher://8.8.8.8/", "data:text/html,x"):
        with pytest.raises(ValueError):
            Guard().check_url(url)


def test_allow_list_is_by_host_and_port():
    guard = Guard.allowing(["127.0.0.1:8123"])
    assert guard.check_url("http://127.0.0.1:8123/feed") == "127.0.0.1"
    with pytest.raises(BlockedAddress):
        guard.check_url("http://127.0.0.1:8124/feed")
    with pytest.raises(BlockedAddress):
        guard.check_url("http://2130706433:8124/")
    with pytest.raises(ValueError):
        Guard.allowing(["no-port"])


def test_numeric_host_spellings_read_like_inet_aton():
    assert str(parse_ipv4_loose("2130706433")) == "127.0.0.1"
    assert str(parse_ipv4_loose("0x7f.0.0.1")) == "127.0.0.1"
    assert str(parse_ipv4_loose("0177.0.0.01")) == "127.0.0.1"
    assert str(parse_ipv4_loose("10.1")) == "10.0.0.1"
    assert parse_ipv4_loose("256.1.1.1") is None and parse_ipv4_loose("example.com") is None
    assert str(ip_literal("[::ffff:7f00:1]")) == "::ffff:7f00:1"
    assert not is_public(ip_literal("::ffff:7f00:1")) and is_public(ip_literal("1.1.1.1"))


def entry(url):
    c = canonical_url(url)
    return FeedEntry(outlet="o", feed_url="f", entry_id=url, url=url, article_id=article_id_for(c),
                     canonical_url=c)


def test_fetch_refuses_without_connecting(server):
    # the server is NOT allowed here: the request must be refused before any connection
    url = server.add("/page", "<html><p>x</p></html>")
    result = fetch_page(entry(url), server.config(allow_hosts=()))
    assert isinstance(result, Rejected) and result.reason == "blocked_address"
    assert server.hits == {}


def test_redirect_to_a_refused_address_is_checked_on_the_hop(server):
    server.add("/jump", "", status=302, headers={"Location": "http://169.254.169.254/latest/"})
    result = fetch_page(entry(server.url("/jump")), server.config())
    assert result.reason == "blocked_address" and "169.254.169.254" in result.error


def test_the_connection_goes_to_the_address_that_was_checked(server):
    """A name is resolved once per hop and the socket connects to that answer: a later,
    different answer (DNS rebinding) is never used."""
    port = int(server.host_port.split(":")[1])
    answers = iter([["127.0.0.1"], ["10.0.0.9"], ["10.0.0.9"]])
    calls = []

    def rebinding_resolver(host, port_):
        calls.append(host)
        return next(answers)
    seen_hosts = []

    def page(handler):
        seen_hosts.append(handler.headers.get("Host"))
        body = b"<html><body><p>pinned</p></body></html>"
        respond(handler, 200, {"Content-Type": "text/html"}, body)
    server.routes["/pinned"] = page
    config = server.config(allow_hosts=(f"news.example:{port}",), resolver=rebinding_resolver,
                           respect_robots=False)
    from cfnews.transforms.http import http_get
    response = http_get(f"http://news.example:{port}/pinned", config)
    assert response.body.endswith(b"pinned</p></body></html>")
    assert calls == ["news.example"]                     # resolved once
    assert seen_hosts == [f"news.example:{port}"]        # Host header kept the name


# ---------------------------------------------------------------- one parse (issue 13 item 9)

from urllib.parse import urlsplit  # noqa: E402

import urllib3  # noqa: E402

from cfnews.transforms.netguard import parse_target  # noqa: E402
from tests.conftest import respond


def test_the_backslash_url_that_parsers_read_differently_is_refused():
    """`http://127.0.0.1:B\\@127.0.0.1:A/`: urlsplit (the guard's old parser) reads port A,
    urllib3 (the connection's) reads port B — an allowed port approved, another one reached.
    Now it is refused at the decision step."""
    url = "http://127.0.0.1:8124\\@127.0.0.1:8123/"
    assert urlsplit(url).port == 8123                  # what the guard used to check
    assert urllib3.util.parse_url(url).port == 8124    # where the request used to go
    guard = Guard.allowing(["127.0.0.1:8123"])
    with pytest.raises(ValueError):
        guard.check_url(url)


TRICKY = [
    "http://127.0.0.1:{b}\\@127.0.0.1:{a}/", "http://127.0.0.1:{a}\\@127.0.0.1:{b}/",
    "http://127.0.0.1:{a}@127.0.0.1:{b}/", "http://u:p@127.0.0.1:{a}/",
    "http://127.0.0.1:{b}#@127.0.0.1:{a}/", "http://127.0.0.1:{a}/#@127.0.0.1:{b}",
    "http://127.0.0.1:{a}?@127.0.0.1:{b}/", "http://127.0.0.1\t:{b}/", "http://127.0.0.1:{a}\t{b}/",
    "http://127.0.0.1:{a} /", " http://127.0.0.1:{a}/x ", "http://127.0.0.1:{a}\n/",
    "http://[::ffff:127.0.0.1]:{b}/", "http://[127.0.0.1]:{a}/", "http://127.0.0.1:{a}:{b}/",
    "http://127.0.0.1:+{a}/", "http://127.0.0.1:0{a}/", "http://127.0.0.1:{a}/a\\..\\b",
    "http://127.0.0.1%3a{b}:{a}/", "HTTP://127.0.0.1:{a}/X?y=1#z", "http://127.0.0.1:{a}/é ?q=中",
    "http://127.0.0.1.:{a}/",
]


@pytest.mark.parametrize("template", TRICKY)
def test_every_accepted_url_means_one_host_and_port_to_every_parser(template):
    """Whatever the guard accepts, it accepts as exactly one (host, port, path), and the
    request is built from that parse: the URL it sends (Target.url) reads the same to
    urllib3 and urlsplit, so no second parser can pick another port."""
    url = template.format(a=8123, b=8124)
    try:
        target = parse_target(url)
    except ValueError:
        return  # refused as malformed: nothing to connect to
    for parsed in (urllib3.util.parse_url(target.url), urlsplit(target.url)):
        assert (parsed.hostname if hasattr(parsed, "hostname") else parsed.host).strip("[]") \
            == target.host
        assert parsed.port in (target.port, None)
    # the port the URL names to both parsers; the guard decides on exactly that one
    assert target.port == (urlsplit(target.url).port or 80)
    assert "#" not in target.path and " " not in target.path and "\\" not in target.path


def test_no_tricky_url_reaches_a_port_that_is_not_allowed():
    """Over loopback: servers on an allowed port A and a not-allowed port B; every tricky
    spelling is refused or goes to A, none reaches B."""
    from tests.conftest import LocalServer
    from cfnews.transforms.http import http_get, FetchError
    allowed, other = LocalServer(), LocalServer()
    try:
        a, b = allowed.httpd.server_address[1], other.httpd.server_address[1]
        allowed.add("/", "<html><p>allowed</p></html>")
        config = allowed.config(respect_robots=False, total_timeout=3)
        outcomes = {}
        for template in TRICKY:
            url = template.format(a=a, b=b)
            try:
                outcomes[url] = http_get(url, config).status
            except FetchError as exc:
                outcomes[url] = exc.reason.value
        assert other.hits == {}, outcomes
        assert outcomes["http://127.0.0.1:{b}\\@127.0.0.1:{a}/".format(a=a, b=b)] == "bad_url"
    finally:
        allowed.stop()
        other.stop()


def test_fetch_refuses_the_backslash_spelling_without_connecting(server):
    other = type(server)()
    try:
        b = other.httpd.server_address[1]
        url = f"http://127.0.0.1:{b}\\@{server.host_port}/page"
        result = fetch_page(FeedEntry(outlet="o", feed_url="f", entry_id=url, url=url,
                                      article_id="x" * 16, canonical_url=url), server.config())
        assert isinstance(result, Rejected) and result.reason == "bad_url"
        assert other.hits == {}
    finally:
        other.stop()
