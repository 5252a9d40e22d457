"""History as data (transforms/history.py): what earlier runs wrote, looked up by key from the
job's workers; the local index under DIR/_index is derived from the datasets and rebuilt
whenever it is missing, stale or damaged."""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import shutil
import sys

import numpy as np
import pyarrow.parquet as pq
import pytest

from cfnews.schemas import Article, Duplicate, Rejected
from cfnews.transforms.dedup import DedupParams, prepare
from cfnews.transforms.history import INDEX_VERSION, LocalIndex, open_history, open_remote
from cfnews.transforms.write import write_partition
from tests.cli import python_path
from tests.lake import write_lake

T = dt.datetime(2026, 3, 2, 12, tzinfo=dt.timezone.utc)
PARAMS = DedupParams(expiry=dt.timedelta(days=14))


def article(article_id: str, text: str, when=T, outlet="wire") -> Article:
    return Article(article_id=article_id, url=f"https://{outlet}.example/{article_id}",
                   canonical_url=f"https://{outlet}.example/{article_id}", outlet=outlet,
                   feed_url="", entry_id=article_id, title=article_id, text=text,
                   discovered_at=when, published_at=when)


def write(out, dataset, records, date="2026-03-02", outlet="wire", run="run1"):
    return write_partition(str(out), run, dataset, date, outlet, records)


@pytest.fixture
def small_lake(tmp_path, seeds):
    out = tmp_path / "out"
    original = article("00000000000000a1", seeds["002"])
    write(out, "articles", [original])
    copy = Duplicate(article=article("00000000000000d1", "x", outlet="ledger"),
                     canonical_id=original.article_id, cluster_id=original.article_id,
                     method="canonical_url", matched_id=original.article_id, containment=1.0,
                     jaccard=1.0, shared_fingerprints=0)
    write(out, "duplicates", [copy], outlet="ledger")
    write(out, "rejected", [Rejected(stage="fetch", reason="http_error", outlet="wire",
                                     url="https://wire.example/r", article_id="00000000000000e1",
                                     at=T)])
    return out


def test_every_dataset_is_remembered_and_nothing_else(small_lake):
    history = open_history(str(small_lake), "job-1")
    for article_id in ("00000000000000a1", "00000000000000d1", "00000000000000e1"):
        assert history.seen(article_id), article_id
    assert not history.seen("00000000000000ff")
    assert not history.seen("")


def test_the_fingerprint_is_stored_with_the_article_and_found_by_a_copy(small_lake, seeds):
    [row] = pq.read_table(str(small_lake / "articles")).to_pylist()
    assert row["fingerprint"]["level"] >= 0 and len(row["fingerprint"]["hashes"]) > 8
    history = open_history(str(small_lake), "job-1")
    week_later = article("00000000000000b2", seeds["004"], when=T + dt.timedelta(days=7),
                         outlet="ledger")
    [(earlier, shared, _plain, _quoted)] = history.prior_hits(*prepare(week_later, slot=1), PARAMS)
    assert earlier.article_id == "00000000000000a1" and earlier.slot == 0
    assert shared >= PARAMS.min_shared
    # the same copy outside the expiry, or an unrelated text, finds nothing
    too_late = dataclasses.replace(week_later, published_at=T + dt.timedelta(days=20))
    assert history.prior_hits(*prepare(too_late, slot=1), PARAMS) == []
    other = article("00000000000000c3", seeds["001"], outlet="ledger")
    assert history.prior_hits(*prepare(other, slot=1), PARAMS) == []


def test_new_files_are_added_without_a_rebuild(small_lake):
    index = LocalIndex(str(small_lake))
    assert index.refresh().startswith(("rebuilt", "up to date"))
    assert index.refresh() == "up to date"
    write(small_lake, "rejected", [Rejected(stage="fetch", reason="not_html", outlet="wire",
                                            url="https://wire.example/n",
                                            article_id="00000000000000e2", at=T)], run="run2")
    assert index.refresh() == "added 1 file(s)"
    assert index.open().seen("00000000000000e2")


@pytest.mark.parametrize("damage", ["missing", "garbage_ids", "garbage_manifest", "file_gone",
                                    "store_damaged"])
def test_a_missing_stale_or_damaged_index_is_rebuilt_from_the_datasets(
        small_lake, seeds, damage, caplog):
    out = str(small_lake)
    LocalIndex(out).refresh()
    copy = article("00000000000000b2", seeds["004"], outlet="ledger")
    assert open_history(out, "before").prior_hits(*prepare(copy, 1), PARAMS)
    root = small_lake / "_index"
    if damage == "missing":
        shutil.rmtree(root)
    elif damage == "garbage_ids":
        (root / "ids.npy").write_bytes(b"\x93NUMPY garbage")
    elif damage == "garbage_manifest":
        (root / "manifest.json").write_text("{not json")
    elif damage == "file_gone":  # compaction replaced a file: the index still lists the old one
        [rejected_file] = (small_lake / "rejected").rglob("*.parquet")
        rejected_file.unlink()
    elif damage == "store_damaged":
        [store] = (root / "fp").glob("*.members.npy")
        store.write_bytes(b"not an array")
    caplog.set_level(logging.WARNING)
    history = open_history(out, f"after-{damage}")
    assert history.seen("00000000000000a1") and history.seen("00000000000000d1")
    assert history.seen("00000000000000e1") == (damage != "file_gone")
    [(earlier, _, _, _)] = history.prior_hits(*prepare(copy, 1), PARAMS)
    assert earlier.article_id == "00000000000000a1"
    assert any("index" in r.getMessage() for r in caplog.records), damage


def test_a_lake_written_before_fingerprints_were_stored_still_matches(tmp_path, seeds):
    out = tmp_path / "out"
    [(path, _)] = write(out, "articles", [article("00000000000000a1", seeds["002"])])
    table = pq.read_table(path)
    pq.write_table(table.drop_columns(["fingerprint"]), path)   # as schema version 1 wrote it
    copy = article("00000000000000b2", seeds["004"], outlet="ledger")
    [(earlier, _, _, _)] = open_history(str(out), "legacy").prior_hits(*prepare(copy, 1), PARAMS)
    assert earlier.article_id == "00000000000000a1"


def test_fingerprints_stored_before_run_tags_are_taken_again_from_the_text(tmp_path):
    """Rows of schema version 7 hold hashes whose bits 1-7 are the hash's own, not run tags:
    read as tags they would veto copies. They are fingerprinted again from their text, so a
    copy of one shares the plain keys and run flags it shares with the text itself."""
    import pyarrow as pa
    from cfnews.schemas.arrow import FINGERPRINT_TYPE
    from cfnews.transforms.dedup import decide, shared_with, with_fingerprint
    from tests.test_dedup import COGNAC_A
    out = tmp_path / "out"
    first = article("00000000000000a1", COGNAC_A)
    [(path, _)] = write(out, "articles", [with_fingerprint(first)])
    table = pq.read_table(path)
    stored = table.column("fingerprint").to_pylist()
    for value in stored:    # other bits 1-7, the quoted bit kept
        value["hashes"] = [h ^ 0x5A for h in value["hashes"]]
    table = table.set_column(table.schema.get_field_index("fingerprint"), "fingerprint",
                             pa.array(stored, type=FINGERPRINT_TYPE))
    table = table.set_column(table.schema.get_field_index("schema_version"), "schema_version",
                             pa.array([7] * table.num_rows, pa.int16()))
    pq.write_table(table, path)
    copy = article("00000000000000b2", "JARNAC (AFP) - " + COGNAC_A, T + dt.timedelta(hours=1),
                   outlet="ledger")
    member, hashes = prepare(copy, 1)
    [(earlier, n, plain, n_quoted)] = open_history(str(out), "v7").prior_hits(member, hashes, PARAMS)
    fresh = shared_with(hashes, prepare(first)[1])
    assert (n, sorted(plain), n_quoted) == (fresh[0], sorted(fresh[1]), fresh[2])
    assert decide(member, [(earlier, n, plain, n_quoted)], PARAMS).copy


def test_corrupt_files_and_empty_partitions_are_named_and_skipped(small_lake, caplog):
    bad = small_lake / "articles" / "date=2026-03-03" / "outlet=wire" / "part-x-0.parquet"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"PAR1 this is not parquet")
    (small_lake / "duplicates" / "date=2026-03-04" / "outlet=cut").mkdir(parents=True)
    caplog.set_level(logging.WARNING)
    history = open_history(str(small_lake), "corrupt")
    assert history.seen("00000000000000a1")
    assert any(str(bad) in r.getMessage() for r in caplog.records)
    # named again on the next run, until the operator moves it away
    caplog.clear()
    open_history(str(small_lake), "corrupt-again")
    assert any(str(bad) in r.getMessage() for r in caplog.records)


def test_remote_reading_and_the_local_index_agree(tmp_path):
    out = str(tmp_path / "lake")
    write_lake(out, articles=600, days=20, outlets=3)
    local = LocalIndex(out)
    local.refresh()
    remote = open_remote(out)
    index = local.open()
    assert np.array_equal(np.asarray(index.ids), np.asarray(remote.ids))
    assert index.dates == remote.dates and len(index.dates) == 20
    # an article sharing 30 hashes with one stored article of the lake's last day
    date = index.dates[-1]
    stored, postings = index._load_date(date)
    row = stored[0]
    hashes = sorted(int(h) for h in postings["hash"][postings["row"] == 0])[:30]
    from cfnews.transforms.dedup import Member
    when = int(row["time"]) + 3_600_000_000
    probe = Member(when, "0123456789abcdef", 1, 0, (40, 20, 10, 5), 1)
    found_local = index.prior_hits(probe, hashes, PARAMS)
    found_remote = remote.prior_hits(probe, hashes, PARAMS)
    assert found_local == found_remote
    assert [(m.article_id, n) for m, n, _, _ in found_local] == [(f"{int(row['id']):016x}", 30)]
    # plain hashes shared: those of the 30 with the lowest bit clear (quoted ones have it set)
    assert len(found_local[0][2]) == sum(1 for h in hashes if not h & 1)


def test_a_new_file_joins_its_days_store_without_rebuilding_the_day(small_lake, seeds):
    out = str(small_lake)
    index = LocalIndex(out)
    index.refresh()
    copy = article("00000000000000b2", seeds["004"], outlet="ledger")
    assert open_history(out, "first").prior_hits(*prepare(copy, 1), PARAMS)   # builds the day
    store = small_lake / "_index" / "fp" / "2026-03-02.members.npy"
    assert len(np.load(store)) == 1
    write(small_lake, "articles", [article("00000000000000a9", seeds["001"], outlet="other")],
          outlet="other", run="run2")
    assert index.refresh() == "added 1 file(s)"
    assert len(np.load(store)) == 2                  # appended to the day, not dropped
    history = open_history(out, "second")
    other_copy = article("00000000000000c9", seeds["001"], outlet="third")
    [(earlier, _, _, _)] = history.prior_hits(*prepare(other_copy, 1), PARAMS)
    assert earlier.article_id == "00000000000000a9"
    [(earlier, _, _, _)] = history.prior_hits(*prepare(copy, 1), PARAMS)
    assert earlier.article_id == "00000000000000a1"


def test_an_earlier_article_brings_its_stored_story_id(tmp_path, seeds):
    """A row whose story_id is another article's (it was a rewrite) hands that story to a
    later match; a row of its own story hands none (its id is the story)."""
    out = tmp_path / "out"
    rewrite = dataclasses.replace(article("00000000000000a1", seeds["002"]),
                                  story_id="00000000000000f0")
    write(out, "articles", [rewrite])
    write(out, "articles", [article("00000000000000a2", seeds["001"], outlet="other")],
          outlet="other")
    history = open_history(str(out), "job")
    [(earlier, _, plain, _)] = history.prior_hits(*prepare(article("00000000000000b1", seeds["004"],
                                                                outlet="ledger"), 1), PARAMS)
    assert earlier.article_id == "00000000000000a1" and earlier.story == "00000000000000f0"
    assert len(plain) >= PARAMS.min_plain_shared                  # a copy shares its plain text
    [(own, _, _, _)] = history.prior_hits(*prepare(article("00000000000000b2", seeds["001"],
                                                         outlet="ledger"), 1), PARAMS)
    assert own.article_id == "00000000000000a2" and own.story == ""


def test_a_stored_fingerprint_holding_both_marks_of_a_shingle_counts_it_once():
    """Fingerprints stored before a text kept each shingle once may hold a shingle both quoted
    (odd hash) and plain (even): matched by shingle, that is one shared hash, not two."""
    from cfnews.transforms.dedup import Member
    from cfnews.transforms.history import NUMBER_SKETCH_K, History, date_store, id_key
    plain = [(i + 1) << 20 for i in range(20)]                 # even: plain shingles
    stored = plain + [h | 1 for h in plain[:10]]               # 10 of them also stored quoted
    when = int(T.timestamp() * 1_000_000)
    row = (id_key("00000000000000a1"), when, 7, 0, 1, (len(stored), 0, 0, 0), 20, 0,
           0, (0,) * NUMBER_SKETCH_K)                          # no number sketch
    store = date_store([(row, tuple(sorted(stored)))])
    history = History(np.zeros(0, dtype=np.uint64), lambda date: store, ["2026-03-02"])
    probe = Member(when + 1, "00000000000000b1", 8, 0, (20,), 1, 20)
    [(earlier, shared, plain_shared, quoted_shared)] = history.prior_hits(probe, plain, PARAMS)
    assert earlier.article_id == "00000000000000a1"
    assert (shared, plain_shared, quoted_shared) == (20, tuple(plain), 0)
    quoted_probe = [h | 1 for h in plain[:12]] + plain[12:]   # the new text quotes 12 of them
    [(_, shared, plain_shared, quoted_shared)] = history.prior_hits(probe, quoted_probe, PARAMS)
    assert (shared, plain_shared, quoted_shared) == (20, tuple(plain[12:]), 12)


def test_furniture_held_by_earlier_runs_is_not_copy_evidence(tmp_path):
    """The furniture rule on history lookups: the unrelated holders of a paragraph written by
    an earlier run count as they do within a run, so the decision is the one a single run
    makes over the same articles."""
    from cfnews.transforms.dedup import dedup_in_memory, decide, with_fingerprint
    from tests.test_dedup import TRIMMED_A, TRIMMED_B, furniture_background
    ids = {f"other{i}": f"00000000000000c{i}" for i in range(4)}
    earlier = [dataclasses.replace(a, article_id=ids[a.article_id], published_at=T - dt.timedelta(hours=5 - i),
                                   discovered_at=T) for i, a in enumerate(furniture_background())]
    first = article("00000000000000a1", TRIMMED_A, outlet="ledger")
    second = article("00000000000000b1", TRIMMED_B, T + dt.timedelta(hours=1), outlet="courier")
    out = tmp_path / "out"
    for a in earlier + [first]:
        write(out, "articles", [with_fingerprint(a)], outlet=a.outlet, run=a.article_id)
    member, hashes = prepare(second, 1)
    found = open_history(str(out), "furniture").prior_hits(member, hashes, PARAMS)
    assert {m.article_id for m, *_ in found} == {first.article_id, *ids.values()}
    match = decide(member, found, PARAMS)
    assert match.earlier_id == first.article_id and not match.copy       # a rewrite
    _, dups = dedup_in_memory(earlier + [first, second], PARAMS)
    assert dups == []                                                    # as in one run
    # without the unrelated holders, the shared paragraph would pass for copied text
    assert decide(member, [e for e in found if e[0].article_id == first.article_id], PARAMS).copy


def test_the_run_veto_on_history_lookups_decides_as_one_run(tmp_path):
    """A history lookup reports the shared plain keys with the run flags the in-memory index
    gives (`dedup.hit_shingle`): a report of an earlier run's release that reuses its phrases
    in sentences of its own is a rewrite, a datelined copy of it a copy, as in one run."""
    from cfnews.transforms.dedup import decide, dedup_in_memory, shared_with, with_fingerprint
    from tests.test_dedup import COGNAC_A, COGNAC_B
    first = article("00000000000000a1", COGNAC_A, outlet="ledger")
    out = tmp_path / "out"
    write(out, "articles", [with_fingerprint(first)], outlet="ledger")
    history = open_history(str(out), "runs")
    copy_text = "JARNAC (AFP) - " + COGNAC_A.replace("announced on Tuesday", "said on Tuesday")
    for aid, text, is_copy in (("00000000000000b1", COGNAC_B, False),
                               ("00000000000000c1", copy_text, True)):
        later = article(aid, text, T + dt.timedelta(hours=1), outlet="courier")
        member, hashes = prepare(later, 1)
        [(earlier, n, plain, n_quoted)] = history.prior_hits(member, hashes, PARAMS)
        assert (n, sorted(plain), n_quoted) == (lambda s: (s[0], sorted(s[1]), s[2]))(
            shared_with(hashes, prepare(first)[1]))
        match = decide(member, [(earlier, n, plain, n_quoted)], PARAMS)
        assert match.earlier_id == first.article_id and match.copy is is_copy
        _, dups = dedup_in_memory([first, later], PARAMS)
        assert [d.article.article_id for d in dups] == ([aid] if is_copy else [])


def test_a_quote_heavy_copy_of_an_earlier_run_is_a_copy(tmp_path):
    """The copy_containment rule on history lookups: a quote-heavy copy of an article written
    by an earlier run is a copy, as in one run; a rewrite of the same announcement is not."""
    from cfnews.transforms.dedup import decide, dedup_in_memory, with_fingerprint
    from tests.test_dedup import WINE, WINE_COPY, WINE_REWRITE
    first = article("00000000000000d1", WINE, outlet="wire")
    out = tmp_path / "out"
    write(out, "articles", [with_fingerprint(first)], outlet="wire", run="earlier")
    history = open_history(str(out), "wine")
    decisions = {}
    for i, (aid, text, outlet) in enumerate([("00000000000000d2", WINE_COPY, "courier"),
                                             ("00000000000000d3", WINE_REWRITE, "gazette")]):
        later = article(aid, text, T + dt.timedelta(hours=i + 1), outlet=outlet)
        member, hashes = prepare(later, 1)
        match = decide(member, history.prior_hits(member, hashes, PARAMS), PARAMS)
        decisions[aid] = (match.earlier_id, match.copy)
        _, dups = dedup_in_memory([first, later], PARAMS)
        assert [d.article.article_id for d in dups] == ([aid] if match.copy else [])  # as in one run
    assert decisions == {"00000000000000d2": (first.article_id, True),
                         "00000000000000d3": (first.article_id, False)}


def test_one_outlets_earlier_run_article_more_than_36_hours_before_is_not_matched(tmp_path):
    """The same-outlet time bound on history lookups: an earlier run's article of the same
    outlet is found within the expiry, but more than 36 h before it is no copy and no story
    link; hours before, or from another outlet days before, it is a copy; as in one run."""
    from cfnews.transforms.dedup import decide, dedup_in_memory, with_fingerprint
    from tests.test_dedup import words
    text = words(0, 40)
    first = article("00000000000000e1", text, outlet="daily")
    out = tmp_path / "out"
    write(out, "articles", [with_fingerprint(first)], outlet="daily", run="earlier")
    history = open_history(str(out), "apart")
    minute = dt.timedelta(minutes=1)
    cases = [(dt.timedelta(hours=48), "daily", None), (dt.timedelta(hours=2), "daily", True),
             (dt.timedelta(hours=36) - minute, "daily", True),
             (dt.timedelta(hours=36) + minute, "daily", None),
             (dt.timedelta(hours=72), "paper", True)]
    for i, (after, outlet, copy) in enumerate(cases):
        later = article(f"00000000000000f{i}", text, T + after, outlet=outlet)
        member, hashes = prepare(later, 1)
        found = history.prior_hits(member, hashes, PARAMS)
        assert [m.article_id for m, *_ in found] == [first.article_id]    # within the expiry
        match = decide(member, found, PARAMS)
        if copy:
            assert (match.earlier_id, match.copy) == (first.article_id, True), after
        else:
            assert match is None, after                                   # not even a story
        _, dups = dedup_in_memory([first, later], PARAMS, prior_ids=frozenset({first.article_id}))
        assert [d.article.article_id for d in dups] == ([later.article_id] if copy else [])


def test_a_row_written_before_fingerprints_folded_scripts_is_fingerprinted_again(tmp_path):
    """Schema 3 stored fingerprints of Traditional Chinese as written; from schema 4 the
    fingerprint reads it as Simplified. An earlier run's schema-3 row is fingerprinted again
    from its text when indexed, so its Simplified republication in a later run is a copy."""
    import pyarrow as pa
    from cfnews.transforms.dedup import decide, with_fingerprint
    from tests.test_dedup import CNA_TRADITIONAL, OTHER_SIMPLIFIED, RFI_SIMPLIFIED
    out = tmp_path / "out"
    first = with_fingerprint(article("00000000000000a7", CNA_TRADITIONAL, outlet="cna"))
    [(path, _)] = write(out, "articles", [first], outlet="cna", run="earlier")
    # what a schema-3 writer left: version 3, and a stored fingerprint that is not today's
    # (here another text's, so only a fingerprint taken again from the text can match)
    table = pq.read_table(path)
    stale = with_fingerprint(article("00000000000000a7", OTHER_SIMPLIFIED, outlet="cna"))
    stale_row = pq.read_table(write(tmp_path / "stale", "articles", [stale], outlet="cna")[0][0])
    table = table.set_column(table.schema.get_field_index("schema_version"), "schema_version",
                             pa.array([3], pa.int16()))
    table = table.set_column(table.schema.get_field_index("fingerprint"), "fingerprint",
                             stale_row.column("fingerprint"))
    pq.write_table(table, path)
    for history in (open_history(str(out), "folded"), open_remote(str(out))):
        later = article("00000000000000a8", RFI_SIMPLIFIED, T + dt.timedelta(hours=1), outlet="rfi")
        member, hashes = prepare(later, 1)
        match = decide(member, history.prior_hits(member, hashes, PARAMS), PARAMS)
        assert match is not None and (match.earlier_id, match.copy) == (first.article_id, True)


@pytest.mark.parametrize("stored_text, later_text", [("long", "short"), ("short", "long")])
def test_a_lake_fingerprinted_at_cap_96_is_matched_by_a_run_at_a_larger_cap(tmp_path, seeds,
                                                                             stored_text, later_text):
    """Rows written to date hold at most 96 sampled hashes (fingerprint.CAP 96). A run whose
    fingerprints keep more (here 192) samples a text at a finer level; the levels are nested,
    so against a stored row the pair is compared at the coarser of the two levels, and the
    hashes it shares there are exactly the shared shingles sampled at that level. A trimmed
    copy (the opening paragraphs of seed 003) shares every shingle with the whole text: it is
    found as a copy in both directions, at containment 1.0, on the shorter text's shingles
    below that level's bound."""
    from cfnews.transforms.dedup import decide
    from cfnews.transforms.fingerprint import (fingerprint, level_limit, marked_shingle_hashes,
                                               shingle_key)
    texts = {"long": seeds["003"], "short": "\n".join(seeds["003"].splitlines()[:17])}
    stored = dataclasses.replace(article("00000000000000a1", texts[stored_text], outlet="wire"),
                                 fingerprint=tuple(fingerprint(texts[stored_text], cap=96)))
    out = tmp_path / "out"
    write(out, "articles", [stored], outlet="wire", run="cap96")
    later = article("00000000000000b1", texts[later_text], T + dt.timedelta(hours=1), outlet="ledger")
    later = dataclasses.replace(later, fingerprint=tuple(fingerprint(later.text, cap=192)))
    old_level, new_level = stored.fingerprint[1], later.fingerprint[1]
    assert len(later.fingerprint[0]) > 96 and new_level < fingerprint(later.text, cap=96).level
    level = max(old_level, new_level)
    # the shorter text's distinct shingles below the compared level's bound, counted from its
    # unsampled shingle hashes (the quoted mark and run tag are not part of its identity)
    short_keys = {shingle_key(int(h)) for h in marked_shingle_hashes(texts["short"])}
    expected_shared = sum(1 for h in short_keys if h < level_limit(level))
    for history in (open_history(str(out), "cap"), open_remote(str(out))):
        member, hashes = prepare(later, 1)
        found = history.prior_hits(member, hashes, PARAMS)
        assert [(m.article_id, shared) for m, shared, *_ in found] == [("00000000000000a1", expected_shared)]
        match = decide(member, found, PARAMS)
        assert (match.earlier_id, match.copy, match.containment) == ("00000000000000a1", True, 1.0)


# ---------------------------------------------------------------- number sketches (schema 6, index 5)

def _tally_pair():
    from tests.test_dedup_numbers import COPY_OF_5, TALLY_5, TALLY_6
    return TALLY_5, TALLY_6, COPY_OF_5


def _decide_against(history, aid, text, outlet, after):
    from cfnews.transforms.dedup import decide
    later = article(aid, text, T + after, outlet=outlet)
    member, hashes = prepare(later, 1)
    return decide(member, history.prior_hits(member, hashes, PARAMS), PARAMS)


def test_an_earlier_runs_template_edition_is_vetoed_its_copy_is_not(tmp_path):
    """The stored sketch (`articles.number_sketch`) reaches `decide` through the history:
    the next edition of an earlier run's daily tally is neither copy nor story; its copy is a
    copy. Local index and remote reading alike."""
    from cfnews.transforms.dedup import with_fingerprint
    tally_5, tally_6, copy_of_5 = _tally_pair()
    out = tmp_path / "out"
    first = with_fingerprint(article("00000000000000c1", tally_5, outlet="afp"))
    [(path, _)] = write(out, "articles", [first], outlet="afp", run="earlier")
    assert pq.read_table(path).column("number_sketch").to_pylist() == [list(first.fingerprint[3])]
    for history in (open_history(str(out), "sketch"), open_remote(str(out))):
        assert _decide_against(history, "00000000000000c2", tally_6, "rfi",
                               dt.timedelta(hours=20)) is None
        match = _decide_against(history, "00000000000000c3", copy_of_5, "rfi",
                                dt.timedelta(hours=2))
        assert (match.earlier_id, match.copy) == (first.article_id, True)


def test_a_lake_written_without_number_sketches_is_read_and_never_vetoes(tmp_path):
    """A row of schema version 5 (no `number_sketch` column) is read; its stored fingerprint
    predates run tags (schema version 8), so it is fingerprinted again from its text, number
    sketch included: the next edition of its tally is vetoed as between two new rows (no copy,
    no story link). (Rows of versions 6 and 7 without a sketch would be read alike.)"""
    import pyarrow as pa
    from cfnews.transforms.dedup import with_fingerprint
    tally_5, tally_6, _ = _tally_pair()
    out = tmp_path / "out"
    first = with_fingerprint(article("00000000000000c1", tally_5, outlet="afp"))
    [(path, _)] = write(out, "articles", [first], outlet="afp", run="earlier")
    table = pq.read_table(path)
    table = table.drop_columns(["number_sketch"])
    table = table.set_column(table.schema.get_field_index("schema_version"), "schema_version",
                             pa.array([5], pa.int16()))
    pq.write_table(table, path)
    for history in (open_history(str(out), "old-rows"), open_remote(str(out))):
        member, hashes = prepare(article("00000000000000c2", tally_6, T + dt.timedelta(hours=20), "rfi"), 1)
        [(earlier, *_)] = history.prior_hits(member, hashes, PARAMS)
        assert earlier.article_id == first.article_id and earlier.numbers   # sketched from its text
        assert _decide_against(history, "00000000000000c2", tally_6, "rfi", dt.timedelta(hours=20)) is None


STOP_27 = "994f530"   # stop 27's head: schema 5, index version 4 (no number sketches)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

WRITE_WITH_STOP_27 = r"""
import datetime as dt, sys
from cfnews.schemas import Article
from cfnews.transforms.dedup import with_fingerprint
from cfnews.transforms.history import INDEX_VERSION, open_history
from cfnews.transforms.write import write_partition
out, text = sys.argv[1], sys.stdin.read()
when = dt.datetime(2026, 3, 2, 12, tzinfo=dt.timezone.utc)
a = Article(article_id="00000000000000c1", url="https://afp.example/c1", canonical_url="https://afp.example/c1",
            outlet="afp", feed_url="", entry_id="c1", title="c1", text=text, discovered_at=when, published_at=when)
write_partition(out, "earlier", "articles", "2026-03-02", "afp", [with_fingerprint(a)])
h = open_history(out, "stop27")        # builds DIR/_index as stop 27 writes it
print(INDEX_VERSION, len(h.dates))
"""


def _stop_27_package(where) -> str:
    """The cfnews package as it was at STOP_27, taken from this repository's history (git
    archive) and laid out as installed (cfnews.pipeline, .transforms, .schemas inside cfnews):
    the folder to put first on PYTHONPATH."""
    import subprocess
    import tarfile
    if subprocess.run(["git", "-C", ROOT, "cat-file", "-e", STOP_27 + "^{commit}"],
                      capture_output=True).returncode:
        pytest.skip(f"needs this repository's history (commit {STOP_27}) to run the older code")
    archive = where / "stop27.tar"
    subprocess.run(["git", "-C", ROOT, "archive", "-o", str(archive), STOP_27,
                    "cfnews", "pipeline", "transforms", "schemas"], check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(where / "src")
    package = where / "pkg" / "cfnews"
    package.parent.mkdir()
    (where / "src" / "cfnews").rename(package)
    for part in ("pipeline", "transforms", "schemas"):
        (where / "src" / part).rename(package / part)
    return str(where / "pkg")


def test_a_lake_and_index_written_by_stop_27_are_read(tmp_path, caplog):
    """The stop-27 code (from git) writes a lake (schema 5) and its index (version 4); this
    code rebuilds the index (another version) and reads the rows, fingerprinting them again
    from their text (their fingerprints predate run tags), number sketches included: the
    next edition of the tally is vetoed, as between two new rows."""
    import json
    import subprocess
    tally_5, tally_6, _ = _tally_pair()
    out = tmp_path / "out"
    old = _stop_27_package(tmp_path)
    done = subprocess.run([sys.executable, "-c", WRITE_WITH_STOP_27, str(out)], input=tally_5,
                          cwd=old, capture_output=True, text=True, check=True,
                          env=dict(os.environ, PYTHONPATH=python_path(old), PYTHONDONTWRITEBYTECODE="1"))
    assert done.stdout.split() == ["4", "1"]
    assert json.loads((out / "_index" / "manifest.json").read_text())["version"] == 4
    table = pq.read_table(next((out / "articles").rglob("*.parquet")))
    assert "number_sketch" not in table.column_names and table.column("schema_version")[0].as_py() == 5
    with caplog.at_level(logging.WARNING):
        history = open_history(str(out), "after-stop-27")
    assert f"is of version 4, this cfnews uses version {INDEX_VERSION}: rebuilding it" in caplog.text
    assert json.loads((out / "_index" / "manifest.json").read_text())["version"] == INDEX_VERSION
    assert history.seen("00000000000000c1")
    assert _decide_against(history, "00000000000000c2", tally_6, "rfi", dt.timedelta(hours=20)) is None
