import collections
import hashlib
import re
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import pytest

from tests.conftest import need_shared
from cfnews.transforms.urls import article_id_for, canonical_url, is_tracking_param


@pytest.mark.parametrize("variant", [
    "https://www.example.com/world/story-1",
    "http://example.com/world/story-1/",
    "https://m.example.com/world/story-1?utm_source=rss&utm_medium=feed",
    "https://amp.example.com/world/story-1/amp",
    "https://EXAMPLE.com:443/world//story-1#comments",
    "https://example.com/world/story-1?fbclid=abc&gclid=x",
])
def test_variants_of_one_article_share_canonical_url_and_id(variant):
    assert canonical_url(variant) == "https://example.com/world/story-1"
    assert article_id_for(canonical_url(variant)) == article_id_for("https://example.com/world/story-1")


def test_meaningful_query_parameters_are_kept_and_sorted():
    assert canonical_url("https://e.com/a?id=2&page=1") == "https://e.com/a?id=2&page=1"
    assert canonical_url("https://e.com/a?page=1&id=2") == "https://e.com/a?id=2&page=1"
    assert canonical_url("https://e.com/a?id=2") != canonical_url("https://e.com/a?id=3")


def test_non_default_port_is_kept():
    assert canonical_url("http://127.0.0.1:8123/x") == "https://127.0.0.1:8123/x"


@pytest.mark.parametrize("bad", ["", "ftp://e.com/a", "/relative/path", "mailto:a@b.c", "http://"])
def test_non_http_urls_are_refused(bad):
    with pytest.raises(ValueError):
        canonical_url(bad)


def test_article_id_is_stable_hex():
    assert article_id_for("https://e.com/a") == article_id_for("https://e.com/a")
    assert len(article_id_for("https://e.com/a")) == 16
    int(article_id_for("https://e.com/a"), 16)


# --- tracking parameters, hosts, encodings ------------------------------------------------------

@pytest.mark.parametrize("url, canonical", [
    # courlan's maintained tracker list, and ours
    ("https://e.com/a?utm_campaign=x&mc_eid=1&icid=rss&wt_mc=rss.x&traffic_source=rss",
     "https://e.com/a"),
    ("https://medium.com/p/x-1?source=rss----d12c--food", "https://medium.com/p/x-1"),
    # DW's feed campaign, and a bare feed flag: the same article from another feed or a page
    ("https://www.dw.com/zh/x/a-74582227?maca=chi-rss-chi-all-1127-rdf",
     "https://dw.com/zh/x/a-74582227"),
    ("http://www.transfermarkt.de/x/view/news/326649?rss", "https://transfermarkt.de/x/view/news/326649"),
    ("https://e.com/a?rss=world", "https://e.com/a?rss=world"),
    # parameters that can tell articles apart stay, unless their value marks a share
    ("https://e.com/show?src=12", "https://e.com/show?src=12"),
    ("https://e.com/a?from=archive&id=3", "https://e.com/a?from=archive&id=3"),
    ("https://mp.weixin.qq.com/s?__biz=M&mid=2&from=timeline", "https://mp.weixin.qq.com/s?__biz=M&mid=2"),
    ("https://e.com/a?share=7781", "https://e.com/a?share=7781"),
    ("https://e.com/a?share=twitter", "https://e.com/a"),
    ("https://e.com/view.php?cid=42&gallery=3", "https://e.com/view.php?cid=42&gallery=3"),
    # an embedded URL as the query is content, not a parameter name
    ("http://podtrac.com/r.mp3?http://dl.affiliates.example/a.mp3",
     "https://podtrac.com/r.mp3?http%3A%2F%2Fdl.affiliates.example%2Fa.mp3="),
])
def test_tracking_parameters_go_and_identifying_ones_stay(url, canonical):
    assert canonical_url(url) == canonical


def test_distinct_articles_behind_src_from_share_keep_distinct_ids():
    ids = {article_id_for(canonical_url(f"https://e.com/read?{p}={v}"))
           for p in ("src", "from", "share") for v in ("1001", "1002")}
    assert len(ids) == 6


@pytest.mark.parametrize("url, canonical", [
    ("http://[2001:DB8::1]/news/1", "https://[2001:db8::1]/news/1"),
    ("http://[2001:db8::1]:8080/news/1/", "https://[2001:db8::1]:8080/news/1"),
    ("https://[::1]:443/x", "https://[::1]/x"),
])
def test_ipv6_hosts_are_kept_in_brackets(url, canonical):
    assert canonical_url(url) == canonical
    assert urlsplit(canonical_url(url)).hostname == urlsplit(canonical).hostname


def test_idn_hosts_canonicalise_to_punycode_either_way():
    unicode_host = canonical_url("https://www.lemonde-exemple.fr/économie/1")
    assert unicode_host == "https://lemonde-exemple.fr/%C3%A9conomie/1"
    assert canonical_url("https://新闻.中国/a") == canonical_url("https://xn--efvy88h.xn--fiqs8s/a")
    assert canonical_url("https://新闻.中国/a") == "https://xn--efvy88h.xn--fiqs8s/a"
    assert canonical_url("https://BÜCHER.example/x") == "https://xn--bcher-kva.example/x"


@pytest.mark.parametrize("variant", [
    "https://e.com/%7Ebob/caf%c3%a9", "https://e.com/~bob/café", "https://e.com/%7ebob/caf%C3%A9",
])
def test_percent_encoding_is_normalised(variant):
    assert canonical_url(variant) == "https://e.com/~bob/caf%C3%A9"


def test_reserved_escapes_keep_their_meaning():
    assert canonical_url("https://e.com/a%2Fb") == "https://e.com/a%2Fb"
    assert canonical_url("https://e.com/a%2fb") != canonical_url("https://e.com/a/b")
    assert canonical_url("https://e.com/a%3Fb") == "https://e.com/a%3Fb"
    assert canonical_url("https://e.com/a b") == "https://e.com/a%20b"


def test_ids_are_the_ones_earlier_releases_stored():
    # fixed values: ids already in users' datasets must not move for unchanged canonical URLs
    assert article_id_for("https://example.com/world/story-1") == \
        hashlib.sha256(b"https://example.com/world/story-1").hexdigest()[:16]
    assert article_id_for(canonical_url("http://www.example.com/world/story-1/")) == \
        hashlib.sha256(b"https://example.com/world/story-1").hexdigest()[:16]


# --- the shared feed corpora's links: which ids change ---------------------------------------

def _previous_canonical_url(url: str) -> str:
    """The canonicaliser of cfnews 0.1.0 (before IDN, IPv6, percent-encoding and courlan's
    list), kept here to measure exactly which stored ids the new one moves."""
    tracking = re.compile(
        r"^(utm_\w+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|mc_cid|mc_eid|yclid|igshid|"
        r"_ga|_gl|ref|ref_src|ref_url|cmpid|cmp|xtor|at_medium|at_campaign|at_\w+|"
        r"ocid|smid|smtyp|spm|share|shared|from|src|output|outputtype|amp|__twitter_impression)$",
        re.IGNORECASE)
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(url)
    host = re.sub(r"^(m|mobile|amp)\.", "", parts.hostname.lower().rstrip("."), flags=re.I)
    host = host[4:] if host.startswith("www.") else host
    netloc = host if parts.port in (None, 80, 443) else f"{host}:{parts.port}"
    path = re.sub(r"(/amp)(?=/|$)|\.amp(?=\.html?$|$)", "", parts.path, flags=re.I) or "/"
    path = re.sub(r"/{2,}", "/", path)
    path = path.rstrip("/") if len(path) > 1 else path
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                   if not tracking.match(k))
    return urlunsplit(("https", netloc, path, urlencode(query), ""))


def _corpus_links():
    import feedparser
    root = need_shared("corpora", "feeds")
    links = set()
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.suffix in (".json", ".md"):
            continue
        for entry in feedparser.parse(path.read_bytes()).entries:
            for link in [entry.get("link")] + [l.get("href") for l in entry.get("links", [])]:
                if isinstance(link, str) and link:
                    links.add(link)
    return sorted(links)


# Why an id may move: each changed link must be explained by one of these documented causes
# (README, "Article ids").
def _cause(old: str, new: str) -> str:
    o, n = urlsplit(old), urlsplit(new)
    if o.netloc != n.netloc:
        return "host"          # IDN to punycode, IPv6 brackets
    if o.path != n.path:
        return "path-encoding" if unquote(o.path) == unquote(n.path) else "unexplained"
    old_keys = {k for k, _ in parse_qsl(o.query, keep_blank_values=True)}
    new_keys = {k for k, _ in parse_qsl(n.query, keep_blank_values=True)}
    if new_keys < old_keys and all(is_tracking_param(k) for k in old_keys - new_keys):
        return "tracking-parameter"
    if old_keys < new_keys and new_keys - old_keys <= {"src", "from", "share", "shared"}:
        return "identifying-parameter-kept"
    return "unexplained"


@pytest.mark.corpus
def test_ids_of_the_corpora_links_move_only_for_documented_reasons():
    links = _corpus_links()
    assert len(links) > 5000
    changed = {}
    for link in links:
        try:
            old = _previous_canonical_url(link)
        except ValueError:
            old = None
        try:
            new = canonical_url(link)
        except ValueError:
            new = None
        assert (old is None) == (new is None), link
        if old is None:
            continue
        if old == new:
            assert article_id_for(new) == article_id_for(old)
        else:
            changed[link] = _cause(old, new)
    causes = collections.Counter(changed.values())
    assert causes["unexplained"] == 0, [l for l, c in changed.items() if c == "unexplained"][:5]
    # the share of links whose id moves, as the README states it (under 3%: 141 of the 211
    # moved ids are DW's links, whose feed campaign `maca` was kept as content until 0.1.x)
    assert len(changed) / len(links) < 0.03, (len(changed), len(links), causes)
    print(f"{len(links)} links, {len(changed)} ids move: {dict(causes)}")
