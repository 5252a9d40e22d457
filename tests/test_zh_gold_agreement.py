"""tests/benchmarks/zh_gold_agreement.py: agreement of two readings of the Chinese names gold, at
the scorer's level (distinct (name, type) per article). Expected counts are written by hand."""
import json

import pytest

from tests.benchmarks.zh_gold_agreement import SECOND, agreement, disagreements, prf
from tests.data.zh_names import sources

FIRST = [
    {"id": "a", "PERSON": ["馬克宏", "拜登"], "PLACE": ["法國", "巴黎"], "ORG": ["中共"]},
    {"id": "b", "PERSON": [], "PLACE": ["中国"], "ORG": ["外交部", "中国外交部"]},
    {"id": "c", "PERSON": ["张三"], "PLACE": [], "ORG": []},  # not read twice: not compared
]
SECOND_READING = [
    # 拜登 missed, 白宮 added, 中共 read as a place (one name, two types: a miss and an addition)
    {"id": "a", "PERSON": ["馬克宏"], "PLACE": ["法國", "巴黎", "白宮", "中共"], "ORG": []},
    # 马克龙 added; 外交部 as written in the other script is another name
    {"id": "b", "PERSON": ["马克龙"], "PLACE": ["中国"], "ORG": ["外交部", "中国外交部"]},
]
SCRIPT = {"a": "zh-Hant", "b": "zh-Hans", "c": "zh-Hant"}


def test_counts_per_script_and_type():
    counts = agreement(FIRST, SECOND_READING, SCRIPT)
    # [both, only in the first, only in the second]
    assert counts[("zh-Hant", "PERSON")] == [1, 1, 0]
    assert counts[("zh-Hant", "PLACE")] == [2, 0, 2]
    assert counts[("zh-Hant", "ORG")] == [0, 1, 0]
    assert counts[("zh-Hant", "all")] == [3, 2, 2]
    assert counts[("zh-Hans", "PERSON")] == [0, 0, 1]
    assert counts[("zh-Hans", "PLACE")] == [1, 0, 0]
    assert counts[("zh-Hans", "ORG")] == [2, 0, 0]
    assert counts[("zh-Hans", "all")] == [3, 0, 1]
    assert len(counts) == 8  # article c is in no row


def test_prf_of_the_second_against_the_first():
    assert prf(3, 2, 2) == pytest.approx((0.6, 0.6, 0.6))
    assert prf(3, 0, 1) == pytest.approx((0.75, 1.0, 6 / 7))
    assert prf(0, 0, 0) == (0.0, 0.0, 0.0)


def test_disagreements_list_each_name_once_with_its_side():
    assert list(disagreements(FIRST, SECOND_READING)) == [
        ("a", "拜登", "PERSON", True, False),
        ("a", "中共", "PLACE", False, True),
        ("a", "白宮", "PLACE", False, True),
        ("a", "中共", "ORG", True, False),
        ("b", "马克龙", "PERSON", False, True),
    ]


def test_second_reading_covers_test_articles_only_each_name_once():
    gold = {a["id"]: a for a in sources.load_gold()}
    second = json.loads(SECOND.read_text(encoding="utf-8"))["articles"]
    assert len({a["id"] for a in second}) == len(second) == 65
    assert {gold[a["id"]]["split"] for a in second} == {"test"}
    assert sum(a["split"] == "test" for a in gold.values()) == 65
    for article in second:
        assert set(article) == {"id", "PERSON", "PLACE", "ORG"}
        for kind in sources.TYPES:
            assert len(set(article[kind])) == len(article[kind]), (article["id"], kind)


def test_every_name_of_the_second_reading_is_in_its_rebuilt_text():
    from tests.data.relevance.sources import SnapshotMissing
    try:
        texts = {entry["id"]: text for entry, text in sources.articles() if entry["split"] == "test"}
    except SnapshotMissing as exc:
        pytest.skip(f"public snapshots absent: {exc}")
    for article in json.loads(SECOND.read_text(encoding="utf-8"))["articles"]:
        for kind in sources.TYPES:
            for name in article[kind]:
                assert name in texts[article["id"]], (article["id"], kind, name)
