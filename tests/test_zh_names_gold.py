"""The Chinese names gold set (tests/data/zh_names): its shape, the dev/test split by outlet
(blind batches, once scored, are spent and moved to dev with their `added` marks),
and, where the public snapshots are present, that every name read is in the rebuilt text."""
import pytest

from tests.data.relevance.sources import SnapshotMissing
from tests.data.zh_names import sources

# One publisher under two snapshots' labels: the split by outlet is a split by publisher.
PUBLISHER = {"中央社": "(臺)中央社CNA"}


def test_gold_has_both_scripts_in_both_splits_split_by_outlet():
    gold = sources.load_gold()
    assert len(gold) >= 30 and len({a["id"] for a in gold}) == len(gold)
    for split in ("dev", "test"):
        for script in ("zh-Hans", "zh-Hant"):
            assert sum(a["split"] == split and a["script"] == script for a in gold) >= 10
    assert {a["split"] for a in gold} <= {"dev", "test", "blind"}
    outlets = {split: {PUBLISHER.get(a["outlet"], a["outlet"]) for a in gold if a["split"] == split}
               for split in ("dev", "test")}
    assert not outlets["dev"] & outlets["test"]
    for article in gold:
        for kind in sources.TYPES:
            assert len(set(article[kind])) == len(article[kind]), (article["id"], kind)


SPENT_BLIND = {"2026-12-04b", "2026-12-04c", "2026-12-04d", "2026-12-04e", "2026-12-05a",
               "2026-12-05b", "2026-12-05c", "2026-12-05d", "2026-12-05e", "2026-12-05f",
               "2026-12-05g", "2026-12-05h", "2026-12-05i"}


def test_blind_batches_once_scored_are_dev_and_their_outlets_in_no_test_article():
    gold = sources.load_gold()
    spent = [a for a in gold if a.get("added") in SPENT_BLIND]
    assert len(spent) == 156 and {a["split"] for a in spent} == {"dev"}
    assert {a["outlet"] for a in spent} == {"中央社", "立場新聞", "獨立媒體", "報呱"}
    test_outlets = {PUBLISHER.get(a["outlet"], a["outlet"]) for a in gold if a["split"] == "test"}
    assert not {PUBLISHER.get(a["outlet"], a["outlet"]) for a in spent} & test_outlets


def test_excerpt_keeps_whole_paragraphs():
    text = "第一段。\n" + "长" * 300 + "。\n" + "第三段" * 200
    assert sources.excerpt(text, limit=400) == "第一段。\n" + "长" * 300 + "。"
    assert sources.excerpt("甲。乙" * 10, limit=6) == "甲。乙甲。"


def test_every_name_is_in_its_rebuilt_text():
    try:
        articles = list(sources.articles())
    except SnapshotMissing as exc:
        pytest.skip(f"public snapshots absent: {exc}")
    for article, text in articles:
        for kind in sources.TYPES:
            for name in article[kind]:
                assert name in text, (article["id"], kind, name)


def test_pq_held_out_batches_are_later_reports_of_the_outlet_never_in_test():
    """報呱's batches 2026-12-05h and -i were the held-out check of work on 2026-12-05g (its posts of
    January-March 2022, agora0/22q1): posts of other quarters (2023 and 2024), none shared; scored
    once, they are dev now (SPENT_BLIND)."""
    gold = sources.load_gold()
    dev_text = [a for a in gold if a.get("added") == "2026-12-05g"]
    held = [a for a in gold if a.get("added") in ("2026-12-05h", "2026-12-05i")]
    assert len(dev_text) == 12 and {a["snapshot"] for a in dev_text} == {"agora0+22q1"}
    assert len(held) == 24 and {a["outlet"] for a in held} == {"報呱"}
    assert "test" not in {a["split"] for a in held}
    assert {a["snapshot"] for a in held} == {"agora0+23q2", "agora0+23q4", "agora0+24q3",
                                             "agora0+24q4"}
    assert all(a["id"][3:7] in ("2023", "2024") for a in held)
    assert not {a["path"] for a in held} & {a["path"] for a in dev_text}
    assert "報呱" not in {a["outlet"] for a in gold if a["split"] == "test"}
