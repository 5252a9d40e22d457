"""`cfnews compact` on object stores (gs://, s3://): the same merge as on a local folder
(pipeline/compact.py), in the order object stores allow.

An object store changes one object at a time: nothing swaps a partition's files for their
merged copy in one step. So the order is chosen so that no row is ever missing:
  1. a plan naming the files to merge and the files to write: DIR/_staging/compact-<id>.json;
  2. the merged files, written into the partition (each object appears whole or not at all);
  3. the files they replace, deleted;
  4. the plan, deleted.
Between 2 and 3 (the time of one batch of deletes per partition) a reader that lists the
partition sees its rows twice, never fewer. A compaction killed at any point leaves its plan,
and the next writing command finishes it, under the writer lease and before anything reads
the datasets: forward if every merged file was written (the replaced files are deleted), back
otherwise (the merged files written so far are deleted). A file that reaches the partition
after the listing is in no plan, so it is never deleted."""
from __future__ import annotations

import datetime as dt
import io
import json
import logging
import posixpath
import re
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Tuple

import pyarrow as pa
import pyarrow.parquet as pq

from cfnews.schemas import DATASETS, OUTLET_ID, schema_for
from cfnews.transforms import object_store
from cfnews.transforms.common import crash_point
from cfnews.transforms.write import STAGING

log = logging.getLogger("cfnews")

PLAN_GLOB = "compact-*.json"
# A plan's partition, as every writer names it: DATASET/date=YYYY-MM-DD/outlet=ID
_PARTITION = re.compile(r"^(%s)/date=\d{4}-\d{2}-\d{2}/outlet=%s$"
                        % ("|".join(DATASETS), OUTLET_ID.pattern))
_FILE_NAME = re.compile(r"^[^/.][^/]*\.parquet$")


PARTITIONS_AT_ONCE = 4   # an object store's cost is its latency: several partitions in flight


def compact_remote(out_dir: str, before: dt.date, target_bytes: int,
                   progress_every: float = 30.0):
    from cfnews.pipeline.compact import CompactReport, ProgressLog
    out_dir = out_dir.rstrip("/")
    finish_remote_compactions(out_dir)
    report = CompactReport()
    work = []
    for dataset in DATASETS:
        for (date, partition), sizes in sorted(_partitions(out_dir, dataset).items()):
            if dt.date.fromisoformat(date) >= before:
                report.skipped_open += 1
            elif len(sizes) >= 2 and any(size < target_bytes // 2 for size in sizes.values()):
                work.append((dataset, partition, sizes))
    progress = ProgressLog(out_dir, progress_every, total=len(work))
    pool = ThreadPoolExecutor(PARTITIONS_AT_ONCE, thread_name_prefix="cfnews-compact")
    try:
        done = pool.map(lambda job: _compact_partition(out_dir, *job, target_bytes), work)
        for (_, _, sizes), (written, rows, unreadable) in zip(work, done):
            if unreadable:
                report.unreadable.append(unreadable)
            else:
                report.rows += rows
                report.files_before += len(sizes)
                report.files_after += written
                report.partitions += 1
            progress.update(report)
    finally:   # stopped (Ctrl-C, SIGTERM, a lost lease): the partitions in flight finish,
        pool.shutdown(wait=True, cancel_futures=True)   # the others are not started
    return report


def _partitions(out_dir: str, dataset: str) -> Dict[Tuple[str, str], Dict[str, int]]:
    """{(date, partition relative to DIR): {file name: bytes}} of the dataset's data files,
    by the rule every reader uses (any non-hidden `*.parquet`)."""
    found: Dict[Tuple[str, str], Dict[str, int]] = defaultdict(dict)
    prefix = f"{out_dir}/"
    for path, size in object_store.list_sized(f"{out_dir}/{dataset}/*/*/*.parquet").items():
        if not path.startswith(prefix):
            continue
        partition, name = posixpath.split(path[len(prefix):])
        if _PARTITION.match(partition) and _FILE_NAME.match(name):
            found[(partition.split("/")[1][5:], partition)][name] = size
    return found


def _compact_partition(out_dir: str, dataset: str, partition: str, sizes: Dict[str, int],
                       target_bytes: int) -> Tuple[int, int, str]:
    """(files written, rows, "") of one partition merged, or (0, 0, why not) when one of its
    files cannot be read: then it is left as it is."""
    from cfnews.pipeline.compact import _conform, merged_outputs
    folder = f"{out_dir}/{partition}"
    files = sorted(sizes)
    schema = schema_for(dataset)
    tables = []
    for path, data in object_store.read_many([f"{folder}/{name}" for name in files]):
        if isinstance(data, Exception):   # unreadable, or gone: leave the partition be
            return 0, 0, f"{path}: {data}"
        try:   # a damaged file, or one whose columns do not fit the schema: the same
            tables.append(_conform(pq.read_table(pa.BufferReader(data)), schema))
        except (OSError, pa.ArrowException) as exc:
            return 0, 0, f"{path}: {exc}"
    table = pa.concat_tables(tables)
    outputs = merged_outputs(files, table, sum(sizes.values()), target_bytes)
    plan = {"partition": partition, "merged": files, "written": [n for n, _ in outputs]}
    plan_path = f"{out_dir}/{STAGING}/compact-{uuid.uuid4().hex}.json"
    object_store.write_bytes(plan_path, json.dumps(plan).encode())
    crash_point("compact_planned")
    for number, (name, chunk) in enumerate(outputs):
        sink = io.BytesIO()
        pq.write_table(chunk, sink, compression="zstd")
        object_store.write_bytes(f"{folder}/{name}", sink.getvalue())
        if number == 0:
            crash_point("compact_partly_written")
    crash_point("compact_written")
    _finish(out_dir, plan_path, plan)
    return len(outputs), table.num_rows, ""


def finish_remote_compactions(out_dir: str) -> int:
    """Finish every compaction a killed process left (its plan under DIR/_staging/): see the
    module docstring. Returns how many it finished."""
    out_dir = out_dir.rstrip("/")
    plans = object_store.list_paths(f"{out_dir}/{STAGING}/{PLAN_GLOB}")
    for plan_path, data in object_store.read_many(plans):
        plan = None
        if not isinstance(data, Exception):
            try:
                plan = json.loads(data.decode("utf-8"))
            except ValueError:
                pass
        if not _valid(plan):   # written whole or not at all: only a foreign hand makes this
            log.warning("compaction plan %s is not one cfnews wrote: left in place, no file "
                        "touched (read it, then delete it)", plan_path)
            continue
        _finish(out_dir, plan_path, plan)
    return len(plans)


def _valid(plan) -> bool:
    return (isinstance(plan, dict) and isinstance(plan.get("partition"), str)
            and bool(_PARTITION.match(plan["partition"]))
            and all(isinstance(plan.get(key), list) and all(
                isinstance(n, str) and _FILE_NAME.match(n) for n in plan[key])
                for key in ("merged", "written")))


def _finish(out_dir: str, plan_path: str, plan: Dict[str, List[str]]) -> None:
    folder = f"{out_dir}/{plan['partition']}"
    present = {posixpath.basename(p) for p in object_store.list_paths(f"{folder}/*.parquet")}
    written = set(plan["written"])
    if written <= present:                  # forward: the merged copy is whole
        doomed = [n for n in plan["merged"] if n in present and n not in written]
    else:                                   # back: the old files are all still there
        doomed = [n for n in plan["written"] if n in present]
    object_store.delete_paths(f"{folder}/{name}" for name in doomed)
    object_store.delete_paths([plan_path])
