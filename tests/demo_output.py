"""One offline demo run shared by the tests that only read its output (consumers, report).
Import the fixture into a test module: `from tests.demo_output import demo_output`."""
from __future__ import annotations

import dataclasses
import logging
from typing import List

import pytest

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


@pytest.fixture(scope="session")
def demo_output(tmp_path_factory) -> DemoOutput:
    out = str(tmp_path_factory.mktemp("demo-output") / "out")
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
