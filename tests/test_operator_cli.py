"""What an operator sees: flags, exit statuses, --summary-json, `cfnews options`, `cfnews sql`,
log formats. The CLI runs as a subprocess, as a scheduler or a shell runs it."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

import pytest

from cfnews.pipeline import exit_codes
from tests.cli import cfnews
from tests.test_exit_status import small_manifest

ROOT = Path(__file__).resolve().parents[1]


def feeds_file(folder: Path, urls) -> Path:
    rows = "".join(f"  - {{outlet: outlet-{i}, url: '{u}', language: en, country: FR}}\n"
                   for i, u in enumerate(urls))
    path = folder / "feeds.yaml"
    path.write_text(f"version: 1\nfeeds:\n{rows}", encoding="utf-8")
    return path


RSS = ("<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>"
       "<item><title>Macron and Xi</title><link>{link}</link><guid>{link}</guid></item>"
       "</channel></rss>")


# --- flags -------------------------------------------------------------------------------------

def test_a_misspelt_flag_stops_before_anything_runs(tmp_path):
    out = tmp_path / "out"
    done = cfnews("backfill", "--manifest", small_manifest(tmp_path), "--out", out, "--alltopics")
    assert done.returncode == exit_codes.USAGE
    assert "unknown flag --alltopics" in done.stderr and "--all-topics" in done.stderr
    assert not out.exists(), "nothing may run, not even the output folder"


def test_an_unusable_topic_file_stops_before_anything_runs(tmp_path):
    """A missing, malformed or incomplete --topic file is a usage error naming the file, with no
    traceback and no output folder (it used to fail inside the graph's construction, exit 1)."""
    malformed = tmp_path / "malformed.yaml"
    malformed.write_text("groups: [\n", encoding="utf-8")
    incomplete = tmp_path / "incomplete.yaml"
    incomplete.write_text("name: mine\n", encoding="utf-8")
    cases = ((tmp_path / "missing.yaml", "cannot read topic file"),
             (malformed, "not valid YAML"),
             (incomplete, "missing required key 'groups'"),
             ("no_such_topic", "no bundled topic 'no_such_topic'"))
    for topic, why in cases:
        out = tmp_path / "out"
        done = cfnews("backfill", "--manifest", small_manifest(tmp_path), "--out", out,
                      "--topic", topic)
        assert done.returncode == exit_codes.USAGE, done.stderr[-2000:]
        assert done.stderr.startswith("cfnews backfill: ") and why in done.stderr, done.stderr
        assert str(topic) in done.stderr and "Traceback" not in done.stderr
        assert not out.exists(), "nothing may run, not even the output folder"


def test_output_folders_that_cannot_be_used_are_usage_errors(tmp_path):
    """A mistyped folder for a command that reads an output is an error, not an empty output, and
    is not made; an --out that is a file, or report's --html in a missing folder, is refused with
    a line naming it (these were tracebacks, exit 1, or an empty report with exit 0)."""
    missing, a_file = tmp_path / "typo", tmp_path / "a_file"
    a_file.write_text("", encoding="utf-8")
    cases = ((("report", "--out", missing, "--html", tmp_path / "r.html"), "no such folder"),
             (("sql", "--out", missing, "SELECT 1"), "no such folder"),
             (("index", "--out", missing), "no such folder"),
             (("compact", "--out", missing), "no such folder"),
             (("backfill", "--manifest", small_manifest(tmp_path), "--out", a_file),
              "is a file, not a folder"),
             (("report", "--out", tmp_path, "--html", missing / "r.html"),
              f"no such folder {missing}"),
             (("compact", "--out", tmp_path, "--before", "31/12/2025"), "not a date"))
    for args, why in cases:
        done = cfnews(*args)
        assert done.returncode == exit_codes.USAGE, (args, done.stderr[-2000:])
        assert done.stderr.startswith(f"cfnews {args[0]}: ") and why in done.stderr, done.stderr
        assert "Traceback" not in done.stderr
        assert not missing.exists(), f"{args[0]} made the mistyped folder"
    assert a_file.is_file() and a_file.read_text(encoding="utf-8") == ""


def test_a_bad_value_of_a_cfnews_option_stops_before_anything_runs(tmp_path):
    """A value no run can use is a usage error naming the flag, before the folder is made: an
    --allow-hosts without its port was a traceback and status 1 after the lock made --out, a
    value of the wrong type Beam's page of usage (status 2, --out made), a zero timeout every
    feed failing (status 3)."""
    feeds = feeds_file(tmp_path, ["http://127.0.0.1:9/feed.xml"])
    cases = (("--allow-hosts=127.0.0.1", "--allow_hosts: expected host:port, got '127.0.0.1'"),
             ("--min-chars=abc", "argument --min_chars: invalid int value: 'abc'"),
             ("--request-timeout=0", "--request_timeout 0.0 must be > 0 seconds"),
             ("--max-redirects=-1", "--max_redirects -1 must be >= 0"),
             ("--fetch-concurrency=0", "--fetch_concurrency 0 must be >= 1"),   # was made 1
             ("--dedup-threshold=27", "--dedup_threshold 27.0 must be in (0, 1]"),  # no dedup
             ("--connect-timeout=nan", "--connect_timeout nan must be > 0 seconds"),
             ("--window-seconds=inf", "--window_seconds inf must be > 0 seconds"))
    for flag, why in cases:
        out = tmp_path / "out"
        done = cfnews("run", "--feeds", feeds, "--out", out, "--once", flag)
        assert done.returncode == exit_codes.USAGE, (flag, done.stderr[-2000:])
        assert done.stderr.startswith("cfnews run: ") and why in done.stderr, done.stderr[-2000:]
        assert "Traceback" not in done.stderr and "usage:" not in done.stderr
        assert not out.exists(), f"{flag}: the output folder was made"


def test_a_demo_port_out_of_range_is_a_usage_error(tmp_path):
    done = cfnews("demo", "--out", tmp_path / "o", "--port", "99999")
    assert done.returncode == exit_codes.USAGE and "port must be 0-65535" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "o").exists()


def test_a_misspelt_beam_flag_in_hyphen_form_is_still_refused(tmp_path):
    """Hyphen forms are translated only to names Beam declares: a typo stays an error."""
    for flag, meant in (("--direct-num-workerz=2", "--direct_num_workers"),
                        ("--temp-locaton=gs://b/t", "--temp_location")):
        out = tmp_path / "o"
        done = cfnews("backfill", "--manifest", small_manifest(tmp_path), "--out", out, flag)
        assert done.returncode == exit_codes.USAGE, done.stderr[-2000:]
        assert f"unknown flag {flag.split('=')[0]}" in done.stderr
        assert f"did you mean {meant}" in done.stderr
        assert not out.exists()


def test_beam_flags_in_hyphen_form_become_beams_names():
    from cfnews.pipeline.flags import pass_through
    out = pass_through(["--temp-location=gs://b/t", "--max-num-workers", "3",
                        "--direct-running-mode=multi_processing", "--no-use-public-ips",
                        "--job-server-timeout=5", "--temp_location=gs://b/u"])
    assert out == ["--temp_location=gs://b/t", "--max_num_workers", "3",
                   "--direct_running_mode=multi_processing", "--no_use_public_ips",
                   "--job-server-timeout=5",   # Beam itself declares this one with hyphens
                   "--temp_location=gs://b/u"]


def test_every_kind_of_beam_option_passes_the_check():
    from cfnews.pipeline.flags import pass_through
    tokens = ["--runner=DataflowRunner", "--project", "p", "--region=europe-west1",  # GCP
              "--temp_location=gs://b/t", "--sdk_container_image=i", "--max_num_workers=3",
              "--s3_endpoint_url=http://127.0.0.1:9", "--s3_region_name=x",           # AWS
              "--job_endpoint=localhost:8099", "--environment_type=LOOPBACK",          # portable
              "--direct_running_mode=multi_processing", "--direct_num_workers=2",
              "--experiments=use_runner_v2", "--dataflow_service_options=x", "--streaming",
              "--local_worker_start=spawn", "--min-chars=10", "--min_host_delay", "0"]
    out = pass_through(tokens)
    assert "--min_chars=10" in out and "--min_host_delay" in out   # ours, one spelling for Beam
    assert out[:3] == ["--runner=DataflowRunner", "--project", "p"]


@pytest.mark.e2e
def test_both_spellings_and_flags_anywhere_on_the_line(tmp_path):
    manifest = small_manifest(tmp_path)
    hyphen = cfnews("backfill", "--manifest", manifest, "--out", tmp_path / "a", "--all-topics",
                    "--min-chars=50", "--summary-json", tmp_path / "a.json", "-q")
    underscore = cfnews("-q", "backfill", "--manifest", manifest, "--out", tmp_path / "b",
                        "--all_topics", "--min_chars=50", "--summary_json", tmp_path / "b.json")
    for done in (hyphen, underscore):
        assert done.returncode == 0, done.stdout + done.stderr
        assert "(adds up)" in done.stdout
        assert "discovered" not in done.stderr  # -q: no progress, before or after the command
    a, b = (json.loads((tmp_path / f"{x}.json").read_text()) for x in "ab")
    assert a["written"] == b["written"] and a["entries"] == b["entries"]


def test_version_is_the_installed_distributions():
    done = cfnews("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"cfnews {metadata.version('cfnews')}"
    import cfnews as package
    assert package.__version__ == metadata.version("cfnews")


def test_options_lists_every_option_with_a_default_and_a_help_text():
    done = cfnews("options")
    assert done.returncode == 0
    import argparse
    from cfnews.pipeline.local_runner import LocalWorkerOptions
    from cfnews.pipeline.options import CfnewsOptions
    text = done.stdout
    for cls in (CfnewsOptions, LocalWorkerOptions):
        parser = argparse.ArgumentParser()
        cls._add_argparse_args(parser)
        for action in parser._actions[1:]:
            name = action.option_strings[0][2:]
            assert action.help, f"--{name} has no help text"
            match = re.search(rf"--{re.escape(name.replace('_', '-'))}\b.*\n\s+(.+)\[default: (.+)\]",
                              text)
            assert match, f"--{name} missing from `cfnews options`"
            assert match.group(1).strip() == action.help.strip()
    assert "--connect-timeout / --connect_timeout" in text
    assert "[default: 5.0; > 0 seconds]" in text and "[default: 0.27; in (0, 1]]" in text


def test_options_and_report_refuse_stray_flags(tmp_path):
    done = cfnews("compact", "--out", tmp_path, "--runner=FnApiRunner")
    assert done.returncode == exit_codes.USAGE and "unrecognized arguments" in done.stderr


# --- exit statuses, summary ---------------------------------------------------------------------

def test_an_unreadable_manifest_exits_three(tmp_path):
    done = cfnews("backfill", "--manifest", tmp_path / "missing.jsonl", "--out", tmp_path / "o",
                  "--summary-json", tmp_path / "s.json")
    assert done.returncode == exit_codes.NOTHING_READ, done.stderr
    assert "nothing could be read" in done.stderr and "missing.jsonl" in done.stderr
    figures = json.loads((tmp_path / "s.json").read_text())
    assert figures["exit_status"] == exit_codes.NOTHING_READ and "missing.jsonl" in figures["error"]


@pytest.mark.e2e
def test_every_feed_failing_exits_three_with_counts_that_agree(tmp_path, server):
    urls = [server.add(f"/feed{i}.xml", "gone", status=500 + i) for i in range(3)]
    summary = tmp_path / "summary.json"
    done = cfnews("run", "--feeds", feeds_file(tmp_path, urls), "--out", tmp_path / "o", "--once",
                  f"--allow-hosts={server.host_port}", "--max-retries=0",
                  "--summary-json", summary)
    assert done.returncode == exit_codes.NOTHING_READ, done.stdout + done.stderr
    figures = json.loads(summary.read_text())
    assert figures["feeds"] == {"polled": 3, "failed": 3, "not_modified": 0, "read": 0, "held": 0}
    assert figures["exit_status"] == exit_codes.NOTHING_READ
    assert re.search(r"feeds polled\s+3\s+\(failed 3", done.stdout), done.stdout
    assert "failed 3" in done.stdout  # the cycle line says the same
    assert "nothing could be read: all 3 feeds failed" in done.stderr


@pytest.mark.e2e
def test_answers_that_are_no_feed_count_as_failed_feeds(tmp_path, server):
    """A feed URL that answers 200 with no feed (a site's HTML page, a soft 404, a gzip file)
    is a failed feed, as `summarise` counts it on the other runners: `run --once` counted it
    read, so a feeds file whose every URL had moved exited 0 without a warning."""
    import gzip
    page = server.add("/moved.xml", "<html><body><p>Page not found</p></body></html>")
    blob = server.add("/feed.xml.gz", gzip.compress(RSS.format(link="http://x.example/a").encode()),
                      content_type="application/gzip")
    summary = tmp_path / "summary.json"
    done = cfnews("run", "--feeds", feeds_file(tmp_path, [page, blob]), "--out", tmp_path / "o",
                  "--once", f"--allow-hosts={server.host_port}", "--summary-json", summary)
    assert done.returncode == exit_codes.NOTHING_READ, done.stdout + done.stderr
    assert "nothing could be read: all 2 feeds failed" in done.stderr
    assert json.loads(summary.read_text())["feeds"] == {"polled": 2, "failed": 2,
                                                         "not_modified": 0, "read": 0, "held": 0}
    assert re.search(r"^cycle 1 .* failed 2 ", done.stdout, re.M), done.stdout


@pytest.mark.e2e
def test_some_feeds_failing_exits_zero_with_a_warning(tmp_path, server):
    link = server.add("/a/story.html", "<html><body><p>Macron met Xi in Paris.</p></body></html>")
    good = server.add("/good.xml", RSS.format(link=link), content_type="application/rss+xml")
    bad = server.add("/bad.xml", "no", status=503)
    summary = tmp_path / "summary.json"
    done = cfnews("run", "--feeds", feeds_file(tmp_path, [good, bad]), "--out", tmp_path / "o",
                  "--once", "--all-topics", f"--allow_hosts={server.host_port}",
                  "--max-retries=0", "--min-host-delay=0", "--summary-json", summary)
    assert done.returncode == exit_codes.OK, done.stdout + done.stderr
    assert re.search(r"WARNING cfnews: 1 of 2 feeds failed", done.stderr), done.stderr
    figures = json.loads(summary.read_text())
    assert figures["feeds"] == {"polled": 2, "failed": 1, "not_modified": 0, "read": 1, "held": 0}
    assert figures["entries"]["new"] == 1 and figures["adds_up"] is True
    assert figures["written"]["rejected_feed_level"] == 1
    assert sum(figures["written"][k] for k in ("articles", "duplicates", "rejected_entries")) == 1


@pytest.mark.e2e
def test_the_feed_figures_add_up_to_the_feeds_polled(tmp_path, server):
    """failed + not modified + read = polled: a 304 was counted both not modified and read
    ('feeds polled 3 (failed 1, not modified 1, read 2)')."""
    link = server.add("/a/story.html", "<html><body><p>Macron met Xi in Paris.</p></body></html>")
    good = server.add("/good.xml", RSS.format(link=link), content_type="application/rss+xml")
    same = server.add("/same.xml", "", status=304)
    bad = server.add("/bad.xml", "no", status=503)
    summary = tmp_path / "summary.json"
    done = cfnews("run", "--feeds", feeds_file(tmp_path, [good, same, bad]), "--out",
                  tmp_path / "o", "--once", "--all-topics", f"--allow-hosts={server.host_port}",
                  "--max-retries=0", "--min-host-delay=0", "--summary-json", summary)
    assert done.returncode == exit_codes.OK, done.stdout + done.stderr
    assert json.loads(summary.read_text())["feeds"] == {"polled": 3, "failed": 1,
                                                         "not_modified": 1, "read": 1, "held": 0}
    assert "feeds polled      3  (failed 1, not modified 1, read 1)" in done.stdout, done.stdout


@pytest.mark.e2e
def test_summary_json_holds_the_printed_figures(tmp_path):
    summary = tmp_path / "s" / "summary.json"
    done = cfnews("backfill", "--manifest", small_manifest(tmp_path), "--out", tmp_path / "o",
                  "--all-topics", "--summary-json", summary)
    assert done.returncode == 0, done.stderr
    figures = json.loads(summary.read_text())
    printed = re.search(r"accounting\s+(\d+) \+ (\d+) \+ (\d+) = (\d+) of (\d+)", done.stdout)
    assert [int(x) for x in printed.groups()] == [
        figures["written"]["articles"], figures["written"]["duplicates"],
        figures["written"]["rejected_entries"], figures["accounted"], figures["entries"]["new"]]
    assert figures["run_id"] in done.stdout and figures["exit_status"] == 0
    assert figures["files"]["articles"] >= 1


# --- cfnews sql ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def written_out(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sql")
    done = cfnews("backfill", "--manifest", small_manifest(folder), "--out", folder / "o",
                  "--all-topics", "-q")
    assert done.returncode == 0, done.stderr
    return folder / "o", done.stdout


@pytest.mark.e2e
def test_the_summarys_hint_runs_as_printed(written_out):
    out, summary = written_out
    hint = re.search(r"cfnews sql --out (\S+) \"(.+)\"", summary)
    assert hint, summary
    done = cfnews("sql", "--out", hint.group(1), hint.group(2))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["date", "outlet", "language", "articles", "stories"]
    assert lines[2].split() == ["2026-11-30", "wire", "en", "1", "1"]


@pytest.mark.e2e
def test_sql_defines_the_deploy_views_and_formats(written_out):
    out, _ = written_out
    done = cfnews("sql", "--out", out, "--format", "json", "FROM wire_pairs")
    assert done.returncode == 0, done.stderr
    assert [json.loads(l) for l in done.stdout.splitlines()] == [
        {"first_outlet": "wire", "carried_by": "wire", "stories": 2}]
    done = cfnews("sql", "--out", out, "--format=csv", "SELECT count(*) AS n FROM rejected")
    assert done.stdout.splitlines() == ["n", "0"]   # no files yet: an empty view, not an error
    done = cfnews("sql", "--out", out, "SELEC 1")
    assert done.returncode == exit_codes.USAGE and "syntax error" in done.stderr
    for nothing in ("", "  ", "-- a comment only", ";"):  # was exit 0 and an empty line
        done = cfnews("sql", "--out", out, nothing)
        assert done.returncode == exit_codes.USAGE, (nothing, done.stdout)
        assert "no SQL statement" in done.stderr and done.stdout == ""


# --- logs ---------------------------------------------------------------------------------------

def test_log_lines_carry_timestamps_and_json_on_request(tmp_path):
    text = cfnews("backfill", "--manifest", tmp_path / "none.jsonl", "--out", tmp_path, "-v")
    assert re.search(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ERROR cfnews: nothing could be read", text.stderr, re.M), \
        text.stderr
    as_json = cfnews("--log-format", "json", "backfill", "--manifest", tmp_path / "none.jsonl",
                     "--out", tmp_path, "-v")
    records = [json.loads(l) for l in as_json.stderr.splitlines()]  # every line is JSON
    assert any(r["level"] == "ERROR" and "nothing could be read" in r["message"]
               for r in records), as_json.stderr
    assert all(set(r) >= {"ts", "level", "logger", "message"} for r in records)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+Z", r["ts"]) for r in records)


@pytest.mark.e2e
def test_run_every_rewrites_the_summary_json_after_each_cycle(tmp_path, server):
    """`run --every --summary-json FILE`: after each cycle, that cycle's figures and number,
    replaced atomically (the folder never holds a half-written or temporary file afterwards)."""
    first = server.add("/a/one.html", "<html><body><p>Macron met Xi in Paris.</p></body></html>")
    second = server.add("/a/two.html", "<html><body><p>Xi met Macron in Beijing.</p></body></html>")
    good = server.add("/good.xml", RSS.format(link=first), content_type="application/rss+xml")
    bad = server.add("/bad.xml", "no", status=503)
    folder = tmp_path / "status"
    summary = folder / "summary.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "cfnews", "run", "--feeds", str(feeds_file(tmp_path, [good, bad])),
         "--out", str(tmp_path / "o"), "--every", "40s", "--min-poll", "1s", "--max-cycles", "2",
         "--all-topics", f"--allow_hosts={server.host_port}", "--max-retries=0",
         "--min-host-delay=0", "--summary-json", str(summary)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 240
        while not summary.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert summary.exists(), "no summary after the first cycle"
        one = json.loads(summary.read_text())
        # the second cycle sees one more item
        two_items = RSS.format(link=second).replace(
            "</channel>", f"<item><title>One</title><link>{first}</link><guid>{first}</guid>"
                          "</item></channel>")
        server.add("/good.xml", two_items, content_type="application/rss+xml")
        stdout, stderr = proc.communicate(timeout=300)
    finally:
        proc.kill()
    assert proc.returncode == exit_codes.OK, stdout + stderr
    assert one["cycle"] == 1 and one["exit_status"] == exit_codes.OK and one["adds_up"] is True
    assert one["feeds"] == {"polled": 2, "failed": 1, "not_modified": 0, "read": 1, "held": 0}
    assert one["entries"]["new"] == 1
    two = json.loads(summary.read_text())
    assert two["cycle"] == 2 and two["exit_status"] == exit_codes.OK and two["adds_up"] is True
    assert two["entries"]["new"] == 1   # this cycle's figures, not a running total
    assert sum(two["written"][k] for k in ("articles", "duplicates", "rejected_entries")) == 1
    assert re.search(r"^cycle 2 .* new 1 ", stdout, re.M), stdout
    assert [p.name for p in folder.iterdir()] == ["summary.json"]


@pytest.mark.e2e
def test_feed_health_names_the_failing_and_the_quiet_feeds(tmp_path, server):
    """The operator's morning check, from the output alone: a feed answering 503 is
    `failing` with its last failure, a working one `ok` with its entry, and one whose last
    entry is ten days old `quiet`; failing first."""
    import datetime as dt
    import pyarrow as pa
    import pyarrow.parquet as pq
    from cfnews.schemas import SCHEMA_VERSION, schema_for
    link = server.add("/a/story.html", "<html><body><p>Macron met Xi in Paris.</p></body></html>")
    good = server.add("/good.xml", RSS.format(link=link), content_type="application/rss+xml")
    bad = server.add("/bad.xml", "no", status=503)
    quiet = server.add("/quiet.xml", RSS.format(link=link), content_type="application/rss+xml")
    out = tmp_path / "o"
    # what an earlier run left of the quiet feed: one article, ten days ago
    ten_days_ago = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=10)
    schema = schema_for("articles")
    row = {name: [None] for name in schema.names}
    row.update(schema_version=[SCHEMA_VERSION],
               article_id=["00000000000000aa"], url=["https://x.example/old"], source=["feed"],
               feed_url=[quiet], discovered_at=[ten_days_ago], published_at=[ten_days_ago])
    folder = out / "articles" / f"date={ten_days_ago.date()}" / "outlet=outlet-2"
    folder.mkdir(parents=True)
    pq.write_table(pa.table(row, schema=schema), folder / "part-old-0000.parquet")
    done = cfnews("run", "--feeds", feeds_file(tmp_path, [good, bad]), "--out", out, "--once",
                  "--all-topics", f"--allow_hosts={server.host_port}", "--max-retries=0",
                  "--min-host-delay=0")
    assert done.returncode == exit_codes.OK, done.stdout + done.stderr
    health = cfnews("sql", "--out", out, "--format", "json", "FROM feed_health")
    assert health.returncode == 0, health.stderr
    rows = [json.loads(line) for line in health.stdout.splitlines()]
    assert [(r["feed_url"], r["status"]) for r in rows] == [
        (bad, "failing"), (quiet, "quiet"), (good, "ok")], rows
    failing, silent, fine = rows
    assert failing["failed_polls_7d"] == 1 and failing["last_failure"].startswith("feed_http_error 503")
    assert failing["last_entry_at"] is None and failing["outlet"] == "outlet-1"
    assert silent["entries_7d"] == 0 and silent["last_failure_at"] is None
    assert fine["entries_7d"] == 1 and fine["failed_polls_7d"] == 0


def test_allow_hosts_given_twice_allows_both(tmp_path, server):
    """`--allow-hosts A --allow-hosts B` allowed only B (the second flag replaced the first),
    so the feed on A failed as a blocked address; each flag now adds its hosts."""
    from tests.conftest import LocalServer
    other = LocalServer()
    try:
        feeds = []
        for srv in (server, other):
            link = srv.add("/a/story.html", "<html><body><p>Macron met Xi in Paris.</p></body></html>")
            feeds.append(srv.add("/feed.xml", RSS.format(link=link),
                                 content_type="application/rss+xml"))
        summary = tmp_path / "summary.json"
        done = cfnews("run", "--feeds", feeds_file(tmp_path, feeds), "--out", tmp_path / "o",
                      "--once", "--all-topics", "--allow-hosts", server.host_port,
                      "--allow-hosts", other.host_port, "--max-retries=0", "--min-host-delay=0",
                      "--summary-json", summary)
    finally:
        other.stop()
    assert done.returncode == exit_codes.OK, done.stdout + done.stderr
    figures = json.loads(summary.read_text())
    assert figures["feeds"]["failed"] == 0 and figures["entries"]["new"] == 2, figures


def test_a_json_feed_is_read_like_an_rss_feed(tmp_path, server):
    """A JSON Feed was one feed_unparseable row (feedparser 6 does not read it): the run
    exited 3, every feed having failed. Its items are now entries like any feed's."""
    link = server.add("/a/story.html", "<html><body><p>Macron met Xi in Paris.</p></body></html>")
    body = json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "J",
                       "items": [{"id": "1", "url": link, "title": "Macron and Xi",
                                  "date_published": "2026-03-02T10:00:00+01:00"}]})
    feed = server.add("/feed.json", body, content_type="application/feed+json")
    summary = tmp_path / "summary.json"
    done = cfnews("run", "--feeds", feeds_file(tmp_path, [feed]), "--out", tmp_path / "o", "--once",
                  "--all-topics", f"--allow-hosts={server.host_port}", "--max-retries=0",
                  "--min-host-delay=0", "--summary-json", summary)
    assert done.returncode == exit_codes.OK, done.stdout + done.stderr
    figures = json.loads(summary.read_text())
    assert figures["feeds"]["failed"] == 0 and figures["entries"]["new"] == 1, figures
    assert sum(figures["written"][k] for k in ("articles", "rejected_entries")) == 1
