"""Dedup at stream scale: the near-duplicate index in Beam keyed state, bounded by an
event-time expiry. Same contract and same decisions as `DeduplicateArticles` (batch):
Article in -> (Article with cluster_id, Duplicate) out. `StreamingDedupEntries` is the
exact-duplicate shortcut (first entry per canonical URL, then per outlet + feed guid).

Time: an element's timestamp is its arrival (in the streaming graph, when its feed was
polled); the watermark follows it. Arrival is cut into slots of `hold` (1 minute). The first
copy seen stays canonical: a copy that arrives in a later slot is a duplicate of the earlier
one, whatever their published_at; within one slot the earlier published wins (`Member.order`,
shared with batch, where a whole run is one slot). published_at only orders copies within a
slot and decides whether two texts are within `expiry` of each other; it is never used as a
timestamp (feed items are often published hours or days before they are polled).

No global key anywhere; five keyed stages, all in the global window:

1. Index, keyed by hash bucket: the top `bucket_bits` bits of a sampled hash (65,536 buckets
   by default, so the index spreads over any number of workers). An article sends one
   posting per sampled hash (at most 96). A bucket's bag holds (hash suffix, Member) entries,
   35 bytes each; a posting meets the entries under its own hash (`dedup.bucket_hits`, as in
   batch) and joins them. Every posting is answered with exactly one "ack" to its own
   article, carrying the earlier articles it met; an entry that turns out to come later in
   the order (same slot, published later, arrived first) gets a "hit" message instead.
   Expiry: one event-time timer per bucket drops entries once the watermark passes the end
   of their arrival slot + `expiry` (14 days), so the state holds about `expiry` worth of
   articles. Pairs published more than `expiry` apart never match, in batch either; the one
   streaming-only effect is that a copy *arriving* after its original's entries expired is
   not merged even if it was published within `expiry` of the original.
1b. Sketches, keyed by article id: each article's number sketch (transforms/numbers.py), kept
   as long as its index entries, once per article (the index's members carry none). A posting
   that meets an earlier entry also asks the earlier article's key for its sketch, which is
   sent to the later article's decision.
2. Decide, keyed by article id. An article's hits come from up to 96 buckets; it waits until
   (a) all its acks are in (it knows how many postings it sent; this also covers late data)
   and (b) the watermark has passed the end of its arrival slot, when every article ordered
   before it has arrived and been indexed (elements in flight hold the watermark back), and
   (c) the sketch of every earlier article it met is in (unless its own sketch is too short
   ever to veto). Then `dedup.decide`, as in batch. An event-time timer per article does this without window
   boundaries (fixed windows would miss pairs that straddle one).
3. Resolve chains (C copies B, B copies A): pointer doubling, keyed by article id. Each
   decided article points to itself (original) or to the article it matched; each of
   `resolve_rounds` rounds (3) replaces a pointer by its target's pointer, so chains of up to
   2**rounds links (8) end at the original. A keyed DAG has no loops, so this bounded depth
   is the price of having no global state; real chains are one or two links long. Round r
   keeps each pointer 2**r * `expiry` (a link spans at most `expiry`).
4. Output: `dedup.to_output`, as in batch, timestamped at the end of the arrival slot.

Given the same articles arriving in publication order, this transform and the batch one
write the same rows (tests/test_dedup_stream.py). Late data (timestamps behind the
watermark, which the polling source does not produce) is ordered by its timestamp: it can
come before an article already decided, whose decision stands (counted as
`hit_after_decision`), so a late copy may stay a second original. Safety nets, also counted
in `cfnews.dedup`: an article still missing acks when its state is about to be dropped is
decided on what arrived (`decided_with_missing_acks`); a pointer asked for after it was
dropped resolves to the asked article (`chain_not_followed`). Neither drops an article.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import struct
from typing import Any, Optional, Tuple

import apache_beam as beam
from apache_beam.coders import BooleanCoder, BytesCoder, PickleCoder, VarIntCoder
from apache_beam.pvalue import TaggedOutput
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.transforms.userstate import (BagStateSpec, ReadModifyWriteStateSpec, TimerSpec,
                                              on_timer)
from apache_beam.utils.timestamp import Timestamp

from cfnews.schemas import Duplicate
from cfnews.schemas.reasons import retry_span
from cfnews.transforms.common import MAIN, count
from cfnews.transforms.dedup import (CONTAINMENT_THRESHOLD, DEFAULT_EXPIRY, DUPLICATES, MAX_BUCKET,
                              MIN_SHARED, SAME_OUTLET_THRESHOLD, DedupParams, Member,
                              bucket_hits, bucket_of, decide, decode_member, encode_member,
                              entry_duplicate, guid_key, link_entry_duplicate, link_in_two_rounds,
                              prepare, to_output, with_fingerprint, QUOTED, hit_shingle)

STREAM_BUCKET_BITS = 16
DEFAULT_HOLD = dt.timedelta(minutes=1)
RESOLVE_ROUNDS = 3


def _us(delta: dt.timedelta) -> int:
    return delta // dt.timedelta(microseconds=1)


def _ts(time_us: int) -> Timestamp:
    return Timestamp(micros=time_us)


def suffix_bytes(bits: int) -> int:
    """A bucket's key holds a hash's top `bits` bits; its entries keep only the rest."""
    return (64 - bits + 7) // 8


def hash_suffix(h: int, bits: int) -> bytes:
    n = suffix_bytes(bits)
    return (h & ((1 << (8 * n)) - 1)).to_bytes(n, "big")


_SHINGLE = struct.Struct(">Q")       # in the decision's bag: the shared shingle (`dedup.QUOTED`
                                      # or the key of a plain one)


def encode_posting(h: int, member: Member, bits: int = STREAM_BUCKET_BITS) -> bytes:
    """One entry of a bucket's bag: the hash's low bytes, then the member."""
    return hash_suffix(h, bits) + encode_member(member)


def state_bytes_per_posting(h: int, member: Member, bits: int = STREAM_BUCKET_BITS) -> int:
    """Bytes one posting adds to the index bag (used by the benchmark's state figures): the
    member without its number sketch, which `_SketchFn` keeps once per article."""
    return len(encode_posting(h, member._replace(numbers=()), bits))


def _pack_sketch(numbers) -> bytes:
    return struct.pack(f">{len(numbers)}I", *numbers)


def _unpack_sketch(data: bytes):
    return struct.unpack(f">{len(data) // 4}I", data)


def state_bytes_of_sketch(member: Member) -> int:
    """Bytes the article's number sketch adds to `_SketchFn`'s state (its key aside)."""
    return len(BytesCoder().encode(_pack_sketch(member.numbers)))


# ---------------------------------------------------------------- 1. the index

class _IndexFn(beam.DoFn):
    """Keyed by hash bucket. Element: (bucket, (hash, Member))."""
    POSTINGS = BagStateSpec("postings", BytesCoder())
    NEXT_EXPIRY = ReadModifyWriteStateSpec("next_expiry_us", VarIntCoder())
    EXPIRE = TimerSpec("expire", TimeDomain.WATERMARK)

    def __init__(self, params: DedupParams, hold_us: int, bits: int):
        self.params = params
        self.hold_us = hold_us
        self.bits = bits
        self.skip = suffix_bytes(bits)

    def _member(self, entry: bytes) -> Member:
        return decode_member(entry[self.skip:])

    def _expires_at(self, member: Member) -> int:
        """Entries go `expiry` after the end of the slot they arrived in (stream time)."""
        return (member.slot + 1) * self.hold_us + self.params.expiry_us

    def process(self, element, postings=beam.DoFn.StateParam(POSTINGS),
                next_expiry=beam.DoFn.StateParam(NEXT_EXPIRY),
                expire=beam.DoFn.TimerParam(EXPIRE)):
        _bucket, (h, member) = element
        prefix = hash_suffix(h, self.bits)
        # entries under the same shingle (`shingle_key`): the suffix's last byte (the quoted
        # flag and the run tag) may differ; the shared shingle as the later text has it
        # (`dedup.hit_shingle`)
        head = prefix[:-1]
        stored, stored_low = [], {}
        for e in postings.read():
            if e.startswith(head):
                m = self._member(e)
                stored.append(m)
                stored_low[m.article_id] = e[self.skip - 1]
        hits, keep = bucket_hits(stored, member, self.params)
        key = h & ~0xFF
        yield member.article_id, ("ack", tuple(
            (earlier, hit_shingle(h, stored_low[earlier.article_id]))
            for later_id, earlier in hits if later_id == member.article_id))
        for later_id, earlier in hits:
            if later_id != member.article_id:    # the stored entry is the later text
                yield later_id, ("hit", ((earlier, hit_shingle(key | stored_low[later_id], h)),))
            # the later text's decision needs the earlier one's number sketch, which the
            # index does not keep: asked of the sketch store (`_SketchFn`)
            yield TaggedOutput(WANTS, (earlier.article_id, ("want", later_id)))
        if not keep or any(m.article_id == member.article_id for m in stored):
            return
        postings.add(prefix + encode_member(member))
        expiry_at = self._expires_at(member)
        current = next_expiry.read()
        if current is None or expiry_at < current:
            next_expiry.write(expiry_at)
            expire.set(_ts(expiry_at))

    @on_timer(EXPIRE)
    def expire_entries(self, fired=beam.DoFn.TimestampParam,
                       postings=beam.DoFn.StateParam(POSTINGS),
                       next_expiry=beam.DoFn.StateParam(NEXT_EXPIRY),
                       expire=beam.DoFn.TimerParam(EXPIRE)):
        now_us = fired.micros
        entries = list(postings.read())
        live = [e for e in entries if self._expires_at(self._member(e)) > now_us]
        count("cfnews.dedup", "expired_postings", len(entries) - len(live))
        postings.clear()
        for e in live:
            postings.add(e)
        if live:
            nxt = min(self._expires_at(self._member(e)) for e in live)
            next_expiry.write(nxt)
            expire.set(_ts(nxt))
        else:
            next_expiry.clear()


# ---------------------------------------------------------------- 1b. the number sketches

WANTS = "wants"


class _SketchFn(beam.DoFn):
    """Keyed by article id: the article's number sketch (transforms/numbers.py), kept once per
    article for as long as its index entries live, rather than in each of its postings. A
    ("want", later id) from the index, sent when a later text meets this one, is answered with
    ("numbers", (this id, sketch)) to the later text's decision; a want that comes before the
    sketch waits for it (or, if it never comes, is answered with no sketch, which never
    vetoes)."""
    SKETCH = ReadModifyWriteStateSpec("sketch", BytesCoder())      # `_pack_sketch`
    WAITING = BagStateSpec("waiting", PickleCoder())
    FORGET = TimerSpec("forget", TimeDomain.WATERMARK)

    def __init__(self, params: DedupParams, hold_us: int):
        self.keep_us = params.expiry_us + 2 * hold_us

    def process(self, element, when=beam.DoFn.TimestampParam,
                sketch=beam.DoFn.StateParam(SKETCH), waiting=beam.DoFn.StateParam(WAITING),
                forget=beam.DoFn.TimerParam(FORGET)):
        article_id, (kind, payload) = element
        forget.set(_ts(when.micros + self.keep_us))
        if kind == "sketch":
            sketch.write(_pack_sketch(payload))
            for later_id in waiting.read():
                yield later_id, ("numbers", (article_id, payload))
            waiting.clear()
            return
        known = sketch.read()
        if known is None:
            waiting.add(payload)
        else:
            yield payload, ("numbers", (article_id, _unpack_sketch(known)))

    @on_timer(FORGET)
    def on_forget(self, key=beam.DoFn.KeyParam, sketch=beam.DoFn.StateParam(SKETCH),
                  waiting=beam.DoFn.StateParam(WAITING)):
        for later_id in waiting.read():
            yield later_id, ("numbers", (key, ()))
        sketch.clear()
        waiting.clear()


# ---------------------------------------------------------------- 2. the decision

class _DecideFn(beam.DoFn):
    """Keyed by article id. Messages: ("article", (Article, Member, n_postings, prior)),
    ("ack", earlier members), ("hit", earlier members), ("numbers", (earlier id, its number
    sketch)). The index's members carry no sketch; the decision waits for the sketch of every
    earlier article it met (`_SketchFn`), unless its own is too short ever to veto. `prior`:
    the articles earlier runs wrote that it shares hashes with (`_AnnounceFn`), as
    `dedup.decide` takes them, sketches included."""
    ARTICLE = ReadModifyWriteStateSpec("article", PickleCoder())
    EARLIER = BagStateSpec("earlier", BytesCoder())
    NUMBERS = BagStateSpec("numbers", PickleCoder())
    ACKS = ReadModifyWriteStateSpec("acks", VarIntCoder())
    DUE = ReadModifyWriteStateSpec("due", BooleanCoder())
    DONE = ReadModifyWriteStateSpec("done", BooleanCoder())
    DECIDE = TimerSpec("decide", TimeDomain.WATERMARK)
    FORGET = TimerSpec("forget", TimeDomain.WATERMARK)

    def __init__(self, params: DedupParams, hold_us: int):
        self.params = params
        self.hold_us = hold_us

    def process(self, element, when=beam.DoFn.TimestampParam,
                article=beam.DoFn.StateParam(ARTICLE), earlier=beam.DoFn.StateParam(EARLIER),
                numbers=beam.DoFn.StateParam(NUMBERS),
                acks=beam.DoFn.StateParam(ACKS), due=beam.DoFn.StateParam(DUE),
                done=beam.DoFn.StateParam(DONE), decide_timer=beam.DoFn.TimerParam(DECIDE),
                forget=beam.DoFn.TimerParam(FORGET)):
        _article_id, (kind, payload) = element
        if done.read():
            if kind != "numbers":       # a sketch asked by a hit that came too late
                count("cfnews.dedup", "hit_after_decision")
            return
        # no message for this key can come later than this, short of a stalled stage
        forget.set(_ts(when.micros + self.params.expiry_us + self.hold_us))
        if kind == "article":
            article.write(payload)
            # the end of its arrival slot: every article ordered before it has arrived
            decide_timer.set(_ts((payload[1].slot + 1) * self.hold_us))
        elif kind == "numbers":
            numbers.add(payload)
        else:
            for m, shingle in payload:
                earlier.add(encode_member(m) + _SHINGLE.pack(shingle))
            if kind == "ack":
                acks.write((acks.read() or 0) + 1)
        if due.read():
            yield from self._maybe_decide(article, earlier, numbers, acks, due, done)

    @on_timer(DECIDE)
    def on_decide(self, article=beam.DoFn.StateParam(ARTICLE),
                  earlier=beam.DoFn.StateParam(EARLIER), numbers=beam.DoFn.StateParam(NUMBERS),
                  acks=beam.DoFn.StateParam(ACKS),
                  due=beam.DoFn.StateParam(DUE), done=beam.DoFn.StateParam(DONE)):
        due.write(True)
        yield from self._maybe_decide(article, earlier, numbers, acks, due, done)

    @on_timer(FORGET)
    def on_forget(self, article=beam.DoFn.StateParam(ARTICLE),
                  earlier=beam.DoFn.StateParam(EARLIER), numbers=beam.DoFn.StateParam(NUMBERS),
                  acks=beam.DoFn.StateParam(ACKS),
                  due=beam.DoFn.StateParam(DUE), done=beam.DoFn.StateParam(DONE)):
        if article.read() is not None and not done.read():
            # acks still missing long after the fact: decide on what arrived, never drop
            count("cfnews.dedup", "decided_with_missing_acks")
            yield from self._maybe_decide(article, earlier, numbers, acks, due, done,
                                          complete=True)
        for state in (article, earlier, numbers, acks, due, done):
            state.clear()

    def _maybe_decide(self, article, earlier, numbers, acks, due, done, complete: bool = False):
        stored = article.read()
        if stored is None:
            return
        art, member, n_postings, prior = stored
        if not complete and (acks.read() or 0) < n_postings:
            return                      # some postings are still on their way
        entries = [_shared_entry(e) for e in earlier.read()]
        if len(member.numbers) >= self.params.number_conflicts:   # its own can veto
            sketches = dict(numbers.read())
            if not complete and any(m.article_id not in sketches for m, *_ in entries):
                return                  # an earlier text's sketch is still on its way
            entries = [(m._replace(numbers=sketches.get(m.article_id, ())),) + tuple(rest)
                       for m, *rest in entries]
        # an article this job indexed is met through the state (a worker whose history was
        # opened after the job wrote it meets it in both: counted once)
        in_state = {m.article_id for m, *_ in entries}
        from_history = {m.article_id for m, *_ in prior if m.article_id not in in_state}
        entries += [p for p in prior if p[0].article_id in from_history]
        match = decide(member, entries, self.params)
        for state in (article, earlier, numbers, acks, due):
            state.clear()
        done.write(True)
        pointer = match.earlier_id if match and match.copy else art.article_id
        yield (art.article_id, pointer, member.time_us, (art, match),
               pointer in from_history)


def _shared_entry(entry: bytes):
    """A decision bag entry as `dedup.decide` takes it: (member, 1, plain key(s), quoted)."""
    shingle = _SHINGLE.unpack_from(entry, len(entry) - _SHINGLE.size)[0]
    member = decode_member(entry[:-_SHINGLE.size])
    return (member, 1, (), 1) if shingle == QUOTED else (member, 1, (shingle,), 0)


# ---------------------------------------------------------------- 3. chains

class _FollowPointerFn(beam.DoFn):
    """One round of pointer doubling, keyed by article id. ("node", pointer) is the key's own
    pointer; ("ask", record) comes from a record pointing at the key and gets the key's
    pointer as its new one."""
    POINTER = ReadModifyWriteStateSpec("pointer", PickleCoder())
    WAITING = BagStateSpec("waiting", PickleCoder())
    FORGET = TimerSpec("forget", TimeDomain.WATERMARK)

    def __init__(self, keep_us: int):
        self.keep_us = keep_us

    def process(self, element, when=beam.DoFn.TimestampParam,
                pointer=beam.DoFn.StateParam(POINTER), waiting=beam.DoFn.StateParam(WAITING),
                forget=beam.DoFn.TimerParam(FORGET)):
        _key, (kind, payload) = element
        forget.set(_ts(when.micros + self.keep_us))
        if kind == "node":
            pointer.write(payload)
            for record in waiting.read():
                yield (record[0], payload) + record[2:]
            waiting.clear()
        else:
            known = pointer.read()
            if known is None:
                waiting.add(payload)
            else:
                yield (payload[0], known) + payload[2:]

    @on_timer(FORGET)
    def on_forget(self, key=beam.DoFn.KeyParam, pointer=beam.DoFn.StateParam(POINTER),
                  waiting=beam.DoFn.StateParam(WAITING)):
        # an ask whose node never came (a stalled stage): the key is taken as the root
        # rather than dropping the article
        for record in waiting.read():
            count("cfnews.dedup", "chain_not_followed")
            yield (record[0], pointer.read() or key) + record[2:]
        pointer.clear()
        waiting.clear()


def _round_messages(record):
    article_id, pointer, points_at_history = record[0], record[1], record[4]
    messages = [(article_id, ("node", pointer)), (pointer, ("ask", record))]
    if points_at_history:
        # an article an earlier run wrote is in `articles` (a root) and has no node in this
        # job: its copy says so, or the ask would wait for the key's forget timer (expiry)
        messages.append((pointer, ("node", pointer)))
    return messages


class _EmitFn(beam.DoFn):
    def process(self, record):
        _article_id, root, _time_us, (article, match), _ = record
        # a rewrite takes the story of the article it reports on (one link, not a chain); a
        # copy of an article an earlier run wrote takes that article's stored story
        if match and not match.copy:
            story = match.earlier_story or match.earlier_id
        else:
            story = (match.earlier_story if match else "") or root
        result = to_output(article, match, root, story)
        if isinstance(result, Duplicate):
            count("cfnews.dedup", "near_duplicate")
            yield TaggedOutput(DUPLICATES, result)
        else:
            yield result


# ---------------------------------------------------------------- the transform

def _postings(prepared, bits: int):
    """(bucket, (hash, member)) per sampled hash; the member without its number sketch,
    which `_SketchFn` keeps once per article."""
    _article, member, hashes = prepared
    bare = member._replace(numbers=())
    return [(bucket_of(h, bits), (h, bare)) for h in hashes]


class _AnnounceFn(beam.DoFn):
    """The article to its decision, with the articles earlier runs wrote that it shares
    hashes with (transforms/history.py, as the batch dedup's `_PriorHitsFn`): a job started
    afresh on a folder (a new job after an update, a restart) has empty keyed state, and
    would otherwise keep copies of what the previous job wrote as originals."""

    def __init__(self, params: DedupParams, history_dir: Optional[str], job_key: str):
        self.params = params
        self.history_dir = history_dir
        self.job_key = job_key
        self.history = None

    def setup(self):
        if self.history_dir:
            from cfnews.transforms.history import open_history
            self.history = open_history(self.history_dir, self.job_key)

    def process(self, prepared):
        article, member, hashes = prepared
        prior = ()
        if self.history is not None:
            prior = tuple(self.history.prior_hits(member, hashes, self.params))
            if prior:
                count("cfnews.dedup", "history_candidates", len(prior))
        yield article.article_id, ("article", (article, member, len(hashes), prior))


class _PrepareFn(beam.DoFn):
    """Fingerprint; the arrival slot comes from the element's timestamp (in the streaming
    graph, when the feed was polled), not from published_at, which can be days behind."""

    def __init__(self, hold_us: int):
        self.hold_us = hold_us

    def process(self, article, when=beam.DoFn.TimestampParam):
        article = with_fingerprint(article)   # carried to the writer, as in batch
        member, hashes = prepare(article, slot=max(when.micros, 0) // self.hold_us)
        yield article, member, hashes


@dataclasses.dataclass
class StreamingDeduplicate(beam.PTransform):
    """Article -> (Article with cluster_id, Duplicate), for unbounded input. Element
    timestamps are taken as arrival times (they are not changed); outputs are emitted at the
    end of the input's `hold` slot. `history_dir`: the output folder whose earlier articles
    (within the expiry) copies are matched against, as in batch; `job_key` the run id."""
    threshold: float = CONTAINMENT_THRESHOLD
    same_outlet_threshold: float = SAME_OUTLET_THRESHOLD
    min_shared: int = MIN_SHARED
    expiry: dt.timedelta = DEFAULT_EXPIRY
    hold: dt.timedelta = DEFAULT_HOLD
    bucket_bits: int = STREAM_BUCKET_BITS
    max_bucket: int = MAX_BUCKET
    resolve_rounds: int = RESOLVE_ROUNDS
    history_dir: Optional[str] = None
    job_key: str = ""

    def expand(self, articles):
        params = DedupParams(self.threshold, self.same_outlet_threshold, self.min_shared,
                             self.expiry, self.max_bucket)
        hold_us, bits = _us(self.hold), self.bucket_bits
        if hold_us < 1_000_000:
            raise ValueError("hold must be at least one second")
        prepared = articles | "Fingerprint" >> beam.ParDo(_PrepareFn(hold_us))
        # keyed stages need a deterministic key coder: declare the keys' types
        indexed = (prepared
                   | "Postings" >> beam.FlatMap(_postings, bits).with_output_types(Tuple[int, Any])
                   | "Index" >> beam.ParDo(_IndexFn(params, hold_us, bits)).with_outputs(
                       WANTS, main=MAIN))
        replies = indexed[MAIN] | "Replies" >> beam.Map(lambda kv: kv).with_output_types(
            Tuple[str, Any])
        wants = indexed[WANTS] | "Wants" >> beam.Map(lambda kv: kv).with_output_types(
            Tuple[str, Any])
        sketches = prepared | "Sketch" >> beam.Map(
            lambda p: (p[1].article_id, ("sketch", p[1].numbers))).with_output_types(Tuple[str, Any])
        answers = ((sketches, wants) | "ToSketches" >> beam.Flatten()
                   | "Sketches" >> beam.ParDo(_SketchFn(params, hold_us)).with_output_types(
                       Tuple[str, Any]))
        announced = prepared | "Announce" >> beam.ParDo(
            _AnnounceFn(params, self.history_dir, self.job_key)).with_output_types(Tuple[str, Any])
        records = ((announced, replies, answers) | "ToDecide" >> beam.Flatten()
                   | "Decide" >> beam.ParDo(_DecideFn(params, hold_us)))
        for r in range(self.resolve_rounds):
            keep_us = params.expiry_us * 2 ** r + 2 * hold_us   # asks come <= 2**r links later
            records = (records
                       | f"Messages{r}" >> beam.FlatMap(_round_messages).with_output_types(
                           Tuple[str, Any])
                       | f"Follow{r}" >> beam.ParDo(_FollowPointerFn(keep_us)))
        out = records | "Emit" >> beam.ParDo(_EmitFn()).with_outputs(DUPLICATES, main=MAIN)
        return out[MAIN], out[DUPLICATES]


# ---------------------------------------------------------------- exact duplicates

class _FirstSeenFn(beam.DoFn):
    """Keyed by canonical URL or (outlet, guid): the first entry seen goes on, later ones
    within `expiry` are duplicates of it."""
    FIRST = ReadModifyWriteStateSpec("first", PickleCoder())
    FORGET = TimerSpec("forget", TimeDomain.WATERMARK)

    def __init__(self, method: str, expiry: dt.timedelta):
        self.method = method
        self.expiry_us = _us(expiry)

    def process(self, element, when=beam.DoFn.TimestampParam,
                first=beam.DoFn.StateParam(FIRST), forget=beam.DoFn.TimerParam(FORGET)):
        _key, entry = element
        seen = first.read()
        if seen is None:
            first.write(entry)
            forget.set(_ts(when.micros + self.expiry_us))
            yield entry
        else:
            count("cfnews.dedup", self.method)
            yield TaggedOutput(DUPLICATES, entry_duplicate(entry, seen, self.method))

    @on_timer(FORGET)
    def on_forget(self, first=beam.DoFn.StateParam(FIRST)):
        first.clear()


@dataclasses.dataclass
class StreamingDedupEntries(beam.PTransform):
    """FeedEntry -> (FeedEntry, Duplicate) for unbounded input: the first entry seen per
    canonical URL, then per (outlet, feed guid), goes on; keys are forgotten after `expiry`."""
    expiry: dt.timedelta = DEFAULT_EXPIRY

    def expand(self, entries):
        by_url = (entries
                  | "KeyByUrl" >> beam.Map(lambda e: (e.article_id, e)).with_output_types(
                      Tuple[str, Any])
                  | "FirstPerUrl" >> beam.ParDo(_FirstSeenFn("canonical_url", self.expiry))
                  .with_outputs(DUPLICATES, main=MAIN))
        by_guid = (by_url[MAIN]
                   | "KeyByGuid" >> beam.Map(lambda e: (guid_key(e), e)).with_output_types(
                       Tuple[str, Any])
                   | "FirstPerGuid" >> beam.ParDo(_FirstSeenFn("feed_guid", self.expiry))
                   .with_outputs(DUPLICATES, main=MAIN))
        return by_guid[MAIN], ((by_url[DUPLICATES], by_guid[DUPLICATES])
                               | "EntryDuplicates" >> beam.Flatten())


# ---------------------------------------------------------------- exact duplicates, linked

# How long a never-fetched duplicate waits for its first entry's fate before it is written
# as it is (pointing at the first entry): fetching and dedup take minutes; the job's retries
# of the first entry are added (`link_wait`).
LINK_WAIT = dt.timedelta(days=1)


def link_wait(retry_wait: Optional[float] = None) -> dt.timedelta:
    """How long a duplicate waits for its first entry's fate in a job that fetches transient
    failures again after `retry_wait` seconds (None: it does not): as long as the first
    entry's retries can take (schemas/reasons.py: `retry_span`, 5 x the wait by default),
    plus LINK_WAIT for the fetches and stages themselves; a fixed wait shorter than the
    retries would write the duplicate unlinked before the final fate comes."""
    if retry_wait is None:
        return LINK_WAIT
    return LINK_WAIT + dt.timedelta(seconds=retry_span(retry_wait))


class _LinkFn(beam.DoFn):
    """Keyed by a first entry's id: its fate (Outcome), and the entries that duplicate it.
    A duplicate waits for the fate (`dedup.link_entry_duplicate`, as in batch); the fate is
    kept for `expiry`, as long as the first entry's key is (`_FirstSeenFn`)."""
    FATE = ReadModifyWriteStateSpec("fate", PickleCoder())
    WAITING = BagStateSpec("waiting", PickleCoder())
    EXPIRE = TimerSpec("expire", TimeDomain.WATERMARK)

    def __init__(self, expiry: dt.timedelta, wait: dt.timedelta = LINK_WAIT):
        self.expiry_us = _us(expiry)
        # not capped at the expiry: a duplicate waits as long as its first entry's retries
        self.wait_us = _us(wait)

    def process(self, element, when=beam.DoFn.TimestampParam,
                fate=beam.DoFn.StateParam(FATE), waiting=beam.DoFn.StateParam(WAITING),
                expire=beam.DoFn.TimerParam(EXPIRE)):
        _key, (kind, value) = element
        if kind == "fate":
            fate.write(value)
            for duplicate in waiting.read():
                yield link_entry_duplicate(duplicate, value)
            waiting.clear()
            expire.set(_ts(when.micros + self.expiry_us))
            return
        known = fate.read()
        if known is not None:
            yield link_entry_duplicate(value, known)
        else:
            waiting.add(value)
            expire.set(_ts(when.micros + self.wait_us))

    @on_timer(EXPIRE)
    def on_expire(self, fate=beam.DoFn.StateParam(FATE), waiting=beam.DoFn.StateParam(WAITING)):
        for duplicate in waiting.read():
            count("cfnews.dedup", "entry_duplicate_not_linked")
            yield duplicate
        waiting.clear()
        fate.clear()


@dataclasses.dataclass
class StreamingLinkEntryDuplicates(beam.PTransform):
    """(entry Duplicates, records) -> the duplicates linked to their first entry's fate, as
    `dedup.LinkEntryDuplicates` does in batch (two rounds: guid, then URL duplicates). A
    duplicate waits at most `wait` for its first entry's fate (`link_wait`)."""
    expiry: dt.timedelta = DEFAULT_EXPIRY
    wait: dt.timedelta = LINK_WAIT

    def expand(self, inputs):
        return link_in_two_rounds(inputs, self._round)

    def _round(self, label, duplicates, fates):
        keyed_fates = fates | f"Fate{label}" >> beam.Map(
            lambda kv: (kv[0], ("fate", kv[1]))).with_output_types(Tuple[str, Any])
        keyed_dups = duplicates | f"ByFirst{label}" >> beam.Map(
            lambda d: (d.matched_id, ("dup", d))).with_output_types(Tuple[str, Any])
        return ((keyed_fates, keyed_dups) | f"Both{label}" >> beam.Flatten()
                | f"Link{label}" >> beam.ParDo(_LinkFn(self.expiry, self.wait)))
