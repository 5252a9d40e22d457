"""Stage 6 — dedup: one story, one `articles` row; later copies go to `duplicates`.

Two checks, cheapest first:
1. Same canonical URL (any outlet, any feed) -> the later entries are duplicates before any
   page is fetched (`DedupEntriesByUrl`).
2. Near-duplicate text (`DeduplicateArticles`): wire copies re-published with a new headline,
   a trimmed or extended tail, style edits. The decision is on *containment*: the share of the
   shorter text's fingerprints found in the longer one, which survives trims and additions
   where Jaccard similarity collapses.

Fingerprints: word 5-shingles (Han characters count as words) of the normalised text, hashed
to 64 bits and *sampled by value* (keep a hash iff hash % SAMPLE_MOD == 0). Value sampling is
consistent across documents, so shared samples estimate shared shingles, and every sampled
hash doubles as a candidate-generation bucket: two articles are compared only if they share a
bucket, never all pairs. A bucket with more than MAX_BUCKET members is boilerplate, not
evidence, and is skipped.

"First copy seen" in a batch run is the earliest by (published_at or discovered_at,
article_id), so two runs over the same input write the same rows."""
from __future__ import annotations

import collections
import dataclasses
import hashlib
import re
import unicodedata
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import apache_beam as beam
from apache_beam.pvalue import AsDict, TaggedOutput

from schemas import Article, Duplicate, FeedEntry
from transforms.common import MAIN, count

SHINGLE_WORDS = 5
SAMPLE_MOD = 4
CONTAINMENT_THRESHOLD = 0.5
MIN_SHARED = 3
MAX_BUCKET = 1000

DUPLICATES = "duplicates"

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_HAN}]|[^\W_{_HAN}]+")
_ABBREVIATION_DOTS = re.compile(r"(?<=\b\w)\.(?=\w\b)")
_CHAR_MAP = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                           "\u2013": "-", "\u2014": "-", "\u2011": "-", "\u00a0": " ",
                           "\u202f": " ", "\u2009": " "})


# ---------------------------------------------------------------- plain functions

def normalised_paragraphs(text: str) -> List[str]:
    """Lower-cased, NFKC-normalised paragraphs; a paragraph repeated verbatim is kept once
    so that repetition does not inflate similarity."""
    seen, out = set(), []
    for para in text.splitlines():
        para = unicodedata.normalize("NFKC", para).translate(_CHAR_MAP).lower()
        para = _ABBREVIATION_DOTS.sub("", para)  # U.S. -> US, so "U.S." and "US" agree
        key = " ".join(_TOKEN.findall(para))
        if key and key not in seen:
            seen.add(key)
            out.append(key)
    return out


def tokens(text: str) -> List[str]:
    return [tok for para in normalised_paragraphs(text) for tok in para.split(" ")]


def _hash64(value: str) -> int:
    return int.from_bytes(hashlib.blake2b(value.encode("utf-8"), digest_size=8).digest(), "big")


def fingerprint(text: str, shingle_words: int = SHINGLE_WORDS,
                sample_mod: int = SAMPLE_MOD) -> Tuple[int, ...]:
    """Sorted, unique, value-sampled 64-bit hashes of the text's word shingles."""
    toks = tokens(text)
    if len(toks) < shingle_words:
        shingles = [" ".join(toks)] if toks else []
    else:
        shingles = [" ".join(toks[i:i + shingle_words])
                    for i in range(len(toks) - shingle_words + 1)]
    sampled = {h for h in map(_hash64, shingles) if h % sample_mod == 0}
    return tuple(sorted(sampled))


def order_key(article: Article) -> Tuple[str, str]:
    """Which of two copies came first: earlier publication (else discovery), then id."""
    return (article.event_time.isoformat(), article.article_id)


@dataclasses.dataclass(frozen=True)
class Match:
    """Why an article is a duplicate of an earlier one."""
    earlier_id: str
    shared: int
    containment: float
    jaccard: float


def similarity(n_a: int, n_b: int, shared: int) -> Tuple[float, float]:
    """(containment of the smaller in the larger, Jaccard) from fingerprint counts."""
    smaller = min(n_a, n_b)
    union = n_a + n_b - shared
    return (shared / smaller if smaller else 0.0, shared / union if union else 0.0)


def pairs_in_bucket(members: Iterable[Tuple[Tuple[str, str], str, int]],
                    max_bucket: int = MAX_BUCKET):
    """For one fingerprint bucket, (later_id, (earlier_id, earlier_order, n_earlier)) for
    every ordered pair of members. Oversized buckets are skipped."""
    members = sorted(members)
    if len(members) > max_bucket:
        count("cfnews.dedup", "oversized_bucket_skipped")
        return
    for i, (_order_i, id_i, _n_i) in enumerate(members):
        for order_j, id_j, n_j in members[:i]:
            yield id_i, (id_j, order_j, n_j)


def decide(n_self: int, hits: Iterable[Tuple[str, Tuple[str, str], int]],
           threshold: float = CONTAINMENT_THRESHOLD, min_shared: int = MIN_SHARED
           ) -> Optional[Match]:
    """The earliest earlier article whose containment passes the threshold, if any."""
    shared = collections.Counter()
    info = {}
    for earlier_id, earlier_order, n_earlier in hits:
        shared[earlier_id] += 1
        info[earlier_id] = (earlier_order, n_earlier)
    passing = []
    for earlier_id, n_shared in shared.items():
        earlier_order, n_earlier = info[earlier_id]
        containment, jaccard = similarity(n_self, n_earlier, n_shared)
        if n_shared >= min_shared and containment >= threshold:
            passing.append((earlier_order, -containment,
                            Match(earlier_id, n_shared, containment, jaccard)))
    if not passing:
        return None
    return min(passing, key=lambda p: p[:2])[2]


def cluster_root(article_id: str, earlier_of: Dict[str, str]) -> str:
    """Follow duplicate -> earlier links to the article that is not a duplicate."""
    seen = {article_id}
    current = article_id
    while current in earlier_of:
        current = earlier_of[current]
        if current in seen:  # cannot happen with a strict order; guard anyway
            break
        seen.add(current)
    return current


def dedup_in_memory(articles: Sequence[Article], threshold: float = CONTAINMENT_THRESHOLD
                    ) -> Tuple[List[Article], List[Duplicate]]:
    """The same decisions as DeduplicateArticles, without Beam (tests, small batches)."""
    fps = {a.article_id: fingerprint(a.text) for a in articles}
    buckets = collections.defaultdict(list)
    for a in articles:
        for h in fps[a.article_id]:
            buckets[h].append((order_key(a), a.article_id, len(fps[a.article_id])))
    hits = collections.defaultdict(list)
    for members in buckets.values():
        for later_id, hit in pairs_in_bucket(members):
            hits[later_id].append(hit)
    matches = {}
    for a in articles:
        match = decide(len(fps[a.article_id]), hits.get(a.article_id, ()), threshold)
        if match:
            matches[a.article_id] = match
    return _assign(articles, matches)


def _assign(articles, matches: Dict[str, Match]) -> Tuple[List[Article], List[Duplicate]]:
    earlier_of = {k: m.earlier_id for k, m in matches.items()}
    kept, dups = [], []
    for a in articles:
        result = to_output(a, matches.get(a.article_id), earlier_of)
        (dups if isinstance(result, Duplicate) else kept).append(result)
    return kept, dups


def to_output(article: Article, match: Optional[Match], earlier_of: Dict[str, str]):
    if match is None:
        return dataclasses.replace(article, cluster_id=article.article_id)
    root = cluster_root(article.article_id, earlier_of)
    return Duplicate(article=dataclasses.replace(article, cluster_id=root), canonical_id=root,
                     cluster_id=root, method="near_duplicate", matched_id=match.earlier_id,
                     containment=round(match.containment, 4), jaccard=round(match.jaccard, 4),
                     shared_fingerprints=match.shared)


def entry_order(entry: FeedEntry) -> Tuple[str, str, str]:
    when = entry.published_at or entry.discovered_at
    return (when.isoformat(), entry.outlet, entry.entry_id)


def url_duplicates(entries: Iterable[FeedEntry]):
    """Of entries sharing one canonical URL, the first goes on; the rest are duplicates."""
    ordered = sorted(entries, key=entry_order)
    first = ordered[0]
    yield first
    for later in ordered[1:]:
        yield Duplicate(article=entry_as_article(later, first.article_id),
                        canonical_id=first.article_id, cluster_id=first.article_id,
                        method="canonical_url", matched_id=first.article_id,
                        containment=1.0, jaccard=1.0, shared_fingerprints=0)


def entry_as_article(entry: FeedEntry, cluster_id: str) -> Article:
    """The row for an entry never fetched (its URL was already taken): no text."""
    return Article(article_id=entry.article_id, url=entry.url, canonical_url=entry.canonical_url,
                   outlet=entry.outlet, feed_url=entry.feed_url, entry_id=entry.entry_id,
                   title=entry.title, text="", summary=entry.summary,
                   discovered_at=entry.discovered_at, published_at=entry.published_at,
                   cluster_id=cluster_id,
                   source="backfill" if (entry.html is not None or entry.text is not None) else "feed")


# ---------------------------------------------------------------- Beam wiring

class _SplitDuplicates(beam.DoFn):
    def process(self, element):
        for item in element:
            if isinstance(item, Duplicate):
                count("cfnews.dedup", "canonical_url")
                yield TaggedOutput(DUPLICATES, item)
            else:
                yield item


@dataclasses.dataclass
class DedupEntriesByUrl(beam.PTransform):
    """FeedEntry -> (FeedEntry, Duplicate): one entry per canonical URL goes on to fetching."""

    def expand(self, entries):
        out = (entries
               | "KeyByArticleId" >> beam.Map(lambda e: (e.article_id, e))
               | "GroupByUrl" >> beam.GroupByKey()
               | "FirstPerUrl" >> beam.Map(lambda kv: list(url_duplicates(kv[1])))
               | "SplitUrlDuplicates" >> beam.ParDo(_SplitDuplicates()).with_outputs(
                   DUPLICATES, main=MAIN))
        return out[MAIN], out[DUPLICATES]


def _postings(article: Article):
    fp = fingerprint(article.text)
    member = (order_key(article), article.article_id, len(fp))
    return [(h, member) for h in fp], (article.article_id, len(fp))


class _AssignFn(beam.DoFn):
    def process(self, element, earlier_of):
        _article_id, grouped = element
        matches = list(grouped["match"])
        for article in grouped["article"]:
            result = to_output(article, matches[0] if matches else None, earlier_of)
            if isinstance(result, Duplicate):
                count("cfnews.dedup", "near_duplicate")
                yield TaggedOutput(DUPLICATES, result)
            else:
                yield result


@dataclasses.dataclass
class DeduplicateArticles(beam.PTransform):
    """Article -> (Article with cluster_id, Duplicate)."""
    threshold: float = CONTAINMENT_THRESHOLD

    def expand(self, articles):
        threshold = self.threshold
        keyed = articles | "KeyById" >> beam.Map(lambda a: (a.article_id, a))
        postings = articles | "Fingerprint" >> beam.Map(_postings)
        sizes = postings | "Sizes" >> beam.Map(lambda p: p[1])
        hits = (postings
                | "Postings" >> beam.FlatMap(lambda p: p[0])
                | "GroupByBucket" >> beam.GroupByKey()
                | "PairsInBucket" >> beam.FlatMap(lambda kv: pairs_in_bucket(kv[1])))
        matches = (
            {"size": sizes, "hits": hits}
            | "GroupHitsByArticle" >> beam.CoGroupByKey()
            | "Decide" >> beam.FlatMap(lambda kv: [
                (kv[0], m) for m in [decide(next(iter(kv[1]["size"]), 0), kv[1]["hits"],
                                            threshold)] if m is not None]))
        earlier_of = matches | "EarlierOf" >> beam.Map(lambda kv: (kv[0], kv[1].earlier_id))
        out = ({"article": keyed, "match": matches}
               | "JoinMatches" >> beam.CoGroupByKey()
               | "Assign" >> beam.ParDo(_AssignFn(), AsDict(earlier_of)).with_outputs(
                   DUPLICATES, main=MAIN))
        return out[MAIN], out[DUPLICATES]
