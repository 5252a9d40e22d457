"""One offline demo run shared by the tests that only read its output (consumers, report):
the session fixture `demo_output` of conftest.py runs it once per test process (a fixture
imported into each test module was a fixture of that module, run once per module)."""
from __future__ import annotations

import dataclasses
import logging
from typing import List

from cfnews.pipeline.demo.site import DemoSite
from cfnews.pipeline.runner import make_options, run_job
from cfnews.pipeline.summary import RunSummary


@dataclasses.dataclass
class DemoOutput:
    out: str
    summary: RunSummary
    warnings: List[str]  # WARNING+ log messages emitted during the run


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def run_demo(out: str) -> DemoOutput:
    handler = _Collect()
    logging.getLogger().addHandler(handler)
    try:
        with DemoSite() as site:
            options = make_options(["--runner=FnApiRunner"], out=out,
                                   allow_hosts=site.allow_hosts, min_host_delay=0.0)
            summary = run_job(options, feeds=site.feeds)
    finally:
        logging.getLogger().removeHandler(handler)
    assert summary.adds_up, summary.render()
    return DemoOutput(out=out, summary=summary, warnings=handler.messages)
