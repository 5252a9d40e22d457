"""What every stage shares: the tagged output for dead letters, and a DoFn base that turns
each element into results or `Rejected` rows without ever letting an exception escape."""
from __future__ import annotations

import logging
import os
import signal
import time
import traceback
from typing import Any, Iterable

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.pvalue import TaggedOutput

from cfnews.schemas import Article, FeedEntry, FeedSource, Page, Reason, Rejected
from cfnews.transforms import tally

MAIN = "main"
REJECTED = "rejected"

log = logging.getLogger(__name__)


def rejected_from(element: Any, stage, reason, error: str = "") -> Rejected:
    """A `Rejected` row for any element a stage can receive."""
    if isinstance(element, Page):
        element = element.entry
    if isinstance(element, FeedEntry):
        return Rejected.for_entry(element, stage, reason, error=error)
    if isinstance(element, Article):
        return Rejected.for_article(element, stage, reason, error=error)
    if isinstance(element, FeedSource):
        return Rejected(stage=getattr(stage, "value", stage), reason=getattr(reason, "value", reason),
                        outlet=element.outlet, url=element.url, feed_url=element.url, error=error)
    return Rejected(stage=getattr(stage, "value", stage), reason=getattr(reason, "value", reason),
                    outlet="_unknown", url="", error=f"{error} (element: {type(element).__name__})")


def internal_error_row(element: Any, stage, exc: BaseException) -> Rejected:
    """The `internal_error` row for an element whose stage raised: the exception and the last
    frames of its traceback, so the row says what to fix and the run goes on."""
    log.warning("stage %s failed on an element: %s", getattr(stage, "value", stage), exc)
    detail = f"{type(exc).__name__}: {exc}\n" + "".join(
        traceback.format_exception(type(exc), exc, exc.__traceback__, limit=3))
    return rejected_from(element, stage, Reason.INTERNAL_ERROR, detail)


def crash_point(name: str) -> None:
    """Test hook for crash-safety tests: with CFNEWS_CRASH_AT=<name> in the environment the
    process kills itself here, as `kill -9` would. Inert otherwise."""
    if os.environ.get("CFNEWS_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


def count(namespace: str, name: str, n: int = 1) -> None:
    """A Beam counter (the summary's source), also sent to a local run's progress line."""
    Metrics.counter(namespace, name).inc(n)
    tally.add(namespace, name, n)


def distribution(namespace: str, name: str, value: int) -> None:
    """A Beam distribution (count, sum, min, max): per-stage timings and sizes that
    distributed runners show beside the counters."""
    Metrics.distribution(namespace, name).update(int(value))


class StageDoFn(beam.DoFn):
    """Base DoFn of a stage. Subclasses set `stage` and implement `handle(element)`, which
    yields output records and/or `Rejected` rows. Rejected rows go to the REJECTED tag and
    are counted as `cfnews.rejected/<stage>.<reason>`; an unexpected exception becomes one
    `internal_error` row for the element instead of failing the bundle."""

    stage = None  # a schemas.Stage

    def handle(self, element) -> Iterable[Any]:
        raise NotImplementedError

    def process(self, element):
        stage = self.stage.value
        started = time.perf_counter()
        try:
            results = list(self.handle(element))
        except Exception as exc:  # a stage must never crash the pipeline on one element
            # a batch (list) element rejects each of its members: none may vanish
            members = element if isinstance(element, list) else [element]
            results = [internal_error_row(m, self.stage, exc) for m in members]
        distribution("cfnews.stage_ms", stage, (time.perf_counter() - started) * 1000)
        for result in results:
            if isinstance(result, Rejected):
                count("cfnews.rejected", f"{result.stage}.{result.reason}")
                yield TaggedOutput(REJECTED, result)
            else:
                count("cfnews.stage_out", stage)
                yield result

    def finish_bundle(self):
        tally.flush()  # counts of a bundle's last elements reach the progress line now


def run_stage(pcoll, label: str, dofn: StageDoFn):
    """Apply a StageDoFn; returns (main, rejected) PCollections."""
    outputs = pcoll | label >> beam.ParDo(dofn).with_outputs(REJECTED, main=MAIN)
    return outputs[MAIN], outputs[REJECTED]
