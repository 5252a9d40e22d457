"""A text's numbers, for the dedup's number veto (transforms/dedup.py, issue 15).

A copy of one text keeps its figures; the next edition of a recurring format (AFP's daily world
tally, a daily fixing notice, a weekly case count) keeps the wording and changes them. Each
number is taken with its *context*, the 3 tokens before it and the one after (numbers among
them masked): "same wording, other figure" is a template's signature.

The numbers are the fingerprint's own tokens (transforms/fingerprint.py, in its one pass over
the kept lines: normalised, NFKC so full-width digits are ASCII, "1,000" = "1000"): a token of
ASCII digits is a number ("3.5" is two, "1亿484万" is 1 and 484 with 亿 and 万 as their
neighbours; numerals written out in Chinese are words). `number_positions` finds them (the
candidates through a filter on their token hashes, then an exact test); `sketch` hashes them
from the token hashes the fingerprint computes anyway (a Traditional character is its
Simplified form there: 萬 is 万), contexts running across lines as shingles do.

What travels with an article (`Fingerprint.numbers`, `Member.numbers`, the stored
`articles.number_sketch`, the history index and the streaming sketch store) is a bottom-k sketch: entries (24-bit context
hash << 8 | 8-bit number hash), the SKETCH_K smallest in value order, without a context cut in
two (a context whose entries do not all fit is left out), so two texts sample the same contexts
and each sampled context is complete; 4 bytes per entry. `conflicts` counts, of the contexts
both sketches hold, those whose numbers differ (no number in common); `vetoes` is the rule.
`numbers_of` is the same extraction as strings, for studies (tests/benchmarks/dedup_numbers.py).
"""
from __future__ import annotations

import collections
from itertools import compress
from typing import Dict, List, NamedTuple, Sequence, Set, Tuple

import numpy as np

# The rule (chosen on news-beyond-wall, tests/benchmarks/RESULTS.md, "The two texts' numbers"):
# a pair whose sketches share contexts of which at least CONFLICTS, and at least CONFLICT_SHARE
# of them, hold other numbers is no copy and no story link by containment.
CONFLICTS = 3
CONFLICT_SHARE = 0.5
SKETCH_K = 16            # entries kept per text (bounds Member.numbers: 4 bytes each)
CONTEXT_BEFORE = 3       # tokens before a number in its context (and one after)

_MASK = np.uint64(0x2545F4914F6CDD1D)      # a number inside another number's context
_OFFSETS = np.array([-3, -2, -1, 1], dtype=np.int64)     # CONTEXT_BEFORE tokens, and one after
_CONTEXT_WEIGHTS = np.array([0xD1B54A32D192ED03, 0xAEF17502108EF2D9, 0x9FB21C651E98DF25,
                             0xE7037ED1A0B428DB], dtype=np.uint64)


# A filter on token hashes: the flag of a hash's top NUMBER_FILTER_BITS bits is set when a
# token of digits with that hash is hashed into the fingerprint's token cache
# (fingerprint._token_hash; cleared with it). Every number token of a text is flagged; a few
# other tokens share a flag and are dropped by the exact test, so `number_positions` tests a
# handful of tokens rather than every one (1 MB, cache-resident); exact whatever it holds.
NUMBER_FILTER_BITS = 20
_NUMBER_FLAGS = np.zeros(1 << NUMBER_FILTER_BITS, dtype=bool)
_FILTER_SHIFT = np.uint64(64 - NUMBER_FILTER_BITS)


def mark_number_hash(h: int) -> None:
    _NUMBER_FLAGS[h >> (64 - NUMBER_FILTER_BITS)] = True


def clear_number_hashes() -> None:
    _NUMBER_FLAGS[:] = False


def number_positions(words: List[bytes], toks: np.ndarray = None) -> List[int]:
    """Indices of the number tokens (ASCII digits only) among a text's tokens; `toks`, their
    hashes (fingerprint.token_hash_array, which flags the digit tokens it hashes), lets the
    flags pick the candidates."""
    if toks is None:
        return list(compress(range(len(words)), map(bytes.isdigit, words)))
    return [i for i in np.flatnonzero(_NUMBER_FLAGS[toks >> _FILTER_SHIFT]).tolist()
            if words[i].isdigit()]


def _entries(toks: np.ndarray, at: Sequence[int]) -> List[int]:
    """The sketch entries of every number (at: positions in toks, the text's token hashes),
    sorted, each once: a context's hash is a fixed linear combination of its tokens' hashes
    (a number among them as _MASK; before the text's first token and after its last, that
    token again), its top 24 bits kept; a number's hash is its token's, top 8 bits."""
    idx = np.asarray(at, dtype=np.int64)
    masked = toks.copy()
    masked[idx] = _MASK
    # uint64 products and sums wrap mod 2**64, as wanted
    ctx = masked.take(idx[:, None] + _OFFSETS, mode="clip") @ _CONTEXT_WEIGHTS
    entries = ((ctx >> np.uint64(40)) << np.uint64(8)) | (toks[idx] >> np.uint64(56))
    return sorted(set(entries.tolist()))


def sketch(toks: np.ndarray, at: Sequence[int], k: int = None) -> Tuple[int, ...]:
    """The bottom-k sketch (module docstring) of the numbers at positions `at` of a text whose
    token hashes are `toks`; k None: SKETCH_K, 0: every context (exact, for studies)."""
    if not len(at):
        return ()
    k = SKETCH_K if k is None else k
    entries = _entries(toks, at)
    if k and len(entries) > k:
        cut = entries[k] >> 8          # the first context left out: its entries all go
        entries = [e for e in entries[:k] if e >> 8 != cut]
    return tuple(entries)


def _by_context(entries: Sequence[int]) -> Dict[int, Set[int]]:
    out: Dict[int, Set[int]] = collections.defaultdict(set)
    for e in entries:
        out[e >> 8].add(e & 0xFF)
    return out


def conflicts(a: Sequence[int], b: Sequence[int]) -> Tuple[int, int]:
    """(contexts both sketches hold, of them those whose numbers differ)."""
    if not a or not b:
        return 0, 0
    ca, cb = _by_context(a), _by_context(b)
    common = [c for c in ca if c in cb]
    return len(common), sum(1 for c in common if ca[c].isdisjoint(cb[c]))


def vetoes(a: Sequence[int], b: Sequence[int], least: int = CONFLICTS,
           share: float = CONFLICT_SHARE) -> bool:
    """Whether the two texts' numbers say they are not one text: at least `least` shared
    contexts with other numbers, and at least `share` of the contexts they share. A text
    without a sketch (no numbers, or stored before sketches were) never vetoes."""
    if len(a) < least or len(b) < least:
        return False
    n, bad = conflicts(a, b)
    return bad >= least and bad >= share * n


# ---------------------------------------------------------------- the same, as strings (studies)

_DATE_AFTER = {c.encode("utf-8") for c in "年月日号號時时点點分秒"}
_MONTHS = {m.encode("utf-8") for m in (
    "jan january feb february mar march apr april may jun june jul july aug august sep sept "
    "september oct october nov november dec december janvier fevrier février mars avril mai "
    "juin juillet aout août septembre octobre novembre decembre décembre").split()}


class Numbers(NamedTuple):
    figures: Tuple[str, ...]      # number tokens that are not dates (a multiset, in text order)
    dates: Tuple[str, ...]        # date/time tokens: before 年 月 日 号 時 时 点 點 分 秒, next to
    # a month name, or a year 1900-2099
    contexts: Dict[tuple, frozenset]   # (3 tokens before, 1 after; numbers "#") -> numbers


def numbers_of(text: str) -> Numbers:
    """The numbers `sketch` hashes, as strings (Traditional characters read as Simplified, as
    the token hashes do), each classed as a figure or a date, and their contexts."""
    from cfnews.transforms.fingerprint import story_lines
    from cfnews.transforms.han_script import simplified
    words = [w for _line, line_words in story_lines(text) for w in line_words]
    at = number_positions(words)
    words = [simplified(w.decode("utf-8")).encode("utf-8") if w[0] >= 0xE3 else w for w in words]
    numeric = set(at)
    masked = [b"#" if i in numeric else w for i, w in enumerate(words)]
    figures, dates = [], []
    contexts: Dict[tuple, set] = collections.defaultdict(set)
    last = len(words) - 1
    for i in at:
        tok = words[i]
        nxt = words[i + 1] if i + 1 < len(words) else b""
        prev = words[i - 1] if i else b""
        is_date = (nxt in _DATE_AFTER or nxt in _MONTHS or prev in _MONTHS
                   or (len(tok) == 4 and 1900 <= int(tok) <= 2099))
        value = tok.lstrip(b"0").decode() or "0"
        (dates if is_date else figures).append(value)
        before = tuple(masked[max(0, j)].decode("utf-8") for j in range(i - CONTEXT_BEFORE, i))
        after = (masked[min(i + 1, last)].decode("utf-8"),)
        contexts[(before, after)].add(tok.decode())
    return Numbers(tuple(figures), tuple(dates), {k: frozenset(v) for k, v in contexts.items()})
