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
               "2026-12-05g"}


def test_blind_batches_once_scored_are_dev_and_their_outlets_in_no_test_article():
    gold = sources.load_gold()
    spent = [a for a in gold if a.get("added") in SPENT_BLIND]
    assert len(spent) == 132 and {a["split"] for a in spent} == {"dev"}
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
