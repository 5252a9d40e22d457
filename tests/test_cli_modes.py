"""Modes as a user runs them (the CLI in a subprocess): entries that reach one article from
two feeds, and Dataflow jobs translated offline without touching the output location."""
from __future__ import annotations

import ast

import duckdb
import pytest

from cfnews.pipeline.feeds_file import dump_feeds
from cfnews.schemas import FeedSource
from tests.cli import cfnews, network_guard
from tests.test_crash_safety import GrowingFeed

pytestmark = pytest.mark.e2e


def rows(out, dataset):
    rel = duckdb.sql(f"SELECT * FROM read_parquet('{out}/{dataset}/**/*.parquet', "
                     "hive_partitioning=true)")
    return [dict(zip(rel.columns, r)) for r in rel.fetchall()]


def rss(server, links):
    items = "".join(f"<item><title>{link}</title><link>{server.url(link)}</link>"
                    f"<guid>{server.url(link)}</guid></item>" for link in links)
    return (200, {"Content-Type": "application/rss+xml"},
            f"<rss version='2.0'><channel><title>t</title>{items}</channel></rss>".encode())


def test_one_article_in_two_feeds_is_one_article_and_one_duplicate(tmp_path, server):
    pages = GrowingFeed(server, per_request=0)
    pages.advance(3)        # /story/1..3
    server.routes["/a.xml"] = rss(server, ["/story/1", "/story/2"])
    server.routes["/b.xml"] = rss(server, ["/story/1", "/story/3"])
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(dump_feeds([
        FeedSource(outlet="alpha", url=server.url("/a.xml"), language="en", country="FR"),
        FeedSource(outlet="beta", url=server.url("/b.xml"), language="en", country="FR")]))
    out = tmp_path / "out"
    done = cfnews("run", "--feeds", str(feeds), "--out", str(out), "--once", "--all-topics",
                  f"--allow_hosts={server.host_port}", "--min_host_delay=0")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "(adds up)" in done.stdout
    articles, duplicates = rows(out, "articles"), rows(out, "duplicates")
    assert sorted(a["url"].rsplit("/", 1)[1] for a in articles) == ["1", "2", "3"]
    [copy] = duplicates
    assert copy["method"] == "canonical_url" and copy["url"].endswith("/story/1")
    assert copy["canonical_id"] == [a for a in articles if a["url"] == copy["url"]][0]["article_id"]
    # run again: everything is already written, nothing is added
    again = cfnews("run", "--feeds", str(feeds), "--out", str(out), "--once", "--all-topics",
                   f"--allow_hosts={server.host_port}", "--min_host_delay=0")
    assert again.returncode == 0, again.stderr
    assert len(rows(out, "articles")) == 3 and len(rows(out, "duplicates")) == 1


# Any attempt to resolve or connect ends the process at once, before a packet leaves.
NO_NETWORK = network_guard(allow_loopback=False)
DATAFLOW = ["--runner=DataflowRunner", "--dry_run=True", "--project=example-project",
            "--region=europe-west1", "--temp_location=gs://example-bucket/tmp",
            "--sdk_container_image=europe-west1-docker.pkg.dev/example-project/cfnews/cfnews:test",
            "--sdk_location=container"]


@pytest.mark.parametrize("command", ["backfill", "run"])
def test_dataflow_jobs_translate_offline_without_touching_the_output(tmp_path, command):
    pytest.importorskip("apache_beam.runners.dataflow.dataflow_runner",
                        reason="needs apache-beam[gcp]")
    if command == "backfill":
        manifest = tmp_path / "pages.jsonl"
        manifest.write_text('{"url": "https://example.org/a", "outlet": "x", "text": "t"}\n')
        args = ["backfill", "--manifest", str(manifest)]
    else:
        feeds = tmp_path / "feeds.yaml"
        feeds.write_text(dump_feeds([FeedSource(outlet="le-monde", url="https://www.example.com/rss",
                                                language="fr", country="FR")]))
        args = ["run", "--feeds", str(feeds), "--once"]
    done = cfnews(*args, "--out", "gs://example-bucket/cfnews", *DATAFLOW, prelude=NO_NETWORK)
    assert "NETWORK ATTEMPT" not in done.stderr, done.stderr[-3000:]
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert "dry run" in done.stdout


def test_a_dry_run_is_refused_where_there_is_none(tmp_path):
    """--dry_run=True on a local runner ran the whole job: the demo wrote its 13 files (and a
    `run` would have marked its entries seen) under a summary saying "nothing was submitted,
    read or written". A dry run is Dataflow's; with `run`, it translates one job (--once)."""
    out = tmp_path / "out"
    done = cfnews("demo", "--out", str(out), "--dry_run=True")
    assert done.returncode == 2, done.stdout + done.stderr[-3000:]
    assert "--dry_run=True is for --runner=DataflowRunner" in done.stderr
    assert "FnApiRunner has no dry run" in done.stderr and not out.exists()
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(dump_feeds([FeedSource(outlet="le-monde", url="https://www.example.com/rss",
                                            language="fr", country="FR")]))
    done = cfnews("run", "--feeds", str(feeds), "--every", "10m", "--out", str(out), *DATAFLOW,
                  prelude=NO_NETWORK)   # refused before anything runs: nothing is polled
    assert done.returncode == 2 and "use it with --once" in done.stderr, done.stderr[-3000:]
    assert "NETWORK ATTEMPT" not in done.stderr and not out.exists()


@pytest.mark.parametrize("out", ["out", "file://{tmp}/out"])
def test_a_dataflow_job_writing_to_a_local_folder_is_refused(tmp_path, out):
    """Dataflow's workers cannot write to this machine's folders: the job was built anyway,
    the folder made (with a lock file in it), and Beam looked for a staging bucket on the
    network before failing with a traceback. Now a usage error before anything happens."""
    out = out.format(tmp=tmp_path)
    local = tmp_path / "out"
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(dump_feeds([FeedSource(outlet="le-monde", url="https://www.example.com/rss",
                                            language="fr", country="FR")]))
    done = cfnews("run", "--feeds", str(feeds), "--once", "--out", out if "://" in out
                  else str(local), *DATAFLOW, prelude=NO_NETWORK)
    assert "NETWORK ATTEMPT" not in done.stderr, done.stderr[-3000:]
    assert done.returncode == 2, done.stdout + done.stderr[-3000:]
    assert "give --out gs://BUCKET/PATH" in done.stderr and "Traceback" not in done.stderr
    assert not local.exists()


# What the DataflowRunner is handed: printed by the runner's entry point, then it goes on.
SHOW_BEAM_OPTIONS = """
from apache_beam.runners.dataflow import dataflow_runner as _dfr
_run = _dfr.DataflowRunner.run_pipeline
def _show(self, pipeline, options):
    o = options.get_all_options()
    sys.stderr.write("BEAM OPTIONS " + repr({k: o.get(k) for k in ("temp_location", "max_num_workers",
                     "sdk_container_image", "region")}) + "\\n")
    return _run(self, pipeline, options)
_dfr.DataflowRunner.run_pipeline = _show
"""


def test_beam_flags_given_with_hyphens_reach_beam(tmp_path):
    """`--temp-location`, `--max-num-workers`, ...: Beam's `_` names, in a real (dry) run."""
    pytest.importorskip("apache_beam.runners.dataflow.dataflow_runner",
                        reason="needs apache-beam[gcp]")
    manifest = tmp_path / "pages.jsonl"
    manifest.write_text('{"url": "https://example.org/a", "outlet": "x", "text": "t"}\n')
    hyphens = ["--" + f[2:].split("=")[0].replace("_", "-") + "=" + f.split("=", 1)[1]
               for f in DATAFLOW]
    assert "--temp-location=gs://example-bucket/tmp" in hyphens
    done = cfnews("backfill", "--manifest", str(manifest), "--out", "gs://example-bucket/cfnews",
                  *hyphens, "--max-num-workers", "3", prelude=NO_NETWORK + SHOW_BEAM_OPTIONS)
    assert "NETWORK ATTEMPT" not in done.stderr, done.stderr[-3000:]
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert "dry run" in done.stdout
    shown = [line for line in done.stderr.splitlines() if line.startswith("BEAM OPTIONS ")]
    assert shown, done.stderr[-3000:]
    seen = ast.literal_eval(shown[0][len("BEAM OPTIONS "):])
    assert seen == {"temp_location": "gs://example-bucket/tmp", "max_num_workers": 3,
                    "sdk_container_image": DATAFLOW[5].split("=", 1)[1],
                    "region": "europe-west1"}
    assert "Discarding unparseable args" not in done.stderr


def test_crash_leftovers_and_a_corrupt_file_do_not_stop_later_runs(tmp_path):
    """What a kill -9 can leave (empty partition folders, a half-built index, staging files)
    and a damaged Parquet file: the next run goes on, names the file and says what to do."""
    out = tmp_path / "out"
    for dataset in ("articles", "duplicates", "rejected"):
        (out / dataset / "date=2026-03-01" / "outlet=wire").mkdir(parents=True)
    bad = out / "articles" / "date=2026-03-02" / "outlet=wire" / "part-x-0123.parquet"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"PAR1\x00\x00 truncated")
    (out / "_index").mkdir()
    (out / "_index" / "manifest.json").write_text('{"version": 2, "files": {')
    (out / "_staging" / "deadrun").mkdir(parents=True)
    (out / "_staging" / "deadrun" / "half.parquet").write_bytes(b"PAR1")
    manifest = tmp_path / "pages.jsonl"
    text = "\n\n".join(f"Paragraph {i}: Paris and Beijing signed agreements on aviation and "
                       f"nuclear energy during the visit of the French president." for i in range(8))
    import json
    manifest.write_text(json.dumps({"url": "https://wire.example/a", "outlet": "wire",
                                    "published": "2026-03-02T10:00:00Z", "text": text}) + "\n")
    done = cfnews("backfill", "--manifest", str(manifest), "--out", str(out), "--all-topics")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "(adds up)" in done.stdout
    assert str(bad) in done.stderr and "Move the file" in done.stderr
    import pyarrow.parquet as pq
    written = [p for p in (out / "articles").rglob("*.parquet") if p != bad]
    assert [u for p in written for u in pq.read_table(p).column("url").to_pylist()] == [
        "https://wire.example/a"]


def test_a_wire_copy_arriving_a_week_later_is_its_duplicate(tmp_path, seeds):
    """Two backfills a week apart in publication time, with the default 14-day expiry: the
    later copy is matched against the earlier run's article read from the output's history
    (the window follows the articles' own dates, not the clock)."""
    import json
    out = tmp_path / "out"
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    first.write_text(json.dumps({"url": "https://wire.example/a", "outlet": "wire",
                                 "text": seeds["002"], "published": "2025-12-04T08:00:00Z"}))
    second.write_text(json.dumps({"url": "https://ledger.example/b", "outlet": "ledger",
                                  "text": seeds["004"], "published": "2025-12-11T08:00:00Z"}))
    for manifest in (first, second):
        done = cfnews("backfill", "--manifest", str(manifest), "--out", str(out))
        assert done.returncode == 0 and "(adds up)" in done.stdout, done.stdout + done.stderr
    [original] = rows(out, "articles")
    [copy] = rows(out, "duplicates")
    assert copy["url"] == "https://ledger.example/b" and copy["method"] == "near_duplicate"
    assert copy["canonical_id"] == original["article_id"] == copy["cluster_id"]


def test_relevance_reasons_say_what_happened_to_each_row(tmp_path):
    """A backfill of one China–France article and one that names France only: without
    --all-topics the second is rejected with the filter's reason in `error`; with it, the row
    is kept and its reason says it is under the threshold, not "dropped"."""
    import json
    on_topic = "\n\n".join(f"Paragraph {i}: Paris and Beijing signed agreements on aviation and "
                           f"nuclear energy during the visit of the French president to China."
                           for i in range(6))
    off_topic = "\n\n".join(f"Paragraph {i}: the French vineyards of Burgundy had a dry summer, "
                            f"and growers in France expect a small but fine harvest."
                            for i in range(6))
    manifest = tmp_path / "pages.jsonl"
    manifest.write_text("".join(json.dumps({"url": f"https://wire.example/{name}", "outlet": "wire",
                                            "published": "2026-03-02T10:00:00Z", "text": text}) + "\n"
                                for name, text in (("visit", on_topic), ("wine", off_topic))))
    filtered, everything = tmp_path / "filtered", tmp_path / "all"
    for out, extra in ((filtered, ()), (everything, ("--all-topics",))):
        done = cfnews("backfill", "--manifest", str(manifest), "--out", str(out), *extra)
        assert done.returncode == 0, done.stdout + done.stderr
    [kept] = rows(filtered, "articles")
    assert kept["url"].endswith("/visit") and kept["relevance_reason"].startswith("kept: ")
    [dropped] = rows(filtered, "rejected")
    assert dropped["reason"] == "not_relevant" and dropped["url"].endswith("/wine")
    assert dropped["error"].startswith("dropped: ") and "china" in dropped["error"].lower(), dropped
    reasons = {r["url"].rsplit("/", 1)[1]: r["relevance_reason"] for r in rows(everything, "articles")}
    assert reasons["visit"] == kept["relevance_reason"]
    assert reasons["wine"] == "kept by --all-topics, below the threshold: " + \
        dropped["error"].removeprefix("dropped: ")


@pytest.mark.parametrize("allow_loopback", [False, True])
def test_the_cli_guard_stops_a_lookup_or_connection_before_it_is_made(allow_loopback):
    """The guard the tests above run cfnews under ends the process (97) at a lookup or a
    connection off loopback; loopback passes only when allowed. The calls are ones that send
    nothing even unguarded: numeric-only lookups and a UDP socket's connect."""
    import subprocess
    import sys

    def attempt(call):
        code = network_guard(allow_loopback) + f"import socket\n{call}\nprint('passed')\n"
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              timeout=60)

    for call in ("socket.getaddrinfo('example.org', 443, flags=socket.AI_NUMERICHOST)",
                 "socket.getaddrinfo('192.0.2.7', 443, flags=socket.AI_NUMERICHOST)",
                 "socket.socket(socket.AF_INET, socket.SOCK_DGRAM).connect(('192.0.2.7', 9))"):
        done = attempt(call)
        assert done.returncode == 97 and "NETWORK ATTEMPT" in done.stderr, (call, done.stderr)
    local = attempt("socket.getaddrinfo('127.0.0.2', 80, flags=socket.AI_NUMERICHOST)")
    if allow_loopback:
        assert local.returncode == 0 and "passed" in local.stdout, local.stderr
    else:
        assert local.returncode == 97, local.stderr
