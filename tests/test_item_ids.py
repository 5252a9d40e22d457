"""The third exact key, (outlet, item id): an outlet that re-posts an updated item under a new
URL (the slug follows the new headline, the item id in the URL stays, as Deutsche Welle's
`/a-74582227`) gets one article and one `outlet_item_id` duplicate, in batch, in streaming
and across runs. Feeds are hand-written RSS served by a loopback server and read by the
project's own feed reader; the end-to-end test runs the CLI as a subprocess."""
from __future__ import annotations

import datetime as dt
import json

import apache_beam as beam
import pyarrow.parquet as pq
import pytest
from apache_beam.testing.util import assert_that, equal_to

from cfnews.pipeline.state import STATE_VERSION, State, load_state, state_path
from cfnews.schemas import Article, FeedEntry, FeedSource
from cfnews.transforms.dedup import DedupEntriesByUrl, item_id_of, item_key
from cfnews.transforms.dedup_stream import StreamingDedupEntries
from cfnews.transforms.feeds import fetch_feed
from cfnews.transforms.history import open_history
from cfnews.transforms.write import write_partition
from tests.conftest import article_html
from tests.test_cli_modes import cfnews, rows
from tests.test_dedup_stream import run_streaming

DW_RULE = r"(?:/|%2F)a-(\d+)(?:[?=&]|$)"      # the rule feeds.yaml gives dw-zh
T0 = dt.datetime(2026, 11, 1, 8, tzinfo=dt.timezone.utc)


def rss(items) -> str:
    """items: (headline, link, hours after T0)."""
    body = "".join(
        f"<item><title>{title}</title><link>{link}</link><guid isPermaLink='false'>{link}</guid>"
        f"<pubDate>{(T0 + dt.timedelta(hours=h)).strftime('%a, %d %b %Y %H:%M:%S +0000')}"
        "</pubDate></item>" for title, link, h in items)
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>{body}</channel></rss>"


def read_feed(server, outlet: str, rule: str, items, path: str = "") -> list:
    """The entries of a hand-written feed, served on the loopback server and read by cfnews."""
    path = path or f"/{outlet}.xml"
    server.add(path, rss(items), content_type="application/rss+xml")
    source = FeedSource(outlet=outlet, url=server.url(path), language="zh", country="DE",
                        item_id_rule=rule)
    results = fetch_feed(source, server.config())
    assert all(isinstance(r, FeedEntry) for r in results), results
    return results


def by_url(entries):
    return {e.url.split("/", 3)[3]: e for e in entries}


# ---------------------------------------------------------------- the key

def test_the_item_id_comes_from_the_canonical_url_by_the_feeds_rule(server):
    [a, b, c] = read_feed(server, "dw-zh", DW_RULE, [
        ("中日首次会面", server.url("/zh/中日首次会面/a-74582227?maca=chi-rss-chi-all-1127-rdf"), 0),
        ("首次会面：能否破冰", server.url("/zh/首次会面-能否破冰/a-74582227"), 2),
        ("专题", server.url("/zh/专题/s-1234"), 3)])           # not an item page: no id
    assert a.article_id != b.article_id
    assert item_id_of(a.item_id_rule, a.canonical_url) == "74582227"
    assert item_key(a) == item_key(b) == "dw-zh\x0074582227"
    assert item_key(c) is None
    [no_rule] = read_feed(server, "plain", "", [("x", server.url("/zh/x/a-74582227"), 0)])
    assert item_key(no_rule) is None
    [other] = read_feed(server, "voa", DW_RULE, [("x", server.url("/zh/y/a-74582227"), 0)])
    assert item_key(other) != item_key(a)                   # ids are per outlet


def documented_rules() -> dict:
    """The item_id rules feeds.yaml documents, enabled or not (a disabled one is the comment
    line `#   item_id: ...` in its feed's block), as the file would load with them on."""
    from pathlib import Path
    from cfnews.pipeline.feeds_file import parse_feeds
    text = (Path(__file__).resolve().parents[1] / "feeds.yaml").read_text(encoding="utf-8")
    return {f.outlet: f.item_id_rule for f in parse_feeds(text.replace("  #   item_id:",
                                                                       "    item_id:"))
            if f.item_id_rule}


def test_the_documented_dw_rule_finds_the_id_in_the_url_shapes_dw_uses():
    from cfnews.transforms.urls import canonical_url
    assert documented_rules() == {"dw-zh": DW_RULE}
    dw = FeedSource(outlet="dw-zh", url="https://rss.dw.com/rdf/rss-chi-all", language="zh",
                    country="DE", item_id_rule=DW_RULE)
    found = lambda url: item_id_of(dw.item_id_rule, canonical_url(url))
    assert found("https://www.dw.com/zh/中日首次「習苗會」：兩國能否持續破冰？/a-74582227") == "74582227"
    assert found("https://www.dw.com/zh/首次「習苗會」/a-74582227?maca=chi-rss-chi-all-1127-rdf") \
        == "74582227"
    # a "?" in the headline makes the rest a query: canonical form ...?%2Fa-58115508=
    assert found("https://www.dw.com/zh/习近平说了什么?/a-58115508") == "58115508"
    assert found("https://www.dw.com/zh/在线报导/s-9058") == ""
    assert found("https://www.dw.com/zh/a-74582227-and-more/s-1") == ""


# ---------------------------------------------------------------- batch

def _run(fn):
    with beam.Pipeline(runner="FnApiRunner") as p:
        fn(p)


def _dedup_rows(dups):
    return dups | beam.Map(lambda d: (d.article.url.split("/", 3)[3], d.method, d.canonical_id,
                                      d.matched_id, d.article.text))


def scenario(server):
    """dw-zh: item 100 under two headlines, item 200; `plain` (no rule): the same two URL
    shapes, which stay two articles; `voa` (a rule): its own item 100."""
    dw = by_url(read_feed(server, "dw-zh", DW_RULE, [
        ("旧标题", server.url("/dw/old-headline/a-100"), 0),
        ("新标题", server.url("/dw/new-headline/a-100"), 3),
        ("另一篇", server.url("/dw/other-story/a-200"), 1)]))
    plain = by_url(read_feed(server, "plain", "", [
        ("旧标题", server.url("/plain/old-headline/a-100"), 0),
        ("新标题", server.url("/plain/new-headline/a-100"), 3)]))
    voa = by_url(read_feed(server, "voa", DW_RULE, [
        ("同号", server.url("/voa/same-number/a-100"), 4)]))
    return dw, plain, voa


def test_batch_one_item_under_two_urls_is_one_article_and_one_duplicate(server):
    dw, plain, voa = scenario(server)
    entries = [*dw.values(), *plain.values(), *voa.values()]
    old, new = dw["dw/old-headline/a-100"], dw["dw/new-headline/a-100"]

    def check(p):
        kept, dups = p | beam.Create(entries) | DedupEntriesByUrl()
        assert_that(kept | beam.Map(lambda e: e.url.split("/", 3)[3]), equal_to(
            ["dw/old-headline/a-100", "dw/other-story/a-200", "plain/old-headline/a-100",
             "plain/new-headline/a-100", "voa/same-number/a-100"]), label="kept")
        assert_that(_dedup_rows(dups), equal_to([
            ("dw/new-headline/a-100", "outlet_item_id", old.article_id, old.article_id, "")]),
            label="dups")
    _run(check)
    assert new.article_id != old.article_id


def test_batch_the_earlier_published_version_is_kept_whatever_the_input_order(server):
    dw, _, _ = scenario(server)
    old, new = dw["dw/old-headline/a-100"], dw["dw/new-headline/a-100"]

    def check(p):
        kept, dups = p | beam.Create([new, old]) | DedupEntriesByUrl()
        assert_that(kept | beam.Map(lambda e: e.url), equal_to([old.url]), label="kept")
        assert_that(dups | beam.Map(lambda d: (d.article.url, d.canonical_id)),
                    equal_to([(new.url, old.article_id)]), label="dups")
    _run(check)


# ---------------------------------------------------------------- streaming

def test_streaming_one_item_under_two_urls_is_one_article_and_one_duplicate(server):
    dw, plain, voa = scenario(server)
    old, new, other = (dw["dw/old-headline/a-100"], dw["dw/new-headline/a-100"],
                       dw["dw/other-story/a-200"])
    p_old, p_new = plain["plain/old-headline/a-100"], plain["plain/new-headline/a-100"]
    same_number = voa["voa/same-number/a-100"]
    hour = dt.timedelta(hours=1)
    batches = [(T0, [old, p_old]), (T0 + 2 * hour, [other, new, p_new, same_number])]

    def check(kept, dups):
        assert_that(kept | beam.Map(lambda e: e.url), equal_to(
            [old.url, p_old.url, other.url, p_new.url, same_number.url]), label="kept")
        assert_that(_dedup_rows(dups), equal_to([
            ("dw/new-headline/a-100", "outlet_item_id", old.article_id, old.article_id, "")]),
            label="dups")
    run_streaming(batches, StreamingDedupEntries(), check)


def test_streaming_forgets_an_item_after_the_expiry(server):
    dw, _, _ = scenario(server)
    old, new = dw["dw/old-headline/a-100"], dw["dw/new-headline/a-100"]
    later = dt.timedelta(days=20)         # past the 14-day expiry: a new article
    batches = [(T0, [old]), (T0 + later, [(T0 + later, new)])]

    def check(kept, dups):
        assert_that(kept | beam.Map(lambda e: e.url), equal_to([old.url, new.url]), label="kept")
        assert_that(dups, equal_to([]), label="dups")
    run_streaming(batches, StreamingDedupEntries(), check)


# ---------------------------------------------------------------- across runs (history)

def written(entry: FeedEntry, **changes) -> Article:
    values = dict(article_id=entry.article_id, url=entry.url, canonical_url=entry.canonical_url,
                  outlet=entry.outlet, feed_url=entry.feed_url, entry_id=entry.entry_id,
                  title=entry.title, text="一段正文。" * 40, discovered_at=entry.discovered_at,
                  published_at=entry.published_at, story_id="")
    values.update(changes)
    return Article(**values)


def test_an_item_an_earlier_run_took_is_a_duplicate_of_that_article(tmp_path, server):
    dw, plain, voa = scenario(server)
    old, new, other = (dw["dw/old-headline/a-100"], dw["dw/new-headline/a-100"],
                       dw["dw/other-story/a-200"])
    p_old, p_new = plain["plain/old-headline/a-100"], plain["plain/new-headline/a-100"]
    out = str(tmp_path / "out")
    day = old.published_at.date().isoformat()
    write_partition(out, "run1", "articles", day, "dw-zh",
                    [written(old, story_id="00000000000000f1")])
    write_partition(out, "run1", "articles", day, "plain", [written(p_old)])

    def check(p):
        kept, dups = (p | beam.Create([new, other, p_new, voa["voa/same-number/a-100"]])
                      | DedupEntriesByUrl(history_dir=out, job_key="run2"))
        assert_that(kept | beam.Map(lambda e: e.url), equal_to(
            [other.url, p_new.url, voa["voa/same-number/a-100"].url]), label="kept")
        assert_that(dups | beam.Map(lambda d: (d.article.url, d.method, d.canonical_id,
                                               d.matched_id, d.article.story_id)),
                    equal_to([(new.url, "outlet_item_id", old.article_id, old.article_id,
                               "00000000000000f1")]), label="dups")
    _run(check)


def test_the_history_lookup_prefers_the_article_and_keeps_to_the_expiry(tmp_path, server):
    """An earlier duplicate of the item leads to its canonical article; rows beyond the expiry,
    of another outlet, or of another item are not the item's."""
    from cfnews.schemas import Duplicate
    from cfnews.transforms.dedup import micros
    dw, _, voa = scenario(server)
    old, new = dw["dw/old-headline/a-100"], dw["dw/new-headline/a-100"]
    out = str(tmp_path / "out")
    day = old.published_at.date().isoformat()
    earlier = written(old, article_id="00000000000000c1", url=old.url + "-v0",
                      canonical_url=old.canonical_url.replace("old-headline", "v0"))
    write_partition(out, "run1", "duplicates", day, "dw-zh", [Duplicate(
        article=written(old), canonical_id="00000000000000c9", cluster_id="00000000000000c9",
        method="near_duplicate", matched_id="00000000000000c9", containment=0.9, jaccard=0.8,
        shared_fingerprints=40)])
    history = open_history(out, "a")
    week = 7 * 86_400_000_000
    found = history.earlier_item("dw-zh", DW_RULE, "100", micros(new.published_at), 2 * week)
    assert found[:2] == (old.article_id, "00000000000000c9")
    assert history.earlier_item("dw-zh", DW_RULE, "200", micros(new.published_at), week) is None
    assert history.earlier_item("voa", DW_RULE, "100", micros(new.published_at), week) is None
    # an articles row of the item wins over the duplicates row
    write_partition(out, "run2", "articles", day, "dw-zh", [earlier])
    history = open_history(out, "b")
    assert history.earlier_item("dw-zh", DW_RULE, "100", micros(new.published_at), week)[0] == \
        "00000000000000c1"
    # three weeks later, with a 14-day expiry, the item is free again
    assert history.earlier_item("dw-zh", DW_RULE, "100",
                                micros(new.published_at) + 3 * week, 2 * week) is None


def test_a_lake_and_a_state_written_before_item_ids_still_work(tmp_path, server):
    """Files of schema version 2 (no story_id) are read for item ids like current ones; a
    state file whose journal entries have no item_id_rule loads, its entries without a key."""
    dw, _, _ = scenario(server)
    old, new = dw["dw/old-headline/a-100"], dw["dw/new-headline/a-100"]
    out = tmp_path / "out"
    day = old.published_at.date().isoformat()
    [(path, _)] = write_partition(str(out), "run1", "articles", day, "dw-zh", [written(old)])
    table = pq.read_table(path)
    pq.write_table(table.drop_columns(["story_id"]), path)      # as schema version 2 wrote it

    def check(p):
        kept, dups = (p | beam.Create([new]) | DedupEntriesByUrl(history_dir=str(out),
                                                                 job_key="run2"))
        assert_that(kept, equal_to([]), label="kept")
        assert_that(dups | beam.Map(lambda d: (d.method, d.canonical_id, d.article.story_id)),
                    equal_to([("outlet_item_id", old.article_id, old.article_id)]), label="dups")
    _run(check)

    pending = {k: v for k, v in State(pending=[new]).to_json()["pending"][0].items()
               if k != "item_id_rule"}                          # a journal entry of before
    state_file = tmp_path / "out" / "_state" / "state.json"
    state_file.parent.mkdir(parents=True)
    state_file.write_text(json.dumps({"version": STATE_VERSION, "feeds": {}, "seen": {},
                                      "pending": [pending]}))
    state, note = load_state(str(out))
    assert note == "loaded" and state_path(str(out)) == str(state_file)
    [entry] = state.pending
    assert entry.url == new.url and entry.item_id_rule == "" and item_key(entry) is None


# ---------------------------------------------------------------- the CLI, end to end

def _page(server, path: str, title: str, paragraphs) -> None:
    server.add(path, article_html(title, paragraphs))


def _feeds_file(tmp_path, server):
    from cfnews.pipeline.feeds_file import dump_feeds
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(dump_feeds([
        FeedSource(outlet="dw-zh", url=server.url("/dw.xml"), language="en", country="DE",
                   item_id_rule=DW_RULE),
        FeedSource(outlet="plain", url=server.url("/plain.xml"), language="en", country="FR")]))
    assert "item_id:" in feeds.read_text()
    return feeds


VOCABULARY = ("minister delegation trade aviation energy council harbour railway bank museum "
              "students farmers exports treaty summit budget airport factory research river "
              "festival court election reform market prices weather hospital school bridge "
              "visitors ambassador company contract investors workers union vaccine satellite "
              "agreed announced rejected delayed opened closed signed visited promised warned "
              "new old large small northern southern local national early late quiet busy").split()


def prose(seed: int) -> list:
    """Paragraphs of English words drawn by a seeded generator: texts of different seeds share
    no 4-word run, so the near-duplicate stage keeps them apart."""
    import random
    rng = random.Random(seed)
    return [" ".join(rng.choice(VOCABULARY) for _ in range(14)).capitalize() + "."
            for _ in range(8)]


@pytest.mark.e2e
def test_cli_two_runs_file_the_updated_item_as_a_duplicate(tmp_path, server):
    pages = {"/dw/talks-begin/a-100": 1, "/dw/another-story/a-200": 2, "/dw/third/a-300": 3,
             "/dw/third-retitled/a-300": 3, "/plain/talks-begin/a-100": 4,
             "/dw/four-agreements-signed/a-100": 5, "/plain/four-agreements-signed/a-100": 6}
    for path, seed in pages.items():
        _page(server, path, path.split("/")[2], prose(seed))
    feeds = _feeds_file(tmp_path, server)
    out = tmp_path / "out"
    args = ("run", "--feeds", str(feeds), "--out", str(out), "--once", "--all-topics",
            f"--allow_hosts={server.host_port}", "--min_host_delay=0")

    # run 1: item 100 under its first headline, item 200; item 300 twice in one feed
    server.add("/dw.xml", rss([("a", server.url("/dw/talks-begin/a-100"), 0),
                               ("b", server.url("/dw/another-story/a-200"), 1),
                               ("c", server.url("/dw/third/a-300"), 2),
                               ("d", server.url("/dw/third-retitled/a-300"), 3)]),
               content_type="application/rss+xml")
    server.add("/plain.xml", rss([("a", server.url("/plain/talks-begin/a-100"), 0)]),
               content_type="application/rss+xml")
    done = cfnews(*args)
    assert done.returncode == 0, done.stdout + done.stderr
    first = {a["url"].split("/", 3)[3]: a for a in rows(out, "articles")}
    assert sorted(first) == ["dw/another-story/a-200", "dw/talks-begin/a-100", "dw/third/a-300",
                             "plain/talks-begin/a-100"]
    [same_run] = rows(out, "duplicates")
    assert same_run["url"].endswith("/dw/third-retitled/a-300")
    assert same_run["method"] == "outlet_item_id" and same_run["text"] == ""
    assert same_run["canonical_id"] == first["dw/third/a-300"]["article_id"]

    # run 2: the feeds now show the items under new headlines (new URLs, same ids)
    server.add("/dw.xml", rss([("a2", server.url("/dw/four-agreements-signed/a-100"), 5),
                               ("b", server.url("/dw/another-story/a-200"), 1)]),
               content_type="application/rss+xml")
    server.add("/plain.xml", rss([("a2", server.url("/plain/four-agreements-signed/a-100"), 5)]),
               content_type="application/rss+xml")
    again = cfnews(*args)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "(adds up)" in again.stdout
    articles = {a["url"].split("/", 3)[3]: a for a in rows(out, "articles")}
    # the outlet without a rule: its update is a new article, as before item ids
    assert sorted(set(articles) - set(first)) == ["plain/four-agreements-signed/a-100"]
    dups = {d["url"].split("/", 3)[3]: d for d in rows(out, "duplicates")}
    update = dups["dw/four-agreements-signed/a-100"]
    original = first["dw/talks-begin/a-100"]["article_id"]
    assert update["method"] == "outlet_item_id"
    assert update["canonical_id"] == update["matched_id"] == update["cluster_id"] == original
    assert update["story_id"] == first["dw/talks-begin/a-100"]["story_id"]
    assert update["outlet"] == "dw-zh" and update["text"] == ""
    assert len(dups) == 2


def test_a_job_whose_sources_give_no_item_id_rule_has_no_item_key_stages(tmp_path):
    """The shipped feeds.yaml enables no rule: its jobs run the exact stage as before item ids
    (no item branch, no history lookup by item); a feed with a rule brings both."""
    from cfnews.pipeline.graph import build
    from cfnews.pipeline.runner import make_options

    def labels(feeds):
        pipeline = beam.Pipeline(runner="FnApiRunner")
        build(pipeline, make_options(["--runner=FnApiRunner"], out=str(tmp_path / "out")), "r1",
              feeds=feeds)
        found = set()

        class Visit(beam.pipeline.PipelineVisitor):
            def visit_transform(self, node):
                found.add(node.full_label.rsplit("/", 1)[-1])
            enter_composite_transform = visit_transform
        pipeline.visit(Visit())
        return found
    plain = FeedSource(outlet="plain", url="https://a.example/rss", language="en", country="FR")
    ruled = FeedSource(outlet="dw-zh", url="https://b.example/rss", language="zh", country="DE",
                       item_id_rule=DW_RULE)
    assert not {"GroupByItem", "ItemTakenBefore"} & labels([plain])
    assert {"GroupByItem", "ItemTakenBefore"} <= labels([plain, ruled])
