"""Stage 6 — dedup: one text, one `articles` row; later copies go to `duplicates`; rewrites of
the same story stay in `articles` under one `story_id`.

Exact duplicates first, before any page is fetched (`DedupEntriesByUrl`): entries sharing a
canonical URL (tracking parameters, AMP/mobile hosts, trailing slashes removed), then entries
sharing an (outlet, feed guid) under different URLs, keep only their first entry. The
others are written when their first entry's fate is known (`LinkEntryDuplicates`): their
canonical_id, cluster_id and story_id are the first entry's.

Near duplicates (`DeduplicateArticles`, batch; `StreamingDeduplicate` in dedup_stream.py):
wire copies re-published with a new headline, a trimmed or extended tail, style edits and
site furniture. The decision is on *containment*, the share of the shorter text's sampled
shingles found in the longer one, which survives trims and additions where Jaccard collapses
(seeds 002/004: Jaccard about 0.4, containment about 0.85).

* Representation (transforms/fingerprint.py): normalised word 4-shingles, value-sampled 64-bit
  hashes, at most CAP per article (longer texts are sampled more sparsely, in nested levels).
* Candidates: every sampled hash is an index key, so two articles are compared only if they
  share one, never all pairs. Index entries are `Member`s, ~30 bytes each.
* Decision: article B is a copy of an earlier article A when they share at least MIN_SHARED
  sampled hashes and containment >= CONTAINMENT_THRESHOLD + SHARED_MARGIN / n
  (SAME_OUTLET_THRESHOLD + SHARED_MARGIN / n when A and B come from the same outlet, whose
  furniture and templates they share), and B was published within `expiry` (14 days) of A,
  and within SAME_OUTLET_MAX_APART_HOURS (36 h) of A when both come from one outlet (an
  outlet's daily template or a follow-up days later is another story: no copy, no story link).
  n is the number of hashes the containment is measured on (the smaller text's, at the
  coarser level of the two): a sampled containment is noisier the fewer hashes it rests on,
  so a short sample (a short text, or a text compared at a much longer one's coarse level)
  must show a clearer overlap, and a full one (96 hashes) may show less. Of several earlier
  articles B copies, B is filed under the earliest of those whose containment is within
  COPY_NEAR_BEST (0.1) of the highest, not under a far template it shares less with
  (tests/benchmarks/RESULTS.md, "Of several earlier copies"); of several story links, the earliest wins. A hash keeps
  at most MAX_BUCKET articles within the expiry (later ones are compared with those, not
  added), which bounds the work that furniture shared by many articles can cause.
* Numbers (transforms/numbers.py, issue 15): `duplicates` holds copies of ONE text; a
  recurring format's next edition (AFP's daily world tally, a daily fixing notice) keeps the
  wording and changes the figures. Each member carries its text's number sketch (contexts: 3
  tokens before a number and 1 after; a bottom-16 sample, taken in the fingerprint's pass);
  a pair whose sketches share at least NUMBER_CONFLICTS (3) contexts holding other numbers,
  and at least NUMBER_CONFLICT_SHARE (half) of the contexts they share, is no copy and no story
  link by containment (`numbers_conflict`, in `decide`); a shared item key or a long shared
  quotation still links the two. A member without a sketch never vetoes. Streaming keeps the
  sketches once per article, not in the index's members (dedup_stream.py, `_SketchFn`).
* Copies vs rewrites: a pair that passes containment is a copy only if it also shares its
  *plain* text (PLAIN_CONTAINMENT of the smaller text's plain hashes, at least
  MIN_PLAIN_SHARED of them; PLAIN_OF_COPY when the pair shares more than COPY_CONTAINMENT of the
  smaller text, as a quote-heavy copy does): the fingerprint marks the shingles inside quoted sentences
  (transforms/fingerprint.py), which independent reports of one press release share. The
  mark is not part of a shingle's identity (texts share a hash when they share the shingle,
  `shingle_key`, however each marked it: a copy that re-paragraphs a long quotation marks
  other sentences); a shared hash counts as plain when the later text has it plain. A pair
  that passes containment but not this is a rewrite; so is a pair of two outlets sharing
  QUOTE_SHARED_FOR_STORY quoted hashes (one long verbatim quotation) with containment >=
  STORY_CONTAINMENT. A rewrite stays in `articles` and takes the earlier one's story.
* Furniture is not copy evidence: a plain shingle that FURNITURE_HOLDERS earlier articles
  *unrelated* to the later text hold (they fail the containment rule against it), and more
  of them than of the related ones (the story's own texts, which pass it), is site
  furniture, e.g. a membership or "write to us" paragraph that outlets print under every
  story; two rewrites trimmed to a release's quote can share one. When a pair shares at
  least MIN_PLAIN_SHARED such hashes, the plain-text test leaves them out (from the shared
  hashes and from both texts' plain parts), at the level where the unrelated texts show them
  (`furniture_keys`, `without_furniture`). Copies of one story are related to each other, so
  a widely republished story's sentences stay evidence. A text that is little more than
  furniture (a brief under a newsletter line and a thank-you paragraph) makes other stories'
  texts that print the same lines pass the containment rule against it; so a second look
  counts a holder as related only on what it shares beyond the furniture the first look found
  (`furniture_keys`, `containment_beyond`). Another story's paragraph is not copy evidence
  either, even when fewer than FURNITURE_HOLDERS texts show it: two rewrites of one event
  padded with the same paragraph of an older, unrelated story share it. So, in the copy test
  of a pair, the plain hashes that a text unrelated to the later one and published before the
  pair's earlier one shares with the later one (a piece of text: at least MIN_PLAIN_SHARED of
  them), and that no other text of its story holds, are left out like furniture
  (`Furniture.foreign`, `Furniture.for_copy_test`), at the level at which such a text shows
  them, unless the pair keeps fewer than MIN_SHARED hashes there (one long text's coarse
  sample is too small to decide on). A paragraph of the story that other stories reuse is
  held by the story's other copies, or by texts later than its first one (a round-up), and
  stays evidence. The holders are the ones the index
  shows (a bucket's, at most MAX_BUCKET per hash; the history's rows), the same in batch,
  streaming and history lookups: hits carry the shingle's key when plain.
* Runs, not phrases (the run veto, `other_runs`): two reports of a release can share enough
  plain hashes to pass the bars above by reusing its phrases of fact and stock attributions in
  sentences of their own. A plain shingle's hash carries a run tag (fingerprint.CONTEXT_WORDS:
  the plain words beside it); a hit says whether both texts tag the shared shingle (TAGGED)
  and whether the tags are one (SAME_RUN: the same words around it), from the two hashes'
  lowest bytes (`hit_shingle`: in the batch index, the streaming index and the history
  lookup alike). Of the tagged shared keys (at least MIN_TAGGED_SHARED), fewer than RUN_SHARE
  in one run make the pair a rewrite.
* Item link: an article whose feed's `item_id` rule (feeds.yaml) found an item id in its URL
  carries it (`Article.item_id`, stored in `articles.item_id`) and is indexed under one more
  key, `item_key(outlet, item id)`, which no shingle hash can equal (ITEM_KEY_BIT). So a later
  article of the same (outlet, item id) meets the earlier one within the expiry through the
  index itself (batch buckets, streaming state, the history's postings), like a text sharing
  shingles; `gather_items` takes the key out of the shared counts. If the text rule files the
  later one as a copy, it is a copy as before; otherwise it is a rewrite (`decide`): it stays
  in `articles` and takes the earlier one's story, whatever its text and the time apart
  within the expiry (Deutsche Welle rewrites the page of a running story under one id).
* story_id: follow the links (copies and rewrites) to the earliest article; an article of an
  earlier run brings its stored story_id (`Member.story`), so a rewrite in a later run joins
  the existing story. Each article takes the story of its earliest linked earlier article
  (no union of all links: an article linked to two earlier stories does not merge them).
  Streaming follows one link.
* Order: the first copy seen stays in `articles`. "First" is by `Member.order`: the copy seen
  earlier (in batch, articles of earlier runs come before this run's; in streaming, by
  arrival, in slots of `hold`), then the earlier published (published_at, else
  discovered_at), then the id, so two runs over the same input write the same rows. Chains
  (C copies B, B copies A) resolve to the first: every copy's `cluster_id`/`canonical_id` is
  the id of the row in `articles`. A copy's `matched_id` (the earliest of its closest earlier
  copies, COPY_NEAR_BEST) may be a later copy than the row, never a later article than itself.

Batch and streaming share the functions below (`prepare`, `bucket_hits`, `decide`,
`to_output`); they differ only in where the index lives (a GroupByKey per hash bucket here,
Beam keyed state with timers in dedup_stream.py). The parameters were chosen by
tests/benchmarks/dedup_eval.py.
"""
from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import hashlib
import struct
from typing import Dict, Iterable, List, NamedTuple, Optional, Sequence, Tuple

import apache_beam as beam
from apache_beam.pvalue import AsDict, TaggedOutput

from cfnews.schemas import Article, Duplicate, FeedEntry
from cfnews.transforms.common import MAIN, count
from cfnews.transforms.fingerprint import (Fingerprint, fingerprint, level_limit, plain_count,
                                          shingle_key)
from cfnews.transforms.numbers import (CONFLICT_SHARE as NUMBER_CONFLICT_SHARE,
                                       CONFLICTS as NUMBER_CONFLICTS, vetoes as numbers_vetoes)

# containment >= threshold + SHARED_MARGIN / n, n the hashes it is measured on: 0.32 at 96
# hashes, 0.52 at 20 (two outlets); 0.55 and 0.75 within one outlet
CONTAINMENT_THRESHOLD = 0.27
SAME_OUTLET_THRESHOLD = 0.5
SHARED_MARGIN = 5.0
MIN_SHARED = 8
# Copy evidence: of the shared hashes, those of plain (unquoted) shingles. A copy shares its
# sentences; a rewrite of the same release shares its quotes, little else.
PLAIN_CONTAINMENT = 0.35
MIN_PLAIN_SHARED = 3
# The run veto (`other_runs`): a pair whose shared plain text, where both texts give it a run
# tag, sits in one run of words in both for fewer than RUN_SHARE of those keys, on at least
# MIN_TAGGED_SHARED of them, is no copy (tests/benchmarks/RESULTS.md, "Runs of plain text").
RUN_SHARE = 0.5
MIN_TAGGED_SHARED = 2
# ... or, when the pair shares most of the smaller text (containment > COPY_CONTAINMENT; at
# exactly half, trimmed briefs of one release sharing its quotation passed), PLAIN_OF_COPY of
# its plain part: a quote-heavy wire copy keeps every quotation and part of
# its few plain sentences (the rest is its own headline and local lines), while a rewrite
# reaches that containment only when it is little more than the release's quote (then it
# shares fewer than MIN_PLAIN_SHARED plain hashes); rewrites with sentences of their own
# share less of the text (0.48 at most on the dev seeds' story families).
COPY_CONTAINMENT = 0.5
PLAIN_OF_COPY = 0.2
# Story link (same story, not a copy): any pair that passes the containment rule, or texts of
# two outlets that share QUOTE_SHARED_FOR_STORY quoted hashes (one long verbatim quotation)
# with containment >= STORY_CONTAINMENT.
QUOTE_SHARED_FOR_STORY = 12
STORY_CONTAINMENT = 0.15
MAX_BUCKET = 16
# A plain shingle that FURNITURE_HOLDERS earlier articles unrelated to the later text hold
# is site furniture, not copy evidence (`furniture_keys`).
FURNITURE_HOLDERS = 3
DEFAULT_EXPIRY = dt.timedelta(days=14)
# Two articles of one outlet published more than SAME_OUTLET_MAX_APART_HOURS apart are never
# copies of each other, and not one story either (the pair gives no link): on real
# same-outlet sets (tests/benchmarks/dedup_titles.py, issue 15) the same-outlet bar files an
# outlet's daily templated reports, court follow-ups reusing the case background and
# furniture-only posts as copies; of read samples of pairs that pass it, those more than 36 h
# apart were 40 different stories of 40 (held out, agora0/21q3: 10 of 10), those 12-36 h apart
# 15 of 20 (the 5 updates: web -> print versions, a story with the reaction added). With this
# bound news-beyond-wall's 8,271 duplicates become 7,520 (751 freed, 12 of them re-posts of one
# item under another URL), Stand News' 77 become 46 (`dedup_titles.py --veto`). Two outlets
# are unaffected (a wire story republished days later is still a copy). Times are
# `Member.time_us`, the event time (published_at, else discovered_at), as for the expiry: an
# undated article counts from its discovery (README, "One outlet, days apart").
SAME_OUTLET_MAX_APART_HOURS = 36
# Of several earlier articles a text copies, it is filed under the earliest of those whose
# containment is within COPY_NEAR_BEST of the highest (`decide`), not the earliest of all: on
# news-beyond-wall (tests/benchmarks/dedup_nearmatch.py, issue 15) the earliest is often
# another outlet's daily template or a follow-up days before, at a lower containment than the
# same day's text the article copies. Chosen on dedup_eval dev seeds 1-15 (0.02 / 0.05 / 0.1 /
# 0.2 / no tolerance: the highest containment alone).
COPY_NEAR_BEST = 0.1
# Item link: an article whose feed's `item_id` rule (feeds.yaml) gave it an item id is also
# indexed under `item_key(outlet, item id)`, a key with this bit set (no sampled shingle hash
# has it). A later article sharing that key with an earlier one within the expiry, and not
# its copy by the text rule, is a rewrite of it: it keeps its row and takes its story.
ITEM_KEY_BIT = 1 << 63
BATCH_BUCKET_BITS = 10      # 1,024 GroupByKey buckets in batch runs: enough keys to spread
                            # the heaviest shuffle over a distributed runner's workers

DUPLICATES = "duplicates"
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


# ---------------------------------------------------------------- what the index holds

class Member(NamedTuple):
    """What the index remembers of an article, under each of its sampled hashes."""
    time_us: int                # event time (published, else discovered), µs since the epoch
    article_id: str
    outlet: int                 # 16-bit hash of the outlet id (only compared for equality)
    level: int                  # the fingerprint's sampling level
    counts: Tuple[int, ...]     # sampled hashes at level, level + 1, ...
    slot: int = 0               # when it was seen: earlier slots come first (see `order`)
    plain: int = -1             # of counts[0], hashes of plain (unquoted) shingles; -1: all
    story: str = ""             # its story_id when known and not its own id (history rows)
    numbers: Tuple[int, ...] = ()   # its number sketch (transforms/numbers.py); () never vetoes

    @property
    def order(self) -> Tuple[int, int, str]:
        """Which of two copies is the first: the one seen in an earlier slot; within a slot
        (a whole batch run; `hold` of stream time), the earlier published; then the id."""
        return (self.slot, self.time_us, self.article_id)

    def count_at(self, level: int) -> Optional[int]:
        i = level - self.level
        return self.counts[i] if 0 <= i < len(self.counts) else None

    def plain_at(self, level: int) -> Optional[int]:
        """Plain hashes at `level` (at a coarser level, in the proportion of the own level:
        the sample is uniform over the text's shingles)."""
        n = self.count_at(level)
        if n is None or self.plain < 0:
            return n
        if level == self.level or not self.counts[0]:
            return min(self.plain, n)
        return round(self.plain * n / self.counts[0])

    @property
    def story_id(self) -> str:
        return self.story or self.article_id


def micros(when: dt.datetime) -> int:
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return (when - _EPOCH) // dt.timedelta(microseconds=1)


def outlet_hash(outlet: str) -> int:
    return int.from_bytes(hashlib.blake2b(outlet.encode("utf-8"), digest_size=2).digest(), "big")


def member_of(article: Article, fp: Fingerprint, slot: int = 0) -> Member:
    return Member(micros(article.event_time), article.article_id, outlet_hash(article.outlet),
                  fp.level, fp.counts, slot, plain_count(fp.hashes), "", fp.numbers)


def article_fingerprint(article: Article) -> Fingerprint:
    """The article's fingerprint: computed once, then carried by the article (and stored
    with it when written, so later runs never recompute it from the text)."""
    if article.fingerprint is not None:
        return Fingerprint(*article.fingerprint)
    return fingerprint(article.text)


def with_fingerprint(article: Article) -> Article:
    if article.fingerprint is not None:
        return article
    return dataclasses.replace(article, fingerprint=tuple(fingerprint(article.text)))


def item_key(outlet: str, item_id: str) -> int:
    """The index key of an (outlet, item id): ITEM_KEY_BIT set, so it never equals a sampled
    shingle hash (all below 2**63, fingerprint.level_limit(0)); its lowest byte 0, so the index
    reads it as plain and untagged. Two outlets' item 42 are two keys."""
    digest = hashlib.blake2b(f"{outlet}\x00{item_id}".encode("utf-8"), digest_size=8).digest()
    return (int.from_bytes(digest, "big") | ITEM_KEY_BIT) & ~0xFF


def prepare(article: Article, slot: int = 0) -> Tuple[Member, Tuple[int, ...]]:
    """The article's index entry and the keys it is indexed under: its sampled hashes, and
    its `item_key` when it has an item id."""
    fp = article_fingerprint(article)
    if article.item_id:
        return (member_of(article, fp, slot),
                tuple(fp.hashes) + (item_key(article.outlet, article.item_id),))
    return member_of(article, fp, slot), fp.hashes


_HEADER = struct.Struct(">IqHBBB")    # slot, time_us, outlet, level, number of counts, plain + 1


def _encode_id(aid: str) -> bytes:
    if len(aid) == 16 and all(c in "0123456789abcdef" for c in aid):
        return b"\x00" + bytes.fromhex(aid)
    raw = aid.encode("utf-8")
    return bytes([len(raw) + 1]) + raw          # a length byte > 0 marks a plain id


def _decode_id(data: bytes, pos: int) -> Tuple[str, int]:
    if data[pos] == 0:
        return data[pos + 1:pos + 9].hex(), pos + 9
    length = data[pos] - 1
    return data[pos + 1:pos + 1 + length].decode("utf-8"), pos + 1 + length


def encode_member(m: Member) -> bytes:
    """Compact bytes for keyed state and shuffles (32 bytes for a real article without
    numbers, 4 more per number sketch entry): 16-hex-digit ids take 8 bytes, counts one byte
    each (they are at most CAP, except for texts of hundreds of thousands of words); a story
    id (history rows only) after them, or 0xff; then the number sketch (a count byte, 4
    bytes per entry)."""
    counts = bytes(min(c, 255) for c in m.counts)
    plain = 0 if m.plain < 0 else min(m.plain, 254) + 1
    story = _encode_id(m.story) if m.story else b"\xff"
    numbers = m.numbers[:255]
    return (_HEADER.pack(m.slot, m.time_us, m.outlet, m.level, len(counts), plain)
            + _encode_id(m.article_id) + counts + story
            + bytes((len(numbers),)) + struct.pack(f">{len(numbers)}I", *numbers))


def decode_member(data: bytes) -> Member:
    return decode_member_at(data, 0)[0]


def decode_member_at(data: bytes, pos: int) -> Tuple[Member, int]:
    """The member encoded at `pos`, and where its bytes end."""
    slot, time_us, outlet, level, n, plain = _HEADER.unpack_from(data, pos)
    aid, pos = _decode_id(data, pos + _HEADER.size)
    counts = tuple(data[pos:pos + n])
    pos += n
    story = ""
    if data[pos] == 0xFF:
        pos += 1
    else:
        story, pos = _decode_id(data, pos)
    n_numbers = data[pos]
    numbers = struct.unpack_from(f">{n_numbers}I", data, pos + 1) if n_numbers else ()
    pos += 1 + 4 * n_numbers
    return Member(time_us, aid, outlet, level, counts, slot, plain - 1, story, numbers), pos


# ---------------------------------------------------------------- the core decisions

@dataclasses.dataclass(frozen=True)
class DedupParams:
    threshold: float = CONTAINMENT_THRESHOLD
    same_outlet_threshold: float = SAME_OUTLET_THRESHOLD
    min_shared: int = MIN_SHARED
    expiry: dt.timedelta = DEFAULT_EXPIRY
    max_bucket: int = MAX_BUCKET
    plain_containment: float = PLAIN_CONTAINMENT
    copy_containment: float = COPY_CONTAINMENT
    plain_of_copy: float = PLAIN_OF_COPY
    min_plain_shared: int = MIN_PLAIN_SHARED
    quote_shared_for_story: int = QUOTE_SHARED_FOR_STORY
    story_containment: float = STORY_CONTAINMENT
    margin: float = SHARED_MARGIN
    furniture_holders: int = FURNITURE_HOLDERS
    same_outlet_max_apart: dt.timedelta = dt.timedelta(hours=SAME_OUTLET_MAX_APART_HOURS)
    copy_near_best: float = COPY_NEAR_BEST
    run_share: float = RUN_SHARE
    min_tagged_shared: int = MIN_TAGGED_SHARED
    number_conflicts: int = NUMBER_CONFLICTS
    number_conflict_share: float = NUMBER_CONFLICT_SHARE
    expiry_us: int = dataclasses.field(init=False)
    same_outlet_max_apart_us: int = dataclasses.field(init=False)

    def __post_init__(self):
        us = dt.timedelta(microseconds=1)
        object.__setattr__(self, "expiry_us", self.expiry // us)
        object.__setattr__(self, "same_outlet_max_apart_us", self.same_outlet_max_apart // us)


@dataclasses.dataclass(frozen=True)
class Match:
    """Why an article is a duplicate of an earlier one (`copy`), or only reports the same
    story (a rewrite: it stays in `articles` and takes the earlier one's story_id)."""
    earlier_id: str
    shared: int
    containment: float
    jaccard: float
    copy: bool = True
    earlier_story: str = ""     # the earlier article's story_id, when known to differ


def compared_count(a: Member, b: Member) -> int:
    """How many hashes the containment of the two rests on: the smaller text's count at the
    coarser of the two levels (0 when the texts are too far apart in length)."""
    level = max(a.level, b.level)
    return min(a.count_at(level) or 0, b.count_at(level) or 0)


def similarity(a: Member, b: Member, shared: int) -> Tuple[float, float]:
    """(containment of the smaller in the larger, Jaccard) from `shared` sampled hashes.
    Both are counted at the coarser of the two levels (the shared hashes are exactly the
    shared shingles sampled at that level); texts too far apart in length compare as 0."""
    level = max(a.level, b.level)
    n_a, n_b = a.count_at(level), b.count_at(level)
    if not n_a or not n_b:
        return 0.0, 0.0
    union = n_a + n_b - shared
    return min(1.0, shared / min(n_a, n_b)), (shared / union if union > 0 else 0.0)


def bucket_hits(stored: Iterable[Member], new: Member, params: DedupParams
                ) -> Tuple[List[Tuple[str, Member]], bool]:
    """`new` arrives under a hash already held by `stored`. Returns (hits, keep): a hit
    (later_id, earlier member), by `Member.order`, for every stored article published within
    the expiry of `new`, and whether `new` joins the index under this hash (not once it
    holds max_bucket such articles: they are compared with, not added to)."""
    expiry_us, new_time, new_id = params.expiry_us, new.time_us, new.article_id
    new_order = new.order
    hits = []
    for m in stored:
        if abs(m.time_us - new_time) > expiry_us or m.article_id == new_id:
            continue
        if (m.slot, m.time_us, m.article_id) < new_order:
            hits.append((new_id, m))
        else:
            hits.append((m.article_id, new))
    return hits, len(hits) < params.max_bucket


def index_hits(entries: Iterable[Tuple[Member, Sequence[int]]], params: DedupParams):
    """All hits (later_id, earlier Member, shingle) among articles (member, sampled hashes),
    taken in `Member.order`; articles meet under `shingle_key`; `shingle`: that key if the
    later text has the shingle plain, else QUOTED. An
    entry leaves the index once no article still to come is published within the expiry."""
    ordered = sorted(entries, key=lambda e: e[0].order)
    # earliest publication among the entries still to come (slots can reorder times)
    still_to_come = [0] * len(ordered)
    earliest = None
    for i in range(len(ordered) - 1, -1, -1):
        t = ordered[i][0].time_us
        earliest = t if earliest is None else min(earliest, t)
        still_to_come[i] = earliest
    # key -> (members, the lowest byte of each one's hash: quoted flag and run tag)
    index: Dict[int, Tuple[List[Member], List[int]]] = {}
    expiry_us = params.expiry_us
    for i, (member, hashes) in enumerate(ordered):
        horizon = still_to_come[i] - expiry_us
        for h in hashes:
            key = h & ~0xFF             # shingle_key, inlined: the loop runs per hash
            entry = index.get(key)
            if entry is None:           # most hashes: the first article to have them
                index[key] = ([member], [h & 0xFF])
                continue
            stored, lows = entry
            if stored[0].time_us < horizon:
                live = [j for j, m in enumerate(stored) if m.time_us >= horizon]
                stored[:] = [stored[j] for j in live]
                lows[:] = [lows[j] for j in live]
                if not stored:
                    stored.append(member)
                    lows.append(h & 0xFF)
                    continue
            hits, keep = bucket_hits(stored, member, params)
            if len(stored) == 1:        # `member` comes later than every stored one
                for later_id, earlier in hits:
                    yield later_id, earlier, hit_shingle(h, lows[0])
            elif hits:
                low = dict(zip([m.article_id for m in stored], lows))
                for later_id, earlier in hits:
                    yield later_id, earlier, hit_shingle(h, low[earlier.article_id])
            if keep:
                stored.append(member)
                lows.append(h & 0xFF)


# A hit's shingle as the later text has it: its `shingle_key` when plain, QUOTED (odd, so
# never a key) when inside a quoted sentence. A plain key carries TAGGED when both texts' hashes
# carry a run tag (fingerprint.CONTEXT_WORDS: the shingle has plain words around it in each),
# and SAME_RUN as well when the tags are one (those words are the same: a run of plain text
# both hold).
QUOTED = 1
SAME_RUN = 2
TAGGED = 4


def hit_shingle(later: int, earlier_low: int) -> int:
    """The hit's shingle from the later text's hash and the earlier one's lowest byte."""
    if later & 1:
        return QUOTED
    tag, other = later & 0xFE, earlier_low & 0xFE
    if not (tag and other):
        return later & ~0xFF
    return (later & ~0xFF) | (TAGGED | SAME_RUN if tag == other else TAGGED)


def shared_counts(hits: Iterable[Tuple[str, Member, int]]) -> Dict[str, Dict[str, list]]:
    """later_id -> earlier_id -> [earlier Member, hashes shared, keys of the plain hashes
    shared (with their run flags, `hit_shingle`), quoted hashes shared]."""
    out: Dict[str, Dict[str, list]] = collections.defaultdict(dict)
    for later_id, earlier, shingle in hits:
        entry = out[later_id].get(earlier.article_id)
        if entry is None:
            entry = out[later_id][earlier.article_id] = [earlier, 0, [], 0]
        entry[1] += 1
        if shingle == QUOTED:
            entry[3] += 1
        else:
            entry[2].append(shingle)
    return out


def shared_with(later: Sequence[int], earlier: Sequence[int]) -> Tuple[int, Tuple[int, ...], int]:
    """(hashes shared, keys of the plain hashes shared, quoted hashes shared) of two texts'
    sampled hashes, as the index counts them: by `shingle_key`, plain when `later` has the
    shingle plain."""
    earlier_low = {shingle_key(h): h & 0xFF for h in earlier}
    shared = [hit_shingle(h, earlier_low[shingle_key(h)]) for h in later
              if shingle_key(h) in earlier_low]
    plain = tuple(s for s in shared if s != QUOTED)
    return len(shared), plain, len(shared) - len(plain)


def plain_containment(a: Member, b: Member, plain_shared: int) -> float:
    """The share of the smaller plain part (unquoted shingles) found in the other text."""
    level = max(a.level, b.level)
    n_a, n_b = a.plain_at(level), b.plain_at(level)
    if not n_a or not n_b:
        return 0.0
    return min(1.0, plain_shared / min(n_a, n_b))


def shares_plain_text(later: Member, earlier: Member, plain_shared: int, params: DedupParams,
                      containment: float = 0.0) -> bool:
    """The copy test beyond containment: the two share their plain (unquoted) text too, not
    only a release's quotes (min_plain_shared hashes, plain_containment of the smaller part;
    plain_of_copy of it when `containment`, the pair's, is above copy_containment: more than
    half of the smaller text)."""
    if plain_shared < params.min_plain_shared:
        return False
    share = plain_containment(later, earlier, plain_shared)
    return share >= params.plain_containment or (containment > params.copy_containment
                                                 and share >= params.plain_of_copy)


def containment_threshold(me: Member, other: Member, params: DedupParams) -> float:
    """threshold + margin / n (same outlet: same_outlet_threshold + margin / n; n:
    `compared_count`)."""
    base = params.same_outlet_threshold if other.outlet == me.outlet else params.threshold
    return base + params.margin / max(compared_count(me, other), 1)


def gather(earlier: Iterable[Tuple[Member, int, Iterable[int], int]]) -> Dict[str, list]:
    """earlier_id -> [Member, hashes shared, set of plain keys shared, quoted shared, set of
    those keys both texts tag, set of those in one run] (keys without their run flags), adding
    up the entries of one article (one per bucket or per hash)."""
    return gather_items(earlier)[0]


def gather_items(earlier: Iterable[Tuple[Member, int, Iterable[int], int]]
                 ) -> Tuple[Dict[str, list], set]:
    """(`gather`'s dict, the ids of the earlier articles that share the later one's
    `item_key`). A shared item key arrives as a plain key (ITEM_KEY_BIT set); it is counted
    neither as a shared hash nor as plain text."""
    shared: Dict[str, list] = {}
    same_item = set()
    for m, n, plain, n_quoted in earlier:
        entry = shared.get(m.article_id)
        if entry is None:
            entry = shared[m.article_id] = [m, 0, set(), 0, set(), set()]
        if plain and max(plain) >= ITEM_KEY_BIT:
            keys = [k for k in plain if k < ITEM_KEY_BIT]
            n -= len(plain) - len(keys)
            plain = keys
            same_item.add(m.article_id)
        entry[1] += n
        entry[2].update([key & ~0xFF for key in plain])
        entry[4].update([key & ~0xFF for key in plain if key & TAGGED])
        entry[5].update([key & ~0xFF for key in plain if key & SAME_RUN])
        entry[3] += n_quoted
    return shared, same_item


def furniture_keys(me: Member, shared: Dict[str, list], params: DedupParams) -> "Furniture":
    """{key: level}: the keys (`shingle_key`) of `me`'s plain hashes that are site
    furniture, held by at least `furniture_holders` earlier articles *unrelated* to `me`
    (below the containment rule, `containment_threshold`) and by more of them than of the
    related ones (at or above it: the story's own texts), and the level at which they are
    seen. A membership or "write to us" paragraph is printed under many unrelated stories;
    two rewrites trimmed to a release's quote can share it, and it is no evidence that one
    copies the other. A widely republished story's sentences are held by its copies, which
    are related: they stay evidence however many there are, and so does a paragraph of the
    story that a few unrelated texts reuse (a same-event story and its two copies, or three
    stories padded with it) while the story's copies hold it too. A text keeps a hash only at its
    own sampling level or coarser, so long unrelated texts show only the coarser part of the
    paragraph: a key's level is the finest at which `furniture_holders` of them see it, and
    a copy test involving it is made there (`without_furniture`). The holders are those the index
    shows (at most max_bucket per hash), so batch, streaming and the history lookup
    classify alike. A second look counts a holder as related only on what it shares beyond
    the furniture the first look found (`containment_beyond`). `shared`: as `gather` returns.
    The answer also holds, for the copy test, another story's text among `me`'s plain keys
    (`Furniture.foreign`)."""
    furniture = _furniture_among(me, shared, params, {})
    if furniture:
        # `me` may be little more than furniture itself (a brief under a newsletter line and a
        # thank-you paragraph): other stories' texts that print the same lines then pass the
        # containment rule against it, and would count as the story's own texts
        furniture = _furniture_among(me, shared, params, furniture)
    furniture.foreign = _foreign_text(me, shared, params, furniture)
    return furniture


class Furniture(dict):
    """`furniture_keys`' answer: {key: level} of site furniture, and `foreign` (`_foreign_text`):
    {key: {holder id: (level, time_us)}, a related holder's level -1} for the plain keys of
    `me` that a holder unrelated to it shares as a piece of text, read by `for_copy_test`."""

    def __init__(self, *args):
        super().__init__(*args)
        self.foreign: Dict[int, Dict[str, tuple]] = {}

    def for_copy_test(self, candidate: Member) -> Dict[int, int]:
        """The keys `without_furniture` leaves out of `me`'s copy test against `candidate`:
        the furniture, and an older story's text: keys that a text unrelated to `me` and
        published before `candidate` holds (`Member.time_us`; a tie tells nothing), and no
        text of `me`'s story but `candidate` (each at the finest level such a text shows it).
        Two rewrites of one event padded with the same paragraph of an older story share it,
        and it is no evidence that one copies the other; a newer text that reuses the story's
        paragraph (a round-up) says nothing against it."""
        if not self.foreign:
            return self
        keys = dict(self)
        for key, holders in self.foreign.items():
            levels = []
            for aid, (level, time_us) in holders.items():
                if aid == candidate.article_id:
                    continue
                if level < 0:
                    break                   # a text of the story holds it: the story's own
                if time_us < candidate.time_us:     # published before it
                    levels.append(level)
            else:
                if levels:
                    keys[key] = min(levels + ([keys[key]] if key in keys else []))
        return keys


def furniture_shared(plain: set, furniture, params: DedupParams) -> int:
    """How many of the plain keys a pair shares are in `furniture` (keys, or `furniture_keys`'
    dict), when they are a piece of it (at least min_plain_shared, as `without_furniture`
    asks); else 0: one common phrase is no paragraph and takes nothing from a pair."""
    n = sum(1 for key in plain if key in furniture) if furniture else 0
    return n if n >= params.min_plain_shared else 0


def containment_beyond(me: Member, other: Member, n_shared: int, n_furniture: int) -> float:
    """The pair's containment with `n_furniture` of its shared hashes taken out of what they
    share and of the smaller text: what the two hold in common beyond the furniture."""
    if not n_furniture:
        return similarity(me, other, n_shared)[0]
    n = compared_count(me, other)
    return min(1.0, (n_shared - n_furniture) / (n - n_furniture)) if n > n_furniture else 0.0


def _furniture_among(me: Member, shared: Dict[str, list], params: DedupParams,
                     known: Dict[int, int]) -> "Furniture":
    """`furniture_keys` with a holder related when it passes the containment rule on what it
    shares beyond the `known` furniture keys (none: on all it shares)."""
    unrelated: Dict[int, int] = collections.Counter()
    related: Dict[int, int] = collections.Counter()
    levels: Dict[int, list] = collections.defaultdict(list)
    for other, n_shared, plain, *_ in shared.values():
        if not plain:
            continue
        if _related(me, other, n_shared, plain, known, params):
            related.update(plain)
        else:
            unrelated.update(plain)
            for key in plain:
                levels[key].append(other.level)
    k = params.furniture_holders - 1
    return Furniture({key: sorted(levels[key])[k] for key, n in unrelated.items()
                      if n >= params.furniture_holders and n > related[key]})


def _related(me: Member, other: Member, n_shared: int, plain, known, params: DedupParams) -> bool:
    """`other` passes the containment rule against `me` on what it shares beyond the `known`
    furniture: a text of `me`'s story."""
    beyond = containment_beyond(me, other, n_shared, furniture_shared(plain, known, params))
    return beyond >= containment_threshold(me, other, params)


def _foreign_text(me: Member, shared: Dict[str, list], params: DedupParams,
                  furniture: Dict[int, int]) -> Dict[int, Dict[str, tuple]]:
    """`Furniture.foreign`: {key: {holder id: (level, time_us)}} for the plain keys of `me`
    that some unrelated holder shares as a piece of text (at least min_plain_shared plain
    keys); a related holder's level is -1."""
    holders: Dict[int, Dict[str, tuple]] = collections.defaultdict(dict)
    for aid, (other, n_shared, plain, *_) in shared.items():
        if not plain:
            continue
        if _related(me, other, n_shared, plain, furniture, params):
            for key in plain:
                holders[key][aid] = (-1, other.time_us)
        elif len(plain) >= params.min_plain_shared:
            for key in plain:
                holders[key][aid] = (other.level, other.time_us)
    return {key: by_holder for key, by_holder in holders.items()
            if any(level >= 0 for level, _ in by_holder.values())}


def without_furniture(me: Member, other: Member, plain: set, furniture: Dict[int, int],
                      params: DedupParams) -> Tuple[Member, Member, int]:
    """(me, other, plain hashes shared) for `shares_plain_text`. When the two share a piece
    of furniture (`furniture_keys`: at least min_plain_shared of its hashes, seen at one
    level; a single common phrase is not a paragraph), it is left out: its hashes are
    neither shared text nor part of either text's own plain text (`me` holds all of it,
    `other` what it shares), and both texts are viewed at the finest level at which it is
    seen (at least their own), where the furniture shows."""
    levels = sorted(furniture[key] for key in plain if key in furniture)
    if len(levels) < params.min_plain_shared:
        return me, other, len(plain)
    pair_level = max(me.level, other.level)
    for level in range(pair_level, max(pair_level, levels[-1]) + 1):
        limit = level_limit(level)
        seen = {key for key, lv in furniture.items() if lv <= level and key < limit}
        if len(plain & seen) >= params.min_plain_shared:
            break
    else:
        return me, other, len(plain)

    def view(m: Member, n_furniture: int) -> Member:
        return m._replace(level=level, counts=m.counts[level - m.level:],
                          plain=max((m.plain_at(level) or 0) - n_furniture, 0))
    return (view(me, len(seen)), view(other, len(plain & seen)),
            sum(1 for key in plain if key < limit and key not in seen))


def copy_test_view(me: Member, other: Member, plain: set, furniture: Dict[int, int],
                   params: DedupParams) -> Tuple[Member, Member, int]:
    """`without_furniture` for `me`'s copy test against `other`, leaving out an older story's
    text too (`Furniture.for_copy_test`) where the pair keeps at least min_shared hashes at
    the level the test then moves to: a long older text shows only a coarse sample of the
    paragraph, too small to decide on below that."""
    if isinstance(furniture, Furniture) and furniture.foreign:
        older = without_furniture(me, other, plain, furniture.for_copy_test(other), params)
        if compared_count(*older[:2]) >= params.min_shared:
            return older
    return without_furniture(me, other, plain, furniture, params)


def other_runs(tagged: set, runs: set, params: DedupParams) -> bool:
    """The run veto: the plain text the two share sits among other words in each. Of the
    shared plain keys that both texts hold with a run tag (`tagged`), fewer than run_share
    carry one tag in both (`runs`): the texts reuse phrases (a release's facts, a stock
    attribution), not sentences. Keys without a tag on one side (inside or next to a
    quotation, at a text's edge) say nothing either way: a pair that shares only those is
    decided by the plain-text rule alone, and so is one that shares fewer than
    min_tagged_shared tagged keys (one tag that differs may be two copies' quotation marks
    read differently, which moves where a run of plain words ends)."""
    return (len(tagged) >= params.min_tagged_shared
            and len(runs) < params.run_share * len(tagged))


def numbers_conflict(me: Member, other: Member, params: DedupParams) -> bool:
    """The number veto (NUMBER_CONFLICTS): the two texts hold the same wording with other
    figures, a recurring format's next edition, not one text. Members without a number
    sketch (no numbers, or rows indexed before sketches were stored) never veto."""
    return numbers_vetoes(me.numbers, other.numbers, params.number_conflicts,
                          params.number_conflict_share)


def choose_copy(copies: List[Tuple[int, float, "Match"]], near_best: float) -> "Match":
    """Of an article's copy candidates, (order, -containment, Match) each, the one it is filed
    under: the earliest (in `Member.order`) of those whose containment is within `near_best`
    of the highest (`DedupParams.copy_near_best`, COPY_NEAR_BEST)."""
    least = min(p[1] for p in copies)       # -containment of the closest
    return min((p for p in copies if p[1] <= least + near_best + 1e-9), key=lambda p: p[:2])[2]


def decide(me: Member, earlier: Iterable[Tuple[Member, int, Iterable[int], int]],
           params: DedupParams, furniture: Optional[Dict[int, int]] = None) -> Optional[Match]:
    """`earlier`: (earlier article, hashes shared, keys (`shingle_key`, with the run flags
    of `hit_shingle`) of the plain hashes shared, quoted hashes shared), possibly several
    entries per article (one per bucket or per hash); they add up. The article `me` copies
    (Match.copy): of those, the earliest of the ones within params.copy_near_best of the
    highest containment (`choose_copy`: a far template or follow-up that passes the rule with
    less does not take it from the text it copies); else the earliest whose story it reports
    (a rewrite); else None. Whichever it is, it comes before `me` in `Member.order`, so chains
    still resolve to the row in `articles`.

    Copy: containment >= `containment_threshold` on at least min_shared hashes, AND the
    plain text is shared too (plain containment and count, `shares_plain_text`), so that a
    report built around a release's quote is not taken for a copy of the release; plain
    hashes that are site furniture (`furniture_keys`, computed from `earlier` unless given)
    do not count, nor, against one candidate, an older story's text that no other text of
    `me`'s story holds (`copy_test_view`); and the shared plain text is runs of
    words both texts hold, not phrases each sets among other words (the run veto,
    `other_runs`: the keys' run flags, as `hit_shingle` gives them). Story link: the
    containment rule alone, on at least min_shared hashes beyond a piece of furniture
    (`furniture_shared`), or (two outlets) one long shared quotation. A pair of one outlet
    published more than same_outlet_max_apart apart is neither (SAME_OUTLET_MAX_APART_HOURS);
    it still counts as a holder for `furniture_keys`, which looks at the text only.

    Item link: an earlier article of the same (outlet, item id) (they share `item_key`; the
    index keeps it within the expiry) that `me` does not copy is a story link whatever the
    text and the time apart: the publisher says it is the same item."""
    shared, same_item = gather_items(earlier)
    copies, stories = [], []
    max_apart_us = params.same_outlet_max_apart_us
    for aid, (other, n_shared, plain, n_quoted, tagged, runs) in shared.items():
        story = other.story if other.story != aid else ""
        if n_shared < params.min_shared or (other.outlet == me.outlet and
                                            abs(other.time_us - me.time_us) > max_apart_us):
            if aid in same_item:
                containment, jaccard = similarity(me, other, n_shared)
                stories.append((other.order, -containment,
                                Match(aid, n_shared, containment, jaccard, False, story)))
            continue
        containment, jaccard = similarity(me, other, n_shared)
        same_outlet = other.outlet == me.outlet
        threshold = containment_threshold(me, other, params)
        passes = containment >= threshold and not numbers_conflict(me, other, params)
        if passes:
            if furniture is None:       # only needed here: most articles have no candidate
                furniture = furniture_keys(me, shared, params)
            copy = (shares_plain_text(*copy_test_view(me, other, plain, furniture, params),
                                      params, containment)
                    and not other_runs(tagged, runs, params))
            # a text that shares little with `me` but furniture tells nothing of its story
            passes = copy or n_shared - furniture_shared(plain, furniture, params) >= params.min_shared
        if passes:
            match = Match(aid, n_shared, containment, jaccard, copy, story)
            (copies if copy else stories).append((other.order, -containment, match))
        elif ((not same_outlet and n_quoted >= params.quote_shared_for_story
               and containment >= params.story_containment) or aid in same_item):
            stories.append((other.order, -containment,
                            Match(aid, n_shared, containment, jaccard, False, story)))
    if copies:
        return choose_copy(copies, params.copy_near_best)
    if stories:
        return min(stories, key=lambda p: p[:2])[2]
    return None


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


def story_root(article_id: str, links) -> str:
    """The story_id: follow every link (copy or rewrite, `links`: id -> Match) to the
    earliest article, or to the stored story_id of an article written by an earlier run."""
    seen = {article_id}
    current = article_id
    while current in links:
        match = links[current]
        if match.earlier_story:
            return match.earlier_story
        current = match.earlier_id
        if current in seen:
            break
        seen.add(current)
    return current


def to_output(article: Article, match: Optional[Match], root: str, story: str = ""):
    """The `articles` row (cluster_id = itself) or, for a copy, the `duplicates` row;
    story_id `story` (default: the cluster root)."""
    story = story or root
    if match is None or not match.copy:
        return dataclasses.replace(article, cluster_id=article.article_id, story_id=story)
    return Duplicate(article=dataclasses.replace(article, cluster_id=root, story_id=story),
                     canonical_id=root,
                     cluster_id=root, method="near_duplicate", matched_id=match.earlier_id,
                     containment=round(match.containment, 4), jaccard=round(match.jaccard, 4),
                     shared_fingerprints=match.shared)


def batch_slot(article: Article, prior_ids: frozenset) -> int:
    """In a batch run, articles written by earlier runs were seen first."""
    return 0 if article.article_id in prior_ids else 1


def dedup_in_memory(articles: Sequence[Article], params: DedupParams = DedupParams(),
                    prior_ids: frozenset = frozenset()) -> Tuple[List[Article], List[Duplicate]]:
    """The same decisions as the Beam transforms, without Beam (tests, small batches)."""
    articles = [with_fingerprint(a) for a in articles]
    prepared = {a.article_id: prepare(a, batch_slot(a, prior_ids)) for a in articles}
    counts = shared_counts(index_hits(prepared.values(), params))
    matches = {}
    for aid, by_earlier in counts.items():
        match = decide(prepared[aid][0], by_earlier.values(), params)
        if match:
            matches[aid] = match
    earlier_of = {k: m.earlier_id for k, m in matches.items() if m.copy}
    kept, dups = [], []
    for a in articles:
        result = to_output(a, matches.get(a.article_id), cluster_root(a.article_id, earlier_of),
                           story_root(a.article_id, matches))
        (dups if isinstance(result, Duplicate) else kept).append(result)
    return kept, dups


# ---------------------------------------------------------------- exact duplicates

def entry_order(entry: FeedEntry) -> Tuple[str, str, str]:
    when = entry.published_at or entry.discovered_at
    return (when.isoformat(), entry.outlet, entry.entry_id)


def first_of_entries(entries: Iterable[FeedEntry], method: str):
    """Of entries sharing a key (canonical URL or outlet + guid), the first goes on; the
    rest are duplicates of it."""
    ordered = sorted(entries, key=entry_order)
    first = ordered[0]
    yield first
    for later in ordered[1:]:
        yield entry_duplicate(later, first, method)


def url_duplicates(entries: Iterable[FeedEntry]):
    return first_of_entries(entries, "canonical_url")


def entry_duplicate(later: FeedEntry, first: FeedEntry, method: str) -> Duplicate:
    return Duplicate(article=entry_as_article(later, first.article_id),
                     canonical_id=first.article_id, cluster_id=first.article_id, method=method,
                     matched_id=first.article_id, containment=1.0, jaccard=1.0,
                     shared_fingerprints=0)


def entry_as_article(entry: FeedEntry, cluster_id: str) -> Article:
    """The row for an entry never fetched (its URL or guid was already taken): no text."""
    return Article(article_id=entry.article_id, url=entry.url, canonical_url=entry.canonical_url,
                   outlet=entry.outlet, feed_url=entry.feed_url, entry_id=entry.entry_id,
                   title=entry.title, text="", summary=entry.summary,
                   discovered_at=entry.discovered_at, published_at=entry.published_at,
                   cluster_id=cluster_id, published_raw=entry.published_raw, item_id=entry.item_id,
                   source="backfill" if entry.brings_content else "feed")


def guid_key(entry: FeedEntry) -> str:
    return f"{entry.outlet}\x00{entry.entry_id}"


# ---------------------------------------------------------------- exact duplicates, linked

class Outcome(NamedTuple):
    """What became of an entry that went on to be fetched: the id of its story's row in
    `articles` (its own, or the canonical article it copies) and its story_id; both empty
    when it became neither (rejected)."""
    canonical_id: str
    story_id: str


def outcome_of(record) -> Tuple[str, Outcome]:
    """(entry's article id, Outcome) of an article, a duplicate or a rejected record."""
    if isinstance(record, Duplicate):
        return record.article.article_id, Outcome(
            record.canonical_id, record.article.story_id or record.canonical_id)
    if isinstance(record, Article):
        return record.article_id, Outcome(record.article_id,
                                          record.story_id or record.article_id)
    return record.article_id, Outcome("", "")


def link_entry_duplicate(duplicate: Duplicate, outcome: Optional[Outcome]) -> Duplicate:
    """An entry never fetched (same URL or feed guid as its first entry, `matched_id`) is
    written when its first entry's fate is known: then its canonical_id, cluster_id and
    story_id are the first entry's, so they name the row in `articles` even when the first
    entry turned out to copy another text, and the story it joined. A first entry that was
    rejected keeps its own id there (its row is in `rejected`)."""
    if outcome is None or not outcome.canonical_id:
        return duplicate
    article = dataclasses.replace(duplicate.article, cluster_id=outcome.canonical_id,
                                  story_id=outcome.story_id)
    return dataclasses.replace(duplicate, article=article, canonical_id=outcome.canonical_id,
                               cluster_id=outcome.canonical_id)


def _linked(keyed, label: str):
    """(first id, {"dups": [...], "outcome": [Outcome]}) -> the duplicates, linked."""
    _key, grouped = keyed
    outcomes = list(grouped["outcome"])
    outcome = outcomes[0] if outcomes else None
    for duplicate in grouped["dups"]:
        yield link_entry_duplicate(duplicate, outcome)


# ---------------------------------------------------------------- Beam wiring (batch)

class _SplitDuplicates(beam.DoFn):
    def process(self, element):
        for item in element:
            if isinstance(item, Duplicate):
                count("cfnews.dedup", item.method)
                yield TaggedOutput(DUPLICATES, item)
            else:
                yield item


def _first_per_key(entries, label: str, key_fn, method: str):
    out = (entries
           | f"KeyBy{label}" >> beam.Map(lambda e: (key_fn(e), e))
           | f"GroupBy{label}" >> beam.GroupByKey()
           | f"FirstPer{label}" >> beam.Map(lambda kv: list(first_of_entries(kv[1], method)))
           | f"Split{label}" >> beam.ParDo(_SplitDuplicates()).with_outputs(DUPLICATES, main=MAIN))
    return out[MAIN], out[DUPLICATES]


@dataclasses.dataclass
class DedupEntriesByUrl(beam.PTransform):
    """FeedEntry -> (FeedEntry, Duplicate): one entry per canonical URL, then one per
    (outlet, feed guid), goes on to fetching."""

    def expand(self, entries):
        entries, by_url = _first_per_key(entries, "Url", lambda e: e.article_id, "canonical_url")
        entries, by_guid = _first_per_key(entries, "Guid", guid_key, "feed_guid")
        return entries, (by_url, by_guid) | "EntryDuplicates" >> beam.Flatten()


def link_in_two_rounds(inputs, link_round):
    """(entry Duplicates, records) -> the duplicates linked: guid duplicates to their first
    entry's fate, then URL duplicates to theirs, which may be a guid duplicate linked in the
    first round. `link_round(label, duplicates, outcomes)` joins one round (a CoGroupByKey in
    batch, keyed state in streaming); outcomes are (first entry's id, Outcome)."""
    duplicates, records = inputs
    by_guid = duplicates | "GuidDuplicates" >> beam.Filter(lambda d: d.method == "feed_guid")
    by_url = duplicates | "UrlDuplicates" >> beam.Filter(lambda d: d.method != "feed_guid")
    outcomes = (records | "Outcomes" >> beam.Map(outcome_of)
                | "OfEntries" >> beam.Filter(lambda kv: kv[0]))  # not feed-level rows
    guid_linked = link_round("Guid", by_guid, outcomes)
    outcomes = ((outcomes, guid_linked | "GuidOutcomes" >> beam.Map(outcome_of))
                | "WithGuidOutcomes" >> beam.Flatten())
    url_linked = link_round("Url", by_url, outcomes)
    return (guid_linked, url_linked) | "Linked" >> beam.Flatten()


@dataclasses.dataclass
class LinkEntryDuplicates(beam.PTransform):
    """(entry Duplicates, records) -> entry Duplicates whose canonical_id, cluster_id and
    story_id follow their first entry's fate (`link_entry_duplicate`). `records`: the
    run's articles, near duplicates and rejected records (their outcomes). Two rounds: a
    guid duplicate's first entry was fetched; a URL duplicate's first may itself have been
    a guid duplicate, linked in the first round."""

    def expand(self, inputs):
        return link_in_two_rounds(inputs, self._round)

    @staticmethod
    def _round(label, duplicates, outcomes):
        keyed = duplicates | f"ByFirst{label}" >> beam.Map(lambda d: (d.matched_id, d))
        return ({"dups": keyed, "outcome": outcomes}
                | f"Join{label}" >> beam.CoGroupByKey()
                | f"Link{label}" >> beam.FlatMap(_linked, label))


def bucket_of(h: int, bits: int) -> int:
    return h >> (64 - bits)


def _postings_by_bucket(prepared, bits: int):
    """One element per (article, bucket): the member and its hashes in that bucket, as
    compact bytes (a third of the cost of pickled tuples through a shuffle)."""
    member, hashes = prepared
    head = encode_member(member)
    by_bucket = collections.defaultdict(list)
    for h in hashes:
        by_bucket[bucket_of(h, bits)].append(h)
    return [(bucket, head + struct.pack(f">{len(hs)}Q", *hs)) for bucket, hs in by_bucket.items()]


def _unpack_postings(data: bytes) -> Tuple[Member, Tuple[int, ...], bytes]:
    member, pos = decode_member_at(data, 0)
    return member, struct.unpack_from(f">{(len(data) - pos) // 8}Q", data, pos), data[:pos]


def pack_shared(me: bytes, pairs: Iterable[Tuple[Member, int, int]]) -> bytes:
    """A later article's encoded member, then (earlier member, hashes shared, plain keys
    shared, quoted hashes shared) entries."""
    return me + b"".join(encode_member(m) + _pack_counts(n, p, q) for m, n, p, q in pairs)


_SHARED = struct.Struct(">HHH")      # hashes shared, quoted shared, plain keys that follow


def _pack_counts(n: int, plain: Sequence[int], n_quoted: int) -> bytes:
    return (_SHARED.pack(min(n, 0xFFFF), min(n_quoted, 0xFFFF), len(plain))
            + struct.pack(f">{len(plain)}Q", *plain))


def _bucket_shared_counts(kv, params: DedupParams):
    """Per later article, what it shares with earlier ones within this bucket, packed as
    bytes: its member, then (earlier member, hashes shared) pairs."""
    _bucket, packed = kv
    unpacked = [_unpack_postings(data) for data in packed]
    encoded = {member.article_id: head for member, _, head in unpacked}
    entries = [(member, hashes) for member, hashes, _ in unpacked]
    for later_id, by_earlier in shared_counts(index_hits(entries, params)).items():
        parts = [encoded[later_id]]
        for earlier, n, plain, n_quoted in by_earlier.values():
            parts.append(encoded[earlier.article_id] + _pack_counts(n, plain, n_quoted))
        yield later_id, b"".join(parts)


def _unpack_shared(data: bytes):
    me, pos = decode_member_at(data, 0)
    pairs = []
    while pos < len(data):
        earlier, pos = decode_member_at(data, pos)
        n, n_quoted, n_plain = _SHARED.unpack_from(data, pos)
        pos += _SHARED.size
        plain = struct.unpack_from(f">{n_plain}Q", data, pos)
        pos += 8 * n_plain
        pairs.append((earlier, n, plain, n_quoted))
    return me, pairs


def _decide_across_buckets(kv, params: DedupParams):
    article_id, packed = kv
    me, pairs = None, []
    for data in packed:
        me, more = _unpack_shared(data)
        pairs.extend(more)
    match = decide(me, pairs, params)
    if match is not None:
        yield article_id, match


class _PriorHitsFn(beam.DoFn):
    """Matches against what earlier runs wrote: each new article looks its sampled hashes
    up in the output's history (transforms/history.py), a join by key that reads only the
    date partitions within the expiry of the article."""

    def __init__(self, out_dir: str, job_key: str, params: DedupParams):
        self.out_dir = out_dir
        self.job_key = job_key
        self.params = params

    def setup(self):
        from cfnews.transforms.history import open_history
        self.history = open_history(self.out_dir, self.job_key)

    def process(self, prepared):
        member, hashes = prepared
        pairs = self.history.prior_hits(member, hashes, self.params)
        if pairs:
            count("cfnews.dedup", "history_candidates", len(pairs))
            yield member.article_id, pack_shared(encode_member(member), pairs)


class _AssignFn(beam.DoFn):
    def process(self, article, matches):
        match = matches.get(article.article_id)
        result = to_output(article, match, cluster_root(article.article_id, _EarlierOf(matches)),
                           story_root(article.article_id, matches))
        if isinstance(result, Duplicate):
            count("cfnews.dedup", "near_duplicate")
            yield TaggedOutput(DUPLICATES, result)
        else:
            yield result


class _EarlierOf:
    """A read-only {duplicate id: matched id} view over the matches side input (copies)."""

    def __init__(self, matches):
        self.matches = matches

    def __contains__(self, key):
        match = self.matches.get(key)
        return match is not None and match.copy

    def __getitem__(self, key):
        return self.matches[key].earlier_id


@dataclasses.dataclass
class DeduplicateArticles(beam.PTransform):
    """Article -> (Article with cluster_id, Duplicate). Batch: the index is a GroupByKey over
    hash buckets (few, fat elements); the matches (duplicates only) reach every article as a
    side input, which also resolves chains. `history_dir`: the output folder whose earlier
    articles (within the expiry) this run's copies are matched against, looked up by key
    from the workers (transforms/history.py); `job_key` tells one job's lookups from the
    next in a long-lived process. `prior_ids`: articles in the input itself that count as
    already written (tests)."""
    threshold: float = CONTAINMENT_THRESHOLD
    same_outlet_threshold: float = SAME_OUTLET_THRESHOLD
    min_shared: int = MIN_SHARED
    expiry: dt.timedelta = DEFAULT_EXPIRY
    bucket_bits: int = BATCH_BUCKET_BITS
    max_bucket: int = MAX_BUCKET
    prior_ids: frozenset = frozenset()
    history_dir: Optional[str] = None
    job_key: str = ""

    def expand(self, articles):
        params = DedupParams(self.threshold, self.same_outlet_threshold, self.min_shared,
                             self.expiry, self.max_bucket)
        prior_ids = self.prior_ids
        articles = articles | "Fingerprint" >> beam.Map(with_fingerprint)
        members = articles | "Member" >> beam.Map(lambda a: prepare(a, batch_slot(a, prior_ids)))
        shared = [members
                  | "Postings" >> beam.FlatMap(_postings_by_bucket, self.bucket_bits)
                  | "GroupByBucket" >> beam.GroupByKey()
                  | "SharedInBucket" >> beam.FlatMap(_bucket_shared_counts, params)]
        if self.history_dir:
            shared.append(members | "SharedWithHistory" >> beam.ParDo(
                _PriorHitsFn(self.history_dir, self.job_key, params)))
        matches = (shared | "AllShared" >> beam.Flatten()
                   | "GroupByArticle" >> beam.GroupByKey()
                   | "Decide" >> beam.FlatMap(_decide_across_buckets, params))
        out = articles | "Assign" >> beam.ParDo(_AssignFn(), AsDict(matches)).with_outputs(
            DUPLICATES, main=MAIN)
        return out[MAIN], out[DUPLICATES]
