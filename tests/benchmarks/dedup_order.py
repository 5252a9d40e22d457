"""Ordered evidence for the dedup: a feasibility study (issue 15), benchmark-side only.

The index keeps, per article, value-sampled shingle hashes (no positions, no texts). Two kinds
of misses and one known false copy were judged to need ordered or positional evidence:
one outlet's updated re-posts and trimmed two-outlet copies just under the containment bar,
and a rewrite that shares a release quote and a furniture paragraph with a widely copied story
(`test_a_rewrite_sharing_furniture_with_a_widely_copied_story_is_not_a_copy`). This module
measures what a richer stored fingerprint could tell, on dedup_eval's labelled pairs:

  (a) POSITIONS: one byte per sampled hash, the position of the shingle's first occurrence in
      the text (index / number of shingles, quantised to 0..255). Cost: 1 byte per posting
      (at most CAP = 96 per article), carried by each index hit like the hash itself. From the
      shared hashes' positions in both texts:
        order   longest run of shared hashes whose positions increase in both texts (longest
                non-decreasing subsequence), as a share of the shared hashes: 1.0 when the
                shared text comes in the same order;
        spread  of the POSITION_BINS position bins of the smaller text (the one whose count
                the containment rests on) that hold one of its sampled hashes, the share that
                hold a shared one: a copy shares text all along, a shared background or
                furniture paragraph sits in one place.
  (b) SENTENCES: a second sample of hashes, one per *plain* sentence (normalised tokens of a
      sentence outside quoted sentences, >= SENTENCE_MIN_WORDS words, keyed by its last
      SENTENCE_KEY_WORDS words so that a dateline does not change it), value-sampled in nested
      levels at most SENTENCE_CAP per article like the shingles. Cost: SENTENCE_CAP x 4 bytes
      + level and counts, per article; but a hit carries only the matched hash's posting, so
      the sample must either ride in every posting (x 96) or be looked up per candidate pair.
        sentences  share of the smaller sample's plain sentences found in the other.

    python tests/benchmarks/dedup_order.py --seeds 1-15 --grid [--save rows.pkl]  # choose here
    python tests/benchmarks/dedup_order.py --seeds 16-40 --rule 0.9:spread=0.8   # the check

Per seed it prints each feature's distribution by group: wire copies the current rule misses
and finds, negatives by kind (and those near the containment bar), the story families'
rewrites, same-event stories and copies; then what a rescue rule would do (`Rule`: a pair
failing only the containment bar, at >= FACTOR of it, with >= MIN_SHARED hashes and the
plain-text test passed, is a copy when FEATURE >= T): misses rescued, negatives and rewrites
made copies. `--grid` prints that for a grid of rules, and what a veto (a copy needs FEATURE
>= T) would cost the copies found today, pooled over the seeds given (for choosing on dev
seeds only). Finally the furniture-bug scenario of test_dedup.py.
"""
from __future__ import annotations

import argparse
import bisect
import collections
import hashlib
import os
import pickle
import statistics
import sys
from typing import Dict, List, NamedTuple, Sequence, Tuple

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from cfnews.transforms.fingerprint import (  # noqa: E402
    BASE_RATE, CAP, _QUOTED_SPAN, _SENTENCE_BREAK, _quoted_sentences, _words,
    marked_shingle_hashes, sample, shingle_key, story_lines)

POSITIONS = 256          # one byte per sampled hash
POSITION_BINS = 10
SENTENCE_MIN_WORDS = 5
SENTENCE_CAP = 16
SENTENCE_HASH_BYTES = 4
SENTENCE_KEY_WORDS = 8   # a sentence is keyed by its last words: a dateline prefixed to a
                         # copy's first sentence ("PARIS (AFP) -") leaves its key unchanged


class Ordered(NamedTuple):
    """What a richer fingerprint would store: the sampled hashes (as today) with the position
    byte of each, and the plain-sentence sample."""
    hashes: Tuple[int, ...]
    level: int
    counts: Tuple[int, ...]
    positions: Dict[int, int]            # shingle_key -> 0..255
    sentences: Tuple[int, ...]           # sampled plain-sentence hashes
    sentence_level: int
    sentence_counts: Tuple[int, ...]


# ---------------------------------------------------------------- (a) positions

def sampled_positions(text: str, cap: int = CAP) -> Tuple[object, Dict[int, int]]:
    """(the production fingerprint, shingle_key -> position byte of its first occurrence)."""
    hashes = marked_shingle_hashes(text)
    fp = sample(hashes, BASE_RATE, cap)
    if not fp.hashes:
        return fp, {}
    keys = hashes & ~np.uint64(0xFF)               # shingle_key: without the quoted flag and run tag
    wanted = np.array(sorted({shingle_key(h) for h in fp.hashes}), dtype=np.uint64)
    idx = np.nonzero(np.isin(keys, wanted))[0]
    found, first = np.unique(keys[idx], return_index=True)
    n = len(hashes)
    return fp, {int(k): int(idx[i]) * POSITIONS // n for k, i in zip(found.tolist(), first.tolist())}


def longest_nondecreasing(values: Sequence[int]) -> int:
    tails: List[int] = []
    for v in values:
        i = bisect.bisect_right(tails, v)
        if i == len(tails):
            tails.append(v)
        else:
            tails[i] = v
    return len(tails)


def order_agreement(pos_a: Dict[int, int], pos_b: Dict[int, int]) -> float:
    """Share of the shared keys that lie on one run increasing in both texts (ties in a's
    positions broken by b's, so quantisation alone never breaks a run)."""
    shared = sorted((pos_a[k], pos_b[k]) for k in pos_a.keys() & pos_b.keys())
    if not shared:
        return 0.0
    return longest_nondecreasing([b for _, b in shared]) / len(shared)


def spread(pos_small: Dict[int, int], shared: set, bins: int = POSITION_BINS) -> float:
    """Of the bins of the smaller text that hold one of its (compared) sampled hashes, the
    share that hold a shared one."""
    occupied = {p * bins // POSITIONS for p in pos_small.values()}
    if not occupied:
        return 0.0
    hit = {pos_small[k] * bins // POSITIONS for k in shared if k in pos_small}
    return len(hit) / len(occupied)


# ---------------------------------------------------------------- (b) plain sentences

def plain_sentences(text: str) -> List[bytes]:
    """Keys of the plain sentences of the lines the fingerprint keeps: the last
    SENTENCE_KEY_WORDS normalised tokens, joined by spaces. Sentences overlapping a quoted
    sentence are left out, as are those shorter than SENTENCE_MIN_WORDS."""
    out = []
    for line, words in story_lines(text):
        quoted = _quoted_sentences(line)
        inside = [m.span() for m in _QUOTED_SPAN.finditer(line)]
        cuts = [m.end() for m in _SENTENCE_BREAK.finditer(line)
                if not any(a < m.start() < b for a, b in inside)]
        for start, end in zip([0] + cuts, cuts + [len(line)]):
            if any(a < end and start < b for a, b in quoted):
                continue
            sentence = _words(line[start:end])
            if len(sentence) >= SENTENCE_MIN_WORDS:
                out.append(b" ".join(sentence[-SENTENCE_KEY_WORDS:]))
    return out


def sentence_sample(text: str, cap: int = SENTENCE_CAP) -> Tuple[Tuple[int, ...], int, Tuple[int, ...]]:
    """(sampled sentence hashes, level, counts at level, level + 1, ...): level L keeps the
    hashes below 2**32 >> L, the finest level keeping at most `cap` (nested, as the shingles)."""
    bits = 8 * SENTENCE_HASH_BYTES
    hashes = sorted({int.from_bytes(hashlib.blake2b(s, digest_size=SENTENCE_HASH_BYTES).digest(),
                                    "little") for s in plain_sentences(text)})
    counts = [bisect.bisect_left(hashes, 1 << (bits - lv)) for lv in range(bits)]
    level = next((lv for lv, c in enumerate(counts) if c <= cap), bits - 1)
    return tuple(hashes[:counts[level]]), level, tuple(counts[level:level + 4])


def sentence_share(a: Ordered, b: Ordered) -> float:
    """Share of the smaller sentence sample (at the coarser level) found in the other."""
    level = max(a.sentence_level, b.sentence_level)

    def count(o: Ordered):
        i = level - o.sentence_level
        return o.sentence_counts[i] if i < len(o.sentence_counts) else None
    n_a, n_b = count(a), count(b)
    if not n_a or not n_b:
        return 0.0
    return len(set(a.sentences) & set(b.sentences)) / min(n_a, n_b)


# ---------------------------------------------------------------- a pair

def ordered(text: str) -> Ordered:
    fp, positions = sampled_positions(text)
    sentences, s_level, s_counts = sentence_sample(text)
    return Ordered(fp.hashes, fp.level, fp.counts, positions, sentences, s_level, s_counts)


def features(later: Ordered, earlier: Ordered) -> Dict[str, float]:
    """order, spread (positions) and sentences for a pair. The smaller text is the one with
    fewer hashes at the coarser level (the containment's denominator), the later on a tie."""
    from cfnews.transforms.fingerprint import level_limit
    level = max(later.level, earlier.level)
    limit = level_limit(level)

    def at_level(o: Ordered) -> Dict[int, int]:
        return {k: p for k, p in o.positions.items() if k < limit}
    pos_l, pos_e = at_level(later), at_level(earlier)
    shared = pos_l.keys() & pos_e.keys()
    small = pos_l if len(pos_l) <= len(pos_e) else pos_e
    return dict(order=order_agreement(pos_e, pos_l), spread=spread(small, shared),
                sentences=sentence_share(later, earlier))


FEATURES = ("order", "spread", "sentences")


# ---------------------------------------------------------------- rows per seed

class Row(NamedTuple):
    group: str
    duplicate: bool
    current: str            # "copy", "rewrite" (story link) or "none"
    containment: float
    bar: float
    shared: int
    plain_ok: bool          # shared >= min_shared and the plain-text test passes (no furniture)
    order: float
    spread: float
    sentences: float


def rows_for(docs, pairs, links, group_of) -> List[Row]:
    from tests.benchmarks.dedup_eval import as_articles
    from cfnews.transforms.dedup import (DedupParams, containment_threshold, prepare,
                                         shared_with, shares_plain_text, similarity)
    params = DedupParams()
    needed = {d for q in pairs for d in (q.a, q.b)}
    arts = {a.article_id: a for a in as_articles(docs) if a.article_id in needed}
    prepared = {d: prepare(a) for d, a in arts.items()}
    rich = {d: ordered(arts[d].text) for d in needed}
    out = []
    for q, m in zip(pairs, links):
        (ma, ha), (mb, hb) = prepared[q.a], prepared[q.b]
        n, plain, _ = shared_with(hb, ha)
        c = similarity(mb, ma, n)[0]
        f = features(rich[q.b], rich[q.a])
        current = "none" if m is None else ("copy" if m.copy else "rewrite")
        plain_ok = n >= params.min_shared and shares_plain_text(mb, ma, len(plain), params, c)
        out.append(Row(group_of(q, current), q.duplicate, current, c,
                       containment_threshold(mb, ma, params), n, plain_ok,
                       f["order"], f["spread"], f["sentences"]))
    return out


def wire_group(q, current: str) -> str:
    if q.duplicate:
        return "copy missed" if current != "copy" else "copy found"
    return f"neg {q.kind}" + (" (FP now)" if current == "copy" else "")


def family_group(q, current: str) -> str:
    return f"family {q.kind}"


def seed_rows(seed: int) -> List[Row]:
    from tests.benchmarks.dedup_corpus import story_pairs
    from tests.benchmarks.dedup_eval import background, cfnews_links, load
    context = background(seed)
    docs, pairs = load(seed)
    rows = rows_for(docs, pairs, cfnews_links(docs, pairs, context=context), wire_group)
    fdocs, fpairs = story_pairs(seed)
    rows += rows_for(fdocs, fpairs, cfnews_links(fdocs, fpairs, context=context), family_group)
    return rows


def near_bar(r: Row, factor: float = 0.7) -> bool:
    return r.shared >= 8 and r.containment >= factor * r.bar


# ---------------------------------------------------------------- the rescue rule

class Rule(NamedTuple):
    """A pair with no link today, failing only the containment bar (at >= `factor` of it,
    >= MIN_SHARED hashes, the plain-text test passed), is a copy when every feature of
    `bars` reaches its value. Written FACTOR:FEATURE=T[,FEATURE=T]."""
    factor: float
    bars: Tuple[Tuple[str, float], ...]

    @classmethod
    def parse(cls, text: str) -> "Rule":
        factor, _, bars = text.partition(":")
        return cls(float(factor), tuple((f, float(t)) for f, _, t in
                                        (b.partition("=") for b in bars.split(","))))

    def __str__(self) -> str:
        return f"{self.factor}:" + ",".join(f"{f}={t}" for f, t in self.bars)

    def rescues(self, r: Row) -> bool:
        return (r.current == "none" and self.factor * r.bar <= r.containment < r.bar
                and r.plain_ok and all(getattr(r, f) >= t for f, t in self.bars))


def rule_effect(rows: Sequence[Row], rule: Rule) -> Tuple[int, int, collections.Counter, int]:
    """(misses, misses rescued, negatives made copies by group, family rewrites / other
    stories made copies)."""
    misses = [r for r in rows if r.group == "copy missed"]
    fixed = sum(rule.rescues(r) for r in misses)
    negatives = collections.Counter(r.group for r in rows if not r.duplicate
                                    and not r.group.startswith("family") and rule.rescues(r))
    family = sum(rule.rescues(r) for r in rows if not r.duplicate and r.group.startswith("family"))
    return len(misses), fixed, negatives, family


def veto_cost(rows: Sequence[Row], feature: str, t: float) -> Tuple[int, int]:
    """Copies found today (wire and family) that a veto `feature` < t would file as rewrites:
    (lost, found)."""
    found = [r for r in rows if r.duplicate and r.current == "copy"]
    return sum(getattr(r, feature) < t for r in found), len(found)


# ---------------------------------------------------------------- printing

def summary(values: Sequence[float]) -> str:
    if not values:
        return "-"
    v = sorted(values)
    q = lambda p: v[min(len(v) - 1, int(p * len(v)))]  # noqa: E731
    return f"{v[0]:.2f} {q(0.1):.2f} {statistics.median(v):.2f} {q(0.9):.2f} {v[-1]:.2f}"


def print_distributions(rows: Sequence[Row], title: str) -> None:
    groups = collections.defaultdict(list)
    for r in rows:
        groups[r.group].append(r)
        if not r.duplicate and near_bar(r) and r.current != "copy":
            groups["near bar: " + ("family " if r.group.startswith("family") else "") + "negatives"].append(r)
    print(f"{title}: min p10 median p90 max per feature")
    print(f"  {'group':<36} {'n':>5} | " + " | ".join(f"{f:<24}" for f in FEATURES))
    for g in sorted(groups):
        rs = groups[g]
        print(f"  {g:<36} {len(rs):>5} | " + " | ".join(
            f"{summary([getattr(r, f) for r in rs]):<24}" for f in FEATURES))


def print_misses(rows: Sequence[Row]) -> None:
    for r in rows:
        if r.group == "copy missed":
            print(f"    miss: c {r.containment:.3f} / bar {r.bar:.3f} on {r.shared} shared, plain ok "
                  f"{r.plain_ok}, now {r.current}: order {r.order:.2f} spread {r.spread:.2f} "
                  f"sentences {r.sentences:.2f}")


def furniture_scenario() -> None:
    """The xfail case of test_dedup.py and its neighbours, with the hand-written texts."""
    from tests import test_dedup as t
    cases = [("xfail: rewrite TRIMMED_B vs REPORT (quote + letters paragraph)", t.TRIMMED_B, t.REPORT),
             ("rewrites TRIMMED_B vs TRIMMED_A", t.TRIMMED_B, t.TRIMMED_A),
             ("copy of REPORT, headline cut (is a copy)",
              "\n".join(["PARIS (AFP) - " + t.REPORT.splitlines()[1]] + t.REPORT.splitlines()[2:]),
              t.REPORT),
             ("quote-heavy copy WINE_COPY vs WINE (is a copy)", t.WINE_COPY, t.WINE),
             ("rewrite WINE_REWRITE vs WINE", t.WINE_REWRITE, t.WINE),
             ("trimmed wuhan copy vs WUHAN (is a copy)", t.wuhan_copy(3, trim=True), t.WUHAN)]
    print("hand-written scenarios (test_dedup.py): later vs earlier")
    for label, later, earlier in cases:
        f = features(ordered(later), ordered(earlier))
        print(f"  {label:<66} order {f['order']:.2f} spread {f['spread']:.2f} "
              f"sentences {f['sentences']:.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="1-15")
    parser.add_argument("--rule", action="append", default=[], metavar="FEATURE:FACTOR:T",
                        help="a rescue rule to apply per seed (fixed beforehand)")
    parser.add_argument("--grid", action="store_true",
                        help="pooled effect of a grid of rescue rules (choose on dev seeds only)")
    parser.add_argument("--quiet", action="store_true", help="no per-seed distributions")
    parser.add_argument("--save", metavar="PICKLE", help="keep the per-seed rows")
    parser.add_argument("--load", metavar="PICKLE", help="reuse rows saved by --save")
    args = parser.parse_args()
    from tests.benchmarks.common import require_shared, seed_range
    require_shared()
    rules = [Rule.parse(r) for r in args.rule]
    pooled: List[Row] = []
    cache = {}
    if args.load:
        with open(args.load, "rb") as fh:
            cache = pickle.load(fh)
    for seed in seed_range(args.seeds):
        rows = cache[seed] if seed in cache else seed_rows(seed)
        cache[seed] = rows
        pooled += rows
        if not args.quiet:
            print_distributions(rows, f"seed {seed}")
        print_misses(rows)
        for rule in rules:
            n, fixed, neg, fam = rule_effect(rows, rule)
            print(f"  seed {seed} rule {rule}: wire misses {n} -> {n - fixed} (recall "
                  f"{1 - (n - fixed) / 403:.3f} of 403), negatives made copies "
                  f"{sum(neg.values())} {dict(neg)}, family pairs made copies {fam}")
        sys.stdout.flush()
    if args.save:
        with open(args.save, "wb") as fh:
            pickle.dump(cache, fh)
    print_distributions(pooled, f"pooled over seeds {args.seeds}")
    if args.grid:
        print(f"rescue rules pooled over seeds {args.seeds}: misses rescued / negatives made "
              f"copies / family pairs made copies")
        for f in FEATURES:
            for x in (0.7, 0.8, 0.9):
                cells = []
                for t in (0.5, 0.6, 0.7, 0.8, 0.9, 1.0):
                    n, fixed, neg, fam = rule_effect(pooled, Rule(x, ((f, t),)))
                    cells.append(f"{t:.1f}: {fixed}/{sum(neg.values())}/{fam}")
                print(f"  {f:<9} factor {x:.1f} (of {n} misses) " + "  ".join(cells))
        for x in (0.8, 0.9):
            for ts in (0.6, 0.7, 0.8):
                cells = []
                for tt in (0.3, 0.4, 0.5, 0.6):
                    n, fixed, neg, fam = rule_effect(pooled, Rule(x, (("spread", ts), ("sentences", tt))))
                    cells.append(f"sentences {tt:.1f}: {fixed}/{sum(neg.values())}/{fam}")
                print(f"  spread >= {ts:.1f} and factor {x:.1f}: " + "  ".join(cells))
        for f in FEATURES:
            print(f"  veto {f} < t (copies found today filed as rewrites, of "
                  f"{veto_cost(pooled, f, 0)[1]}): " + "  ".join(
                      f"{t:.2f}: {veto_cost(pooled, f, t)[0]}" for t in (0.51, 0.6, 0.75, 1.0)))
    for rule in rules:
        n, fixed, neg, fam = rule_effect(pooled, rule)
        print(f"pooled rule {rule}: wire misses {n} -> {n - fixed}, negatives made copies "
              f"{sum(neg.values())} {dict(neg)}, family pairs made copies {fam}")
    furniture_scenario()


if __name__ == "__main__":
    main()
