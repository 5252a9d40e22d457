"""The history index of an object-store lake (transforms/history_remote.py): per-file summaries
packed under OUT/_index/history-vN/. Every answer must be the datasets' own (the local index's,
built from the same files), whatever state the packs are in: absent, partial, stale after a
compaction, damaged, too many, or unwritable. These tests run the object-store code on a local
folder (Beam's filesystems treat it alike); tests/test_object_store.py runs it on s3:// and
counts the requests."""
from __future__ import annotations

import datetime as dt
import logging
import os

import numpy as np
import pyarrow.parquet as pq
import pytest

from cfnews.transforms import history_remote
from cfnews.transforms.history import LocalIndex
from cfnews.transforms.history_remote import MAX_PACKS, PACKS_DIR, RemoteIndex
from tests.lake import write_lake
from tests.test_history_retry import EXPECTED, RUNS, outcome, write_runs

END = dt.date(2026, 3, 20)


def packs(out, kind="ids"):
    folder = os.path.join(out, *PACKS_DIR.split("/"), *kind.split("/"))
    return sorted(n for n in os.listdir(folder) if n.endswith(".npz")) if os.path.isdir(folder) else []


def data_files(out):
    return [os.path.join(root, n) for root, _, names in os.walk(out) if "_index" not in root
            for n in names if n.endswith(".parquet")]


def store_rows(store):
    """A date store as sets: member rows (by id) and (hash, member id) postings; the order of
    rows depends on the order files were read in, which is not an answer."""
    if store is None:
        return None
    members, postings = store
    ids = members["id"]
    return ({m.tobytes() for m in members},
            {(int(h), int(ids[r])) for h, r in zip(postings["hash"], postings["row"])})


def assert_same_answers(remote, out):
    local = LocalIndex(out)
    local.refresh()
    index = local.open()
    assert np.array_equal(np.asarray(index.ids), np.asarray(remote.ids))
    assert np.array_equal(np.asarray(index.attempts), np.asarray(remote.attempts))
    assert index.retries == remote.retries
    assert index.dates == remote.dates
    for date in index.dates:
        assert store_rows(index._load_date(date)) == store_rows(remote._load_date(date)), date


def open_remote(out):
    index = RemoteIndex(out)
    return index.open(), index


@pytest.fixture
def lake(tmp_path):
    out = str(tmp_path / "lake")
    write_lake(out, articles=300, days=5, outlets=3, end=END)
    return out


def test_the_first_open_packs_every_file_and_later_opens_read_no_data_file(lake):
    first, index = open_remote(lake)
    assert index.notes == ["ids: 0 from 0 pack(s), 45 read"]
    assert len(packs(lake)) == 1
    again, index = open_remote(lake)
    assert index.notes == ["ids: 45 from 1 pack(s), 0 read"]
    # a date's store too: read once from its files, then from its pack
    date = again.dates[-1]
    again._load_date(date)
    assert index.notes[-1] == f"fp/date={date}: 0 from 0 pack(s), 3 read"
    later, index = open_remote(lake)
    later._load_date(date)
    assert index.notes[-1] == f"fp/date={date}: 3 from 1 pack(s), 0 read"
    assert_same_answers(later, lake)


def test_new_files_are_read_alone_and_packed_beside(lake):
    open_remote(lake)
    write_lake(lake, articles=60, days=1, outlets=3, end=END + dt.timedelta(days=1), seed=11)
    grown, index = open_remote(lake)
    assert index.notes == ["ids: 45 from 1 pack(s), 9 read"]
    assert len(packs(lake)) == 2
    assert_same_answers(grown, lake)


def test_a_file_gone_leaves_the_answers_and_the_packs_are_merged_without_it(lake):
    open_remote(lake)
    gone = sorted(p for p in data_files(lake) if "/articles/" in p)[0]
    ids_of_gone = pq.read_table(gone, columns=["article_id"]).column("article_id").to_pylist()
    before, _ = open_remote(lake)
    assert all(before.seen(a) for a in ids_of_gone)
    os.remove(gone)                       # as `cfnews compact` replaces files
    after, index = open_remote(lake)
    assert index.notes == ["ids: 44 from 1 pack(s), 0 read"]
    assert not any(after.seen(a) for a in ids_of_gone)
    assert_same_answers(after, lake)
    assert len(packs(lake)) == 1          # rewritten without the gone file
    again, index = open_remote(lake)
    assert index.notes == ["ids: 44 from 1 pack(s), 0 read"]


def test_a_damaged_pack_is_named_read_around_and_replaced(lake, caplog):
    open_remote(lake)
    [name] = packs(lake)
    path = os.path.join(lake, *PACKS_DIR.split("/"), "ids", name)
    with open(path, "r+b") as handle:
        handle.write(b"not a zip file at all")
    caplog.set_level(logging.WARNING)
    history, index = open_remote(lake)
    assert any(name in r.getMessage() and "unusable" in r.getMessage() for r in caplog.records)
    assert index.notes == ["ids: 0 from 1 pack(s), 45 read"]
    assert_same_answers(history, lake)
    _, index = open_remote(lake)
    assert index.notes == ["ids: 45 from 1 pack(s), 0 read"]


def test_packs_beyond_the_limit_are_merged_into_one(lake):
    open_remote(lake)
    for day in range(1, MAX_PACKS + 1):   # one run's files a day, each open packing them
        write_lake(lake, articles=6, days=1, outlets=3, end=END + dt.timedelta(days=day),
                   seed=100 + day)
        _, index = open_remote(lake)
    assert len(packs(lake)) == 1
    history, index = open_remote(lake)
    assert index.notes == [f"ids: {45 + 9 * MAX_PACKS} from 1 pack(s), 0 read"]
    assert_same_answers(history, lake)


def test_an_index_that_cannot_be_written_costs_time_not_answers(lake, caplog, monkeypatch):
    os.makedirs(os.path.join(lake, "_index"))
    with open(os.path.join(lake, *PACKS_DIR.split("/")), "w") as handle:
        handle.write("a file where the index folder should be")
    monkeypatch.setattr(history_remote, "_UNWRITABLE", set())
    caplog.set_level(logging.WARNING)
    history, index = open_remote(lake)
    assert [r for r in caplog.records if "cannot write the history index" in r.getMessage()]
    assert_same_answers(history, lake)
    caplog.clear()
    _, index = open_remote(lake)
    assert index.notes == ["ids: 0 from 0 pack(s), 45 read"]
    assert not [r for r in caplog.records if "cannot write" in r.getMessage()]  # once a process


def test_a_corrupt_data_file_is_named_on_every_open_and_never_packed(lake, caplog):
    bad = os.path.join(lake, "articles", "date=2026-03-20", "outlet=zzz", "part-x-0.parquet")
    os.makedirs(os.path.dirname(bad))
    with open(bad, "wb") as handle:
        handle.write(b"PAR1 this is not parquet")
    caplog.set_level(logging.WARNING)
    for _ in range(2):
        caplog.clear()
        history, index = open_remote(lake)
        assert any(bad in r.getMessage() for r in caplog.records)
    assert index.notes == ["ids: 45 from 1 pack(s), 0 read, 1 unreadable"]
    assert_same_answers(history, lake)


@pytest.mark.skipif(len(EXPECTED) != 6, reason="the retry lake of test_history_retry")
def test_transient_rejections_and_retry_rows_come_back_from_the_packs(tmp_path):
    out = tmp_path / "out"
    write_runs(out, RUNS[:3])
    open_remote(str(out))
    write_runs(out, RUNS[3:])             # later runs: packed beside the first pack
    open_remote(str(out))
    history, index = open_remote(str(out))
    assert index.notes == [f"ids: {len(RUNS)} from 2 pack(s), 0 read"]
    assert outcome(history) == EXPECTED
    assert history.retrying("00000000000000a1") and not history.retrying("00000000000000b1")
    assert_same_answers(history, str(out))
