"""Stage 3 — extract: the page becomes an Article (trafilatura: text, author, date, site name;
transforms/titles.py: the headline, chosen among the page's and the feed's titles;
transforms/bodies.py: the body, trafilatura's text checked against readability's and trimmed of
boilerplate). Backfill lines that supplied plain text skip trafilatura and keep the title they give.

Dates come from the page's markup only (metadata, JSON-LD, <time>, date-marked elements, the URL,
an ISO timestamp): htmldate's extensive search, which takes a bare year from running text
("since its 2022 invasion" -> 2022-01-01), is off, so a page without a stated date falls back to
the feed's date or to discovery time instead of a guess. The time of day and the offset the page
states are kept (htmldate's default output is the date alone, which made every page's time
midnight UTC of its local date, a day early for an evening story west of Greenwich); a date
without a time stays midnight UTC.

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

from cfnews.schemas import Article, Page, Reason, Rejected, Stage, utc_from_iso

from cfnews.transforms.bodies import choose_body, drop_boilerplate, readability_text
from cfnews.transforms.common import StageDoFn, distribution, run_stage
from cfnews.transforms.bylines import split_authors
from cfnews.transforms.titles import tidy, tidy_site_name, title_from_html

_TRAFILATURA_LOCK = threading.Lock()
MIN_CHARS = 200
# htmldate's output: the date, the time and the offset when the page states them (a date alone
# reads 00:00:00 without an offset, taken as UTC)
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"


def load_trafilatura():
    import trafilatura  # imported lazily: heavy, and only extract workers need it
    return trafilatura


def date_params() -> dict:
    """htmldate's settings: the original publication date, from markup only (no extensive search
    of the text, which guesses dates from years mentioned in passing)."""
    return {"original_date": True, "extensive_search": False,
            "max_date": dt.date.today().isoformat(), "outputformat": DATE_FORMAT}


def _parse(html: str):
    """The page as an lxml tree for the second extractor, or None when lxml cannot read it."""
    import lxml.etree
    import lxml.html
    try:
        return lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return None


def _parse_date(value: Optional[str]) -> Optional[dt.datetime]:
    return utc_from_iso(value)


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
                  summary=entry.summary, published_raw=entry.published_raw, item_id=entry.item_id,
                  source="backfill" if entry.brings_content else "feed")
    if entry.text is not None:
        text = normalise_text(entry.text)
        if len(text) < min_chars:
            return Rejected.for_entry(entry, Stage.EXTRACT, Reason.TOO_SHORT,
                                      error=f"{len(text)} characters < {min_chars}")
        return Article(title=entry.title, text=text, published_at=entry.published_at,
                       authors=entry.authors, **common)
    if not page.html.strip():
        return Rejected.for_entry(entry, Stage.EXTRACT, Reason.EXTRACTION_FAILED,
                                  error="empty page")
    doc = _parse(page.html)  # one parse, read by the title choice, then consumed by readability
    with _TRAFILATURA_LOCK:
        # fast: trafilatura's own fallback (readability, jusText) is skipped; the vote below
        # runs readability once instead.
        document = load_trafilatura().bare_extraction(
            page.html, url=page.final_url, fast=True, with_metadata=True,
            include_comments=False, include_tables=True, date_extraction_params=date_params())
    text = normalise_text(document.text or "") if document is not None else ""
    site_name = tidy_site_name(document.sitename) if document is not None else ""
    # The feed's title is one candidate among the page's: feeds repeat the page's furniture.
    title = title_from_html(doc if doc is not None else page.html,
                            url=page.final_url or entry.url, feed_title=entry.title,
                            outlet=entry.outlet, site_name=site_name) \
        or tidy(entry.title) or tidy(document.title if document is not None else "")
    titles = (title, entry.title, document.title if document else "")
    second = ""
    if doc is not None:
        with _TRAFILATURA_LOCK:  # readability ships inside trafilatura: same rule
            second = normalise_text(readability_text(doc))
    text = choose_body(drop_boilerplate(drop_leading_headline(text, titles)),
                       drop_boilerplate(drop_leading_headline(second, titles)))
    if not text:
        return Rejected.for_entry(entry, Stage.EXTRACT, Reason.EXTRACTION_FAILED,
                                  error="trafilatura and readability found no main text")
    if len(text) < min_chars:
        return Rejected.for_entry(entry, Stage.EXTRACT, Reason.TOO_SHORT,
                                  error=f"{len(text)} characters < {min_chars}")
    return Article(
        title=title,
        text=text,
        published_at=entry.published_at or _parse_date(document.date if document else None),
        authors=split_authors(document.author if document else None) or entry.authors,
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
