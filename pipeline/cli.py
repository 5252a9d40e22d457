"""The `cfnews` command line. Flags it does not know are Beam pipeline options
(--runner, --direct_running_mode, --direct_num_workers, --project, ...).

    cfnews demo --out DIR                          offline demo: local site, full pipeline
    cfnews run --feeds feeds.yaml --out DIR --once poll every feed once
    cfnews backfill --manifest pages.jsonl --out DIR
"""
from __future__ import annotations

import argparse
import logging
import sys
from typing import List, Optional


def duration(text: str) -> float:
    """Seconds from '90', '90s', '10m', '1h', '1d'."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    text = text.strip().lower()
    try:
        if text and text[-1] in units:
            value = float(text[:-1]) * units[text[-1]]
        else:
            value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (try 90s, 10m, 1h)") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"duration must be positive: {text!r}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cfnews", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-v", "--verbose", action="store_true", help="log at INFO level")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p):
        p.add_argument("--out", required=True, help="output folder (local, gs://, s3://)")
        p.add_argument("--all-topics", "--all_topics", dest="all_topics", action="store_true",
                       help="turn the topic filter off (relevance is still scored)")
        p.add_argument("--topic", default=None,
                       help="topic file or bundled topic name (default: china_france)")

    demo = sub.add_parser("demo", help="run the pipeline on the built-in offline demo site")
    common(demo)
    run = sub.add_parser("run", help="poll feeds and process what is new")
    common(run)
    run.add_argument("--feeds", required=True, help="feeds file (YAML)")
    when = run.add_mutually_exclusive_group()
    when.add_argument("--once", action="store_true", help="poll each feed once, then exit")
    when.add_argument("--every", type=duration, metavar="DURATION",
                      help="keep polling: a cycle every DURATION (e.g. 10m, 90s, 1h); "
                           "Ctrl-C stops after the current cycle")
    run.add_argument("--min-poll", type=duration, default=300.0, metavar="DURATION",
                     help="shortest interval between polls of one feed (default 5m)")
    run.add_argument("--max-poll", type=duration, default=6 * 3600.0, metavar="DURATION",
                     help="longest interval between polls of one feed (default 6h)")
    run.add_argument("--full-fetch-every", type=int, default=12, metavar="N",
                     help="every N-th poll of a feed ignores its ETag/Last-Modified (default 12)")
    run.add_argument("--max-cycles", type=int, default=None, help=argparse.SUPPRESS)
    backfill = sub.add_parser("backfill", help="ingest saved pages from a JSONL manifest")
    common(backfill)
    backfill.add_argument("--manifest", required=True, help="JSONL manifest of saved pages")
    backfill.add_argument("--manifest-root", "--manifest_root", dest="manifest_root",
                          default=None, metavar="DIR",
                          help="where html_file may point (default: the manifest's folder)")
    compact = sub.add_parser("compact", help="merge small files of closed date partitions")
    compact.add_argument("--out", required=True, help="output folder (local filesystem)")
    compact.add_argument("--before", default=None, metavar="YYYY-MM-DD",
                         help="compact partitions dated before this day (default: yesterday)")
    compact.add_argument("--target-mb", type=float, default=128.0,
                         help="target file size in MiB (default 128)")
    report = sub.add_parser("report", help="write a self-contained HTML report of an output")
    report.add_argument("--out", required=True, help="output folder to report on")
    report.add_argument("--html", required=True, help="HTML file to write")
    sub.add_parser("options", help="list cfnews' pipeline options (Beam's are listed by Beam)")
    return parser


LOCAL_RUNNERS = ("directrunner", "fnapirunner", "bundlebaseddirectrunner", "switchingdirectrunner")


def _run_streaming(options, feeds, args) -> int:
    """Submit the unbounded graph. Local runners run an unbounded source like a batch job
    (output only when it stops), so they are refused: use --every locally."""
    import apache_beam as beam
    from apache_beam.options.pipeline_options import StandardOptions
    from pipeline.graph import build_streaming
    from pipeline.runner import new_run_id
    runner = (options.view_as(StandardOptions).runner or "").split(".")[-1].lower()
    if runner in LOCAL_RUNNERS:
        print(f"cfnews run --streaming: the {runner} holds windowed output until the source "
              "stops; locally, use --every DURATION (a loop of bounded runs with durable state). "
              "--streaming is for Dataflow, Flink or Prism.", file=sys.stderr)
        return 2
    run_id = options.run_id or new_run_id()
    pipeline = beam.Pipeline(options=options)
    build_streaming(pipeline, options, run_id, feeds)
    result = pipeline.run()
    print(f"streaming job submitted (run id {run_id}); state: {result.state}")
    return 0


# Commands that write into --out: each holds the folder's writer lock while it works.
WRITING_COMMANDS = ("demo", "run", "backfill", "compact")


def main(argv: Optional[List[str]] = None) -> int:
    args, beam_args = _parser().parse_known_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if args.command not in WRITING_COMMANDS:
        return _command(args, beam_args)
    from pipeline.lock import EXIT_LOCKED, OutputLocked, hold_output
    try:
        with hold_output(args.out, args.command):
            return _command(args, beam_args)
    except OutputLocked as exc:
        print(f"cfnews {args.command}: {exc}", file=sys.stderr)
        return EXIT_LOCKED


def _command(args, beam_args) -> int:
    from pipeline.runner import make_options, run_job  # heavy imports after arg parsing

    if args.command == "compact":
        import datetime as dt
        from pipeline.compact import CompactionError, compact
        try:
            before = dt.date.fromisoformat(args.before) if args.before else None
            report = compact(args.out, before, int(args.target_mb * 1024 * 1024))
        except (CompactionError, ValueError) as exc:
            print(f"cfnews compact: {exc}", file=sys.stderr)
            return 2
        print(report.render())
        return 0
    if args.command == "report":
        from pipeline.report import write_report
        data = write_report(args.out, args.html)
        t = data["totals"]
        print(f"wrote {args.html}: {t['articles']} articles, {t['duplicates']} wire copies, "
              f"{t['rejected']} rejected, {t['outlets']} outlets")
        return 0
    if args.command == "options":
        from pipeline.options import CfnewsOptions
        options_parser = argparse.ArgumentParser(prog="cfnews <command>", add_help=False)
        CfnewsOptions._add_argparse_args(options_parser)
        options_parser.print_help()
        return 0

    options = make_options(beam_args, out=args.out, all_topics=args.all_topics or None,
                           topic=args.topic, manifest_root=getattr(args, "manifest_root", None))
    if args.command == "demo":
        from pipeline.demo.site import DemoSite
        with DemoSite() as site:
            print(f"demo site serving {len(site.feeds)} feeds at {site.base_url}")
            # the demo site is local: allow it explicitly, and no politeness delay to itself
            options.allow_hosts = list(options.allow_hosts or []) + site.allow_hosts
            options.min_host_delay = 0.0
            summary = run_job(options, feeds=site.feeds)
    elif args.command == "run":
        from pipeline.feeds_file import FeedsFileError, load_feeds
        try:
            feeds = load_feeds(args.feeds)
        except (FeedsFileError, OSError) as exc:
            print(f"cfnews: {args.feeds}: {exc}", file=sys.stderr)
            return 2
        from apache_beam.options.pipeline_options import StandardOptions
        standard = options.view_as(StandardOptions)
        if standard.streaming:
            return _run_streaming(options, feeds, args)
        if not (args.once or args.every):
            print("cfnews run: give --once, --every DURATION, or --streaming (with a streaming "
                  "runner)", file=sys.stderr)
            return 2
        from pipeline.continuous import ContinuousIngest, Schedule
        every = args.every or 600.0
        schedule = Schedule(every=every, min_interval=min(args.min_poll, every),
                            max_interval=args.max_poll, full_fetch_every=args.full_fetch_every)
        ingest = ContinuousIngest(options, feeds, schedule)
        if args.once:
            report = ingest.run_cycle(all_feeds=True)
            print(report.status_line())
            if report.summary is None:
                print("nothing new")
                return 0
            summary = report.summary
        else:
            print(f"polling {len(feeds)} feeds every {every:g}s into {args.out} "
                  f"(state: {ingest.state_note}); Ctrl-C stops after the current cycle")
            reports = ingest.run_forever(max_cycles=args.max_cycles)
            broken = [r for r in reports if r.summary is not None and not r.summary.adds_up]
            return 1 if broken else 0
    else:
        summary = run_job(options, manifest=args.manifest)
    print(summary.render())
    return 0 if summary.adds_up else 1


def entry() -> None:
    """The console script. Exits with exactly the status main() decided, skipping interpreter
    finalisation: daemon threads of Beam, gRPC and Arrow still blocked in C++ at exit are
    unwound by CPython's finalisation through frames that forbid it, which aborts the process
    (SIGABRT, status 134) after a run that succeeded. Files are all closed and renamed by then;
    output streams and log handlers are flushed here."""
    import os
    try:
        code = main()
    except SystemExit as stop:  # argparse and explicit exits
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 2)
        if not isinstance(stop.code, (int, type(None))):
            print(stop.code, file=sys.stderr)
    except KeyboardInterrupt:
        print("cfnews: interrupted", file=sys.stderr)
        code = 130
    except BaseException:  # an unexpected error: its traceback, then a failing status
        import traceback
        traceback.print_exc()
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    logging.shutdown()
    os._exit(int(code or 0))


if __name__ == "__main__":
    entry()
