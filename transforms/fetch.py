"""Stage 2 — fetch: GET each entry's article page (or take the HTML a backfill line supplied).
Many pages are fetched at once per worker (transforms/inflight.py), emitted in input order.

In a running streaming job (`FetchPages(retry_wait=...)`, passed in by `StreamingDedup`) a
page that failed transiently is fetched again by the job itself, by the rule later runs
follow (schemas/reasons.py: `retry_in_job`, `retry_wait_after`): one keyed step
(`_RetryFetchFn`, key: article id) holds it in state until an event-time timer at its failure
+ the wait, fetches it again, and waits again after another transient failure, up to
MAX_ATTEMPTS fetches in all. A page earlier runs or jobs failed transiently (the output's
history, `history_dir`) goes to that step at once, not to the first fetch: its count goes on
from theirs and its first fetch here waits for its due time (`History.next_attempt`), as a
bounded run's would. Only the last attempt's rejection is a row (and a fate); the
pages of every attempt go on as one PCollection, so a retried page joins the flow before the
near-duplicate stage as a first fetch does."""
from __future__ import annotations

import dataclasses
from typing import Any, Iterable, NamedTuple, Optional, Tuple, Union

import apache_beam as beam
from apache_beam.coders import PickleCoder
from apache_beam.pvalue import TaggedOutput
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.transforms.userstate import BagStateSpec, TimerSpec, on_timer
from apache_beam.utils.timestamp import Timestamp

from cfnews.schemas import FeedEntry, Page, Reason, Rejected, Stage, utc_now
from cfnews.schemas.reasons import MAX_ATTEMPTS, RETRY_WAIT, retry_in_job, retry_wait_after
from cfnews.transforms.common import MAIN, REJECTED, count, internal_error_row, run_stage
from cfnews.transforms.inflight import ConcurrentStageDoFn, host_of
from cfnews.transforms.http import (FetchError, HttpConfig, decode_html, http_get,
                                    not_text_problem)

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


def looks_like_html(body: bytes) -> bool:
    head = body[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<html" in head


def fetch_page(entry: FeedEntry, config: HttpConfig = HttpConfig()) -> Union[Page, Rejected]:
    """The entry's page, or a rejection naming the HTTP status or error class."""
    if entry.brings_content:  # backfill: content supplied
        return Page(entry=entry, html=entry.html or "", final_url=entry.url)
    try:
        response = http_get(entry.url, config, check_robots=True)
    except FetchError as exc:
        return Rejected.for_entry(entry, Stage.FETCH, exc.reason, error=str(exc),
                                  http_status=exc.status)
    content_type = response.content_type
    if content_type not in HTML_TYPES and not (
            content_type in ("", "text/plain", "application/octet-stream")
            and looks_like_html(response.body)):
        return Rejected.for_entry(entry, Stage.FETCH, Reason.NOT_HTML,
                                  error=f"content type {content_type or 'missing'}",
                                  http_status=response.status)
    html = decode_html(response.body, response.headers.get("content-type", ""))
    problem = not_text_problem(html)
    if problem:  # binary data under an HTML content type
        return Rejected.for_entry(entry, Stage.FETCH, Reason.NOT_HTML, error=f"body is {problem}",
                                  http_status=response.status)
    return Page(entry=entry, html=html, final_url=response.url, http_status=response.status,
                fetched_at=utc_now())


RETRY = "retry"


class Retry(NamedTuple):
    """An entry the job fetches again (`_RetryFetchFn`): `failures`, the transient failures
    so far (the job's, and the earlier runs' of an entry the history holds); `due_us`, when
    its next fetch is due (event time, microseconds), or None: `retry_wait_after(failures)`
    after the element's time (a failure of the job's own fetch)."""
    entry: FeedEntry
    failures: int
    due_us: Optional[int] = None


class _FetchFn(ConcurrentStageDoFn):
    """`attempt`: 1 when the job fetches a transiently failed page again itself (streaming:
    the failure goes to the RETRY output, then `_RetryFetchFn`); 0 when it does not (later
    runs do). With `history_dir` (streaming, the output folder), an entry earlier runs
    failed transiently is not fetched here but sent to the RETRY output at once."""
    stage = Stage.FETCH

    def __init__(self, http_config: HttpConfig, attempt: int = 0,
                 history_dir: Optional[str] = None, job_key: str = "",
                 retry_wait: float = RETRY_WAIT):
        super().__init__(http_config.max_in_flight, http_config.per_host_concurrency)
        self.http_config = http_config
        self.attempt = attempt
        self.history_dir = history_dir
        self.job_key = job_key
        self.retry_wait = retry_wait
        self.history = None

    def setup(self):
        if self.history_dir:
            from cfnews.transforms.history import open_history
            # the poller's view (transforms/feeds.py: same key, one History per process):
            # what it let through as not seen is retrying here, never given up
            self.history = open_history(self.history_dir, f"stream-{self.job_key}")

    def host(self, entry: FeedEntry) -> str:
        return host_of(entry.url)

    def work(self, entry: FeedEntry) -> Iterable:
        return [fetch_page(entry, self.http_config)]

    def divert(self, entry: FeedEntry) -> Optional[Tuple[str, Any]]:
        """An entry earlier runs or jobs failed transiently goes straight to the retry step,
        with their count and its due time: fetched here, it would be fetched before its
        --retry_wait is over and be given MAX_ATTEMPTS more fetches. An entry that brings its
        page (a backfill line) has nothing to fetch: it goes on."""
        if self.history is None or entry.brings_content:
            return None
        earlier = self.history.next_attempt(entry.article_id, self.retry_wait)
        if earlier is None:
            return None
        count("cfnews.entries", "retry_later")
        return RETRY, Retry(entry, *earlier)

    def route(self, entry: FeedEntry, result) -> Optional[Tuple[str, Any]]:
        """A transient failure the job fetches again: the entry goes to the RETRY output, no
        row is written for this attempt."""
        if (self.attempt and isinstance(result, Rejected)
                and retry_in_job(result.reason, result.http_status, self.attempt)):
            count("cfnews.entries", "retry_later")
            count("cfnews.retry_later", f"{result.stage}.{result.reason}")
            return RETRY, Retry(entry, self.attempt)
        return None


class _RetryFetchFn(beam.DoFn):
    """Keyed by article id: an entry whose fetch failed transiently waits, then is fetched
    again here, until a fetch succeeds or MAX_ATTEMPTS fetches have failed (the last failure
    is the entry's rejection). One keyed step for every later attempt: retries are rare, so
    they are fetched one at a time on the step's own thread (the host's politeness delay and
    pauses still apply: transforms/http.py), and a graph where nothing fails pays for one
    stateful step, not one per attempt.
    Event time, not processing time: the SDK holds the watermark at an event-time timer's
    firing time (a processing-time timer would hold it at the failure for the whole wait,
    and every window's files with it), what the timer emits is stamped then and is not late
    downstream, and the wait follows the stream's clock (the ticks' wall time). A drain
    advances the watermark to the end of time, which fires event-time timers: the waiting
    entries are fetched at once (Beam's drain semantics; not run on Dataflow here). A job
    updated in place keeps this state and its timers (the transform names are stable)."""
    WAITING = BagStateSpec("waiting", PickleCoder())   # (entry, fetches failed so far)
    DUE = TimerSpec("due", TimeDomain.WATERMARK)

    def __init__(self, http_config: HttpConfig, wait: float):
        self.http_config = http_config
        self.wait = wait

    def _due(self, after: Timestamp, failures: int) -> Timestamp:
        return Timestamp(micros=after.micros
                         + int(retry_wait_after(failures, self.wait) * 1_000_000))

    def process(self, element, when=beam.DoFn.TimestampParam,
                waiting=beam.DoFn.StateParam(WAITING), due=beam.DoFn.TimerParam(DUE)):
        _article_id, retry = element
        waiting.add((retry.entry, retry.failures))
        if retry.due_us is None:
            due.set(self._due(when, retry.failures))
        else:  # an earlier run's failure: due at its own time; one already past, at once,
            # at the element's time: what the timer emits is stamped with its firing time,
            # which Beam wants no earlier than the input's (runners refuse an earlier one)
            due.set(Timestamp(micros=max(retry.due_us, when.micros)))

    @on_timer(DUE)
    def on_due(self, fired=beam.DoFn.TimestampParam, waiting=beam.DoFn.StateParam(WAITING),
               due=beam.DoFn.TimerParam(DUE)):
        items = list(waiting.read())
        waiting.clear()
        for entry, failures in items:
            count("cfnews.entries", "retried")
            attempt = failures + 1
            try:
                result = fetch_page(entry, self.http_config)
            except Exception as exc:  # as the first fetch's pool does: a row, not a failed bundle
                result = internal_error_row(entry, Stage.FETCH, exc)
            if not isinstance(result, Rejected):
                yield result
            elif retry_in_job(result.reason, result.http_status, attempt):
                count("cfnews.entries", "retry_later")
                count("cfnews.retry_later", f"{result.stage}.{result.reason}")
                waiting.add((entry, attempt))
                due.set(self._due(fired, attempt))
            else:
                count("cfnews.rejected", f"{result.stage}.{result.reason}")
                # the attempt counts the earlier runs' failures as well as this job's
                yield TaggedOutput(REJECTED, dataclasses.replace(
                    result, attempt=attempt,
                    error=f"{result.error} [attempt {attempt} of {MAX_ATTEMPTS}; "
                          "the earlier failed transiently]"))


@dataclasses.dataclass
class FetchPages(beam.PTransform):
    """FeedEntry -> (Page, Rejected). With `retry_wait` (seconds; streaming only), a page
    that failed transiently is fetched again by the job, up to MAX_ATTEMPTS fetches spaced
    as later runs space them; the rejected output then holds only final rejections. With
    `history_dir` too (the output folder; `job_key`, the run id), the count of a page earlier
    runs failed goes on from theirs, and its first fetch here waits for its due time."""
    http_config: HttpConfig = dataclasses.field(default_factory=HttpConfig)
    retry_wait: Optional[float] = None
    history_dir: Optional[str] = None
    job_key: str = ""

    def expand(self, entries):
        if self.retry_wait is None:
            return run_stage(entries, "FetchPage", _FetchFn(self.http_config))
        first = entries | "FetchPage" >> beam.ParDo(_FetchFn(
            self.http_config, attempt=1, history_dir=self.history_dir, job_key=self.job_key,
            retry_wait=self.retry_wait)).with_outputs(REJECTED, RETRY, main=MAIN)
        again = (first[RETRY]
                 | "ById" >> beam.Map(lambda retry: (retry.entry.article_id, retry))
                 .with_output_types(Tuple[str, Any])
                 | "RetryFetch" >> beam.ParDo(
                     _RetryFetchFn(self.http_config, self.retry_wait)).with_outputs(
                         REJECTED, main=MAIN))
        return ((first[MAIN], again[MAIN]) | "PagesOfEveryAttempt" >> beam.Flatten(),
                (first[REJECTED], again[REJECTED]) | "FinalRejections" >> beam.Flatten())
