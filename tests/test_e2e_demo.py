"""End to end: the offline demo through the whole pipeline, read back with DuckDB and
pyarrow.dataset. One pipeline run serves every assertion in this module."""
import collections
import os

import duckdb
import pyarrow.dataset as ds
import pytest

from tests.conftest import cli
from tests.ports import reusable_port
from cfnews.pipeline.demo.catalog import load_catalog
from cfnews.pipeline.demo.site import DemoSite
from cfnews.pipeline.runner import make_options, run_job
from cfnews.schemas import PARTITIONING_SCHEMA

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("demo") / "out")
    with DemoSite() as site:
        options = make_options(["--runner=FnApiRunner"], out=out, allow_hosts=site.allow_hosts,
                               min_host_delay=0.0)
        summary = run_job(options, feeds=site.feeds)
        url_to_id = {site.url_of(a): a for a in site.articles}
    return out, summary, url_to_id


def read(out, dataset):
    path = os.path.join(out, dataset, "**", "*.parquet")
    return duckdb.sql(f"SELECT * FROM read_parquet('{path}', hive_partitioning=true)")


def demo_ids(rows, url_to_article):
    return {url_to_article[r["url"]].id for r in rows if r["url"] in url_to_article}


def test_accounting_adds_up(demo_run):
    out, summary, _ = demo_run
    catalog = load_catalog()
    assert summary.entries_seen == len(catalog)
    assert summary.adds_up, summary.render()
    counts = {d: read(out, d).count("*").fetchall()[0][0] for d in ("articles", "duplicates", "rejected")}
    assert counts["articles"] == summary.written["articles"]
    assert counts["duplicates"] == summary.written["duplicates"]
    assert counts["rejected"] == summary.written["rejected"]
    assert sum(counts.values()) == len(catalog)  # no feed-level failures on the demo site


def test_each_demo_article_meets_its_expected_fate(demo_run):
    out, _, url_to_article = demo_run
    fate = {}
    for dataset in ("articles", "duplicates", "rejected"):
        rel = read(out, dataset)
        cols = rel.columns
        for row in rel.fetchall():
            row = dict(zip(cols, row))
            fate[url_to_article[row["url"]].id] = (dataset, row)
    for article in load_catalog():
        dataset, row = fate[article.id]
        if article.expect == "article":
            assert dataset == "articles", (article.id, row.get("reason"), row.get("error"))
        elif article.expect == "duplicate":
            assert dataset == "duplicates", article.id
            original = [a for a in url_to_article.values() if a.id == article.duplicate_of][0]
            assert fate[original.id][0] == "articles"
            assert row["canonical_id"] == fate[original.id][1]["article_id"]
            assert row["cluster_id"] == fate[original.id][1]["cluster_id"]
            assert 0.5 <= row["containment"] <= 1
        elif article.expect == "not_relevant":
            assert dataset == "rejected" and row["reason"] == "not_relevant", article.id
            assert row["relevance"] is not None
            # why it was dropped, in the filter's own words (as relevance_reason for kept rows)
            assert row["error"].startswith("dropped: ") and len(row["error"]) > 10, row["error"]
        else:
            assert dataset == "rejected" and row["reason"] == article.reason, (article.id, row)


def test_partitions_types_and_nested_columns(demo_run):
    out, _, _ = demo_run
    dataset = ds.dataset(os.path.join(out, "articles"), format="parquet",
                         partitioning=ds.partitioning(PARTITIONING_SCHEMA, flavor="hive"))
    table = dataset.to_table()
    assert str(table.schema.field("date").type) == "date32[day]"
    assert str(table.schema.field("published_at").type) == "timestamp[us, tz=UTC]"
    rows = table.to_pylist()
    assert {r["outlet"] for r in rows} >= {"cgtn-demo", "wire-herald-demo", "gazette-paris-demo",
                                           "dongfang-demo"}
    for r in rows:
        assert r["date"] == r["published_at"].date()
        assert r["language"] in ("en", "fr", "zh")
        assert r["relevance"] > 0 and r["text"] and r["title"]
    langs = collections.Counter(r["language"] for r in rows)
    assert langs["fr"] >= 2 and langs["zh"] >= 1
    english = [r for r in rows if r["language"] == "en"]
    assert all(r["entities"] for r in english + [r for r in rows if r["language"] == "fr"])
    people = {e["text"] for r in english for e in r["entities"] if e["label"] == "PERSON"}
    assert "Emmanuel Macron" in people
    # DuckDB reads the nested list<struct> natively
    n = duckdb.sql(
        f"SELECT count(*) FROM (SELECT unnest(entities) AS e FROM read_parquet("
        f"'{out}/articles/**/*.parquet', hive_partitioning=true)) WHERE e.label = 'PERSON'").fetchall()[0][0]
    assert n >= len(people)
    # no temp files inside the datasets
    for dataset_name in ("articles", "duplicates", "rejected"):
        for dirpath, _, files in os.walk(os.path.join(out, dataset_name)):
            assert all(f.startswith("part-") and f.endswith(".parquet") for f in files), files


def test_second_run_processes_only_what_is_new(demo_run):
    out, first, _ = demo_run
    url = read(out, "articles").limit(1).fetchall()[0][read(out, "articles").columns.index("url")]
    port = int(url.split(":")[2].split("/")[0])
    with DemoSite(port=port) as site:  # same site, same URLs: nothing is new
        again = run_job(make_options(["--runner=FnApiRunner"], out=out,
                                     allow_hosts=site.allow_hosts), feeds=site.feeds)
    assert again.entries_seen == first.entries_seen
    assert again.already_seen == first.new_entries
    assert sum(again.written.values()) == 0 and again.adds_up


def test_cli_demo_prints_a_summary(tmp_path):
    done = cli("demo", "--out", str(tmp_path / "cli-out"), "--runner=FnApiRunner")
    assert done.returncode == 0, done.stdout + done.stderr
    text = done.stdout
    assert "articles written" in text and "adds up" in text and "cfnews sql --out" in text
    assert "not_relevant" in text


def test_cli_demo_rerun_on_one_folder_finds_nothing_new(tmp_path):
    """`cfnews demo` serves its site on one port by default, so a second run on the same
    folder sees the same URLs: every entry is already written, and no row is added."""
    port = reusable_port()  # this test's two runs see the same URLs
    out = str(tmp_path / "again")
    first = cli("demo", "--out", out, "--port", str(port), "--runner=FnApiRunner")
    assert first.returncode == 0, first.stdout + first.stderr
    second = cli("demo", "--out", out, "--port", str(port), "--runner=FnApiRunner")
    assert second.returncode == 0, second.stdout + second.stderr
    assert f"127.0.0.1:{port}" in second.stdout
    assert "already written by earlier runs: 14; new: 0" in second.stdout, second.stdout
    assert "articles written  0" in second.stdout and "duplicates found  0" in second.stdout
