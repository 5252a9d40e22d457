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
        # what a streaming job goes on from (transforms/fetch.py): the count, the due time
        assert history.next_attempt("00000000000000a2", wait) == (1, us(T) + 600_000_000)
        assert history.next_attempt("00000000000000b2", wait) == (2, due)
        assert history.next_attempt("00000000000000ff", wait) is None


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


def test_due_retries_give_back_the_entry_of_each_id_still_retrying(tmp_path):
    """What the in-job graph fetches again when the feed no longer lists it
    (`History.due_retries`, `retry_entry`): the latest transient rejection of each id still
    retrying, of the feed asked for, once due; through the index (built at once, grown file by
    file) and the direct read of object stores alike. Ids written for good or given up on have
    none, nor final rejections; a backfill line's rows name its manifest, never a feed."""
    from cfnews.schemas import FeedSource
    from cfnews.transforms.history import retry_entry
    feed = "https://wire.example/rss"

    def failed(article_id, reason="timeout", at=T, feed_url=feed, source="feed", title="t"):
        return Rejected(stage="fetch", reason=reason, outlet="wire", http_status=None,
                        url=f"https://wire.example/{article_id}", article_id=article_id, at=at,
                        feed_url=feed_url, entry_id=f"guid-{article_id}", title=title,
                        published_at=T - dt.timedelta(hours=2), discovered_at=at, source=source)
    later = T + dt.timedelta(hours=1)
    runs = [
        ("20260302T120000Z-aaaaaa", "rejected", "wire", [
            failed("00000000000000a4"), failed("00000000000000b4"), failed("00000000000000c4"),
            failed("00000000000000d4", feed_url="https://other.example/rss"),
            failed("00000000000000e4", feed_url="/srv/manifest.jsonl"),
            failed("00000000000000f4", reason="not_html"),
            failed("00000000000000a5", feed_url="https://old.example/rss", source=None)]),
        ("20260302T130000Z-bbbbbb", "rejected", "wire", [
            failed("00000000000000a4", at=later, title="t2"), failed("00000000000000b4", at=later)]),
        ("20260302T130000Z-bbbbbb", "articles", "wire", [article("00000000000000c4")]),
        ("20260302T140000Z-cccccc", "rejected", "wire", [
            failed("00000000000000b4", at=later + dt.timedelta(hours=1))]),
    ]
    write_runs(tmp_path / "whole", runs)
    grown = LocalIndex(str(tmp_path / "grown"))
    for run in runs:
        write_runs(tmp_path / "grown", [run])
        grown.refresh()
    us = lambda when: int(when.timestamp() * 1_000_000)   # noqa: E731
    for history in (open_history(str(tmp_path / "whole"), "due"), grown.open(),
                    open_remote(str(tmp_path / "whole"))):
        # a4: failed twice, the later row is the entry; b4 given up (3 runs); c4 written;
        # d4 another feed's; e4 a manifest's (no feed has its url); f4 final at once
        assert sorted(history.retries) == ["00000000000000a4", "00000000000000a5",
                                           "00000000000000d4", "00000000000000e4"]
        # rows without `source` (older writers) are feed entries
        assert len(history.due_retries("https://old.example/rss", us(later), 0.0)) == 1
        assert history.due_retries(feed, us(later), 0.0)[0]["title"] == "t2"
        assert history.due_retries(feed, us(later + dt.timedelta(minutes=59)), 900.0) == []
        [row] = history.due_retries(feed, us(later + dt.timedelta(hours=1)), 900.0)
        assert [r["article_id"] for r in history.due_retries("https://other.example/rss",
                                                             us(later), 0.0)] == ["00000000000000d4"]
        entry = retry_entry(row, FeedSource(outlet="wire", url=feed, language="fr", country="FR"))
        assert (entry.article_id, entry.url, entry.entry_id, entry.title, entry.feed_url) == (
            "00000000000000a4", "https://wire.example/00000000000000a4", "guid-00000000000000a4",
            "t2", feed)
        assert entry.discovered_at == later and entry.published_at == T - dt.timedelta(hours=2)
        assert entry.language_hint == "fr" and entry.summary == "" and entry.html is None


def test_an_index_with_damaged_retries_is_rebuilt(tmp_path, caplog):
    out = tmp_path / "out"
    write_runs(out, RUNS[:1])
    LocalIndex(str(out)).refresh()
    (out / "_index" / "retries.json").write_text("[1, 2", encoding="utf-8")
    history = open_history(str(out), "damaged-retries")
    assert "unusable" in caplog.text
    assert "00000000000000a1" in history.retries and history.retrying("00000000000000a1")
