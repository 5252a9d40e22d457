"""Posts of 報呱 (pourquoi.tw, Pourquoi, a Taiwanese web outlet) in the agora0 quarterly
snapshots (github.com/agora0/22q1, /22q2, /22q3, /23q1, /23q2, /23q4, /24q1, /24q3, /24q4: "零博客
2022.Q1" and so on, the Jekyll sites that also republish In-Media, Initium, Matters and Vocus) as
relevance-set style items. Every quarter has the same layout.

Each post is one file `_posts/YYYY-MM-DD-PQ-<slug>.html`: the YAML front matter of the other
outlets' posts (title, date, link, categories, author) and the page's WordPress blocks. The
outlet's news desks are named by the first word of the post's link slug (`intlnews-seasia-...`,
`taiwan-20220106-2`, `taiwan-news-...`, `russian-...`, `military-...`); the other posts are
podcasts (`podcast-world-ep90`), signed columns and features with English slugs: is_report tells
the newsroom's reports from them. The last days of a snapshot may hold only the feed's summary of a
post (a line of plain text, no paragraph markup: 8 reports of 28-31 December 2024 in 24q4), which
is no article: is_report leaves those out too.

The text is the body's paragraphs, one line per paragraph (a `<br>` also breaks a line), without
the headline. Inline markup (links, bold, italics) is dropped without breaking the paragraph.
Left out: image captions (`<figcaption>`), the outlet's link lines (`<p class="pqnsource">`, or
a plain paragraph opening with 前情提要 or 延伸閱讀: titles of its other articles), the list of the
sources used (from a paragraph opening with 參考新聞來源, 參考來源 or 資料來源 to the end),
embedded tweets and videos, and the feed's closing line "The post ... first appeared on pourquoi
報呱".
Kept: the outlet's own notes and boxes inside the article (`pqnote`, `pqpoint`, 報呱小教室)."""
from __future__ import annotations

import re
from typing import Iterator, Tuple

from tests.data.relevance.sources import Item, _clean, _id, _posts, chinese_script
from tests.data.zh_names.stand import front_matter

SNAPSHOTS = ("agora0+22q1", "agora0+23q1", "agora0+22q2", "agora0+22q3", "agora0+23q2",
             "agora0+23q4", "agora0+24q1", "agora0+24q3", "agora0+24q4")
SNAPSHOT = "agora0+22q1"
PREFIX = "pq/"
OUTLET = "報呱"
# first word of the link slug of the news desks' posts (itlnews: a typo the outlet made in some)
REPORT_SECTIONS = ("intlnews", "itlnews", "taiwan", "russian", "russia", "russiam", "military")
_PATH = re.compile(r"^_posts/(\d{4}-\d{2}-\d{2})-PQ-.+\.html$")
_LEFT_OUT = re.compile(
    r"<figcaption\b.*?</figcaption>"
    r"|<p class=\"pqnsource\".*?</p>"
    r"|<p>\s*(?:<strong>\s*)?(?:前情提要|延伸閱讀).*?</p>"
    r"|<blockquote class=\"twitter-tweet\".*?</blockquote>"
    r"|<figure class=\"wp-block-embed\b.*?</figure>"
    r"|<p>The post <a\b.*?</p>", re.S | re.I)
# the list of the sources used closes the article: it and everything after it are left out
_SOURCES = re.compile(r"<p>\s*(?:<strong>\s*)?(?:參考新聞來源|參考來源|資料來源)")
_INLINE = re.compile(r"</?(a|strong|b|em|i|span|u|sup|sub|mark|font)\b[^>]*>", re.I)


def is_post(path: str) -> bool:
    return bool(_PATH.match(path))


def section(link: str) -> str:
    """The first word of a post's link slug: https://pourquoi.tw/2022/01/04/intlnews-seasia-2/
    and https://pourquoi.tw/taiwan-20230103-1/?utm_source=rss give intlnews and taiwan."""
    slug = [part for part in link.split("?", 1)[0].split("/") if part][-1]
    return re.split(r"[-_]|(?<=[a-z])(?=\d)", slug, maxsplit=1)[0].lower()


def is_report(raw: str) -> bool:
    """Whether the post is one of the news desks' reports (not a podcast, column or feature), its
    page whole (not the feed's plain-text summary of it)."""
    fields, body = front_matter(raw)
    return section(fields.get("link", "")) in REPORT_SECTIONS and "<p" in body


def pq_item(path: str, raw: str) -> Item:
    """The post at `path` of a 報呱 snapshot as an item."""
    match = _PATH.match(path)
    if not match:
        raise ValueError(f"{path}: not a 報呱 post of the snapshot")
    fields, body = front_matter(raw)
    body = _INLINE.sub("", _LEFT_OUT.sub("\n", _SOURCES.split(body, 1)[0]))
    title = _clean(fields.get("title", ""))
    text = _clean(re.sub(r"</p>", "</p>\n", body))
    return Item(_id(f"{PREFIX}{match.group(1)}", 0, title), chinese_script(title + text), OUTLET,
                title, text)


def posts(snapshot: str = SNAPSHOT) -> Iterator[Tuple[str, str]]:
    """(path, raw page) of the snapshot's 報呱 posts, in path order."""
    if snapshot not in SNAPSHOTS:
        raise ValueError(f"{snapshot}: not a 報呱 snapshot")
    return _posts(snapshot, is_post)
