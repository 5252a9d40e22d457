"""The `cfnews` command line. Other flags must be Beam pipeline options (--runner,
--direct_running_mode, --direct_num_workers, --project, ...): anything else is an error.

    cfnews demo --out DIR                          offline demo: local site, full pipeline
    cfnews run --feeds feeds.yaml --out DIR --once poll every feed once
    cfnews backfill --manifest pages.jsonl --out DIR
    cfnews backfill --warc 'crawl/*.warc.gz' --out DIR [--outlet ID | --feeds feeds.yaml]
    cfnews sql --out DIR "FROM stories_per_day"    DuckDB over the output's views
"""
from __future__ import annotations

import argparse
import logging
import sys
from typing import List, Optional

from cfnews.pipeline import __version__, exit_codes
from cfnews.pipeline.flags import UnknownFlag, pass_through, spellings

DEMO_PORT = 8765  # fixed by default: the same URLs on every demo run


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


def tcp_port(text: str) -> int:
    """A TCP port number, 0 (any free port) to 65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0-65535: {text!r}")
    return port


def _global_flags() -> argparse.ArgumentParser:
    """Flags accepted before or after the subcommand (defaults suppressed, so a later
    occurrence is not reset by a subparser)."""
    flags = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    flags.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                       help="log at INFO level")
    flags.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                       help="no progress line, errors only in the log")
    flags.add_argument(*spellings("log-format"), dest="log_format", choices=("text", "json"),
                       default=argparse.SUPPRESS,
                       help="log lines as text (default) or one JSON object per line")
    return flags


def _parser() -> argparse.ArgumentParser:
    flags = _global_flags()
    parser = argparse.ArgumentParser(
        prog="cfnews", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[flags], allow_abbrev=False, epilog=EXIT_STATUS_HELP)
    parser.add_argument("--version", action="version", version=f"cfnews {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name, **kwargs):
        return sub.add_parser(name, parents=[flags], allow_abbrev=False, **kwargs)

    def common(p):
        p.add_argument("--out", required=True, help="output folder (local, gs://, s3://)")
        p.add_argument(*spellings("all-topics"), dest="all_topics", action="store_true",
                       help="turn the topic filter off (relevance is still scored)")
        p.add_argument("--topic", default=None,
                       help="topic file or bundled topic name (default: china_france)")
        p.add_argument(*spellings("summary-json"), dest="summary_json", metavar="FILE",
                       help="also write the summary's figures as JSON to FILE (for schedulers)")
        p.add_argument(*spellings("progress-every"), dest="progress_every", type=duration,
                       default=30.0, metavar="DURATION",
                       help="off a terminal, a progress log line every DURATION (default 30s)")

    demo = command("demo", help="run the pipeline on the built-in offline demo site")
    common(demo)
    demo.add_argument("--port", type=tcp_port, default=DEMO_PORT, metavar="N",
                      help=f"serve the demo site on 127.0.0.1:N (default {DEMO_PORT}; 0: any free "
                           "port). A run on the same port sees the same URLs, so a rerun on one "
                           "folder finds nothing new; if N is busy, any free port is used")
    run = command("run", help="poll feeds and process what is new")
    common(run)
    run.add_argument("--feeds", required=True, help="feeds file (YAML)")
    when = run.add_mutually_exclusive_group()
    when.add_argument("--once", action="store_true", help="poll each feed once, then exit")
    when.add_argument("--every", type=duration, metavar="DURATION",
                      help="keep polling: a cycle every DURATION (e.g. 10m, 90s, 1h); "
                           "Ctrl-C or SIGTERM stops after the current cycle")
    run.add_argument(*spellings("min-poll"), dest="min_poll", type=duration, default=300.0,
                     metavar="DURATION",
                     help="shortest interval between polls of one feed (default 5m)")
    run.add_argument(*spellings("max-poll"), dest="max_poll", type=duration,
                     default=6 * 3600.0, metavar="DURATION",
                     help="longest interval between polls of one feed (default 6h)")
    run.add_argument(*spellings("full-fetch-every"), dest="full_fetch_every", type=int,
                     default=12, metavar="N",
                     help="every N-th poll of a feed ignores its ETag/Last-Modified (default 12)")
    run.add_argument(*spellings("max-cycles"), dest="max_cycles", type=int, default=None,
                     help=argparse.SUPPRESS)
    backfill = command("backfill", help="ingest saved pages from a JSONL manifest or web "
                                        "archives (WARC)")
    common(backfill)
    source = backfill.add_mutually_exclusive_group(required=True)
    source.add_argument("--manifest", help="JSONL manifest of saved pages")
    source.add_argument("--warc", action="append", metavar="PATH",
                        help="WARC file (.warc, .warc.gz): a path or glob, local, gs:// or s3://; "
                             "repeat for more. Each HTTP 200 HTML response is a page")
    backfill.add_argument("--outlet", metavar="ID", default=None,
                          help="with --warc: the outlet id of every record (default: the outlet "
                               "of --feeds whose host matches, else one derived from the host)")
    backfill.add_argument("--feeds", metavar="FILE", default=None,
                          help="with --warc: a feeds file; a record whose host is a feed's (or "
                               "under it) gets that feed's outlet")
    backfill.add_argument(*spellings("manifest-root"), dest="manifest_root", default=None,
                          metavar="DIR",
                          help="where html_file may point (default: the manifest's folder)")
    compact = command("compact", help="merge small files of closed date partitions")
    compact.add_argument("--out", required=True,
                         help="output folder (a local folder, gs://… or s3://…)")
    compact.add_argument("--before", default=None, metavar="YYYY-MM-DD",
                         help="compact partitions dated before this day (default: yesterday)")
    compact.add_argument(*spellings("target-mb"), dest="target_mb", type=float, default=128.0,
                         help="target file size in MiB (default 128)")
    compact.add_argument(*spellings("progress-every"), dest="progress_every", type=duration,
                         default=30.0, metavar="DURATION",
                         help="a progress log line every DURATION while it works (default 30s)")
    report = command("report", help="write a self-contained HTML report of an output")
    report.add_argument("--out", required=True, help="output folder to report on")
    report.add_argument("--html", required=True, help="HTML file to write")
    report.add_argument("--since", type=_since, default=None, metavar="YYYY-MM-DD|Nd",
                        help="only what is dated from this day on (or the last N days, "
                             "today included): the report then reads only those partitions")
    sql = command("sql", help="run a DuckDB query over an output folder's views")
    sql.add_argument("--out", required=True, help="output folder (local, gs://, s3://)")
    sql.add_argument(*spellings("format"), dest="format", choices=("table", "csv", "json"),
                     default="table", help="how rows are printed (default: table)")
    sql.add_argument("query", help="SQL; views articles, duplicates, rejected, ... are defined")
    index = command("index", help="rebuild the history index of an output folder "
                                  "(DIR/_index) from its datasets; on gs:// or s3://, bring "
                                  "it up to date")
    index.add_argument("--out", required=True, help="output folder (local, gs:// or s3://)")
    command("options", help="list cfnews' pipeline options with their defaults")
    return parser


EXIT_STATUS_HELP = f"""exit statuses:
  {exit_codes.OK}    ok (a warning on stderr if some feeds failed)
  {exit_codes.RUN_FAILED}    the run failed, or its accounting does not add up
  {exit_codes.USAGE}    usage or configuration error (unknown flag, bad feeds file, ...)
  {exit_codes.NOTHING_READ}    nothing could be read: every feed failed, or the manifest is unreadable
  {exit_codes.OUTPUT_LOCKED}    the output folder is locked by another writer
  {exit_codes.INTERRUPTED}  interrupted (Ctrl-C)
  {exit_codes.TERMINATED}  terminated (SIGTERM)"""


def _run_streaming(options, feeds, args) -> int:
    """Submit the unbounded graph. Local runners run an unbounded source like a batch job
    (output only when it stops), so they are refused: use --every locally."""
    import apache_beam as beam
    from apache_beam.options.pipeline_options import StandardOptions
    from cfnews.pipeline.graph import build_streaming
    from cfnews.pipeline.runner import LOCAL_RUNNERS, new_run_id, pack_history
    runner = (options.view_as(StandardOptions).runner or "").split(".")[-1].lower()
    if runner in LOCAL_RUNNERS:
        print(f"cfnews run --streaming: the {runner} holds windowed output until the source "
              "stops; locally, use --every DURATION (a loop of bounded runs with durable state). "
              "--streaming is for Dataflow, Flink or Prism.", file=sys.stderr)
        return exit_codes.USAGE
    run_id = options.run_id or new_run_id()
    pipeline = beam.Pipeline(options=options)
    build_streaming(pipeline, options, run_id, feeds, job_lease=True)
    pack_history(options)
    from cfnews.pipeline.job_lease import lease_for_job
    with lease_for_job(getattr(args, "held", None), options, run_id):
        result = pipeline.run()
    print(f"streaming job submitted (run id {run_id}); state: {result.state}")
    return 0


def _parse(argv):
    parser = _parser()
    args, rest = parser.parse_known_args(argv)
    args.verbose = getattr(args, "verbose", False)
    args.quiet = getattr(args, "quiet", False)
    args.log_format = getattr(args, "log_format", "text")
    command = parser._subparsers._group_actions[0].choices[args.command]
    if args.command not in JOB_COMMANDS and rest:
        command.error(f"unrecognized arguments: {' '.join(rest)}")
    known = [s for action in command._actions for s in action.option_strings]
    try:
        beam_args = pass_through(rest, known) if args.command in JOB_COMMANDS else []
    except UnknownFlag as exc:
        command.error(str(exc))  # exit status 2, before anything runs
    return args, beam_args


JOB_COMMANDS = ("demo", "run", "backfill")


# Commands that read an output folder some run has written: a folder that is not there is a typo,
# not an empty output (the index and compaction would make it).
READING_COMMANDS = ("report", "sql", "index", "compact")


def _paths_problem(args) -> Optional[str]:
    """Why --out (or report's --html) cannot be used, or None. Object stores are not checked."""
    import os
    out = args.out if hasattr(args, "out") else None
    if out and "://" not in out:
        if os.path.exists(out) and not os.path.isdir(out):
            return f"--out {out} is a file, not a folder"
        if args.command in READING_COMMANDS and not os.path.isdir(out):
            return f"--out {out}: no such folder (nothing has been written there)"
    if args.command == "report":
        folder = os.path.dirname(os.path.abspath(args.html))
        if not os.path.isdir(folder):
            return f"--html {args.html}: no such folder {folder}"
    return None


def _runner_name(options) -> str:
    """The runner the options name ("DataflowRunner"), cfnews' default when they name none."""
    from apache_beam.options.pipeline_options import StandardOptions
    from cfnews.pipeline.runner import DEFAULT_RUNNER
    return (options.view_as(StandardOptions).runner or DEFAULT_RUNNER).split(".")[-1]


def _dry_run_problem(args, beam_args) -> Optional[str]:
    """--dry_run=True is Dataflow's: it translates and validates the job without submitting it.
    A local runner has no such mode and ran the whole job, writing the output (and, for `run`,
    marking the entries seen) while the summary said nothing was written."""
    if not any("dry_run" in a for a in beam_args):
        return None
    from apache_beam.options.pipeline_options import PipelineOptions
    from cfnews.pipeline.runner import LOCAL_RUNNERS, is_dry_run
    options = PipelineOptions(beam_args)
    if not is_dry_run(options):
        return None
    runner = _runner_name(options)
    if runner.lower() in LOCAL_RUNNERS:
        return (f"--dry_run=True is for --runner=DataflowRunner (it translates and validates the "
                f"job without submitting it); the {runner} has no dry run and would run the job")
    if args.command == "run" and not args.once:
        return "--dry_run=True translates one job: use it with --once"
    return None


def _cloud_output_problem(args, beam_args) -> Optional[str]:
    """Dataflow's workers run on Google Cloud: a local --out is a folder none of them can
    write (nor read the history of). Refused before the job is built, which would otherwise
    make the folder here and look for a staging bucket on the network."""
    if not any("runner" in a.lower() for a in beam_args):
        return None
    from apache_beam.options.pipeline_options import PipelineOptions
    runner = _runner_name(PipelineOptions(beam_args))
    out = getattr(args, "out", None) or ""
    if runner.lower() == "dataflowrunner" and out and ("://" not in out or out.startswith("file://")):
        return (f"--runner=DataflowRunner writes from Google Cloud workers, which cannot reach "
                f"the local folder {out}: give --out gs://BUCKET/PATH")
    return None


def _topic_problem(topic: str) -> Optional[str]:
    """Why the --topic file cannot be used, or None (it is loaded once per process anyway)."""
    from cfnews.transforms.relevance import TopicError, load_topic
    try:
        load_topic(topic)
    except TopicError as exc:
        return str(exc)
    return None


def _on_sigterm(signum, frame):
    raise exit_codes.Terminated


def main(argv: Optional[List[str]] = None) -> int:
    args, beam_args = _parse(argv)
    from cfnews.pipeline.logs import configure_logging
    configure_logging(verbose=args.verbose, quiet=args.quiet, json_lines=args.log_format == "json")
    try:
        return _main(args, beam_args)
    except BaseException as exc:
        if args.command in JOB_COMMANDS and args.summary_json and not isinstance(exc, SystemExit):
            _write_stopped_json(args, exc)  # not the last run's figures: this one's end
        raise


def _write_stopped_json(args, exc: BaseException) -> None:
    """--summary-json of a run that did not end normally (interrupted, terminated, failed):
    the scheduler reading the file finds this run's status, not the previous run's figures."""
    from cfnews.pipeline.summary import RunSummary, write_summary_json
    status, error = _stop_status(exc)
    if status == exit_codes.RUN_FAILED:
        error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:500] if str(exc) else ''}"
    try:
        write_summary_json(RunSummary(run_id="", out_dir=args.out), args.summary_json, status,
                           error=error)
    except OSError as problem:
        logging.getLogger("cfnews").error("cannot write %s: %s", args.summary_json, problem)


def _stop_status(exc: BaseException):
    """The exit status and message of a command ended by `exc`."""
    if isinstance(exc, exit_codes.Terminated):
        return exit_codes.TERMINATED, "terminated (SIGTERM)"
    if isinstance(exc, KeyboardInterrupt):
        return exit_codes.INTERRUPTED, "interrupted"
    return exit_codes.RUN_FAILED, ""


def _since(text: str):
    """`--since`: a day (YYYY-MM-DD) or the last N days ("30d", today being the last)."""
    import datetime as dt
    text = text.strip()
    try:
        if text[-1:].lower() == "d" and text[:-1].isdigit() and int(text[:-1]) > 0:
            today = dt.datetime.now(dt.timezone.utc).date()
            return today - dt.timedelta(days=int(text[:-1]) - 1)
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"{text!r} is neither a day (YYYY-MM-DD) nor a number "
                                     "of days (30d)")


def _options_problem(beam_args) -> str:
    from cfnews.pipeline.options import options_problem  # imports Beam: for job commands only
    return options_problem(beam_args)


def _main(args, beam_args) -> int:
    # before anything runs: not from inside the graph's construction, nor after the writer lock
    # has made the folder
    problem = (args.command in JOB_COMMANDS and args.topic and _topic_problem(args.topic)) \
        or (args.command in JOB_COMMANDS and (_options_problem(beam_args)
                                               or _dry_run_problem(args, beam_args)
                                               or _cloud_output_problem(args, beam_args))) \
        or _paths_problem(args) or (args.command == "backfill" and _backfill_problem(args))
    if problem:
        print(f"cfnews {args.command}: {problem}", file=sys.stderr)
        return exit_codes.USAGE
    if args.command not in WRITING_COMMANDS:
        return _command(args, beam_args)
    from cfnews.pipeline.lock import OutputLocked, hold_output
    from apache_beam.options.pipeline_options import PipelineOptions
    from cfnews.pipeline.runner import is_dry_run
    beam_options = PipelineOptions(list(beam_args))
    dry_run = is_dry_run(beam_options)   # translated only: touches nothing
    if "://" in args.out:   # the start-up clean-up below reads the store with the job's options
        from apache_beam.io.filesystems import FileSystems
        FileSystems.set_options(beam_options)
    try:
        with hold_output(args.out, args.command, beam_args) as held:
            args.held = held   # `run --streaming` hands it to the job it submits
            try:
                if args.command != "compact" and not dry_run:  # compaction finishes its own
                    _finish_killed_compactions(args.out)
                    if "://" not in args.out:  # under the lock: a killed run's half-written files
                        from cfnews.transforms.write import remove_stale_staging
                        remove_stale_staging(args.out)
                status = _command(args, beam_args)
            except KeyboardInterrupt:   # the stop a lost lease sends (pipeline/lease.py)
                if not getattr(held, "lost", ""):
                    raise
            if getattr(held, "lost", ""):
                raise OutputLocked(f"stopped: the writer lease of {args.out} was taken by "
                                   f"{held.lost} while this run held it; what this run wrote "
                                   "stays, and another run may be writing there")
            return status
    except OutputLocked as exc:
        print(f"cfnews {args.command}: {exc}", file=sys.stderr)
        return exit_codes.OUTPUT_LOCKED


def _finish_killed_compactions(out_dir: str) -> None:
    from cfnews.pipeline.compact import finish_killed_compactions
    finished = finish_killed_compactions(out_dir)
    if finished:
        logging.getLogger("cfnews").warning(
            "finished %d killed compaction(s) in %s: every row is there once (late files "
            "back in place)", finished, out_dir)


# Commands that write into --out: each holds the folder's writer lock while it works.
WRITING_COMMANDS = ("demo", "run", "backfill", "compact")


def _command(args, beam_args) -> int:
    if args.command == "compact":
        import datetime as dt
        from cfnews.pipeline.compact import CompactionError, compact
        try:
            before = dt.date.fromisoformat(args.before) if args.before else None
        except ValueError:
            print(f"cfnews compact: --before {args.before}: not a date (YYYY-MM-DD)",
                  file=sys.stderr)
            return exit_codes.USAGE
        try:
            report = compact(args.out, before, int(args.target_mb * 1024 * 1024),
                             progress_every=args.progress_every)
        except (CompactionError, ValueError) as exc:
            print(f"cfnews compact: {exc}", file=sys.stderr)
            return exit_codes.USAGE
        print(report.render())
        return exit_codes.OK
    if args.command == "report":
        from cfnews.pipeline.report import write_report
        data = write_report(args.out, args.html, args.since)
        t = data["totals"]
        print(f"wrote {args.html}: {t['articles']} articles, {t['duplicates']} wire copies, "
              f"{t['rejected']} rejected, {t['outlets']} outlets")
        return exit_codes.OK
    if args.command == "sql":
        from cfnews.pipeline.sql import SqlError, run_sql
        try:
            print(run_sql(args.out, args.query, args.format))
        except SqlError as exc:
            print(f"cfnews sql: {exc}", file=sys.stderr)
            return exit_codes.USAGE
        return exit_codes.OK
    if args.command == "index":
        if "://" in args.out:   # credentials and endpoint from the environment, as `sql`
            from apache_beam.io.filesystems import FileSystems
            from apache_beam.options.pipeline_options import PipelineOptions
            from cfnews.transforms.history_remote import build_remote_index
            FileSystems.set_options(PipelineOptions([]))
            print(f"history index of {args.out}: {build_remote_index(args.out)}")
            return exit_codes.OK
        from cfnews.transforms.history import rebuild_local_index
        print(f"history index of {args.out}: {rebuild_local_index(args.out)}")
        return exit_codes.OK
    if args.command == "options":
        from cfnews.pipeline.options import describe_options
        print(describe_options())
        return exit_codes.OK

    from cfnews.pipeline.runner import make_options, run_job  # heavy imports after arg parsing
    from cfnews.pipeline.progress import progress_for
    options = make_options(beam_args, out=args.out, all_topics=args.all_topics or None,
                           topic=args.topic, manifest_root=getattr(args, "manifest_root", None))
    # what is done on --out before a pipeline exists (start-up clean-up, state, the history
    # a cycle reads) uses the job's filesystem options (an S3 endpoint, credentials) too
    from apache_beam.io.filesystems import FileSystems
    FileSystems.set_options(options)
    feeds_report = None
    with progress_for(args, manifest=getattr(args, "manifest", None)):
        if args.command == "demo":
            from cfnews.pipeline.demo.site import DemoSite
            with DemoSite(port=args.port, any_port_if_busy=True) as site:
                print(f"demo site serving {len(site.feeds)} feeds at {site.base_url}")
                if args.port and not site.base_url.endswith(f":{args.port}"):
                    print(f"cfnews demo: port {args.port} is busy, serving on another: its URLs "
                          "are new to this folder", file=sys.stderr)
                # the demo site is local: allow it explicitly, and no politeness delay to itself
                options.allow_hosts = list(options.allow_hosts or []) + site.allow_hosts
                options.min_host_delay = 0.0
                summary = run_job(options, feeds=site.feeds)
        elif args.command == "run":
            from cfnews.pipeline.feeds_file import FeedsFileError, load_feeds
            try:
                feeds = load_feeds(args.feeds)
            except FeedsFileError as exc:  # its message names the file
                print(f"cfnews: {exc}", file=sys.stderr)
                return exit_codes.USAGE
            except OSError as exc:
                print(f"cfnews: {args.feeds}: {exc}", file=sys.stderr)
                return exit_codes.USAGE
            from apache_beam.options.pipeline_options import StandardOptions
            standard = options.view_as(StandardOptions)
            if standard.streaming:
                return _run_streaming(options, feeds, args)
            if not (args.once or args.every):
                print("cfnews run: give --once, --every DURATION, or --streaming (with a "
                      "streaming runner)", file=sys.stderr)
                return exit_codes.USAGE
            from cfnews.pipeline.runner import LOCAL_RUNNERS
            runner = (standard.runner or "").split(".")[-1].lower()
            if args.once and runner not in LOCAL_RUNNERS:
                # A managed runner polls the feeds inside the job (no local state to keep).
                return _finish(args, run_job(options, feeds=feeds))
            from cfnews.pipeline.continuous import ContinuousIngest, Schedule
            every = args.every or 600.0
            schedule = Schedule(every=every, min_interval=min(args.min_poll, every),
                                max_interval=args.max_poll, full_fetch_every=args.full_fetch_every)
            ingest = ContinuousIngest(options, feeds, schedule)
            if not args.once:
                print(f"polling {len(feeds)} feeds every {every:g}s into {args.out} "
                      f"(state: {ingest.state_note}); Ctrl-C or SIGTERM stops after the current "
                      "cycle")
                done = ingest.run_forever(
                    max_cycles=args.max_cycles,
                    on_cycle=(lambda report: _write_cycle_json(args, report))
                    if args.summary_json else None)
                return exit_codes.RUN_FAILED if done.not_adding_up else exit_codes.OK
            feeds_report = ingest.run_cycle(all_feeds=True)
            summary = feeds_report.summary
        elif args.warc:
            return _backfill_warc(args, options)
        else:
            from cfnews.pipeline.summary import manifest_problem
            problem = manifest_problem(args.manifest)
            if problem:
                logging.getLogger("cfnews").error("nothing could be read: %s", problem)
                if args.summary_json:  # a scheduler still gets its file, with the reason
                    from cfnews.pipeline.summary import RunSummary, write_summary_json
                    write_summary_json(RunSummary(run_id="", out_dir=args.out), args.summary_json,
                                       exit_codes.NOTHING_READ, error=problem)
                return exit_codes.NOTHING_READ
            summary = run_job(options, manifest=args.manifest)
    return _finish(args, summary, feeds_report)


def _warc_outlets(args):
    """The OutletRule of `backfill --warc` (--outlet, --feeds), or the usage error's text."""
    from cfnews.schemas import is_outlet_id
    from cfnews.transforms.warc import OutletRule
    if args.outlet is not None and not is_outlet_id(args.outlet):
        return (f"--outlet {args.outlet!r}: not an outlet id (lowercase [a-z0-9_-], starting "
                "with a letter or digit, at most 64 characters)")
    feeds = []
    if args.feeds:
        from cfnews.pipeline.feeds_file import FeedsFileError, load_feeds
        try:
            feeds = load_feeds(args.feeds)
        except FeedsFileError as exc:
            return str(exc)
        except OSError as exc:
            return f"--feeds {args.feeds}: {exc}"
    return OutletRule.from_feeds(feeds, outlet=args.outlet or "")


def _backfill_problem(args) -> Optional[str]:
    """Why the backfill flags cannot be used together (before anything runs); keeps
    `backfill --warc`'s outlet rule in args.warc_outlets."""
    if not args.warc:
        if args.outlet is not None or args.feeds:
            return "--outlet and --feeds go with --warc (a manifest line names its outlet)"
        return None
    if args.manifest_root:
        return "--manifest-root goes with --manifest"
    rule = _warc_outlets(args)
    if isinstance(rule, str):
        return rule
    args.warc_outlets = rule
    return None


def _backfill_warc(args, options) -> int:
    """`backfill --warc`: nothing runs when no path names a file (status 3); else the job,
    then the summary."""
    from cfnews.pipeline.runner import run_job
    from cfnews.pipeline.summary import warc_problem
    rule = args.warc_outlets
    problem = warc_problem(args.warc)
    if problem:
        logging.getLogger("cfnews").error("nothing could be read: %s", problem)
        if args.summary_json:
            from cfnews.pipeline.summary import RunSummary, write_summary_json
            write_summary_json(RunSummary(run_id="", out_dir=args.out), args.summary_json,
                               exit_codes.NOTHING_READ, error=problem)
        return exit_codes.NOTHING_READ
    summary = run_job(options, warc=args.warc, warc_outlets=rule)
    if summary.warc_files_unreadable:
        logging.getLogger("cfnews").warning(
            "%d of %d WARC files held no readable record (see rejected, stage warc, reason "
            "warc_unreadable)", summary.warc_files_unreadable, summary.warc_files)
    return _finish(args, summary)


def _with_feeds(args, summary, feeds_report):
    """A cycle's summary with its feed figures (an empty one when nothing was new)."""
    from cfnews.pipeline.summary import RunSummary
    if summary is None:  # every feed answered 304 or had nothing new
        summary = RunSummary(run_id="", out_dir=args.out, entries_seen=feeds_report.already_seen,
                             already_seen=feeds_report.already_seen)
    summary.feeds_polled = feeds_report.feeds_due
    summary.feeds_failed = feeds_report.failed_feeds
    summary.feeds_not_modified = feeds_report.not_modified
    summary.feeds_held = feeds_report.held_feeds
    summary.entries_repeated = feeds_report.repeated
    return summary


def _write_cycle_json(args, report) -> None:
    """`run --every --summary-json FILE`: the figures of the cycle just finished, with its
    number and the status a `--once` run of it would have exited with."""
    from cfnews.pipeline.summary import write_summary_json
    summary = _with_feeds(args, report.summary, report)
    write_summary_json(summary, args.summary_json, summary.exit_status(), cycle=report.cycle)


def _finish(args, summary, feeds_report=None) -> int:
    """Print the summary, write --summary-json, decide the exit status (one place)."""
    from cfnews.pipeline.summary import write_summary_json
    if feeds_report is not None:
        print(feeds_report.status_line())
        summary = _with_feeds(args, summary, feeds_report)
    if summary.run_id:
        print(summary.render())
    else:
        print("nothing new")
    status = summary.exit_status()
    if summary.feeds_failed and status == exit_codes.OK:
        logging.getLogger("cfnews").warning(
            "%d of %d feeds failed (see rejected, stage feeds)", summary.feeds_failed,
            summary.feeds_polled)
    elif status == exit_codes.NOTHING_READ and summary.warc_files:
        logging.getLogger("cfnews").error("nothing could be read: no record of the %d WARC "
                                          "file(s) was readable", summary.warc_files)
    elif status == exit_codes.NOTHING_READ:
        logging.getLogger("cfnews").error("nothing could be read: all %d feeds failed",
                                          summary.feeds_polled)
    if args.summary_json:
        write_summary_json(summary, args.summary_json, status)
    return status


def entry() -> None:
    """The console script. Exits with exactly the status main() decided, skipping interpreter
    finalisation: daemon threads of Beam, gRPC and Arrow still blocked in C++ at exit are
    unwound by CPython's finalisation through frames that forbid it, which aborts the process
    (SIGABRT, status 134) after a run that succeeded. Files are all closed and renamed by then;
    output streams and log handlers are flushed here."""
    import os
    import signal
    signal.signal(signal.SIGTERM, _on_sigterm)  # first: a scheduler may stop us at any moment
    try:
        code = main()
    except SystemExit as stop:  # argparse and explicit exits
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 2)
        if not isinstance(stop.code, (int, type(None))):
            print(stop.code, file=sys.stderr)
    except KeyboardInterrupt as stop:  # Ctrl-C, or SIGTERM (Terminated)
        code, message = _stop_status(stop)
        print(f"cfnews: {message}", file=sys.stderr)
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
