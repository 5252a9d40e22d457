"""Run one bounded cfnews job (feeds once, a backfill manifest or WARC files) and summarise it."""
from __future__ import annotations

import contextlib
import datetime as dt
import logging
import math
import secrets
from typing import Optional, Sequence

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions

from cfnews.pipeline import progress
from cfnews.pipeline.graph import build
from cfnews.pipeline.local_runner import runner_for
from cfnews.pipeline.options import CfnewsOptions
from cfnews.pipeline.summary import RunSummary, summarise
from cfnews.schemas import FeedEntry, FeedSource
from cfnews.transforms.history import forget_history
from cfnews.transforms.write import remove_staging

log = logging.getLogger(__name__)

# The DirectRunner first tries Prism, whose binary it downloads: pick the in-process
# FnApiRunner unless the user chose a runner.
DEFAULT_RUNNER = "FnApiRunner"
# runners whose workers are this process (or its children): no launcher/worker split
LOCAL_RUNNERS = ("directrunner", "fnapirunner", "bundlebaseddirectrunner", "switchingdirectrunner")


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
            extra_records: Sequence = (), run_id: Optional[str] = None,
            warc: Sequence[str] = (), warc_outlets=None) -> RunSummary:
    if not options.out:
        raise ValueError("--out is required")
    run_id = run_id or options.run_id or new_run_id()
    runner = runner_for(options)      # first: a zygote loads the workers' libraries meanwhile
    pipeline = job_pipeline(options, run_id, runner, feeds=feeds, manifest=manifest,
                            entries=entries, extra_records=extra_records, warc=warc,
                            warc_outlets=warc_outlets)
    if is_dry_run(options):  # translated (and validated) only: nothing ran, nothing to sum up
        pipeline.run()
        return RunSummary(run_id=run_id, out_dir=options.out, dry_run=True)
    pack_history(options)
    with progress.running(), _quiet_interrupts():  # live progress (pipeline/progress.py)
        try:
            result = pipeline.run()
            result.wait_until_finish()
        except Exception as exc:
            stop = interruption(exc)
            if stop is not None:  # Ctrl-C (or SIGTERM) inside a stage: the command's status
                raise stop.with_traceback(None) from None
            raise
        finally:  # in-process workers opened the job's history here: `run --every` keeps none
            forget_history(options.out, run_id)
    remove_staging(options.out, run_id)
    return summarise(result, run_id, options.out)


def pack_history(options, today: Optional[dt.date] = None) -> None:
    """On an object store, before a managed runner's job: bring the history index up to date
    here, once, rather than in each of the job's workers (transforms/history_remote.py): the
    ids of every file, and the stores of the dates within the dedup expiry. A local runner's
    workers are this process. Never fails the run: the index is derived data."""
    runner = (options.view_as(StandardOptions).runner or DEFAULT_RUNNER).split(".")[-1].lower()
    if "://" not in options.out or runner in LOCAL_RUNNERS or is_dry_run(options):
        return
    today = today or dt.datetime.now(dt.timezone.utc).date()
    since = today - dt.timedelta(days=math.ceil(options.dedup_expiry_days) + 2)
    try:
        from cfnews.transforms.history_remote import pack_ahead
        index = pack_ahead(options.out, since.isoformat())
        log.info("history index of %s: %s", options.out, "; ".join(index.notes))
    except Exception as exc:
        log.warning("history index of %s not brought up to date before the job (%s: %s): its "
                    "workers read what no pack covers", options.out, type(exc).__name__, exc)


def interruption(exc: Optional[BaseException]) -> Optional[KeyboardInterrupt]:
    """The KeyboardInterrupt `exc` is, or was raised while handling (else None): Beam re-raises
    a Ctrl-C that lands inside a stage as RuntimeError('KeyboardInterrupt [while running ...]')."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


class _DropInterrupts(logging.Filter):
    """Beam logs a stage's exception with its traceback before re-raising it: not for a Ctrl-C."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and interruption(record.exc_info[1]) is not None)


@contextlib.contextmanager
def _quiet_interrupts():
    beam_log = logging.getLogger("apache_beam.runners.common")
    drop = _DropInterrupts()
    beam_log.addFilter(drop)
    try:
        yield
    finally:
        beam_log.removeFilter(drop)


def job_pipeline(options: CfnewsOptions, run_id: str, runner=None, **sources) -> beam.Pipeline:
    """The bounded job as submitted. It carries only the output's location, never its
    contents: the job's workers read the history (transforms/history.py), so the job's size
    does not grow with the lake."""
    pipeline = beam.Pipeline(runner=runner, options=options)
    build(pipeline, options, run_id, **sources)
    return pipeline


def is_dry_run(options) -> bool:
    """--dry_run=True (Beam's TestOptions; the DataflowRunner then translates and validates
    the job without submitting it)."""
    from apache_beam.options.pipeline_options import TestOptions
    return str(options.view_as(TestOptions).dry_run).strip().lower() in ("true", "1", "yes")
