"""Local continuous mode: a loop of bounded pipeline runs with durable state.

On the DirectRunner an unbounded source only yields windowed output when it stops, so
continuous ingestion here is a loop. One cycle:

    poll the feeds that are due (conditional GET) -> new entries -> pending journal saved
    -> one bounded pipeline run over the journal -> journal cleared (but for entries whose
    page failed transiently: they run again next cycle, schemas/reasons.py), state saved

The journal (pipeline/state.py) is saved before the run and reconciled with the datasets at
start-up, so `kill -9` at any moment loses no entry that had appeared in a feed, and writes
no row twice: ids already in the datasets leave the journal, the rest run again.

Feeds are polled adaptively: a feed that yields new items is polled more often (interval
halves, down to `min_interval`), a quiet one less (x1.5, up to `max_interval`), a failing one
backs off exponentially but is never dropped. Some servers answer 304 with unchanged
validators although the content changed, so every `full_fetch_every`-th poll of a feed is
unconditional and its content hash is compared."""
from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime as dt
import logging
import signal
import threading
import time
from typing import List, Optional, Sequence

from cfnews.pipeline.exit_codes import Terminated
from cfnews.pipeline.options import CfnewsOptions
from cfnews.pipeline.runner import new_run_id, run_job
from cfnews.pipeline.state import load_state, save_state
from cfnews.pipeline.summary import FEED_FAILURE_REASONS, RunSummary
from cfnews.schemas import FeedEntry, FeedSource, Rejected, utc_now
from cfnews.transforms.common import crash_point
from cfnews.transforms.write import remove_stale_staging
from cfnews.transforms.feeds import FEED_LEVEL_REASONS, MAX_RETRY_AFTER_HOLD, poll_feed
from cfnews.transforms.history import load_history

log = logging.getLogger(__name__)


def _micros(when: dt.datetime) -> int:
    """The history's time unit (its rows' timestamps are microseconds since the epoch)."""
    return int(when.timestamp() * 1_000_000)


@dataclasses.dataclass
class CycleReport:
    cycle: int
    started_at: dt.datetime
    feeds_due: int = 0
    feeds_total: int = 0
    not_modified: int = 0
    failed_feeds: int = 0
    held_feeds: int = 0             # not polled: their server's Retry-After had not passed
    new_entries: int = 0
    repeated: int = 0               # items the feeds read listed again (one entry each)
    already_seen: int = 0           # entries read that earlier runs wrote: skipped, counted
    summary: Optional[RunSummary] = None
    seconds: float = 0.0

    def status_line(self) -> str:
        w = self.summary.written if self.summary else {}
        rejected = self.summary.entry_rejected if self.summary else 0
        return (f"cycle {self.cycle} {self.started_at:%Y-%m-%d %H:%M:%S}Z  feeds {self.feeds_due}/"
                f"{self.feeds_total} due  304s {self.not_modified}  failed {self.failed_feeds}  "
                + (f"held {self.held_feeds}  " if self.held_feeds else "")
                + f"new {self.new_entries}  articles {w.get('articles', 0)}  "
                f"duplicates {w.get('duplicates', 0)}  rejected {rejected}  "
                + (f"retried {self.summary.entries_retried}  "
                   if self.summary and self.summary.entries_retried else "")
                + f"{self.seconds:.1f}s")


@dataclasses.dataclass(frozen=True)
class Schedule:
    every: float = 600.0            # cycle period, and a new feed's first interval
    min_interval: float = 300.0
    max_interval: float = 6 * 3600.0
    full_fetch_every: int = 12      # every N-th poll of a feed ignores its validators
    seen_ttl: dt.timedelta = dt.timedelta(days=30)
    poll_threads: int = 8


def next_interval(current: float, new_items: int, failures: int, schedule: Schedule) -> float:
    if failures:
        return min(schedule.max_interval, max(schedule.min_interval, current) * 2)
    if new_items:
        return max(schedule.min_interval, current / 2)
    return min(schedule.max_interval, current * 1.5)


@dataclasses.dataclass
class ForeverRun:
    """What `run_forever` keeps of its cycles: how many ran, and those whose accounting did
    not add up (rare, each worth a look: their cycle numbers)."""
    cycles: int = 0
    not_adding_up: List[int] = dataclasses.field(default_factory=list)

    def add(self, report: CycleReport) -> None:
        self.cycles += 1
        if report.summary is not None and not report.summary.adds_up:
            self.not_adding_up.append(report.cycle)


class ContinuousIngest:
    """Runs cycles against one output folder; state lives in DIR/_state/."""

    def __init__(self, options: CfnewsOptions, feeds: Sequence[FeedSource],
                 schedule: Schedule = Schedule()):
        self.options = options
        self.feeds = list(feeds)
        self.schedule = schedule
        self.http = options.http_config()
        remove_stale_staging(options.out)  # a killed run's half-written files: never in a dataset
        self.state, note = load_state(options.out)
        log.info("state: %s", note)
        self.state_note = note
        self.cycle = 0
        self.stop_requested = threading.Event()

    # -- one cycle ---------------------------------------------------------------------
    def run_cycle(self, now: Optional[dt.datetime] = None, all_feeds: bool = False) -> CycleReport:
        """One cycle; `all_feeds` polls every feed whatever its schedule (`run --once`)."""
        started = time.monotonic()
        now = now or utc_now()
        self.cycle += 1
        report = CycleReport(cycle=self.cycle, started_at=now, feeds_total=len(self.feeds))
        due = [f for f in self.feeds if all_feeds
               or (self.state.feed(f.url, self.schedule.every).next_poll_at or now) <= now]
        not_before = {f.url: self.state.feed(f.url, self.schedule.every).not_before for f in due}
        held = [f for f in due if (not_before[f.url] or now) > now]
        for source in held:  # a server's Retry-After outranks --once and the schedule
            log.warning("feed %s not polled: its server asked (Retry-After) not before %s",
                        source.url, not_before[source.url].isoformat(timespec="seconds"))
        due = [f for f in due if f not in held]
        report.feeds_due = len(due)
        report.held_feeds = len(held)
        extra: List[Rejected] = []
        # one entry of one feed is journalled once; the same article from another feed is
        # journalled too, and becomes its `canonical_url` duplicate in the run
        pending_ids = {(e.feed_url, e.article_id) for e in self.state.pending}
        history = load_history(self.options.out)  # this cycle's alone: let go when it ends
        with concurrent.futures.ThreadPoolExecutor(self.schedule.poll_threads) as pool:
            polls = list(pool.map(lambda f: (f, self._poll(f)), due))
        for source, result in polls:
            new_entries, rejections = self._apply_poll(source, result, now, report, pending_ids,
                                                       history)
            self.state.pending.extend(new_entries)
            extra.extend(rejections)
        # journalled entries whose page failed transiently too recently stay for a later cycle
        # (schemas/reasons.py, --retry_wait); the job would only drop them again
        waiting = [history.waiting(e.article_id, _micros(now), self.options.retry_wait)
                   for e in self.state.pending]
        later = [e for e, wait in zip(self.state.pending, waiting) if wait]
        due_now = [e for e, wait in zip(self.state.pending, waiting) if not wait]
        report.new_entries = len(due_now) + sum(
            1 for r in extra if r.reason not in FEED_LEVEL_REASONS)
        save_state(self.options.out, self.state)            # the journal, before any work
        crash_point("after_pending")
        if due_now or extra:
            report.summary = run_job(self.options, entries=due_now,
                                     extra_records=extra, run_id=new_run_id())
            # what the pipeline never saw is counted as the graph that polls in the job counts
            # it: entries read again (seen, already written) and items listed again
            report.summary.entries_seen += report.already_seen
            report.summary.already_seen += report.already_seen
            report.summary.entries_repeated = report.repeated
        crash_point("after_write")
        stamp = now.isoformat()
        retry: List[FeedEntry] = list(later)
        if due_now:
            # what the run wrote decides: an entry whose page failed for a transient reason
            # (schemas/reasons.py) stays in the journal and runs again next cycle, whether or
            # not its feed lists it again (a feed answering 304 would never hand it back),
            # until a run writes it for good or MAX_ATTEMPTS runs have failed it
            written = load_history(self.options.out)
            for entry in due_now:
                if written.retrying(entry.article_id):
                    retry.append(entry)
                else:
                    self.state.seen[entry.article_id] = stamp
        for rejection in extra:
            if rejection.article_id:
                self.state.seen[rejection.article_id] = stamp
        self.state.pending = retry
        self.state.expire_seen(now, self.schedule.seen_ttl)
        save_state(self.options.out, self.state)
        report.seconds = time.monotonic() - started
        return report

    def _poll(self, source: FeedSource):
        feed = self.state.feed(source.url, self.schedule.every)
        conditional = feed.polls_since_full + 1 < self.schedule.full_fetch_every
        return poll_feed(source, self.http, feed.etag, feed.last_modified, conditional)

    def _apply_poll(self, source, result, now, report, pending_ids, history):
        feed = self.state.feed(source.url, self.schedule.every)
        feed.polls += 1
        new_entries: List[FeedEntry] = []
        rejections: List[Rejected] = []
        if result.status == "not_modified":
            report.not_modified += 1
            feed.not_modified += 1
            feed.polls_since_full += 1
            feed.consecutive_failures = 0
        elif result.status == "failed":
            report.failed_feeds += 1
            feed.consecutive_failures += 1
            rejections.extend(result.results)
            if result.retry_after:  # longer than the fetch waits for: held across polls
                feed.not_before = now + dt.timedelta(
                    seconds=min(result.retry_after, MAX_RETRY_AFTER_HOLD))
        else:
            report.repeated += result.repeated  # as the graph that polls in the job counts
            was_conditional = feed.polls_since_full + 1 < self.schedule.full_fetch_every
            if (not was_conditional and feed.content_hash and result.content_hash != feed.content_hash
                    and result.etag and result.etag == feed.etag):
                feed.stale_validators += 1  # 304s were hiding changes: counted for operators
            feed.polls_since_full = feed.polls_since_full + 1 if was_conditional else 0
            feed.etag, feed.last_modified = result.etag, result.last_modified
            feed.content_hash = result.content_hash
            # an answer that is no feed (an HTML page, a soft 404, a gzip blob) failed like an
            # HTTP error: counted (a run where every feed is such exits 3) and backed off
            broken = any(isinstance(r, Rejected) and r.reason in FEED_FAILURE_REASONS
                         for r in result.results)
            report.failed_feeds += broken
            feed.consecutive_failures = feed.consecutive_failures + 1 if broken else 0
            for item in result.results:
                key = item.article_id
                if key and (source.url, key) in pending_ids:
                    continue  # in the journal: it runs (and is counted) with the journal
                if key and history.retrying(key) and not history.waiting(
                        key, _micros(now), self.options.retry_wait):
                    pass  # an earlier run's failure was transient and long enough ago: again
                elif key and (key in self.state.seen or history.seen(key)
                              or history.retrying(key)):
                    report.already_seen += 1
                    continue
                if isinstance(item, FeedEntry):
                    new_entries.append(item)
                    pending_ids.add((source.url, key))
                else:
                    rejections.append(item)
        if result.status != "failed":
            feed.not_before = None
        feed.interval = next_interval(feed.interval, len(new_entries), feed.consecutive_failures,
                                      self.schedule)
        feed.next_poll_at = max(now + dt.timedelta(seconds=feed.interval),
                                feed.not_before or now)
        return new_entries, rejections

    # -- the loop ----------------------------------------------------------------------
    def run_forever(self, max_cycles: Optional[int] = None, echo=print,
                    on_cycle=None) -> "ForeverRun":
        """Cycles until stopped (or `max_cycles`); `on_cycle(report)` runs after each one.
        Each report is let go after its cycle: a process that runs for months keeps counts,
        not a list that grows by a report every cycle."""
        done = ForeverRun()
        previous = signal.getsignal(signal.SIGINT)
        previous_term = signal.getsignal(signal.SIGTERM)

        def on_interrupt(signum, frame):
            # The first Ctrl-C or SIGTERM ends the run after its cycle: a service manager's
            # stop is the normal end of `--every` (exit 0). A second one stops now, with the
            # status of the signal that did it (130 or 143).
            if self.stop_requested.is_set():
                raise Terminated if signum == signal.SIGTERM else KeyboardInterrupt
            again = "SIGTERM again" if signum == signal.SIGTERM else "Ctrl-C again"
            echo(f"stopping after the current cycle ({again} to stop now)")
            self.stop_requested.set()
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, on_interrupt)
            signal.signal(signal.SIGTERM, on_interrupt)
        try:
            while not self.stop_requested.is_set():
                cycle_start = time.monotonic()
                report = self.run_cycle()
                done.add(report)
                echo(report.status_line())
                if on_cycle is not None:
                    on_cycle(report)
                if max_cycles is not None and done.cycles >= max_cycles:
                    break
                self.stop_requested.wait(max(0.0, self.schedule.every
                                             - (time.monotonic() - cycle_start)))
        finally:
            if threading.current_thread() is threading.main_thread():
                signal.signal(signal.SIGINT, previous)
                signal.signal(signal.SIGTERM, signal.SIG_DFL if previous_term is None else previous_term)
        return done
