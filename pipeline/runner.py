"""Run one bounded cfnews job (feeds once, or a backfill manifest) and summarise it."""
from __future__ import annotations

import datetime as dt
import logging
import secrets
from typing import Optional, Sequence

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions

from pipeline import progress
from pipeline.graph import build
from pipeline.history import recent_articles, seen_article_ids
from pipeline.local_runner import runner_for
from pipeline.options import CfnewsOptions
from pipeline.summary import RunSummary, summarise
from schemas import FeedEntry, FeedSource
from transforms.write import remove_staging

log = logging.getLogger(__name__)

# The DirectRunner first tries Prism, whose binary it downloads: pick the in-process
# FnApiRunner unless the user chose a runner.
DEFAULT_RUNNER = "FnApiRunner"


def new_run_id(now: Optional[dt.datetime] = None) -> str:
    now = now or dt.datetime.now(dt.timezone.utc)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def make_options(beam_args: Sequence[str], **cfnews_values) -> CfnewsOptions:
    """PipelineOptions from Beam flags plus cfnews values given as keywords."""
    args = list(beam_args)
    options = PipelineOptions(args, **{k: v for k, v in cfnews_values.items() if v is not None})
    if not options.view_as(StandardOptions).runner:
        options.view_as(StandardOptions).runner = DEFAULT_RUNNER
    return options.view_as(CfnewsOptions)


def run_job(options: CfnewsOptions, feeds: Optional[Sequence[FeedSource]] = None,
            manifest: Optional[str] = None, entries: Optional[Sequence[FeedEntry]] = None,
            extra_records: Sequence = (), run_id: Optional[str] = None) -> RunSummary:
    if not options.out:
        raise ValueError("--out is required")
    run_id = run_id or options.run_id or new_run_id()
    runner = runner_for(options)      # first: a zygote loads the workers' libraries meanwhile
    seen = frozenset() if options.reprocess else seen_article_ids(options.out)
    since = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=options.dedup_expiry_days)
    prior = [] if options.reprocess else recent_articles(options.out, since)
    pipeline = beam.Pipeline(runner=runner, options=options)
    build(pipeline, options, run_id, feeds=feeds, manifest=manifest, entries=entries,
          extra_records=extra_records, seen_ids=seen, prior_articles=prior)
    with progress.running():  # live progress of a local run (pipeline/progress.py)
        result = pipeline.run()
        result.wait_until_finish()
    remove_staging(options.out, run_id)
    return summarise(result, run_id, options.out)
