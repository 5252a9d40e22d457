"""`cfnews compact`: merge the small files of closed date partitions into files of a target size.

Readers must never see rows missing or doubled, even if compaction is killed midway. So a
partition is never edited in place: its merged copy is built under DIR/_staging/, then the
two directories are swapped in one atomic step (Linux renameat2 RENAME_EXCHANGE), and only
then is the old copy — now in staging — deleted. A reader lists either the old files or the
new ones, never a mix. (A reader whose listing predates the swap may find a listed file gone:
it gets an error and retries, it never gets wrong rows.) A kill before the swap leaves the
partition untouched; after it, only garbage in staging, which the next run removes.

Row order and schema are kept: files are concatenated in name order (names start with the
run id, so this is write order) and the dataset's schema is written unchanged. The atomic
swap needs a local filesystem; object stores (gs://, s3://) have no such operation and are
refused with a clear error."""
from __future__ import annotations

import ctypes
import dataclasses
import datetime as dt
import hashlib
import os
import shutil
import uuid
from typing import List, Optional

import pyarrow as pa
import pyarrow.parquet as pq

from schemas import DATASETS, schema_for
from transforms.common import crash_point
from transforms.write import STAGING

RENAME_EXCHANGE = 2
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

    def render(self) -> str:
        return (f"compacted {self.partitions} partition(s): {self.files_before} files -> "
                f"{self.files_after}, {self.rows} rows; {self.skipped_open} open partition(s) "
                "left alone")


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
    return sorted(f for f in os.listdir(folder) if f.startswith("part-") and f.endswith(".parquet"))


def compact(out_dir: str, before: Optional[dt.date] = None, target_bytes: int = 128 * 1024 * 1024
            ) -> CompactReport:
    if "://" in out_dir:
        raise CompactionError("compaction needs a local filesystem (atomic directory exchange); "
                              f"{out_dir} is an object store")
    before = before or (dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=1))
    staging_root = os.path.join(out_dir, STAGING)
    for leftover in (os.listdir(staging_root) if os.path.isdir(staging_root) else []):
        if leftover.startswith("compact-"):  # a killed compaction's copies: never live data
            shutil.rmtree(os.path.join(staging_root, leftover), ignore_errors=True)
    report = CompactReport()
    for dataset in DATASETS:
        for date, folder in _partitions(out_dir, dataset):
            if dt.date.fromisoformat(date) >= before:
                report.skipped_open += 1
                continue
            files = _parts(folder)
            sizes = [os.path.getsize(os.path.join(folder, f)) for f in files]
            if len(files) < 2 or all(s >= target_bytes // 2 for s in sizes):
                continue
            report.files_before += len(files)
            report.files_after += _compact_partition(dataset, folder, files, sum(sizes),
                                                     target_bytes, staging_root, report)
            report.partitions += 1
    return report


def _compact_partition(dataset, folder, files, total_bytes, target_bytes, staging_root,
                       report) -> int:
    schema = schema_for(dataset)
    tables = [pq.read_table(os.path.join(folder, f)) for f in files]
    table = pa.concat_tables([t.select(schema.names).cast(schema) if t.schema != schema else t
                              for t in tables])
    report.rows += table.num_rows
    n_files = max(1, -(-total_bytes // target_bytes))
    rows_per_file = max(1, -(-table.num_rows // n_files))
    staged = os.path.join(staging_root, f"compact-{uuid.uuid4().hex}",
                          os.path.basename(folder))
    os.makedirs(staged)
    written = 0
    for start in range(0, table.num_rows, rows_per_file):
        chunk = table.slice(start, rows_per_file)
        digest = hashlib.sha256("\x1f".join(files + [str(start)]).encode()).hexdigest()[:16]
        pq.write_table(chunk, os.path.join(staged, f"part-compacted-{digest}.parquet"),
                       compression="zstd")
        written += 1
    crash_point("compact_staged")
    exchange(staged, folder)           # the one atomic step readers can observe
    crash_point("compact_swapped")
    shutil.rmtree(os.path.dirname(staged), ignore_errors=True)
    return written
