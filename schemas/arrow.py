"""Arrow schemas of the three datasets, and the record -> row conversion.

Layout: DIR/<dataset>/date=YYYY-MM-DD/outlet=<outlet>/part-*.parquet (Hive style).
`date` and `outlet` live in the path only (standard Hive layout); read with hive partitioning
on, using PARTITIONING_SCHEMA so `date` comes back as a DATE.

Compatibility rules (see README): a new SCHEMA_VERSION may add nullable columns; it never
removes, renames or retypes one. Readers unify by column name.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any, Dict, Tuple

import pyarrow as pa

from cfnews.schemas.records import Article, Duplicate, Rejected

SCHEMA_VERSION = 8   # 2: articles.fingerprint; 3: story_id, fingerprints mark quoted shingles;
# 4: fingerprints read Traditional Chinese as Simplified; 5: item_id; 6: articles.number_sketch;
# 7: rejected.attempt; 8: fingerprint hashes carry run tags (bits 1-7)

TIMESTAMP = pa.timestamp("us", tz="UTC")

ENTITY_TYPE = pa.struct([
    ("text", pa.string()),
    ("label", pa.string()),
    ("start", pa.int32()),
    ("end", pa.int32()),
    ("kb_id", pa.string()),
    ("canonical", pa.string()),
])

# Entity-derived columns: on `articles` only (duplicates are not enriched).
ENTITY_COLUMNS = ("entities", "people", "organizations", "places", "topics")
# Flat name lists for analysts: which entity labels feed which column.
FLAT_ENTITY_LABELS = {"people": ("PERSON",), "organizations": ("ORG",),
                      "places": ("GPE", "LOC", "FAC")}

# What near-duplicate matching needs of an article, stored when it is written so that later
# runs never re-fingerprint history from its text (transforms/fingerprint.py): the sampled
# shingle hashes (64-bit, stored as signed int64 for Spark and BigQuery; since schema version
# 3 the lowest bit marks shingles inside quoted sentences, since 8 bits 1-7 the shingle's run
# tag, transforms/fingerprint.py), the sampling level and the counts
# at that level and the coarser ones. On `articles` only.
FINGERPRINT_TYPE = pa.struct([
    ("level", pa.int8()),
    ("counts", pa.list_(pa.int32())),
    ("hashes", pa.list_(pa.int64())),
])

# The number sketch of an article (transforms/numbers.py: entries 24-bit context hash << 8 |
# 8-bit number hash, at most numbers.SKETCH_K), stored beside the fingerprint so that later
# runs' number veto (transforms/dedup.py) compares it without the text. On `articles` only;
# null in rows written before schema version 6 (they never veto).
NUMBER_SKETCH_TYPE = pa.list_(pa.int64())

PARTITIONING_SCHEMA = pa.schema([("date", pa.date32()), ("outlet", pa.string())])


def _article_fields():
    return [
        pa.field("schema_version", pa.int16(), nullable=False),
        pa.field("article_id", pa.string(), nullable=False),
        pa.field("cluster_id", pa.string()),
        pa.field("story_id", pa.string()),
        pa.field("url", pa.string(), nullable=False),
        pa.field("canonical_url", pa.string()),
        pa.field("feed_url", pa.string()),
        pa.field("entry_id", pa.string()),
        pa.field("source", pa.string()),
        pa.field("title", pa.string()),
        pa.field("summary", pa.string()),
        pa.field("text", pa.string()),
        pa.field("word_count", pa.int32()),
        pa.field("authors", pa.list_(pa.string())),
        pa.field("site_name", pa.string()),
        pa.field("language", pa.string()),
        pa.field("language_confidence", pa.float32()),
        pa.field("relevance", pa.float32()),
        pa.field("relevance_terms", pa.list_(pa.string())),
        pa.field("relevance_reason", pa.string()),
        pa.field("published_at", TIMESTAMP),
        pa.field("discovered_at", TIMESTAMP),
        pa.field("fetched_at", TIMESTAMP),
        pa.field("written_at", TIMESTAMP),
        pa.field("entities", pa.list_(ENTITY_TYPE)),
        pa.field("people", pa.list_(pa.string())),
        pa.field("organizations", pa.list_(pa.string())),
        pa.field("places", pa.list_(pa.string())),
        pa.field("topics", pa.list_(pa.string())),
        pa.field("run_id", pa.string()),
        pa.field("published_raw", pa.string()),
        pa.field("item_id", pa.string()),
    ]


ARTICLES_SCHEMA = pa.schema(
    _article_fields() + [pa.field("fingerprint", FINGERPRINT_TYPE),
                         pa.field("number_sketch", NUMBER_SKETCH_TYPE)],
    metadata={b"cfnews.dataset": b"articles", b"cfnews.schema_version": str(SCHEMA_VERSION).encode()})

DUPLICATES_SCHEMA = pa.schema(
    [f for f in _article_fields() if f.name not in ENTITY_COLUMNS] + [
        pa.field("canonical_id", pa.string(), nullable=False),
        pa.field("matched_id", pa.string()),
        pa.field("method", pa.string(), nullable=False),
        pa.field("containment", pa.float32()),
        pa.field("jaccard", pa.float32()),
        pa.field("shared_fingerprints", pa.int32()),
    ],
    metadata={b"cfnews.dataset": b"duplicates", b"cfnews.schema_version": str(SCHEMA_VERSION).encode()})

REJECTED_SCHEMA = pa.schema([
    pa.field("schema_version", pa.int16(), nullable=False),
    pa.field("stage", pa.string(), nullable=False),
    pa.field("reason", pa.string(), nullable=False),
    pa.field("url", pa.string()),
    pa.field("article_id", pa.string()),
    pa.field("entry_id", pa.string()),
    pa.field("feed_url", pa.string()),
    pa.field("source", pa.string()),
    pa.field("title", pa.string()),
    pa.field("http_status", pa.int32()),
    pa.field("error", pa.string()),
    pa.field("relevance", pa.float32()),
    pa.field("published_at", TIMESTAMP),
    pa.field("discovered_at", TIMESTAMP),
    pa.field("at", TIMESTAMP, nullable=False),
    pa.field("written_at", TIMESTAMP),
    pa.field("run_id", pa.string()),
    pa.field("published_raw", pa.string()),
    pa.field("attempt", pa.int16()),
], metadata={b"cfnews.dataset": b"rejected", b"cfnews.schema_version": str(SCHEMA_VERSION).encode()})

DATASETS = ("articles", "duplicates", "rejected")

_SCHEMAS = {"articles": ARTICLES_SCHEMA, "duplicates": DUPLICATES_SCHEMA,
            "rejected": REJECTED_SCHEMA}


def schema_for(dataset: str) -> pa.Schema:
    return _SCHEMAS[dataset]


def _utc(value):
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)


# Han characters (CJK ideographs, extensions A and the compatibility block) and kana: Chinese
# and Japanese write no spaces between words, so each counts as one (the usual 字数)
_UNSPACED = re.compile(r"([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])")


# what the split leaves alone between them: full-width punctuation, no word
_CJK_PUNCTUATION = re.compile(r"[\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65]+")


def word_count(text: str) -> int:
    """Whitespace-separated words, each Han character or kana counted as one word (and the
    full-width punctuation between them as none)."""
    if not text:
        return 0
    return sum(1 for token in _UNSPACED.sub(r" \1 ", text).split()
               if not _CJK_PUNCTUATION.fullmatch(token))


def _or_null(text: str):
    """An optional text the source did not give is NULL, not "" (so `count(summary)` counts
    summaries and `summary IS NULL` finds the rows without one)."""
    return text if text else None


def _article_row(a: Article, run_id: str, written_at=None) -> Dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "article_id": a.article_id,
        "cluster_id": a.cluster_id or a.article_id,
        "story_id": a.story_id or a.cluster_id or a.article_id,
        "url": a.url,
        "canonical_url": a.canonical_url,
        "feed_url": a.feed_url,
        "entry_id": a.entry_id,
        "source": a.source,
        "title": a.title,
        "summary": _or_null(a.summary),
        "text": a.text,
        "word_count": word_count(a.text),
        "authors": list(a.authors),
        "site_name": _or_null(a.site_name),
        "language": _or_null(a.language),   # "" before the language stage (never fetched)
        "language_confidence": a.language_confidence if a.language else None,
        "relevance": a.relevance,
        "relevance_terms": list(a.relevance_terms),
        "relevance_reason": a.relevance_reason,
        "published_at": _utc(a.published_at),
        "discovered_at": _utc(a.discovered_at),
        "fetched_at": _utc(a.fetched_at),
        "written_at": _utc(written_at),
        "entities": [dataclasses.asdict(e) for e in a.entities],
        **flat_entity_lists(a.entities),
        "topics": list(a.topics),
        "run_id": run_id,
        "published_raw": a.published_raw,
        "item_id": a.item_id or None,
    }


def fingerprint_value(fp):
    """The `fingerprint` struct of a (hashes, level, counts) fingerprint, or None."""
    if fp is None:
        return None
    hashes, level, counts = fp[:3]
    return {"level": level, "counts": list(counts),
            "hashes": [h - (1 << 64) if h >= (1 << 63) else h for h in hashes]}


def number_sketch_value(fp):
    """The `number_sketch` list of a fingerprint (its 4th part), or None when it has none
    (a fingerprint carried from before sketches)."""
    if fp is None or len(fp) < 4:
        return None
    return list(fp[3])


def fingerprint_from_value(value):
    """(hashes, level, counts) from a stored `fingerprint` struct (inverse of the above)."""
    if not value or value.get("hashes") is None:
        return None
    return (tuple(h & 0xFFFFFFFFFFFFFFFF for h in value["hashes"]), int(value["level"]),
            tuple(value["counts"]))


def flat_entity_lists(entities) -> Dict[str, list]:
    """people / organizations / places: canonical names (the surface text when unlinked),
    each once, in order of first mention. A name written in capitals by a dateline or a
    headline ("LONDON", "USA TODAY") and in running text ("London") is listed once, as the
    running text writes it."""
    out = {}
    for column, labels in FLAT_ENTITY_LABELS.items():
        names: list = []
        where: Dict[str, int] = {}  # casefolded name -> its index in names
        for e in entities:
            if e.label in labels:
                name = (e.canonical or " ".join(e.text.split())).strip()
                key = name.casefold()
                if not name:
                    continue
                if key not in where:
                    where[key] = len(names)
                    names.append(name)
                elif names[where[key]].isupper() and not name.isupper():
                    names[where[key]] = name
        out[column] = names
    return out


def partition_of(record) -> Tuple[str, str, str]:
    """(dataset, date 'YYYY-MM-DD', outlet) of a record. `date` is the UTC publication
    date, falling back to discovery time (for rejected rows: to the rejection time)."""
    if isinstance(record, Article):
        when = record.published_at or record.discovered_at
        return "articles", _utc(when).date().isoformat(), record.outlet
    if isinstance(record, Duplicate):
        a = record.article
        return "duplicates", _utc(a.published_at or a.discovered_at).date().isoformat(), a.outlet
    if isinstance(record, Rejected):
        when = record.published_at or record.discovered_at or record.at
        return "rejected", _utc(when).date().isoformat(), record.outlet or "_unknown"
    raise TypeError(f"not an output record: {type(record).__name__}")


def to_row(record, run_id: str = "", written_at=None) -> Dict[str, Any]:
    """The Arrow row of an output record (without the partition columns)."""
    if isinstance(record, Article):
        row = _article_row(record, run_id, written_at)
        row["fingerprint"] = fingerprint_value(record.fingerprint)
        row["number_sketch"] = number_sketch_value(record.fingerprint)
        return row
    if isinstance(record, Duplicate):
        row = _article_row(record.article, run_id, written_at)
        for column in ENTITY_COLUMNS:
            row.pop(column)
        row["cluster_id"] = record.cluster_id
        row.update(canonical_id=record.canonical_id, matched_id=record.matched_id,
                   method=record.method,
                   containment=record.containment, jaccard=record.jaccard,
                   shared_fingerprints=record.shared_fingerprints)
        return row
    if isinstance(record, Rejected):
        return {
            "schema_version": SCHEMA_VERSION,
            "stage": record.stage, "reason": record.reason, "url": _or_null(record.url),
            "article_id": record.article_id, "entry_id": _or_null(record.entry_id),
            "feed_url": record.feed_url, "source": record.source, "title": _or_null(record.title),
            "http_status": record.http_status, "error": _or_null(record.error),
            "relevance": record.relevance, "published_at": _utc(record.published_at),
            "discovered_at": _utc(record.discovered_at), "at": _utc(record.at),
            "written_at": _utc(written_at), "run_id": run_id,
            "published_raw": record.published_raw, "attempt": record.attempt,
        }
    raise TypeError(f"not an output record: {type(record).__name__}")
