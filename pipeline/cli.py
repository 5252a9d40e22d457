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
    run.add_argument("--once", action="store_true", required=True,
                     help="poll each feed once, then exit")
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
        summary = run_job(options, feeds=feeds)
    else:
        summary = run_job(options, manifest=args.manifest)
    print(summary.render())
    return 0 if summary.adds_up else 1


if __name__ == "__main__":
    sys.exit(main())
