"""The reader of 獨立媒體 (In-Media) posts (tests/data/zh_names/inmedia.py), on a page written by
hand in the agora0/21q4 snapshot's format, through the gold's per-snapshot reader (21q4 holds
Stand News posts too) and, where the snapshot is present, on its posts."""
import re

import pytest

from tests.conftest import first_snapshot_posts
from tests.data.relevance.sources import SnapshotMissing
from tests.data.zh_names import draw, inmedia, sources, stand

PATH = "_posts/2021-12-30-INMEDIA-測試標題-港府宣布.html"
PAGE = """---
layout: post
title: "測試標題 港府宣布「測試」"
date: 2021-12-30 11:00:10.000000000 +00:00
link: https://www.inmediahk.net/node/test
categories: inmedia
tags: blog
author: 獨媒報導
---

<img src="https://example.org/banner.png" /><div class="field field-name-body field-type-text-with-summary field-label-hidden"><div class="field-items"><div class="field-item even"><p><font color="red">（獨媒報導）</font> 政府今日宣布，香港與法國簽署協議。</p>
<p><a data-flickr-embed="true" href="https://example.org/p" title="IMG_1"><img src="https://example.org/1.jpg" alt="IMG_1" /></a></p>
<p><strong>小標題 協議內容</strong></p>
<p>發言人表示，協議&amp;備忘錄<a href="https://example.org">全文</a>已上載。</p>
</div></div></div><div class="field field-name-taxonomy-vocabulary-20 field-type-taxonomy-term-reference field-label-above"><div class="field-label">相關標籤:&nbsp;</div><div class="field-items"><div class="field-item even"><a href="https://www.inmediahk.net/taxonomy/term/1">中國</a></div></div></div>
"""


def test_item_is_the_body_paragraphs_without_headline_images_or_tags():
    item = inmedia.inmedia_item(PATH, PAGE)
    assert item.text == ("（獨媒報導）\n政府今日宣布，香港與法國簽署協議。\n小標題 協議內容\n"
                         "發言人表示，協議&備忘錄\n全文\n已上載。")
    assert "相關標籤" not in item.text and "中國" not in item.text
    assert item.title == "測試標題 港府宣布「測試」"
    assert item.source == "獨立媒體" and item.lang == "zh-Hant"
    assert item.article_id.startswith("inmedia/2021-12-30#0-")
    other = inmedia.inmedia_item(PATH, PAGE.replace("測試標題", "另一標題"))
    assert other.article_id != item.article_id and other.text == item.text


def test_a_post_without_tags_keeps_its_whole_body():
    page = PAGE[:PAGE.index('<div class="field field-name-taxonomy')] + "\n"
    assert inmedia.inmedia_item(PATH, page).text == inmedia.inmedia_item(PATH, PAGE).text


def test_author_marks_the_newsroom_reports():
    assert inmedia.author(PAGE) == inmedia.NEWSROOM
    assert inmedia.author(PAGE.replace("author: 獨媒報導", "author: 讀者投稿")) == "讀者投稿"


def test_other_files_and_broken_pages_are_refused():
    with pytest.raises(ValueError):
        inmedia.inmedia_item("_posts/2021-12-30-STAND-測試標題.html", PAGE)
    with pytest.raises(ValueError):
        inmedia.inmedia_item(PATH, PAGE.replace("field-name-body", "field-name-summary"))
    with pytest.raises(ValueError):
        inmedia.inmedia_item(PATH, PAGE[4:])


def test_the_21q4_gold_reader_picks_the_reader_by_path():
    read = sources.READERS["agora0+21q4"]
    assert read(PATH, PAGE) == inmedia.inmedia_item(PATH, PAGE)
    stand_path = "_posts/2021-12-30-STAND-測試標題.html"
    stand_page = PAGE.replace("author: 獨媒報導", "author: 立場報道")
    assert read(stand_path, stand_page) == stand.stand_item(stand_path, stand_page, "agora0+21q4")
    assert read(stand_path, stand_page).source == "立場新聞"
    # the other Stand snapshots keep the Stand reader only
    with pytest.raises(ValueError):
        sources.READERS["agora0+21q3"](PATH, PAGE)


def test_snapshot_posts_are_newsroom_reports_with_text():
    first = first_snapshot_posts(inmedia.posts(), hint="fetch github:agora0/21q4")
    assert 20 <= len(first) <= 50
    assert [p for p, _ in first] == sorted(p for p, _ in first)
    for path, raw in first:
        item = inmedia.inmedia_item(path, raw)
        assert item.title and len(item.text) > 100, path
        assert item.lang == "zh-Hant", path
        assert inmedia.author(raw) == inmedia.NEWSROOM, path
        opens_with_byline = bool(re.match(r"[（【]獨媒報導[）】]\n", item.text))
        assert opens_with_byline, path
        markup_left = "field-name" in item.text or "<" in item.text
        assert not markup_left, path


def test_draw_takes_in_media_posts_of_21q4_only_when_asked():
    try:
        found = list(draw._snapshot_posts([inmedia.OUTLET]))
    except SnapshotMissing as exc:
        pytest.skip(f"snapshot absent (fetch github:agora0/21q4): {exc}")
    assert found and {snap for snap, _, _ in found} == {"agora0+21q4"}
    assert all(item.source == inmedia.OUTLET and inmedia.is_post(path)
               for _, path, item in found)
