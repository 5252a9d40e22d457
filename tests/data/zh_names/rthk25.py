"""RTHK 香港電台 posts of November 2025 in the agora0/2511 snapshot (github.com/agora0/2511: a
Jekyll site republishing the Chinese services of several news outlets, 2025.11) as relevance-set
style items.

Each post is one file `_posts/YYYY-MM-DD-RTHK-<slug>.md`: a YAML front matter (title, date, link,
categories) and the article as plain-text paragraphs separated by blank lines. Its text is those
paragraphs, one line per paragraph, without the headline. (The November 2024 RTHK posts of
agora0/pen are read by pen.py.)"""
from __future__ import annotations

import re
from typing import Iterator, Tuple

from tests.data.relevance.sources import Item, _clean, _id, _posts, chinese_script
from tests.data.zh_names.stand import front_matter

SNAPSHOT = "agora0+2511"
PREFIX = "rthk25/"
OUTLET = "RTHK 香港電台"
_PATH = re.compile(r"^_posts/(\d{4}-\d{2}-\d{2})-RTHK-.+\.md$")


def rthk_item(path: str, raw: str) -> Item:
    match = _PATH.match(path)
    if not match:
        raise ValueError(f"{path}: not an RTHK post of the snapshot")
    fields, body = front_matter(raw.replace("\r\n", "\n"))
    title = _clean(fields.get("title", ""))
    text = _clean(body)
    return Item(_id(f"{PREFIX}{match.group(1)}", 0, title), chinese_script(title + text), OUTLET,
                title, text)


def posts() -> Iterator[Tuple[str, str]]:
    """(path, raw page) of the snapshot's RTHK posts, in path order."""
    return _posts(SNAPSHOT, lambda path: bool(_PATH.match(path)))
