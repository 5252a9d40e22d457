"""The history index of a lake on an object store (gs://, s3://): per-file summaries, packed.

Without it every worker of every job downloaded every file of the lake to learn which ids were
written (two requests and a storage client per file: a year's lake took tens of minutes per
open). Here, what `history_of_file` and `members_of_file` say of each data file is kept in
the bucket, under OUT/_index/history-vN/ (N: the index version, whose rules they follow):

* `ids/pack-*.npz`: for each data file of the three datasets, by name, its ids written for
  good, its transient attempts and its retry rows;
* `fp/date=D/pack-*.npz`: for each `articles` file of date D, its member rows and sampled
  hashes (what the dedup compares against).

A pack holds the summaries of the files it names, each apart. An open lists the datasets
(one LIST request per 1,000 files), reads the packs (a few requests), takes from them the
summaries of the files that exist now and reads directly only the files no pack names; it
then writes a pack of those, so the next open does not read them again (a run's cost is what
the last runs wrote). When there are more than MAX_PACKS packs, or packs naming files that are
gone (compaction), an open writes one pack of every current summary and deletes the others.

File names carry a digest of their rows (transforms/write.py), so a summary is exact for the
file it names; a file a pack names that no longer exists is ignored. The datasets stay the
source of truth: a missing, damaged or unwritable pack costs time, never an answer. Deleting
OUT/_index is always safe. Workers that open at once may write the same pack (same name, same
content); one that finds a pack deleted under it by another's merge reads the files itself.
"""
from __future__ import annotations

import hashlib
import io
import json
import logging
from typing import Callable, Dict, Iterable, List, Sequence

import numpy as np

from cfnews.transforms import object_store
from cfnews.transforms.history import (ATTEMPT_DTYPE, DATASETS, INDEX_VERSION, MEMBER_DTYPE,
                                       History, _date_of, _merge_retries, _outlet_of,
                                       _unique_attempts, _warn_unreadable, history_of_file,
                                       members_of_file, store_from_arrays)
from cfnews.transforms.lake_files import INDEX_DIR

log = logging.getLogger(__name__)

PACKS_DIR = f"{INDEX_DIR}/history-v{INDEX_VERSION}"
MAX_PACKS = 8          # packs of a kind before an open merges them into one
_UNWRITABLE: set = set()   # lakes whose index could not be written: warned once per process

# One file's summary: named arrays. `ids` kind: final, attempts, retries (JSON bytes);
# `fp` kind: members, counts (sampled hashes per member), hashes.
Summary = Dict[str, np.ndarray]


def _join(base: str, *parts: str) -> str:
    return "/".join([base.rstrip("/"), *parts])


# ---------------------------------------------------------------- one file's summaries

def ids_summary(data: bytes, relpath: str) -> Summary:
    dataset = relpath.split("/", 1)[0]
    final, attempts, retries = history_of_file(data, dataset, relpath.rsplit("/", 1)[-1],
                                               _outlet_of(relpath))
    return {"final": final.astype(np.uint64), "attempts": attempts.astype(ATTEMPT_DTYPE),
            "retries": np.frombuffer(json.dumps(retries).encode("utf-8"), dtype=np.uint8)}


def fp_summary(data: bytes, relpath: str) -> Summary:
    entries = members_of_file(data, _outlet_of(relpath))
    members = np.array([row for row, _ in entries], dtype=MEMBER_DTYPE)
    counts = np.array([len(h) for _, h in entries], dtype=np.uint32)
    hashes = (np.concatenate([np.asarray(h, dtype=np.uint64) for _, h in entries])
              if entries else np.empty(0, dtype=np.uint64))
    return {"members": members, "counts": counts, "hashes": hashes.astype(np.uint64)}


# ---------------------------------------------------------------- packs

def encode_pack(summaries: Dict[str, Summary]) -> bytes:
    """One .npz of the summaries of several files: each named array concatenated over the
    files, with its offsets."""
    names = sorted(summaries)
    arrays = {"version": np.array([INDEX_VERSION], dtype=np.int64),
              "files": np.array(names, dtype=str)}
    keys = sorted({k for s in summaries.values() for k in s})
    for key in keys:
        parts = [summaries[n][key] for n in names]
        arrays[key] = np.concatenate(parts) if parts else np.empty(0)
        arrays[f"{key}.offsets"] = np.cumsum([0] + [len(p) for p in parts]).astype(np.int64)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def decode_pack(data: bytes) -> Dict[str, Summary]:
    with np.load(io.BytesIO(data), allow_pickle=False) as pack:
        version = pack["version"]
        if version.shape != (1,) or int(version[0]) != INDEX_VERSION:
            raise ValueError(f"not a pack of index version {INDEX_VERSION}")
        names = [str(n) for n in pack["files"]]
        keys = [k for k in pack.files if k not in ("version", "files") and
                not k.endswith(".offsets")]
        columns = {k: (pack[k], pack[f"{k}.offsets"]) for k in keys}
    for key, (values, offsets) in columns.items():
        if len(offsets) != len(names) + 1 or int(offsets[-1]) != len(values):
            raise ValueError(f"pack column {key} does not match its files")
    return {name: {k: values[offsets[i]:offsets[i + 1]] for k, (values, offsets) in columns.items()}
            for i, name in enumerate(names)}


def _pack_name(relpaths: Iterable[str]) -> str:
    digest = hashlib.sha256("\n".join(sorted(relpaths)).encode("utf-8")).hexdigest()
    return f"pack-{digest[:24]}.npz"


# ---------------------------------------------------------------- the index

class RemoteIndex:
    """OUT/_index/history-vN/ of one lake: see the module docstring."""

    def __init__(self, out_dir: str):
        self.out_dir = out_dir.rstrip("/")
        self.root = _join(self.out_dir, PACKS_DIR)
        self.files: Dict[str, str] = {}    # data file: dataset-relative path -> full path
        self.notes: List[str] = []         # what each open did (tests and the log)
        self.files_read = 0                # data files read directly (no pack named them)

    def list_files(self) -> Dict[str, str]:
        files = {}
        for dataset in DATASETS:
            prefix = _join(self.out_dir, dataset) + "/"
            for path in object_store.list_paths(_join(self.out_dir, dataset, "*", "*", "*.parquet")):
                if path.startswith(prefix):
                    files[dataset + "/" + path[len(prefix):]] = path
        return files

    def open(self) -> History:
        self.files = self.list_files()
        summaries = self.summaries("ids", self.files, ids_summary)
        ids = np.unique(np.concatenate([np.empty(0, dtype=np.uint64)]
                                       + [s["final"] for s in summaries.values()]))
        attempts = _unique_attempts([np.empty(0, dtype=ATTEMPT_DTYPE)]
                                    + [s["attempts"] for s in summaries.values()])
        retries = _merge_retries((json.loads(s["retries"].tobytes().decode("utf-8"))
                                  for s in summaries.values() if len(s["retries"]) > 2),
                                 ids, attempts)
        dates = {_date_of(f) for f in self.files if f.startswith("articles/")}
        return History(ids, self.date_store, [d for d in dates if d], attempts, retries)

    def date_store(self, date: str):
        wanted = {f: p for f, p in self.files.items()
                  if f.startswith("articles/") and _date_of(f) == date}
        summaries = self.summaries(f"fp/date={date}", wanted, fp_summary, max_packs=4)
        if not summaries:
            return None
        parts = [summaries[f] for f in sorted(summaries)]
        members = np.concatenate([p["members"] for p in parts]).astype(MEMBER_DTYPE)
        if not len(members):
            return None
        return store_from_arrays(members, np.concatenate([p["counts"] for p in parts]),
                                 np.concatenate([p["hashes"] for p in parts]))

    def summaries(self, kind: str, wanted: Dict[str, str],
                  summarise: Callable[[bytes, str], Summary],
                  max_packs: int = MAX_PACKS) -> Dict[str, Summary]:
        """{file: its summary} of every wanted file that can be read: from the packs of
        `kind`, else from the file itself (then packed for the next open)."""
        folder = _join(self.root, kind)
        packs = sorted(object_store.list_paths(_join(folder, "pack-*.npz")))
        found: Dict[str, Summary] = {}
        stale = False
        read_packs: List[str] = []
        for path, data in object_store.read_many(packs):
            if isinstance(data, Exception):   # merged away by another worker just now
                log.info("history index pack %s not read (%s); its files are read directly",
                         path, data)
                continue
            read_packs.append(path)
            try:
                segments = decode_pack(data)
            except Exception as exc:
                log.warning("history index pack %s unusable (%s: %s): its files are read "
                            "directly and it is replaced", path, type(exc).__name__, exc)
                stale = True
                continue
            for name, summary in segments.items():
                if name in wanted:
                    found.setdefault(name, summary)
                else:
                    stale = True    # a file gone (compacted or removed): merge the packs
        missing = [f for f in wanted if f not in found]
        if missing and not packs and kind == "ids":
            log.warning("no history index in %s: building it from the datasets (once)", self.root)
        fresh: Dict[str, Summary] = {}
        unreadable = 0
        # read_many answers in order: each path beside its name
        for name, (path, data) in zip(missing, object_store.read_many([wanted[f] for f in missing])):
            try:
                if isinstance(data, Exception):
                    raise data
                fresh[name] = summarise(data, name)
            except Exception as exc:   # a corrupt file: named, skipped, never a crash
                _warn_unreadable(path, exc)
                unreadable += 1
        found.update(fresh)
        self.files_read += len(missing)
        self.notes.append(f"{kind}: {len(found) - len(fresh)} from {len(read_packs)} pack(s), "
                          f"{len(fresh)} read" + (f", {unreadable} unreadable" if unreadable else ""))
        if stale or len(read_packs) + bool(fresh) > max_packs:
            self._write(folder, found, replacing=read_packs)
        elif fresh:
            self._write(folder, fresh)
        return found

    def _write(self, folder: str, summaries: Dict[str, Summary],
               replacing: Sequence[str] = ()) -> None:
        if self.out_dir in _UNWRITABLE:
            return
        name = _join(folder, _pack_name(summaries))
        try:
            object_store.write_bytes(name, encode_pack(summaries))
        except Exception as exc:
            _UNWRITABLE.add(self.out_dir)
            log.warning("cannot write the history index under %s (%s: %s): every open reads "
                        "the files it lacks directly (slower, the same answers)",
                        self.root, type(exc).__name__, exc)
            return
        try:
            object_store.delete_paths([p for p in replacing if p != name])
        except Exception as exc:   # another worker merged them first; else they are merged again
            log.info("history index packs under %s not deleted (%s: %s)", folder,
                     type(exc).__name__, exc)


def build_remote_index(out_dir: str) -> str:
    """`cfnews index` on an object store: bring the packs up to date with the datasets ahead
    of a job (whose workers would otherwise each read what no pack covers), every date's
    store included."""
    index = pack_ahead(out_dir)
    dates = {_date_of(f) for f in index.files if f.startswith("articles/")} - {None}
    return (f"{len(index.files)} data file(s), {len(dates)} date(s) of articles; "
            f"{index.files_read} file read(s) to bring it up to date under {index.root}")


def pack_ahead(out_dir: str, since: str = "") -> "RemoteIndex":
    """Bring the packs up to date: every file's ids, and the stores of the dates from `since`
    (YYYY-MM-DD; all when empty) on. Before a job on a managed runner, in the one process that
    launches it (those the job's dedup reads), so that its many workers find them packed
    instead of each reading what no pack covers (the first job after an upgrade: the whole
    lake). Returns the index (its notes say what was read)."""
    index = RemoteIndex(out_dir)
    history = index.open()
    for date in history.dates:
        if date >= since:
            index.date_store(date)
    return index


def open_remote(out_dir: str) -> History:
    """The History of a lake on an object store, through its packed index."""
    index = RemoteIndex(out_dir)
    history = index.open()
    log.info("history index %s: %s", index.root, "; ".join(index.notes))
    return history
