"""`cfnews sql`: DuckDB over an output folder, with the views of deploy/duckdb/views.sql
defined (articles, duplicates, rejected: the current version of each article id;
*_all_versions: every row; stories_per_day, wire_stories, ...)."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import duckdb
import pyarrow as pa

from cfnews.schemas.arrow import DATASETS, PARTITIONING_SCHEMA, schema_for
from cfnews.transforms.write import join

# deploy/duckdb/views.sql links here: one file, installed with the package.
VIEWS_SQL = Path(__file__).with_name("duckdb_views.sql")


class SqlError(Exception):
    pass


def _has_files(out_dir: str, dataset: str) -> bool:
    from apache_beam.io.filesystems import FileSystems
    try:
        return bool(FileSystems.match([join(out_dir, dataset, "**", "*.parquet")])[0].metadata_list)
    except Exception:  # an unreachable store: DuckDB will say why when it reads
        return True


def connect(out_dir: str) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the views defined over `out_dir`. A dataset without files
    yet is an empty view with the dataset's schema, so every view exists."""
    con = duckdb.connect()
    root = out_dir.rstrip("/")
    con.execute(f"SET VARIABLE cfnews_root = '{root.replace(chr(39), chr(39) * 2)}'")
    empty = {d for d in DATASETS if not _has_files(out_dir, d)}
    for dataset in empty:
        schema = pa.schema(list(schema_for(dataset)) + list(PARTITIONING_SCHEMA))
        con.register(f"_empty_{dataset}", schema.empty_table())
    for statement in duckdb.extract_statements(VIEWS_SQL.read_text(encoding="utf-8")):
        text = statement.query
        for dataset in empty:
            if f"VIEW {dataset}_all_versions AS" in text:
                text = (f"CREATE OR REPLACE VIEW {dataset}_all_versions AS "
                        f"SELECT * FROM _empty_{dataset}")
            elif f"VIEW _cfnews_{dataset}_runs AS" in text:
                text = (f"CREATE OR REPLACE VIEW _cfnews_{dataset}_runs AS "
                        f"SELECT article_id, run_id FROM _empty_{dataset}")
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
