"""Assembles the cfnews graph from options. No stage logic lives here.

    feeds -> entries -> (new only) -> one per URL -> pages -> articles -> language
          -> relevance -> near-duplicates -> entities -> Parquet datasets
    backfill manifest lines join as entries carrying their own HTML or text.
"""
from __future__ import annotations

import datetime as dt
import time
from typing import Any, Optional, Sequence, Tuple

import apache_beam as beam
from apache_beam.transforms import trigger, window
from apache_beam.transforms.periodicsequence import PeriodicImpulse

from schemas import Article, FeedEntry, FeedSource, Rejected
from pipeline.options import CfnewsOptions
from transforms.common import count
from transforms.dedup import DedupEntriesByUrl, DeduplicateArticles
from transforms.entities import EnrichEntities
from transforms.extract import ExtractArticles
from transforms.feeds import FEED_LEVEL_REASONS, PollFeedsStateful, ReadFeeds
from transforms.fetch import FetchPages
from transforms.language import DetectLanguage
from transforms.manifest import ReadManifest
from transforms.relevance import ScoreRelevance
from transforms.write import WriteDatasets


class _DropSeen(beam.DoFn):
    """Entries whose article an earlier run already wrote are not processed again."""

    def __init__(self, seen_ids: frozenset):
        self.seen_ids = seen_ids

    def process(self, entry):
        if entry.article_id in self.seen_ids:
            count("cfnews.entries", "already_seen")
            return
        yield entry


class _DropPrior(beam.DoFn):
    def __init__(self, prior_ids: frozenset):
        self.prior_ids = prior_ids

    def process(self, record):
        article = getattr(record, "article", record)
        if article.article_id in self.prior_ids:
            if record is not article:  # history re-judged as a copy of a newer find: keep history
                count("cfnews.dedup", "prior_reclassified_ignored")
            return
        yield record


def _counted(item):
    """Entries polled outside the pipeline still count as seen (feed-level failures do not)."""
    if not (isinstance(item, Rejected) and item.reason in FEED_LEVEL_REASONS):
        count("cfnews.entries", "seen")
    return item


def _pcoll(result):
    """Stages return (main, rejected); accept a bare PCollection too."""
    return result if isinstance(result, tuple) else (result, None)


def build(pipeline: beam.Pipeline, options: CfnewsOptions, run_id: str,
          feeds: Optional[Sequence[FeedSource]] = None, manifest: Optional[str] = None,
          entries: Optional[Sequence[FeedEntry]] = None, extra_records: Sequence = (),
          seen_ids: frozenset = frozenset(), prior_articles: Sequence[Article] = ()):
    """Add the whole flow to `pipeline`; returns the PCollection of written file paths.
    Sources: `feeds` (polled inside the pipeline), a backfill `manifest`, or `entries`
    already polled by the caller (the local continuous mode), with `extra_records`
    (rejections found while polling) written alongside. `prior_articles` (written by earlier
    runs, within the dedup expiry) take part in near-duplicate matching but are not written
    again: a wire copy arriving a cycle after its original is still a duplicate."""
    http = options.http_config()
    rejected = []
    entry_sources = []
    if entries:
        entry_sources.append(pipeline | "Entries" >> beam.Create(list(entries), reshuffle=True)
                             | "CountEntries" >> beam.Map(_counted))
    if extra_records:
        rejected.append(pipeline | "PollRejections" >> beam.Create(list(extra_records),
                                                                     reshuffle=False)
                        | "CountRejectedEntries" >> beam.Map(_counted))
    if feeds:
        entries, bad = (pipeline | "Feeds" >> beam.Create(list(feeds), reshuffle=False)
                        | "ReadFeeds" >> ReadFeeds(http))
        entry_sources.append(entries)
        rejected.append(bad)
    if manifest:
        entries, bad = (pipeline | "Manifest" >> beam.Create([manifest], reshuffle=False)
                        | "ReadManifest" >> ReadManifest())
        entry_sources.append(entries)
        rejected.append(bad)
    if not entry_sources and not rejected:
        raise ValueError("nothing to read: give feeds, a manifest or entries")
    if not entry_sources:
        entry_sources.append(pipeline | "NoEntries" >> beam.Create([]))
    entries = (entry_sources | "AllEntries" >> beam.Flatten()
               | "DropSeen" >> beam.ParDo(_DropSeen(seen_ids)))

    entries, url_duplicates = entries | "OnePerUrl" >> DedupEntriesByUrl()
    pages, bad = entries | "Fetch" >> FetchPages(http)
    rejected.append(bad)
    articles, bad = pages | "Extract" >> ExtractArticles(options.min_chars)
    rejected.append(bad)
    articles, bad = _pcoll(articles | "Language" >> DetectLanguage())
    if bad is not None:
        rejected.append(bad)
    articles, bad = _pcoll(articles | "Relevance" >> ScoreRelevance(
        topic=options.topic, all_topics=options.all_topics))
    if bad is not None:
        rejected.append(bad)
    if prior_articles:
        prior_ids = frozenset(a.article_id for a in prior_articles)
        prior = pipeline | "PriorArticles" >> beam.Create(list(prior_articles), reshuffle=False)
        articles = (articles, prior) | "WithPrior" >> beam.Flatten()
    articles, near_duplicates = articles | "Dedup" >> DeduplicateArticles(
        options.dedup_threshold, expiry=dt.timedelta(days=options.dedup_expiry_days),
        prior_ids=prior_ids if prior_articles else frozenset())
    if prior_articles:  # already written: only their company was needed
        articles = articles | "DropPrior" >> beam.ParDo(_DropPrior(prior_ids))
        near_duplicates = near_duplicates | "DropPriorDuplicates" >> beam.ParDo(_DropPrior(prior_ids))
    articles, bad = _pcoll(articles | "Entities" >> EnrichEntities())
    if bad is not None:
        rejected.append(bad)

    outputs = [articles, url_duplicates, near_duplicates] + rejected
    return (outputs | "AllOutputs" >> beam.Flatten()
            | "Write" >> WriteDatasets(out_dir=options.out, run_id=run_id))


def output_windowing(options: CfnewsOptions):
    """Fixed windows for writing: each window's files are finalised when the watermark
    passes its end; late rows (within the allowed lateness) go out in later panes, each pane
    to files of its own."""
    return beam.WindowInto(
        window.FixedWindows(options.window_seconds),
        trigger=trigger.AfterWatermark(late=trigger.AfterCount(1)),
        allowed_lateness=options.allowed_lateness,
        accumulation_mode=trigger.AccumulationMode.DISCARDING)


def build_streaming(pipeline: beam.Pipeline, options: CfnewsOptions, run_id: str,
                    feeds: Sequence[FeedSource], ticks=None):
    """The unbounded graph (Dataflow, Flink, Prism): the same stages, fed by a periodic
    impulse, with per-feed keyed state for validators and seen ids, keyed dedup state with
    event-time expiry, and windowed writes. `ticks` replaces the impulse in tests."""
    from transforms.dedup_stream import StreamingDedupEntries, StreamingDeduplicate
    http = options.http_config()
    if ticks is None:
        ticks = pipeline | "Ticks" >> PeriodicImpulse(
            start_timestamp=time.time(), fire_interval=options.poll_interval)
    sources = list(feeds)
    keyed = ticks | "EveryFeed" >> beam.FlatMap(
        lambda _tick: [(f.url, f) for f in sources]).with_output_types(Tuple[str, Any])
    entries, feed_rejected = keyed | "PollFeeds" >> PollFeedsStateful(
        http, seen_ttl=options.seen_ttl_days * 86400)
    expiry = dt.timedelta(days=options.dedup_expiry_days)
    entries, url_duplicates = entries | "OnePerUrl" >> StreamingDedupEntries(expiry=expiry)
    pages, fetch_rejected = entries | "Fetch" >> FetchPages(http)
    articles, extract_rejected = pages | "Extract" >> ExtractArticles(options.min_chars)
    articles, _ = _pcoll(articles | "Language" >> DetectLanguage())
    articles, relevance_rejected = _pcoll(articles | "Relevance" >> ScoreRelevance(
        topic=options.topic, all_topics=options.all_topics))
    # One-second arrival slots: a poll's entries all carry their tick's timestamp, so each
    # tick is still one slot, and decisions (stamped at the slot's end) stay in the window
    # of their arrival instead of slipping into the next one (latency <= window + work).
    articles, near_duplicates = articles | "Dedup" >> StreamingDeduplicate(
        threshold=options.dedup_threshold, expiry=expiry, hold=dt.timedelta(seconds=1))
    articles, entity_rejected = _pcoll(articles | "Entities" >> EnrichEntities())
    outputs = [articles, url_duplicates, near_duplicates, feed_rejected, fetch_rejected,
               extract_rejected, relevance_rejected]
    if entity_rejected is not None:
        outputs.append(entity_rejected)
    return (outputs | "AllOutputs" >> beam.Flatten()
            | "OutputWindows" >> output_windowing(options)
            | "Write" >> WriteDatasets(out_dir=options.out, run_id=run_id))
