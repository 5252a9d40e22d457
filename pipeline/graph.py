"""Assembles the cfnews graphs from options. No stage logic lives here: every mode runs the
one composite `transforms.ingest.IngestEntries` and differs only in what it passes in.

    entries (feeds read here, with their due retries | entries polled by the caller
             | a backfill manifest | WARC files | stateful polling in streaming)
        -> IngestEntries (batch or streaming dedup) -> records -> WriteDatasets
"""
from __future__ import annotations

import datetime as dt
import time
from typing import Any, Optional, Sequence, Tuple

import apache_beam as beam
from apache_beam.transforms import trigger, window
from apache_beam.transforms.periodicsequence import PeriodicImpulse

from cfnews.schemas import FeedEntry, FeedSource, Rejected
from cfnews.pipeline.options import CfnewsOptions
from cfnews.transforms.common import count
from cfnews.transforms.feeds import FEED_LEVEL_REASONS, PollFeedsStateful, ReadFeeds
from cfnews.transforms.ingest import BatchDedup, IngestEntries, StreamingDedup
from cfnews.transforms.manifest import ReadManifest
from cfnews.transforms.warc import OutletRule, ReadWarc
from cfnews.transforms.write import WriteDatasets


def _counted(item):
    """Entries polled outside the pipeline still count as seen (feed-level failures do not)."""
    if not (isinstance(item, Rejected) and item.reason in FEED_LEVEL_REASONS):
        count("cfnews.entries", "seen")
    return item


def ingest(options: CfnewsOptions, dedup) -> IngestEntries:
    return IngestEntries(dedup, http=options.http_config(), min_chars=options.min_chars,
                         topic=options.topic, all_topics=options.all_topics)


def build(pipeline: beam.Pipeline, options: CfnewsOptions, run_id: str,
          feeds: Optional[Sequence[FeedSource]] = None, manifest: Optional[str] = None,
          entries: Optional[Sequence[FeedEntry]] = None, extra_records: Sequence = (),
          warc: Sequence[str] = (), warc_outlets: Optional[OutletRule] = None):
    """Add the bounded flow to `pipeline`; returns the PCollection of written file paths.
    Sources: `feeds` (polled inside the pipeline), a backfill `manifest`, `warc` files
    (paths or globs; `warc_outlets` assigns their records' outlets), or `entries`
    already polled by the caller (the local continuous mode), with `extra_records`
    (rejections found while polling) written alongside. What earlier runs wrote under
    --out is read by the job's workers (transforms/history.py), unless --reprocess.
    With `feeds`, which have no journal here, the entries of those feeds whose page failed
    transiently and is due again are fetched whether or not the feeds still list them
    (history.RetryUnlisted); a caller's `entries` come with their journal's retries, and a
    manifest's lines bring their pages (nothing fetched, nothing to retry; the feeds'
    retries wait for a run that polls them)."""
    http = options.http_config()
    dedup = BatchDedup(options.dedup_threshold, dt.timedelta(days=options.dedup_expiry_days),
                       history_dir=None if options.reprocess else options.out, job_key=run_id,
                       retry_wait=options.retry_wait)
    source_rejected = []
    entry_sources = []
    if entries:
        entry_sources.append(pipeline | "Entries" >> beam.Create(list(entries), reshuffle=True)
                             | "CountEntries" >> beam.Map(_counted))
    if extra_records:
        source_rejected.append(pipeline | "PollRejections" >> beam.Create(list(extra_records),
                                                                            reshuffle=False)
                               | "CountRejectedEntries" >> beam.Map(_counted))
    if feeds:
        sources = pipeline | "Feeds" >> beam.Create(list(feeds), reshuffle=False)
        read, bad = sources | "ReadFeeds" >> ReadFeeds(http)
        entry_sources.append(read)
        source_rejected.append(bad)
        retries = dedup.retries()
        if retries is not None:  # no journal here: the feeds' due retries they no longer list
            entry_sources.append((sources, read) | "Retries" >> retries)
    if manifest:
        read, bad = (pipeline | "Manifest" >> beam.Create([manifest], reshuffle=False)
                     | "ReadManifest" >> ReadManifest())
        entry_sources.append(read)
        source_rejected.append(bad)
    if warc:
        read, bad = (pipeline | "Warc" >> beam.Create([list(warc)], reshuffle=False)
                     | "ReadWarc" >> ReadWarc(warc_outlets or OutletRule()))
        entry_sources.append(read)
        source_rejected.append(bad)
    if not entry_sources and not source_rejected:
        raise ValueError("nothing to read: give feeds, a manifest, WARC files or entries")
    if not entry_sources:
        entry_sources.append(pipeline | "NoEntries" >> beam.Create([]))
    all_entries = entry_sources | "AllEntries" >> beam.Flatten()
    records = all_entries | "Ingest" >> ingest(options, dedup)
    if dedup.history_dir:  # rows a source rejects carry stable ids too: a rerun adds none
        source_rejected = [rejected | f"RejectedNotWrittenBefore{i}" >> dedup.drop_seen()
                           for i, rejected in enumerate(source_rejected)]
    return ([records] + source_rejected | "AllOutputs" >> beam.Flatten()
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
                    feeds: Sequence[FeedSource], ticks=None, job_lease: bool = False):
    """The unbounded graph (Dataflow, Flink, Prism): a periodic impulse polls every feed,
    per-feed keyed state holds validators and seen ids, the same ingest composite runs with
    keyed-state dedup, and output is written per window. `ticks` replaces the impulse in
    tests. With `job_lease` (a job its launcher leaves running, on gs:// or s3://), a tick
    polls only while the job holds the folder's writer lease (pipeline/job_lease.py)."""
    if ticks is None:
        ticks = pipeline | "Ticks" >> PeriodicImpulse(
            start_timestamp=time.time(), fire_interval=options.poll_interval)
    if job_lease and "://" in options.out:
        from cfnews.pipeline.job_lease import HoldJobLease, job_lease_seconds, store_options
        ticks = ticks | "HoldLease" >> HoldJobLease(
            options.out, run_id, job_lease_seconds(options.poll_interval), store_options(options))
    sources = list(feeds)
    keyed = ticks | "EveryFeed" >> beam.FlatMap(
        lambda _tick: [(f.url, f) for f in sources]).with_output_types(Tuple[str, Any])
    # ids the keyed state lacks are looked up in what earlier runs wrote (a job started
    # afresh on the folder has empty state), as the bounded graph's DropSeen does
    entries, feed_rejected = keyed | "PollFeeds" >> PollFeedsStateful(
        options.http_config(), seen_ttl=options.seen_ttl_days * 86400,
        history_dir=None if options.reprocess else options.out, job_key=run_id)
    # a page that failed transiently is fetched again by the job (transforms/fetch.py), as
    # later runs fetch it again in batch: the poller's state holds its id as seen
    dedup = StreamingDedup(options.dedup_threshold, dt.timedelta(days=options.dedup_expiry_days),
                           history_dir=None if options.reprocess else options.out, job_key=run_id,
                           retry_wait=options.retry_wait)
    records = entries | "Ingest" >> ingest(options, dedup)
    return ((records, feed_rejected) | "AllOutputs" >> beam.Flatten()
            | "OutputWindows" >> output_windowing(options)
            | "Write" >> WriteDatasets(out_dir=options.out, run_id=run_id))
