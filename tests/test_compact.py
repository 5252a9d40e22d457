"""Compaction: fewer files, same rows in the same order, never a half-compacted view."""
import datetime as dt
import os
import signal
import subprocess
import sys
import threading

import duckdb
import pyarrow.parquet as pq

from cfnews.pipeline.compact import compact
from cfnews.schemas import ARTICLES_SCHEMA, Article
from cfnews.transforms.write import write_partition
from tests.cli import python_path
from tests.test_crash_safety import ROOT

T = dt.datetime(2025, 12, 4, 9, tzinfo=dt.timezone.utc)


def art(n):
    return Article(article_id=f"a{n:03d}", url=f"https://e.com/{n}", canonical_url=f"https://e.com/{n}",
                   outlet="o", feed_url="f", entry_id=f"e{n}", title=f"t{n}", text="body " * 30,
                   discovered_at=T, published_at=T + dt.timedelta(minutes=n))


def small_files(out, date="2025-12-04", files=6, per_file=4, start=0):
    for i in range(files):
        records = [art(start + i * per_file + k) for k in range(per_file)]
        write_partition(str(out), f"r{i:02d}", "articles", date, "o", records)


def rows_in_order(folder):
    ids = []
    for name in sorted(os.listdir(folder)):
        ids += pq.read_table(os.path.join(folder, name)).column("article_id").to_pylist()
    return ids


def count(out):
    return duckdb.sql(f"SELECT count(*) FROM read_parquet('{out}/articles/**/*.parquet', "
                      "hive_partitioning=true)").fetchall()[0][0]


def test_closed_partitions_are_merged_in_order_and_open_ones_left(tmp_path):
    small_files(tmp_path)
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()
    small_files(tmp_path, date=today, files=2, start=100)
    closed = tmp_path / "articles" / "date=2025-12-04" / "outlet=o"
    before_ids = rows_in_order(closed)
    report = compact(str(tmp_path))
    assert (report.partitions, report.files_before, report.files_after) == (1, 6, 1)
    assert rows_in_order(closed) == before_ids
    [merged] = os.listdir(closed)
    assert pq.read_schema(closed / merged).remove_metadata() == ARTICLES_SCHEMA.remove_metadata()
    assert len(os.listdir(tmp_path / "articles" / f"date={today}" / "outlet=o")) == 2
    assert compact(str(tmp_path)).partitions == 0  # idempotent


def test_readers_never_see_missing_or_doubled_rows_while_compacting(tmp_path):
    for day in range(1, 9):
        small_files(tmp_path, date=f"2025-11-{day:02d}", files=8, per_file=3, start=day * 100)
    expected = count(tmp_path)
    seen, errors, stop = [], [], threading.Event()

    def reader():
        while not stop.is_set():
            try:
                seen.append(count(tmp_path))
            except Exception as exc:  # a file listed before a swap may be gone: retry
                errors.append(type(exc).__name__)
    thread = threading.Thread(target=reader)
    thread.start()
    compact(str(tmp_path), target_bytes=1024 * 1024)
    stop.set()
    thread.join()
    assert seen and set(seen) == {expected}, (set(seen), expected)
    assert count(tmp_path) == expected


def test_killed_midway_the_partition_is_whole_before_and_after(tmp_path):
    small_files(tmp_path)
    folder = tmp_path / "articles" / "date=2025-12-04" / "outlet=o"
    ids = rows_in_order(folder)
    originals = sorted(os.listdir(folder))
    env = dict(os.environ, PYTHONPATH=python_path(ROOT))
    for point, files_after in (("compact_staged", originals), ("compact_swapped", None)):
        env["CFNEWS_CRASH_AT"] = point
        proc = subprocess.run([sys.executable, "-m", "cfnews", "compact", "--out", str(tmp_path)],
                              env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
        assert rows_in_order(folder) == ids
        if files_after is not None:
            assert sorted(os.listdir(folder)) == files_after
        else:
            assert len(os.listdir(folder)) == 1
    env.pop("CFNEWS_CRASH_AT")
    proc = subprocess.run([sys.executable, "-m", "cfnews", "compact", "--out", str(tmp_path)],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert rows_in_order(folder) == ids
    assert not [d for d in os.listdir(tmp_path / "_staging") if d.startswith("compact-")]


LATE_WRITER = """
import sys
import cfnews.pipeline.compact as compact_module
from tests.test_compact import art
from cfnews.transforms.write import write_partition

real_exchange = compact_module.exchange

def exchange_after_a_late_write(staged, folder):
    # a concurrent run renames a file into the partition after compaction listed it
    write_partition(sys.argv[1], "late", "articles", "2025-12-04", "o", [art(900), art(901)])
    real_exchange(staged, folder)

compact_module.exchange = exchange_after_a_late_write
compact_module.compact(sys.argv[1])
"""


def test_a_file_arriving_after_the_listing_is_never_deleted(tmp_path):
    small_files(tmp_path)
    folder = tmp_path / "articles" / "date=2025-12-04" / "outlet=o"
    ids = rows_in_order(folder)
    done = subprocess.run([sys.executable, "-c", LATE_WRITER, str(tmp_path)], cwd=ROOT,
                          env=dict(os.environ, PYTHONPATH=python_path(ROOT)), capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert sorted(rows_in_order(folder)) == sorted(ids + ["a900", "a901"])
    assert not [d for d in os.listdir(tmp_path / "_staging") if d.startswith("compact-")]


def kill_compaction_after_swap_with_a_late_file(tmp_path):
    """A compaction killed after its swap while a late file arrived: (partition, its ids before,
    an environment without the crash point)."""
    small_files(tmp_path)
    folder = tmp_path / "articles" / "date=2025-12-04" / "outlet=o"
    ids = rows_in_order(folder)
    env = dict(os.environ, PYTHONPATH=python_path(ROOT), CFNEWS_CRASH_AT="compact_swapped")
    done = subprocess.run([sys.executable, "-c", LATE_WRITER, str(tmp_path)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr
    env.pop("CFNEWS_CRASH_AT")
    return folder, ids, env


def test_killed_after_the_swap_a_late_file_is_moved_back_by_the_next_compaction(tmp_path):
    folder, ids, env = kill_compaction_after_swap_with_a_late_file(tmp_path)
    assert sorted(rows_in_order(folder)) == sorted(ids)  # the late file sits in staging now
    # a run's start-up cleanup of stale staging leaves a compaction's leftovers alone
    from cfnews.transforms.write import remove_stale_staging
    remove_stale_staging(str(tmp_path))
    done = subprocess.run([sys.executable, "-m", "cfnews", "compact", "--out", str(tmp_path)],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert sorted(rows_in_order(folder)) == sorted(ids + ["a900", "a901"])
    assert not [d for d in os.listdir(tmp_path / "_staging") if d.startswith("compact-")]


def test_a_run_after_a_killed_compaction_first_puts_its_late_files_back(tmp_path):
    """Until a killed compaction is finished its late rows are invisible, so a run would fetch
    and write their entries again: every writing command finishes it at start-up, under the lock
    and before reading the datasets."""
    folder, ids, env = kill_compaction_after_swap_with_a_late_file(tmp_path)
    assert sorted(rows_in_order(folder)) == sorted(ids)  # a900, a901 sit in staging
    manifest = tmp_path / "m.jsonl"
    manifest.write_text("not json at all\n")  # a run that writes one rejected row
    done = subprocess.run([sys.executable, "-m", "cfnews", "backfill", "--manifest", str(manifest),
                           "--out", str(tmp_path)], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "finished 1 killed compaction(s)" in done.stderr
    assert sorted(rows_in_order(folder)) == sorted(ids + ["a900", "a901"])
    assert not [d for d in os.listdir(tmp_path / "_staging") if d.startswith("compact-")]


def test_an_unreadable_file_leaves_its_partition_alone_with_a_warning(tmp_path):
    small_files(tmp_path)
    small_files(tmp_path, date="2025-12-05", files=3)
    folder = tmp_path / "articles" / "date=2025-12-04" / "outlet=o"
    (folder / "part-zz-corrupt.parquet").write_bytes(b"PAR1 not really parquet")
    before = sorted(os.listdir(folder))
    done = subprocess.run([sys.executable, "-m", "cfnews", "compact", "--out", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "unreadable Parquet file" in done.stdout and "part-zz-corrupt" in done.stdout
    assert sorted(os.listdir(folder)) == before
    assert len(os.listdir(tmp_path / "articles" / "date=2025-12-05" / "outlet=o")) == 1


def test_a_damaged_file_of_any_name_stops_the_merge_of_its_partition(tmp_path):
    """Readers take every *.parquet of a partition, so compaction does too: a damaged file
    not named like ours (a restored copy, another tool's output) is named, never merged
    around; a readable one of another name is merged like ours."""
    small_files(tmp_path)
    small_files(tmp_path, date="2025-12-05", files=3)
    damaged = tmp_path / "articles" / "date=2025-12-04" / "outlet=o"
    (damaged / "restored-copy.parquet").write_bytes(b"PAR1 truncated")
    before = {name: (damaged / name).read_bytes() for name in os.listdir(damaged)}
    merged = tmp_path / "articles" / "date=2025-12-05" / "outlet=o"
    first = sorted(merged.iterdir())[0]
    first.rename(merged / "from-another-tool.parquet")
    rows_before = pq.read_table(merged).num_rows
    done = subprocess.run([sys.executable, "-m", "cfnews", "compact", "--out", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "unreadable Parquet file" in done.stdout and "restored-copy.parquet" in done.stdout
    assert {name: (damaged / name).read_bytes() for name in os.listdir(damaged)} == before
    assert len(os.listdir(merged)) == 1 and pq.read_table(merged).num_rows == rows_before
