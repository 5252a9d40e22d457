"""The reader of 報呱 (Pourquoi) posts (tests/data/zh_names/pq.py), on a page written by hand in
the agora0/22q1 snapshot's format, through the gold's per-snapshot reader and, where the snapshot
is present, on its posts."""
import re

import pytest

from tests.conftest import first_snapshot_posts
from tests.data.relevance.sources import SnapshotMissing
from tests.data.zh_names import draw, pq, sources
from tests.data.zh_names.stand import front_matter

PATH = "_posts/2022-02-13-PQ-測試標題-台法協議.html"
PAGE = """---
layout: post
title: 測試標題　台法簽署協議
date: 2022-02-13 16:12:15.000000000 +00:00
link: https://pourquoi.tw/2022/02/14/intlnews-euaf-220207-220213-2/
categories: pq
tags: blog
author: 測試者
---

<p><strong>台灣</strong>與法國上週四（2 月 10 日）簽署協議，<a href="https://example.org/a">外交部</a>表示歡迎。</p>



<p class="pqnsource">前情提要：<a href="https://example.org/b">中國抗議　德國回應</a></p>



<p>前情提要：<a href="https://example.org/c">日本表態</a></p>



<p class="pqnote">根據協議，雙方有<strong>六十日</strong>磋商期間。<br>期滿後生效。</p>



<figure class="wp-block-image size-full"><img src="https://example.org/1.jpg" alt="" /><figcaption>圖為巴黎街景。（檔案照片）</figcaption></figure>



<figure class="wp-block-embed is-type-video is-provider-youtube"><div class="wp-block-embed__wrapper">
https://www.youtube.com/watch?v=test
</div></figure>



<p>觀察家指出，此案攸關<em>多邊</em>貿易體系。</p>



<p class="pqnsource">參考新聞來源：<br><a href="https://example.org/d">2022/02/11 BBC 英國報導</a></p>



<p>資料來源：</p>
<ul><li>韓國媒體</li></ul>
<p>The post <a href="https://pourquoi.tw/2022/02/14/intlnews-euaf-220207-220213-2/">測試標題　台法簽署協議</a> first appeared on <a href="https://pourquoi.tw">pourquoi 報呱</a>.</p>
"""


def test_item_is_the_paragraphs_whole_without_captions_links_or_sources():
    item = pq.pq_item(PATH, PAGE)
    assert item.text == ("台灣與法國上週四（2 月 10 日）簽署協議，外交部表示歡迎。\n"
                         "根據協議，雙方有六十日磋商期間。\n期滿後生效。\n"
                         "觀察家指出，此案攸關多邊貿易體系。")
    for left_out in ("德國", "日本", "巴黎", "youtube", "英國", "韓國", "first appeared"):
        assert left_out not in item.text, left_out
    assert item.title == "測試標題 台法簽署協議"
    assert item.source == "報呱" and item.lang == "zh-Hant"
    assert item.article_id.startswith("pq/2022-02-13#0-")
    other = pq.pq_item(PATH, PAGE.replace("title: 測試標題", "title: 另一標題"))
    assert other.article_id != item.article_id and other.text == item.text


def test_the_link_slug_names_the_news_desk():
    site = "https://pourquoi.tw"
    assert pq.section(f"{site}/2022/01/04/intlnews-seasia-211228-220103-4/") == "intlnews"
    assert pq.section(f"{site}/taiwan-20230103-1/?utm_source=rss&utm_medium=rss") == "taiwan"
    assert pq.section(f"{site}/2022/01/07/taiwan-news20220107-1/") == "taiwan"
    assert pq.section(f"{site}/2022/01/26/taiwanesecuisine20220126/") == "taiwanesecuisine"
    assert pq.is_report(PAGE)
    for link in ("https://pourquoi.tw/2022/01/10/podcast-world-ep90/",
                 "https://pourquoi.tw/2022/03/30/2022-oscars-will_smith-purches-chris_rock/",
                 "https://pourquoi.tw/2022/01/25/chiang-ching-kuo-comment-20220125/"):
        assert not pq.is_report(PAGE.replace(
            "https://pourquoi.tw/2022/02/14/intlnews-euaf-220207-220213-2/", link)), link


def test_the_feeds_plain_summary_of_a_report_is_no_report():
    # the last days of a snapshot (24q4: 28-31 December 2024) hold only the feed's one-line
    # summary of a post, without paragraph markup
    summary = PAGE.split("\n---\n", 1)[0] + "\n---\n台灣與法國上週四簽署協議，外交部表示歡迎。\n"
    assert pq.section("https://pourquoi.tw/2022/02/14/intlnews-euaf-220207-220213-2/") == "intlnews"
    assert not pq.is_report(summary)
    assert pq.is_report(summary.replace("台灣與", "<p>台灣與").replace("歡迎。", "歡迎。</p>"))


def test_other_files_and_broken_pages_are_refused():
    with pytest.raises(ValueError):
        pq.pq_item("_posts/2022-02-13-INMEDIA-測試標題.html", PAGE)
    with pytest.raises(ValueError):
        pq.pq_item(PATH, PAGE[4:])
    with pytest.raises(ValueError):
        list(pq.posts("agora0+21q4"))


def test_the_gold_reads_every_quarters_snapshot_with_the_pq_reader():
    for snapshot in pq.SNAPSHOTS:
        assert sources.READERS[snapshot](PATH, PAGE) == pq.pq_item(PATH, PAGE)
        assert sources.PREFIX[snapshot] == "pq/"


def test_snapshot_posts_read_as_traditional_text_without_markup():
    first = first_snapshot_posts(pq.posts(), hint="fetch github:agora0/22q1")
    assert len(first) == 50
    assert [p for p, _ in first] == sorted(p for p, _ in first)
    reports = [(path, raw) for path, raw in first if pq.is_report(raw)]
    assert 30 <= len(reports) < 50   # the first 50 hold podcasts and columns too
    for path, raw in reports:
        item = pq.pq_item(path, raw)
        assert item.title and len(item.text) > 200, path
        assert item.lang == "zh-Hant", path
        markup_left = "<" in item.text or "first appeared" in item.text or "pqn" in item.text
        assert not markup_left, path


def test_draw_takes_the_reports_of_the_given_snapshot_only():
    try:
        found = list(draw._snapshot_posts([pq.OUTLET]))
    except SnapshotMissing as exc:
        pytest.skip(f"snapshot absent (fetch github:agora0/22q1): {exc}")
    assert found and {snap for snap, _, _ in found} == {"agora0+22q1"}
    assert all(item.source == pq.OUTLET and pq.is_post(path) for _, path, item in found)
    assert len(found) < sum(1 for _ in pq.posts())   # podcasts and columns are left out


LATER = ("agora0+22q2", "agora0+22q3", "agora0+23q2", "agora0+23q4", "agora0+24q1", "agora0+24q3",
         "agora0+24q4")


@pytest.mark.parametrize("snapshot", LATER)
def test_later_quarters_have_the_same_layout(snapshot):
    assert snapshot in pq.SNAPSHOTS
    first = first_snapshot_posts(pq.posts(snapshot), hint=f"fetch github:{snapshot.replace('+', '/')}")
    reports = [(path, raw) for path, raw in first if pq.is_report(raw)]
    assert 30 <= len(reports) < 50, snapshot   # podcasts and columns among the first 50
    for path, raw in reports:
        item = pq.pq_item(path, raw)
        assert item.title and len(item.text) > 200, path
        assert item.lang == "zh-Hant" and item.article_id.startswith(f"pq/{path[7:17]}#0-"), path
        # "<" stays where the text writes it (年齡 <65 歲): no tag is left
        markup_left = re.search(r"</?[a-z][^>]*>", item.text) or "first appeared" in item.text
        assert not markup_left and "pqn" not in item.text, path


def test_the_last_quarters_feed_summaries_are_left_out():
    posts = first_snapshot_posts(pq.posts("agora0+24q4"), n=10_000, hint="fetch github:agora0/24q4")
    on_desk = [raw for _, raw in posts
               if pq.section(front_matter(raw)[0].get("link", "")) in pq.REPORT_SECTIONS]
    reports = [raw for raw in on_desk if pq.is_report(raw)]
    assert len(on_desk) - len(reports) == 8
    assert all("<p" not in front_matter(raw)[1] and len(front_matter(raw)[1]) < 200
               for raw in on_desk if raw not in reports)


def test_draw_takes_the_reports_of_several_snapshots_each_once():
    try:
        found = list(draw._snapshot_posts([pq.OUTLET], pq_snapshot=("agora0+24q3", "agora0+24q4")))
        third = list(draw._snapshot_posts([pq.OUTLET], pq_snapshot="agora0+24q3"))
    except SnapshotMissing as exc:
        pytest.skip(f"snapshot absent (fetch github:agora0/24q3 and 24q4): {exc}")
    assert {snap for snap, _, _ in found} == {"agora0+24q3", "agora0+24q4"}
    assert [f for f in found if f[0] == "agora0+24q3"] == third
    assert len({path for _, path, _ in found}) == len(found)
    again = list(draw._snapshot_posts([pq.OUTLET], pq_snapshot=("agora0+24q3", "agora0+24q3")))
    assert again == third


def test_draw_by_an_excerpt_pattern_keeps_posts_whose_annotated_text_matches():
    """`draw.py --excerpt-pattern`: the writing a batch is drawn for (a mission written from 駐) is
    in the excerpt that is read, not only somewhere in the post; it replaces the country filter."""
    pattern = r"駐[^，。、；：「」（）\s]{1,10}(代表處|辦事處)"
    try:
        found = draw.candidates([pq.OUTLET], "zh-Hant", excerpt_pattern=pattern)
    except SnapshotMissing as exc:
        pytest.skip(f"snapshot absent (fetch github:agora0/22q1): {exc}")
    assert found and all(re.search(pattern, c["text"]) for c in found)
    gold = {"pq/2022-02-24#0-564dae55", "pq/2022-03-16#0-8131d102", "pq/2022-01-05#0-aaf80d65"}
    assert gold <= {c["id"] for c in found}   # drawn into the gold as 2026-12-05l from this pool
