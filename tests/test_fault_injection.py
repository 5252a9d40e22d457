"""The whole pipeline against a small hostile web (the site of
tests/benchmarks/fault_injection.py): every fault of issue 6 among good pages, about 100
entries. The run completes; read back from Parquet, every entry is in exactly one dataset;
no internal_error; each fault ends with its own reason and HTTP status; good pages behind
recoverable faults become articles."""
from __future__ import annotations

import pytest

from cfnews.schemas import FeedEntry, Page
from tests.benchmarks.fault_injection import (EXPECTED, FAULTS, RECOVERIES, UNSUPPORTED_ENCODING,
                                              HostileWeb, check, good_pages, read_rows, run)
from tests.conftest import need_shared
from cfnews.transforms.fetch import fetch_page
from cfnews.transforms.urls import article_id_for, canonical_url

pytestmark = pytest.mark.e2e

# faults that cost a timeout, a Retry-After wait or a retry's backoff (fetching is sequential
# here): once each; the others twice
SLOW = {"slow_drip", "slow_headers", "http_503_retry_after_1s", "http_429_retry_after_1s",
        "http_500", "http_503", "connection_reset", "closed_without_response",
        "truncated_transfer"}


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    need_shared("corpora", "extraction-benchmark", "html")
    need_shared("seeds")
    web = HostileWeb(good_pages(limit=12), fault_counts={f.name: 1 if f.name in SLOW else 2
                                                         for f in FAULTS},
                     recover_every=2, repeat_every=4, bomb_megabytes=64)
    out = str(tmp_path_factory.mktemp("hostile") / "out")
    try:
        summary, _ = run(web, out)
    finally:
        web.stop()
    return web, summary, check(web, read_rows(out))


def test_the_run_accounts_for_every_entry(hostile_run):
    web, summary, checked = hostile_run
    assert 90 <= web.entry_count <= 130
    assert summary.entries_seen == checked["entries_in"] == web.entry_count
    # items listed twice in their feed are one entry each, the second listing counted apart
    assert summary.entries_repeated == web.repeat_count > 0
    assert summary.adds_up, summary.render()
    assert checked["lost"] == [] and checked["extra"] == []


def test_no_stage_crashed(hostile_run):
    _, summary, checked = hostile_run
    assert checked["internal_errors"] == []
    assert not any(key.endswith(".internal_error") for key in summary.rejected_by_reason)


def test_each_fault_ends_with_its_reason_and_status(hostile_run):
    _, _, checked = hostile_run
    assert checked["wrong"] == []
    exercised = set(checked["by_kind"])
    assert {f.name for f in FAULTS} | {"repeated_guid"} <= exercised
    assert {f"recovery:{r.name}" for r in RECOVERIES} <= exercised
    for kind, counter in checked["by_kind"].items():
        if kind in EXPECTED:
            assert set(counter) == {EXPECTED[kind]}, (kind, counter)


def test_good_pages_behind_recoverable_faults_become_articles(hostile_run):
    _, _, checked = hostile_run
    recovered = {k: c for k, c in checked["by_kind"].items() if k.startswith("recovery:")}
    assert all(set(c) == {"articles"} for c in recovered.values()), recovered
    assert set(checked["by_kind"]["copy"]) == {"duplicates"}
    assert set(checked["by_kind"]["repeat"]) == {"duplicates"}


def test_broken_feeds_are_one_feed_level_row_each(hostile_run):
    web, _, checked = hostile_run
    assert checked["broken_feeds_ok"], checked["feed_level"]
    assert len(checked["feed_level"]) == len(web.broken_feeds) == 4


def _entry(url: str) -> FeedEntry:
    canonical = canonical_url(url)
    return FeedEntry(outlet="test", feed_url="http://127.0.0.1/feed", entry_id=url, url=url,
                     article_id=article_id_for(canonical), canonical_url=canonical)


def test_unsupported_content_encoding_is_bad_encoding(server):
    url = UNSUPPORTED_ENCODING.serve(None, server, "/br.html")
    result = fetch_page(_entry(url), server.config())
    assert not isinstance(result, Page), "the compressed bytes were taken for the page"
    assert (result.reason, result.http_status) == ("bad_encoding", 200)
