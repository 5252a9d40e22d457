"""`cfnews sql`: DuckDB over an output folder, with the views of deploy/duckdb/views.sql
defined (articles, duplicates, rejected: the current version of each article id;
*_all_versions: every row; stories_per_day, wire_stories, ...)."""
from __future__ import annotations

import csv
import io
import json
import logging
import re
from pathlib import Path
from typing import Dict

import duckdb
import pyarrow as pa

from cfnews.schemas.arrow import DATASETS, PARTITIONING_SCHEMA, schema_for

log = logging.getLogger(__name__)

# deploy/duckdb/views.sql links here: one file, installed with the package.
VIEWS_SQL = Path(__file__).with_name("duckdb_views.sql")


class SqlError(Exception):
    pass


# how the views file reads a dataset's files: DuckDB's own reader over the folder's glob
_READ_DATASET = re.compile(r"read_parquet\(getvariable\('cfnews_root'\) \|\| "
                           r"'/(articles|duplicates|rejected)/\*\*/\*\.parquet'[^)]*\)")


def _full_schema(dataset: str) -> pa.Schema:
    return pa.schema(list(schema_for(dataset)) + list(PARTITIONING_SCHEMA))


def dataset_sources(filesystem, root: str, listed) -> Dict[str, object]:
    """Each dataset as a pyarrow dataset of its Parquet files with today's schema (columns an
    older file lacks read as NULL), or an empty table when it has no file yet. Unlike the
    views file's `read_parquet(..., union_by_name = true)`, which reads the footer of every
    file each time a view is defined or queried (about 2 s per dataset on a year of
    partitions), this opens no file until a query reads it, and then only the partitions its
    date/outlet filter keeps. Object stores (s3://, gs://) are read through pyarrow's
    filesystems, as `cfnews report` and the writer read them: no DuckDB extension to fetch."""
    import pyarrow.dataset as ds
    sources = {}
    for dataset in DATASETS:
        schema = _full_schema(dataset)
        paths = [f"{root}/{f}" for f in listed if f.startswith(dataset + "/")]
        sources[dataset] = ds.dataset(
            paths, schema=schema, format="parquet", filesystem=filesystem,
            partitioning=ds.partitioning(PARTITIONING_SCHEMA, flavor="hive"),
            partition_base_dir=f"{root}/{dataset}") if paths else schema.empty_table()
    return sources


def connect(out_dir: str) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the views of deploy/duckdb/views.sql defined over `out_dir`,
    its datasets read through pyarrow (`dataset_sources`): defining the views reads no data
    file, and a dataset without files yet is an empty view with the dataset's schema, so
    every view exists. The runs of each article id come from the versions cache
    (pipeline/versions.py: in the folder's _index, or for an object store in the user's cache
    folder), so a query filtered on date/outlet reads only those partitions' files."""
    # never fetch an extension at query time (DuckDB would download httpfs for a URL): the
    # datasets are read through pyarrow; an extension already installed still loads
    con = duckdb.connect(config={"autoinstall_known_extensions": False})
    con.execute("SET enable_progress_bar = false")
    root = out_dir.rstrip("/")   # the views file's variable, for queries that use it
    con.execute(f"SET VARIABLE cfnews_root = '{root.replace(chr(39), chr(39) * 2)}'")
    from cfnews.pipeline.versions import article_runs, list_files
    filesystem, root_path, listed = list_files(out_dir)
    sources = dataset_sources(filesystem, root_path, listed)
    for dataset, source in sources.items():
        con.register(f"_files_{dataset}", source)
    cached_runs = bool(listed)
    if cached_runs:
        pairs, note = article_runs(out_dir, listed, filesystem, root_path)
        log.info("article versions: %s", note)
        con.register("_cfnews_runs_cached", pairs)
    for statement in duckdb.extract_statements(VIEWS_SQL.read_text(encoding="utf-8")):
        text = statement.query
        if cached_runs and "VIEW _cfnews_runs AS" in text:
            text = "CREATE OR REPLACE VIEW _cfnews_runs AS SELECT * FROM _cfnews_runs_cached"
        text = _READ_DATASET.sub(lambda m: f"_files_{m.group(1)}", text)
        con.execute(text)
    return con


def run_sql(out_dir: str, query: str, fmt: str = "table") -> str:
    """The query's result as a text table, CSV or JSON lines."""
    try:
        if not duckdb.extract_statements(query):  # empty, blank or only comments
            raise SqlError("no SQL statement in the query (try: \"FROM articles LIMIT 5\")")
        con = connect(out_dir)
        relation = con.sql(query)
        if relation is None:  # a statement without a result (SET, CREATE ...)
            return ""
        columns, rows = relation.columns, relation.fetchall()
    except duckdb.Error as exc:
        raise SqlError(str(exc)) from None
    except (OSError, pa.ArrowException) as exc:  # an unreachable or unreadable store
        raise SqlError(f"cannot read {out_dir}: {exc}") from None
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
        return buffer.getvalue().rstrip("\n")
    if fmt == "json":
        return "\n".join(json.dumps(dict(zip(columns, row)), default=str, ensure_ascii=False)
                         for row in rows)
    return _table(columns, rows)


def _table(columns, rows) -> str:
    cells = [[str(c) for c in columns]] + [["" if v is None else str(v) for v in row]
                                           for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines)
