"""Stage 1 — feeds: fetch each feed, parse it with feedparser (JSON Feed: transforms/json_feed.py),
one FeedEntry per item.

A feed that cannot be fetched or parsed becomes one `rejected` row (stage=feeds); an item
without a usable link becomes a `rejected` row of its own. An item one feed document lists
again (the same page: same canonical URL, whatever its guid) is one entry: the first listing
is kept, the later ones are no entries and no rows, only counted (`FeedRows.repeated`, the
summary's "listed again"). Every mode reads feeds through `parse_feed`, so every mode does so."""
from __future__ import annotations

import calendar
import collections
import hashlib
import dataclasses
import datetime as dt
import html
import io
import re
import threading
import time
from typing import Any, Dict, List, Optional, Tuple, Union
from urllib.parse import urljoin

import apache_beam as beam
import feedparser

from cfnews.schemas import FeedEntry, FeedSource, Reason, Rejected, Stage, utc_now
from cfnews.transforms.bylines import feed_authors
from cfnews.transforms.common import MAIN, REJECTED, count, run_stage
from cfnews.transforms.inflight import ConcurrentStageDoFn, host_of
from cfnews.transforms.http import FetchError, HttpConfig, RetryLater, http_get
from cfnews.transforms.json_feed import parse_json_feed
from cfnews.transforms.urls import article_id_for, canonical_url, item_id_of

# Reasons that describe a whole feed, not an entry: they do not count as entries seen.
FEED_LEVEL_REASONS = frozenset({Reason.FEED_UNREACHABLE.value, Reason.FEED_HTTP_ERROR.value,
                                Reason.FEED_UNPARSEABLE.value, Reason.FEED_EMPTY.value})

_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def clean_inline_html(value: str) -> str:
    """Plain text of a title/summary that may carry HTML tags and entities."""
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", value or ""))).strip()


def _struct_to_utc(value) -> Optional[dt.datetime]:
    if not value:
        return None
    try:
        return dt.datetime.fromtimestamp(calendar.timegm(value), tz=dt.timezone.utc)
    except (OverflowError, ValueError, TypeError):
        return None


def _entry_link(entry, base_url: str) -> str:
    link = entry.get("link") or ""
    if not link:
        for candidate in entry.get("links") or []:
            if candidate.get("rel", "alternate") == "alternate" and candidate.get("href"):
                link = candidate["href"]
                break
    if not link and str(entry.get("id", "")).startswith(("http://", "https://")):
        link = entry["id"]
    return urljoin(base_url, link.strip()) if link else ""


class FeedRows(list):
    """The rows of one feed document (FeedEntry and Rejected), with `repeated`: how many of
    its items were listings of a page the document had already listed (dropped, counted)."""
    repeated: int = 0


def parse_feed(source: FeedSource, body: Union[bytes, str], headers: Optional[dict] = None,
               discovered_at: Optional[dt.datetime] = None) -> FeedRows:
    """Entries (and per-entry rejections) of one feed document, each page once (an item
    whose article id an earlier item of the document already has is a repeat: counted in
    `repeated`, not returned); one feed-level rejection if the document holds no entries."""
    discovered_at = discovered_at or utc_now()
    headers = dict(headers or {})
    headers.setdefault("content-location", source.url)
    # Always a stream: given bytes or str, feedparser first tries to open them as a file name
    # (and a str that looks like a URL, to fetch it), so a feed whose body is "/etc/passwd"
    # or "/dev/zero" would be read from the worker's disk.
    data = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    parsed = parse_json_feed(data, href=source.url) or feedparser.parse(
        io.BytesIO(data), response_headers=headers, sanitize_html=True, resolve_relative_uris=True)
    base_url = parsed.get("href") or source.url
    if not parsed.entries:
        if parsed.get("bozo") and not parsed.get("version"):
            error = repr(parsed.get("bozo_exception", "not a feed"))
            return FeedRows([Rejected(stage=Stage.FEEDS.value, reason=Reason.FEED_UNPARSEABLE.value,
                                      outlet=source.outlet, url=source.url, feed_url=source.url,
                                      error=error[:2000], discovered_at=discovered_at)])
        return FeedRows([Rejected(
            stage=Stage.FEEDS.value, reason=Reason.FEED_EMPTY.value, outlet=source.outlet,
            url=source.url, feed_url=source.url,
            error=f"feed version {parsed.get('version') or 'unknown'} with no entries",
            discovered_at=discovered_at)])
    results = FeedRows()
    listed = set()
    not_ids = _ids_naming_several_pages(parsed.entries, base_url)
    for entry in parsed.entries:
        row = _to_entry(source, entry, base_url, discovered_at, not_ids)
        if row.article_id in listed:  # the same page again (its link, or a link-less twin)
            results.repeated += 1
            continue
        listed.add(row.article_id)
        results.append(row)
    return results


def _canonical_or_empty(link: str) -> str:
    try:
        return canonical_url(link) if link else ""
    except ValueError:
        return ""


def _author_names(entry) -> List[str]:
    """feedparser's names of an item's authors (dc:creator, Atom <author><name>, RSS <author>'s
    name part), without their e-mail addresses."""
    names = [str(a.get("name") or "") for a in entry.get("authors") or () if isinstance(a, dict)]
    if not any(names):
        detail = entry.get("author_detail") or {}
        names = [str(detail.get("name") or entry.get("author") or "")]
    return [n for n in names if n.strip()]


def _ids_naming_several_pages(entries, base_url) -> set:
    """Entry ids that one feed document gives to items with different links: a CMS stamping
    one guid on every item (the site's name or address). Such an id identifies nothing, so
    those items are told apart by their canonical URL; taken as the same entry, all but the
    first were dropped or folded (`feed_guid`) under their own pages' ids, never fetched, for
    good."""
    pages = {}
    for entry in entries:
        link = _entry_link(entry, base_url)
        entry_id = str(entry.get("id") or link or "").strip()
        canonical = _canonical_or_empty(link)
        if entry_id and canonical:
            pages.setdefault(entry_id, set()).add(canonical)
    return {entry_id for entry_id, found in pages.items() if len(found) > 1}


def _to_entry(source, entry, base_url, discovered_at,
              not_ids=frozenset()) -> Union[FeedEntry, Rejected]:
    link = _entry_link(entry, base_url)
    entry_id = str(entry.get("id") or link or "").strip()
    title = clean_inline_html(entry.get("title", ""))[:1000]
    # a date outside the trusted range (schemas/records.py: before 1990, or more than two days
    # ahead) is judged by the records themselves, as for a backfill's: published_at None,
    # the source's value kept in published_raw
    published = _struct_to_utc(entry.get("published_parsed") or entry.get("updated_parsed"))
    try:
        canonical = canonical_url(link) if link else ""
    except ValueError:
        canonical = ""
    if not canonical:
        # no URL to derive an id from: the feed and the entry's own id (or title) stand in,
        # so the same link-less entry is recognised on the next poll
        pseudo_id = article_id_for(f"{source.url}#{entry_id or title}")
        return Rejected(stage=Stage.FEEDS.value, reason=Reason.ENTRY_NO_LINK.value,
                        outlet=source.outlet, url=link, feed_url=source.url,
                        entry_id=entry_id, article_id=pseudo_id, title=title, published_at=published,
                        discovered_at=discovered_at,
                        error="entry has no absolute http(s) link")
    entry_id = canonical if entry_id in not_ids else (entry_id or link)
    return FeedEntry(outlet=source.outlet, feed_url=source.url, entry_id=entry_id, url=link,
                     article_id=article_id_for(canonical), canonical_url=canonical, title=title,
                     summary=clean_inline_html(entry.get("summary", ""))[:5000],
                     published_at=published, discovered_at=discovered_at,
                     language_hint=source.language,
                     item_id=item_id_of(source.item_id_rule, canonical),
                     authors=feed_authors(_author_names(entry)))


def count_repeated(n: int) -> None:
    """Items a feed document listed again (one entry each, written once): the summary's
    `entries.repeated`, so the listings a feed had are all accounted for."""
    if n:
        count("cfnews.entries", "repeated", n)


def _feed_failure(source: FeedSource, exc: FetchError, discovered_at) -> FeedRows:
    reason = {Reason.HTTP_ERROR: Reason.FEED_HTTP_ERROR, Reason.TOO_LARGE: Reason.FEED_UNPARSEABLE,
              Reason.BAD_ENCODING: Reason.FEED_UNPARSEABLE}.get(exc.reason, Reason.FEED_UNREACHABLE)
    return FeedRows([Rejected(stage=Stage.FEEDS.value, reason=reason.value, outlet=source.outlet,
                              url=source.url, feed_url=source.url, http_status=exc.status,
                              error=f"{exc.reason.value}: {exc}", discovered_at=discovered_at)])


def fetch_feed(source: FeedSource, config: HttpConfig = HttpConfig()) -> FeedRows:
    """Fetch and parse one feed; failures become one feed-level rejection."""
    discovered_at = utc_now()
    try:
        response = http_get(source.url, config, extra_headers={
            "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5"})
    except FetchError as exc:
        return _feed_failure(source, exc, discovered_at)
    return parse_feed(source, response.body, response.headers, discovered_at)


@dataclasses.dataclass(frozen=True)
class PollResult:
    """One conditional poll of a feed."""
    status: str                          # 'ok' | 'not_modified' | 'failed' | 'held'
    results: Tuple = ()                  # FeedEntry and Rejected rows ('ok'); the rejection ('failed')
    etag: str = ""
    last_modified: str = ""
    content_hash: str = ""
    retry_after: Optional[float] = None  # 'failed' with a Retry-After: seconds asked to wait
    repeated: int = 0                    # 'ok': listings of a page the document listed before


def poll_feed(source: FeedSource, config: HttpConfig = HttpConfig(), etag: str = "",
              last_modified: str = "", conditional: bool = True) -> PollResult:
    """Fetch a feed with If-None-Match / If-Modified-Since (when `conditional` and validators
    are known); a 304 is 'not_modified'."""
    discovered_at = utc_now()
    headers = {"Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5"}
    if conditional and etag:
        headers["If-None-Match"] = etag
    if conditional and last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        response = http_get(source.url, config, extra_headers=headers)
    except FetchError as exc:
        return PollResult("failed", tuple(_feed_failure(source, exc, discovered_at)),
                          etag=etag, last_modified=last_modified, retry_after=exc.retry_after)
    if response.status == 304:
        return PollResult("not_modified", etag=etag, last_modified=last_modified)
    digest = hashlib.sha256(response.body).hexdigest()
    rows = parse_feed(source, response.body, response.headers, discovered_at)
    return PollResult("ok", tuple(rows), etag=response.headers.get("etag", ""),
                      last_modified=response.headers.get("last-modified", ""),
                      content_hash=digest, repeated=rows.repeated)


class _ReadFeedFn(ConcurrentStageDoFn):
    """Feeds are fetched concurrently (transforms/inflight.py), emitted in input order."""
    stage = Stage.FEEDS

    def __init__(self, http_config: HttpConfig):
        super().__init__(http_config.max_in_flight, http_config.per_host_concurrency)
        self.http_config = http_config

    def host(self, source: FeedSource) -> str:
        return host_of(source.url)

    def work(self, source: FeedSource) -> FeedRows:
        return fetch_feed(source, self.http_config)

    def after(self, source: FeedSource, results: List) -> None:
        entries = sum(1 for r in results
                      if not (isinstance(r, Rejected) and r.reason in FEED_LEVEL_REASONS))
        count("cfnews.entries", "seen", entries)
        count_repeated(getattr(results, "repeated", 0))
        count("cfnews.feeds", "polled")


@dataclasses.dataclass
class ReadFeeds(beam.PTransform):
    """FeedSource -> (FeedEntry, Rejected). Feeds are spread over workers before fetching."""
    http_config: HttpConfig = dataclasses.field(default_factory=HttpConfig)

    def expand(self, sources):
        sources = sources | "SpreadFeeds" >> beam.Reshuffle()
        return run_stage(sources, "FetchAndParseFeed", _ReadFeedFn(self.http_config))


# ---------------------------------------------------------------- streaming polling

class _LastPolls:
    """Per worker process: each feed's validators and the rows of its last full answer, so a
    304 yields those rows again (the keyed seen-state downstream drops what it has emitted).
    Losing them (another worker, a restart) costs one unconditional fetch, never an entry:
    what was emitted is decided by the keyed state alone, committed with the output."""

    MAX_FEEDS = 4096

    def __init__(self):
        self._lock = threading.Lock()
        self._polls: "collections.OrderedDict[str, PollResult]" = collections.OrderedDict()

    def get(self, url: str) -> Optional[PollResult]:
        with self._lock:
            return self._polls.get(url)

    def put(self, url: str, result: PollResult) -> None:
        with self._lock:
            self._polls[url] = result
            self._polls.move_to_end(url)
            while len(self._polls) > self.MAX_FEEDS:
                self._polls.popitem(last=False)


LAST_POLLS = _LastPolls()
# feed url -> monotonic time before which its server asked (Retry-After) not to be polled; per
# worker process, like LAST_POLLS (the local runs keep theirs in DIR/_state: pipeline/continuous.py)
_HELD_UNTIL: Dict[str, float] = {}
# a Retry-After is honoured up to a week (an HTTP date years ahead is a server's mistake)
MAX_RETRY_AFTER_HOLD = 7 * 24 * 3600.0


def poll_feed_again(source: FeedSource, config: HttpConfig = HttpConfig()) -> PollResult:
    """Poll a feed conditionally with the validators of this process's last poll of it; a
    304 comes back as 'not_modified' with the rows of that last poll. A feed whose server
    answered with a Retry-After longer than a fetch waits is not polled again before it:
    'held', no rows."""
    if _HELD_UNTIL.get(source.url, 0.0) > time.monotonic():
        return PollResult("held")
    last = LAST_POLLS.get(source.url)
    result = poll_feed(source, config, last.etag if last else "",
                       last.last_modified if last else "")
    if result.status == "failed" and result.retry_after:
        _HELD_UNTIL[source.url] = time.monotonic() + min(result.retry_after,
                                                         MAX_RETRY_AFTER_HOLD)
    else:
        _HELD_UNTIL.pop(source.url, None)
    if result.status == "ok" and (result.etag or result.last_modified):
        LAST_POLLS.put(source.url, result)
    elif result.status == "not_modified" and last is not None:
        return dataclasses.replace(last, status="not_modified")
    return result


class _PollFeedFn(ConcurrentStageDoFn):
    """(feed url, FeedSource) -> (feed url, PollResult); feeds are polled concurrently through
    the process's fetch pool (transforms/inflight.py); feed-level failures go out as
    rejections at once (they are not entries: no seen-state applies)."""
    stage = Stage.FEEDS

    def __init__(self, http_config: HttpConfig):
        super().__init__(http_config.max_in_flight, http_config.per_host_concurrency)
        self.http_config = http_config

    def host(self, element) -> str:
        return host_of(element[1].url)

    def work(self, element) -> List:
        url, source = element
        try:
            result = poll_feed_again(source, self.http_config)
        except RetryLater:
            raise  # the scheduler runs the poll again when the host's pause ends
        except Exception as exc:  # never let one feed stop the stream
            return [Rejected(stage=Stage.FEEDS.value, reason=Reason.INTERNAL_ERROR.value,
                             outlet=source.outlet, url=source.url, feed_url=source.url,
                             error=f"{type(exc).__name__}: {exc}")]
        feed_level = [r for r in result.results
                      if isinstance(r, Rejected) and r.reason in FEED_LEVEL_REASONS]
        items = tuple(r for r in result.results if not (
            isinstance(r, Rejected) and r.reason in FEED_LEVEL_REASONS))
        return feed_level + [(url, dataclasses.replace(result, results=items))]

    def after(self, element, results: List) -> None:
        if any(not isinstance(r, Rejected) and r[1].status == "held" for r in results):
            count("cfnews.feeds", "held")  # not polled: its server's Retry-After
            return
        count("cfnews.feeds", "polled")
        # a 304 hands back the last answer's rows: only a document read now is counted
        count_repeated(sum(r[1].repeated for r in results
                           if not isinstance(r, Rejected) and r[1].status == "ok"))
        if any(not isinstance(r, Rejected) and r[1].status == "not_modified" for r in results):
            count("cfnews.feeds", "not_modified")


class _NewEntriesOnlyFn(beam.DoFn):
    """Keyed by feed URL: emits only the entries of a poll not seen within `seen_ttl` seconds
    (event time); the seen ids are the feed's state. An id the state does not hold is looked
    up in what earlier runs wrote under --out (`history_dir`, as the batch runs' DropSeen
    does): a streaming job started afresh on a folder (its state empty) writes no row twice."""
    SEEN = beam.transforms.userstate.ReadModifyWriteStateSpec("seen", beam.coders.PickleCoder())

    def __init__(self, seen_ttl: float, history_dir: Optional[str] = None, job_key: str = ""):
        self.seen_ttl = seen_ttl
        self.history_dir = history_dir
        self.job_key = job_key
        self.history = None

    def setup(self):
        if self.history_dir:
            from cfnews.transforms.history import open_history
            self.history = open_history(self.history_dir, f"stream-{self.job_key}")

    def process(self, element, timestamp=beam.DoFn.TimestampParam,
                seen=beam.DoFn.StateParam(SEEN)):
        _url, result = element
        now = float(timestamp)
        known = {k: t for k, t in (seen.read() or {}).items() if t >= now - self.seen_ttl}
        for item in result.results:
            if item.article_id and item.article_id in known:
                continue
            known[item.article_id] = now
            count("cfnews.entries", "seen")
            if item.article_id and self.history is not None and self.history.seen(item.article_id):
                count("cfnews.entries", "already_seen")
                continue
            yield beam.pvalue.TaggedOutput(REJECTED, item) if isinstance(item, Rejected) else item
        seen.write(known)


@dataclasses.dataclass
class PollFeedsStateful(beam.PTransform):
    """(feed url, FeedSource) ticks -> (new FeedEntry, Rejected), for unbounded pipelines.
    A tick's feeds are polled concurrently (per-host limits and pauses held across the
    process's pool); the seen ids per feed are keyed state, and an id the state lacks is
    looked up in `history_dir` (the output folder; None: not looked up)."""
    http_config: HttpConfig = dataclasses.field(default_factory=HttpConfig)
    seen_ttl: float = 30 * 86400.0
    history_dir: Optional[str] = None
    job_key: str = ""

    def expand(self, keyed_sources):
        polled, failed = run_stage(keyed_sources, "PollFeed", _PollFeedFn(self.http_config))
        # a declared str key gives the state a deterministic key coder
        out = (polled | "KeyedByFeed" >> beam.Map(lambda kv: kv).with_output_types(Tuple[str, Any])
               | "NewEntriesOnly" >> beam.ParDo(_NewEntriesOnlyFn(
                   self.seen_ttl, self.history_dir, self.job_key)).with_input_types(
                   Tuple[str, Any]).with_outputs(REJECTED, main=MAIN))
        rejected = (failed, out[REJECTED]) | "AllPollRejections" >> beam.Flatten()
        return out[MAIN], rejected
