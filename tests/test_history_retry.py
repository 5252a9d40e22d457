"""Transient failures are fetched again by later runs (schemas/reasons.py `is_transient`,
`MAX_ATTEMPTS`): History.seen answers no for an id whose only rows are transient rejections
of fewer than MAX_ATTEMPTS runs, through the local index (built at once, grown file by file,
deleted and rebuilt) and through the direct read object stores use. Before, any row made an
id seen: a page that answered 503 once was never fetched again."""
from __future__ import annotations

import datetime as dt
import shutil

import numpy as np
import pytest

from cfnews.schemas import MAX_ATTEMPTS, Article, Duplicate, Reason, Rejected, is_transient
from cfnews.transforms.history import LocalIndex, open_history, open_remote
from cfnews.transforms.write import write_partition

T = dt.datetime(2026, 3, 2, 12, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize("reason, status, transient", [
    ("timeout", None, True), ("connection_error", None, True), ("robots_unavailable", None, True),
    *[("http_error", s, True) for s in (408, 425, 429, 500, 502, 503, 504)],
    ("http_error", 404, False), ("http_error", 410, False), ("http_error", 403, False),
    ("http_error", 501, False), ("http_error", None, False), ("not_html", None, False),
    ("too_short", None, False), ("not_relevant", None, False), ("robots_disallowed", None, False),
    ("internal_error", None, False), ("too_large", None, False), (Reason.TIMEOUT, None, True),
])
def test_the_rule_names_the_failures_worth_another_run(reason, status, transient):
    assert is_transient(reason, status) is transient


def test_max_attempts_is_a_few_runs():
    assert 2 <= MAX_ATTEMPTS <= 5


def rejected(article_id: str, reason: str, status=None, outlet="wire") -> Rejected:
    return Rejected(stage="fetch", reason=reason, outlet=outlet, http_status=status,
                    url=f"https://{outlet}.example/{article_id}", article_id=article_id, at=T)


def article(article_id: str) -> Article:
    return Article(article_id=article_id, url=f"https://wire.example/{article_id}",
                   canonical_url=f"https://wire.example/{article_id}", outlet="wire",
                   feed_url="", entry_id=article_id, title=article_id,
                   text="Paris and Beijing agreed on trade. " * 20, discovered_at=T, published_at=T)


def url_duplicate_of_rejected(article_id: str) -> Duplicate:
    """The row of a second feed's entry of the same URL whose first entry was rejected: it
    keeps its own id as canonical_id (dedup.link_entry_duplicate)."""
    return Duplicate(article=article(article_id), canonical_id=article_id, cluster_id=article_id,
                     method="canonical_url", matched_id=article_id, containment=1.0, jaccard=1.0,
                     shared_fingerprints=0)


# (run, dataset, outlet, records): runs in order; ids named by what happens to them
RUNS = [
    ("20260302T100000Z-aaaaaa", "rejected", "wire", [
        rejected("00000000000000a1", "http_error", 503),       # once: fetched again
        rejected("00000000000000b1", "timeout"),                # every run fails it
        rejected("00000000000000c1", "connection_error"),       # succeeds in the 2nd run
        rejected("00000000000000d1", "http_error", 404),        # final at once
        rejected("00000000000000e1", "robots_unavailable"),     # two feeds list it
        rejected("00000000000000f1", "http_error", 429)]),      # one run, two files
    ("20260302T100000Z-aaaaaa", "duplicates", "ledger", [url_duplicate_of_rejected("00000000000000e1")]),
    ("20260302T100000Z-aaaaaa", "rejected", "ledger", [rejected("00000000000000f1", "http_error", 429,
                                                                outlet="ledger")]),
    ("20260302T110000Z-bbbbbb", "rejected", "wire", [rejected("00000000000000b1", "http_error", 502)]),
    ("20260302T110000Z-bbbbbb", "articles", "wire", [article("00000000000000c1")]),
    ("20260302T120000Z-cccccc", "rejected", "wire", [rejected("00000000000000b1", "timeout")]),
]

EXPECTED = {  # id: (seen, failed runs)
    "00000000000000a1": (False, 1), "00000000000000b1": (True, MAX_ATTEMPTS),
    "00000000000000c1": (True, 1), "00000000000000d1": (True, 0),
    "00000000000000e1": (False, 1), "00000000000000f1": (False, 1),
}


def write_runs(out, runs):
    for run, dataset, outlet, records in runs:
        write_partition(str(out), run, dataset, "2026-03-02", outlet, records)


def outcome(history):
    return {i: (history.seen(i), history.failed_runs(i)) for i in EXPECTED}


@pytest.mark.skipif(MAX_ATTEMPTS != 3, reason="the lake above fails b1 in three runs")
def test_only_transient_rejections_of_too_few_runs_leave_an_id_unseen(tmp_path):
    out = tmp_path / "out"
    write_runs(out, RUNS)
    index = open_history(str(out), "index")
    remote = open_remote(str(out))      # what gs:// and s3:// workers read
    for history in (index, remote):
        assert outcome(history) == EXPECTED
        assert history.retrying("00000000000000a1") and not history.retrying("00000000000000d1")
        assert not history.retrying("00000000000000c1") and not history.retrying("00000000000000b1")
        assert not history.seen("00000000000000ff") and history.failed_runs("00000000000000ff") == 0


@pytest.mark.skipif(MAX_ATTEMPTS != 3, reason="the lake above fails b1 in three runs")
def test_the_index_grows_file_by_file_to_the_same_answers_and_rebuilds_after_deletion(tmp_path):
    out = tmp_path / "out"
    index = LocalIndex(str(out))
    for i, run in enumerate(RUNS):
        write_runs(out, [run])
        assert index.refresh() == ("rebuilt from 1 file(s)" if i == 0 else "added 1 file(s)")
    assert outcome(index.open()) == EXPECTED
    grown = {name: np.load(out / "_index" / name) for name in ("ids.npy", "attempts.npy")}
    shutil.rmtree(out / "_index")       # always safe: rebuilt from the datasets
    assert index.refresh().startswith("rebuilt")
    assert outcome(index.open()) == EXPECTED
    for name, array in grown.items():
        assert np.array_equal(np.load(out / "_index" / name), array), name


def test_an_index_without_attempts_is_rebuilt(tmp_path, caplog):
    out = tmp_path / "out"
    write_runs(out, RUNS[:1])
    LocalIndex(str(out)).refresh()
    (out / "_index" / "attempts.npy").write_bytes(b"\x93NUMPY garbage")
    history = open_history(str(out), "damaged")
    assert "unusable" in caplog.text
    assert history.failed_runs("00000000000000a1") == 1 and not history.seen("00000000000000a1")


def test_a_retry_waits_after_each_failure_and_longer_after_the_second(tmp_path):
    """Attempts are spaced (`--retry_wait`, RETRY_BACKOFF times longer after each further
    failure), counted from the last failure's `at`, so a site down for an hour is not given
    up on by three polls a minute apart."""
    from cfnews.schemas.reasons import RETRY_BACKOFF, RETRY_WAIT, retry_wait_after
    assert retry_wait_after(1) == RETRY_WAIT and retry_wait_after(2) == RETRY_WAIT * RETRY_BACKOFF
    out = tmp_path / "out"
    later = T + dt.timedelta(hours=1)
    second = Rejected(stage="fetch", reason="timeout", outlet="wire", http_status=None,
                      url="https://wire.example/00000000000000b2", article_id="00000000000000b2",
                      at=later)
    write_runs(out, [
        ("20260302T120000Z-aaaaaa", "rejected", "wire", [
            rejected("00000000000000a2", "http_error", 503), rejected("00000000000000b2", "timeout")]),
        ("20260302T130000Z-bbbbbb", "rejected", "wire", [second]),
    ])
    us = lambda when: int(when.timestamp() * 1_000_000)   # noqa: E731
    wait = 600.0
    for history in (open_history(str(out), "spaced"), open_remote(str(out))):
        assert history.retry_due_us("00000000000000a2", wait) == us(T) + 600_000_000
        assert history.waiting("00000000000000a2", us(T + dt.timedelta(minutes=9)), wait)
        assert not history.waiting("00000000000000a2", us(T + dt.timedelta(minutes=10)), wait)
        # two failures: RETRY_BACKOFF times the wait after the later one
        due = us(later) + int(wait * RETRY_BACKOFF * 1_000_000)
        assert history.retry_due_us("00000000000000b2", wait) == due
        assert history.waiting("00000000000000b2", due - 1, wait)
        assert not history.waiting("00000000000000b2", due, wait)
        assert not history.seen("00000000000000b2")           # waiting is not given up
        assert not history.waiting("00000000000000ff", us(T), wait)   # never failed


def test_drop_seen_holds_back_only_entries_that_would_fetch_a_page_too_soon(tmp_path):
    """DropSeen (every bounded mode): an entry whose page failed transiently a moment ago
    waits; the same id in a backfill line that brings its HTML goes on (nothing to fetch);
    with the wait over it goes on too."""
    import apache_beam as beam
    from apache_beam.testing.test_pipeline import TestPipeline
    from apache_beam.testing.util import assert_that, equal_to
    from cfnews.schemas import FeedEntry
    from cfnews.transforms.history import DropSeen
    now = dt.datetime.now(dt.timezone.utc)
    out = tmp_path / "out"
    fresh = Rejected(stage="fetch", reason="http_error", outlet="wire", http_status=503,
                     url="https://wire.example/00000000000000a3", article_id="00000000000000a3",
                     at=now)
    write_runs(out, [("20260302T120000Z-aaaaaa", "rejected", "wire", [fresh])])

    def entry(html=None):
        return FeedEntry(outlet="wire", feed_url="https://wire.example/rss", entry_id="a3",
                         url="https://wire.example/00000000000000a3",
                         article_id="00000000000000a3",
                         canonical_url="https://wire.example/00000000000000a3", html=html,
                         discovered_at=now)

    for wait, expected in ((3600.0, ["html"]), (0.0, ["feed", "html"])):
        with TestPipeline(runner="FnApiRunner") as p:
            kept = (p | beam.Create([entry(), entry("<p>the page</p>")])
                    | DropSeen(str(out), f"wait-{wait}", retry_wait=wait)
                    | beam.Map(lambda e: "html" if e.html else "feed"))
            assert_that(kept, equal_to(expected))
