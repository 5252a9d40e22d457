"""Posts of 立場新聞 (Stand News, Hong Kong, closed December 2021) in the agora0/21q1, 21q2, 21q3
and 21q4 snapshots (github.com/agora0/21q1 to /21q4: "零博客 2021.Q1" to "2021.Q4", Jekyll sites
republishing several Chinese-language publications; their Stand posts are of March, April-June,
July-September and October-December 2021) as relevance-set style items.

Each post is one file `_posts/YYYY-MM-DD-STAND-<slug>.html`: a YAML front matter (title, date,
link, categories, author) and the article as HTML paragraphs. Its text is those paragraphs, one
line per paragraph, without the headline. `author` is the byline field: 立場報道 marks the
newsroom's own reports (the rest are columns, readers' letters and reposts of other outlets).

The reader is picked per snapshot. In 21q1 and 21q2 a post opens with a bare `<img>`. In 21q3
every post opens with a `<figure>` whose `<figcaption>`, when there is one (most newsroom
reports), is the photo's caption or credit ("圖片來源：..."), and images in the body carry captions
too; 21q3's reader leaves the captions out, so its text is the article's paragraphs, as in 21q2
(whose texts, and so its gold, stay as they were: the 21q1/21q2 reader is unchanged). 21q4's posts
are laid out as 21q3's (the same front matter fields, a `<figure>` opening the post, captions in
`<figcaption>`), and are read by the same reader."""
from __future__ import annotations

import re
from typing import Iterator, Tuple

from tests.data.relevance.sources import Item, _clean, _id, _posts, chinese_script

SNAPSHOTS = ("agora0+21q1", "agora0+21q2", "agora0+21q3", "agora0+21q4")
# the snapshots whose posts carry <figcaption> captions, left out of the text
CAPTIONED = ("agora0+21q3", "agora0+21q4")
SNAPSHOT = "agora0+21q2"
PREFIX = "stand/"
OUTLET = "立場新聞"
NEWSROOM = "立場報道"
_PATH = re.compile(r"^_posts/(\d{4}-\d{2}-\d{2})-STAND-.+\.html$")
_FIELD = re.compile(r"^(\w+):[ \t]*(.*?)[ \t]*$", re.M)
_CAPTION = re.compile(r"<figcaption\b.*?</figcaption>", re.S | re.I)


def front_matter(raw: str) -> Tuple[dict, str]:
    """(fields, body) of a post: the fields of its front matter between the two `---` lines."""
    if not raw.startswith("---\n"):
        raise ValueError("no front matter")
    head, sep, body = raw[4:].partition("\n---\n")
    if not sep:
        raise ValueError("front matter not closed")
    fields = {key: value.strip('"') for key, value in _FIELD.findall(head)}
    return fields, body


def stand_item(path: str, raw: str, snapshot: str = SNAPSHOT) -> Item:
    """The post at `path` of `snapshot` (one of SNAPSHOTS) as an item."""
    if snapshot not in SNAPSHOTS:
        raise ValueError(f"{snapshot}: not a Stand News snapshot")
    match = _PATH.match(path)
    if not match:
        raise ValueError(f"{path}: not a Stand News post of the snapshot")
    fields, body = front_matter(raw)
    if snapshot in CAPTIONED:
        body = _CAPTION.sub("\n", body)
    return post_item(PREFIX, match.group(1), OUTLET, fields, body)


def post_item(prefix: str, date: str, outlet: str, fields: dict, body: str) -> Item:
    """A snapshot post as an item: its front matter's title, its body's paragraphs one per line
    (also In-Media's posts of the same snapshots, inmedia.py)."""
    title = _clean(fields.get("title", ""))
    text = _clean(re.sub(r"</p>", "</p>\n", body))
    return Item(_id(f"{prefix}{date}", 0, title), chinese_script(title + text), outlet,
                title, text)


def author(raw: str) -> str:
    return front_matter(raw)[0].get("author", "")


def posts(snapshot: str = SNAPSHOT) -> Iterator[Tuple[str, str]]:
    """(path, raw page) of the snapshot's Stand News posts, in path order."""
    if snapshot not in SNAPSHOTS:
        raise ValueError(f"{snapshot}: not a Stand News snapshot")
    return _posts(snapshot, lambda path: bool(_PATH.match(path)))
