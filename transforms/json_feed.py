"""JSON Feed (https://jsonfeed.org, versions 1 and 1.1) read into the shape feedparser gives an
RSS or Atom document, so the feeds stage (transforms/feeds.py) turns its items into entries by
the same code. feedparser 6 does not read JSON Feed; a plain function, no Beam here."""
from __future__ import annotations

import json
from typing import Optional

import feedparser

from cfnews.schemas import utc_from_iso

VERSION_PREFIX = "https://jsonfeed.org/version/"


def parse_json_feed(data: bytes, href: str = "") -> Optional[feedparser.FeedParserDict]:
    """The document as feedparser would give it (`entries` with id, link, title, summary,
    published_parsed/updated_parsed and authors; `version` "json1" or "json11"), or None
    when `data` is no JSON Feed (then it is left to feedparser)."""
    text = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text.startswith(b"{"):
        return None
    try:
        document = json.loads(text.decode("utf-8"))   # JSON Feed is UTF-8 by its spec
    except (ValueError, RecursionError):
        return None
    if not isinstance(document, dict) or not str(document.get("version", "")).startswith(VERSION_PREFIX):
        return None
    version = "json" + str(document["version"])[len(VERSION_PREFIX):].replace(".", "")
    items = document.get("items")
    feed_authors = _authors(document)   # an item without its own has the feed's (the spec)
    entries = [_entry(item, feed_authors) for item in (items if isinstance(items, list) else [])
               if isinstance(item, dict)]
    return feedparser.FeedParserDict(
        version=version, bozo=0, entries=entries, href=href,
        feed=feedparser.FeedParserDict(title=_text(document.get("title"))))


def _authors(holder: dict) -> list:
    """Author names: version 1.1 lists `authors`, version 1 had one `author`."""
    found = holder.get("authors") if isinstance(holder.get("authors"), list) else [holder.get("author")]
    return [feedparser.FeedParserDict(name=_text(a.get("name")))
            for a in found if isinstance(a, dict) and _text(a.get("name"))]


def _entry(item: dict, feed_authors: list) -> feedparser.FeedParserDict:
    published = _time(item.get("date_published"))
    return feedparser.FeedParserDict(
        id=_text(item.get("id")),
        link=_text(item.get("url")) or _text(item.get("external_url")),
        title=_text(item.get("title")),
        summary=_text(item.get("summary")) or _text(item.get("content_text"))
        or _text(item.get("content_html")),
        published_parsed=published,
        updated_parsed=_time(item.get("date_modified")) if published is None else None,
        authors=_authors(item) or feed_authors)


def _text(value) -> str:
    # ids may be numbers in the wild, though the spec says strings
    return str(value).strip() if isinstance(value, (str, int, float)) and not isinstance(value, bool) else ""


def _time(value):
    """RFC 3339 ("2024-01-15T12:00:00Z", with an offset, or a date) as a UTC struct_time."""
    when = utc_from_iso(value)
    return when.timetuple() if when else None
