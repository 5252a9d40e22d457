"""Plain records passed between stages. Frozen dataclasses: stages return new records
(`dataclasses.replace`), never mutate their input, which Beam may have shared."""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Optional, Tuple


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def utc_from_iso(value) -> Optional[dt.datetime]:
    """An ISO 8601 / RFC 3339 time ("...Z", an offset, or none: read as UTC) as an aware UTC
    datetime; None for anything else."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text[-1:] in ("Z", "z"):   # Python 3.10's fromisoformat does not read "Z"
        text = text[:-1] + "+00:00"
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.astimezone(dt.timezone.utc)


# Publication times outside [EARLIEST_PUBLISHED, now + FUTURE_PUBLISHED] are not trusted
# (year 1, 9999, clocks of misconfigured CMSs): they would make partitions no one asked for.
EARLIEST_PUBLISHED = dt.datetime(1990, 1, 1, tzinfo=dt.timezone.utc)
FUTURE_PUBLISHED = dt.timedelta(days=2)


def _trust_published(record) -> None:
    """Every record's __post_init__: an untrusted published_at becomes None (the partition
    date then falls back to discovery time) and what the source said is kept, as ISO text, in
    published_raw for debugging."""
    published = record.published_at
    if published is None:
        return
    aware = published if published.tzinfo else published.replace(tzinfo=dt.timezone.utc)
    if EARLIEST_PUBLISHED <= aware <= utc_now() + FUTURE_PUBLISHED:
        return
    object.__setattr__(record, "published_raw", published.isoformat())
    object.__setattr__(record, "published_at", None)


@dataclasses.dataclass(frozen=True)
class FeedSource:
    """One feed to poll, as listed in feeds.yaml."""
    outlet: str                      # outlet id: [a-z0-9][a-z0-9_-]*, used as a partition value
    url: str
    language: str                    # the outlet's main language: en, fr, zh, ...
    country: str                     # ISO 3166-1 alpha-2 of the outlet
    name: str = ""
    state_affiliated: bool = False
    section: str = ""
    # a regular expression with one capture group: the outlet's item id in the canonical URL
    # (feeds.yaml `item_id`; "" when the outlet has none). Articles of one outlet whose URLs
    # hold the same item id are one story (transforms/dedup.py: item_key)
    item_id_rule: str = ""


@dataclasses.dataclass(frozen=True)
class FeedEntry:
    """One item of a feed (or one backfill manifest line) on its way to becoming an article."""
    outlet: str
    feed_url: str
    entry_id: str                    # feed guid/id, else the link
    url: str                         # the entry's link, absolute
    article_id: str                  # stable id from the canonical URL
    canonical_url: str
    title: str = ""
    summary: str = ""
    published_at: Optional[dt.datetime] = None
    discovered_at: dt.datetime = dataclasses.field(default_factory=utc_now)
    language_hint: str = ""          # the feed's declared language
    # backfill only: content supplied instead of fetched
    html: Optional[str] = None
    text: Optional[str] = None
    published_raw: Optional[str] = None  # an untrusted publication time, as the source said
    item_id: str = ""                # the outlet's item id in the URL, by its feed's item_id rule
    authors: Tuple[str, ...] = ()    # the feed's credit (dc:creator, <author>): for a bylineless page

    def __post_init__(self):
        _trust_published(self)

    @property
    def brings_content(self) -> bool:
        """A backfill line's or WARC record's entry: its HTML or text came with it, nothing
        is fetched."""
        return self.html is not None or self.text is not None


@dataclasses.dataclass(frozen=True)
class Page:
    """A fetched (or supplied) HTML page for one entry."""
    entry: FeedEntry
    html: str
    final_url: str
    http_status: Optional[int] = None
    fetched_at: Optional[dt.datetime] = None


@dataclasses.dataclass(frozen=True)
class Entity:
    text: str
    label: str                       # PERSON, ORG, GPE, LOC, NORP, EVENT, MONEY, DATE, ...
    start: int                       # character offsets into Article.text
    end: int
    kb_id: Optional[str] = None      # Wikidata QID or local id, once linked
    canonical: Optional[str] = None


@dataclasses.dataclass(frozen=True)
class Article:
    """An extracted article. Stages fill fields as it flows: language, relevance, dedup, entities."""
    article_id: str
    url: str
    canonical_url: str
    outlet: str
    feed_url: str
    entry_id: str
    title: str
    text: str
    discovered_at: dt.datetime
    published_at: Optional[dt.datetime] = None
    fetched_at: Optional[dt.datetime] = None
    summary: str = ""
    authors: tuple = ()
    site_name: str = ""
    language: str = ""               # ISO 639-1 ('en', 'fr', 'zh'), 'und' if undetermined
    language_confidence: float = 0.0
    relevance: Optional[float] = None
    relevance_terms: tuple = ()
    relevance_reason: Optional[str] = None   # why the topic filter kept (or scored) it, briefly
    cluster_id: str = ""             # id of the copy cluster (the canonical article's id)
    story_id: str = ""               # id of the story: copies and rewrites of one source share it
    entities: tuple = ()             # tuple[Entity, ...]
    topics: tuple = ()               # topic/sector tags, e.g. ('nuclear', 'trade')
    source: str = "feed"             # 'feed' or 'backfill'
    # (sampled hashes, level, counts): set by dedup, stored with the article for later runs
    fingerprint: Optional[tuple] = None
    published_raw: Optional[str] = None  # an untrusted publication time, as the source said
    item_id: str = ""                # the outlet's item id (FeedEntry.item_id), "" for none

    def __post_init__(self):
        _trust_published(self)

    @property
    def event_time(self) -> dt.datetime:
        return self.published_at or self.discovered_at


@dataclasses.dataclass(frozen=True)
class Duplicate:
    """A later copy of a story already written to `articles`."""
    article: Article
    canonical_id: str                # the cluster's article in `articles`
    cluster_id: str
    method: str                      # 'canonical_url' | 'near_duplicate'
    matched_id: str                  # the earlier copy this one matched (may itself be a duplicate)
    containment: float               # share of the shorter text found in the canonical one
    jaccard: float
    shared_fingerprints: int


@dataclasses.dataclass(frozen=True)
class Rejected:
    """Dead letter: an entry (or feed) that did not become an article, and why."""
    stage: str                       # a schemas.reasons.Stage value
    reason: str                      # a schemas.reasons.Reason value
    outlet: str
    url: str
    at: dt.datetime = dataclasses.field(default_factory=utc_now)
    feed_url: str = ""
    entry_id: str = ""
    article_id: str = ""
    title: str = ""
    http_status: Optional[int] = None
    error: str = ""
    relevance: Optional[float] = None
    published_at: Optional[dt.datetime] = None
    discovered_at: Optional[dt.datetime] = None
    source: str = "feed"
    published_raw: Optional[str] = None  # an untrusted publication time, as the source said
    # a fetch rejection of a streaming job that fetched the page again itself: the attempt it
    # gave up at, earlier runs' failures counted (MAX_ATTEMPTS); None for one fetch of a run
    attempt: Optional[int] = None

    def __post_init__(self):
        _trust_published(self)

    @staticmethod
    def for_entry(entry: "FeedEntry", stage, reason, error: str = "",
                  http_status: Optional[int] = None, relevance: Optional[float] = None,
                  title: Optional[str] = None) -> "Rejected":
        return Rejected(
            stage=getattr(stage, "value", stage), reason=getattr(reason, "value", reason),
            outlet=entry.outlet, url=entry.url, feed_url=entry.feed_url,
            entry_id=entry.entry_id, article_id=entry.article_id,
            title=entry.title if title is None else title, http_status=http_status,
            error=error[:2000], relevance=relevance, published_at=entry.published_at,
            discovered_at=entry.discovered_at, published_raw=entry.published_raw,
            source="backfill" if entry.brings_content else "feed")

    @staticmethod
    def for_article(article: Article, stage, reason, error: str = "",
                    relevance: Optional[float] = None) -> "Rejected":
        return Rejected(
            stage=getattr(stage, "value", stage), reason=getattr(reason, "value", reason),
            outlet=article.outlet, url=article.url, feed_url=article.feed_url,
            entry_id=article.entry_id, article_id=article.article_id, title=article.title,
            error=error[:2000], relevance=relevance, published_at=article.published_at,
            discovered_at=article.discovered_at, source=article.source,
            published_raw=article.published_raw)
