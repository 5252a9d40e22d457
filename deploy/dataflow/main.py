"""Entry point of the cfnews Flex Template (FLEX_TEMPLATE_PYTHON_PY_FILE), usable by hand too.

    python deploy/dataflow/main.py --out=gs://BUCKET/cfnews
                                   [--feeds=FILE | --manifest=FILE | --warc=GLOB[,GLOB...]]
                                   [--streaming] [any cfnews or Beam pipeline option]

Without --streaming it runs one bounded job: every feed polled once (`cfnews run --once`), a
backfill manifest (`cfnews backfill`), or web archives (`cfnews backfill --warc`: their records'
outlets from --warc_outlet, else from the feeds file's hosts, else from the host). With
--streaming it builds the streaming graph and submits it. With neither --feeds, --manifest nor
--warc it polls the feeds.yaml baked into the image.

Flex Templates pass every parameter as --name=value, flags included (`--reprocess=true`):
those become bare flags, and comma-separated lists become separate values, before Beam parses
them.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import List, Optional, Sequence

from apache_beam.options.pipeline_options import (PipelineOptions, SetupOptions,
                                                  StandardOptions, WorkerOptions,
                                                  _BeamArgumentParser)

from cfnews.pipeline.options import CfnewsOptions
from cfnews.schemas import is_outlet_id as _is_outlet_id

log = logging.getLogger("cfnews.template")

# Where the Dockerfile puts the repository's feeds.yaml.
BAKED_FEEDS = os.environ.get("CFNEWS_FEEDS", "/template/feeds.yaml")
DEFAULT_RUNNER = "DataflowRunner"


def option_parser() -> argparse.ArgumentParser:
    """A strict parser of every pipeline option known to this process (Beam's and cfnews'),
    built the way PipelineOptions builds its own."""
    parser = _BeamArgumentParser(allow_abbrev=False)
    classes = {}
    for cls in PipelineOptions.__subclasses__():
        classes.setdefault(str(cls), cls)
    for cls in classes.values():
        cls._add_argparse_args(parser)  # pylint: disable=protected-access
    return parser


def _actions_by_option(parser: argparse.ArgumentParser) -> dict:
    return {option: action for action in parser._actions  # pylint: disable=protected-access
            for option in action.option_strings}


def template_args_to_beam(argv: Sequence[str], parser: Optional[argparse.ArgumentParser] = None
                          ) -> List[str]:
    """Template parameters -> Beam arguments: --flag=true -> --flag; --flag=false -> nothing;
    --list=a,b -> --list a b. Other arguments pass unchanged."""
    actions = _actions_by_option(parser or option_parser())
    out = []
    for arg in argv:
        name, eq, value = arg.partition("=")
        action = actions.get(name)
        if not eq or action is None:
            out.append(arg)
        elif isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction)):
            wanted = value.strip().lower()
            if wanted not in ("true", "false"):
                raise SystemExit(f"{name}: expected true or false, got {value!r}")
            if (wanted == "true") == bool(action.const):
                out.append(name)
        elif action.nargs in ("*", "+"):
            out += [name] + [v.strip() for v in value.split(",") if v.strip()]
        else:
            out.append(arg)
    return out


def _workers_use_this_image(options: PipelineOptions) -> None:
    """Inside the template image, workers run the same image (CFNEWS_IMAGE, set at build time)
    with the SDK already installed in it, unless the caller chose otherwise."""
    image = os.environ.get("CFNEWS_IMAGE")
    worker = options.view_as(WorkerOptions)
    setup = options.view_as(SetupOptions)
    if image and not worker.sdk_container_image:
        worker.sdk_container_image = image
    if image and setup.sdk_location == "default":
        setup.sdk_location = "container"


def finish_killed_compactions(options) -> None:
    """What a killed `cfnews compact` left, finished before the job reads the datasets (as
    every writing command does), with the store's options."""
    from apache_beam.io.filesystems import FileSystems
    from cfnews.pipeline import compact
    FileSystems.set_options(options)
    compact.finish_killed_compactions(options.view_as(CfnewsOptions).out)


def main(argv: Optional[Sequence[str]] = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = template_args_to_beam(list(sys.argv[1:] if argv is None else argv))
    options = PipelineOptions(args)
    if not options.view_as(StandardOptions).runner:
        options.view_as(StandardOptions).runner = DEFAULT_RUNNER
    _workers_use_this_image(options)
    cfnews = options.view_as(CfnewsOptions)
    if not cfnews.out:
        print("cfnews template: --out is required", file=sys.stderr)
        return 2
    if cfnews.warc_outlet is not None and not _is_outlet_id(cfnews.warc_outlet):
        print(f"cfnews template: --warc_outlet {cfnews.warc_outlet!r} is not an outlet id",
              file=sys.stderr)
        return 2
    feeds = None
    if cfnews.feeds or not cfnews.manifest:   # with --warc: the hosts that name outlets
        from cfnews.pipeline.feeds_file import FeedsFileError, load_feeds
        source = cfnews.feeds or BAKED_FEEDS
        try:
            feeds = load_feeds(source)
        except FeedsFileError as exc:
            print(f"cfnews template: {source}: {exc}", file=sys.stderr)
            return 2

    from cfnews.pipeline.exit_codes import OUTPUT_LOCKED
    from cfnews.pipeline.lock import OutputLocked, hold_output
    if options.view_as(StandardOptions).streaming:
        import apache_beam as beam
        from cfnews.pipeline.job_lease import lease_for_job
        from cfnews.pipeline.graph import build_streaming
        from cfnews.pipeline.runner import new_run_id, pack_history
        run_id = cfnews.run_id or new_run_id()
        pipeline = beam.Pipeline(options=options)
        build_streaming(pipeline, cfnews, run_id, feeds, job_lease=True)
        try:   # taken here, then handed to the job, which keeps it while it runs
            with hold_output(cfnews.out, "template", args) as held:
                finish_killed_compactions(options)
                pack_history(cfnews)
                with lease_for_job(held, cfnews, run_id):
                    result = pipeline.run()
                log.info("streaming job submitted: %s", getattr(result, "job_id", lambda: "?")())
        except OutputLocked as exc:
            print(f"cfnews template: {exc}", file=sys.stderr)
            return OUTPUT_LOCKED
        return 0

    from cfnews.pipeline.runner import run_job
    try:   # one writer per output folder: the launcher holds the lease while the job runs
        with hold_output(cfnews.out, "template", args):
            finish_killed_compactions(options)
            if cfnews.warc:
                from cfnews.transforms.warc import OutletRule
                summary = run_job(cfnews, warc=cfnews.warc, warc_outlets=OutletRule.from_feeds(
                    feeds or [], outlet=cfnews.warc_outlet or ""))
            else:
                summary = run_job(cfnews, feeds=feeds, manifest=cfnews.manifest)
    except OutputLocked as exc:
        print(f"cfnews template: {exc}", file=sys.stderr)
        return OUTPUT_LOCKED
    print(summary.render())
    return 0 if summary.adds_up else 1


if __name__ == "__main__":
    sys.exit(main())
