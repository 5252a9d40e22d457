"""Which runner runs a job locally: Beam's FnApiRunner, with faster worker processes in
multi_processing mode (see pipeline/local_workers.py for why and how)."""
from __future__ import annotations

import sys
import weakref
from typing import Optional

from apache_beam.options.pipeline_options import DirectOptions, PipelineOptions, StandardOptions
from apache_beam.portability import python_urns
from apache_beam.runners.portability.fn_api_runner import FnApiRunner

from cfnews.pipeline import local_workers

BEAM_WORKER_COMMAND = f"{sys.executable} -m apache_beam.runners.worker.sdk_worker_main"


class LocalWorkerOptions(PipelineOptions):
    """Local runs only (not a cfnews option of the job, so not a Dataflow template parameter)."""

    @classmethod
    def _add_argparse_args(cls, parser):
        parser.add_argument("--local_worker_start", choices=("fork", "spawn"), default="fork",
                            help="FnApiRunner multi_processing: fork workers from a process "
                                 "that has loaded the libraries and models once (Linux), or "
                                 "start each as a fresh interpreter")


class LocalProcessesRunner(FnApiRunner):
    """FnApiRunner whose multi_processing workers are forked from a warm zygote (or, without
    one, are fresh interpreters that skip finalisation). The zygote is stopped when the job
    ends, or when the runner is garbage-collected if the job never ran."""

    def __init__(self, zygote: Optional[local_workers.Zygote] = None):
        super().__init__()
        self._zygote = zygote
        if zygote is not None:
            weakref.finalize(self, zygote.close)

    def run_via_runner_api(self, pipeline_proto, options):
        command = local_workers.worker_command(self._zygote.socket_path if self._zygote else None)
        for environment in pipeline_proto.components.environments.values():
            if (environment.urn == python_urns.SUBPROCESS_SDK
                    and environment.payload == BEAM_WORKER_COMMAND.encode()):
                environment.payload = command.encode()
        try:
            return super().run_via_runner_api(pipeline_proto, options)
        finally:
            if self._zygote is not None:
                self._zygote.close()


def runner_for(options) -> Optional[LocalProcessesRunner]:
    """A LocalProcessesRunner for FnApiRunner jobs in multi_processing mode (its zygote
    starts loading now, while the graph is built); None otherwise: the runner named in the
    options runs the job as usual."""
    runner = (options.view_as(StandardOptions).runner or "").split(".")[-1].lower()
    if runner != "fnapirunner":
        return None
    if options.view_as(DirectOptions).direct_running_mode != "multi_processing":
        return None
    fork = (options.view_as(LocalWorkerOptions).local_worker_start == "fork"
            and local_workers.fork_supported())
    return LocalProcessesRunner(local_workers.Zygote() if fork else None)
