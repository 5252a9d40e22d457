"""Publication dates outside [1990-01-01, now + 2 days] are not trusted: the row falls
back to discovery time (published_at null, partition by discovery date) and keeps what the
source said in published_raw; `cfnews report` never draws more than a few hundred buckets."""
import datetime as dt
import json
import subprocess
import sys
import time

import duckdb

from cfnews.pipeline.report import buckets_for, report_data
from cfnews.schemas import Article, FeedEntry, FeedSource, Rejected, partition_of, to_row
from cfnews.transforms.feeds import parse_feed
from cfnews.transforms.write import write_partition
from tests.test_crash_safety import ROOT

UTC = dt.timezone.utc
NOW = dt.datetime.now(UTC).replace(microsecond=0)
TODAY = NOW.date().isoformat()


def entry(published, discovered=NOW):
    return FeedEntry(outlet="o", feed_url="f", entry_id="e", url="https://e.org/a",
                     article_id="a1", canonical_url="https://e.org/a", published_at=published,
                     discovered_at=discovered)


def test_the_trusted_window_is_1990_to_now_plus_two_days():
    # "now" is read here, not at import: a long test session must not move the window's edge
    now = dt.datetime.now(UTC).replace(microsecond=0)
    trusted = [dt.datetime(1990, 1, 1, tzinfo=UTC), now - dt.timedelta(days=3650),
               now + dt.timedelta(days=1, hours=23), dt.datetime(2020, 12, 3)]  # naive = UTC
    untrusted = [dt.datetime(1, 1, 1, tzinfo=UTC), dt.datetime(9999, 12, 31, tzinfo=UTC),
                 dt.datetime(1989, 12, 31, 23, 59, tzinfo=UTC), now + dt.timedelta(days=2, hours=1)]
    for value in trusted:
        e = entry(value)
        assert e.published_at == value and e.published_raw is None
    for value in untrusted:
        e = entry(value)
        assert e.published_at is None and e.published_raw == value.isoformat()
        assert partition_of(Rejected.for_entry(e, "fetch", "timeout"))[1] == TODAY
        assert Rejected.for_entry(e, "fetch", "timeout").published_raw == value.isoformat()


def test_every_record_kind_is_guarded_and_rows_carry_published_raw():
    year_one = dt.datetime(1, 1, 1, tzinfo=UTC)
    article = Article(article_id="a", url="u", canonical_url="u", outlet="o", feed_url="f",
                      entry_id="e", title="t", text="x", discovered_at=NOW, published_at=year_one)
    assert partition_of(article) == ("articles", TODAY, "o")
    row = to_row(article)
    assert row["published_at"] is None and row["published_raw"] == "0001-01-01T00:00:00+00:00"
    rejected = Rejected(stage="s", reason="r", outlet="o", url="u", at=NOW,
                        published_at=dt.datetime(9999, 1, 1, tzinfo=UTC))
    assert partition_of(rejected)[1] == TODAY
    assert to_row(rejected)["published_raw"].startswith("9999-01-01")


def test_feed_dates_of_year_1_and_9999_fall_back_to_discovery():
    feed = (b"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><title>t</title>"
            b"<entry><id>1</id><link href='https://e.org/1'/><title>a</title>"
            b"<published>0001-01-01T00:00:00Z</published></entry>"
            b"<entry><id>2</id><link href='https://e.org/2'/><title>b</title>"
            b"<updated>9999-12-31T00:00:00Z</updated></entry>"
            b"<entry><id>3</id><link href='https://e.org/3'/><title>c</title>"
            b"<updated>2026-12-01T00:00:00Z</updated></entry></feed>")
    source = FeedSource(outlet="o", url="https://e.org/feed", language="en", country="FR")
    one, nine, good = parse_feed(source, feed, discovered_at=NOW)
    assert one.published_at is None and nine.published_at is None
    assert good.published_at == dt.datetime(2026, 12, 1, tzinfo=UTC)
    assert all(partition_of(Rejected.for_entry(e, "fetch", "timeout"))[1] == TODAY
               for e in (one, nine))


def test_backfill_of_absurd_dates_partitions_by_discovery_and_the_report_stays_small(tmp_path):
    text = "France and China signed trade agreements on aircraft and cognac in Paris. " * 12
    lines = [json.dumps({"url": f"https://e.org/{i}", "outlet": "o", "published": when,
                         "text": text + str(i)})
             for i, when in enumerate(["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
                                       "2026-11-30T10:00:00Z"])]
    manifest = tmp_path / "m.jsonl"
    manifest.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "cfnews", "backfill", "--manifest",
                           str(manifest), "--out", str(out), "--all-topics"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = duckdb.sql(
        f"SELECT url, CAST(date AS VARCHAR), published_at, published_raw FROM read_parquet("
        f"'{out}/**/*.parquet', hive_partitioning=true, union_by_name=true) ORDER BY url"
    ).fetchall()
    today = dt.datetime.now(dt.timezone.utc).date()
    discovery_days = {today.isoformat(), (today - dt.timedelta(days=1)).isoformat()}
    (u0, d0, p0, r0), (u1, d1, p1, r1), (u2, d2, p2, r2) = rows
    assert d0 in discovery_days and p0 is None and r0.startswith("0001-01-01")
    assert d1 in discovery_days and p1 is None and r1.startswith("9999-12-31")
    assert d2 == "2026-11-30" and p2 is not None and r2 is None

    started = time.monotonic()
    report = subprocess.run([sys.executable, "-m", "cfnews", "report", "--out", str(out),
                             "--html", str(tmp_path / "r.html")], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert report.returncode == 0, report.stderr
    assert time.monotonic() - started < 60


def test_report_skips_partitions_outside_the_range_and_buckets_long_spans_by_month(tmp_path):
    def article(n, when):
        return Article(article_id=f"a{n}", url=f"https://e.org/{n}", canonical_url="c",
                       outlet="o", feed_url="f", entry_id=f"e{n}", title="t", text="x",
                       discovered_at=when)
    # partitions as an older version (or a hand) could have written them
    write_partition(str(tmp_path), "r1", "articles", "0001-01-01", "o", [article(1, NOW)])
    write_partition(str(tmp_path), "r1", "articles", "9999-12-31", "o", [article(2, NOW)])
    write_partition(str(tmp_path), "r1", "articles", "2026-12-01", "o", [article(3, NOW)])
    data = report_data(str(tmp_path))
    assert data["totals"]["articles"] == 3 and data["totals"]["outside_date_range"] == 2
    assert data["unit"] == "day" and data["buckets"] == ["2026-12-01"]
    unit, labels, bucket_of = buckets_for([dt.date(1990, 1, 1), dt.date(2026, 12, 3)])
    assert unit == "month" and len(labels) == 36 * 12 + 12 and labels[0] == "1990-01"
    assert bucket_of(dt.date(2026, 12, 3)) == labels[-1] == "2026-12"
    unit, labels, _ = buckets_for([dt.date(2024, 1, 1), dt.date(2026, 12, 3)])
    assert unit == "week" and len(labels) < 260
