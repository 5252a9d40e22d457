"""The partitioned Parquet sink: layout, types, atomic placement, idempotent retries."""
import dataclasses
import datetime as dt
import os

import apache_beam as beam
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from cfnews.schemas import (ARTICLES_SCHEMA, PARTITIONING_SCHEMA, SCHEMA_VERSION, Article, Duplicate,
                     Entity, Rejected)
from cfnews.transforms.write import STAGING, WriteDatasets, write_partition

T = dt.datetime(2025, 12, 4, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))  # 12-05 UTC


def art(aid, outlet="wire-herald", published=T):
    return Article(article_id=aid, url=f"https://e.com/{aid}", canonical_url=f"https://e.com/{aid}",
                   outlet=outlet, feed_url="f", entry_id=aid, title="t", text="a b c",
                   discovered_at=T, published_at=published, language="en",
                   entities=(Entity("Macron", "PERSON", 0, 6),), authors=("Jane Roe",))


def test_layout_types_and_no_temp_files(tmp_path):
    out = str(tmp_path / "out")
    records = [art("a1"), art("a2", outlet="other"), art("a3", published=None),
               Duplicate(article=art("a9"), canonical_id="a1", cluster_id="a1", matched_id="a1",
                         method="near_duplicate", containment=0.7, jaccard=0.4, shared_fingerprints=50),
               Rejected(stage="fetch", reason="http_error", outlet="other", url="https://e.com/x",
                        http_status=404, discovered_at=T)]
    with beam.Pipeline(runner="FnApiRunner") as p:
        _ = p | beam.Create(records) | WriteDatasets(out_dir=out, run_id="r1")
    files = sorted(os.path.relpath(os.path.join(d, f), out)
                   for d, _, fs in os.walk(out) for f in fs)
    assert all(f.endswith(".parquet") for f in files), files
    assert not any(STAGING in f for f in files)
    dirs = {os.path.dirname(f) for f in files}
    assert "articles/date=2025-12-05/outlet=wire-herald" in dirs
    assert "articles/date=2025-12-05/outlet=other" in dirs
    assert "duplicates/date=2025-12-05/outlet=wire-herald" in dirs
    assert "rejected/date=2025-12-05/outlet=other" in dirs
    table = ds.dataset(os.path.join(out, "articles"), format="parquet",
                       partitioning=ds.partitioning(PARTITIONING_SCHEMA, flavor="hive")).to_table()
    assert table.num_rows == 3
    assert table.schema.field("date").type == PARTITIONING_SCHEMA.field("date").type
    assert str(table.schema.field("published_at").type) == "timestamp[us, tz=UTC]"
    assert table.schema.field("entities").type == ARTICLES_SCHEMA.field("entities").type
    row = table.filter(ds.field("article_id") == "a1").to_pylist()[0]
    assert row["entities"][0]["label"] == "PERSON" and row["authors"] == ["Jane Roe"]
    assert row["published_at"] == T and row["schema_version"] == SCHEMA_VERSION
    one = pq.read_table(os.path.join(out, [f for f in files if "outlet=other" in f and "articles" in f][0]))
    assert one.schema.metadata[b"cfnews.schema_version"] == str(SCHEMA_VERSION).encode()


def test_rewriting_the_same_rows_replaces_the_file(tmp_path):
    out = str(tmp_path)
    first = write_partition(out, "r1", "articles", "2025-12-05", "o", [art("a1"), art("a2")])
    again = write_partition(out, "r1", "articles", "2025-12-05", "o", [art("a2"), art("a1")])
    assert [p for p, _ in first] == [p for p, _ in again]
    assert len(os.listdir(os.path.dirname(first[0][0]))) == 1
    assert pq.read_table(first[0][0]).column("article_id").to_pylist() == ["a1", "a2"]


def test_texts_the_source_did_not_give_are_null_not_empty(tmp_path):
    """A backfilled page has no feed summary, a page may declare no site name, a relevance
    rejection has no error, an entry may have no title or link, a copy never fetched has no
    language: NULL in the table, so `count(summary)` counts summaries (the shared benchmark's
    backfill read 181 of 181 summaries as "")."""
    import duckdb
    from cfnews.schemas import to_row
    bare = art("a1")
    assert bare.summary == "" and bare.site_name == ""
    row = to_row(bare, "r1")
    assert row["summary"] is None and row["site_name"] is None and row["title"] == "t"
    given = to_row(dataclasses.replace(art("a2"), summary="S", site_name="N"), "r1")
    assert given["summary"] == "S" and given["site_name"] == "N"
    dropped = Rejected(stage="relevance", reason="not_relevant", outlet="o", url="https://e.com/x",
                       relevance=0.0, discovered_at=T)
    row = to_row(dropped, "r1")
    assert row["error"] is None and row["title"] is None and row["entry_id"] is None
    no_link = to_row(Rejected(stage="feeds", reason="entry_no_link", outlet="o", url="",
                              discovered_at=T), "r1")
    assert no_link["url"] is None
    # a copy of a known URL is never fetched: its language is unknown, not "" at confidence 0
    unfetched = Duplicate(article=dataclasses.replace(art("a3"), text=""), canonical_id="a1",
                          cluster_id="a1", matched_id="a1", method="canonical_url",
                          containment=1.0, jaccard=1.0, shared_fingerprints=0)
    unfetched = to_row(dataclasses.replace(unfetched, article=dataclasses.replace(
        unfetched.article, language="", language_confidence=0.0)), "r1")
    assert unfetched["language"] is None and unfetched["language_confidence"] is None
    assert to_row(art("a1"), "r1")["language"] == "en"
    write_partition(str(tmp_path), "r1", "articles", "2025-12-05", "o", [bare])
    write_partition(str(tmp_path), "r1", "rejected", "2025-12-05", "o", [dropped])
    con = duckdb.connect()
    assert con.execute(f"SELECT count(summary), count(site_name), count(*) FROM read_parquet("
                       f"'{tmp_path}/articles/**/*.parquet')").fetchone() == (0, 0, 1)
    assert con.execute(f"SELECT count(error), count(title) FROM read_parquet("
                       f"'{tmp_path}/rejected/**/*.parquet')").fetchone() == (0, 0)


def test_word_count_counts_chinese_and_japanese_words_not_spaces():
    """Chinese and Japanese put no spaces between words: the demo's Chinese article (several
    hundred characters) had word_count 6, so `word_count > 100` dropped every Chinese row. Each
    Han character or kana is one word; Latin-script counts are unchanged."""
    from cfnews.schemas import to_row
    from cfnews.schemas.arrow import word_count
    zh = "法国农业代表团访华。中法拟深化乳制品与猪肉贸易合作（China–France）\n本报北京12月4日电"
    # 9 + 15 Han characters, "（China–France）", 本报北京 (4), "12", 月, "4", 日电 (2); "。" none
    assert word_count(zh) == 24 + 1 + 4 + 1 + 1 + 1 + 2
    assert word_count("Macron arrived in Beijing — on Wednesday.\nTalks.") == 8
    assert word_count("엘제이의 리벤지인가") == 2 and word_count("") == 0
    row = to_row(dataclasses.replace(art("a1"), text=zh * 10), "r1")
    assert row["word_count"] == 10 * word_count(zh) > 100


def test_a_name_in_capitals_and_in_running_text_is_listed_once_as_the_text_writes_it():
    """A dateline or headline in capitals ("LONDON (AP) —", "USA TODAY") beside the same name in
    running text gave the row both spellings; other names and their order are kept."""
    from cfnews.schemas import to_row
    text = "LONDON (AP) — Talks in London went on. USA TODAY said. USA Today and NASA agreed."
    ents = (Entity("LONDON", "GPE", 0, 6), Entity("London", "GPE", 22, 28),
            Entity("USA TODAY", "ORG", 39, 48), Entity("USA Today", "ORG", 55, 64),
            Entity("NASA", "ORG", 69, 73), Entity("Paris", "GPE", 0, 0, canonical="Paris"))
    row = to_row(dataclasses.replace(art("a1"), text=text, entities=ents), "r1")
    assert row["places"] == ["London", "Paris"]
    assert row["organizations"] == ["USA Today", "NASA"]
