"""`cfnews compact`: merge the small files of closed date partitions into files of a target size.

Readers must never see rows missing or doubled, even if compaction is killed midway. So a
partition is never edited in place: its merged copy is built under DIR/_staging/, then the
two directories are swapped in one atomic step (Linux renameat2 RENAME_EXCHANGE), and only
then is the old copy — now in staging — deleted. A reader lists either the old files or the
new ones, never a mix. (A reader whose listing predates the swap may find a listed file gone:
it gets an error and retries, it never gets wrong rows.) A kill before the swap leaves the
partition untouched; after it, only garbage in staging, which the next run removes.

Files that arrive in a partition after it was listed (a backfill or late item: "closed"
partitions still get writes) are never deleted with the old copy: the old copy's files that
were not merged are moved back into the live partition before it is deleted, also when a
killed compaction's leftovers are cleaned up (each leftover carries its plan, plan.json,
naming what was merged and what was written). Writers and compaction also exclude each other
through the output folder's lock (pipeline/lock.py, taken by the CLI).

Row order and schema are kept: files are concatenated in name order (names start with the
run id, so this is write order) and the dataset's schema is written unchanged. Object stores
(gs://, s3://) have no atomic swap: pipeline/compact_remote.py merges there in another order,
which never hides a row but may show a partition's rows twice for a moment."""
from __future__ import annotations

import ctypes
import dataclasses
import datetime as dt
import hashlib
import json
import logging
import os
import shutil
import time
import uuid
from typing import List, Optional, Tuple

import pyarrow as pa
import pyarrow.parquet as pq

from cfnews.schemas import DATASETS, schema_for
from cfnews.transforms.common import crash_point
from cfnews.transforms.write import STAGING

RENAME_EXCHANGE = 2
PLAN = "plan.json"
AT_FDCWD = -100


class CompactionError(RuntimeError):
    pass


def exchange(path_a: str, path_b: str) -> None:
    """Atomically swap two directories (Linux renameat2 with RENAME_EXCHANGE)."""
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        raise CompactionError("atomic directory exchange (renameat2) is not available here")
    if renameat2(AT_FDCWD, os.fsencode(path_a), AT_FDCWD, os.fsencode(path_b),
                 RENAME_EXCHANGE) != 0:
        errno = ctypes.get_errno()
        raise CompactionError(f"renameat2({path_a}, {path_b}) failed: {os.strerror(errno)}")


@dataclasses.dataclass
class CompactReport:
    partitions: int = 0
    files_before: int = 0
    files_after: int = 0
    rows: int = 0
    skipped_open: int = 0
    unreadable: List[str] = dataclasses.field(default_factory=list)

    def render(self) -> str:
        text = (f"compacted {self.partitions} partition(s): {self.files_before} files -> "
                f"{self.files_after}, {self.rows} rows; {self.skipped_open} open partition(s) "
                "left alone")
        for problem in self.unreadable:
            text += (f"\nwarning: not compacted, unreadable Parquet file {problem} "
                     "(move it out of the dataset to compact its partition)")
        return text


def _partitions(out_dir: str, dataset: str):
    root = os.path.join(out_dir, dataset)
    if not os.path.isdir(root):
        return
    for date_dir in sorted(os.listdir(root)):
        if not date_dir.startswith("date="):
            continue
        for outlet_dir in sorted(os.listdir(os.path.join(root, date_dir))):
            if outlet_dir.startswith("outlet="):
                yield date_dir[5:], os.path.join(root, date_dir, outlet_dir)


def _parts(folder: str) -> List[str]:
    """The partition's data files, by the rule every reader uses (history, `cfnews sql`,
    DuckDB's `**/*.parquet`): any non-hidden `*.parquet`, whatever wrote it."""
    return sorted(f for f in os.listdir(folder) if f.endswith(".parquet") and not f.startswith("."))


def compact(out_dir: str, before: Optional[dt.date] = None, target_bytes: int = 128 * 1024 * 1024,
            progress_every: float = 30.0) -> CompactReport:
    before = before or (dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=1))
    if "://" in out_dir:   # no directory exchange there: another order (compact_remote.py)
        from cfnews.pipeline.compact_remote import compact_remote
        return compact_remote(out_dir, before, target_bytes, progress_every)
    staging_root = os.path.join(out_dir, STAGING)
    finish_killed_compactions(out_dir)
    report = CompactReport()
    progress = ProgressLog(out_dir, progress_every)
    for dataset in DATASETS:
        for date, folder in _partitions(out_dir, dataset):
            if dt.date.fromisoformat(date) >= before:
                report.skipped_open += 1
                continue
            files = _parts(folder)
            sizes = [os.path.getsize(os.path.join(folder, f)) for f in files]
            if len(files) < 2 or all(s >= target_bytes // 2 for s in sizes):
                continue
            written = _compact_partition(dataset, folder, files, sum(sizes), target_bytes,
                                         staging_root, report)
            if written is not None:
                report.files_before += len(files)
                report.files_after += written
                report.partitions += 1
            progress.update(report)
    return report


class ProgressLog:
    """A log line every `every` seconds while compaction works (a first compaction of a
    year-old lake merges tens of thousands of partitions): how far it is."""

    def __init__(self, out_dir: str, every: float, total: Optional[int] = None):
        self.out_dir, self.every, self.total = out_dir, every, total
        self.started = self.last = time.monotonic()

    def update(self, report: "CompactReport") -> None:
        now = time.monotonic()
        if now - self.last < self.every:
            return
        self.last = now
        of = f" of {self.total}" if self.total is not None else ""
        logging.getLogger("cfnews.progress").info(
            "compacting %s: %d partition(s)%s merged, %d files -> %d, %d rows, %.0f s",
            self.out_dir, report.partitions + len(report.unreadable), of, report.files_before,
            report.files_after, report.rows, now - self.started)


def finish_killed_compactions(out_dir: str) -> int:
    """Finish what a killed compaction left under DIR/_staging/compact-*: files of the old copy
    that arrived after its listing go back into their live partition. Every writing command
    calls this at start-up, under the writer lock and before anything reads the datasets:
    until then those rows are invisible, and a run would fetch and write their entries again
    (the row would be doubled once the files came back). Returns how many it finished."""
    if "://" in out_dir:
        from cfnews.pipeline.compact_remote import finish_remote_compactions
        return finish_remote_compactions(out_dir)
    staging_root = os.path.join(out_dir, STAGING)
    leftovers = [name for name in (os.listdir(staging_root) if os.path.isdir(staging_root) else [])
                 if name.startswith("compact-")]
    for leftover in leftovers:
        _finish(out_dir, os.path.join(staging_root, leftover))
    return len(leftovers)


def _compact_partition(dataset, folder, files, total_bytes, target_bytes, staging_root,
                       report) -> Optional[int]:
    schema = schema_for(dataset)
    tables = []
    for name in files:
        try:  # a corrupt file, or one whose columns do not fit the schema: leave it all be
            tables.append(_conform(pq.read_table(os.path.join(folder, name)), schema))
        except (OSError, pa.ArrowException) as exc:
            report.unreadable.append(f"{os.path.join(folder, name)}: {exc}")
            return None
    table = pa.concat_tables(tables)
    report.rows += table.num_rows
    work = os.path.join(staging_root, f"compact-{uuid.uuid4().hex}")
    staged = os.path.join(work, os.path.basename(folder))
    os.makedirs(staged)
    outputs = []
    for name, chunk in merged_outputs(files, table, total_bytes, target_bytes):
        outputs.append(name)
        pq.write_table(chunk, os.path.join(staged, name), compression="zstd")
    plan = {"partition": os.path.relpath(folder, os.path.dirname(staging_root)),
            "merged": files, "written": outputs}
    with open(os.path.join(work, PLAN), "w", encoding="utf-8") as handle:
        json.dump(plan, handle)
        handle.flush()
        os.fsync(handle.fileno())
    crash_point("compact_staged")
    exchange(staged, folder)           # the one atomic step readers can observe
    crash_point("compact_swapped")
    _finish(os.path.dirname(staging_root), work)
    return len(outputs)


def merged_outputs(files: List[str], table: pa.Table, total_bytes: int, target_bytes: int
                   ) -> List[Tuple[str, pa.Table]]:
    """The merged copy of a partition's `files` (their rows `table`, in order) as
    (file name, rows) of about `target_bytes` each. A name carries a digest of the names it
    merges, so it never takes the name of a file with other rows."""
    n_files = max(1, -(-total_bytes // target_bytes))
    rows_per_file = max(1, -(-table.num_rows // n_files))
    outputs = []
    for start in range(0, table.num_rows, rows_per_file):
        digest = hashlib.sha256("\x1f".join(files + [str(start)]).encode()).hexdigest()[:16]
        outputs.append((f"part-compacted-{digest}.parquet", table.slice(start, rows_per_file)))
    return outputs


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """A file's table in the dataset's schema: columns it predates (a newer schema version
    added them, nullable) become nulls."""
    if table.schema == schema:
        return table
    columns = [table.column(f.name).cast(f.type) if f.name in table.column_names
               else pa.nulls(table.num_rows, f.type) for f in schema]
    return pa.Table.from_arrays(columns, schema=schema)


def _finish(out_dir: str, work: str) -> None:
    """Delete a compaction's work folder, after moving back into the live partition every
    file of the old copy that was not merged (it arrived after the listing). Before the swap
    the work folder holds only merged outputs and nothing moves; without a plan (killed before
    writing it) the partition was never touched."""
    plan_path = os.path.join(work, PLAN)
    try:
        with open(plan_path, encoding="utf-8") as handle:
            plan = json.load(handle)
    except (OSError, ValueError):
        plan = None
    if isinstance(plan, dict) and isinstance(plan.get("partition"), str):
        folder = os.path.join(out_dir, plan["partition"])
        staged = os.path.join(work, os.path.basename(folder))
        known = set(plan.get("merged") or []) | set(plan.get("written") or [])
        inside = os.path.realpath(folder).startswith(os.path.realpath(out_dir) + os.sep)
        for name in (sorted(os.listdir(staged)) if inside and os.path.isdir(staged) else []):
            if name not in known and name.endswith(".parquet"):
                os.makedirs(folder, exist_ok=True)
                target = os.path.join(folder, name)
                if not os.path.exists(target):   # same name = same rows (names carry a digest)
                    os.rename(os.path.join(staged, name), target)
                    crash_point("compact_rescued")
    shutil.rmtree(work, ignore_errors=True)
