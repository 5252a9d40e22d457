"""The feeds stage: real feedparser on hand-made documents, and over loopback HTTP."""
import datetime as dt

from cfnews.schemas import FeedEntry, FeedSource, Rejected
from cfnews.transforms.feeds import fetch_feed, parse_feed

SOURCE = FeedSource(outlet="test-outlet", url="http://127.0.0.1:9/feed.xml", language="en",
                    country="FR")
NOW = dt.datetime(2025, 12, 5, 12, 0, tzinfo=dt.timezone.utc)

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>T</title><link>http://127.0.0.1:9/</link>
<item><title>Macron &lt;b&gt;in&lt;/b&gt; Beijing &amp;amp; Chengdu</title><link>http://127.0.0.1:9/a1?utm_source=rss</link>
  <guid isPermaLink="false">g-1</guid><pubDate>Thu, 04 Dec 2025 08:30:00 +0100</pubDate>
  <description>&lt;p&gt;First &lt;i&gt;sentence&lt;/i&gt;.&lt;/p&gt;</description></item>
<item><title>Relative link</title><link>/a2</link><guid>g-2</guid></item>
<item><title>No link at all</title><guid isPermaLink="false">g-3</guid></item>
<item><title>Repeated guid</title><link>http://127.0.0.1:9/a4</link><guid isPermaLink="false">g-1</guid></item>
<item><title>From the future</title><link>http://127.0.0.1:9/a5</link><guid isPermaLink="false">g-5</guid>
  <pubDate>Fri, 01 Jan 2100 00:00:00 GMT</pubDate></item>
<item><title>Listed twice</title><link>http://127.0.0.1:9/a1</link><guid isPermaLink="false">g-1</guid></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><id>urn:a</id><updated>2025-12-04T10:00:00Z</updated>
<entry><title>中法关系</title><id>urn:uuid:1</id><link rel="alternate" href="http://127.0.0.1:9/zh/1"/>
<updated>2025-12-04T10:00:00Z</updated><summary>摘要</summary></entry></feed>"""


def test_rss_entries_with_clean_fields_and_per_entry_rejections():
    results = parse_feed(SOURCE, RSS.encode(), discovered_at=NOW)
    entries = [r for r in results if isinstance(r, FeedEntry)]
    rejected = [r for r in results if isinstance(r, Rejected)]
    # "Listed twice" is a1 again (its guid, its link less a tracking parameter): one entry, no
    # row of its own, counted
    assert len(results) == 5 and results.repeated == 1
    first = entries[0]
    # g-1 names two pages (a1, a4): no id, so each entry is its canonical URL
    assert first.entry_id == "https://127.0.0.1:9/a1"
    assert first.title == "Macron in Beijing & Chengdu"
    assert first.summary == "First sentence ."  or first.summary == "First sentence."
    assert first.published_at == dt.datetime(2025, 12, 4, 7, 30, tzinfo=dt.timezone.utc)
    assert first.canonical_url == "https://127.0.0.1:9/a1"
    assert first.outlet == "test-outlet" and first.language_hint == "en"
    relative = entries[1]
    assert relative.url == "http://127.0.0.1:9/a2"
    future = [e for e in entries if e.entry_id == "g-5"][0]
    assert future.published_at is None  # a clock error, not a date
    # what the feed said is kept, as for a backfill's line (it was dropped here, and only here)
    assert future.published_raw == "2100-01-01T00:00:00+00:00"
    assert [r.reason for r in rejected] == ["entry_no_link"]
    assert "Listed twice" not in [r.title for r in results]
    # a guid repeated with another link is another page (a CMS stamping one guid on every item)
    assert [(e.url, e.entry_id) for e in entries if e.title in (first.title, "Repeated guid")] == [
        ("http://127.0.0.1:9/a1?utm_source=rss", "https://127.0.0.1:9/a1"),
        ("http://127.0.0.1:9/a4", "https://127.0.0.1:9/a4")]


def test_atom_entries():
    [entry] = parse_feed(SOURCE, ATOM.encode(), discovered_at=NOW)
    assert entry.title == "中法关系" and entry.url == "http://127.0.0.1:9/zh/1"
    assert entry.published_at == dt.datetime(2025, 12, 4, 10, tzinfo=dt.timezone.utc)


def test_garbage_and_empty_feeds_are_one_feed_level_rejection():
    [bad] = parse_feed(SOURCE, b"<html><body>not a feed", discovered_at=NOW)
    assert (bad.stage, bad.reason) in {("feeds", "feed_unparseable"), ("feeds", "feed_empty")}
    [empty] = parse_feed(SOURCE, b'<rss version="2.0"><channel><title>x</title></channel></rss>')
    assert empty.reason == "feed_empty"
    [junk] = parse_feed(SOURCE, b"\x00\xff\xfe garbage")
    assert junk.reason in ("feed_unparseable", "feed_empty")


JSON_FEED_1 = """\ufeff{"version": "https://jsonfeed.org/version/1", "title": "J",
 "items": [
  {"id": 101, "url": "http://127.0.0.1:9/j1?utm_source=json", "title": "Macron à Pékin",
   "content_html": "<p>Le <b>président</b> arrive.</p>", "date_published": "2025-12-04T08:30:00+01:00",
   "author": {"name": "By Jane Roe"}},
  {"id": "j-2", "external_url": "http://127.0.0.1:9/j2", "content_text": "Plain text.",
   "date_modified": "2025-12-04"},
  {"id": "j-3", "title": "No link"},
  "not an item"]}"""


def test_json_feed_items_are_entries_like_rss_items():
    """JSON Feed (version 1: one `author`; numeric ids; `external_url`; content as HTML or
    text; RFC 3339 dates with an offset, or a date alone) becomes entries by the same rules as
    RSS and Atom items: tracking parameters out of the canonical URL, tags out of the summary,
    the byline's furniture out of the names, an item without a link a rejected row."""
    results = parse_feed(SOURCE, JSON_FEED_1.encode(), discovered_at=NOW)
    entries = [r for r in results if isinstance(r, FeedEntry)]
    rejected = [r for r in results if isinstance(r, Rejected)]
    first, second = entries
    assert (first.entry_id, first.title, first.canonical_url) == (
        "101", "Macron à Pékin", "https://127.0.0.1:9/j1")
    assert first.summary == "Le président arrive." and first.authors == ("Jane Roe",)
    assert first.published_at == dt.datetime(2025, 12, 4, 7, 30, tzinfo=dt.timezone.utc)
    assert (second.url, second.summary, second.title) == ("http://127.0.0.1:9/j2", "Plain text.", "")
    assert second.published_at == dt.datetime(2025, 12, 4, tzinfo=dt.timezone.utc)
    assert [(r.reason, r.title) for r in rejected] == [("entry_no_link", "No link")]


def test_json_feed_items_take_the_feeds_authors_and_json_that_is_no_feed_is_unparseable():
    feed = {"version": "https://jsonfeed.org/version/1.1", "authors": [{"name": "Jean Dupont"}],
            "items": [{"id": "a", "url": "http://127.0.0.1:9/a"},
                      {"id": "b", "url": "http://127.0.0.1:9/b", "authors": [{"name": "Li Wei"}]}]}
    import json
    first, second = parse_feed(SOURCE, json.dumps(feed).encode(), discovered_at=NOW)
    assert first.authors == ("Jean Dupont",) and second.authors == ("Li Wei",)
    [empty] = parse_feed(SOURCE, b'{"version": "https://jsonfeed.org/version/1.1", "items": []}')
    assert empty.reason == "feed_empty"
    for body in (b'{"items": [{"url": "http://127.0.0.1:9/a"}]}', b'{"version": "https', b"[" * 100_000):
        [bad] = parse_feed(SOURCE, body, discovered_at=NOW)
        assert bad.reason in ("feed_unparseable", "feed_empty"), body[:40]


def test_fetch_feed_over_http(server):
    url = server.add("/feed.xml", RSS, content_type="application/rss+xml")
    source = FeedSource(outlet="o", url=url, language="en", country="FR")
    results = fetch_feed(source, server.config())
    assert sum(isinstance(r, FeedEntry) for r in results) == 4
    # relative links resolve against the feed's real address
    assert any(isinstance(r, FeedEntry) and r.url == server.url("/a2") for r in results)


def test_feed_http_error_and_unreachable(server):
    [r404] = fetch_feed(FeedSource(outlet="o", url=server.url("/missing.xml"), language="en",
                                   country="FR"), server.config())
    assert (r404.reason, r404.http_status) == ("feed_http_error", 404)
    port = server.httpd.server_address[1]
    server.stop()
    [down] = fetch_feed(FeedSource(outlet="o", url=f"http://127.0.0.1:{port}/f.xml",
                                   language="en", country="FR"), server.config())
    assert down.reason == "feed_unreachable" and down.stage == "feeds"
    server.httpd = type("Dummy", (), {"shutdown": lambda s: None, "server_close": lambda s: None})()


def test_streaming_polls_hold_a_feed_whose_server_said_retry_after(server):
    """The streaming graph polls every feed each interval: a 429 asking an hour's rest was
    asked again at the next interval. This worker now holds the feed until then ('held')."""
    from cfnews.transforms.feeds import poll_feed_again
    url = server.add("/busy.xml", "slow down", status=429, content_type="text/plain",
                     headers={"Retry-After": "3600"})
    source = FeedSource(outlet="o", url=url, language="en", country="FR")
    first = poll_feed_again(source, server.config())
    assert first.status == "failed" and first.retry_after == 3600.0
    assert first.results[0].reason == "feed_http_error"
    held = poll_feed_again(source, server.config())
    assert held.status == "held" and held.results == () and server.hits["/busy.xml"] == 1
    other = server.add("/feed.xml", RSS, content_type="application/rss+xml")  # others go on
    assert poll_feed_again(FeedSource(outlet="o", url=other, language="en", country="FR"),
                           server.config()).status == "ok"
