"""`cfnews compact` on s3:// (a loopback moto server): fewer files, the same rows in the same
order, no row ever missing while it works or after a kill, and what a kill leaves finished by
the next writing command."""
from __future__ import annotations

import datetime as dt
import io
import json
import os
import signal
import subprocess
import sys
from collections import Counter

import pytest

pytest.importorskip("moto.server", reason="needs moto[s3], flask and flask-cors (test extra)")
boto3 = pytest.importorskip("boto3", reason="needs apache-beam[aws] (test extra)")

import pyarrow.parquet as pq  # noqa: E402

from cfnews.pipeline import exit_codes  # noqa: E402
from cfnews.pipeline.lease import LOCK_OBJECT  # noqa: E402
from cfnews.transforms.history import load_history  # noqa: E402
from cfnews.transforms.write import write_partition  # noqa: E402
from tests.test_compact import art  # noqa: E402
from tests.test_deploy import template_main  # noqa: E402,F401  (a fixture)
from tests.test_lease import put_lock, record, run_once  # noqa: E402
from tests.test_object_store import BUCKET, keys, s3  # noqa: E402,F401  (the moto fixture)
from tests.test_retry_e2e import list_feed  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLOSED = "2025-12-04"
PARTITION = f"articles/date={CLOSED}/outlet=o"


def small_lake(prefix: str, files: int = 6, per_file: int = 4) -> list:
    """`files` runs' files in one closed partition, and two in today's (open) one, as
    cfnews writes them; the closed partition's ids in write order."""
    out = f"s3://{BUCKET}/{prefix}"
    ids = []
    for i in range(files):
        records = [art(i * per_file + k) for k in range(per_file)]
        write_partition(out, f"r{i:02d}", "articles", CLOSED, "o", records)
        ids += [r.article_id for r in records]
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()
    for i in range(2):
        write_partition(out, f"t{i:02d}", "articles", today, "o", [art(100 + i)])
    return ids


def data_keys(prefix: str, partition: str = PARTITION) -> list:
    return [k for k in keys(f"{prefix}/{partition}/") if k.endswith(".parquet")]


def ids_of(data_files: list) -> list:
    """The article ids of these objects, file by file in the order given."""
    ids = []
    client = boto3.client("s3")
    for key in data_files:
        body = client.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        ids += pq.read_table(io.BytesIO(body)).column("article_id").to_pylist()
    return ids


def ids_in_order(prefix: str) -> list:
    """The partition's article ids, file by file in name order (a reader's listing)."""
    return ids_of(data_keys(prefix))


def compact(prefix: str, *args, crash_at: str = "") -> subprocess.CompletedProcess:
    """`cfnews compact` of every partition before today; with `crash_at`, killed there as
    kill -9 would, its lease then left to end (as if its five minutes had passed)."""
    env = dict(os.environ)
    env.pop("CFNEWS_CRASH_AT", None)
    if crash_at:
        env["CFNEWS_CRASH_AT"] = crash_at
    done = subprocess.run([sys.executable, "-m", "cfnews", "compact", "--out",
                           f"s3://{BUCKET}/{prefix}", "--before",
                           dt.datetime.now(dt.timezone.utc).date().isoformat(), *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    if crash_at:
        put_lock(prefix, record(dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=10)))
    return done


def plans(prefix: str) -> list:
    return [k for k in keys(f"{prefix}/_staging/") if "/compact-" in k]


def sql_count(prefix: str, cache) -> str:
    done = subprocess.run([sys.executable, "-m", "cfnews", "sql", "--out",
                           f"s3://{BUCKET}/{prefix}", "--format", "csv",
                           "SELECT count(*) AS n FROM articles"], cwd=ROOT,
                          env=dict(os.environ, CFNEWS_CACHE_DIR=str(cache)), capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == exit_codes.OK, done.stderr
    return done.stdout.split()[-1]


def test_closed_partitions_on_s3_are_merged_in_order_and_open_ones_left(s3, tmp_path):
    ids = small_lake("compact-merged")
    before_history = load_history(f"s3://{BUCKET}/compact-merged")
    assert sql_count("compact-merged", tmp_path) == "26"  # the reader's cache names the files
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()
    open_files = data_keys("compact-merged", f"articles/date={today}/outlet=o")
    done = compact("compact-merged", "--progress-every", "0.001")
    assert done.returncode == exit_codes.OK, done.stderr
    # how far it is, as it goes (a first compaction of a year's lake takes a while)
    assert (f"compacting s3://{BUCKET}/compact-merged: 1 partition(s) of 1 merged, 6 files -> 1, "
            "24 rows") in done.stderr, done.stderr
    assert "compacted 1 partition(s): 6 files -> 1, 24 rows; 1 open partition(s) left alone" \
        in done.stdout, done.stdout
    [merged] = data_keys("compact-merged")
    assert "part-compacted-" in merged
    assert ids_in_order("compact-merged") == ids
    assert data_keys("compact-merged", f"articles/date={today}/outlet=o") == open_files
    assert plans("compact-merged") == []
    lock = json.loads(boto3.client("s3").get_object(
        Bucket=BUCKET, Key=f"compact-merged/{LOCK_OBJECT}")["Body"].read())
    assert "released" in lock                              # it worked under the writer lease
    # the history answers as before, from the merged file (its packs named the old ones)
    after_history = load_history(f"s3://{BUCKET}/compact-merged")
    assert all(after_history.seen(i) for i in ids + ["a100", "a101"])
    assert sorted(after_history.dates) == sorted(before_history.dates)
    assert sql_count("compact-merged", tmp_path) == "26"    # ... and forgets the files now gone
    again = compact("compact-merged")
    assert again.returncode == exit_codes.OK and "compacted 0 partition(s)" in again.stdout
    assert data_keys("compact-merged") == [merged]


@pytest.mark.parametrize("point", ["compact_planned", "compact_partly_written",
                                   "compact_written"])
def test_killed_at_any_point_no_row_is_missing_and_the_next_compaction_finishes(s3, point):
    """kill -9 at each step: a listing then holds every row at least once (twice only after
    the merged copy is whole); the next compaction rolls the plan forward or back, then
    merges, and every row is there once, in order."""
    prefix = f"compact-killed-{point}"
    ids = small_lake(prefix)
    # a target of 50 KB: the merged copy is two files, so one can be written alone
    killed = compact(prefix, "--target-mb", "0.05", crash_at=point)
    assert killed.returncode == -9, killed.stderr
    seen = Counter(ids_in_order(prefix))
    assert set(seen) == set(ids)                          # nothing missing
    if point == "compact_written":
        assert set(seen.values()) == {2}                  # the window a reader may see
    elif point == "compact_partly_written":
        assert set(seen.values()) == {1, 2}
    assert len(plans(prefix)) == 1
    done = compact(prefix, "--target-mb", "0.05")
    assert done.returncode == exit_codes.OK, done.stderr
    assert ids_in_order(prefix) == ids                     # once each, in write order
    # rolled back, the originals merge into two files; rolled forward, the two merged files
    # (each under half the target) merge into one
    assert plans(prefix) == [] and len(data_keys(prefix)) == (1 if point == "compact_written"
                                                               else 2)


def test_a_run_finishes_a_killed_compaction_before_it_reads_the_history(s3, tmp_path, server):
    """Killed after the merged copy was written, the partition lists every row twice; the next
    writing command (`run --once`) finishes the plan first, under the lease."""
    ids = small_lake("compact-run-after")
    killed = compact("compact-run-after", crash_at="compact_written")
    assert killed.returncode == -9 and len(ids_in_order("compact-run-after")) == 2 * len(ids)
    list_feed(server, "/feed.xml", [])
    done = run_once(f"s3://{BUCKET}/compact-run-after", server, tmp_path, s3)
    assert done.returncode == exit_codes.OK, done.stderr
    assert "finished 1 killed compaction(s)" in done.stderr, done.stderr
    assert ids_in_order("compact-run-after") == ids and plans("compact-run-after") == []


def test_the_flex_templates_batch_launcher_finishes_a_killed_compaction(s3, tmp_path,
                                                                         template_main):
    ids = small_lake("compact-template-after")
    killed = compact("compact-template-after", crash_at="compact_written")
    assert killed.returncode == -9
    assert len(ids_in_order("compact-template-after")) == 2 * len(ids)
    manifest = tmp_path / "pages.jsonl"
    manifest.write_text('{"url": "https://example.org/a", "outlet": "x", "text": "t"}\n')
    assert template_main.main(["--runner=FnApiRunner",
                               f"--out=s3://{BUCKET}/compact-template-after",
                               f"--manifest={manifest}", "--all_topics=true", *s3]) == 0
    assert ids_in_order("compact-template-after") == ids
    assert plans("compact-template-after") == []


@pytest.mark.parametrize("point", ["compact_planned", "compact_written"])
def test_a_file_arriving_after_the_listing_is_never_deleted(s3, point):
    """A late item or a backfill writes into a closed partition after compaction listed it:
    finishing the plan, forward or back, never deletes that file."""
    prefix = f"compact-late-{point}"
    ids = small_lake(prefix)
    killed = compact(prefix, crash_at=point)
    assert killed.returncode == -9, killed.stderr
    out = f"s3://{BUCKET}/{prefix}"
    late = [art(500 + k) for k in range(3)]
    write_partition(out, "zz-late", "articles", CLOSED, "o", late)
    done = compact(prefix)
    assert done.returncode == exit_codes.OK, done.stderr
    assert Counter(ids_in_order(prefix)) == Counter(ids + [r.article_id for r in late])


def test_ctrl_c_stops_a_long_compaction_soon_with_every_row_there_once(s3):
    """A first compaction of a year's lake runs for hours: Ctrl-C stops it after the partitions
    in flight, not after every queued one, and each row is then there once."""
    prefix = "compact-interrupted"
    out = f"s3://{BUCKET}/{prefix}"
    ids = []
    for day in range(1, 41):
        for run in range(2):
            records = [art(1000 + day * 10 + run)]
            write_partition(out, f"r{run}", "articles", f"2025-11-{day % 30 + 1:02d}"
                            if day <= 30 else f"2025-10-{day - 29:02d}", "o", records)
            ids += [r.article_id for r in records]
    proc = subprocess.Popen([sys.executable, "-m", "cfnews", "compact", "--out", out,
                             "--progress-every", "0.001"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:
        if "compacting" in line:
            proc.send_signal(signal.SIGINT)
            break
    proc.communicate(timeout=120)
    assert proc.returncode == exit_codes.INTERRUPTED
    files = keys(f"{prefix}/articles/")
    merged = sum("part-compacted-" in key for key in files)
    assert sorted(ids_of(files)) == sorted(ids) and plans(prefix) == []
    assert 1 <= merged < 40                          # stopped well before the end


def test_an_unreadable_file_leaves_its_partition_alone_with_a_warning(s3):
    small_lake("compact-damaged")
    boto3.client("s3").put_object(Bucket=BUCKET, Key=f"compact-damaged/{PARTITION}/zz.parquet",
                                  Body=b"PAR1 not really")
    before = data_keys("compact-damaged")
    done = compact("compact-damaged")
    assert done.returncode == exit_codes.OK, done.stderr
    assert "not compacted, unreadable Parquet file" in done.stdout and "zz.parquet" in done.stdout
    assert data_keys("compact-damaged") == before and plans("compact-damaged") == []


def test_a_plan_cfnews_did_not_write_is_left_alone_and_touches_nothing(s3):
    small_lake("compact-foreign")
    client = boto3.client("s3")
    # a plan naming a path outside any partition, and one that is not JSON
    client.put_object(Bucket=BUCKET, Key="compact-foreign/_staging/compact-x.json", Body=json.dumps(
        {"partition": "../elsewhere", "compact-merged": ["a.parquet"], "written": []}).encode())
    client.put_object(Bucket=BUCKET, Key="compact-foreign/_staging/compact-y.json", Body=b"{")
    before = data_keys("compact-foreign")
    done = compact("compact-foreign")
    assert done.returncode == exit_codes.OK, done.stderr
    assert done.stderr.count("is not one cfnews wrote") == 2, done.stderr
    assert len(plans("compact-foreign")) == 2
    assert len(data_keys("compact-foreign")) == 1 and len(before) == 6
