"""The Parquet output is a pleasure to consume: DuckDB, Polars, pyarrow.dataset, pandas and
Spark read one demo run with Hive partition discovery and agree on it; a later schema_version
that adds a column reads together with older files. One pipeline run serves the module."""
from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
from collections import Counter, defaultdict
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from cfnews.pipeline.demo.catalog import load_catalog
from cfnews.schemas import ARTICLES_SCHEMA, DATASETS, PARTITIONING_SCHEMA, SCHEMA_VERSION

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def demo(demo_output):
    """(output folder, WARNING+ log messages of the run)."""
    return demo_output.out, demo_output.warnings


@pytest.fixture(scope="module")
def expected():
    """Rows per dataset, from the demo catalog (what each demo page is built to become)."""
    fates = Counter()
    for article in load_catalog():
        fates[{"article": "articles", "duplicate": "duplicates"}.get(article.expect,
                                                                      "rejected")] += 1
    return fates


def glob(out, dataset):
    return os.path.join(out, dataset, "**", "*.parquet")


def test_grouping_keys_encode_without_beams_fallback_coder(demo):
    """Grouping keys must encode deterministically without Beam's fallback (which warns)."""
    _, messages = demo
    assert [m for m in messages if "determinis" in m.lower()] == []


def test_duckdb(demo, expected):
    out, _ = demo
    for dataset in DATASETS:
        rel = duckdb.sql(f"SELECT count(*), any_value(typeof(date)), any_value(typeof(outlet)) "
                         f"FROM read_parquet('{glob(out, dataset)}', hive_partitioning = true)")
        rows, date_type, outlet_type = rel.fetchall()[0]
        assert rows == expected[dataset], dataset
        assert (date_type, outlet_type) == ("DATE", "VARCHAR")
    labels = duckdb.sql(
        f"SELECT e.label, count(*) FROM (SELECT unnest(entities) AS e "
        f"FROM read_parquet('{glob(out, 'articles')}', hive_partitioning = true)) GROUP BY 1"
    ).fetchall()
    assert {"PERSON", "ORG", "GPE"} <= {label for label, _ in labels}
    people = duckdb.sql(f"SELECT flatten(list(people)) FROM read_parquet("
                        f"'{glob(out, 'articles')}', hive_partitioning = true)").fetchall()[0][0]
    assert "Emmanuel Macron" in people


def test_polars(demo, expected):
    out, _ = demo
    for dataset in DATASETS:
        frame = pl.scan_parquet(glob(out, dataset), hive_partitioning=True)
        assert frame.select(pl.len()).collect().item() == expected[dataset]
        schema = frame.collect_schema()
        assert schema["date"] == pl.Date
        assert schema["outlet"] == pl.String
    articles = pl.scan_parquet(glob(out, "articles"), hive_partitioning=True)
    entity = articles.collect_schema()["entities"]
    assert isinstance(entity, pl.List) and isinstance(entity.inner, pl.Struct)
    labels = (articles.select(pl.col("entities").explode().struct.field("label"))
              .drop_nulls().unique().collect().to_series().to_list())
    assert {"PERSON", "ORG", "GPE"} <= set(labels)
    people = articles.select(pl.col("people").explode()).drop_nulls().collect().to_series()
    assert "Emmanuel Macron" in people.to_list()


def test_pyarrow_dataset(demo, expected):
    out, _ = demo
    partitioning = ds.partitioning(PARTITIONING_SCHEMA, flavor="hive")
    for dataset in DATASETS:
        data = ds.dataset(os.path.join(out, dataset), format="parquet", partitioning=partitioning)
        assert data.count_rows() == expected[dataset]
        assert data.schema.field("date").type == pa.date32()
        assert data.schema.field("outlet").type == pa.string()
    articles = ds.dataset(os.path.join(out, "articles"), format="parquet",
                          partitioning=partitioning)
    assert articles.schema.field("entities").type == ARTICLES_SCHEMA.field("entities").type
    table = articles.to_table(columns=["entities", "people"])
    labels = {e["label"] for row in table.column("entities").to_pylist() for e in row or []}
    assert {"PERSON", "ORG", "GPE"} <= labels


def test_pandas(demo, expected):
    out, _ = demo
    partitioning = ds.partitioning(PARTITIONING_SCHEMA, flavor="hive")
    for dataset in DATASETS:
        frame = pd.read_parquet(os.path.join(out, dataset), engine="pyarrow",
                                dtype_backend="pyarrow", partitioning=partitioning)
        assert len(frame) == expected[dataset]
        assert str(frame["date"].dtype) == "date32[day][pyarrow]"
    articles = pd.read_parquet(os.path.join(out, "articles"), partitioning=partitioning)
    first_entities = next(e for e in articles["entities"] if e is not None and len(e))
    assert set(first_entities[0]) == {"text", "label", "start", "end", "kb_id", "canonical"}
    assert articles["people"].explode().eq("Emmanuel Macron").any()


@pytest.fixture(scope="module")
def spark():
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        pytest.skip("pyspark is not installed (it is in the test extra)")
    if shutil.which("java") is None:
        pytest.skip("Spark needs a Java runtime (17+) on PATH")
    version = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr
    major = re.search(r'version "(\d+)', version)
    if not major or int(major.group(1)) < 17:
        pytest.skip(f"pyspark 4 needs Java 17 or later; found: {version.strip()[:80]}")
    # Spark finds the machine's host name resolving to a loopback address and looks for another
    # one: it reverse-resolves an interface's address, a DNS query to the machine's resolver.
    # Given a local address and name, it asks nothing.
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("SPARK_LOCAL_HOSTNAME", "localhost")
    session = (SparkSession.builder.master("local[1]").appName("cfnews-consumers")
               .config("spark.ui.enabled", "false")
               .config("spark.driver.host", "127.0.0.1")
               .config("spark.driver.bindAddress", "127.0.0.1")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.sql.shuffle.partitions", "1")
               .config("spark.driver.memory", "1g")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def test_spark_with_hive_partition_discovery(demo, expected, spark):
    out, _ = demo
    session = spark
    for dataset in ("duplicates", "rejected"):
        frame = session.read.parquet(os.path.join(out, dataset))  # discovers date=/outlet=
        types = dict(frame.dtypes)
        assert (types["date"], types["outlet"]) == ("date", "string"), dataset
        assert frame.count() == expected[dataset], dataset
    articles = session.read.parquet(os.path.join(out, "articles"))
    types = dict(articles.dtypes)
    assert (types["date"], types["outlet"]) == ("date", "string")
    assert types["entities"].startswith("array<struct<text:string,label:string")
    rows = articles.selectExpr("outlet", "entities.label AS labels", "people").collect()
    assert len(rows) == expected["articles"]
    assert {"PERSON", "ORG", "GPE"} <= {label for r in rows for label in r["labels"] or []}
    assert "Emmanuel Macron" in {p for r in rows for p in r["people"] or []}
    duck = dict(duckdb.sql(f"SELECT outlet, count(*) FROM read_parquet("
                           f"'{glob(out, 'articles')}', hive_partitioning = true) "
                           f"GROUP BY 1").fetchall())
    assert Counter(r["outlet"] for r in rows) == duck


# --- schema evolution ---------------------------------------------------------------------------

NEW_COLUMN = pa.field("sentiment", pa.float32())
LATER = SCHEMA_VERSION + 1   # a version a later cfnews would write


@pytest.fixture(scope="module")
def evolved(demo, tmp_path_factory):
    """A copy of the demo's `articles` plus one file as a later writer would make it:
    schema_version LATER, one added nullable column, in a partition of its own."""
    root = str(tmp_path_factory.mktemp("evolved") / "out")
    shutil.copytree(demo[0], root)
    articles = os.path.join(root, "articles")
    old = ds.dataset(articles, format="parquet").to_table().slice(0, 1).to_pylist()[0]
    row = dict(old, schema_version=LATER, article_id="0123456789abcdef", sentiment=0.25)
    schema = pa.schema(list(ARTICLES_SCHEMA) + [NEW_COLUMN],
                       metadata={b"cfnews.dataset": b"articles",
                                 b"cfnews.schema_version": str(LATER).encode()})
    folder = os.path.join(articles, "date=2099-01-01", "outlet=later-outlet")
    os.makedirs(folder)
    pq.write_table(pa.Table.from_pylist([row], schema=schema),
                   os.path.join(folder, "part-v2.parquet"), compression="zstd")
    return articles


def test_a_later_schema_version_reads_with_older_files_in_duckdb(evolved, expected):
    articles = evolved
    rows = duckdb.sql(
        f"SELECT schema_version, count(*), count(sentiment), any_value(typeof(date)) "
        f"FROM read_parquet('{articles}/**/*.parquet', hive_partitioning = true, "
        f"union_by_name = true) GROUP BY 1 ORDER BY 1").fetchall()
    assert rows == [(SCHEMA_VERSION, expected["articles"], 0, "DATE"), (LATER, 1, 1, "DATE")]
    future = duckdb.sql(
        f"SELECT date, outlet, sentiment FROM read_parquet('{articles}/**/*.parquet', "
        f"hive_partitioning = true, union_by_name = true) WHERE schema_version = {LATER}").fetchall()
    assert [(str(d), o, s) for d, o, s in future] == [("2099-01-01", "later-outlet", 0.25)]


def test_a_later_schema_version_reads_with_older_files_in_pyarrow(evolved, expected):
    articles = evolved
    unified = pa.unify_schemas([ARTICLES_SCHEMA, pa.schema(list(ARTICLES_SCHEMA) + [NEW_COLUMN])])
    data = ds.dataset(articles, format="parquet", schema=pa.unify_schemas(
        [unified, PARTITIONING_SCHEMA]), partitioning=ds.partitioning(PARTITIONING_SCHEMA,
                                                                       flavor="hive"))
    table = data.to_table(columns=["schema_version", "sentiment", "date", "entities"])
    assert table.num_rows == expected["articles"] + 1
    by_version = Counter(zip(table.column("schema_version").to_pylist(),
                             [s is not None for s in table.column("sentiment").to_pylist()]))
    assert by_version == {(SCHEMA_VERSION, False): expected["articles"], (LATER, True): 1}
    assert table.schema.field("date").type == pa.date32()
    # The compatibility rule the unified read relies on: only nullable columns were added.
    old, new = ARTICLES_SCHEMA, pa.schema(list(ARTICLES_SCHEMA) + [NEW_COLUMN])
    assert [f for f in new if f.name in old.names] == list(old)
    assert all(f.nullable for f in new if f.name not in old.names)


# --- deploy/duckdb/views.sql --------------------------------------------------------------------

VIEWS = Path(__file__).resolve().parents[1] / "deploy" / "duckdb" / "views.sql"


def views(root: str):
    con = duckdb.connect()
    con.execute(f"SET VARIABLE cfnews_root = '{root}'")
    con.execute(VIEWS.read_text(encoding="utf-8"))
    return con


def week_of(day):
    return day - dt.timedelta(days=day.weekday())


def test_analyst_views_answer_the_first_questions(demo, expected):
    out, _ = demo
    con = views(out)
    partitioning = ds.partitioning(PARTITIONING_SCHEMA, flavor="hive")
    articles = ds.dataset(os.path.join(out, "articles"), format="parquet",
                          partitioning=partitioning).to_table().to_pylist()
    duplicates = ds.dataset(os.path.join(out, "duplicates"), format="parquet",
                            partitioning=partitioning).to_table().to_pylist()

    per_day = {(d, o): (s, n, c) for d, o, s, n, c in con.sql(
        "SELECT date, outlet, stories, articles, copies FROM stories_per_day").fetchall()}
    stories = Counter((a["date"], a["outlet"]) for a in articles)
    day_stories = defaultdict(set)
    for a in articles:
        day_stories[a["date"], a["outlet"]].add(a["story_id"])
    copies = Counter((d["date"], d["outlet"]) for d in duplicates)
    assert per_day == {k: (len(day_stories.get(k, ())), stories[k], copies[k])
                       for k in set(stories) | set(copies)}
    assert sum(n for _, n, _ in per_day.values()) == expected["articles"]

    first = {a["article_id"]: a for a in articles}
    wire = con.sql("SELECT cluster_id, first_outlet, carried_by, outlets FROM wire_stories")
    carried = defaultdict(list)
    for d in sorted(duplicates, key=lambda d: d["published_at"] or d["discovered_at"]):
        carried[d["cluster_id"]].append(d["outlet"])
    assert {(c, f, tuple(by), n) for c, f, by, n in wire.fetchall()} == {
        (c, first[c]["outlet"], tuple(by), len(by) + 1) for c, by in carried.items()}

    reports = Counter(a["story_id"] for a in articles)
    copies_of = Counter(d["story_id"] for d in duplicates)
    story_rows = con.sql("SELECT story_id, reports, copies FROM story_reports").fetchall()
    assert set(story_rows) == {(s, n, copies_of[s]) for s, n in reports.items() if n > 1}

    people = Counter((week_of(a["date"]), p) for a in articles for p in a["people"] or [])
    top = con.sql("SELECT week, name, articles, rank FROM top_entities_weekly "
                  "WHERE kind = 'person'").fetchall()
    assert {(w, n): c for w, n, c, _ in top} == dict(people)
    assert all(r == 1 for w, n, c, r in top if c == max(
        v for (wk, _), v in people.items() if wk == w))

    mix = con.sql("SELECT week, language, articles, share FROM language_mix").fetchall()
    languages = Counter((week_of(a["date"]), a["language"] or "und") for a in articles)
    assert {(w, lang): n for w, lang, n, _ in mix} == dict(languages)
    for week in {w for w, *_ in mix}:
        assert abs(sum(share for w, _, _, share in mix if w == week) - 1) < 1e-9
    assert con.sql("SELECT sum(entries) FROM rejections").fetchall()[0][0] == expected["rejected"]


def test_analyst_views_read_a_later_schema_version(evolved, expected):
    con = views(os.path.dirname(evolved))
    rows = con.sql("SELECT schema_version, count(*), count(sentiment) FROM articles "
                   "GROUP BY 1 ORDER BY 1").fetchall()
    assert rows == [(SCHEMA_VERSION, expected["articles"], 0), (LATER, 1, 1)]


def test_analyst_views_read_files_written_before_story_id(tmp_path):
    """Version 2 files have no story_id column: the views still define it (NULL) and
    `story_reports` leaves those rows out instead of failing."""
    from tests.lake import write_lake
    out = str(tmp_path / "old")
    write_lake(out, articles=20, days=2, outlets=2, legacy=True)
    for path in Path(out).rglob("*.parquet"):
        table = pq.read_table(path)
        if "story_id" in table.column_names:
            pq.write_table(table.drop_columns(["story_id"]), path)
    con = views(out)
    assert con.sql("SELECT count(*), count(story_id) FROM articles").fetchall() == [(20, 0)]
    assert con.sql("SELECT count(story_id) FROM duplicates").fetchall() == [(0,)]
    assert con.sql("FROM story_reports").fetchall() == []


def test_analyst_views_read_older_files_empty_texts_as_null(tmp_path):
    """Files written before 2026-12-05 held '' for texts the source did not give (summary,
    site_name, a never-fetched copy's language; rejected url, title, error, entry_id); newer
    ones hold NULL. Through the views, both read as NULL: one meaning lake-wide."""
    from tests.lake import write_lake
    out = str(tmp_path / "lake")
    write_lake(out, articles=20, days=2, outlets=2)
    blanks = {"articles": ("summary", "site_name", "language"),
              "duplicates": ("summary", "site_name", "language"),
              "rejected": ("url", "title", "error", "entry_id")}
    rows = {}
    for dataset, columns in blanks.items():
        for path in Path(out, dataset).rglob("*.parquet"):
            table = pq.read_table(path)
            for column in columns:
                index = table.column_names.index(column)
                blank = pa.array([""] * table.num_rows, table.schema.field(column).type)
                table = table.set_column(index, table.schema.field(column), blank)
            pq.write_table(table, path)
            rows[dataset] = rows.get(dataset, 0) + table.num_rows
    con = views(out)
    for dataset, columns in blanks.items():
        counted = ", ".join(f"count({c})" for c in columns)
        got = con.sql(f"SELECT count(*), {counted} FROM {dataset}").fetchall()[0]
        assert got == (rows[dataset],) + (0,) * len(columns), (dataset, got)
        assert rows[dataset] > 0
