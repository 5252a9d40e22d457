"""The reader of RTHK posts of the agora0/2511 snapshot (tests/data/zh_names/rthk25.py), on a page
written by hand in the snapshot's format, and, where the snapshot is present, on its posts."""
import pytest

from tests.data.relevance.sources import SnapshotMissing
from tests.conftest import first_snapshot_posts
from tests.data.zh_names import rthk25

PATH = "_posts/2025-11-03-RTHK-港府宣布-測試標題.md"
PAGE = ("---\nlayout: post\ntitle: 港府宣布｜測試標題\ndate: 2025-11-03 08:15:00.000000000 +08:00\n"
        "link: https://news.rthk.hk/rthk/ch/component/k2/1-20251103.htm\ncategories: rthk\n---\n\n"
        "政府今日宣布，香港與法國簽署協議。\r\n\r\n發言人表示，  協議&amp;備忘錄已上載。\r\n\r\n")


def test_item_is_the_paragraphs_one_line_each_without_the_headline():
    item = rthk25.rthk_item(PATH, PAGE)
    assert item.text == "政府今日宣布，香港與法國簽署協議。\n發言人表示， 協議&備忘錄已上載。"
    assert item.title == "港府宣布｜測試標題"
    assert item.source == "RTHK 香港電台"
    assert item.lang == "zh-Hant"
    assert item.article_id.startswith("rthk25/2025-11-03#0-")
    other = rthk25.rthk_item(PATH, PAGE.replace("測試標題", "另一標題"))
    assert other.article_id != item.article_id and other.text == item.text


def test_other_files_and_broken_pages_are_refused():
    with pytest.raises(ValueError):
        rthk25.rthk_item("_posts/2025-11-03-CNA-港府宣布.md", PAGE)
    with pytest.raises(ValueError):
        rthk25.rthk_item(PATH.replace(".md", ".html"), PAGE)
    with pytest.raises(ValueError):
        rthk25.rthk_item(PATH, PAGE[4:])


def test_snapshot_posts_are_rthk_posts_with_text():
    first = first_snapshot_posts(rthk25.posts())
    assert len(first) == 50
    assert [p for p, _ in first] == sorted(p for p, _ in first)
    for path, raw in first:
        item = rthk25.rthk_item(path, raw)
        assert "-RTHK-" in path and item.title and len(item.text) > 20, path


def test_draw_takes_the_2025_rthk_posts_by_snapshot_and_word():
    from tests.data.zh_names import draw
    with pytest.raises(ValueError):
        list(draw._snapshot_posts(["RTHK 香港電台"], "agora0+21q2"))
    try:
        found = draw.candidates(["RTHK 香港電台"], "zh-Hant", snapshot=rthk25.SNAPSHOT, mentions="立法會")
    except SnapshotMissing as exc:
        pytest.skip(f"snapshot absent: {exc}")
    assert found and all(c["snapshot"] == rthk25.SNAPSHOT and c["id"].startswith(rthk25.PREFIX)
                         for c in found)
    # the word is looked for in the title and the whole post, not only in the excerpt
    with_word = {item.article_id for item in (rthk25.rthk_item(p, raw) for p, raw in rthk25.posts())
                 if "立法會" in item.title + item.text}
    assert {c["id"] for c in found} <= with_word
    assert any("立法會" not in c["text"] for c in found)
