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
from tests.test_retry_e2e import hits, serve, sql

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


def _stream(out: Path, feed_url: str, server, run_id: str = "stream") -> dict:
    """One poll at START, then the watermark in 30-second steps to START + 600 s (past both
    waits), then the end of the stream. Returns the job's `cfnews.entries` counters."""
    from cfnews.pipeline.graph import build_streaming
    from cfnews.pipeline.runner import make_options
    options = make_options(["--runner=BundleBasedDirectRunner", "--streaming"], out=str(out),
                           allow_hosts=[server.host_port], min_host_delay=0.0, all_topics=True,
                           max_retries=0, retry_wait=WAIT)
    ticks = (BeamTestStream().advance_watermark_to(START)
             .add_elements([TimestampedValue("tick", START)]))
    for step in range(30, 601, 30):
        ticks = ticks.advance_watermark_to(START + step)
    ticks = ticks.advance_watermark_to_infinity()
    source = FeedSource(outlet="o", url=feed_url, language="en", country="FR")
    pipeline = beam.Pipeline(options=options)
    build_streaming(pipeline, options, run_id, [source], ticks=pipeline | ticks)
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
        stamp = re.search(r"-w(\d{8}T\d{6})-", path.name).group(1)
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
    assert f"[fetch {MAX_ATTEMPTS} of this job" in current[1]["error"], current
    assert sql(out, "SELECT count(*) AS n FROM rejected_all_versions") == [{"n": 2}]
    assert sql(out, f"SELECT * FROM rejected WHERE article_id = '{ids['flaky']}'") == []


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
    from cfnews.transforms.fetch import _RetryFetchFn
    from cfnews.transforms.http import HttpConfig

    broken = FeedEntry(outlet="o", feed_url="http://127.0.0.1:9/feed", entry_id="x", url=123,
                       article_id="a1", canonical_url=None)
    with beam.Pipeline(options=PipelineOptions(["--runner=FnApiRunner"])) as pipeline:
        out = (pipeline
               | beam.Create([("a1", (broken, 1))])
               | beam.Map(lambda kv: TimestampedValue(kv, START)).with_output_types(Tuple[str, Any])
               | beam.ParDo(_RetryFetchFn(HttpConfig(), WAIT)).with_outputs(REJECTED, main=MAIN))
        assert_that(out[MAIN], equal_to([]), label="no page")
        assert_that(out[REJECTED] | beam.Map(lambda r: (
            r.stage, r.reason, r.article_id, "AttributeError" in r.error,
            "[fetch 2 of this job" in r.error)),
            equal_to([("fetch", "internal_error", "a1", True, True)]), label="one row")
