"""Posts of 獨立媒體 (inmediahk.net, Hong Kong In-Media) in the agora0/21q4 snapshot
(github.com/agora0/21q4, "零博客 2021.Q4", the Jekyll site that also republishes Stand News:
see stand.py) as relevance-set style items. The snapshot holds 32 of them, of 29-31 December 2021.

Each post is one file `_posts/YYYY-MM-DD-INMEDIA-<slug>.html`: the same YAML front matter as the
snapshot's Stand posts (title, date, link, categories, author) and the page's Drupal fields: a
banner `<img>`, the article's body field (`field-name-body`: its paragraphs, opening with the
red byline "（獨媒報導）") and, on most posts, a tag field (`field-name-taxonomy-...`: a label
and links to topic pages), which is not article text and is left out. The text is the body's
paragraphs, one line per paragraph, without the headline. `author` is the byline field: 獨媒報導
marks the newsroom's own reports (all 32 posts of the snapshot)."""
from __future__ import annotations

import re
from typing import Iterator, Tuple

from tests.data.relevance.sources import Item, _posts
from tests.data.zh_names.stand import author, front_matter, post_item  # noqa: F401 (author: the same field)

SNAPSHOT = "agora0+21q4"
PREFIX = "inmedia/"
OUTLET = "獨立媒體"
NEWSROOM = "獨媒報導"
_PATH = re.compile(r"^_posts/(\d{4}-\d{2}-\d{2})-INMEDIA-.+\.html$")
# a Drupal field after the body (tags): everything from its opening on is left out
_AFTER_BODY = re.compile(r'<div class="field field-name-(?!body\b)[\w-]+', re.I)


def is_post(path: str) -> bool:
    return bool(_PATH.match(path))


def inmedia_item(path: str, raw: str) -> Item:
    """The post at `path` of the snapshot as an item."""
    match = _PATH.match(path)
    if not match:
        raise ValueError(f"{path}: not an In-Media post of the snapshot")
    fields, body = front_matter(raw)
    if 'field-name-body' not in body:
        raise ValueError(f"{path}: no body field")
    return post_item(PREFIX, match.group(1), OUTLET, fields, _AFTER_BODY.split(body, 1)[0])


def posts() -> Iterator[Tuple[str, str]]:
    """(path, raw page) of the snapshot's In-Media posts, in path order."""
    return _posts(SNAPSHOT, is_post)
