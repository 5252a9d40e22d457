"""The Chinese names gold set (tests/data/zh_names): its shape, the dev/test split by outlet
(the `blind` batches: one of a dev publisher, one of an outlet in no split; in neither),
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
