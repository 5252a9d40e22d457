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
    when = run.add_mutually_exclusive_group(required=True)
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
    sub.add_parser("options", help="list cfnews' pipeline options (Beam's are listed by Beam)")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args, beam_args = _parser().parse_known_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    from pipeline.runner import make_options, run_job  # heavy imports after arg parsing

    if args.command == "options":
        from pipeline.options import CfnewsOptions
        options_parser = argparse.ArgumentParser(prog="cfnews <command>", add_help=False)
        CfnewsOptions._add_argparse_args(options_parser)
        options_parser.print_help()
        return 0

    options = make_options(beam_args, out=args.out, all_topics=args.all_topics or None,
                           topic=args.topic)
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


if __name__ == "__main__":
    sys.exit(main())
