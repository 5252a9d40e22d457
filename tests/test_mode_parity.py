"""One way through the house: the same feed document ends in the same rows and the same
summary counts whichever mode reads it. `run --once` polls the feeds itself (in-process or
with multi_processing workers); `demo` and a Dataflow `run --once` poll inside the job (the
bounded graph's ReadFeeds); the streaming graph polls with keyed state. An item listed twice
in one feed document is one entry in each of them: its first listing, no row for the repeat
(no id in two datasets), the repeat counted in the summary."""
from __future__ import annotations

import json
import random
import subprocess
import sys

import apache_beam as beam
import pytest
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.testing.test_stream import TestStream as BeamTestStream
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms.window import TimestampedValue

from cfnews.pipeline import exit_codes
from cfnews.schemas import FeedSource
from cfnews.transforms.feeds import PollFeedsStateful
from cfnews.transforms.urls import article_id_for, canonical_url
from tests.benchmarks.mode_parity import GRAPH, ROOT, fates
from tests.test_operator_cli import cfnews, feeds_file
from tests.test_wild_feeds import page

pytestmark = pytest.mark.e2e


def listed_twice(server) -> str:
    """A feed: story 1 listed twice (guid and link), story 2 under two links differing only by
    tracking parameters (two guids), story 3 once."""
    for n in (1, 3):
        server.add(f"/s/{n}", page(n))
    for query in ("?utm_source=rss", "?utm_medium=email&utm_source=x"):
        server.add(f"/s/2{query}", page(2))
    items = [(1, "/s/1", "g-1"), (1, "/s/1", "g-1"), (2, "/s/2?utm_source=rss", "g-2"),
             (2, "/s/2?utm_medium=email&amp;utm_source=x", "g-2b"), (3, "/s/3", "g-3")]
    body = "".join(f"<item><title>Story {n}</title><link>{server.url(path)}</link>"
                   f"<guid isPermaLink='false'>{guid}</guid>"
                   "<pubDate>Thu, 04 Dec 2025 08:00:00 +0000</pubDate></item>"
                   for n, path, guid in items)
    return server.add("/feed.xml", "<?xml version='1.0'?><rss version='2.0'><channel>"
                      f"<title>t</title>{body}</channel></rss>", content_type="application/rss+xml")


def _graph(feeds, out, summary, server):
    """The bounded graph that polls inside the job (`demo`, Dataflow `run --once`)."""
    return subprocess.run([sys.executable, "-c", GRAPH, str(feeds), str(out), str(summary),
                           server.host_port, "--all-topics"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def test_an_item_listed_twice_is_one_entry_in_every_mode(tmp_path, server):
    """Before, the graph that polls inside the job wrote the repeat as a `rejected` row
    (`duplicate_entry`) under the article's own id, and the same page under a second guid as
    a `duplicates` row of itself; `run --once` dropped both without a word (13 listings, 11
    entries, nothing said)."""
    feeds = feeds_file(tmp_path, [listed_twice(server)])
    common = ("--all-topics", f"--allow-hosts={server.host_port}", "--min-host-delay=0", "-q")
    modes = {
        "graph": lambda out, summary: _graph(feeds, out, summary, server),
        "once": lambda out, summary: cfnews("run", "--feeds", feeds, "--out", out, "--once",
                                            "--summary-json", summary, *common),
        "multi_processing": lambda out, summary: cfnews(
            "run", "--feeds", feeds, "--out", out, "--once", "--summary-json", summary,
            "--direct_running_mode=multi_processing", "--direct_num_workers=2", *common),
    }
    expected_ids = sorted(article_id_for(canonical_url(server.url(f"/s/{n}"))) for n in (1, 2, 3))
    tables = {}
    for mode, run in modes.items():
        out, summary = tmp_path / mode, tmp_path / f"{mode}.json"
        done = run(out, summary)
        assert done.returncode == exit_codes.OK, (mode, done.stdout, done.stderr[-3000:])
        tables[mode] = fates(out)
        assert sorted(dict(r)["article_id"] for r in tables[mode]["articles"]) == expected_ids, mode
        assert tables[mode]["duplicates"] == [] and tables[mode]["rejected"] == [], mode
        report = json.loads(summary.read_text(encoding="utf-8"))
        assert report["entries"] == {"seen": 3, "already_seen": 0, "new": 3, "repeated": 2,
                                     "retried": 0}, (
            mode, report["entries"])
        assert report["adds_up"] and report["written"]["articles"] == 3, (mode, report)
        if mode == "once":
            assert "2 listed again in the same feed" in done.stdout, done.stdout
    assert tables["multi_processing"] == tables["once"] == tables["graph"]
    # run again: nothing is added, and the summary says what was read as the graph's does
    # (`run --once` skipped what earlier runs wrote before its job, and counted none of it)
    for mode in ("graph", "once"):
        out, summary = tmp_path / mode, tmp_path / f"{mode}.json"
        done = modes[mode](out, summary)
        assert done.returncode == exit_codes.OK, (mode, done.stdout, done.stderr[-3000:])
        assert fates(out) == tables[mode], mode
        report = json.loads(summary.read_text(encoding="utf-8"))
        assert report["entries"] == {"seen": 3, "already_seen": 3, "new": 0, "repeated": 2,
                                     "retried": 0}, (
            mode, report["entries"])


def test_the_streaming_graph_emits_a_repeated_item_once_and_counts_the_repeats(server):
    """Keyed by feed, the streaming poll emits each page once, no row for a repeat, and counts
    the repeats as the bounded graph does (`cfnews.entries/repeated`, Dataflow's counters)."""
    url = listed_twice(server)
    source = FeedSource(outlet="o", url=url, language="en", country="FR")
    ticks = (BeamTestStream()
             .advance_watermark_to(0).add_elements([TimestampedValue("tick", 0)])
             .advance_watermark_to_infinity())
    options = PipelineOptions(["--runner=BundleBasedDirectRunner"])
    options.view_as(StandardOptions).streaming = True
    pipeline = beam.Pipeline(options=options)
    entries, rejected = (pipeline | ticks | beam.Map(lambda _: (source.url, source))
                         | PollFeedsStateful(server.config(), seen_ttl=3600))
    assert_that(entries | beam.Map(lambda e: e.title), equal_to(["Story 1", "Story 2", "Story 3"]))
    assert_that(rejected, equal_to([]), label="no rows for the repeats")
    result = pipeline.run()
    result.wait_until_finish()
    counters = result.metrics().query(MetricsFilter().with_namespace("cfnews.entries"))["counters"]
    assert {c.key.metric.name: c.committed for c in counters} == {"seen": 3, "repeated": 2}


def _stream_once(out, feeds, server, run_id, start):
    """The whole streaming graph (ticks instead of PeriodicImpulse): a poll at `start`, one
    more ten minutes later (nothing new), then the end of the stream. Returns the job's
    `cfnews.dedup` counters."""
    from cfnews.pipeline.graph import build_streaming
    from cfnews.pipeline.runner import make_options
    options = make_options(["--runner=BundleBasedDirectRunner", "--streaming"], out=str(out),
                           allow_hosts=[server.host_port], min_host_delay=0.0, all_topics=True)
    ticks = (BeamTestStream().advance_watermark_to(start)
             .add_elements([TimestampedValue("tick", start)])
             .advance_watermark_to(start + 600)
             .add_elements([TimestampedValue("tick", start + 600)])
             .advance_watermark_to_infinity())
    pipeline = beam.Pipeline(options=options)
    build_streaming(pipeline, options, run_id, feeds, ticks=pipeline | ticks)
    result = pipeline.run()
    result.wait_until_finish()
    counters = result.metrics().query(MetricsFilter().with_namespace("cfnews.dedup"))["counters"]
    return {c.key.metric.name: c.committed for c in counters}


def test_a_streaming_job_started_again_on_its_folder_writes_no_row_twice(tmp_path, server):
    """Every bounded mode skips ids an earlier run wrote (README, "What is new"). The streaming
    graph knew only its keyed state, which a job started afresh (cancelled and launched again,
    a new job on the same --out) does not have: it wrote every item still in the feeds a
    second time, in new windows' files."""
    source = FeedSource(outlet="o", url=listed_twice(server), language="en", country="FR")
    out = tmp_path / "out"
    _stream_once(out, [source], server, "first", 1_764_835_200)
    first = fates(out)
    assert len(first["articles"]) == 3 and first["duplicates"] == first["rejected"] == []
    _stream_once(out, [source], server, "second", 1_764_835_200 + 3600)  # an hour later
    assert fates(out) == first


def _wire_story(n_paragraphs: int, heading: str) -> str:
    rng = random.Random(7)
    words = ("minister talks Beijing Paris trade tariffs cognac aircraft delegation summit "
             "agreement nuclear export farmers visit spokesman ministry").split()
    paragraphs = [" ".join(rng.choice(words) for _ in range(60)) + "." for _ in range(6)]
    body = "".join(f"<p>{p}</p>" for p in paragraphs[:n_paragraphs])
    return (f"<html><head><title>{heading}</title></head><body><article><h1>{heading}</h1>"
            f"{body}</article></body></html>")


def _one_item_feed(server, path: str, page_path: str, title: str) -> str:
    return server.add(path, "<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>"
                            f"<item><title>{title}</title><link>{server.url(page_path)}</link>"
                            "<pubDate>Thu, 04 Dec 2025 08:00:00 +0000</pubDate></item>"
                            "</channel></rss>", content_type="application/rss+xml")


def test_a_streaming_job_started_again_files_a_copy_of_what_the_last_job_wrote_as_a_copy(
        tmp_path, server):
    """A new streaming job on a folder (after an update, a cancel and relaunch) starts with
    empty keyed state. Its near-duplicate matching knew only that state, so another outlet's
    copy of a story the previous job wrote went to `articles` as a second original. It is
    now matched against the output's history, as the batch runs are, and its chain ends at
    the written article at once (not when the key's state expires, `chain_not_followed`)."""
    server.add("/a/story", _wire_story(6, "Paris and Beijing sign trade accords"))
    server.add("/b/story", _wire_story(5, "Wire: China, France sign deals"))
    first = FeedSource(outlet="alpha", url=_one_item_feed(server, "/a.xml", "/a/story", "A"),
                       language="en", country="FR")
    second = FeedSource(outlet="beta", url=_one_item_feed(server, "/b.xml", "/b/story", "B"),
                        language="en", country="FR")
    out = tmp_path / "out"
    _stream_once(out, [first], server, "first", 1_764_835_200)
    original = article_id_for(canonical_url(server.url("/a/story")))
    assert [dict(r)["article_id"] for r in fates(out)["articles"]] == [original]
    counters = _stream_once(out, [first, second], server, "second", 1_764_835_200 + 3600)
    tables = fates(out)
    assert [dict(r)["article_id"] for r in tables["articles"]] == [original]
    copies = [dict(r) for r in tables["duplicates"]]
    assert [(c["article_id"], c["matched_id"], c["cluster_id"], c["method"]) for c in copies] == [
        (article_id_for(canonical_url(server.url("/b/story"))), original, original,
         "near_duplicate")], copies
    assert counters.get("history_candidates", 0) >= 1 and "chain_not_followed" not in counters


def test_a_feed_and_a_backfill_line_with_the_same_date_give_the_same_dates(tmp_path):
    """One rule for untrusted dates (schemas/records.py: before 1990 or more than two days
    ahead). The feeds stage cut at 26 hours ahead on its own and dropped what the feed said:
    an item dated 30 hours ahead lost its date (partitioned by discovery) where the same
    page backfilled kept it, and one dated 2100 had no published_raw where the backfill's had."""
    import email.utils
    import datetime as dt
    from cfnews.schemas import FeedEntry
    from cfnews.transforms.feeds import parse_feed
    from cfnews.transforms.manifest import parse_manifest_line
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    dates = [now + dt.timedelta(hours=30), dt.datetime(2100, 1, 1, tzinfo=dt.timezone.utc),
             dt.datetime(2025, 12, 4, 8, tzinfo=dt.timezone.utc)]
    items = "".join(f"<item><title>t{i}</title><link>https://e.org/{i}</link>"
                    f"<pubDate>{email.utils.format_datetime(when)}</pubDate></item>"
                    for i, when in enumerate(dates))
    source = FeedSource(outlet="o", url="https://e.org/feed", language="en", country="FR")
    from_feed = parse_feed(source, f"<rss version='2.0'><channel><title>t</title>{items}"
                                   "</channel></rss>")
    manifest = tmp_path / "m.jsonl"
    from_manifest = []
    for i, when in enumerate(dates):
        line = json.dumps({"url": f"https://e.org/{i}", "outlet": "o", "text": "x",
                           "published": when.isoformat()})
        from_manifest.append(parse_manifest_line(str(manifest), i + 1, line))
    assert all(isinstance(e, FeedEntry) for e in from_feed + from_manifest)
    assert [(e.published_at, e.published_raw) for e in from_feed] == [
        (e.published_at, e.published_raw) for e in from_manifest]
    assert from_feed[0].published_at == dates[0]
    assert from_feed[1].published_raw == "2100-01-01T00:00:00+00:00"


def test_a_mixed_input_ends_in_the_same_rows_in_every_mode(tmp_path):
    """tests/benchmarks/mode_parity.py's input (two loopback hosts: a repeated item, a wire
    copy, one link in two outlets' feeds, off-topic, 404, PDF, undated, dated 2100 and 30 hours
    ahead, a redirect, two links differing by tracking parameters, no link) through
    `run --once`, the in-job graph and the streaming graph: the same rows (ids, reasons,
    cluster and story ids, language, relevance, dates), and the same summary counts."""
    from tests.benchmarks.mode_parity import (differences, feeds_yaml, run_mode, seed_texts,
                                              serve_input, summary_counts)
    from tests.conftest import need_shared
    from tests.loopback_hosts import start_hosts
    seeds = seed_texts(need_shared("seeds"))
    alpha, beta = start_hosts(2)
    try:
        feeds = feeds_yaml(serve_input(alpha, beta, seeds), tmp_path / "feeds.yaml")
        allow = [alpha.host_port, beta.host_port]
        results = {}
        for mode in ("once", "graph", "stream"):
            done, summary = run_mode(mode, feeds, tmp_path / mode, allow, None)
            assert done.returncode == 0, (mode, done.stdout[-2000:], done.stderr[-3000:])
            results[mode] = (fates(tmp_path / mode), summary_counts(summary))
    finally:
        alpha.stop()
        beta.stop()
    once = results["once"][0]
    assert len(once["articles"]) == 5 and len(once["duplicates"]) == 2
    assert sorted(dict(r)["reason"] for r in once["rejected"]) == [
        "entry_no_link", "http_error", "not_html", "not_relevant", "not_relevant"]
    for mode in ("graph", "stream"):
        assert differences(once, results[mode][0]) == [], mode
    assert results["graph"][1] == results["once"][1]
    assert results["once"][1]["entries"] == {"seen": 12, "already_seen": 0, "new": 12,
                                             "repeated": 2, "retried": 0}
