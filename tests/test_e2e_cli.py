"""The `run --once` and `backfill` commands end to end, and their error paths."""
import gzip
import json
import os

import duckdb
import pytest

from tests.conftest import cli
from cfnews.pipeline.demo.catalog import load_catalog, load_outlets, render_page
from cfnews.pipeline.demo.site import DemoSite
from cfnews.pipeline.feeds_file import dump_feeds

pytestmark = pytest.mark.e2e


def rows(out, dataset):
    rel = duckdb.sql(f"SELECT * FROM read_parquet('{out}/{dataset}/**/*.parquet', "
                     "hive_partitioning=true)")
    return [dict(zip(rel.columns, r)) for r in rel.fetchall()]


def test_run_once_on_a_feeds_file(tmp_path):
    out = tmp_path / "out"
    with DemoSite() as site:
        feeds_file = tmp_path / "feeds.yaml"
        feeds_file.write_text(dump_feeds(site.feeds))
        done = cli("run", "--feeds", str(feeds_file), "--out", str(out), "--once",
                   "--runner=FnApiRunner", f"--allow_hosts={site.allow_hosts[0]}",
                   "--min_host_delay=0")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "adds up" in done.stdout
    assert len(rows(out, "articles")) == sum(a.expect == "article" for a in load_catalog())


def test_run_rejects_an_invalid_feeds_file(tmp_path):
    bad = tmp_path / "feeds.yaml"
    bad.write_text("version: 1\nfeeds:\n  - outlet: Bad Id\n    url: ftp://x\n    language: en\n"
                   "    country: FR\n    colour: red\n")
    done = cli("run", "--feeds", str(bad), "--out", str(tmp_path / "o"), "--once")
    assert done.returncode == 2
    err = done.stderr
    assert "colour" in err and "url" in err and "outlet" in err
    assert err.count(str(bad)) == 1, f"the file is named once: {err}"


def test_backfill_manifest_with_every_kind_of_line(tmp_path, seeds):
    outlets = {o.id: o for o in load_outlets()}
    catalog = {a.id: a for a in load_catalog()}
    pages = tmp_path / "pages"
    pages.mkdir()
    a002, a004 = catalog["seed-002"], catalog["seed-004"]
    (pages / "002.html.gz").write_bytes(gzip.compress(
        render_page(a002, outlets[a002.outlet]).encode("utf-8")))
    lines = [
        {"url": "https://wire.example/2025/12/04/macron-xi", "outlet": a002.outlet,
         "html_file": "pages/002.html.gz", "published": a002.published.isoformat()},
        {"url": "https://ledger.example/macron-china-visit", "outlet": a004.outlet,
         "html": render_page(a004, outlets[a004.outlet]), "published": a004.published.isoformat()},
        {"url": "https://review.example/wang-yi-bonne", "outlet": "pacific-review-demo",
         "text": seeds["001"], "title": "Wang Yi meets Emmanuel Bonne",
         "published": "2025-12-03T10:00:00Z"},
        "this line is not JSON",
        {"url": "https://review.example/no-content", "outlet": "pacific-review-demo"},
        {"url": "https://review.example/missing", "outlet": "x", "html_file": "pages/none.html"},
    ]
    manifest = tmp_path / "pages.jsonl"
    manifest.write_text("\n".join(l if isinstance(l, str) else json.dumps(l) for l in lines))
    out = tmp_path / "out"
    done = cli("backfill", "--manifest", str(manifest), "--out", str(out), "--runner=FnApiRunner")
    assert done.returncode == 0, done.stdout + done.stderr
    articles, dups, rejected = rows(out, "articles"), rows(out, "duplicates"), rows(out, "rejected")
    assert len(articles) + len(dups) + len(rejected) == len(lines)
    assert {a["url"] for a in articles} == {lines[0]["url"], lines[2]["url"]}
    assert all(a["source"] == "backfill" for a in articles)
    [dup] = dups
    assert dup["url"] == lines[1]["url"] and dup["method"] == "near_duplicate"
    assert dup["canonical_id"] == [a for a in articles if a["url"] == lines[0]["url"]][0]["article_id"]
    by_line = {r["error"].split(":")[0]: r for r in rejected}
    assert by_line["line 4"]["reason"] == "manifest_bad_line"
    assert by_line["line 5"]["reason"] == "manifest_bad_line"
    assert by_line["line 6"]["reason"] == "manifest_file_unreadable"
    assert {r["stage"] for r in rejected} == {"manifest"}


def test_a_copy_arriving_in_a_later_run_is_still_a_duplicate(tmp_path, seeds):
    out = tmp_path / "out"
    first = tmp_path / "first.jsonl"
    first.write_text(json.dumps({"url": "https://wire.example/a", "outlet": "wire",
                                 "text": seeds["002"], "published": "2025-12-04T08:00:00Z"}))
    second = tmp_path / "second.jsonl"
    second.write_text(json.dumps({"url": "https://ledger.example/b", "outlet": "ledger",
                                  "text": seeds["004"], "published": "2025-12-04T12:00:00Z"}))
    recent = ["--dedup_expiry_days=100000"]  # the seeds are dated 2025: keep them in the index
    assert cli("backfill", "--manifest", str(first), "--out", str(out), *recent).returncode == 0
    assert cli("backfill", "--manifest", str(second), "--out", str(out), *recent).returncode == 0
    [original] = rows(out, "articles")
    [copy] = rows(out, "duplicates")
    assert copy["url"] == "https://ledger.example/b"
    assert copy["canonical_id"] == original["article_id"] == copy["cluster_id"]


def test_a_rewrite_in_a_later_run_joins_the_story_and_stays_an_article(tmp_path):
    """Run 1 writes a press release; run 2 brings a brief built on its quote (a rewrite) and a
    datelined copy of the release: the copy is a duplicate, the brief an enriched article,
    and all three carry the release's story_id (found in the output's history)."""
    from tests.test_dedup import family
    texts = family("tram")
    release = texts["tram-00"]["text"]
    lines = release.splitlines()
    copy = "\n".join(["PARIS (AFP) - " + lines[1]] + lines[2:-1])
    out = tmp_path / "out"
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    first.write_text(json.dumps({"url": "https://orvane.example/pr", "outlet": "orvane",
                                 "text": release, "published": "2025-12-04T08:00:00Z"}))
    second.write_text("\n".join(json.dumps(line) for line in [
        {"url": "https://brief.example/b", "outlet": "brief", "text": texts["tram-04"]["text"],
         "published": "2025-12-04T10:00:00Z"},
        {"url": "https://wire.example/c", "outlet": "wire", "text": copy,
         "published": "2025-12-04T11:00:00Z"}]))
    # a business story the topic filter scores low: keep every article, this is about dedup
    recent = ["--dedup_expiry_days=100000", "--all_topics"]
    assert cli("backfill", "--manifest", str(first), "--out", str(out), *recent).returncode == 0
    assert cli("backfill", "--manifest", str(second), "--out", str(out), *recent).returncode == 0
    articles = {r["url"]: r for r in rows(out, "articles")}
    [dup] = rows(out, "duplicates")
    pr, brief = articles["https://orvane.example/pr"], articles["https://brief.example/b"]
    assert set(articles) == {"https://orvane.example/pr", "https://brief.example/b"}
    assert dup["url"] == "https://wire.example/c" and dup["canonical_id"] == pr["article_id"]
    assert pr["story_id"] == pr["article_id"] == brief["story_id"] == dup["story_id"]
    assert brief["cluster_id"] == brief["article_id"]
    assert "Orvane Rail" in brief["organizations"]          # enriched like any article


def test_every_duplicate_names_a_row_in_articles(tmp_path, seeds):
    """The ledger's copy of the wire story is in the manifest twice: the second line is never
    fetched, and it names the wire story's row in `articles`, not the ledger's copy (which is
    a duplicate itself): a join of `duplicates` to `articles` loses no row."""
    copy = {"url": "https://ledger.example/copy", "outlet": "ledger", "text": seeds["004"],
            "published": "2025-12-04T09:00:00Z"}
    lines = [{"url": "https://wire.example/a", "outlet": "wire", "text": seeds["002"],
              "published": "2025-12-04T08:00:00Z"},
             copy, dict(copy, published="2025-12-04T09:30:00Z")]
    manifest = tmp_path / "pages.jsonl"
    manifest.write_text("\n".join(json.dumps(l) for l in lines))
    out = tmp_path / "out"
    done = cli("backfill", "--manifest", str(manifest), "--out", str(out), "--runner=FnApiRunner")
    assert done.returncode == 0, done.stdout + done.stderr
    [article] = rows(out, "articles")
    dups = rows(out, "duplicates")
    assert sorted(d["method"] for d in dups) == ["canonical_url", "near_duplicate"]
    assert {(d["canonical_id"], d["cluster_id"], d["story_id"]) for d in dups} == {
        (article["article_id"], article["article_id"], article["story_id"])}
    orphans = duckdb.sql(
        f"SELECT count(*) FROM read_parquet('{out}/duplicates/**/*.parquet') d ANTI JOIN "
        f"read_parquet('{out}/articles/**/*.parquet') a ON d.canonical_id = a.article_id").fetchall()
    assert orphans == [(0,)]
