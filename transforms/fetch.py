"""Stage 2 — fetch: GET each entry's article page (or take the HTML a backfill line supplied).
Many pages are fetched at once per worker (transforms/inflight.py), emitted in input order."""
from __future__ import annotations

import dataclasses
from typing import Iterable, Union

import apache_beam as beam

from cfnews.schemas import FeedEntry, Page, Reason, Rejected, Stage, utc_now
from cfnews.transforms.common import run_stage
from cfnews.transforms.inflight import ConcurrentStageDoFn, host_of
from cfnews.transforms.http import (FetchError, HttpConfig, decode_html, http_get,
                                    not_text_problem)

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


def looks_like_html(body: bytes) -> bool:
    head = body[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<html" in head


def fetch_page(entry: FeedEntry, config: HttpConfig = HttpConfig()) -> Union[Page, Rejected]:
    """The entry's page, or a rejection naming the HTTP status or error class."""
    if entry.html is not None or entry.text is not None:  # backfill: content supplied
        return Page(entry=entry, html=entry.html or "", final_url=entry.url)
    try:
        response = http_get(entry.url, config, check_robots=True)
    except FetchError as exc:
        return Rejected.for_entry(entry, Stage.FETCH, exc.reason, error=str(exc),
                                  http_status=exc.status)
    content_type = response.content_type
    if content_type not in HTML_TYPES and not (
            content_type in ("", "text/plain", "application/octet-stream")
            and looks_like_html(response.body)):
        return Rejected.for_entry(entry, Stage.FETCH, Reason.NOT_HTML,
                                  error=f"content type {content_type or 'missing'}",
                                  http_status=response.status)
    html = decode_html(response.body, response.headers.get("content-type", ""))
    problem = not_text_problem(html)
    if problem:  # binary data under an HTML content type
        return Rejected.for_entry(entry, Stage.FETCH, Reason.NOT_HTML, error=f"body is {problem}",
                                  http_status=response.status)
    return Page(entry=entry, html=html, final_url=response.url, http_status=response.status,
                fetched_at=utc_now())


class _FetchFn(ConcurrentStageDoFn):
    stage = Stage.FETCH

    def __init__(self, http_config: HttpConfig):
        super().__init__(http_config.max_in_flight, http_config.per_host_concurrency)
        self.http_config = http_config

    def host(self, entry: FeedEntry) -> str:
        return host_of(entry.url)

    def work(self, entry: FeedEntry) -> Iterable:
        return [fetch_page(entry, self.http_config)]


@dataclasses.dataclass
class FetchPages(beam.PTransform):
    """FeedEntry -> (Page, Rejected)."""
    http_config: HttpConfig = dataclasses.field(default_factory=HttpConfig)

    def expand(self, entries):
        return run_stage(entries, "FetchPage", _FetchFn(self.http_config))
