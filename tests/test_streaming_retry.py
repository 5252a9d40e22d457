"""A running streaming job fetches a page that failed transiently again itself (README, "On a
streaming runner"). Before, the poller's keyed state marked the id seen and the fetch's outcome
never flowed back: a page whose site answered 503 at poll time was lost for the life of the job.

The whole streaming graph (`build_streaming`, ticks from a TestStream instead of the
PeriodicImpulse, BundleBasedDirectRunner) against a loopback server; the wait is event time
(transforms/fetch.py: `_RetryFetchFn`), so the stream advances its watermark past it."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Tuple

import apache_beam as beam
import pyarrow.parquet as pq
import pytest
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.testing.test_stream import TestStream as BeamTestStream
from apache_beam.transforms.window import TimestampedValue

from cfnews.schemas import FeedSource, MAX_ATTEMPTS
from cfnews.schemas.reasons import RETRY_BACKOFF, retry_in_job, retry_wait_after
from tests.conftest import respond
from tests.test_operator_cli import cfnews, feeds_file
from tests.test_retry_e2e import COMMON, hits, serve, sql
from tests.test_wild_feeds import page

START = 1_764_835_200          # 2025-12-04T08:00:00Z, a window boundary
WAIT = 60.0                    # --retry_wait: 60 s, then 240 s after the second failure


def test_the_in_job_retry_rule_is_the_later_runs_rule():
    assert retry_in_job("http_error", 503, 1) and retry_in_job("http_error", 503, MAX_ATTEMPTS - 1)
    assert not retry_in_job("http_error", 503, MAX_ATTEMPTS)
    assert retry_in_job("timeout", None, 1) and retry_in_job("robots_unavailable", None, 2)
    assert retry_in_job("connection_error", None, 1)
    for reason, status in (("http_error", 404), ("http_error", 410), ("not_html", 200),
                           ("too_short", None), ("robots_disallowed", None)):
        assert not retry_in_job(reason, status, 1), (reason, status)
    # spaced as later runs space them: the wait, then RETRY_BACKOFF times it
    assert [retry_wait_after(n, WAIT) for n in (1, 2)] == [WAIT, WAIT * RETRY_BACKOFF]


def _stream(out: Path, feed_url, server, run_id: str = "stream", wait: float = WAIT,
            steps=range(30, 601, 30)) -> dict:
    """One poll at START of `feed_url` (or of each of a list of feeds, outlets o0, o1, ...),
    then the watermark to START + each of `steps` (seconds; by default 30-second steps to
    START + 600 s, past both waits), then the end of the stream. Returns the job's
    `cfnews.entries` counters."""
    from cfnews.pipeline.graph import build_streaming
    from cfnews.pipeline.runner import make_options
    options = make_options(["--runner=BundleBasedDirectRunner", "--streaming"], out=str(out),
                           allow_hosts=[server.host_port], min_host_delay=0.0, all_topics=True,
                           max_retries=0, retry_wait=wait)
    ticks = (BeamTestStream().advance_watermark_to(START)
             .add_elements([TimestampedValue("tick", START)]))
    for step in steps:
        ticks = ticks.advance_watermark_to(START + step)
    ticks = ticks.advance_watermark_to_infinity()
    urls = [feed_url] if isinstance(feed_url, str) else list(feed_url)
    sources = [FeedSource(outlet="o" if len(urls) == 1 else f"o{i}", url=url, language="en",
                          country="FR") for i, url in enumerate(urls)]
    pipeline = beam.Pipeline(options=options)
    build_streaming(pipeline, options, run_id, sources, ticks=pipeline | ticks)
    result = pipeline.run()
    result.wait_until_finish()
    counters = result.metrics().query(MetricsFilter().with_namespace("cfnews.entries"))["counters"]
    return {c.key.metric.name: c.committed for c in counters}


def _windows(out: Path, dataset: str) -> dict:
    """article id -> the start (seconds after START) of the output window its row was
    written in: file names carry it (transforms/write.py), so it tells the event time at
    which the job fetched the page for the last time."""
    import datetime as dt
    found = {}
    for path in (out / dataset).rglob("*.parquet"):
        window = re.search(r"-w(\d{8}T\d{6})-", path.name)
        if window is None:
            continue    # an earlier bounded run's file: no window
        stamp = window.group(1)
        start = dt.datetime.strptime(stamp, "%Y%m%dT%H%M%S").replace(tzinfo=dt.timezone.utc)
        for article_id in pq.read_table(path, columns=["article_id"]).column(0).to_pylist():
            found[article_id] = int(start.timestamp()) - START
    return found


@pytest.mark.e2e
def test_a_running_streaming_job_fetches_a_transient_failure_again(tmp_path, server):
    """A page answering 503 once becomes an article; one answering 503 always is fetched
    MAX_ATTEMPTS times and leaves one rejection, its last; a 404 is fetched once; the
    `rejected` view (through `cfnews sql`) shows only the truth."""
    ids = serve(server)
    out = tmp_path / "out"
    counters = _stream(out, server.url("/feed.xml"), server)
    assert hits(server) == {"flaky": 2, "down": MAX_ATTEMPTS, "gone": 1, "fine": 1}
    # (the counters: this runner's metrics miss the bundles after the first window, Write's
    # too, so only the first fetch's are checked here)
    assert counters.get("retry_later") == 2, counters
    # the job's fetches are spaced as later runs' are: the wait, then RETRY_BACKOFF times it
    articles, rejected = _windows(out, "articles"), _windows(out, "rejected")
    assert articles[ids["fine"]] == 0 and articles[ids["flaky"]] == WAIT
    assert rejected[ids["down"]] == WAIT + WAIT * RETRY_BACKOFF and rejected[ids["gone"]] == 0
    # the lake: one row per id, and the views show what became of each page
    assert sorted(r["article_id"] for r in sql(out, "SELECT article_id FROM articles")) == sorted(
        [ids["flaky"], ids["fine"]])
    current = sql(out, "SELECT article_id, reason, http_status, error FROM rejected "
                       "ORDER BY http_status")
    assert [(r["article_id"], r["http_status"]) for r in current] == [
        (ids["gone"], 404), (ids["down"], 503)], current
    assert f"[attempt {MAX_ATTEMPTS} of {MAX_ATTEMPTS};" in current[1]["error"], current
    assert sql(out, "SELECT count(*) AS n FROM rejected_all_versions") == [{"n": 2}]
    assert sql(out, f"SELECT * FROM rejected WHERE article_id = '{ids['flaky']}'") == []
    assert sql(out, "SELECT attempt FROM rejected ORDER BY http_status") == [
        {"attempt": None}, {"attempt": MAX_ATTEMPTS}]
    # the job gave the page up at its last attempt: a later run (the CLI, as an operator runs
    # it) does not fetch it again, as it would after one run's transient failure
    feeds = feeds_file(tmp_path, [server.url("/feed.xml")])
    done = cfnews("run", "--feeds", feeds, "--out", out, "--once",
                  f"--allow-hosts={server.host_port}", *COMMON)
    assert done.returncode == 0, (done.stdout, done.stderr[-3000:])
    assert hits(server) == {"flaky": 2, "down": MAX_ATTEMPTS, "gone": 1, "fine": 1}


def _fetch_labels(dedup) -> list:
    from cfnews.transforms.ingest import IngestEntries

    class Labels(beam.pipeline.PipelineVisitor):
        def __init__(self):
            self.labels = []

        def enter_composite_transform(self, node):
            self.labels.append(node.full_label)

        def visit_transform(self, node):
            self.labels.append(node.full_label)

    pipeline = beam.Pipeline()
    _ = pipeline | beam.Create([]) | "Ingest" >> IngestEntries(dedup)
    visitor = Labels()
    pipeline.visit(visitor)
    return sorted(label for label in visitor.labels if label.startswith("Ingest/Fetch")
                  and label.count("/") <= 2)


def test_without_a_retry_wait_the_fetch_is_the_fetch_of_before():
    """`StreamingDedup()` as users build it (no retry_wait) and the batch strategy leave the
    fetch as it was: one application, no keyed wait; build_streaming's adds one keyed step
    that waits and fetches again."""
    from cfnews.transforms.ingest import BatchDedup, StreamingDedup
    before = ["Ingest/Fetch", "Ingest/Fetch/FetchPage"]
    assert _fetch_labels(BatchDedup()) == _fetch_labels(StreamingDedup()) == before
    retrying = _fetch_labels(StreamingDedup(retry_wait=WAIT))
    assert [label for label in retrying if "/FetchPage" in label or "/RetryFetch" in label] == [
        "Ingest/Fetch/FetchPage", "Ingest/Fetch/RetryFetch"]


def test_an_exception_in_a_later_fetch_is_a_row_not_a_failed_bundle():
    """The first fetch's pool turns an unexpected exception into an `internal_error` row; the
    retry step's fetch must too: a streaming runner retries a failed bundle forever. An entry
    whose URL is not a string makes `fetch_page` raise before any connection is made."""
    from apache_beam.options.pipeline_options import PipelineOptions
    from apache_beam.testing.util import assert_that, equal_to

    from cfnews.schemas import FeedEntry
    from cfnews.transforms.common import MAIN, REJECTED
    from cfnews.transforms.fetch import Retry, _RetryFetchFn
    from cfnews.transforms.http import HttpConfig

    broken = FeedEntry(outlet="o", feed_url="http://127.0.0.1:9/feed", entry_id="x", url=123,
                       article_id="a1", canonical_url=None)
    with beam.Pipeline(options=PipelineOptions(["--runner=FnApiRunner"])) as pipeline:
        out = (pipeline
               | beam.Create([("a1", Retry(broken, 1))])
               | beam.Map(lambda kv: TimestampedValue(kv, START)).with_output_types(Tuple[str, Any])
               | beam.ParDo(_RetryFetchFn(HttpConfig(), WAIT)).with_outputs(REJECTED, main=MAIN))
        assert_that(out[MAIN], equal_to([]), label="no page")
        assert_that(out[REJECTED] | beam.Map(lambda r: (
            r.stage, r.reason, r.article_id, "AttributeError" in r.error,
            "[attempt 2 of" in r.error)),
            equal_to([("fetch", "internal_error", "a1", True, True)]), label="one row")


# ---------------------------------------------------------------- pages earlier runs failed

def _serve_history_pages(server) -> dict:
    """A feed of four pages: `recovered` answers now, `down1` and `down2` answer 503 to every
    request, `fresh` answers. Returns {name: article id}."""
    server.add("/s/recovered", page(1))
    server.add("/s/down1", "busy", status=503, content_type="text/plain")
    server.add("/s/down2", "busy", status=503, content_type="text/plain")
    server.add("/s/fresh", page(4))
    return _feed(server, "/feed.xml", ["recovered", "down1", "down2", "fresh"])


def _feed(server, path: str, names) -> dict:
    from cfnews.transforms.urls import article_id_for, canonical_url
    items = "".join(f"<item><title>Story {name}</title><link>{server.url('/s/' + name)}</link>"
                    f"<guid isPermaLink='false'>{name}</guid>"
                    "<pubDate>Thu, 04 Dec 2025 08:00:00 +0000</pubDate></item>"
                    for name in names)
    server.add(path, "<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>"
               f"{items}</channel></rss>", content_type="application/rss+xml")
    return {name: article_id_for(canonical_url(server.url("/s/" + name))) for name in names}


def _earlier_runs(out: Path, server, ids: dict, failures: dict) -> None:
    """What earlier runs wrote: for each name, one 503 rejection per run, `at` the given
    seconds after START (event time is wall time in a job: the ticks carry it)."""
    import datetime as dt

    from cfnews.schemas import Rejected
    from cfnews.transforms.write import write_partition
    for name, times in failures.items():
        for run, seconds in enumerate(times):
            at = dt.datetime.fromtimestamp(START + seconds, tz=dt.timezone.utc)
            row = Rejected(stage="fetch", reason="http_error", outlet="o", http_status=503,
                           url=server.url(f"/s/{name}"), feed_url=server.url("/feed.xml"),
                           entry_id=name, article_id=ids[name], at=at, error="HTTP 503")
            write_partition(str(out), f"20251204T07{run}000Z-earlier", "rejected", "2025-12-04",
                            "o", [row])


@pytest.mark.e2e
def test_a_job_started_afresh_goes_on_from_the_history_of_a_page(tmp_path, server):
    """A streaming job started afresh on a folder where earlier runs failed pages
    transiently: their count goes on (MAX_ATTEMPTS fetches in all, not MAX_ATTEMPTS more),
    and a page's first fetch in the job waits until its --retry_wait after the last failure
    is over, as a bounded run's would. Before, the job fetched each of them at once, up to
    MAX_ATTEMPTS times."""
    from cfnews.transforms.history import open_history
    ids = _serve_history_pages(server)
    out = tmp_path / "out"
    # recovered: 2 failures, the last a minute before the job: due 240 s after it (START + 180)
    # down1: 1 failure an hour before (due at once); down2: 2 (one fetch left)
    _earlier_runs(out, server, ids, {"recovered": [-3600, -60], "down1": [-3600],
                                     "down2": [-7200, -3600]})
    _stream(out, server.url("/feed.xml"), server)
    assert {name: server.hits.get(f"/s/{name}", 0) for name in ids} == {
        "recovered": 1, "down1": MAX_ATTEMPTS - 1, "down2": MAX_ATTEMPTS - 2, "fresh": 1}
    articles, rejected = _windows(out, "articles"), _windows(out, "rejected")
    assert articles[ids["fresh"]] == 0
    assert articles[ids["recovered"]] == 180       # not before its wait was over
    # down1: fetched at once (attempt 2), then RETRY_BACKOFF x the wait later (attempt 3)
    assert rejected[ids["down1"]] == WAIT * RETRY_BACKOFF and rejected[ids["down2"]] == 0
    current = {r["article_id"]: r for r in sql(out, "SELECT article_id, run_id, error "
                                                    "FROM rejected")}
    assert set(current) == {ids["down1"], ids["down2"]}, current
    for name in ("down1", "down2"):
        assert current[ids[name]]["run_id"] == "stream"
        assert f"[attempt {MAX_ATTEMPTS} of {MAX_ATTEMPTS};" in current[ids[name]]["error"]
    # both were given up at attempt MAX_ATTEMPTS (down1 after one earlier run and two of the
    # job's fetches, which leave one row): for good, whatever the number of runs' rows
    after = open_history(str(out), "after-the-job")
    assert after.seen(ids["down1"]) and after.seen(ids["down2"])
    assert not after.retrying(ids["down1"]) and not after.retrying(ids["down2"])


# ---------------------------------------------------------------- linked entries, long waits

@pytest.mark.e2e
def test_another_feeds_entry_of_a_page_retried_for_more_than_a_day_is_linked(tmp_path, server):
    """Two feeds list one page, which answers 503 twice: with --retry_wait of 6 h its
    article comes 6 h + 24 h after the first fetch, and the second feed's entry (never
    fetched) must wait that long for its fate. Before, it waited a fixed day and was
    written unlinked (no story, in the window a day after the poll)."""
    wait = 6 * 3600.0
    span = wait + wait * RETRY_BACKOFF
    assert span > 86400        # longer than the day the link waited

    def flaky(handler):
        if server.hits[handler.path] <= 2:
            respond(handler, 503, {"Content-Type": "text/plain"}, b"busy")
        else:
            respond(handler, 200, {"Content-Type": "text/html; charset=utf-8"},
                    page(1).encode("utf-8"))
    server.routes["/s/flaky"] = flaky
    ids = _feed(server, "/a.xml", ["flaky"])
    _feed(server, "/b.xml", ["flaky"])
    out = tmp_path / "out"
    # the watermark a little past each timer: both fetches again, the day the link waited
    steps = [30, 60] + [t + d for t in (wait, 86400, span) for d in (30, 60, 90)]
    _stream(out, [server.url("/a.xml"), server.url("/b.xml")], server, wait=wait, steps=steps)
    assert server.hits.get("/s/flaky") == MAX_ATTEMPTS
    assert _windows(out, "articles") == {ids["flaky"]: span}
    assert _windows(out, "duplicates") == {ids["flaky"]: span}
    [article] = sql(out, "SELECT story_id FROM articles")
    [duplicate] = sql(out, "SELECT canonical_id, story_id, method FROM duplicates")
    assert duplicate == {"canonical_id": ids["flaky"], "story_id": article["story_id"],
                         "method": "canonical_url"}, (duplicate, article)
    assert article["story_id"]


def test_a_duplicate_waits_as_long_as_its_first_entrys_retries():
    """The wait follows --retry_wait (`retry_span`: every wait between MAX_ATTEMPTS fetches,
    plus the day the stages were given); a job that does not retry waits the day."""
    import datetime as dt

    from cfnews.schemas.reasons import retry_span
    from cfnews.transforms.dedup_stream import LINK_WAIT, link_wait
    from cfnews.transforms.ingest import StreamingDedup
    assert retry_span(WAIT) == sum(retry_wait_after(n, WAIT) for n in range(1, MAX_ATTEMPTS))
    assert link_wait(None) == LINK_WAIT == dt.timedelta(days=1)
    assert link_wait(900.0) == LINK_WAIT + dt.timedelta(seconds=retry_span(900.0))
    assert link_wait(6 * 3600.0) > dt.timedelta(seconds=retry_span(6 * 3600.0))
    assert StreamingDedup(retry_wait=6 * 3600.0).links().wait == link_wait(6 * 3600.0)
    assert StreamingDedup().links().wait == LINK_WAIT
