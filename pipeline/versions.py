"""Which runs wrote each article id, kept for `cfnews sql`.

The views show the current rows of an id (those of the last run that wrote it; --reprocess and
retries add rows beside the old ones). Telling which rows are old takes `article_id` and
`run_id` of every file of the three datasets, so without help every query, however narrow its
`date`/`outlet` filter, would read a little of every file: its cost would grow with the lake.

This cache holds the distinct (article_id, run_id) pairs in one Parquet file,
DIR/_index/versions.parquet, with the names of the data files it was read from in its
metadata. Opening it compares those names with the datasets' files (names carry a digest of
their rows, so a name stands for its content): new files are read and added (a query reads
only what was written since the last one); a cache that lists files that are gone (after
`cfnews compact`), is unreadable or of another format is rebuilt from the datasets. Like the
history index beside it, it is derived data: deleting it is always safe. A folder that cannot
be written (a read-only copy of the lake) gets the same answer, computed and not kept.

An object store (s3://, gs://) is a lake `cfnews sql` only reads: its cache is kept on the
reader's machine instead, in CFNEWS_CACHE_DIR (default $XDG_CACHE_HOME/cfnews, else
~/.cache/cfnews), one file per lake; the store itself is only listed (a LIST request per 1,000
files) and the new files read, so a query's cost follows what it asks and what was written
since the last one, not the lake's size.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from typing import Iterable, Optional, Tuple

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from cfnews.transforms.lake_files import INDEX_DIR, local_data_files

log = logging.getLogger(__name__)

CACHE_NAME = "versions.parquet"
FORMAT = 1
_META_KEY = b"cfnews.versions"
SCHEMA = pa.schema([("article_id", pa.string()), ("run_id", pa.string())])


def cache_path(out_dir: str) -> str:
    """Where the cache of `out_dir` is kept: beside the data for a local folder, in the
    user's cache folder for an object store."""
    if "://" not in out_dir:
        return os.path.join(out_dir, INDEX_DIR, CACHE_NAME)
    root = os.environ.get("CFNEWS_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
        "cfnews")
    # one bucket name may live behind several endpoints (an emulator, another region)
    endpoint = (os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
                or os.environ.get("STORAGE_EMULATOR_HOST") or "")
    digest = hashlib.sha256(f"{out_dir.rstrip('/')}\n{endpoint}".encode("utf-8")).hexdigest()
    return os.path.join(root, "versions", f"{digest[:32]}.parquet")


def _lake(out_dir: str) -> Optional[str]:
    """The lake a cache in the user's cache folder belongs to (None for a local folder's own)."""
    return out_dir.rstrip("/") if "://" in out_dir else None


def _read_cache(path: str, lake: Optional[str] = None
                ) -> Tuple[Optional[pa.Table], frozenset, str]:
    """(pairs, files they were read from, note); (None, {}, why) when there is no usable cache."""
    if not os.path.exists(path):
        return None, frozenset(), "no cache yet"
    try:
        table = pq.read_table(path, use_threads=False)
        meta = json.loads((table.schema.metadata or {})[_META_KEY])
        if meta.get("format") != FORMAT or table.schema.remove_metadata() != SCHEMA:
            return None, frozenset(), f"cache of another format ({meta.get('format')})"
        if meta.get("lake") != lake:
            return None, frozenset(), f"cache of another lake ({meta.get('lake')})"
        return table.replace_schema_metadata(None), frozenset(meta["files"]), "cache read"
    except Exception as exc:  # damaged, hand-edited, half-copied: rebuilt, never a crash
        return None, frozenset(), f"cache unusable ({type(exc).__name__}: {exc})"


def _arrow(relation) -> pa.Table:
    # a relation's Arrow table: `to_arrow_table` (DuckDB 2), `arrow` (1.x, which pyproject allows)
    fetch = getattr(relation, "to_arrow_table", None) or relation.arrow
    return fetch().cast(SCHEMA)


def _connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(config={"threads": 2})
    con.execute("SET enable_progress_bar = false")
    return con


def _pairs_of(out_dir: str, files: Iterable[str], filesystem=None,
              root: Optional[str] = None) -> pa.Table:
    """Distinct (article_id, run_id) of the given dataset-relative files; feed-level
    rejections (no article id) left out. Local files are read by DuckDB; an object store's
    through its pyarrow `filesystem` (DuckDB would need an extension it cannot fetch)."""
    files = sorted(files)
    if not files:
        return SCHEMA.empty_table()
    con = _connect()
    try:
        if filesystem is not None and "://" in out_dir:
            import pyarrow.dataset as ds
            # both columns are in every schema_version: read by name with this schema
            source = ds.dataset([f"{root}/{f}" for f in files], schema=SCHEMA,
                                format="parquet", filesystem=filesystem)
            con.register("_files", source)
            query = "SELECT DISTINCT article_id, run_id FROM _files"
            params = None
        else:
            # columns by name: both are in every schema_version, so no union_by_name (which
            # would read every file's schema first)
            query = "SELECT DISTINCT article_id, run_id FROM read_parquet($paths)"
            params = {"paths": [os.path.join(out_dir, f) for f in files]}
        return _arrow(con.sql(query + " WHERE coalesce(article_id, '') <> ''", params=params))
    finally:
        con.close()


def _write_cache(path: str, pairs: pa.Table, files: Iterable[str],
                 lake: Optional[str] = None) -> bool:
    meta = json.dumps({"format": FORMAT, "files": sorted(files), "lake": lake})
    table = pairs.replace_schema_metadata({_META_KEY: meta.encode("utf-8")})
    folder = os.path.dirname(path)
    try:
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".versions-", suffix=".tmp", dir=folder)
        os.close(fd)
        try:
            pq.write_table(table, tmp, compression="zstd")
            os.replace(tmp, path)   # readers see the old cache or the new one, whole
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return True
    except OSError as exc:  # a read-only lake: the answer is the same, only not kept
        log.info("versions cache not written (%s); computed for this query only", exc)
        return False


def list_files(out_dir: str):
    """(pyarrow filesystem, root path on it, dataset-relative paths of every Parquet file of
    the three datasets): one listing serves the datasets and the versions cache."""
    import pyarrow.fs as pafs
    from cfnews.schemas.arrow import DATASETS
    if "://" not in out_dir:
        return (pafs.LocalFileSystem(), os.path.normpath(out_dir),
                sorted(local_data_files(out_dir)))
    filesystem, root = pafs.FileSystem.from_uri(out_dir)
    root = root.rstrip("/")
    listed = []
    for dataset in DATASETS:
        found = filesystem.get_file_info(pafs.FileSelector(f"{root}/{dataset}", recursive=True,
                                                           allow_not_found=True))
        listed += [f.path[len(root) + 1:] for f in found if f.type == pafs.FileType.File
                   and f.path.endswith(".parquet") and not f.base_name.startswith(".")]
    return filesystem, root, sorted(listed)


def lake_article_runs(out_dir: str) -> Tuple[pa.Table, str]:
    """`article_runs` of a local folder or an object store, listing it first."""
    filesystem, root, listed = list_files(out_dir)
    return article_runs(out_dir, listed, filesystem, root)


def article_runs(out_dir: str, files: Optional[Iterable[str]] = None, filesystem=None,
                 root: Optional[str] = None) -> Tuple[pa.Table, str]:
    """(distinct (article_id, run_id) pairs of the three datasets under `out_dir`, a note on
    how they were obtained), from the cache brought up to date. For an object store give its
    listing (`files`, dataset-relative) and its pyarrow `filesystem` with the lake's `root`
    path on it."""
    path = cache_path(out_dir)
    if files is None:
        if "://" in out_dir:
            raise ValueError("an object store's files are listed by the caller")
        files = local_data_files(out_dir)
    read = (lambda chosen: _pairs_of(out_dir, chosen, filesystem, root))
    current = frozenset(files)
    cached, known, note = _read_cache(path, _lake(out_dir))
    if cached is not None and known <= current:
        new = current - known
        if not new:
            return cached, "cache up to date"
        pairs = pa.concat_tables([cached, read(new)])
        con = _connect()
        try:
            con.register("pairs", pairs)
            pairs = _arrow(con.sql("SELECT DISTINCT article_id, run_id FROM pairs"))
        finally:
            con.close()
        note = f"cache brought up to date from {len(new)} new file(s)"
    else:
        if cached is not None:
            note = f"{len(known - current)} file(s) of the cache are gone (compacted?)"
        pairs = read(current)
        note = f"{note}: rebuilt from {len(current)} file(s)"
    _write_cache(path, pairs, current, _lake(out_dir))
    return pairs, note
