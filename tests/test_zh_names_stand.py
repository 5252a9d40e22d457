"""The reader of Stand News posts (tests/data/zh_names/stand.py), on a page written by hand in the
snapshot's format, and, where the snapshot is present, on its posts."""
import re

import pytest

from tests.conftest import first_snapshot_posts
from tests.data.zh_names import stand

PATH = "_posts/2021-05-03-STAND-港府宣布-測試標題.html"
PAGE = """---
layout: post
title: 港府宣布：測試標題
date: 2021-05-03 08:15:00.000000000 +00:00
link: https://thestandnews.com/politics/test/
categories: stand
tags: blog
author: 立場報道
---

<img width="600" src="https://example.org/a.png" /><br /><br /><p>政府今日（3日）宣布，香港與法國簽署協議。</p>
<p>發言人表示，協議&amp;備忘錄<a href="https://example.org">全文</a>已上載。</p>
<p> </p>
"""


def test_item_is_the_paragraphs_one_line_each_without_the_headline():
    item = stand.stand_item(PATH, PAGE)
    assert item.text == "政府今日（3日）宣布，香港與法國簽署協議。\n發言人表示，協議&備忘錄\n全文\n已上載。"
    assert item.title == "港府宣布：測試標題"
    assert item.source == "立場新聞"
    assert item.lang == "zh-Hant"
    assert item.article_id.startswith("stand/2021-05-03#0-")
    # the id hashes the title: another title, another id
    other = stand.stand_item(PATH, PAGE.replace("測試標題", "另一標題"))
    assert other.article_id != item.article_id and other.text == item.text


def test_author_marks_the_newsroom_reports():
    assert stand.author(PAGE) == stand.NEWSROOM
    assert stand.author(PAGE.replace("author: 立場報道", "author: 轉載文章")) == "轉載文章"
    assert stand.author(PAGE.replace("author: 立場報道\n", "")) == ""


def test_other_files_and_broken_pages_are_refused():
    with pytest.raises(ValueError):
        stand.stand_item("_posts/2021-05-03-INITIUM-港府宣布.html", PAGE)
    with pytest.raises(ValueError):
        stand.stand_item(PATH, PAGE.replace("---\n\n<img", "\n<img"))
    with pytest.raises(ValueError):
        stand.stand_item(PATH, PAGE[4:])


def test_snapshot_posts_are_stand_posts_with_text():
    first = first_snapshot_posts(stand.posts())
    assert len(first) == 50
    assert [p for p, _ in first] == sorted(p for p, _ in first)
    for path, raw in first:
        item = stand.stand_item(path, raw)
        assert item.title and len(item.text) > 20, path
        assert raw.count("\n---\n") >= 1


# agora0/21q3's format: a quoted title, a <figure> (with or without a caption) opening the body
# and captions on the images inside it; a quote set in a <figure> is text.
PATH_Q3 = "_posts/2021-08-02-STAND-測試-第三季.html"
PAGE_Q3 = """---
layout: post
title: "【測試】第三季：標題"
date: 2021-08-02 10:31:07.123000000 Z
link: https://www.thestandnews.com/politics/test
categories: stand
tags: blog
author: 立場報道
---

<figure><img src="https://example.org/a.png"><figcaption><span>資料圖片，來源：甲乙丙 Facebook</span></figcaption></figure><p>法國駐港總領事今日（2 日）表示，<strong>會見</strong>港府官員。</p>

<figure><img src="https://example.org/b.png"><figcaption>中環街頭</figcaption></figure>
<p>&nbsp;</p>
<figure><blockquote><p>引述一段說話。</p></blockquote></figure>
<figure><img src="https://example.org/c.png"></figure><p>第三段。</p>
"""


def test_21q3_item_leaves_the_photo_captions_out():
    item = stand.stand_item(PATH_Q3, PAGE_Q3, "agora0+21q3")
    assert item.text == "法國駐港總領事今日（2 日）表示，\n會見\n港府官員。\n引述一段說話。\n第三段。"
    assert item.title == "【測試】第三季：標題"
    assert item.article_id.startswith("stand/2021-08-02#0-")
    assert item.source == "立場新聞" and item.lang == "zh-Hant"
    # 21q2's reader (the default) keeps them: its gold was annotated on its texts as they were
    kept = stand.stand_item(PATH_Q3, PAGE_Q3)
    assert kept.text.startswith("資料圖片，來源：甲乙丙 Facebook\n法國駐港總領事")
    assert "\n中環街頭\n" in kept.text
    assert kept.article_id == item.article_id


def test_unknown_snapshots_are_refused():
    with pytest.raises(ValueError):
        stand.stand_item(PATH_Q3, PAGE_Q3, "agora0+21q4")
    with pytest.raises(ValueError):
        stand.posts("agora0+pen")


def test_21q3_snapshot_posts_are_stand_posts_without_captions():
    first = first_snapshot_posts(stand.posts("agora0+21q3"), hint="fetch github:agora0/21q3")
    assert len(first) == 50
    assert [p for p, _ in first] == sorted(p for p, _ in first)
    assert all("2021-07-01" <= p[7:17] <= "2021-09-30" for p, _ in first)
    captioned = 0
    for path, raw in first:
        item = stand.stand_item(path, raw, "agora0+21q3")
        assert item.title and len(item.text) > 20, path
        assert not item.title.startswith('"'), path
        caption = re.search(r"<figcaption>(?:<span>)?([^<]+)<", raw)
        if caption and caption.group(1).strip():
            captioned += 1
            lines = item.text.split("\n")
            assert caption.group(1).strip() not in lines, path
            assert caption.group(1).strip() in stand.stand_item(path, raw).text.split("\n"), path
    assert captioned >= 10


def test_21q1_snapshot_posts_are_march_stand_posts_read_as_in_21q2():
    first = first_snapshot_posts(stand.posts("agora0+21q1"), hint="fetch github:agora0/21q1")
    assert len(first) == 50
    assert all(p.startswith("_posts/2021-03-") for p, _ in first)
    for path, raw in first:
        item = stand.stand_item(path, raw, "agora0+21q1")
        assert item.title and len(item.text) > 20, path
        assert item == stand.stand_item(path, raw), path   # 21q2's reader
