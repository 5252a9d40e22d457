"""Stage 3 — extract: the page becomes an Article (trafilatura: text, author, date, site name;
transforms/titles.py: the headline, chosen among the page's and the feed's titles). Backfill
lines that supplied plain text skip trafilatura and keep the title they give.

trafilatura has reported crashes when `extract` runs on several threads at once, and Beam
runs DoFns on several threads per worker: every call goes through one process-wide lock.
Parallelism comes from processes (multi_processing / one SDK process per core), not threads."""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
import threading
from typing import Iterable, Optional, Union

import apache_beam as beam

from schemas import Article, Page, Reason, Rejected, Stage

from transforms.common import StageDoFn, distribution, run_stage
from transforms.titles import tidy, title_from_html

_TRAFILATURA_LOCK = threading.Lock()
MIN_CHARS = 200


def load_trafilatura():
    import trafilatura  # imported lazily: heavy, and only extract workers need it
    return trafilatura


def _parse_date(value: Optional[str]) -> Optional[dt.datetime]:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.astimezone(dt.timezone.utc)


def split_authors(value: Optional[str]) -> tuple:
    if not value:
        return ()
    parts = re.split(r"\s*(?:;|,|\band\b|\bet\b|&)\s*", value)
    seen = []
    for part in (p.strip() for p in parts):
        if part and part not in seen:
            seen.append(part)
    return tuple(seen)


def normalise_text(text: str) -> str:
    """Paragraphs separated by one newline, no trailing spaces, no empty lines."""
    lines = (re.sub(r"[ \t]+", " ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def drop_leading_headline(text: str, titles) -> str:
    """trafilatura often keeps the <h1> as the first line: the body should not repeat it."""
    first, _, rest = text.partition("\n")
    wanted = {t.strip().casefold() for t in titles if t and t.strip()}
    return rest if rest and first.strip().casefold() in wanted else text


def extract_article(page: Page, min_chars: int = MIN_CHARS) -> Union[Article, Rejected]:
    entry = page.entry
    common = dict(article_id=entry.article_id, url=entry.url, canonical_url=entry.canonical_url,
                  outlet=entry.outlet, feed_url=entry.feed_url, entry_id=entry.entry_id,
                  discovered_at=entry.discovered_at, fetched_at=page.fetched_at,
                  summary=entry.summary, published_raw=entry.published_raw,
                  source="backfill" if (entry.html is not None or entry.text is not None) else "feed")
    if entry.text is not None:
        text = normalise_text(entry.text)
        if len(text) < min_chars:
            return Rejected.for_entry(entry, Stage.EXTRACT, Reason.TOO_SHORT,
                                      error=f"{len(text)} characters < {min_chars}")
        return Article(title=entry.title, text=text, published_at=entry.published_at, **common)
    if not page.html.strip():
        return Rejected.for_entry(entry, Stage.EXTRACT, Reason.EXTRACTION_FAILED,
                                  error="empty page")
    with _TRAFILATURA_LOCK:
        document = load_trafilatura().bare_extraction(
            page.html, url=page.final_url, with_metadata=True, include_comments=False,
            include_tables=False)
    text = normalise_text(document.text or "") if document is not None else ""
    site_name = (document.sitename or "").strip() if document is not None else ""
    # The feed's title is one candidate among the page's: feeds repeat the page's furniture.
    title = title_from_html(page.html, url=page.final_url or entry.url, feed_title=entry.title,
                            outlet=entry.outlet, site_name=site_name) \
        or tidy(entry.title) or tidy(document.title if document is not None else "")
    text = drop_leading_headline(text, (title, entry.title, document.title if document else ""))
    if not text:
        return Rejected.for_entry(entry, Stage.EXTRACT, Reason.EXTRACTION_FAILED,
                                  error="trafilatura found no main text")
    if len(text) < min_chars:
        return Rejected.for_entry(entry, Stage.EXTRACT, Reason.TOO_SHORT,
                                  error=f"{len(text)} characters < {min_chars}")
    return Article(
        title=title,
        text=text,
        published_at=entry.published_at or _parse_date(document.date),
        authors=split_authors(document.author),
        site_name=site_name,
        **common)


class _ExtractFn(StageDoFn):
    stage = Stage.EXTRACT

    def __init__(self, min_chars: int):
        self.min_chars = min_chars

    def setup(self):
        load_trafilatura()

    def handle(self, page: Page) -> Iterable:
        result = extract_article(page, self.min_chars)
        if isinstance(result, Article):
            distribution("cfnews.extract", "text_chars", len(result.text or ""))
        yield result


@dataclasses.dataclass
class ExtractArticles(beam.PTransform):
    """Page -> (Article, Rejected)."""
    min_chars: int = MIN_CHARS

    def expand(self, pages):
        return run_stage(pages, "ExtractArticle", _ExtractFn(self.min_chars))
