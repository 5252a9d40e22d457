"""Posts of 立場新聞 (Stand News, Hong Kong, closed December 2021) in the agora0/21q2 snapshot
(github.com/agora0/21q2: "零博客 2021.Q2", a Jekyll site republishing several Chinese-language
publications, April-June 2021) as relevance-set style items.

Each post is one file `_posts/YYYY-MM-DD-STAND-<slug>.html`: a YAML front matter (title, date,
link, categories, author) and the article as HTML paragraphs. Its text is those paragraphs, one
line per paragraph, without the headline. `author` is the byline field: 立場報道 marks the
newsroom's own reports (the rest are columns, readers' letters and reposts of other outlets)."""
from __future__ import annotations

import re
from typing import Iterator, Tuple

from tests.data.relevance.sources import Item, _clean, _id, _posts, chinese_script

SNAPSHOT = "agora0+21q2"
PREFIX = "stand/"
OUTLET = "立場新聞"
NEWSROOM = "立場報道"
_PATH = re.compile(r"^_posts/(\d{4}-\d{2}-\d{2})-STAND-.+\.html$")
_FIELD = re.compile(r"^(\w+):[ \t]*(.*?)[ \t]*$", re.M)


def front_matter(raw: str) -> Tuple[dict, str]:
    """(fields, body) of a post: the fields of its front matter between the two `---` lines."""
    if not raw.startswith("---\n"):
        raise ValueError("no front matter")
    head, sep, body = raw[4:].partition("\n---\n")
    if not sep:
        raise ValueError("front matter not closed")
    fields = {key: value.strip('"') for key, value in _FIELD.findall(head)}
    return fields, body


def stand_item(path: str, raw: str) -> Item:
    match = _PATH.match(path)
    if not match:
        raise ValueError(f"{path}: not a Stand News post of the snapshot")
    fields, body = front_matter(raw)
    title = _clean(fields.get("title", ""))
    text = _clean(re.sub(r"</p>", "</p>\n", body))
    return Item(_id(f"{PREFIX}{match.group(1)}", 0, title), chinese_script(title + text), OUTLET,
                title, text)


def author(raw: str) -> str:
    return front_matter(raw)[0].get("author", "")


def posts() -> Iterator[Tuple[str, str]]:
    """(path, raw page) of the snapshot's Stand News posts, in path order."""
    return _posts(SNAPSHOT, lambda path: bool(_PATH.match(path)))
