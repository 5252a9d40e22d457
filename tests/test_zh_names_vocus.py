"""The reader of Vocus 方格子 posts (tests/data/zh_names/vocus.py), on pages written by hand in the
three editors' markup of the agora0 quarterly snapshots, through the gold's per-snapshot reader,
the draw's public-affairs rule and, where the snapshots are present, on their posts."""
import re

import pytest

from tests.conftest import first_snapshot_posts
from tests.data.relevance.sources import SnapshotMissing
from tests.data.zh_names import draw, pq, sources, vocus

PATH = "_posts/2022-03-09-VOCUS-測試標題.html"
HEAD = """---
layout: post
title: 測試標題──法國選舉
date: 2022-03-09 17:12:29.000000000 +00:00
link: https://vocus.cc/article/62276874fd8978000110d7a4
categories: vocus
tags: blog
author: 測試者
---

"""
DRAFT = HEAD + """<blockquote class="draft-block draft--blockquote">
            法國總統大選將在四月舉行。
          </blockquote>
<div class="draft-block draft--p left">
				<h3><a href="https://vocus.cc/article/61ed">德國大選回顧 | 測試者 - vocus</a></h3><img src="https://images.vocus.cc/a.jpg"><figcaption class="imageCaption draft-block" style="cursor:text;display:block">柏林街景</figcaption>
          </div>
<div class="draft-block draft--p left">
            <strong>馬克宏</strong>宣布參選，<a href="https://zh.wikipedia.org/wiki/x" target="_blank" class="draft--a">國民議會</a>多數<br>仍未確定。
          </div>
<img src="https://images.vocus.cc/b.jpg"><figcaption class="imageCaption draft-block" style="cursor:text;display:block">里昂的集會</figcaption>
<div class="hr__AtomHrContainer-sc-1afmttx-0 ZmUQI draft-block"><pre class="hr__HrWrapper-sc-1afmttx-1 bHwnUx draft--hr"><hr class="hr__Hr-sc-1afmttx-2 dTIYWL"></pre></div>
<div class="draft-block draft--p left">
            延伸閱讀：<a href="https://vocus.cc/article/1" class="draft--a">西班牙的選舉</a>、<a href="https://vocus.cc/article/2" class="draft--a">義大利的選舉</a>
          </div>
<div class="draft-block draft--p left">
            1. <a href="https://vocus.cc/article/3" class="draft--a">比利時的選舉</a>
          </div>
<div class="draft-block draft--p left">
            喜歡我的文章按讚追蹤加分享！
          </div>
<div class="draft-block draft--p left">
            瑞士的制度另有特色。
          </div>
"""
LEXICAL = HEAD + (
    '<div class="article-container"><h2 class="graf--h3" dir="ltr"><b><strong class="lexical__textBold">'
    '台灣的立法院</strong></b></h2><div class="graf--img center"><div class="lexical__imageWrapper">'
    '<img src="https://images.vocus.cc/c.jpg" alt="高雄港的貨輪"></div><div class="captionTheme__wrapper">'
    '<p class="captionTheme__paragraph">高雄港的貨輪</p></div></div><div class="lexical__image center">'
    '<div class="lexical__imageWrapper"><img src="x.jpg"><div class="lexical__image_source">'
    '<a href="https://unsplash.com/@x">臺南 on Unsplash</a></div></div><div></div></div>'
    '<p class="lexical__paragraph" dir="ltr"><br></p><p class="lexical__paragraph" dir="ltr">'
    '<span style="white-space: pre-wrap;">行政院</span><span style="white-space: pre-wrap;">昨日'
    '提出預算，</span><a href="https://example.org"><span>監察院</span></a><span>表示關切。</span></p>'
    '<div><a classname="embed-wrapper" href="https://vocus.cc/article/undefined" target="_blank">'
    '<div classname="embed-title">花蓮的影片</div></a></div>'
    '<iframe src="https://www.youtube.com/embed/x">金門</iframe>'
    '<p class="graf--p" dir="ltr"><span>歡迎大家追蹤我，你們的鼓勵是我的動力！</span></p>'
    '<p class="graf--p" dir="ltr"><span>考試院的角色</span><b>有限</b>。</p></div>')


def test_draft_post_is_its_blocks_without_captions_cards_link_lines_or_promotions():
    item = vocus.vocus_item(PATH, DRAFT)
    assert item.text == ("法國總統大選將在四月舉行。\n馬克宏宣布參選，國民議會多數\n仍未確定。\n"
                         "瑞士的制度另有特色。")
    for left_out in ("德國", "柏林", "里昂", "西班牙", "義大利", "比利時", "按讚"):
        assert left_out not in item.text, left_out
    assert item.title == "測試標題──法國選舉"
    assert item.source == "Vocus 方格子" and item.lang == "zh-Hant"
    assert item.article_id.startswith("vocus/2022-03-09#0-")


def test_lexical_post_is_its_paragraphs_without_captions_credits_embeds_or_promotions():
    item = vocus.vocus_item(PATH, LEXICAL)
    assert item.text == "台灣的立法院\n行政院昨日提出預算，監察院表示關切。\n考試院的角色有限。"
    for left_out in ("高雄", "臺南", "Unsplash", "花蓮", "金門", "追蹤"):
        assert left_out not in item.text, left_out


def test_a_promotion_is_a_request_to_the_reader_not_a_word_of_politics():
    for line in ("喜歡我的文章按讚追蹤加分享！", "歡迎訂閱我的頻道", "（想看以前的文章可以去付費訂閱～）",
                 "你將會是其中的一個贊助我文章的人！", "記得幫我按讚加追蹤～"):
        assert vocus.PROMOTION.search(line), line
    for line in ("一些政黨的護航粉專開始抨擊排隊的人民", "企業家，藝術贊助者，創辦博物館。",
                 "當局邀請各國分享經驗。", "粉絲支持，極其量是取得名聲的橋樑。"):
        assert not vocus.PROMOTION.search(line), line


def test_public_affairs_rule_needs_an_area_three_affairs_words_and_prose():
    prose = "文" * 200
    assert vocus.is_public_affairs("香港政府回應立法會議員的質詢。" + prose)
    assert not vocus.is_public_affairs("日本政府回應國會議員的質詢。" + prose)      # no area named
    assert not vocus.is_public_affairs("香港政府回應市民的質詢。" + prose)          # one affairs word
    assert not vocus.is_public_affairs("香港政府回應立法會議員的質詢。")            # too short
    assert vocus.names_excluded_source("轉載自眾新聞") and vocus.names_excluded_source(
        '<a href="https://matters.news/@x">x</a>')
    assert not vocus.names_excluded_source("香港政府回應")


def test_the_gold_picks_the_reader_by_path_in_the_quarterly_snapshots():
    pq_path = "_posts/2022-02-13-PQ-測試標題.html"
    pq_page = HEAD.replace("vocus.cc/article/62276874fd8978000110d7a4",
                           "pourquoi.tw/2022/02/14/intlnews-euaf-2/") + "<p>台灣與法國簽署協議。</p>"
    for snapshot in vocus.SNAPSHOTS:
        assert sources.READERS[snapshot](PATH, DRAFT) == vocus.vocus_item(PATH, DRAFT)
        assert sources.READERS[snapshot](pq_path, pq_page) == pq.pq_item(pq_path, pq_page)
    with pytest.raises(ValueError):
        vocus.vocus_item(pq_path, pq_page)
    with pytest.raises(ValueError):
        list(vocus.posts("agora0+21q2"))   # flattened posts: captions cannot be told apart


def test_post_key_is_the_vocus_id():
    assert vocus.post_key(DRAFT) == "62276874fd8978000110d7a4"
    user = DRAFT.replace("article/", "user/@someone/")
    assert vocus.post_key(user) == "62276874fd8978000110d7a4"


@pytest.mark.parametrize("snapshot", vocus.SNAPSHOTS)
def test_snapshot_posts_read_without_markup(snapshot):
    first = first_snapshot_posts(vocus.posts(snapshot), hint=f"fetch github:{snapshot.replace('+', '/')}")
    assert len(first) == 50
    for path, raw in first:
        item = vocus.vocus_item(path, raw)
        assert item.article_id.startswith(f"vocus/{path[7:17]}#0-"), path
        assert not re.search(r"</?[a-z][^>]*>", item.text) and "\x02" not in item.text, path


def test_draw_takes_each_vocus_post_once():
    try:
        found = list(draw._snapshot_posts([vocus.OUTLET], vocus_snapshot=("agora0+22q1", "agora0+22q1")))
    except SnapshotMissing as exc:
        pytest.skip(f"snapshot absent (fetch github:agora0/22q1): {exc}")
    assert found and {snap for snap, _, _ in found} == {"agora0+22q1"}
    assert all(item.source == vocus.OUTLET and vocus.is_post(path) for _, path, item in found)
    assert len(found) == len({path for _, path, _ in found})
    assert not any(item.source == pq.OUTLET for _, _, item in found)


def test_the_vocus_batch_is_dev_and_its_outlet_in_no_test_article():
    gold = sources.load_gold()
    batch = [a for a in gold if a.get("added") == "2026-12-05n"]
    assert len(batch) == 12 and {a["split"] for a in batch} == {"dev"}
    assert {a["outlet"] for a in batch} == {vocus.OUTLET} and {a["script"] for a in batch} == {"zh-Hant"}
    assert {a["snapshot"] for a in batch} <= set(vocus.SNAPSHOTS)
    assert all(vocus.is_post(a["path"]) and a["id"].startswith(vocus.PREFIX) for a in batch)
    assert vocus.OUTLET not in {a["outlet"] for a in gold if a["split"] != "dev"}
