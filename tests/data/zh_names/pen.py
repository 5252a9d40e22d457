"""Posts of the agora0/pen snapshot (github.com/agora0/pen: "零新聞", a Jekyll site republishing
the Chinese services of several news outlets, November 2024) as relevance-set style items.

Each post is one HTML page under 2411/<outlet>/YYYY/MM/DD/; its text is the paragraphs of the
page's article body (`post-content`), one line per paragraph, without the headline."""
from __future__ import annotations

import re
from typing import Iterator, Tuple

from tests.data.relevance.sources import Item, _clean, _id, _posts, chinese_script

SNAPSHOT = "agora0+pen"
PREFIX = "pen/"
OUTLETS = {"rthk": "RTHK 香港電台", "rfa": "RFA 自由亞洲電台", "cna": "中央社", "dw": "德国之声",
           "nhk": "NHK", "kyodo": "共同社", "aj": "半島電視台", "nyt": "纽约时报"}
_PATH = re.compile(r"^2411/(\w+)/(\d{4})/(\d{2})/(\d{2})/.+\.html$")
_BODY = re.compile(r'<div class="post-content e-content"[^>]*>(.*?)</div>\s*<a class="u-url"', re.S)
_TITLE = re.compile(r'<h1 class="post-title[^"]*"[^>]*>(.*?)</h1>', re.S)


def pen_item(path: str, raw: str) -> Item:
    match = _PATH.match(path)
    if not match:
        raise ValueError(f"{path}: not a post of the snapshot")
    outlet, year, month, day = match.groups()
    body = _BODY.search(raw)
    title = _TITLE.search(raw)
    title = _clean(title.group(1)) if title else ""
    text = _clean(re.sub(r"</p>", "</p>\n", body.group(1))) if body else ""
    return Item(_id(f"{PREFIX}{year}-{month}-{day}", 0, title), chinese_script(title + text),
                OUTLETS.get(outlet, outlet), title, text)


def posts(outlets=None) -> Iterator[Tuple[str, str]]:
    """(path, raw page) of the snapshot's posts (of the given outlet folders), in path order."""
    def wanted(path: str) -> bool:
        match = _PATH.match(path)
        return bool(match) and (outlets is None or match.group(1) in outlets)
    return _posts(SNAPSHOT, wanted)
