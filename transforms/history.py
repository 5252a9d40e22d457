"""History: what earlier runs wrote, looked up by key from inside the job.

The datasets under --out are the only record of what was seen. A job asks two questions of
them, in its workers (nothing about the lake is read on the driver or embedded in the job):

* was this article id already written, in any dataset, for good?     -> `History.seen`
  (an id whose only rows are transient rejections from fewer than MAX_ATTEMPTS runs is not:
  it is fetched again, see schemas/reasons.py `is_transient`; a streaming job's row at its
  `attempt` MAX_ATTEMPTS is final: that job fetched the page MAX_ATTEMPTS times)
* which articles written earlier share sampled shingle hashes with this new one, within the
  dedup expiry?                                                         -> `History.prior_hits`

Both are answered from a `History`, opened once per worker process and job:

* Local output: a compact index under DIR/_index/, derived from the datasets and memory-mapped:
  `ids.npy` (sorted 64-bit article ids written for good: every article, every duplicate but
  the row of an entry whose first entry of the same URL was rejected (its fate is that
  rejection's), every rejection that is not transient or records a last attempt), `attempts.npy` (sorted (id, run)
  pairs of the transient rejections: the runs that tried an id and failed for a reason worth
  another run), `retries.json` (the entry of each id still retrying, from its latest transient
  rejection: what the in-job graph fetches again when the feed no longer lists it,
  `RetryUnlisted`) and, per date partition of
  `articles`, `fp/DATE.members.npy` (one row per article: id, event time, outlet, fingerprint
  level and counts) and `fp/DATE.postings.npy` (its sampled hashes, sorted, with the row).
  `manifest.json` lists the data files it was built from (by name). Opening it
  compares that list with the datasets: new files are added (a run reads only what the last
  run wrote), and an index that is missing, corrupt, of another version or describes files
  that are gone (compaction) is rebuilt from the datasets with a warning. The datasets stay
  the source of truth; deleting DIR/_index is always safe.
* Object stores (gs://, s3://): the same facts per data file, packed in the bucket under
  OUT/_index/history-vN/ and read instead of the files they summarise; files no pack names
  are read directly and packed for the next open (transforms/history_remote.py).

Each member row also holds the article's number sketch (`articles.number_sketch`, schema
version 6; transforms/numbers.py), which the dedup's number veto compares; a row fingerprinted
from its text gets its sketch with it, which since schema version 8 (MARKED_SINCE) is every row
stored without one.

An article with an item id (`articles.item_id`, schema version 5) is posted under its
`dedup.item_key` as well, so a later article of the same (outlet, item id) finds it as it finds
a text sharing its shingles; rows without the column (older lakes) simply have no item key.

Fingerprints are stored with each article when it is written (`articles.fingerprint`); rows
written before that column existed, or before schema version 8 (whose fingerprints do not
mark quoted shingles, read Traditional Chinese as written, or carry no run tags), are
fingerprinted from their text once, when indexed. The index also
keeps each article's story_id, which a later article that reports the same story takes.
"""
from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import json
import logging
import os
import threading
import time
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from cfnews.schemas.reasons import MAX_ATTEMPTS, RETRY_WAIT, is_transient, retry_wait_after
from cfnews.transforms.lake_files import INDEX_DIR, local_data_files  # noqa: F401 (re-export)
from cfnews.transforms.numbers import SKETCH_K as NUMBER_SKETCH_K

log = logging.getLogger(__name__)

INDEX_VERSION = 9   # 2: files listed by name only; 3: plain counts and story ids; 4: folded
# scripts; 5: number sketches; 6: transient rejections apart (attempts.npy), retried; 7: when
# each attempt failed (retries are spaced); 8: the entry of each id still retrying
# (retries.json), which the in-job graph fetches again when its feed no longer lists it;
# 9: hashes with run tags (schema version 8)
NUMBERS_SINCE = 6   # the schema version from which `articles.number_sketch` is stored; older
# rows with a stored fingerprint have no sketch (they never take part in the number veto)
MARKED_SINCE = 8    # the schema version from which stored fingerprints are today's: quoted
# shingles marked (3), Traditional Chinese read as Simplified (4), run tags in bits 1-7 (8:
# before, those bits were the hash's own); older rows are fingerprinted again from their text
# when indexed
DATASETS = ("articles", "duplicates", "rejected")
DAY_US = 86_400_000_000

MEMBER_DTYPE = np.dtype([("id", "<u8"), ("time", "<i8"), ("outlet", "<u2"), ("level", "u1"),
                         ("n", "u1"), ("counts", "<u4", (4,)), ("plain", "<u4"),
                         ("story", "<u8"), ("n_numbers", "u1"),
                         ("numbers", "<u4", (NUMBER_SKETCH_K,))])
POSTING_DTYPE = np.dtype([("hash", "<u8"), ("row", "<u4")])
# one run's transient failure of an id, and when (the rejection's `at`, microseconds)
ATTEMPT_DTYPE = np.dtype([("id", "<u8"), ("run", "<u8"), ("at", "<i8")])
# what a transient rejection says of its entry, enough to fetch the page again without its
# feed listing it (`retry_entry`): the `rejected` columns, plus the outlet (the partition)
RETRY_COLUMNS = ("url", "feed_url", "entry_id", "title", "source", "published_at",
                 "discovered_at", "published_raw")


# ---------------------------------------------------------------- ids and rows

def id_key(article_id: str) -> int:
    """64-bit key of an article id: the id itself when it is 16 hex digits (all ids cfnews
    makes from URLs), else a hash of it."""
    if len(article_id) == 16:
        try:
            return int(article_id, 16)
        except ValueError:
            pass
    return int.from_bytes(hashlib.blake2b(article_id.encode("utf-8"), digest_size=8).digest(),
                          "big")


def _date_of(relpath: str) -> Optional[str]:
    for part in relpath.split("/"):
        if part.startswith("date="):
            return part[5:]
    return None


def _outlet_of(relpath: str) -> str:
    for part in relpath.split("/"):
        if part.startswith("outlet="):
            return part[7:]
    return ""


def _read_columns(source, wanted: Sequence[str]):
    """The wanted columns that exist in a Parquet file (a local path, or the file's bytes),
    read one-threaded; on a local path only those columns' pages are read."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    reader = pq.ParquetFile(pa.BufferReader(source) if isinstance(source, bytes) else source)
    present = [c for c in wanted if c in reader.schema_arrow.names]
    return reader.read(columns=present, use_threads=False)


def _column(table, name: str) -> list:
    return (table.column(name).to_pylist() if name in table.column_names
            else [None] * table.num_rows)


def _micros(table, name: str) -> list:
    """A timestamp column as microseconds since the epoch (0 where absent)."""
    import pyarrow as pa
    if name not in table.column_names:
        return [0] * table.num_rows
    column = table.column(name).cast(pa.timestamp("us", tz="UTC")).cast(pa.int64())
    return [v or 0 for v in column.to_pylist()]


def history_of_file(source, dataset: str, name: str = "",
                    outlet: str = "") -> Tuple[np.ndarray, np.ndarray, Dict[str, dict]]:
    """(ids written for good, transient attempts as ATTEMPT_DTYPE rows, {article id: its
    entry as its latest transient rejection in the file states it: RETRY_COLUMNS, outlet,
    `at`, times in microseconds}) of one file of
    `dataset` (of partition `outlet`); only the columns the rule needs are read, and the
    entry's columns only of a file that holds transient rejections. `name` (the file's name)
    stands for the run of rows written before files had a run_id column (a file holds one
    run's rows)."""
    wanted = {"articles": ["article_id"], "duplicates": ["article_id", "canonical_id"],
              "rejected": ["article_id", "reason", "http_status", "run_id", "at", "attempt"]}[dataset]
    table = _read_columns(source, wanted)
    final: List[int] = []
    attempts: List[Tuple[int, int, int]] = []
    retries: Dict[str, dict] = {}
    if "article_id" not in table.column_names:
        return np.empty(0, dtype=np.uint64), np.empty(0, dtype=ATTEMPT_DTYPE), retries
    ids = table.column("article_id").to_pylist()
    if dataset == "articles":
        final = [id_key(a) for a in ids if a]
    elif dataset == "duplicates":
        # An entry whose URL's first entry was rejected keeps its own id as canonical_id
        # (dedup.link_entry_duplicate): its fate is that rejection's, retried or final with it.
        final = [id_key(a) for a, canonical in zip(ids, _column(table, "canonical_id"))
                 if a and a != canonical]
    else:
        rows = []
        for i, (a, reason, status, run, at, attempt) in enumerate(zip(
                ids, _column(table, "reason"), _column(table, "http_status"),
                _column(table, "run_id"), _micros(table, "at"), _column(table, "attempt"))):
            if not a:
                continue    # a feed-level row: no article
            # a streaming job's row records its last attempt: at MAX_ATTEMPTS it gave up, so
            # the id is final, however few runs' rows there are (the job fetched it N times)
            if is_transient(reason, status) and (attempt or 0) < MAX_ATTEMPTS:
                attempts.append((id_key(a), id_key(run or name), at))
                rows.append((i, a, at))
            else:
                final.append(id_key(a))
        if rows:
            entries = _read_columns(source, list(RETRY_COLUMNS))
            columns = {c: _column(entries, c) for c in RETRY_COLUMNS
                       if c not in ("published_at", "discovered_at")}
            published, discovered = _micros(entries, "published_at"), _micros(entries, "discovered_at")
            for i, a, at in rows:
                row = dict({c: values[i] for c, values in columns.items()}, article_id=a,
                           outlet=outlet, at=at, published_at=published[i] or None,
                           discovered_at=discovered[i] or None)
                retries[a] = latest_retry_row(retries.get(a), row)
    return (np.array(final, dtype=np.uint64), np.array(attempts, dtype=ATTEMPT_DTYPE), retries)


def latest_retry_row(kept: Optional[dict], row: dict) -> dict:
    """Of two transient rejections of one id, the later (the entry as last seen)."""
    return row if kept is None or (row["at"], row.get("discovered_at") or 0) >= (
        kept["at"], kept.get("discovered_at") or 0) else kept


def _merge_retries(chunks: Iterable[Dict[str, dict]], ids: np.ndarray,
                   attempts: np.ndarray) -> Dict[str, dict]:
    """The latest row of each id still retrying: not written for good (`ids`) and failed by
    fewer than MAX_ATTEMPTS runs (`attempts`); the others will never be fetched again."""
    merged: Dict[str, dict] = {}
    for chunk in chunks:
        for a, row in chunk.items():
            merged[a] = latest_retry_row(merged.get(a), row)
    if not merged:
        return merged
    keys = np.array([id_key(a) for a in merged], dtype=np.uint64)
    done = np.isin(keys, ids)
    if len(attempts):
        tried = np.searchsorted(attempts["id"], keys, side="right") - np.searchsorted(
            attempts["id"], keys, side="left")
        done |= tried >= MAX_ATTEMPTS
    return {a: row for a, row, gone in zip(merged, merged.values(), done) if not gone}


def members_of_file(data: bytes, outlet: str) -> List[Tuple[tuple, Tuple[int, ...]]]:
    """(member row, index keys) of every article of one `articles` file: its sampled hashes,
    and its `dedup.item_key` when it has an `item_id` (rows written before that column have
    none). Rows written before the fingerprint column existed, or before quoted shingles were
    marked, are fingerprinted from their text. Member rows hold the story_id key (0: the
    article's own)."""
    from cfnews.schemas.arrow import fingerprint_from_value
    from cfnews.transforms.dedup import micros, outlet_hash
    from cfnews.transforms.fingerprint import fingerprint, plain_count
    from cfnews.transforms.dedup import item_key
    table = _read_columns(data, ["article_id", "published_at", "discovered_at", "fingerprint",
                                 "schema_version", "story_id", "item_id", "number_sketch"])
    stored = (table.column("fingerprint").to_pylist() if "fingerprint" in table.column_names
              else [None] * table.num_rows)
    versions = (table.column("schema_version").to_pylist()
                if "schema_version" in table.column_names else [None] * table.num_rows)
    stored = [v if (version or 0) >= MARKED_SINCE else None for v, version in zip(stored, versions)]
    sketches = (table.column("number_sketch").to_pylist() if "number_sketch" in table.column_names
                else [None] * table.num_rows)
    sketches = [v if (version or 0) >= NUMBERS_SINCE else None
                for v, version in zip(sketches, versions)]
    stories = (table.column("story_id").to_pylist() if "story_id" in table.column_names
               else [None] * table.num_rows)
    items = (table.column("item_id").to_pylist() if "item_id" in table.column_names
             else [None] * table.num_rows)
    texts = None
    if any(v is None for v in stored):
        texts = _read_columns(data, ["text"]).column("text").to_pylist()
    out = []
    o_hash = outlet_hash(outlet)
    ids = table.column("article_id").to_pylist()
    published = table.column("published_at").to_pylist()
    discovered = table.column("discovered_at").to_pylist()
    for i, article_id in enumerate(ids):
        fp = fingerprint_from_value(stored[i])
        if fp is None:      # fingerprinted from its text: its number sketch comes with it
            hashes, level, counts, numbers = fingerprint(texts[i] or "")
        else:
            hashes, level, counts = fp
            numbers = tuple(sketches[i] or ())
        numbers = tuple(numbers)[:NUMBER_SKETCH_K]
        when = published[i] or discovered[i]
        if not article_id or when is None:
            continue
        counts = tuple(counts)[:4]
        story = stories[i]
        row = (id_key(article_id), micros(when), o_hash, level, len(counts),
               tuple(counts) + (0,) * (4 - len(counts)), plain_count(hashes),
               id_key(story) if story and story != article_id else 0,
               len(numbers), numbers + (0,) * (NUMBER_SKETCH_K - len(numbers)))
        if items[i]:    # indexed under its item key too, as dedup.prepare does
            hashes = tuple(hashes) + (item_key(outlet, items[i]),)
        out.append((row, hashes))
    return out


def date_store(entries: Iterable[Tuple[tuple, Tuple[int, ...]]]) -> Tuple[np.ndarray, np.ndarray]:
    """(members, postings sorted by hash) of one date partition's articles."""
    entries = list(entries)
    members = np.array([row for row, _ in entries], dtype=MEMBER_DTYPE)
    counts = np.array([len(h) for _, h in entries], dtype=np.int64)
    hashes = np.fromiter((h for _, hs in entries for h in hs), dtype=np.uint64,
                         count=int(counts.sum()))
    return store_from_arrays(members, counts, hashes)


def store_from_arrays(members: np.ndarray, counts: np.ndarray,
                      hashes: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """(members, postings sorted by hash) from member rows, the number of sampled hashes of
    each and those hashes, member after member."""
    postings = np.empty(len(hashes), dtype=POSTING_DTYPE)
    postings["hash"] = hashes
    postings["row"] = np.repeat(np.arange(len(members), dtype=np.uint32),
                                np.asarray(counts, dtype=np.int64))
    postings.sort(order=["hash", "row"], kind="stable")
    return members, postings


# ---------------------------------------------------------------- lookups

class History:
    """Lookups over what earlier runs wrote. `ids`: sorted uint64 keys; `load_date(date)`
    returns (members, postings) of a date partition of `articles`, or None."""

    def __init__(self, ids: np.ndarray, load_date, dates: Sequence[str] = (),
                 attempts: Optional[np.ndarray] = None,
                 retries: Optional[Dict[str, dict]] = None):
        self.ids = ids
        # sorted (id, run) pairs of transient rejections; an id may also be in `ids` (a later
        # run wrote it for good), which then decides
        self.attempts = np.empty(0, dtype=ATTEMPT_DTYPE) if attempts is None else attempts
        # {article id: its entry, from its latest transient rejection}: ids still retrying
        self.retries = retries or {}
        self._retries_by_feed: Optional[Dict[str, List[dict]]] = None
        self._load_date = load_date
        self.dates = sorted(set(dates))   # date partitions of `articles` that exist
        self._dates: Dict[str, Optional[Tuple[np.ndarray, np.ndarray]]] = {}
        self._lock = threading.Lock()

    def _written_for_good(self, key: np.uint64) -> bool:
        i = int(np.searchsorted(self.ids, key))
        return i < len(self.ids) and self.ids[i] == key

    def _attempts_of(self, article_id: str) -> np.ndarray:
        if not article_id or not len(self.attempts):
            return self.attempts[:0]
        key = np.uint64(id_key(article_id))
        ids = self.attempts["id"]
        return self.attempts[np.searchsorted(ids, key):np.searchsorted(ids, key, side="right")]

    def failed_runs(self, article_id: str) -> int:
        """How many runs rejected the id for a transient reason (schemas/reasons.py)."""
        return len(self._attempts_of(article_id))

    def retry_due_us(self, article_id: str, wait: float = RETRY_WAIT) -> int:
        """When (microseconds since the epoch) another attempt is due: `retry_wait_after`
        the last failure; 0 for an id never failed transiently."""
        tried = self._attempts_of(article_id)
        if not len(tried):
            return 0
        return int(tried["at"].max()) + int(retry_wait_after(len(tried), wait) * 1_000_000)

    def waiting(self, article_id: str, now_us: int, wait: float = RETRY_WAIT) -> bool:
        """Retrying, but too soon after its last failure for another attempt."""
        return self.retrying(article_id) and now_us < self.retry_due_us(article_id, wait)

    def seen(self, article_id: str) -> bool:
        """Written for good: in any dataset, unless its only rows are transient rejections
        of fewer than MAX_ATTEMPTS runs (then it is fetched again)."""
        if not article_id:
            return False
        if len(self.ids) and self._written_for_good(np.uint64(id_key(article_id))):
            return True
        return self.failed_runs(article_id) >= MAX_ATTEMPTS

    def retrying(self, article_id: str) -> bool:
        """Not seen, but tried before: an earlier run's failure was transient."""
        return not self.seen(article_id) and self.failed_runs(article_id) > 0

    def next_attempt(self, article_id: str,
                     wait: float = RETRY_WAIT) -> Optional[Tuple[int, int]]:
        """(transient failures so far, when the next attempt is due: `retry_due_us`) of an id
        still `retrying`; None for one never failed, or seen."""
        failures = self.failed_runs(article_id)   # first: most ids never failed
        if not failures or self.seen(article_id):
            return None
        return failures, self.retry_due_us(article_id, wait)

    def due_retries(self, feed_url: str, now_us: int, wait: float = RETRY_WAIT) -> List[dict]:
        """The entries of `feed_url` whose page failed transiently and is due for another
        attempt now (`retrying`, not `waiting`), as their latest rejection states them
        (`retry_entry` makes a FeedEntry of one): what a run fetches again whether or not
        the feed still lists them. Only feed entries that fetch their page: a backfill line's
        rows name its manifest as feed_url, never a feed."""
        with self._lock:
            if self._retries_by_feed is None:
                self._retries_by_feed = {}
                for row in self.retries.values():
                    if row.get("url") and (row.get("source") or "feed") == "feed":
                        self._retries_by_feed.setdefault(row.get("feed_url"), []).append(row)
        return [row for row in self._retries_by_feed.get(feed_url, ())
                if self.retrying(row["article_id"])
                and not self.waiting(row["article_id"], now_us, wait)]

    def _date(self, date: str):
        with self._lock:
            if date not in self._dates:
                self._dates[date] = self._load_date(date)
            return self._dates[date]

    def prior_hits(self, member, hashes: Sequence[int], params) -> list:
        """[(earlier Member, hashes shared, keys of the plain hashes shared, quoted hashes
        shared)] for every article written earlier whose event time is within the expiry of
        `member` and that shares at least params.min_shared of its sampled hashes, or shares
        any plain one (a holder `dedup.furniture_keys` counts). A hash
        held by more than params.max_bucket earlier articles of a day counts for the first
        max_bucket only (site furniture)."""
        from cfnews.transforms.dedup import Member
        if not len(hashes):
            return []
        # by shingle (`shingle_key`): a stored hash matches the query's whatever its lowest
        # byte (the quoted flag and the run tag); the variants sort next to each other.
        # Shared plain: the new (later) text has it plain; with the run flags of
        # `dedup.hit_shingle` (the best of the stored variants').
        query = np.unique(np.asarray(hashes, dtype=np.uint64))
        plain_query = (query & np.uint64(1)) == 0
        query_lo, query_hi = query & ~np.uint64(0xFF), query | np.uint64(0xFF)
        query_tag = query & np.uint64(0xFE)
        day = dt.date(1970, 1, 1)
        first = (day + dt.timedelta(microseconds=member.time_us - params.expiry_us)).isoformat()
        last = (day + dt.timedelta(microseconds=member.time_us + params.expiry_us)).isoformat()
        out = []
        for date in self.dates[bisect.bisect_left(self.dates, first[:10]):
                               bisect.bisect_right(self.dates, last[:10])]:
            store = self._date(date)
            if store is None:
                continue
            members, postings = store
            keys = postings["hash"]
            lo = np.searchsorted(keys, query_lo, side="left")
            hi = np.minimum(np.searchsorted(keys, query_hi, side="right"), lo + params.max_bucket)
            hit = hi > lo
            if not hit.any():
                continue
            shingle, rows, tags = _rows_per_shingle(postings["row"], lo[hit], hi[hit], keys,
                                                    query_tag[hit])
            shingle = np.nonzero(hit)[0][shingle]
            plain = plain_query[shingle]
            found, shared = np.unique(rows, return_counts=True)
            quoted_found, quoted_shared = np.unique(rows[~plain], return_counts=True)
            quoted_of = dict(zip(quoted_found.tolist(), quoted_shared.tolist()))
            # the plain shared keys, grouped by row
            plain_rows = rows[plain]
            plain_keys = query_lo[shingle[plain]] | tags[plain]
            order = np.lexsort((plain_keys, plain_rows))
            plain_rows, plain_keys = plain_rows[order], plain_keys[order]
            for row, n in zip(found.tolist(), shared.tolist()):
                a, b = np.searchsorted(plain_rows, [row, row + 1])
                if n < params.min_shared and a == b:
                    continue
                m = members[row]
                if abs(int(m["time"]) - member.time_us) > params.expiry_us:
                    continue
                article_id = f"{int(m['id']):016x}"
                if article_id == member.article_id:
                    continue
                counts = tuple(int(c) for c in m["counts"][:int(m["n"])])
                story = f"{int(m['story']):016x}" if int(m["story"]) else ""
                numbers = tuple(int(v) for v in m["numbers"][:int(m["n_numbers"])])
                out.append((Member(int(m["time"]), article_id, int(m["outlet"]), int(m["level"]),
                                   counts, 0, int(m["plain"]), story, numbers), int(n),
                            tuple(plain_keys[a:b].tolist()), quoted_of.get(row, 0)))
        return out


def _rows_per_shingle(rows: np.ndarray, lo: np.ndarray, hi: np.ndarray, keys: np.ndarray,
                      tags: np.ndarray):
    """(shingle, rows, run flags): the stored rows found for each queried shingle (its index
    in lo/hi), each row once per shingle, with the run flags of `dedup.hit_shingle` (TAGGED,
    SAME_RUN) from the queried run tag (`tags`, bits 1-7 per shingle) and the best of the
    row's stored variants. A fingerprint stored before a text kept a shingle once can hold
    both of its variants (quoted and plain): they are one shared shingle, not two."""
    from cfnews.transforms.dedup import SAME_RUN, TAGGED
    lengths = (hi - lo).astype(np.int64)
    shingle = np.repeat(np.arange(len(lengths), dtype=np.uint64), lengths)
    at = np.concatenate([np.arange(a, b) for a, b in zip(lo, hi)])
    found = rows[at].astype(np.uint64)
    query_tag, stored_tag = tags[shingle.astype(np.int64)], keys[at] & np.uint64(0xFE)
    both = (query_tag != 0) & (stored_tag != 0)
    flags = (np.where(both, np.uint64(TAGGED), np.uint64(0))
             | np.where(both & (query_tag == stored_tag), np.uint64(SAME_RUN), np.uint64(0)))
    # one (shingle, row) pair, its best flags: sorted, the smallest 7 - flags comes first
    pairs = np.unique((shingle << np.uint64(35)) | (found << np.uint64(3)) | (np.uint64(7) - flags))
    first = np.concatenate(([True], (pairs[1:] >> np.uint64(3)) != (pairs[:-1] >> np.uint64(3))))
    pairs = pairs[first]
    return ((pairs >> np.uint64(35)).astype(np.int64),
            ((pairs >> np.uint64(3)) & np.uint64(0xFFFFFFFF)).astype(np.int64),
            np.uint64(7) - (pairs & np.uint64(7)))


# ---------------------------------------------------------------- reading the datasets

def _is_remote(out_dir: str) -> bool:
    return "://" in out_dir


_UNREADABLE: set = set()   # files that failed to read: left out of the index, warned each run


def _warn_unreadable(path: str, exc: Exception) -> None:
    _UNREADABLE.add(path)
    log.warning("cannot read %s (%s: %s); skipped: its rows count as unseen. Move the file "
                "out of the output folder (or delete it) once you have checked it.",
                path, type(exc).__name__, exc)


def _history_of(files: Iterable[Tuple[str, str]], read
                ) -> Tuple[np.ndarray, np.ndarray, List[Dict[str, dict]]]:
    """(sorted ids written for good, sorted unique attempts, [each file's retry rows]) of
    (dataset, path) files."""
    ids = [np.empty(0, dtype=np.uint64)]
    attempts = [np.empty(0, dtype=ATTEMPT_DTYPE)]
    retries: List[Dict[str, dict]] = []
    for dataset, path in files:
        try:
            final, tried, rows = history_of_file(read(path), dataset, path.rsplit("/", 1)[-1],
                                                 _outlet_of(path))
        except Exception as exc:  # a corrupt file: named, skipped, never a crash
            _warn_unreadable(path, exc)
            continue
        ids.append(final)
        attempts.append(tried)
        if rows:
            retries.append(rows)
    return np.unique(np.concatenate(ids)), _unique_attempts(attempts), retries


def _unique_attempts(chunks: Sequence[np.ndarray]) -> np.ndarray:
    """Sorted by (id, run), one row per (id, run) with its latest time: a run that wrote an
    id's rejection in two files (two feeds' entries of the URL) tried it once."""
    rows = np.unique(np.concatenate(chunks).astype(ATTEMPT_DTYPE))   # sorted by id, run, at
    if not len(rows):
        return rows
    last = np.ones(len(rows), dtype=bool)
    last[:-1] = (rows["id"][1:] != rows["id"][:-1]) | (rows["run"][1:] != rows["run"][:-1])
    return rows[last]


def _store_of(paths: Iterable[str], read):
    entries = []
    for path in paths:
        try:
            entries.extend(members_of_file(read(path), _outlet_of(path)))
        except Exception as exc:
            _warn_unreadable(path, exc)
    return date_store(entries) if entries else None


def open_remote(out_dir: str) -> History:
    """A History of a lake on an object store (transforms/history_remote.py: the datasets'
    summaries packed in the bucket, the files no pack covers read directly)."""
    from cfnews.transforms.history_remote import open_remote as open_packed
    return open_packed(out_dir)


# ---------------------------------------------------------------- the local index

class LocalIndex:
    """DIR/_index: see the module docstring. `refresh()` brings the ids up to date with the
    datasets (and drops the fingerprint stores of dates whose files changed); a date's store
    is built from its `articles` files the first time a lookup needs it."""

    def __init__(self, out_dir: str):
        self.out_dir = out_dir
        self.root = os.path.join(out_dir, INDEX_DIR)
        self.files: Dict[str, int] = {}

    def _path(self, *parts: str) -> str:
        return os.path.join(self.root, *parts)

    def _abs(self, rel: str) -> str:
        return os.path.join(self.out_dir, *rel.split("/"))

    def _load_manifest(self) -> Optional[dict]:
        try:
            with open(self._path("manifest.json"), encoding="utf-8") as handle:
                manifest = json.load(handle)
            version = manifest.get("version")
            if isinstance(version, int) and version != INDEX_VERSION:
                # an upgrade (or a downgrade), not damage: say so in the operator's terms
                log.warning("history index %s is of version %d, this cfnews uses version %d: "
                            "rebuilding it from the datasets (once)", self.root, version, INDEX_VERSION)
                return None
            if version != INDEX_VERSION or not isinstance(manifest.get("files"), dict):
                raise ValueError(f"not an index of version {INDEX_VERSION}")
            ids = np.load(self._path("ids.npy"), mmap_mode="r")
            if ids.dtype != np.uint64 or ids.ndim != 1:
                raise ValueError(f"ids.npy holds {ids.dtype} x {ids.ndim}")
            attempts = np.load(self._path("attempts.npy"), mmap_mode="r")
            if attempts.dtype != ATTEMPT_DTYPE or attempts.ndim != 1:
                raise ValueError(f"attempts.npy holds {attempts.dtype} x {attempts.ndim}")
            if not isinstance(self._load_retries(), dict):
                raise ValueError("retries.json holds no object")
            return manifest
        except FileNotFoundError:
            return None
        except Exception as exc:
            log.warning("history index %s unusable (%s: %s): rebuilding it from the datasets",
                        self.root, type(exc).__name__, exc)
            return None

    def _save(self, name: str, array: np.ndarray) -> None:
        path = self._path(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        temp = f"{path}.{os.getpid()}.tmp"
        with open(temp, "wb") as handle:
            np.save(handle, array, allow_pickle=False)
        os.replace(temp, path)

    def _load_retries(self) -> Dict[str, dict]:
        with open(self._path("retries.json"), encoding="utf-8") as handle:
            return json.load(handle)

    def _save_retries(self, chunks: Iterable[Dict[str, dict]], ids: np.ndarray,
                      attempts: np.ndarray) -> None:
        path = self._path("retries.json")
        temp = f"{path}.{os.getpid()}.tmp"
        with open(temp, "w", encoding="utf-8") as handle:
            json.dump(_merge_retries(chunks, ids, attempts), handle)
        os.replace(temp, path)

    def _save_manifest(self, files: Dict[str, int]) -> None:
        files = {f: size for f, size in files.items() if self._abs(f) not in _UNREADABLE}
        path = self._path("manifest.json")
        temp = f"{path}.{os.getpid()}.tmp"
        with open(temp, "w", encoding="utf-8") as handle:
            json.dump({"version": INDEX_VERSION, "files": files}, handle)
        os.replace(temp, path)

    def _drop_dates(self, dates: Iterable[Optional[str]]) -> None:
        for date in dates:
            for kind in ("members", "postings"):
                try:
                    os.remove(self._path("fp", f"{date}.{kind}.npy"))
                except FileNotFoundError:
                    pass

    def refresh(self) -> str:
        current = local_data_files(self.out_dir)
        self.files = current
        manifest = self._load_manifest()
        if manifest is not None:
            known = manifest["files"]
            gone = [f for f, size in known.items() if current.get(f) != size]
            new = [f for f in current if f not in known]
            if not gone and not new:
                return "up to date"
            if not gone:
                new_ids, new_attempts, new_retries = self._history_of(new)
                ids = np.union1d(np.load(self._path("ids.npy")), new_ids).astype(np.uint64)
                self._save("ids.npy", ids)
                attempts = np.load(self._path("attempts.npy"))
                if len(new_attempts):
                    attempts = _unique_attempts([attempts, new_attempts])
                    self._save("attempts.npy", attempts)
                # ids written for good or given up on since leave retries.json
                self._save_retries([self._load_retries(), *new_retries], ids, attempts)
                self._add_to_stores([f for f in new if f.startswith("articles/")])
                self._save_manifest(current)
                return f"added {len(new)} file(s)"
            self._drop_dates(_date_of(f) for f in gone + new if f.startswith("articles/"))
            log.warning("history index %s lists %d file(s) no longer in the datasets "
                        "(compacted or removed): rebuilding it", self.root, len(gone))
        elif os.path.exists(self._path("manifest.json")) or os.path.exists(self._path("ids.npy")):
            pass  # _load_manifest has said why it is rebuilt
        elif current:
            log.warning("no history index in %s: building it from the datasets (once)", self.root)
        return self.rebuild(current)

    def _add_to_stores(self, new_articles: Sequence[str]) -> None:
        """New `articles` files join their date's store where it exists (others are built
        when first needed): a run costs what it wrote, not the size of the day."""
        by_date: Dict[str, List[str]] = {}
        for f in new_articles:
            by_date.setdefault(_date_of(f), []).append(f)
        for date, files in by_date.items():
            try:
                members = np.load(self._path("fp", f"{date}.members.npy"))
                postings = np.load(self._path("fp", f"{date}.postings.npy"))
            except FileNotFoundError:
                continue
            except Exception:
                self._drop_dates([date])
                continue
            added = _store_of([self._abs(f) for f in files], read=_read_local)
            if added is None:
                continue
            extra_members, extra_postings = added
            extra_postings = extra_postings.copy()
            extra_postings["row"] += len(members)
            merged = np.concatenate([postings, extra_postings])
            merged.sort(order=["hash", "row"], kind="stable")
            self._save(os.path.join("fp", f"{date}.members.npy"),
                       np.concatenate([members, extra_members]))
            self._save(os.path.join("fp", f"{date}.postings.npy"), merged)

    def rebuild(self, current: Optional[Dict[str, int]] = None) -> str:
        current = local_data_files(self.out_dir) if current is None else current
        self.files = current
        self._drop_dates(name.split(".", 1)[0] for name in _listdir(self._path("fp")))
        ids, attempts, retries = self._history_of(current)
        self._save("ids.npy", ids.astype(np.uint64))
        self._save("attempts.npy", attempts)
        self._save_retries(retries, ids, attempts)
        self._save_manifest(current)
        return f"rebuilt from {len(current)} file(s)"

    def _history_of(self, files: Iterable[str]):
        return _history_of([(f.split("/", 1)[0], self._abs(f)) for f in files], read=_read_local)

    def _date_store(self, date: str):
        """The date's (members, postings), memory-mapped; built from its files if absent."""
        members_path = self._path("fp", f"{date}.members.npy")
        postings_path = self._path("fp", f"{date}.postings.npy")
        try:
            return np.load(members_path, mmap_mode="r"), np.load(postings_path, mmap_mode="r")
        except FileNotFoundError:
            pass
        except Exception as exc:  # a damaged store: rebuilt from the datasets
            log.warning("history index store %s unusable (%s): rebuilding it", members_path, exc)
        with _Locked(self.root):
            paths = [self._abs(f) for f in self.files
                     if f.startswith("articles/") and _date_of(f) == date]
            store = _store_of(paths, read=_read_local)
            if store is None:
                return None
            self._save(os.path.join("fp", f"{date}.members.npy"), store[0])
            self._save(os.path.join("fp", f"{date}.postings.npy"), store[1])
            return store

    def open(self) -> History:
        ids = np.load(self._path("ids.npy"), mmap_mode="r")
        attempts = np.load(self._path("attempts.npy"), mmap_mode="r")
        dates = {_date_of(f) for f in self.files if f.startswith("articles/")}
        return History(ids, self._date_store, [d for d in dates if d], attempts,
                       self._load_retries())


def _listdir(path: str) -> List[str]:
    try:
        return os.listdir(path)
    except FileNotFoundError:
        return []


def _read_local(path: str) -> str:
    return path  # pyarrow reads only the needed columns of a local file


class _Locked:
    """An exclusive lock on DIR/_index/.lock across the job's worker processes."""

    def __init__(self, root: str):
        self.path = os.path.join(root, ".lock")

    _held = threading.local()   # re-entrant within a thread (a lookup inside a refresh)

    def __enter__(self):
        import fcntl
        depth = getattr(self._held, "depth", 0)
        self._held.depth = depth + 1
        if depth == 0:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            self._held.handle = open(self.path, "a")
            fcntl.flock(self._held.handle, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        import fcntl
        self._held.depth -= 1
        if self._held.depth == 0:
            fcntl.flock(self._held.handle, fcntl.LOCK_UN)
            self._held.handle.close()


def rebuild_local_index(out_dir: str) -> str:
    """`cfnews index`: rebuild DIR/_index from the datasets (never needed for correctness:
    runs rebuild what is missing or stale; this does it ahead of time)."""
    index = LocalIndex(out_dir)
    with _Locked(index.root):
        return index.rebuild()


_OPENED: Dict[Tuple[str, str], History] = {}
_OPEN_LOCK = threading.Lock()


def load_history(out_dir: str) -> History:
    """The History of `out_dir` as it is now, opened for one caller and kept by nobody else:
    for lookups done once (a poll, a cycle's reckoning, a start-up reconcile) in a process
    that may run for months. `open_history` is for a job's workers, which share one."""
    if _is_remote(out_dir):
        return open_remote(out_dir)
    index = LocalIndex(out_dir)
    with _Locked(index.root):
        note = index.refresh()
        log.info("history index %s: %s", index.root, note)
        return index.open()


def open_history(out_dir: str, job_key: str = "") -> History:
    """The History of `out_dir`, opened once per process and job (`job_key`, the run id):
    a later job in the same process sees what earlier ones wrote. `forget_history` lets it
    go when the job is over."""
    key = (out_dir, job_key)
    with _OPEN_LOCK:
        history = _OPENED.get(key)
        if history is None:
            history = load_history(out_dir)
            if len(_OPENED) > 8:
                _OPENED.clear()
            _OPENED[key] = history
        return history


def forget_history(out_dir: str, job_key: str = "") -> None:
    """Drop a finished job's History (its file list, loaded date stores and mapped arrays
    grow with the lake): a process that runs job after job keeps none of them."""
    with _OPEN_LOCK:
        _OPENED.pop((out_dir, job_key), None)


# ---------------------------------------------------------------- Beam wiring

import apache_beam as beam  # noqa: E402  (the lookups above are plain functions)


def _needs_fetch(record) -> bool:
    """A feed entry without its page (not a backfill line with HTML or text, not a record a
    source already rejected)."""
    return (getattr(record, "url", None) is not None and hasattr(record, "html")
            and record.html is None and getattr(record, "text", None) is None)


class _HistoryFn(beam.DoFn):
    """A DoFn that reads the output's history (opened once per worker) under the retry rule's
    `retry_wait`."""

    def __init__(self, out_dir: str, job_key: str, retry_wait: float = RETRY_WAIT):
        self.out_dir = out_dir
        self.job_key = job_key
        self.retry_wait = retry_wait

    def setup(self):
        self.history = open_history(self.out_dir, self.job_key)


class _DropSeenFn(_HistoryFn):
    def process(self, entry):
        from cfnews.transforms.common import count
        if self.history.seen(entry.article_id):
            count("cfnews.entries", "already_seen")
            return
        if _needs_fetch(entry) and self.history.waiting(entry.article_id,
                                                        time.time_ns() // 1000, self.retry_wait):
            # failed transiently too recently: a later run tries it (`retry_due_us`); an
            # entry that brings its page (a backfill line with its HTML) goes on
            count("cfnews.entries", "already_seen")
            count("cfnews.entries", "retry_later")
            return
        if self.history.failed_runs(entry.article_id):
            count("cfnews.entries", "retried")   # an earlier run's failure was transient
        yield entry


def _time_of(us: Optional[int]) -> Optional[dt.datetime]:
    return None if not us else (dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
                                + dt.timedelta(microseconds=int(us)))


def retry_entry(row: dict, source):
    """The FeedEntry of a page to fetch again, rebuilt from its latest transient rejection
    (`History.due_retries`) and the feed it belongs to (a FeedSource of this run: outlet,
    language hint, item-id rule as the feeds file gives them now). It keeps the rejection's
    article id (the id the history counts attempts for), link, entry id, title, publication
    and discovery times. What the `rejected` row does not hold is lost: the feed's summary
    (the article's `summary` is null) and the item's credit (`dc:creator`, a bylineless
    page's authors then stay empty)."""
    from cfnews.schemas import FeedEntry, utc_now
    from cfnews.transforms.urls import canonical_url, item_id_of
    canonical = canonical_url(row["url"])
    return FeedEntry(outlet=source.outlet, feed_url=source.url,
                     entry_id=row.get("entry_id") or row["url"], url=row["url"],
                     article_id=row["article_id"], canonical_url=canonical,
                     title=row.get("title") or "", published_at=_time_of(row.get("published_at")),
                     discovered_at=_time_of(row.get("discovered_at")) or utc_now(),
                     language_hint=source.language, published_raw=row.get("published_raw"),
                     item_id=item_id_of(source.item_id_rule, canonical))


class _DueRetriesFn(_HistoryFn):
    """FeedSource -> FeedEntry: its entries due for another attempt (History.due_retries)."""

    def process(self, source):
        for row in self.history.due_retries(source.url, time.time_ns() // 1000, self.retry_wait):
            yield retry_entry(row, source)


def unlisted(grouped) -> List:
    """(article id, {"due": [FeedEntry], "listed": [...]}) -> the due entry, unless a feed of
    the run lists the id (then that listing is the entry: one entry per id). Counted as seen,
    as the listings are."""
    from cfnews.transforms.common import count
    _, by_side = grouped
    if list(by_side["listed"]):
        return []
    due = list(by_side["due"])[:1]
    if due:
        count("cfnews.entries", "seen")
    return due


class RetryUnlisted(beam.PTransform):
    """(FeedSource, FeedEntry) -> FeedEntry: the in-job graph's journal. For each feed of
    the run, the entries whose page failed transiently in an earlier run and is due for
    another attempt (schemas/reasons.py; `History.due_retries`), rebuilt from their latest
    `rejected` row (`retry_entry`), but for those the run's feeds list again (the listed
    FeedEntry PCollection), which go on as listed. DropSeen downstream applies the rule to
    them as to any entry. A retry belongs to its feed: one whose feed is not among the run's
    is not fetched (it stays retrying, for the run that polls its feed again)."""

    def __init__(self, out_dir: str, job_key: str = "", retry_wait: float = RETRY_WAIT):
        super().__init__()
        self.out_dir = out_dir
        self.job_key = job_key
        self.retry_wait = retry_wait

    def expand(self, pcolls):
        sources, listed = pcolls
        due = sources | "DueRetries" >> beam.ParDo(
            _DueRetriesFn(self.out_dir, self.job_key, self.retry_wait))
        return ({"due": due | "KeyDue" >> beam.Map(lambda e: (e.article_id, e)),
                 "listed": listed | "KeyListed" >> beam.Map(lambda e: (e.article_id, True))}
                | "ById" >> beam.CoGroupByKey()
                | "Unlisted" >> beam.FlatMap(unlisted))


class DropSeen(beam.PTransform):
    """FeedEntry -> FeedEntry: entries whose article id an earlier run wrote for good (in
    any dataset; a transient rejection of fewer than MAX_ATTEMPTS runs is not for good) go no
    further, nor do those that failed transiently less than `retry_wait` seconds ago (times
    RETRY_BACKOFF per further failure); each worker looks the ids up in the output's history."""

    def __init__(self, out_dir: str, job_key: str = "", retry_wait: float = RETRY_WAIT):
        super().__init__()
        self.out_dir = out_dir
        self.job_key = job_key
        self.retry_wait = retry_wait

    def expand(self, entries):
        return entries | "DropSeen" >> beam.ParDo(
            _DropSeenFn(self.out_dir, self.job_key, self.retry_wait))
