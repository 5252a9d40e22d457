"""A page that failed transiently is fetched again by later runs, through the CLI as an
operator runs it (subprocesses, a loopback server the test starts): `run --once` run after
run (in-process and with multi_processing workers), `run --every` cycle after cycle, and the bounded graph that polls inside the job
(`demo`, Dataflow `run --once`). Before, the first failure's `rejected` row made the id seen:
a page that answered 503 once was lost for good although its feed still listed it."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cfnews.pipeline import exit_codes
from cfnews.pipeline.sql import run_sql
from cfnews.schemas import MAX_ATTEMPTS
from cfnews.transforms.urls import article_id_for, canonical_url
from tests.benchmarks.mode_parity import ROOT
from tests.conftest import respond
from tests.test_operator_cli import cfnews, feeds_file
from tests.test_wild_feeds import page

pytestmark = pytest.mark.e2e

# the fetch's own retries are off: one request per run and page, so hits count runs; and a
# later run may try again at once (no --retry_wait)
COMMON = ("--all-topics", "--min-host-delay=0", "--max_retries=0", "--retry_wait=0", "-q")

# The graph that polls inside the job, as `demo` and a Dataflow `run --once` build it.
GRAPH = """
import os, sys
from cfnews.pipeline.feeds_file import load_feeds
from cfnews.pipeline.runner import make_options, run_job
from cfnews.pipeline.summary import write_summary_json
feeds, out, summary, allow, wait = sys.argv[1:]
options = make_options(["--max_retries=0", f"--retry_wait={wait}"], out=out, allow_hosts=[allow],
                       min_host_delay=0.0, all_topics=True)
result = run_job(options, feeds=load_feeds(feeds))
write_summary_json(result, summary, result.exit_status())
os._exit(0)
"""


def serve(server) -> dict:
    """A feed of four pages: one answering 503 to its first request only, one 503 to every
    request, one 404, one fine. Returns {name: article id}."""
    def flaky(handler):
        if server.hits[handler.path] == 1:
            respond(handler, 503, {"Content-Type": "text/plain"}, b"busy")
        else:
            respond(handler, 200, {"Content-Type": "text/html; charset=utf-8"},
                    page(1).encode("utf-8"))
    server.routes["/s/flaky"] = flaky
    server.add("/s/down", "busy", status=503, content_type="text/plain")
    server.add("/s/fine", page(4))      # /s/gone is not served: 404
    paths = {"flaky": "/s/flaky", "down": "/s/down", "gone": "/s/gone", "fine": "/s/fine"}
    items = "".join(f"<item><title>Story {name}</title><link>{server.url(path)}</link>"
                    f"<guid isPermaLink='false'>{name}</guid>"
                    "<pubDate>Thu, 04 Dec 2025 08:00:00 +0000</pubDate></item>"
                    for name, path in paths.items())
    server.add("/feed.xml", "<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>"
               f"{items}</channel></rss>", content_type="application/rss+xml")
    return {name: article_id_for(canonical_url(server.url(path))) for name, path in paths.items()}


def sql(out, query: str) -> list:
    """The rows `cfnews sql --out OUT --format json QUERY` prints, from the function it runs,
    in this process: the lake is read a dozen times a test, and each `cfnews sql` subprocess
    spends ~2 s of CPU importing (the command itself is run by test_operator_cli)."""
    text = run_sql(str(out), query, "json")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def hits(server) -> dict:
    return {name: server.hits.get(f"/s/{name}", 0) for name in ("flaky", "down", "gone", "fine")}


def check_the_lake(out, ids: dict) -> None:
    """The retried page's article is current; its 503 is kept in rejected_all_versions only."""
    [article] = sql(out, f"SELECT run_id FROM articles WHERE article_id = '{ids['flaky']}'")
    assert sql(out, f"SELECT * FROM rejected WHERE article_id = '{ids['flaky']}'") == []
    [old] = sql(out, "SELECT reason, http_status, run_id FROM rejected_all_versions "
                     f"WHERE article_id = '{ids['flaky']}'")
    assert (old["reason"], old["http_status"]) == ("http_error", 503)
    assert article["run_id"] > old["run_id"]
    down = sql(out, "SELECT http_status, run_id FROM rejected_all_versions "
                    f"WHERE article_id = '{ids['down']}' ORDER BY run_id")
    assert [r["http_status"] for r in down] == [503] * MAX_ATTEMPTS
    assert len({r["run_id"] for r in down}) == MAX_ATTEMPTS
    [current] = sql(out, f"SELECT run_id FROM rejected WHERE article_id = '{ids['down']}'")
    assert current["run_id"] == down[-1]["run_id"]
    [gone] = sql(out, "SELECT count(*) AS n, any_value(http_status) AS status "
                      f"FROM rejected_all_versions WHERE article_id = '{ids['gone']}'")
    assert (gone["n"], gone["status"]) == (1, 404)
    assert len(sql(out, f"SELECT 1 FROM articles WHERE article_id = '{ids['fine']}'")) == 1


@pytest.mark.parametrize("mode", ["once", "multi_processing", "graph"])
def test_a_transient_failure_is_fetched_again_by_later_runs(tmp_path, server, mode):
    ids = serve(server)
    feeds = feeds_file(tmp_path, [server.url("/feed.xml")])
    out, summary = tmp_path / "out", tmp_path / "summary.json"

    def run():
        if mode != "graph":
            workers = (("--direct_running_mode=multi_processing", "--direct_num_workers=2")
                       if mode == "multi_processing" else ())
            done = cfnews("run", "--feeds", feeds, "--out", out, "--once", "--summary-json",
                          summary, f"--allow-hosts={server.host_port}", *workers, *COMMON)
        else:
            done = subprocess.run([sys.executable, "-c", GRAPH, str(feeds), str(out),
                                   str(summary), server.host_port, "0"], cwd=ROOT,
                                  capture_output=True, text=True, timeout=300)
        assert done.returncode == exit_codes.OK, (done.stdout, done.stderr[-3000:])
        return done, json.loads(summary.read_text(encoding="utf-8"))

    _, first = run()
    assert hits(server) == {"flaky": 1, "down": 1, "gone": 1, "fine": 1}
    assert first["written"]["articles"] == 1 and first["entries"]["retried"] == 0
    assert first["rejected_by_reason"] == {"fetch.http_error": 3}
    done, second = run()    # flaky now answers; down fails again; gone and fine are not asked
    assert hits(server) == {"flaky": 2, "down": 2, "gone": 1, "fine": 1}
    assert second["entries"]["retried"] == 2 and second["entries"]["new"] == 2, second
    assert second["written"]["articles"] == 1 and second["adds_up"], second
    if mode != "graph":
        assert "2 of the new entries failed transiently in an earlier run" in done.stdout
    for _ in range(MAX_ATTEMPTS):   # down is asked MAX_ATTEMPTS times in all, then never
        _, last = run()
    assert hits(server) == {"flaky": 2, "down": MAX_ATTEMPTS, "gone": 1, "fine": 1}
    assert last["entries"] == {"seen": 4, "already_seen": 4, "new": 0, "repeated": 0,
                               "retried": 0}, last
    check_the_lake(out, ids)


def test_run_every_retries_a_transient_failure_in_its_next_cycles(tmp_path, server):
    """`run --every` keeps its own seen ids (DIR/_state): a transiently rejected entry stays
    in the journal and runs again the next cycle (even when its feed answers 304), until it
    is written for good or MAX_ATTEMPTS runs failed it."""
    ids = serve(server)
    feeds = feeds_file(tmp_path, [server.url("/feed.xml")])
    out = tmp_path / "out"
    cycles = MAX_ATTEMPTS + 1
    done = cfnews("run", "--feeds", feeds, "--out", out, "--every", "1s", "--min-poll", "1s",
                  "--max-cycles", cycles, f"--allow-hosts={server.host_port}", *COMMON,
                  timeout=600)
    assert done.returncode == exit_codes.OK, (done.stdout, done.stderr[-3000:])
    assert hits(server) == {"flaky": 2, "down": MAX_ATTEMPTS, "gone": 1, "fine": 1}, done.stdout
    lines = [line for line in done.stdout.splitlines() if line.startswith("cycle ")]
    assert len(lines) == cycles and "retried 2" in lines[1], lines
    check_the_lake(out, ids)
    state = json.loads((out / "_state" / "state.json").read_text(encoding="utf-8"))
    assert state["pending"] == [] and set(ids.values()) <= set(state["seen"])


@pytest.mark.parametrize("mode", ["once", "graph"])
def test_a_transient_failure_waits_before_the_next_attempt(tmp_path, server, mode):
    """With the default --retry_wait (15 minutes), a run right after the failure leaves the
    page alone (not fetched, not given up: the 503 stays the current row); a run once the
    wait is over (here: --retry_wait=0) fetches it."""
    ids = serve(server)
    feeds = feeds_file(tmp_path, [server.url("/feed.xml")])
    out, summary = tmp_path / "out", tmp_path / "summary.json"

    def run(*wait):
        if mode == "once":
            common = [a for a in COMMON if not a.startswith("--retry_wait")] + list(wait)
            done = cfnews("run", "--feeds", feeds, "--out", out, "--once", "--summary-json",
                          summary, f"--allow-hosts={server.host_port}", *common)
        else:
            value = wait[0].split("=", 1)[1] if wait else "900"
            done = subprocess.run([sys.executable, "-c", GRAPH, str(feeds), str(out),
                                   str(summary), server.host_port, value], cwd=ROOT,
                                  capture_output=True, text=True, timeout=300)
        assert done.returncode == exit_codes.OK, (done.stdout, done.stderr[-3000:])
        return json.loads(summary.read_text(encoding="utf-8"))

    run()
    assert hits(server) == {"flaky": 1, "down": 1, "gone": 1, "fine": 1}
    soon = run()
    assert hits(server) == {"flaky": 1, "down": 1, "gone": 1, "fine": 1}, soon
    assert soon["entries"]["retried"] == 0 and soon["adds_up"], soon
    [current] = sql(out, f"SELECT http_status FROM rejected WHERE article_id = '{ids['flaky']}'")
    assert current["http_status"] == 503
    over = run("--retry_wait=0")
    assert hits(server) == {"flaky": 2, "down": 2, "gone": 1, "fine": 1}, over
    assert over["entries"]["retried"] == 2 and over["written"]["articles"] == 1, over


# ---------------------------------------------------------------- feeds that drop the item

def graph_run(feeds, out, summary, server, wait="0") -> dict:
    """One run of the graph that polls inside the job (`demo`, Dataflow `run --once`)."""
    done = subprocess.run([sys.executable, "-c", GRAPH, str(feeds), str(out), str(summary),
                           server.host_port, wait], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == exit_codes.OK, (done.stdout, done.stderr[-3000:])
    return json.loads(summary.read_text(encoding="utf-8"))


def busy_once(server, path: str, n: int) -> str:
    """A page answering 503 to its first request only; returns its article id."""
    def route(handler):
        if server.hits[handler.path] == 1:
            respond(handler, 503, {"Content-Type": "text/plain"}, b"busy")
        else:
            respond(handler, 200, {"Content-Type": "text/html; charset=utf-8"},
                    page(n).encode("utf-8"))
    server.routes[path] = route
    return article_id_for(canonical_url(server.url(path)))


def list_feed(server, feed: str, names) -> None:
    """(Re)serve the feed at `feed` listing the pages /s/<name>."""
    items = "".join(f"<item><title>Story {name}</title><link>{server.url(f'/s/{name}')}</link>"
                    f"<guid isPermaLink='false'>{name}</guid>"
                    f"<description>Summary of {name}</description>"
                    "<pubDate>Thu, 04 Dec 2025 08:00:00 +0000</pubDate></item>" for name in names)
    server.add(feed, "<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>"
               f"{items}</channel></rss>", content_type="application/rss+xml")


def test_the_in_job_graph_fetches_again_a_page_its_feed_no_longer_lists(tmp_path, server):
    """No journal in the graph that polls inside the job: a page that answered 503 and then
    left its feed (news feeds roll items off within hours) was lost for good, its 503 the
    last word. Now the run fetches it again from its `rejected` row once the wait is over,
    and a page the feed still lists is fetched once, as listed (one entry per id)."""
    gone_id = busy_once(server, "/s/gone", 1)
    kept_id = busy_once(server, "/s/kept", 2)
    server.add("/s/fine", page(3))
    list_feed(server, "/feed.xml", ["gone", "kept", "fine"])
    feeds = feeds_file(tmp_path, [server.url("/feed.xml")])
    out, summary = tmp_path / "out", tmp_path / "summary.json"
    first = graph_run(feeds, out, summary, server)
    assert first["rejected_by_reason"] == {"fetch.http_error": 2}, first
    [failed] = sql(out, f"SELECT run_id, discovered_at FROM rejected WHERE article_id = '{gone_id}'")
    list_feed(server, "/feed.xml", ["kept", "fine"])        # /s/gone rolled off the feed
    soon = graph_run(feeds, out, summary, server, wait="900")   # within --retry_wait: not yet
    assert server.hits["/s/gone"] == 1 and server.hits["/s/kept"] == 1, soon
    assert soon["entries"]["retried"] == 0 and soon["adds_up"], soon
    over = graph_run(feeds, out, summary, server)
    assert server.hits["/s/gone"] == 2 and server.hits["/s/kept"] == 2
    assert over["entries"]["retried"] == 2 and over["entries"]["new"] == 2, over
    assert over["written"]["articles"] == 2 and over["adds_up"], over
    assert over["written"].get("duplicates", 0) == 0, over
    [article] = sql(out, "SELECT run_id, title, summary, feed_url, outlet, entry_id, url, "
                         f"discovered_at, published_at FROM articles WHERE article_id = '{gone_id}'")
    assert article["run_id"] > failed["run_id"]
    assert (article["title"], article["feed_url"], article["outlet"], article["entry_id"]) == (
        "Story 1", server.url("/feed.xml"), "outlet-0", "gone")
    assert article["url"] == server.url("/s/gone") and article["summary"] is None
    assert article["discovered_at"] == failed["discovered_at"]     # as first read
    assert article["published_at"].startswith("2025-12-04")
    assert sql(out, f"SELECT * FROM rejected WHERE article_id = '{gone_id}'") == []
    [listed] = sql(out, f"SELECT summary FROM articles WHERE article_id = '{kept_id}'")
    assert listed["summary"] == "Summary of kept"                 # as listed, not rebuilt
    last = graph_run(feeds, out, summary, server)
    assert server.hits["/s/gone"] == 2 and last["entries"]["new"] == 0, last


def test_a_retry_belongs_to_its_feed(tmp_path, server):
    """A page whose feed is not in the run's feeds file is not fetched again: it stays
    retrying (its 503 the current row) and is fetched by the first run that polls its feed
    again, whether or not the feed lists it."""
    a_id = busy_once(server, "/s/a", 1)
    b_id = busy_once(server, "/s/b", 2)
    list_feed(server, "/a.xml", ["a"])
    list_feed(server, "/b.xml", ["b"])
    both = feeds_file(tmp_path, [server.url("/a.xml"), server.url("/b.xml")])
    out, summary = tmp_path / "out", tmp_path / "summary.json"
    graph_run(both, out, summary, server)
    assert server.hits["/s/a"] == server.hits["/s/b"] == 1
    list_feed(server, "/a.xml", [])
    list_feed(server, "/b.xml", [])
    only_a = tmp_path / "a"
    only_a.mkdir()
    second = graph_run(feeds_file(only_a, [server.url("/a.xml")]), out, summary, server)
    assert server.hits["/s/a"] == 2 and server.hits["/s/b"] == 1, second
    assert second["written"]["articles"] == 1 and second["entries"]["retried"] == 1, second
    [current] = sql(out, f"SELECT http_status FROM rejected WHERE article_id = '{b_id}'")
    assert current["http_status"] == 503
    assert len(sql(out, f"SELECT 1 FROM articles WHERE article_id = '{a_id}'")) == 1
    third = graph_run(both, out, summary, server)       # b's feed is back (still without b)
    assert server.hits["/s/b"] == 2 and third["entries"]["retried"] == 1, third
    [article] = sql(out, f"SELECT outlet, feed_url FROM articles WHERE article_id = '{b_id}'")
    assert article == {"outlet": "outlet-1", "feed_url": server.url("/b.xml")}
