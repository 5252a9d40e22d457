"""Posts of Vocus 方格子 (vocus.cc, a Taiwanese writing platform) in the agora0 quarterly snapshots
(github.com/agora0/22q1, /22q2, /22q3, /23q2, /23q4, /24q1, /24q3: the Jekyll sites "零博客" that
also republish 報呱, In-Media, Initium and Matters; pq.py reads the same snapshots) as
relevance-set style items.

Each post is one file `_posts/YYYY-MM-DD-VOCUS-<slug>.html`: the YAML front matter of the other
outlets' posts (title, date, link, categories, author; `tags: blog`) and the page's blocks, in
one of three editors' markup: Draft.js blocks (`<div class="draft-block draft--p ...">`, 22q1 to
23q2), Medium-like `graf--p` paragraphs in an `article-container`, and Lexical paragraphs
(`lexical__paragraph`; 23q4 to 24q3). The 2021 snapshots (agora0/21q1 to 21q4) hold Vocus posts
flattened to plain `<p>` lines, where an image caption cannot be told from a paragraph: they are
not read here.

The text is the body's blocks, one line per block (a `<br>` also breaks a line), without the
headline; inline markup (links, bold, spans) is dropped without breaking the line. Left out:
image captions (`<figcaption>`, Lexical's `captionTheme` paragraphs, image credits
`lexical__image_source`), link cards (a heading that is one link, with its image and caption),
embeds and iframes, rules (`<hr>` in `<pre>`), link lines (a block whose words are all inside
links: lists of the author's other posts, "延伸閱讀" lines of titles) and promotion lines (a block
asking readers to subscribe, follow, like, share or sponsor: PROMOTION)."""
from __future__ import annotations

import re
from typing import Iterator, Tuple

from tests.data.relevance.sources import Item, _clean, _id, _posts, chinese_script
from tests.data.zh_names.stand import front_matter

# the quarters whose Vocus posts keep their editor's markup (captions marked), in draw order
SNAPSHOTS = ("agora0+22q1", "agora0+22q2", "agora0+22q3", "agora0+23q2", "agora0+23q4",
             "agora0+24q1", "agora0+24q3")
PREFIX = "vocus/"
OUTLET = "Vocus 方格子"
_PATH = re.compile(r"^_posts/(\d{4}-\d{2}-\d{2})-VOCUS-.+\.html$")
_LEFT_OUT = re.compile(
    r"<figcaption\b.*?</figcaption>"
    r"|<p class=\"captionTheme__paragraph\".*?</p>"
    r"|<div class=\"lexical__image_source\">.*?</div>"
    r"|<(h[1-6])\b[^>]*>\s*<a\b[^>]*>.*?</a>\s*</\1>"
    r"|<a classname=\"embed-wrapper\".*?</a>"
    r"|<iframe\b.*?</iframe>"
    r"|<pre\b.*?</pre>", re.S | re.I)
_LINK = re.compile(r"<a\b[^>]*>(.*?)</a>", re.S | re.I)
_INLINE = re.compile(r"</?(strong|b|em|i|span|u|del|s|sup|sub|code|mark|font)\b[^>]*>", re.I)
# a link's words are marked while the blocks are cut into lines, so a line of links only is seen
_OPEN, _CLOSE = "\x02", "\x03"
_MARKED = re.compile(rf"{_OPEN}[^{_OPEN}{_CLOSE}]*{_CLOSE}")
_LINK_LEAD = re.compile(r"延伸閱讀|相關文章|推薦閱讀|參考(?:資料|連結|文章)|閱讀更多|全文")
PROMOTION = re.compile(r"歡迎.{0,10}(?:追蹤|訂閱)|(?:請|記得|懇請|幫我)(?:幫忙)?.{0,4}(?:追蹤|訂閱|按讚)|"
                       r"追蹤我|訂閱我|贊助我|打賞|請我喝|小額支持|支持我的創作|付費訂閱|"
                       r"加入(?:會員|沙龍)|按讚")


def is_post(path: str) -> bool:
    return bool(_PATH.match(path))


def body_text(body: str) -> str:
    """The blocks of a post's body as lines of plain text (see the module's docstring)."""
    body = _LEFT_OUT.sub("\n", body)
    body = _LINK.sub(lambda m: _OPEN + m.group(1) + _CLOSE, body)
    body = _INLINE.sub("", body)
    lines = []
    for line in _clean(body).split("\n"):
        if _MARKED.search(line) and not re.search(r"[^\W\d_]", _LINK_LEAD.sub("", _MARKED.sub("", line))):
            continue   # a link line: all its words inside links
        line = line.replace(_OPEN, "").replace(_CLOSE, "").strip()
        if line and not PROMOTION.search(line):
            lines.append(line)
    return "\n".join(lines)


def vocus_item(path: str, raw: str) -> Item:
    """The post at `path` of a Vocus snapshot as an item."""
    match = _PATH.match(path)
    if not match:
        raise ValueError(f"{path}: not a Vocus post of the snapshot")
    fields, body = front_matter(raw)
    title = _clean(fields.get("title", ""))
    text = body_text(body)
    return Item(_id(f"{PREFIX}{match.group(1)}", 0, title), chinese_script(title + text), OUTLET,
                title, text)


def post_key(raw: str) -> str:
    """The post's own id on vocus.cc (the link's last part): a post found in two quarters'
    snapshots has one key."""
    link = front_matter(raw)[0].get("link", "")
    return link.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


def author(raw: str) -> str:
    return front_matter(raw)[0].get("author", "")


# A draw's rule, fixed before any post was read (SOURCES.md, 2026-12-05n): the writing is about
# public affairs of China, Hong Kong, Taiwan, France or Europe when its annotated excerpt names one
# of AREAS and holds at least AFFAIRS_MIN distinct AFFAIRS words, in at least PROSE_MIN Chinese
# characters; reposts that name 眾新聞 (HKCNews, a reserved publisher) or Matters (test's outlet)
# anywhere in the page are never candidates.
AREAS = ("中國", "中共", "香港", "台灣", "臺灣", "法國", "歐洲", "歐盟")
AFFAIRS = ("政府", "總統", "選舉", "立法", "國會", "議會", "議員", "外交", "政策", "政黨", "部長",
           "官員", "總理", "首相", "抗議", "示威", "法院", "國安", "民主", "執政", "制裁", "政權")
AFFAIRS_MIN = 3
PROSE_MIN = 200
_HAN = re.compile(r"[\u3400-\u9fff]")
_EXCLUDED = re.compile(r"眾新聞|hkcnews|matters\.news|matters\.town|Matters", re.I)


def is_public_affairs(excerpt: str) -> bool:
    return (any(area in excerpt for area in AREAS)
            and sum(word in excerpt for word in AFFAIRS) >= AFFAIRS_MIN
            and len(_HAN.findall(excerpt)) >= PROSE_MIN)


def names_excluded_source(raw: str) -> bool:
    return bool(_EXCLUDED.search(raw))


def posts(snapshot: str) -> Iterator[Tuple[str, str]]:
    """(path, raw page) of the snapshot's Vocus posts, in path order."""
    if snapshot not in SNAPSHOTS:
        raise ValueError(f"{snapshot}: not a snapshot whose Vocus posts are read")
    return _posts(snapshot, is_post)
