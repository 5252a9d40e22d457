"""One definition of "transient" (schemas/reasons.py: is_transient) for both retries: the
fetch's own, within a run (transforms/http.py: FetchError.transient), and later runs' (the
history's retry rule). Before, the fetch retried every 5xx and 429 but not 408 or 425, while
later runs retried 408, 425, 429, 500, 502, 503 and 504 only: a 501 was fetched three times in
a run and then final, a 408 once in a run and then again by the next run."""
from __future__ import annotations

import pytest

from cfnews.schemas import Reason, Rejected, is_transient
from cfnews.transforms.fetch import fetch_page
from cfnews.transforms.history import open_history, open_remote
from cfnews.transforms.http import FetchError, http_get
from cfnews.transforms.write import write_partition
from tests.test_http_fetch import entry_for
from tests.test_politeness import page_route

# the table as README states it: busy, restarting, rate-limiting or timed-out servers
TRANSIENT_STATUSES = {408, 425, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524}


@pytest.mark.parametrize("status", range(100, 600))
def test_the_status_table_is_one_for_both_retries(status):
    in_run = FetchError(Reason.HTTP_ERROR, f"HTTP {status}", status).transient
    assert in_run is is_transient("http_error", status) is (status in TRANSIENT_STATUSES)


@pytest.mark.parametrize("status, transient", [
    (501, False), (505, False), (506, False), (507, False), (511, False), (525, False),
    (400, False), (403, False), (404, False), (410, False), (451, False),
    (408, True), (425, True), (429, True), (500, True), (503, True), (522, True),
])
def test_named_statuses(status, transient):
    assert is_transient(Reason.HTTP_ERROR, status) is transient
    assert FetchError(Reason.HTTP_ERROR, "x", status).transient is transient


@pytest.mark.parametrize("reason", list(Reason))
@pytest.mark.parametrize("status", [None, 200, 404, 408, 501, 503])
def test_every_reason_gets_the_same_answer_in_run_and_across_runs(reason, status):
    assert FetchError(reason, "x", status).transient is is_transient(reason, status)
    expected = (reason in (Reason.TIMEOUT, Reason.CONNECTION_ERROR, Reason.ROBOTS_UNAVAILABLE)
                or (reason == Reason.HTTP_ERROR and status in TRANSIENT_STATUSES))
    assert is_transient(reason.value, status) is expected


def _written_and_read_back(tmp_path, rejection: Rejected):
    """The history (local index and the object-store read) of a lake holding the row."""
    out = tmp_path / "out"
    write_partition(str(out), "20260302T100000Z-aaaaaa", "rejected", "2026-03-02", "test",
                    [rejection])
    return open_history(str(out), f"rule-{rejection.http_status}"), open_remote(str(out))


def test_a_501_is_fetched_once_and_final(server, tmp_path):
    server.routes["/n"] = page_route(status=501)
    with pytest.raises(FetchError) as info:
        http_get(server.url("/n"), server.config(max_retries=2, backoff=0.01))
    assert info.value.status == 501 and not info.value.transient
    assert server.hits["/n"] == 1                       # not retried within the fetch
    server.hits.clear()
    rejection = fetch_page(entry_for(server.url("/n")), server.config(max_retries=2, backoff=0.01))
    assert (rejection.reason, rejection.http_status) == ("http_error", 501)
    assert server.hits["/n"] == 1
    for history in _written_and_read_back(tmp_path, rejection):
        assert history.seen(rejection.article_id)       # nor by a later run
        assert not history.retrying(rejection.article_id)


@pytest.mark.parametrize("status", [408, 425])
def test_a_408_or_425_is_retried_within_the_fetch_and_by_later_runs(server, tmp_path, status):
    calls = []

    def once_busy(handler):
        calls.append(1)
        (page_route(status=status) if len(calls) == 1 else page_route())(handler)
    server.routes["/t"] = once_busy
    response = http_get(server.url("/t"), server.config(max_retries=2, backoff=0.01))
    assert response.status == 200 and len(calls) == 2   # retried within the fetch
    server.routes["/always"] = page_route(status=status)
    rejection = fetch_page(entry_for(server.url("/always")),
                           server.config(max_retries=2, backoff=0.01))
    assert (rejection.reason, rejection.http_status) == ("http_error", status)
    assert server.hits["/always"] == 3                  # one try and two retries
    for history in _written_and_read_back(tmp_path, rejection):
        assert history.retrying(rejection.article_id)   # a later run fetches it again
