"""Item ids as story links: an outlet that rewrites a page under the same item id (Deutsche
Welle's `/a-74582227`, whose slug follows each new headline) gets the later version fetched
and kept in `articles` under the earlier version's `story_id`, unless the text rule files it
as a copy (then it is a `near_duplicate`, as before). The same in batch, in streaming and
across runs. Feeds are hand-written RSS served by a loopback server and read by the
project's own feed reader; the end-to-end test runs the CLI as a subprocess."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random

import apache_beam as beam
import pyarrow.parquet as pq
import pytest
from apache_beam.testing.util import assert_that, equal_to

from cfnews.pipeline.state import STATE_VERSION, State, load_state, state_path
from cfnews.schemas import Article, FeedEntry, FeedSource
from cfnews.transforms.dedup import DeduplicateArticles, dedup_in_memory, item_key
from cfnews.transforms.dedup_stream import StreamingDeduplicate
from cfnews.transforms.feeds import fetch_feed
from cfnews.transforms.urls import item_id_of
from cfnews.transforms.write import write_partition
from tests.conftest import article_html
from tests.test_cli_modes import cfnews, rows
from tests.test_dedup_stream import run_streaming

DW_RULE = r"(?:/|%2F)a-(\d+)(?:[?=&]|$)"      # the rule feeds.yaml gives dw-zh
T0 = dt.datetime(2026, 11, 1, 8, tzinfo=dt.timezone.utc)
HOUR = dt.timedelta(hours=1)


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


VOCABULARY = ("minister delegation trade aviation energy council harbour railway bank museum "
              "students farmers exports treaty summit budget airport factory research river "
              "festival court election reform market prices weather hospital school bridge "
              "visitors ambassador company contract investors workers union vaccine satellite "
              "agreed announced rejected delayed opened closed signed visited promised warned "
              "new old large small northern southern local national early late quiet busy").split()


def prose(seed: int) -> list:
    """Paragraphs of English words drawn by a seeded generator: texts of different seeds share
    no 4-word run, so the text rule keeps them apart (no copy, no story link)."""
    rng = random.Random(seed)
    return [" ".join(rng.choice(VOCABULARY) for _ in range(14)).capitalize() + "."
            for _ in range(8)]


# ---------------------------------------------------------------- the id

def test_the_item_id_comes_from_the_canonical_url_by_the_feeds_rule(server):
    [a, b, c] = read_feed(server, "dw-zh", DW_RULE, [
        ("中日首次会面", server.url("/zh/中日首次会面/a-74582227?maca=chi-rss-chi-all-1127-rdf"), 0),
        ("首次会面：能否破冰", server.url("/zh/首次会面-能否破冰/a-74582227"), 2),
        ("专题", server.url("/zh/专题/s-1234"), 3)])           # not an item page: no id
    assert a.article_id != b.article_id
    assert a.item_id == b.item_id == "74582227" and c.item_id == ""
    [no_rule] = read_feed(server, "plain", "", [("x", server.url("/zh/x/a-74582227"), 0)])
    assert no_rule.item_id == ""
    # ids are per outlet: two outlets' item 74582227 are two index keys
    assert item_key("dw-zh", "74582227") != item_key("voa", "74582227")
    # the key is never a sampled shingle hash (all below 2**63) and reads as plain (even)
    assert item_key("dw-zh", "74582227") >= 1 << 63 and item_key("dw-zh", "1") % 2 == 0


def documented_rules() -> dict:
    """The item_id rules feeds.yaml gives, enabled or documented in a comment line."""
    from pathlib import Path
    from cfnews.pipeline.feeds_file import parse_feeds
    text = (Path(__file__).resolve().parents[1] / "feeds.yaml").read_text(encoding="utf-8")
    return {f.outlet: f.item_id_rule for f in parse_feeds(text.replace("  #   item_id:",
                                                                       "    item_id:"))
            if f.item_id_rule}


def test_the_dw_rule_finds_the_id_in_the_url_shapes_dw_uses():
    from cfnews.transforms.urls import canonical_url
    assert documented_rules() == {"dw-zh": DW_RULE}
    found = lambda url: item_id_of(DW_RULE, canonical_url(url))
    assert found("https://www.dw.com/zh/中日首次「習苗會」：兩國能否持續破冰？/a-74582227") == "74582227"
    assert found("https://www.dw.com/zh/首次「習苗會」/a-74582227?maca=chi-rss-chi-all-1127-rdf") \
        == "74582227"
    # a "?" in the headline makes the rest a query: canonical form ...?%2Fa-58115508=
    assert found("https://www.dw.com/zh/习近平说了什么?/a-58115508") == "58115508"
    assert found("https://www.dw.com/zh/在线报导/s-9058") == ""
    assert found("https://www.dw.com/zh/a-74582227-and-more/s-1") == ""


# ---------------------------------------------------------------- one scenario, three modes

def art(aid: str, outlet: str, item: str, seed: int, hours: float, **changes) -> Article:
    when = T0 + dt.timedelta(hours=hours)
    values = dict(article_id=aid, url=f"https://{outlet}.example/{aid}",
                  canonical_url=f"https://{outlet}.example/{aid}", outlet=outlet,
                  feed_url=f"https://{outlet}.example/rss", entry_id=aid, title=aid,
                  text="\n".join(prose(seed)), discovered_at=when, published_at=when,
                  item_id=item)
    values.update(changes)
    return Article(**values)


def scenario():
    """dw: item 100 first (t0), rewritten for a later development 40 h on (another text, past
    the same-outlet 36 h bound too), and re-posted 3 h on with the first text (a copy); item
    200, and item 200 again 20 days later (past the 14-day expiry); voa: its own item 100;
    plain (no rule): two texts, no ids."""
    return [art("00000000000000a1", "dw-zh", "100", 1, 0),
            art("00000000000000a2", "dw-zh", "100", 2, 40),
            art("00000000000000a5", "dw-zh", "100", 1, 3),
            art("00000000000000b1", "dw-zh", "200", 4, 2),
            art("00000000000000b2", "dw-zh", "200", 5, 2 + 24 * 20),
            art("00000000000000c1", "voa", "100", 3, 1),
            art("00000000000000d1", "plain", "", 6, 0),
            art("00000000000000d2", "plain", "", 7, 40)]


# (article, story) in `articles`; (article, canonical, story) in `duplicates`
EXPECTED_KEPT = [("00000000000000a1", "00000000000000a1"),
                 ("00000000000000a2", "00000000000000a1"),     # the rewrite: a1's story
                 ("00000000000000b1", "00000000000000b1"),
                 ("00000000000000b2", "00000000000000b2"),     # beyond the expiry: no link
                 ("00000000000000c1", "00000000000000c1"),     # another outlet's item 100
                 ("00000000000000d1", "00000000000000d1"),
                 ("00000000000000d2", "00000000000000d2")]
EXPECTED_DUPS = [("00000000000000a5", "00000000000000a1", "00000000000000a1")]


def test_in_memory_a_rewrite_under_the_same_item_id_joins_the_story():
    kept, dups = dedup_in_memory(scenario())
    assert sorted((a.article_id, a.story_id) for a in kept) == EXPECTED_KEPT
    assert [(d.article.article_id, d.canonical_id, d.article.story_id) for d in dups] == \
        EXPECTED_DUPS
    assert dups[0].method == "near_duplicate"
    # without the item ids the rewrite is a story of its own (what the key adds)
    kept, _ = dedup_in_memory([dataclasses.replace(a, item_id="") for a in scenario()])
    assert dict((a.article_id, a.story_id) for a in kept)["00000000000000a2"] == \
        "00000000000000a2"


def _rows(kept, dups):
    return (kept | "K" >> beam.Map(lambda a: (a.article_id, a.story_id)),
            dups | "D" >> beam.Map(lambda d: (d.article.article_id, d.canonical_id,
                                              d.article.story_id)))


def test_batch_a_rewrite_under_the_same_item_id_joins_the_story():
    with beam.Pipeline(runner="FnApiRunner") as p:
        k, d = _rows(*(p | beam.Create(scenario()) | DeduplicateArticles()))
        assert_that(k, equal_to(EXPECTED_KEPT), label="kept")
        assert_that(d, equal_to(EXPECTED_DUPS), label="dups")


def test_streaming_a_rewrite_under_the_same_item_id_joins_the_story():
    by_time = {}
    for a in scenario():                                # each arrives when published
        by_time.setdefault(a.published_at, []).append(a)
    batches = sorted(by_time.items())

    def check(kept, dups):
        k, d = _rows(kept, dups)
        assert_that(k, equal_to(EXPECTED_KEPT), label="kept")
        assert_that(d, equal_to(EXPECTED_DUPS), label="dups")
    run_streaming(batches, StreamingDeduplicate(), check)


# ---------------------------------------------------------------- across runs (history)

def test_a_later_run_links_a_rewrite_to_the_stored_story(tmp_path):
    out = str(tmp_path / "out")
    day = T0.date().isoformat()
    first = art("00000000000000a1", "dw-zh", "100", 1, 0, story_id="00000000000000f1",
                cluster_id="00000000000000a1")
    write_partition(out, "run1", "articles", day, "dw-zh", [first])
    write_partition(out, "run1", "articles", day, "voa",
                    [art("00000000000000c1", "voa", "100", 3, 1)])
    assert pq.read_table(f"{out}/articles/date={day}/outlet=dw-zh").column(
        "item_id").to_pylist() == ["100"]
    later = [art("00000000000000a2", "dw-zh", "100", 2, 40),      # rewrite: stored story
             art("00000000000000a3", "dw-zh", "300", 8, 41)]      # another item: own story
    with beam.Pipeline(runner="FnApiRunner") as p:
        k, d = _rows(*(p | beam.Create(later)
                       | DeduplicateArticles(history_dir=out, job_key="run2")))
        assert_that(k, equal_to([("00000000000000a2", "00000000000000f1"),
                                 ("00000000000000a3", "00000000000000a3")]), label="kept")
        assert_that(d, equal_to([]), label="dups")
    # 15 days on, past the 14-day expiry: the stored item is not a candidate any more
    with beam.Pipeline(runner="FnApiRunner") as p:
        k, d = _rows(*(p | beam.Create([art("00000000000000b2", "dw-zh", "100", 9, 24 * 15)])
                       | DeduplicateArticles(history_dir=out, job_key="run3")))
        assert_that(k, equal_to([("00000000000000b2", "00000000000000b2")]), label="kept")
        assert_that(d, equal_to([]), label="dups")


def test_a_lake_and_a_state_written_before_item_ids_still_work(tmp_path, server):
    """A file of schema version 4 (no item_id column) is read as before: its rows have no item
    key (a rewrite of them is not linked by id), and their text still finds copies; a state
    file whose journal entries have no item_id loads."""
    out = tmp_path / "out"
    day = T0.date().isoformat()
    [(path, _)] = write_partition(str(out), "run1", "articles", day, "dw-zh", [
        art("00000000000000a1", "dw-zh", "100", 1, 0),
        art("00000000000000e1", "dw-zh", "500", 10, 0)])
    pq.write_table(pq.read_table(path).drop_columns(["item_id"]), path)   # as version 4 wrote
    later = [art("00000000000000a2", "dw-zh", "100", 2, 40),      # no stored id: own story
             art("00000000000000e2", "dw-zh", "500", 10, 3)]      # a copy, by its text
    with beam.Pipeline(runner="FnApiRunner") as p:
        k, d = _rows(*(p | beam.Create(later)
                       | DeduplicateArticles(history_dir=str(out), job_key="run2")))
        assert_that(k, equal_to([("00000000000000a2", "00000000000000a2")]), label="kept")
        assert_that(d, equal_to([("00000000000000e2", "00000000000000e1", "00000000000000e1")]),
                    label="dups")

    [entry] = read_feed(server, "dw-zh", DW_RULE, [("x", server.url("/dw/x/a-100"), 0)])
    pending = {k: v for k, v in State(pending=[entry]).to_json()["pending"][0].items()
               if k != "item_id"}                               # a journal entry of before
    state_file = out / "_state" / "state.json"
    state_file.parent.mkdir(parents=True)
    state_file.write_text(json.dumps({"version": STATE_VERSION, "feeds": {}, "seen": {},
                                      "pending": [pending]}))
    state, note = load_state(str(out))
    assert note == "loaded" and state_path(str(out)) == str(state_file)
    [loaded] = state.pending
    assert loaded.url == entry.url and loaded.item_id == ""


# ---------------------------------------------------------------- the CLI, end to end

def _feeds_file(tmp_path, server):
    from cfnews.pipeline.feeds_file import dump_feeds
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(dump_feeds([
        FeedSource(outlet="dw-zh", url=server.url("/dw.xml"), language="en", country="DE",
                   item_id_rule=DW_RULE),
        FeedSource(outlet="plain", url=server.url("/plain.xml"), language="en", country="FR")]))
    assert "item_id:" in feeds.read_text()
    return feeds


@pytest.mark.e2e
def test_cli_two_runs_link_the_rewritten_item_to_its_story(tmp_path, server):
    pages = {"/dw/talks-begin/a-100": 1, "/dw/another-story/a-200": 2, "/dw/third/a-300": 3,
             "/dw/third-retitled/a-300": 3, "/dw/fourth/a-400": 7,
             "/dw/fourth-rewritten/a-400": 8, "/plain/talks-begin/a-100": 4,
             "/dw/four-agreements-signed/a-100": 5, "/plain/four-agreements-signed/a-100": 6}
    for path, seed in pages.items():
        server.add(path, article_html(path.split("/")[2], prose(seed)))
    feeds = _feeds_file(tmp_path, server)
    out = tmp_path / "out"
    args = ("run", "--feeds", str(feeds), "--out", str(out), "--once", "--all-topics",
            f"--allow_hosts={server.host_port}", "--min_host_delay=0")

    # run 1: item 100 under its first headline, item 200; item 300 twice with one text (a
    # copy, as before); item 400 twice with two texts (a rewrite)
    server.add("/dw.xml", rss([("a", server.url("/dw/talks-begin/a-100"), 0),
                               ("b", server.url("/dw/another-story/a-200"), 1),
                               ("c", server.url("/dw/third/a-300"), 2),
                               ("d", server.url("/dw/third-retitled/a-300"), 3),
                               ("e", server.url("/dw/fourth/a-400"), 2),
                               ("f", server.url("/dw/fourth-rewritten/a-400"), 4)]),
               content_type="application/rss+xml")
    server.add("/plain.xml", rss([("a", server.url("/plain/talks-begin/a-100"), 0)]),
               content_type="application/rss+xml")
    done = cfnews(*args)
    assert done.returncode == 0, done.stdout + done.stderr
    first = {a["url"].split("/", 3)[3]: a for a in rows(out, "articles")}
    assert sorted(first) == ["dw/another-story/a-200", "dw/fourth-rewritten/a-400",
                             "dw/fourth/a-400", "dw/talks-begin/a-100", "dw/third/a-300",
                             "plain/talks-begin/a-100"]
    assert first["dw/fourth-rewritten/a-400"]["story_id"] == \
        first["dw/fourth/a-400"]["article_id"]
    assert first["dw/talks-begin/a-100"]["item_id"] == "100"
    assert first["plain/talks-begin/a-100"]["item_id"] is None
    [same_run] = rows(out, "duplicates")
    assert same_run["url"].endswith("/dw/third-retitled/a-300")
    assert same_run["method"] == "near_duplicate"
    assert same_run["canonical_id"] == first["dw/third/a-300"]["article_id"]

    # run 2: the feeds show item 100 rewritten under a new headline (new URL, same id)
    server.add("/dw.xml", rss([("a2", server.url("/dw/four-agreements-signed/a-100"), 5),
                               ("b", server.url("/dw/another-story/a-200"), 1)]),
               content_type="application/rss+xml")
    server.add("/plain.xml", rss([("a2", server.url("/plain/four-agreements-signed/a-100"), 5)]),
               content_type="application/rss+xml")
    again = cfnews(*args)
    assert again.returncode == 0, again.stdout + again.stderr
    articles = {a["url"].split("/", 3)[3]: a for a in rows(out, "articles")}
    assert sorted(set(articles) - set(first)) == ["dw/four-agreements-signed/a-100",
                                                  "plain/four-agreements-signed/a-100"]
    update = articles["dw/four-agreements-signed/a-100"]
    assert update["text"] and update["item_id"] == "100"
    assert update["story_id"] == first["dw/talks-begin/a-100"]["story_id"]
    # the outlet without a rule: its rewrite is a story of its own
    plain = articles["plain/four-agreements-signed/a-100"]
    assert plain["story_id"] == plain["article_id"]
    assert len(rows(out, "duplicates")) == 1
