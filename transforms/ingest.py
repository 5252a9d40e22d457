"""The one ingest path: feed entries in -> `articles`, `duplicates` and `rejected` records out.

Every mode runs this composite: the demo, `run --once`, `run --every`, `backfill`, the
streaming graph and the Dataflow template. What differs between them is passed in:

* how entries arrive: the caller's PCollection of FeedEntry (feeds read in the graph, feeds
  polled by the local loop, a backfill manifest, stateful polling in streaming);
* how duplicates are found (`BatchDedup` or `StreamingDedup`), and with them where history
  comes from: the output folder, looked up by key from the workers, in batch; keyed state
  in streaming.

    entries -> (not written before) -> one per URL -> Fetch (streaming: again after a
            transient failure) -> Extract -> Language
            -> Relevance -> near duplicates -> Entities -> records
    entries not fetched (same URL or guid) -> linked to their first entry's fate -> records

Every stage's rejected output is flattened with the kept records here, so nothing a stage
refuses can be lost between the stage and the writer.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Optional

import apache_beam as beam

from cfnews.transforms.dedup import (CONTAINMENT_THRESHOLD, DEFAULT_EXPIRY, DedupEntriesByUrl,
                                     DeduplicateArticles, LinkEntryDuplicates)
from cfnews.transforms.entities import EnrichEntities
from cfnews.transforms.extract import MIN_CHARS, ExtractArticles
from cfnews.transforms.fetch import FetchPages
from cfnews.schemas.reasons import RETRY_WAIT
from cfnews.transforms.history import DropSeen, RetryUnlisted
from cfnews.transforms.http import HttpConfig
from cfnews.transforms.language import DetectLanguage
from cfnews.transforms.relevance import ScoreRelevance


@dataclasses.dataclass(frozen=True)
class BatchDedup:
    """Bounded runs: exact duplicates by GroupByKey, near duplicates over hash buckets;
    `history_dir` (the output folder; None to ignore history) supplies the ids already
    written and the earlier articles within the expiry. `job_key` (the run id) separates
    one job's view of the history from the next in a long-lived process."""
    threshold: float = CONTAINMENT_THRESHOLD
    expiry: dt.timedelta = DEFAULT_EXPIRY
    history_dir: Optional[str] = None
    job_key: str = ""
    retry_wait: float = RETRY_WAIT   # seconds before a transient failure is fetched again

    def drop_seen(self) -> Optional[beam.PTransform]:
        return (DropSeen(self.history_dir, self.job_key, self.retry_wait) if self.history_dir
                else None)

    def fetch(self, http: HttpConfig) -> beam.PTransform:
        return FetchPages(http)    # a bounded run does not retry: later runs do (drop_seen)

    def retries(self) -> Optional[beam.PTransform]:
        """(feeds, their listed entries) -> entries to fetch again that the feeds no longer
        list (history.RetryUnlisted); None without history."""
        return (RetryUnlisted(self.history_dir, self.job_key, self.retry_wait)
                if self.history_dir else None)

    def entries(self) -> beam.PTransform:
        return DedupEntriesByUrl()

    def links(self) -> beam.PTransform:
        return LinkEntryDuplicates()

    def articles(self) -> beam.PTransform:
        return DeduplicateArticles(self.threshold, expiry=self.expiry,
                                   history_dir=self.history_dir, job_key=self.job_key)


@dataclasses.dataclass(frozen=True)
class StreamingDedup:
    """Unbounded runs: first-seen and near-duplicate indexes in keyed state with event-time
    expiry (transforms/dedup_stream.py). Entry ids already polled are remembered by the
    stateful feed poller (which looks up in the output's history the ids its state lacks),
    so there is no separate DropSeen; `history_dir` (the output folder; None to ignore
    history) supplies the earlier articles within the expiry that a copy is matched
    against, which a job started afresh on the folder does not hold in its state."""
    threshold: float = CONTAINMENT_THRESHOLD
    expiry: dt.timedelta = DEFAULT_EXPIRY
    history_dir: Optional[str] = None
    job_key: str = ""
    # One-second arrival slots: a poll's entries all carry their tick's timestamp, so each
    # tick is one slot, and decisions (stamped at the slot's end) stay in the window of
    # their arrival instead of slipping into the next (latency <= window + work).
    hold: dt.timedelta = dt.timedelta(seconds=1)
    # seconds after a transient fetch failure before the job fetches the page again (times
    # RETRY_BACKOFF after a second; MAX_ATTEMPTS fetches in all: transforms/fetch.py); None:
    # the job does not retry (build_streaming passes --retry_wait)
    retry_wait: Optional[float] = None

    def drop_seen(self) -> Optional[beam.PTransform]:
        return None

    def fetch(self, http: HttpConfig) -> beam.PTransform:
        """The job fetches transient failures again (with `retry_wait`), counting on from
        the failures earlier runs left in `history_dir`, whose entries the poller let through."""
        return FetchPages(http, retry_wait=self.retry_wait, history_dir=self.history_dir,
                          job_key=self.job_key)

    def entries(self) -> beam.PTransform:
        from cfnews.transforms.dedup_stream import StreamingDedupEntries
        return StreamingDedupEntries(expiry=self.expiry)

    def links(self) -> beam.PTransform:
        from cfnews.transforms.dedup_stream import StreamingLinkEntryDuplicates, link_wait
        return StreamingLinkEntryDuplicates(expiry=self.expiry, wait=link_wait(self.retry_wait))

    def articles(self) -> beam.PTransform:
        from cfnews.transforms.dedup_stream import StreamingDeduplicate
        return StreamingDeduplicate(threshold=self.threshold, expiry=self.expiry, hold=self.hold,
                                    history_dir=self.history_dir, job_key=self.job_key)


def _main_and_rejected(result):
    """Stages return (main, rejected); a bare PCollection has no rejected output."""
    return result if isinstance(result, tuple) else (result, None)


class IngestEntries(beam.PTransform):
    """FeedEntry -> Article | Duplicate | Rejected, ready for WriteDatasets."""

    def __init__(self, dedup, http: HttpConfig = HttpConfig(), min_chars: int = MIN_CHARS,
                 topic: str = "china_france", all_topics: bool = False):
        super().__init__()
        self.dedup = dedup
        self.http = http
        self.min_chars = min_chars
        self.topic = topic
        self.all_topics = all_topics

    def expand(self, entries):
        outputs = []
        drop_seen = self.dedup.drop_seen()
        if drop_seen is not None:
            entries = entries | "NotWrittenBefore" >> drop_seen
        entries, entry_duplicates = entries | "OnePerUrl" >> self.dedup.entries()
        fates = []  # what became of the entries that went on: rejected, copies, articles

        def stage(pcoll, label, transform):
            kept, rejected = _main_and_rejected(pcoll | label >> transform)
            if rejected is not None:
                outputs.append(rejected)
                fates.append(rejected)
            return kept

        # a streaming job fetches a transiently failed page again itself, before dedup
        fetch = getattr(self.dedup, "fetch", None)   # a strategy of yours may leave it out
        pages = stage(entries, "Fetch", fetch(self.http) if fetch else FetchPages(self.http))
        articles = stage(pages, "Extract", ExtractArticles(self.min_chars))
        articles = stage(articles, "Language", DetectLanguage())
        articles = stage(articles, "Relevance", ScoreRelevance(topic=self.topic,
                                                               all_topics=self.all_topics))
        articles, near_duplicates = articles | "Dedup" >> self.dedup.articles()
        outputs.append(near_duplicates)
        # an entry never fetched is written once its first entry's fate is known
        decided = (*fates, near_duplicates, articles) | "Fates" >> beam.Flatten()
        outputs.append((entry_duplicates, decided) | "LinkEntryDuplicates" >> self.dedup.links())
        articles = stage(articles, "Entities", EnrichEntities())
        outputs.append(articles)
        return outputs | "Records" >> beam.Flatten()


def entry_for_page(url: str, outlet: str, html: Optional[str] = None,
                   text: Optional[str] = None, title: str = "", published_at=None,
                   feed_url: str = ""):
    """A FeedEntry for a page you already hold (your own crawl, a Pub/Sub message, a
    Parquet row): its HTML (or extracted text) goes through the stages without a fetch.
    The article id comes from the canonical URL, as for every cfnews entry."""
    from cfnews.schemas import FeedEntry
    from cfnews.transforms.urls import article_id_for, canonical_url
    canonical = canonical_url(url)
    return FeedEntry(outlet=outlet, feed_url=feed_url, entry_id=url, url=url,
                     article_id=article_id_for(canonical), canonical_url=canonical,
                     title=title, published_at=published_at, html=html, text=text)
