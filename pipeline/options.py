"""cfnews options: Beam PipelineOptions, so they travel with the job to any runner."""
from __future__ import annotations

import argparse
import math

from apache_beam.options.pipeline_options import PipelineOptions

from cfnews.schemas import RUN_ID, is_run_id
from cfnews.schemas.reasons import RETRY_WAIT

from cfnews.transforms.dedup import CONTAINMENT_THRESHOLD
from cfnews.transforms.extract import MIN_CHARS
from cfnews.transforms.http import DEFAULT_MAX_IN_FLIGHT, DEFAULT_USER_AGENT, HttpConfig


def run_id_value(text: str) -> str:
    """--run_id names files and the run's staging folder: a bounded id, never a path."""
    if not is_run_id(text):
        raise argparse.ArgumentTypeError(
            f"--run_id {text[:80]!r} must fullmatch {RUN_ID.pattern} (letters, digits, '-', "
            "'_'; at most 64 characters): it becomes part of file and folder names")
    return text


class CfnewsOptions(PipelineOptions):
    @classmethod
    def _add_argparse_args(cls, parser):
        parser.add_argument("--out", help="output folder (local path, gs://, s3://)")
        parser.add_argument("--feeds", default=None, help="feeds file (YAML), for `run`")
        parser.add_argument("--manifest", default=None, help="JSONL manifest, for `backfill`")
        parser.add_argument("--warc", nargs="*", default=[], action="extend",
                            help="WARC files or globs (.warc, .warc.gz; local, gs://, s3://) to "
                                 "backfill from, for the Dataflow template (the CLI: `cfnews "
                                 "backfill --warc`)")
        parser.add_argument("--warc_outlet", default=None,
                            help="with --warc: the outlet id of every record (default: the outlet "
                                 "of the feeds file whose host matches, else one from the host)")
        parser.add_argument("--manifest_root", default=None,
                            help="folder (or URL prefix) a manifest's html_file may point into "
                                 "(default: the manifest's own folder)")
        parser.add_argument("--topic", default="china_france",
                            help="topic file (path) or bundled topic name")
        parser.add_argument("--all_topics", default=False, action="store_true",
                            help="keep every article: score relevance, reject nothing")
        parser.add_argument("--min_chars", type=int, default=MIN_CHARS,
                            help="shortest extracted text kept, in characters")
        parser.add_argument("--dedup_threshold", type=float, default=CONTAINMENT_THRESHOLD,
                            help="containment of a duplicate (two outlets) on a full sample; "
                                 "a containment measured on n sampled hashes needs 5/n more")
        parser.add_argument("--connect_timeout", type=float, default=5.0,
                            help="seconds to open a connection to a host")
        parser.add_argument("--read_timeout", type=float, default=15.0,
                            help="seconds to wait for the next bytes of a response")
        parser.add_argument("--request_timeout", type=float, default=30.0,
                            help="total seconds for one HTTP request, redirects included")
        parser.add_argument("--max_page_bytes", type=int, default=5 * 1024 * 1024,
                            help="largest page body read, in bytes (larger: rejected too_large)")
        parser.add_argument("--max_redirects", type=int, default=5,
                            help="redirects followed per request")
        parser.add_argument("--crawler_user_agent", default=DEFAULT_USER_AGENT,
                            help="User-Agent sent with every request")
        parser.add_argument("--allow_hosts", nargs="*", default=[], action="extend",
                            help="host:port pairs that may be fetched although not public (local "
                                 "test servers; the flag may be repeated); everything else "
                                 "non-public is refused")
        parser.add_argument("--ignore_robots", default=False, action="store_true",
                            help="do not check robots.txt before fetching pages")
        parser.add_argument("--per_host_concurrency", type=int, default=2,
                            help="simultaneous requests to one host, per worker process")
        parser.add_argument("--min_host_delay", type=float, default=1.0,
                            help="seconds between request starts to one host, per worker process")
        parser.add_argument("--fetch_concurrency", type=int, default=DEFAULT_MAX_IN_FLIGHT,
                            help="requests in flight at once per worker process (pages, feeds, "
                                 "robots.txt); per-host limits still apply")
        parser.add_argument("--max_retries", type=int, default=2,
                            help="retries of a transient failure (timeout, reset, 429, 5xx)")
        parser.add_argument("--retry_wait", type=float, default=RETRY_WAIT,
                            help="seconds after a page failed transiently (timeout, 429, 5xx, "
                                 "once --max_retries are spent) before a later run fetches it "
                                 "again (streaming: before the running job does); four times as "
                                 "long after a second failure; a third is final")
        parser.add_argument("--poll_interval", type=float, default=600.0,
                            help="streaming: seconds between polls of every feed")
        parser.add_argument("--window_seconds", type=float, default=60.0,
                            help="streaming: output files are finalised per window of this length")
        parser.add_argument("--allowed_lateness", type=float, default=3600.0,
                            help="streaming: seconds after a window closes that late rows are "
                                 "still written (to new files)")
        parser.add_argument("--dedup_expiry_days", type=float, default=14.0,
                            help="how long an article stays in the near-duplicate index")
        parser.add_argument("--seen_ttl_days", type=float, default=30.0,
                            help="streaming: how long a feed entry id is remembered")
        parser.add_argument("--run_id", default=None, type=run_id_value,
                            help="id stamped on rows and file names (default: time-based)")
        parser.add_argument("--reprocess", default=False, action="store_true",
                            help="process entries even if the output already holds them (their new "
                                 "rows are added beside the old ones, not in their place)")

    def http_config(self) -> HttpConfig:
        return HttpConfig(connect_timeout=self.connect_timeout, read_timeout=self.read_timeout,
                          total_timeout=self.request_timeout, max_bytes=self.max_page_bytes,
                          max_redirects=self.max_redirects, user_agent=self.crawler_user_agent,
                          allow_hosts=tuple(self.allow_hosts or ()),
                          respect_robots=not self.ignore_robots,
                          per_host_concurrency=self.per_host_concurrency,
                          min_host_delay=self.min_host_delay, max_retries=self.max_retries,
                          max_in_flight=self.fetch_concurrency)


# cfnews options whose value would make every fetch fail, or a stage misbehave, without a word:
# (name, test, what the value must be). NaN and infinities pass no test.
_RANGES = (
    ("connect_timeout", lambda v: 0 < v < math.inf, "> 0 seconds"),
    ("read_timeout", lambda v: 0 < v < math.inf, "> 0 seconds"),
    ("request_timeout", lambda v: 0 < v < math.inf, "> 0 seconds"),
    ("max_page_bytes", lambda v: v > 0, "> 0 bytes"),
    ("max_redirects", lambda v: v >= 0, ">= 0"),
    ("max_retries", lambda v: v >= 0, ">= 0"),
    ("retry_wait", lambda v: 0 <= v < math.inf, ">= 0 seconds"),
    ("per_host_concurrency", lambda v: v >= 1, ">= 1"),
    ("fetch_concurrency", lambda v: v >= 1, ">= 1"),
    ("min_host_delay", lambda v: 0 <= v < math.inf, ">= 0 seconds"),
    ("min_chars", lambda v: v >= 0, ">= 0"),
    # a containment is at most 1; at 1 no article is a copy of another outlet's (its bar is
    # 1 + margin / n); 27 meant as a percentage would have silently turned that off
    ("dedup_threshold", lambda v: 0 < v <= 1, "in (0, 1]"),
    ("poll_interval", lambda v: 0 < v < math.inf, "> 0 seconds"),
    ("window_seconds", lambda v: 0 < v < math.inf, "> 0 seconds"),
    ("allowed_lateness", lambda v: 0 <= v < math.inf, ">= 0 seconds"),
    ("dedup_expiry_days", lambda v: 0 < v < math.inf, "> 0 days"),
    ("seen_ttl_days", lambda v: 0 < v < math.inf, "> 0 days"),
)
ACCEPTED = {name: what for name, _, what in _RANGES}


def options_problem(beam_args) -> str:
    """Why cfnews' own options among `beam_args` cannot be used ('' when they can): checked
    before anything runs, so a bad value is a usage error naming the flag, not a traceback
    after the output folder was made (`--allow_hosts 127.0.0.1`), Beam's page of usage, or
    every feed failing (`--request_timeout 0`)."""
    from cfnews.transforms.netguard import Guard
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False, exit_on_error=False)
    CfnewsOptions._add_argparse_args(parser)
    try:
        values, _ = parser.parse_known_args(list(beam_args))
    except argparse.ArgumentError as exc:
        return str(exc)
    problems = [f"--{name} {getattr(values, name)!r} must be {what}"
                for name, ok, what in _RANGES if not ok(getattr(values, name))]
    for item in values.allow_hosts or ():
        try:
            Guard.allowing([item])
        except ValueError as exc:
            problems.append(f"--allow_hosts: {exc} (e.g. 127.0.0.1:8080)")
    return "; ".join(problems)


def describe_options() -> str:
    """`cfnews options`: every cfnews pipeline option, both spellings, default and help."""
    import argparse
    from cfnews.pipeline.local_runner import LocalWorkerOptions
    lines = ["cfnews pipeline options (give them to demo, run or backfill; --x-y and --x_y "
             "are the same flag).", "Beam's own options (--runner, --project, ...) pass "
             "through unchanged; any other flag is an error.", ""]
    for cls in (CfnewsOptions, LocalWorkerOptions):
        parser = argparse.ArgumentParser(add_help=False)
        cls._add_argparse_args(parser)
        for action in parser._actions:
            name = action.option_strings[0].lstrip("-")
            flag = " / ".join(f"--{n}" for n in dict.fromkeys(
                (name.replace("_", "-"), name.replace("-", "_"))))
            if action.nargs == 0:
                default = "off"
            elif action.default in (None, [], ""):
                default = "none"
            else:
                default = repr(action.default) if isinstance(action.default, str) \
                    else str(action.default)
            accepted = f"; {ACCEPTED[action.dest]}" if action.dest in ACCEPTED else ""
            lines.append(f"  {flag}")
            lines.append(f"      {action.help}  [default: {default}{accepted}]")
    return "\n".join(lines)
