import collections
import datetime as dt
import re
from pathlib import Path

import feedparser
import lxml.html
import pytest
import requests
import trafilatura

from cfnews.pipeline.demo import DemoSite, load_catalog, load_outlets
from cfnews.pipeline.demo.catalog import human_date
from cfnews.pipeline.feeds_file import dump_feeds, parse_feeds

SHARED = Path(__file__).resolve().parents[2] / "shared"
FEED_TYPES = {"rss20": "application/rss+xml", "atom10": "application/atom+xml"}


@pytest.fixture(scope="module")
def site():
    with DemoSite() as s:
        yield s


@pytest.fixture(scope="module")
def http():
    with requests.Session() as session:
        session.trust_env = False  # never route loopback traffic through a configured proxy
        yield session


@pytest.fixture(scope="module")
def parsed_feeds(site, http):
    out = {}
    for feed in site.feeds:
        resp = http.get(feed.url, timeout=5)
        assert resp.status_code == 200, feed.url
        parsed = feedparser.parse(resp.content)
        assert not parsed.bozo, (feed.url, parsed.get("bozo_exception"))
        assert resp.headers["Content-Type"] == FEED_TYPES[parsed.version]
        out[feed.outlet] = parsed
    return out


def by_id():
    return {a.id: a for a in load_catalog()}


def words(text: str) -> int:
    # Chinese has no spaces: count two characters as a word
    return len(re.findall(r"[\u4e00-\u9fff]", text)) // 2 + len(re.findall(r"[A-Za-zÀ-ÿ0-9'’-]+", text))


def test_site_binds_loopback_and_describes_its_feeds(site):
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", site.base_url)
    assert len({f.outlet for f in site.feeds}) >= 5
    assert all(f.url.startswith(site.base_url + "/") for f in site.feeds)
    assert all(f.outlet.endswith("-demo") for f in site.feeds)
    assert {f.language for f in site.feeds} >= {"en", "fr", "zh"}
    assert parse_feeds(dump_feeds(site.feeds)) == site.feeds  # valid as a feeds.yaml


def test_feeds_parse_and_mix_rss_and_atom(parsed_feeds):
    assert len(parsed_feeds) >= 5
    assert {p.version for p in parsed_feeds.values()} == {"rss20", "atom10"}


def test_feed_entries_match_the_catalog(site, parsed_feeds):
    expected = collections.defaultdict(set)
    for a in site.articles:
        expected[a.outlet].add(site.url_of(a))
    articles = {site.url_of(a): a for a in site.articles}
    for outlet, parsed in parsed_feeds.items():
        assert {e.link for e in parsed.entries} == expected[outlet]
        for e in parsed.entries:
            a = articles[e.link]
            assert e.title == a.title and e.summary == a.summary and e.id
            stamp = e.get("published_parsed") or e.updated_parsed
            utc = dt.datetime(*stamp[:6], tzinfo=dt.timezone.utc)
            assert utc == a.published.astimezone(dt.timezone.utc)


def test_every_entry_link_answers(site, http, parsed_feeds):
    articles = {site.url_of(a): a for a in site.articles}
    statuses = collections.Counter()
    for parsed in parsed_feeds.values():
        for e in parsed.entries:
            resp = http.get(e.link, timeout=5)
            missing = articles[e.link].page == "missing"
            assert resp.status_code == (404 if missing else 200), e.link
            assert resp.headers["Content-Type"] == "text/html; charset=utf-8"
            statuses[resp.status_code] += 1
    assert statuses[404] == 1 and statuses[200] >= 12


def test_unknown_paths_are_404(site, http):
    for path in ("/nope", "/cgtn-demo/", "/cgtn-demo/rss.xml/x"):
        assert http.get(site.base_url + path, timeout=5).status_code == 404


def test_pages_have_the_parts_of_a_real_news_page(site, http):
    outlets = {o.id: o for o in load_outlets()}
    assert len({o.template for o in outlets.values()}) >= 5  # varied markup
    for a in site.articles:
        if a.page != "full":
            continue
        doc = lxml.html.fromstring(http.get(site.url_of(a), timeout=5).content)
        one = lambda xpath: doc.xpath(xpath)[0]
        text = doc.text_content()
        assert one("//meta[@property='article:published_time']/@content") == a.published.isoformat()
        assert human_date(a.published, outlets[a.outlet].language) in text   # visible date too
        assert one("//h1").text_content() == a.title
        assert a.author in text
        assert one("//figure//figcaption").text_content() == a.figure
        assert doc.xpath("//nav | //*[contains(@class, 'nav') or contains(@class, 'menu')]//a")
        assert doc.xpath("//*[re:test(@class, 'crumb|ariane|route')]//a",
                         namespaces={"re": "http://exslt.org/regular-expressions"})
        assert len(doc.xpath("//*[@id='comments']//li[@class='comment']")) >= 2
        assert doc.xpath("//footer | //*[@id='footer' or @class='footer']")
        assert re.search(r"cookie", text, re.I)
        siblings = [b.path for b in site.articles
                    if b.outlet == a.outlet and b.id != a.id and b.page == "full"]
        assert set(siblings) <= set(doc.xpath("//li/a/@href"))  # related links
        assert all(p in text for p in a.paragraphs)


def test_catalog_expectations():
    arts = by_id()
    a002, a004 = arts["seed-002"], arts["seed-004"]
    assert a002.outlet != a004.outlet
    assert a004.published > a002.published
    assert a004.expect == "duplicate" and a004.duplicate_of == "seed-002"
    assert {arts[f"seed-00{i}"].expect for i in (0, 1, 2, 3)} == {"article"}

    relevant = [a for a in arts.values() if a.expect == "article"]
    french = [a for a in relevant if a.language == "fr"]
    chinese = [a for a in relevant if a.language == "zh"]
    assert len(french) >= 2 and all(words(a.text) >= 250 for a in french)
    assert chinese and all(len(re.findall(r"[\u4e00-\u9fff]", a.text)) >= 400 for a in chinese)

    off_topic = [a for a in arts.values() if a.expect == "not_relevant"]
    assert len(off_topic) >= 3 and all(words(a.text) >= 200 for a in off_topic)
    for a in off_topic:  # about China or France or neither, never both
        text = a.title + " " + a.text
        china = re.search(r"China|Chin|中国|中法|Beijing|Pékin", text)
        france = re.search(r"France|French|Français|français|法国|中法|Paris", text)
        assert not (china and france), a.id

    rejected = {a.id: a.reason for a in arts.values() if a.expect == "rejected"}
    assert sorted(rejected.values()) == ["http_error", "too_short"]
    assert len({a.outlet for a in arts.values() if a.expect == "rejected"}) == 1  # in one feed
    for a in arts.values():
        assert a.published.tzinfo and a.published.year == 2025 and a.published.month == 12
        assert a.id and a.title and a.author and a.language in ("en", "fr", "zh")


def test_trafilatura_extracts_the_seed_body_only(site, http):
    a = by_id()["seed-000"]
    page = http.get(site.url_of(a), timeout=5).text
    text = trafilatura.extract(page, include_comments=False)
    assert text and all(p in text for p in a.paragraphs)
    for boilerplate in ("cookies", "Accept", "Great to see trade growing", "Related Stories",
                        "Copyright", "Write a comment"):
        assert boilerplate not in text, boilerplate
    # comments only ever come back when asked for
    assert "Great to see trade growing" in trafilatura.extract(page, include_comments=True)


def test_stub_page_extracts_almost_nothing(site, http):
    a = by_id()["bad-stub-page"]
    text = trafilatura.extract(http.get(site.url_of(a), timeout=5).text) or ""
    assert len(text) < 150


def test_seed_text_is_copied_faithfully():
    seeds = SHARED / "seeds"
    if not seeds.is_dir():
        pytest.skip("../shared/seeds is absent (the project is checked out alone)")
    norm = lambda s: " ".join(s.split())
    for a in by_id().values():
        if not a.seed:
            continue
        source = norm((seeds / f"{a.seed}.txt").read_text(encoding="utf-8"))
        assert all(norm(p) in source for p in a.paragraphs), a.id


def test_stop_closes_the_port(http):
    s = DemoSite().start()
    url = s.feeds[0].url
    assert http.get(url, timeout=5).status_code == 200
    s.stop()
    with pytest.raises(requests.ConnectionError):
        http.get(url, timeout=2)


def test_a_busy_port_falls_back_to_a_free_one_only_when_asked():
    import socket
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        busy = holder.getsockname()[1]
        with pytest.raises(OSError):
            DemoSite(port=busy).start()
        site = DemoSite(port=busy, any_port_if_busy=True).start()
        try:
            assert site.base_url.startswith("http://127.0.0.1:")
            assert not site.base_url.endswith(f":{busy}")
        finally:
            site.stop()


_REFUSE_LOOKUPS = []   # set while a test wants host-name lookups stopped (audit hooks stay)


def _refuse_lookups(event, args):
    if _REFUSE_LOOKUPS and event in ("socket.gethostbyaddr", "socket.getaddrinfo",
                                     "socket.gethostbyname"):
        raise RuntimeError(f"lookup refused: {event} {args[0]!r}")


def test_loopback_servers_bind_without_asking_the_resolver_their_name():
    """The standard HTTP server looks its address's name up when it binds (`getfqdn`): for a
    loopback address /etc/hosts does not list (127.0.0.2, as the multi-host tests use), a
    reverse DNS query to the machine's resolver. The demo site's and the tests' servers bind
    without one. Lookups are stopped here before they are made, so nothing is sent either way."""
    import http.server
    import sys
    from cfnews.pipeline.demo.site import LoopbackHTTPServer
    sys.addaudithook(_refuse_lookups)
    _REFUSE_LOOKUPS.append(True)
    try:
        with pytest.raises(RuntimeError, match="lookup refused: socket.gethostbyaddr '127.0.0.2'"):
            http.server.ThreadingHTTPServer(("127.0.0.2", 0), http.server.BaseHTTPRequestHandler)
        server = LoopbackHTTPServer(("127.0.0.2", 0), http.server.BaseHTTPRequestHandler)
    finally:
        _REFUSE_LOOKUPS.clear()
    try:
        assert server.server_name == "127.0.0.2" and server.server_port > 0
    finally:
        server.server_close()
