"""Stage 8 — write: one generic Hive-partitioned Parquet sink, used for all three datasets.

DIR/<dataset>/date=YYYY-MM-DD/outlet=<outlet>/part-<run>-<digest>.parquet, zstd.

Atomicity: each file is written under DIR/_staging/<run>/ (outside every dataset folder) and
renamed into its partition only when complete, so readers never see a partial file. The file
name carries a digest of its rows' ids: a retried bundle rewrites the same name with the same
rows instead of adding a second copy. Paths go through Beam's FileSystems, so DIR may be
local, gs:// or s3://."""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import posixpath
import uuid
from typing import Iterable, List, Tuple

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems
from apache_beam.transforms.window import IntervalWindow

from cfnews.schemas import check_path_parts, is_run_id, partition_of, schema_for, to_row
from cfnews.transforms import tally
from cfnews.transforms.common import count, crash_point

STAGING = "_staging"
MAX_ROWS_PER_FILE = 50_000


def join(base: str, *parts: str) -> str:
    """Join path parts for any Beam filesystem (local or URL-style)."""
    if "://" in base:
        return posixpath.join(base, *parts)
    return FileSystems.join(base, *parts)


def partition_dir(out_dir: str, dataset: str, date: str, outlet: str) -> str:
    return join(out_dir, dataset, f"date={date}", f"outlet={outlet}")


def _sort_key(row: dict) -> Tuple:
    return (row.get("published_at") is None, row.get("published_at") or row.get("at"),
            row.get("article_id") or "", row.get("entry_id") or "", row.get("url") or "",
            row.get("stage") or "")


def rows_to_table(dataset: str, rows: List[dict]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=schema_for(dataset))


def table_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd", use_dictionary=True,
                   write_statistics=True)
    return sink.getvalue()


def file_digest(rows: List[dict]) -> str:
    digest = hashlib.sha256()
    for row in rows:
        for key in ("article_id", "entry_id", "url", "stage", "reason"):
            digest.update(str(row.get(key, "")).encode("utf-8") + b"\x1f")
        digest.update(b"\x1e")
    return digest.hexdigest()[:16]


def _ensure_dir(path: str) -> None:
    try:
        FileSystems.mkdirs(path)
    except (IOError, OSError):
        pass  # exists already (local) or directories are implicit (object stores)


def write_partition(out_dir: str, run_id: str, dataset: str, date: str, outlet: str,
                    records: Iterable, window_tag: str = "") -> List[Tuple[str, int]]:
    """Write one partition's records as Parquet files; returns [(final_path, rows)].
    `window_tag` (streaming) names the window, so every pane's files are distinct."""
    check_path_parts(run_id, date, outlet)  # nothing is created outside DIR
    written_at = dt.datetime.now(dt.timezone.utc)
    if dataset == "articles":  # what later runs' dedup needs is stored with the article
        from cfnews.transforms.dedup import with_fingerprint
        records = [with_fingerprint(r) for r in records]
    rows = sorted((to_row(r, run_id, written_at) for r in records), key=_sort_key)
    written = []
    staging = join(out_dir, STAGING, run_id)
    _ensure_dir(staging)
    final_dir = partition_dir(out_dir, dataset, date, outlet)
    _ensure_dir(final_dir)
    for start in range(0, len(rows), MAX_ROWS_PER_FILE):
        chunk = rows[start:start + MAX_ROWS_PER_FILE]
        data = table_bytes(rows_to_table(dataset, chunk))
        temp_path = join(staging, f"{uuid.uuid4().hex}.parquet")
        with FileSystems.create(temp_path) as handle:
            handle.write(data)
        name = "-".join(p for p in ("part", run_id, window_tag, file_digest(chunk)) if p)
        final_path = join(final_dir, f"{name}.parquet")
        if FileSystems.exists(final_path):  # a retried bundle: same rows, same name
            FileSystems.delete([final_path])
        FileSystems.rename([temp_path], [final_path])
        written.append((final_path, len(chunk)))
        crash_point("mid_write")
    return written


class _WritePartitionFn(beam.DoFn):
    def __init__(self, out_dir: str, run_id: str):
        self.out_dir = out_dir
        self.run_id = run_id

    def process(self, element, window=beam.DoFn.WindowParam):
        (dataset, date, outlet), records = element
        records = list(records)
        window_tag = ""
        if isinstance(window, IntervalWindow):
            try:
                window_tag = window.start.to_utc_datetime().strftime("w%Y%m%dT%H%M%S")
            except (OverflowError, ValueError):  # an element stamped at the minimum time
                window_tag = f"w{int(window.start.micros)}"
                count("cfnews.written", "unbounded_timestamp_windows")
        for path, n_rows in write_partition(self.out_dir, self.run_id, dataset, date, outlet,
                                            records, window_tag):
            count("cfnews.written", dataset, n_rows)
            count("cfnews.files", dataset)
            tally.flush()  # a finished file shows on the progress line at once
            yield path
        if dataset == "rejected":
            for r in records:
                count("cfnews.written_rejected", f"{r.stage}.{r.reason}")


@dataclasses.dataclass
class WriteDatasets(beam.PTransform):
    """Article | Duplicate | Rejected -> Parquet files; outputs the paths written."""
    out_dir: str
    run_id: str

    def expand(self, records):
        return (records
                | "KeyByPartition" >> beam.Map(lambda r: (partition_of(r), r))
                | "GroupByPartition" >> beam.GroupByKey()
                | "WritePartition" >> beam.ParDo(_WritePartitionFn(self.out_dir, self.run_id)))


def remove_staging(out_dir: str, run_id: str) -> None:
    """Drop the run's (empty, once all renames are done) staging folder."""
    if not is_run_id(run_id):  # a run id like '../..' would name a folder outside DIR
        raise ValueError(f"unsafe run id {run_id!r}")
    _delete_staging(out_dir, run_id)


def _delete_staging(out_dir: str, name: str) -> None:
    if "://" not in out_dir:
        # Beam's local delete globs the folder's files: it removes no folder, and fails on an
        # empty one (every run left its empty DIR/_staging/<run> behind, one a cycle)
        import os
        import shutil
        path = join(out_dir, STAGING, name) if name else join(out_dir, STAGING)
        if os.path.islink(path):
            os.unlink(path)  # never followed out of DIR
        elif os.path.isdir(path):
            shutil.rmtree(path, ignore_errors=True)
        return
    # no exists() check: object stores have no folders, only the prefix's objects
    path = join(out_dir, STAGING, name).rstrip("/") + "/"
    try:
        FileSystems.delete([path])
    except (IOError, OSError):
        pass  # nothing staged (or already gone)


def remove_stale_staging(out_dir: str) -> None:
    """Drop every run's staging folder. Only under the output folder's writer lock, at
    start-up: the files there belong to runs that died before renaming them into place.
    A killed compaction's folders (compact-*) are not deleted here: they may hold live files,
    which every writing command moves back first (pipeline.compact.finish_killed_compactions)."""
    if "://" in out_dir:
        _delete_staging(out_dir, "")
        return
    import os
    root = join(out_dir, STAGING)
    for name in (os.listdir(root) if os.path.isdir(root) else []):
        if not name.startswith("compact-"):
            _delete_staging(out_dir, name)
