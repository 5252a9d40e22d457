"""A synthetic output folder ("lake") written with the project's own Arrow schemas: N articles
over D days and several outlets, distinct texts, plus duplicates and rejected rows, laid out
as cfnews lays out its datasets. For scale tests and tests/benchmarks/history_scale.py.

Fingerprints are random 64-bit samples (what distinct texts give), not computed from the
texts, which would take minutes for a year of articles; `legacy=True` leaves the column out,
as files written before schema version 2 do."""
from __future__ import annotations

import datetime as dt
import os
from typing import Optional

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from cfnews.schemas import SCHEMA_VERSION, schema_for

WORDS = ("trade summit minister visit beijing paris aviation nuclear cognac tariff delegation "
         "talks agreement investment energy climate students panda embassy export market "
         "ports airline railway factory bank bonds shares growth forecast inflation").split()


def _articles_table(rng: np.random.Generator, first: int, size: int, published: dt.datetime,
                    run_id: str, schema: pa.Schema, legacy: bool) -> pa.Table:
    ids = [f"{int(x):016x}" for x in rng.integers(0, 2**63, size=size, dtype=np.int64)]
    words = np.array(WORDS)[rng.integers(0, len(WORDS), size=(size, 60))]
    texts = [" ".join(w) + f" (story {first + i})." for i, w in enumerate(words)]
    urls = [f"https://news{(first + i) % 97}.example/{a}" for i, a in enumerate(ids)]
    stamp = pa.array([published] * size, type=pa.timestamp("us", tz="UTC"))
    empty = pa.array([[]] * size, type=pa.list_(pa.string()))
    columns = {
        "schema_version": pa.array([2 if legacy else SCHEMA_VERSION] * size, pa.int16()), "article_id": ids, "cluster_id": ids,
        "url": urls, "canonical_url": urls, "feed_url": ["https://news.example/rss"] * size,
        "entry_id": ids, "source": ["feed"] * size,
        "title": [f"Story {first + i}" for i in range(size)], "summary": [""] * size,
        "text": texts, "word_count": pa.array([61] * size, pa.int32()), "authors": empty,
        "site_name": [""] * size, "language": ["en"] * size,
        "language_confidence": pa.array([0.99] * size, pa.float32()),
        "relevance": pa.array([0.9] * size, pa.float32()), "relevance_terms": empty,
        "relevance_reason": ["kept: synthetic"] * size,
        "published_at": stamp, "discovered_at": stamp, "fetched_at": stamp, "written_at": stamp,
        "entities": pa.array([[]] * size, type=schema.field("entities").type),
        "people": empty, "organizations": empty, "places": empty, "topics": empty,
        "run_id": [run_id] * size,
    }
    if not legacy:
        hashes = np.sort(rng.integers(0, 2**64, size=(size, 60), dtype=np.uint64), axis=1)
        offsets = pa.array(np.arange(0, size * 60 + 1, 60, dtype=np.int32))
        counts_offsets = pa.array(np.arange(0, size * 4 + 1, 4, dtype=np.int32))
        columns["fingerprint"] = pa.StructArray.from_arrays(
            [pa.array(np.zeros(size, dtype=np.int8)),
             pa.ListArray.from_arrays(counts_offsets, pa.array(np.tile(
                 np.array([60, 30, 15, 7], dtype=np.int32), size))),
             pa.ListArray.from_arrays(offsets, pa.array(hashes.reshape(-1).view(np.int64)))],
            fields=list(schema.field("fingerprint").type))
    for field in schema:   # columns added later (nullable): null, as old writers leave them
        columns.setdefault(field.name, pa.nulls(size, field.type))
    return pa.table({name: columns[name] for name in schema.names}, schema=schema)


def write_lake(out: str, articles: int, days: int, outlets: int = 10,
               end: Optional[dt.date] = None, seed: int = 7, legacy: bool = False,
               side_rows: float = 0.05) -> dict:
    """Writes the lake; returns {"articles": n, "duplicates": n, "rejected": n, "files": n}.
    Articles are spread evenly over the `days` days ending at `end` (default: today, UTC);
    each (date, outlet) partition gets one file per dataset, as one run per day would."""
    rng = np.random.default_rng(seed)
    end = end or dt.datetime.now(dt.timezone.utc).date()
    run_id = "20250101T000000Z-lake00"
    counts = {"articles": 0, "duplicates": 0, "rejected": 0, "files": 0}
    per_partition = max(1, -(-articles // (days * outlets)))   # rounded up: exactly N in all
    schema = schema_for("articles")
    if legacy:
        schema = pa.schema([f for f in schema if f.name != "fingerprint"], metadata=schema.metadata)
    dup_names = schema_for("duplicates").names
    n = 0
    for d in range(days):
        date = end - dt.timedelta(days=days - 1 - d)
        for o in range(outlets):
            if n >= articles:
                break
            outlet = f"outlet-{o:02d}"
            size = min(per_partition, articles - n)
            noon = dt.datetime(date.year, date.month, date.day, 12, tzinfo=dt.timezone.utc)
            table = _articles_table(rng, n, size, noon, run_id, schema, legacy)
            n += size
            _write(out, "articles", date, outlet, table)
            k = max(1, int(size * side_rows))
            head = table.slice(0, k)
            dup_ids = [f"{int(x):016x}" for x in rng.integers(0, 2**63, size=k, dtype=np.int64)]
            originals = head.column("article_id")
            dups = {name: head.column(name) for name in head.column_names if name in dup_names}
            dups.update(article_id=pa.array(dup_ids), canonical_id=originals, cluster_id=originals,
                        matched_id=originals, method=pa.array(["near_duplicate"] * k),
                        containment=pa.array([0.9] * k, pa.float32()),
                        jaccard=pa.array([0.8] * k, pa.float32()),
                        shared_fingerprints=pa.array([50] * k, pa.int32()))
            for field in schema_for("duplicates"):
                dups.setdefault(field.name, pa.nulls(k, field.type))
            _write(out, "duplicates", date, outlet, pa.table(
                {name: dups[name] for name in dup_names}, schema=schema_for("duplicates")))
            rejected = [{"schema_version": 2, "stage": "fetch", "reason": "http_error",
                         "url": f"https://gone.example/{n}-{i}",
                         "article_id": f"{int(x):016x}", "http_status": 404,
                         "at": noon, "written_at": noon, "run_id": run_id}
                        for i, x in enumerate(rng.integers(0, 2**63, size=k, dtype=np.int64))]
            _write(out, "rejected", date, outlet,
                   pa.Table.from_pylist(rejected, schema=schema_for("rejected")))
            counts["articles"] += size
            counts["duplicates"] += k
            counts["rejected"] += k
            counts["files"] += 3
    return counts


def _write(out: str, dataset: str, date: dt.date, outlet: str, table: pa.Table) -> None:
    folder = os.path.join(out, dataset, f"date={date.isoformat()}", f"outlet={outlet}")
    os.makedirs(folder, exist_ok=True)
    pq.write_table(table, os.path.join(folder, "part-20250101T000000Z-lake00-0000.parquet"),
                   compression="zstd")
