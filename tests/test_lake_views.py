"""What an analyst reads after a year of use is right: every DuckDB view (`cfnews sql`,
deploy/duckdb/views.sql) and `cfnews report` on a lake written by the project's own writer
(transforms/write.write_partition) with what a year brings — a year boundary, publication times
with offsets near midnight UTC, rows without a publication time, an outlet with only copies, a
story copied by three outlets, files of an older schema_version, entries reprocessed into new
rows (also into another dataset or date), compacted and uncompacted partitions mixed, and lakes
without a duplicates or rejected folder. Expected answers are computed here in plain Python
from the records written, never from a view. The commands run as subprocesses, as a user runs
them."""
from __future__ import annotations

import datetime as dt
import html.parser
import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Dict, List

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cfnews.schemas.arrow import partition_of
from cfnews.schemas.records import Article, Duplicate, Entity, Rejected
from cfnews.transforms.write import write_partition
from tests.conftest import cli
from tests.ports import reusable_port

ROOT = Path(__file__).resolve().parents[1]
VIEWS_SQL = ROOT / "deploy" / "duckdb" / "views.sql"
UTC = dt.timezone.utc
VIEWS = ("articles", "duplicates", "rejected", "articles_all_versions",
         "duplicates_all_versions", "rejected_all_versions", "article_versions",
         "stories_per_day", "wire_stories", "wire_pairs", "story_reports",
         "top_entities_weekly", "language_mix", "rejections")


def t(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def article(aid, outlet, published, discovered=None, people=(), language="en", story=None,
            cluster=None):
    return Article(
        article_id=aid, url=f"https://{outlet}.example/{aid}",
        canonical_url=f"https://{outlet}.example/{aid}", outlet=outlet,
        feed_url=f"https://{outlet}.example/rss", entry_id=f"{outlet}-{aid}",
        title=f"Story {aid}", text=f"Body of story {aid}, told at some length. " * 8,
        discovered_at=discovered or published, published_at=published, language=language,
        language_confidence=0.9, cluster_id=cluster or aid, story_id=story or cluster or aid,
        entities=tuple(Entity(p, "PERSON", 0, len(p)) for p in people))


def copy(aid, outlet, of: Article, published, method="near_duplicate"):
    a = article(aid, outlet, published, cluster=of.article_id, story=of.story_id)
    return Duplicate(article=a, canonical_id=of.article_id, cluster_id=of.article_id,
                     method=method, matched_id=of.article_id, containment=0.9, jaccard=0.8,
                     shared_fingerprints=40)


def rejected(aid, outlet, when, stage="fetch", reason="http_error"):
    return Rejected(stage=stage, reason=reason, outlet=outlet,
                    url=f"https://{outlet}.example/{aid}" if aid else "",
                    feed_url=f"https://{outlet}.example/rss", article_id=aid,
                    published_at=when if aid else None, discovered_at=when, at=when)


def write_run(out: str, run_id: str, records) -> None:
    """Write one run's records as cfnews does: grouped by partition, one write per group."""
    groups = defaultdict(list)
    for record in records:
        groups[partition_of(record)].append(record)
    for (dataset, date, outlet), group in sorted(groups.items()):
        write_partition(out, run_id, dataset, date, outlet, group)


def make_older(out: str, run_id: str) -> None:
    """Turn a run's files into files of schema version 2: no story_id, no written_at."""
    for path in Path(out).rglob(f"part-{run_id}-*.parquet"):
        table = pq.read_table(path)
        table = table.drop_columns([c for c in ("story_id", "written_at", "item_id",
                                                "number_sketch") if c in table.column_names])
        table = table.set_column(0, "schema_version",
                                 pa.array([2] * table.num_rows, pa.int16()))
        pq.write_table(table, path, compression="zstd")


RUNS = ["20251201T000000Z-0a0a0a", "20260101T000000Z-1b1b1b", "20260601T000000Z-2c2c2c"]


def year_of_runs() -> List[list]:
    """Three runs' records; run 0's files are then made older (schema version 2), run 2
    reprocesses some entries of runs 0 and 1."""
    old_a = article("0000000000000a01", "outlet-a", t("2025-12-02T10:00:00+00:00"), people=["Ada"])
    old_b = article("0000000000000a02", "outlet-b", t("2025-12-03T10:00:00+00:00"))
    run0 = [old_a, old_b]

    # 23:30 at UTC-5 on New Year's Eve is 1 January UTC; 00:30 at UTC+1 on 1 January is
    # still 31 December UTC
    eve_a = article("0000000000000b01", "outlet-a", t("2025-12-31T23:30:00-05:00"),
                    people=["Bo"], language="fr")
    eve_b = article("0000000000000b02", "outlet-b", t("2026-01-01T00:30:00+01:00"), people=["Bo"])
    # no publication time: the discovery time (22:30 UTC, 00:30 the next day at UTC+2) dates it
    undated = article("0000000000000b03", "outlet-c", None,
                      discovered=t("2026-01-05T00:30:00+02:00"), people=["Cy"], language="zh")
    wire = article("0000000000000c01", "outlet-a", t("2026-03-10T08:00:00+00:00"), people=["Cy"])
    # copied by three outlets: outlet-b's entry is the same URL (same id, never fetched);
    # outlet-d publishes nothing of its own
    same_url = copy("0000000000000c01", "outlet-b", wire, t("2026-03-10T09:00:00+00:00"),
                    method="canonical_url")
    copy_c = copy("0000000000000c02", "outlet-c", wire, t("2026-03-10T10:00:00+00:00"))
    copy_d = copy("0000000000000c03", "outlet-d", wire, t("2026-03-11T01:00:00+01:00"))
    # outlet-a also runs the wire story again (another section), outlet-e one of its own
    again_a = copy("0000000000000c05", "outlet-a", wire, t("2026-03-10T12:00:00+00:00"))
    rewrite_1 = article("0000000000000d01", "outlet-a", t("2026-06-01T08:00:00+00:00"))
    rewrite_2 = article("0000000000000d02", "outlet-b", t("2026-06-01T09:00:00+00:00"),
                        story="0000000000000d01")
    # outlet-a's own second report of that story the same day: one story, two articles
    rewrite_3 = article("0000000000000d03", "outlet-a", t("2026-06-01T11:00:00+00:00"),
                        story="0000000000000d01")
    weekly = [article(f"00000000000e{w:04x}", "outlet-e",
                      t("2025-12-01T12:00:00+00:00") + dt.timedelta(weeks=w),
                      people=["Di"] if w % 3 == 0 else [], language="en" if w % 2 else "de")
              for w in range(50)]
    failed = rejected("0000000000000f01", "outlet-c", t("2026-02-01T12:00:00+00:00"))
    feed_down = rejected("", "outlet-c", t("2026-02-01T13:00:00+00:00"), stage="feeds",
                         reason="feed_unreachable")
    own_again = copy("0000000000000c06", "outlet-e", weekly[20],
                     weekly[20].published_at + dt.timedelta(hours=2))
    run1 = [eve_a, eve_b, undated, wire, same_url, copy_c, copy_d, again_a, rewrite_1,
            rewrite_2, rewrite_3, *weekly, own_again, failed, feed_down]

    run2 = [
        old_a,                                   # reprocessed: same row again
        rejected(eve_b.article_id, "outlet-b", eve_b.published_at, stage="relevance",
                 reason="not_relevant"),         # reprocessed: now rejected
        copy_d,                                  # the copy again
        article("0000000000000f01", "outlet-c", t("2026-02-01T12:00:00+00:00"),
                people=["Ed"]),                  # the failed fetch succeeded
        rejected("", "outlet-c", t("2026-02-01T15:00:00+00:00"), stage="feeds",
                 reason="feed_unreachable"),     # a feed-level row: every poll counts
        article(weekly[10].article_id, "outlet-e",   # a corrected publication date: new day
                weekly[10].published_at + dt.timedelta(days=1), language="de"),
    ]
    return [run0, run1, run2]


def build_lake(out: str) -> List[list]:
    runs = year_of_runs()
    for run_id, records in zip(RUNS, runs):
        write_run(out, run_id, records)
    make_older(out, RUNS[0])
    return runs


# ---------------------------------------------------------------- the expected answers

def utc_date(when: dt.datetime) -> dt.date:
    return when.astimezone(UTC).date()


def current(runs) -> Dict[str, list]:
    """The rows an analyst should see: per article id, the rows of the last run that wrote it;
    feed-level rejections (no id) all."""
    last_run = {}
    for i, records in enumerate(runs):
        for r in records:
            aid = r.article_id if not isinstance(r, Duplicate) else r.article.article_id
            if aid:
                last_run[aid] = i
    out = {"articles": [], "duplicates": [], "rejected": []}
    for i, records in enumerate(runs):
        for r in records:
            aid = r.article_id if not isinstance(r, Duplicate) else r.article.article_id
            if aid and last_run[aid] != i:
                continue
            name = {Article: "articles", Duplicate: "duplicates", Rejected: "rejected"}[type(r)]
            row = r.article if isinstance(r, Duplicate) else r
            when = row.published_at or row.discovered_at or getattr(row, "at", None)
            out[name].append({"record": r, "run_id": RUNS[i], "date": utc_date(when),
                              "outlet": row.outlet, "article_id": aid,
                              "when": row.published_at or row.discovered_at})
    return out


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def expected_answers(runs) -> dict:
    cur = current(runs)
    arts, dups, rejs = cur["articles"], cur["duplicates"], cur["rejected"]
    per_day = Counter((a["date"], a["outlet"]) for a in arts)
    day_stories = defaultdict(set)  # distinct stories of an outlet's day
    for a in arts:
        day_stories[a["date"], a["outlet"]].add(a["record"].story_id or a["article_id"])
    copies = Counter((d["date"], d["outlet"]) for d in dups)
    first = {a["article_id"]: a for a in arts}
    carried = defaultdict(list)
    for d in sorted(dups, key=lambda d: (d["when"], d["outlet"])):
        carried[d["record"].cluster_id].append(d["outlet"])
    wire = {(c, first[c]["outlet"], tuple(by), len(set(by) | {first[c]["outlet"]}))
            for c, by in carried.items() if c in first and set(by) - {first[c]["outlet"]}}
    pairs = Counter((first[d["record"].cluster_id]["outlet"], d["outlet"]) for d in dups
                    if d["record"].cluster_id in first)
    # story ids: rows of the older files have none
    stories = defaultdict(list)
    for a in sorted(arts, key=lambda a: (a["when"], a["outlet"])):
        if a["run_id"] != RUNS[0]:
            stories[a["record"].story_id or a["article_id"]].append(a["outlet"])
    story_copies = Counter(d["record"].article.story_id for d in dups)
    reports = {(s, len(o), tuple(o), story_copies[s]) for s, o in stories.items() if len(o) > 1}
    people = Counter((monday(a["date"]), e.text) for a in arts for e in a["record"].entities)
    languages = Counter((monday(a["date"]), a["record"].language or "und") for a in arts)
    reasons = Counter((r["record"].stage, r["record"].reason) for r in rejs)
    return {"articles": {(a["article_id"], a["run_id"], a["date"], a["outlet"]) for a in arts},
            "duplicates": {(d["article_id"], d["run_id"], d["date"], d["outlet"]) for d in dups},
            "rejected": Counter((r["article_id"], r["run_id"], r["date"], r["outlet"])
                                for r in rejs),
            "stories_per_day": {k: (len(day_stories.get(k, ())), per_day[k], copies[k])
                                for k in set(per_day) | set(copies)},
            "wire_stories": wire, "wire_pairs": dict(pairs), "story_reports": reports,
            "people_weekly": dict(people), "language_mix": dict(languages),
            "rejections": dict(reasons),
            "all_rows": sum(len(r) for r in runs)}


# ---------------------------------------------------------------- reading through the CLI

def sql(out: str, query: str) -> List[dict]:
    status, stdout, stderr = cli_result(out, query)
    assert status == 0, stderr
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def cli_result(out: str, query: str):
    done = cli("sql", "--out", out, "--format", "json", query)
    return done.returncode, done.stdout, done.stderr


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text[:10])


def what_the_views_say(out: str, run=None) -> dict:
    """Every view through one `cfnews sql` call (one subprocess), or through `run(query)` (a
    list of rows as dicts): a JSON object per view."""
    parts = {
        "articles": "SELECT list((article_id, run_id, date::VARCHAR, outlet)) FROM articles",
        "duplicates": "SELECT list((article_id, run_id, date::VARCHAR, outlet)) FROM duplicates",
        "rejected": "SELECT list((coalesce(article_id, ''), run_id, date::VARCHAR, outlet)) "
                    "FROM rejected",
        "all_rows": "SELECT (SELECT count(*) FROM articles_all_versions) + "
                    "(SELECT count(*) FROM duplicates_all_versions) + "
                    "(SELECT count(*) FROM rejected_all_versions)",
        "stories_per_day": "SELECT list((date::VARCHAR, outlet, stories, articles, copies)) "
                           "FROM stories_per_day",
        "wire_stories": "SELECT list((cluster_id, first_outlet, carried_by, outlets)) "
                        "FROM wire_stories",
        "wire_pairs": "SELECT list((first_outlet, carried_by, stories)) FROM wire_pairs",
        "story_reports": "SELECT list((story_id, reports, outlets, copies)) FROM story_reports",
        "people_weekly": "SELECT list((week::VARCHAR, name, articles, rank)) "
                         "FROM top_entities_weekly WHERE kind = 'person'",
        "language_mix": "SELECT list((week::VARCHAR, language, articles, share)) "
                        "FROM language_mix",
        "rejections": "SELECT list((stage, reason, entries)) FROM rejections",
        "dates": "SELECT list((article_id, date::VARCHAR, "
                 "strftime(coalesce(published_at, discovered_at) AT TIME ZONE 'UTC', '%Y-%m-%d')"
                 ")) FROM articles",
    }
    query = "SELECT " + ", ".join(f"({q}) AS {name}" for name, q in parts.items())
    [row] = (run or (lambda q: sql(out, q)))(query)
    return {name: [list(v.values()) if isinstance(v, dict) else v for v in (row[name] or [])]
            if name != "all_rows" else row[name] for name in parts}


def assert_views_right(out: str, want: dict, run=None) -> None:
    got = what_the_views_say(out, run)
    assert {(a, r, day(d), o) for a, r, d, o in got["articles"]} == want["articles"]
    assert len(got["articles"]) == len(want["articles"])  # no id twice
    assert {(a, r, day(d), o) for a, r, d, o in got["duplicates"]} == want["duplicates"]
    assert len(got["duplicates"]) == len(want["duplicates"])
    assert Counter((a, r, day(d), o) for a, r, d, o in got["rejected"]) == want["rejected"]
    assert got["all_rows"] == want["all_rows"]
    # the partition date is the UTC date of the publication (else discovery) time
    assert all(d == utc for _, d, utc in got["dates"])
    assert {(day(d), o): (s, n, c) for d, o, s, n, c in got["stories_per_day"]} == \
        want["stories_per_day"]
    assert {(c, f, tuple(by), n) for c, f, by, n in got["wire_stories"]} == want["wire_stories"]
    assert {(f, c): n for f, c, n in got["wire_pairs"]} == want["wire_pairs"]
    assert {(s, n, tuple(o), c) for s, n, o, c in got["story_reports"]} == want["story_reports"]
    people = {(day(w), n): c for w, n, c, _ in got["people_weekly"]}
    assert people == want["people_weekly"]
    for w, n, c, rank in got["people_weekly"]:
        assert rank == 1 + sum(1 for (w2, _), c2 in people.items() if w2 == day(w) and c2 > c)
    assert {(day(w), lang): n for w, lang, n, _ in got["language_mix"]} == want["language_mix"]
    for week in {w for w, *_ in got["language_mix"]}:
        assert abs(sum(s for w, _, _, s in got["language_mix"] if w == week) - 1) < 1e-9
    assert {(s, r): n for s, r, n in got["rejections"]} == want["rejections"]


class _Data(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.inside, self.text = False, ""

    def handle_starttag(self, tag, attrs):
        self.inside = dict(attrs).get("id") == "cfnews-data"

    def handle_data(self, data):
        if self.inside:
            self.text += data

    def handle_endtag(self, tag):
        self.inside = False


def report_of(out: str, html_path: Path, *flags: str) -> dict:
    done = cli("report", "--out", out, "--html", str(html_path), *flags)
    assert done.returncode == 0, done.stderr
    parser = _Data()
    parser.feed(html_path.read_text(encoding="utf-8"))
    return json.loads(parser.text)


def assert_report_right(data: dict, runs, since: dt.date = None) -> None:
    cur = current(runs)
    arts, dups, rejs = ([r for r in cur[name] if since is None or r["date"] >= since]
                        for name in ("articles", "duplicates", "rejected"))
    assert data["totals"]["articles"] == len(arts)
    assert data["totals"]["duplicates"] == len(dups)
    assert data["totals"]["rejected"] == len(rejs)
    per_outlet = Counter(a["outlet"] for a in arts)
    assert {o: sum(row) for o, row in zip(data["outlets"], data["per_bucket"]) if sum(row)} == \
        dict(per_outlet)
    assert dict(map(tuple, data["languages"])) == dict(
        Counter(a["record"].language or "und" for a in arts))
    first = {a["article_id"]: a["outlet"] for a in arts}
    assert {(e["from"], e["to"]): e["n"] for e in data["edges"]} == dict(Counter(
        (first[d["record"].cluster_id], d["outlet"]) for d in dups
        if d["record"].cluster_id in first))
    assert dict(map(tuple, data["rejected"])) == dict(Counter(
        f"{r['record'].stage}.{r['record'].reason}" for r in rejs))
    people = {e["name"]: e["total"] for e in data["entities"]["people"]}
    assert people == dict(Counter(e.text for a in arts for e in a["record"].entities))


# ---------------------------------------------------------------- the tests

@pytest.fixture(scope="module")
def year_lake(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("year") / "lake")
    runs = build_lake(out)
    return out, runs


def test_every_view_is_right_on_a_year_of_runs(year_lake):
    out, runs = year_lake
    want = expected_answers(runs)
    # the lake is what the test means it to be
    assert len(want["articles"]) == 59 and len(want["duplicates"]) == 5
    # an outlet's day where two articles are one story
    assert any(s < n for s, n, _ in want["stories_per_day"].values())
    assert ("outlet-d" in {o for *_, o in want["duplicates"]}
            and "outlet-d" not in {o for *_, o in want["articles"]})
    assert_views_right(out, want)


def test_the_report_counts_every_article_once(year_lake, tmp_path):
    out, runs = year_lake
    data = report_of(out, tmp_path / "report.html")
    assert data["unit"] == "week"
    assert_report_right(data, runs)


def test_a_report_since_a_day_reads_that_window_and_counts_current_rows_only(tmp_path):
    """`cfnews report --since DAY` reads only the partitions from DAY on, yet counts an id
    only where its current version is: an article whose last run moved it to a day before
    the window is not counted from its older row inside the window."""
    out = str(tmp_path / "lake")
    runs = year_of_runs()
    weekly_30 = next(r for r in runs[1]
                     if isinstance(r, Article) and r.article_id == f"00000000000e{30:04x}")
    moved = article(weekly_30.article_id, "outlet-e",
                    weekly_30.published_at - dt.timedelta(days=3), language="de")
    runs[2].append(moved)   # a corrected publication date, earlier
    for run_id, records in zip(RUNS, runs):
        write_run(out, run_id, records)
    make_older(out, RUNS[0])
    since = weekly_30.published_at.date()
    data = report_of(out, tmp_path / "window.html", "--since", since.isoformat())
    assert data["since"] == since.isoformat()
    assert data["totals"]["first_date"] >= since.isoformat()
    assert_report_right(data, runs, since)
    ids_in_window = {r["article_id"] for r in current(runs)["articles"] if r["date"] >= since}
    assert moved.article_id not in ids_in_window and data["totals"]["articles"] > 0
    # the whole lake still gives the whole lake's figures
    assert_report_right(report_of(out, tmp_path / "all.html"), runs)
    bad = cli("report", "--out", out, "--html", str(tmp_path / "x.html"), "--since", "soon")
    assert bad.returncode == 2 and "neither a day" in bad.stderr


def test_views_and_report_agree_before_and_after_compaction(year_lake, tmp_path):
    import shutil
    out = str(tmp_path / "lake")
    shutil.copytree(year_lake[0], out)
    runs = year_lake[1]
    files_before = sorted(Path(out).rglob("*.parquet"))
    done = cli("compact", "--out", out, "--before", "2026-04-01")
    assert done.returncode == 0, done.stderr
    files_after = sorted(Path(out).rglob("*.parquet"))
    merged = [p for p in files_after if p.name.startswith("part-compacted-")]
    assert merged and len(files_after) < len(files_before)
    # partitions of later dates keep their files: compacted and uncompacted ones mixed
    assert any(p.name.startswith(f"part-{RUNS[2]}") for p in files_after)
    assert_views_right(out, expected_answers(runs))
    assert_report_right(report_of(out, tmp_path / "report.html"), runs)


def test_a_reprocessed_demo_counts_each_article_once(tmp_path):
    """The demo twice, the second with --reprocess: every entry has two rows, the views and
    the report show one."""
    out = str(tmp_path / "out")
    port = str(reusable_port())
    for extra in ([], ["--reprocess"]):
        done = cli("demo", "--out", out, "--port", port, "-q", *extra)
        assert done.returncode == 0, done.stderr
    [row] = sql(out, "SELECT (SELECT count(*) FROM articles_all_versions) AS rows, "
                     "(SELECT count(DISTINCT article_id) FROM articles_all_versions) AS ids, "
                     "(SELECT count(*) FROM articles) AS current, "
                     "(SELECT sum(articles) FROM stories_per_day) AS stories, "
                     "(SELECT count(*) FROM duplicates_all_versions) AS copy_rows, "
                     "(SELECT sum(copies) FROM stories_per_day) AS copies, "
                     "(SELECT max(len(carried_by)) FROM wire_stories) AS carried, "
                     "(SELECT max(reports) FROM story_reports) AS reports, "
                     "(SELECT max(articles) FROM top_entities_weekly WHERE kind = 'person') AS mentions, "
                     "(SELECT count(DISTINCT run_id) FROM articles) AS runs")
    assert row["rows"] == 2 * row["ids"] and row["ids"] > 0
    assert row["current"] == row["stories"] == row["ids"]
    assert row["copies"] * 2 == row["copy_rows"]
    assert row["carried"] == 1 and row["reports"] is None and row["runs"] == 1
    [once] = sql(out, "SELECT max(n) AS n FROM (SELECT count(*) AS n FROM (SELECT "
                      "unnest(people) AS p, date_trunc('week', date) AS week "
                      "FROM articles_all_versions "
                      "WHERE run_id = (SELECT max(run_id) FROM articles)) GROUP BY p, week)")
    assert row["mentions"] == once["n"]
    data = report_of(out, tmp_path / "report.html")
    assert data["totals"]["articles"] == row["ids"]
    assert data["totals"]["duplicates"] == row["copies"]


@pytest.mark.parametrize("missing", [("duplicates",), ("rejected",), ("duplicates", "rejected")])
def test_a_lake_without_a_dataset_answers_every_view(tmp_path, missing):
    out = str(tmp_path / "lake")
    runs = [[r for r in records if not (
        ("duplicates" in missing and isinstance(r, Duplicate))
        or ("rejected" in missing and isinstance(r, Rejected)))] for records in year_of_runs()]
    for run_id, records in zip(RUNS, runs):
        write_run(out, run_id, records)
    make_older(out, RUNS[0])
    for dataset in missing:
        assert not Path(out, dataset).exists()
    every = ", ".join(f"(SELECT count(*) FROM {view}) AS {view}" for view in VIEWS)
    status, stdout, stderr = cli_result(out, f"SELECT {every}")
    assert status == 0, stderr
    assert set(json.loads(stdout)) == set(VIEWS)
    assert_views_right(out, expected_answers(runs))
    assert_report_right(report_of(out, tmp_path / "report.html"), runs)
    # DuckDB with the shipped script: a clear error naming the missing dataset
    con = duckdb.connect()
    con.execute(f"SET VARIABLE cfnews_root = '{out}'")
    with pytest.raises(duckdb.Error, match=f"{missing[0]}/"):
        con.execute(VIEWS_SQL.read_text(encoding="utf-8"))


# ---------------------------------------------------------------- the versions cache

def shipped_views(out: str):
    """`run(query)` through deploy/duckdb/views.sql in a plain DuckDB, as a user without
    cfnews reads the lake (no versions cache, DuckDB's own reader)."""
    con = duckdb.connect()
    con.execute(f"SET VARIABLE cfnews_root = '{out}'")
    con.execute(VIEWS_SQL.read_text(encoding="utf-8"))

    def run(query):
        relation = con.sql(query)
        rows = relation.fetchall()
        # as `cfnews sql --format json` gives them: structs as objects, dates as text
        return [json.loads(json.dumps(dict(zip(relation.columns, r)), default=str)) for r in rows]
    return run


def test_the_shipped_views_script_gives_the_same_answers(year_lake):
    out, runs = year_lake
    assert_views_right(out, expected_answers(runs), run=shipped_views(out))


def cached_files(out: str) -> List[str]:
    from cfnews.pipeline.versions import _META_KEY, cache_path
    meta = pq.read_schema(cache_path(out)).metadata[_META_KEY]
    return json.loads(meta)["files"]


def test_the_versions_cache_follows_new_runs_compaction_and_damage(tmp_path):
    """`cfnews sql` on a local folder knows which rows are current from a cache of each id's
    runs (pipeline/versions.py), brought up to date from the files written since: a later
    run that reprocesses ids must make their earlier rows old at once, a compaction (files
    renamed) and a damaged cache must not leave a wrong answer."""
    out = str(tmp_path / "lake")
    runs = year_of_runs()
    for run_id, records in zip(RUNS[:2], runs[:2]):
        write_run(out, run_id, records)
    make_older(out, RUNS[0])
    assert_views_right(out, expected_answers(runs[:2]))
    before = cached_files(out)
    assert before and all(RUNS[2] not in f for f in before)
    write_run(out, RUNS[2], runs[2])       # reprocesses ids of both earlier runs
    assert_views_right(out, expected_answers(runs))
    after = cached_files(out)
    assert set(before) < set(after) and any(RUNS[2] in f for f in after)
    done = cli("compact", "--out", out, "--before", "2026-04-01")
    assert done.returncode == 0, done.stderr
    assert_views_right(out, expected_answers(runs))
    assert not set(cached_files(out)) >= set(before)   # rebuilt: the merged files' names
    Path(out, "_index", "versions.parquet").write_bytes(b"not parquet")
    assert_views_right(out, expected_answers(runs))
    from cfnews.transforms.history import local_data_files
    assert set(cached_files(out)) == set(local_data_files(out))   # rebuilt whole


def test_a_lake_whose_cache_cannot_be_written_still_answers(tmp_path):
    """A copy of the lake where _index cannot be made (here a file stands in its place; a
    read-only mount does the same): the versions are read for the query and not kept."""
    out = str(tmp_path / "lake")
    runs = build_lake(out)
    Path(out, "_index").write_text("in the way")
    assert_views_right(out, expected_answers(runs))
    assert Path(out, "_index").read_text() == "in the way"


def test_an_object_store_cache_answers_only_for_its_own_lake(tmp_path, monkeypatch):
    """Caches of object-store lakes live in the reader's cache folder, one file per lake; a
    file that holds another lake's runs (copied in, or a digest collision) is not used."""
    from cfnews.pipeline.versions import SCHEMA, _read_cache, _write_cache, cache_path
    monkeypatch.setenv("CFNEWS_CACHE_DIR", str(tmp_path))
    here, there = "s3://bucket/lake", "gs://bucket/lake"
    assert cache_path(here) != cache_path(there)
    assert cache_path(here) == cache_path(here + "/")
    assert Path(cache_path(here)).is_relative_to(tmp_path)
    pairs = SCHEMA.empty_table()
    assert _write_cache(cache_path(here), pairs, ["articles/x.parquet"], here)
    cached, files, _ = _read_cache(cache_path(here), here)
    assert cached is not None and files == {"articles/x.parquet"}
    cached, files, note = _read_cache(cache_path(here), there)
    assert cached is None and not files and "another lake" in note


@pytest.mark.parametrize("command", ["sql", "report"])
def test_the_reading_commands_start_without_beam(tmp_path, command):
    """Reading tools should start like them: `cfnews sql` and `cfnews report` answer without
    importing Apache Beam (about 1.5-3 s of every call here), which only the commands that
    build a job need."""
    import subprocess
    import sys
    out = tmp_path / "lake"
    records = year_of_runs()[1]
    write_run(str(out), RUNS[1], records)
    args = {"sql": ["'SELECT count(*) AS n FROM articles'"],
            "report": ["'--html'", repr(str(tmp_path / "r.html"))]}[command]
    probe = ("import sys; from cfnews.pipeline.cli import main\n"
             f"sys.argv = ['cfnews', '{command}', '--out', sys.argv[1], {', '.join(args)}]\n"
             "try:\n    status = main()\nexcept SystemExit as end:\n    status = end.code\n"
             "print('beam imported' if 'apache_beam' in sys.modules else 'no beam', status)")
    done = subprocess.run([sys.executable, "-c", probe, str(out)], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-3:] == ["no", "beam", "0"], done.stdout
    n = sum(isinstance(r, Article) for r in records)
    assert (str(n) in done.stdout.split() if command == "sql"
            else f": {n} articles" in done.stdout)   # the answer itself
