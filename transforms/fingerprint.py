"""Text fingerprints for near-duplicate detection (used by transforms/dedup.py).

normalise -> drop boilerplate lines -> tokens -> word k-shingles -> 64-bit hashes -> keep a
consistent value sample.

* Normalisation: NFKC (full-width forms, ligatures), one form for quotes, dashes and spaces,
  zero-width characters removed, case folded, "U.S." = "US", "1,000" = "1000", "%" = "percent".
  Tokens are runs of letters/digits; each Han character is a token.
* Boilerplate: a line repeated verbatim counts once; short lines that are not sentences
  (link lists, bylines, credits, subheads) and lines matching well-known site furniture
  (copyright, "all rights reserved", newsletter and social prompts) are dropped. Shingles run
  across the remaining lines, so reflowed paragraphs still match.
* Hashing: each distinct token is hashed once (blake2b, cached per process; a Traditional Chinese
  character as its Simplified form, han_script's table: CNA's Traditional wire story and its
  Simplified republication by RFI or the Epoch Times are one text); a shingle's hash
  is a fixed linear combination of its token hashes, finalised by a bit mixer (numpy, no
  Python loop per shingle).
* Sampling by value, in nested levels: level L keeps hashes below 2**64 / (BASE_RATE * 2**L).
  A text uses the finest level that keeps at most CAP hashes, so short texts are sampled
  densely and the index holds at most CAP entries per article. Two texts are compared at the
  coarser of their two levels; because levels are nested, the hashes they share are exactly
  the shared shingles sampled at that level, and each text carries its counts at every
  coarser level for the denominators.
* Quotations: a shingle lying wholly inside a *quoted sentence* (a sentence holding a quotation
  of at least QUOTE_MIN_WORDS words, with its attribution) has its lowest hash bit set; every
  other shingle (plain text, and the junctions between a quote and its neighbours) has it
  cleared. Independent reports of one press release share its quotes but not its sentences,
  so the dedup tells copies from rewrites by the *plain* hashes they share
  (transforms/dedup.py). Short quoted titles ("Saint Seiya") stay plain. News style opens
  each paragraph of a long quotation and closes only the last, so in a line of a paragraph's
  length a mark left unpaired quotes from it to the line's edge (`_unpaired_quotation`).
  The bit is a flag on the shingle, not part of its identity: what is detected as quoted
  depends on the paragraphing (a quotation running over two paragraphs opens in one and
  closes in the next; a copy that merges or splits them marks other sentences), so two
  copies of one text can mark one shingle differently. Texts are matched on `shingle_key`
  (the hash without its lowest byte); a text holding one shingle both quoted and plain keeps it
  once, plain.
* Run tags (schema version 8): a plain shingle with plain words beside it (up to CONTEXT_WORDS
  on each side, stopping at a quoted sentence or the text's edge; at least CONTEXT_WORDS of
  them) carries in bits 1-7 a tag of it and those words, never 0; other shingles carry 0. Two
  copies of a sentence give its inner shingles one tag; two reports that reuse a phrase in
  sentences of their own give it different tags (the dedup's run veto). Like the quoted bit,
  the tag is not part of the shingle's identity.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Iterator, List, NamedTuple, Optional, Tuple

import numpy as np

from cfnews.transforms.han_script import simplified
from cfnews.transforms.numbers import (clear_number_hashes, mark_number_hash, number_positions,
                                       sketch as number_sketch)

# Chosen by the sweep in tests/benchmarks/dedup_eval.py (tests/benchmarks/RESULTS.md, dedup).
SHINGLE_WORDS = 4
BASE_RATE = 2          # level 0 keeps 1 shingle hash in BASE_RATE
CAP = 96               # most hashes kept per text: bounds the index state per article
MAX_LEVEL = 10
COUNT_LEVELS = 4       # counts kept for the text's level and the 3 coarser ones
MIN_LINE_WORDS = 6     # shorter lines count only if they end like a sentence
QUOTE_MIN_WORDS = 8    # shorter quoted spans are titles or phrases, not quoted statements
# A quote mark left unpaired opens (or closes) a quotation at the line's edge only in a line of
# a paragraph's length: every quote-led line of the shared benchmark's 181 gold bodies has at
# most 100 words, while a longer line is a text whose paragraphs were run together, where an
# unpaired mark (a nested or lost guillemet) says nothing about where its quotation ends.
QUOTE_PARAGRAPH_MAX_WORDS = 100
QUOTED_BIT = np.uint64(1)
# The run tag (`_marked`): a plain shingle with plain words beside it (up to CONTEXT_WORDS on
# each side, stopping at a quotation or the text's edge; at least CONTEXT_WORDS in all) carries
# in bits 1-7 a 7-bit tag (1-127) of it and those words; otherwise 0. Two texts that share the
# shingle inside one run of copied sentences share its tag; two rewrites that reuse a phrase
# (a release's fact, a stock attribution) share the shingle with other words around it.
CONTEXT_WORDS = 2
TAG_SHIFT = 1
LOW_BITS = np.uint64(0xFF)      # the quoted flag and the run tag: not part of the shingle's key

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORD = re.compile(rf"[{_HAN}]|[^\W_{_HAN}]+")
_HAN_CHAR = re.compile(rf"[{_HAN}]")
_REPLACEMENTS = tuple((chars, to) for to, chars in (
    ("'", "\u2018\u2019\u201a\u201b\u2032`"),
    ('"', "\u201c\u201d\u201e\u00ab\u00bb"),
    ("-", "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"),
    (" ", "\u00a0\u2007\u2009\u202f\u3000"),
    ("", "\u200b\u200c\u200d\u2060\ufeff\u00ad")) for chars in chars)
_LETTER = r"[^\W\d_]"
# the lookbehinds come after a literal so that the scan jumps from one '.' or ',' to the next
_ABBREVIATION_DOT = re.compile(rf"\.(?<=\b{_LETTER}\.)(?={_LETTER}\b)")   # u.s. -> us.
_THOUSANDS = re.compile(r",(?<=\d,)(?=\d{3}\b)")                          # 1,000 -> 1000
_SENTENCE_END = re.compile(r"[.!?;:\"')\]\u3002\uff01\uff1f\u2026]\s*$")
# Site furniture, tested on lines of at most FURNITURE_MAX_WORDS words (a long paragraph is
# content even if it mentions a newsletter). The regex runs only on lines holding one of
# these words (a set test on the line's tokens) or a copyright sign.
FURNITURE_MAX_WORDS = 30
_FURNITURE_WORDS = frozenset(w.encode() for w in (
    "copyright", "c", "reserved", "published", "reproduced", "redistributed", "sign",
    "subscribe", "follow", "click", "share", "read", "reporting", "writing", "editing",
    "advertisement", "related", "photo", "image", "video"))
_FURNITURE = re.compile(
    r"copyright (?:\(c\) |\u00a9 )?\d{4}|\u00a9|\(c\) \d{4}|all rights reserved|"
    r"may not be (?:published|reproduced|redistributed)|\bsign up\b.*\b(?:newsletter|alerts?)\b|"
    r"\bsubscribe (?:now|today|to our)\b|\bfollow us\b|\bclick here\b|"
    r"\bshare this (?:article|story|page)\b|^read more\b|continues below advertisement|"
    r"(?:^|\()(?:reporting|writing|editing|additional reporting) by\b|"
    r"^related (?:articles|stories|coverage|content)\b|"
    r"^(?:advertisement|related|photo|image|video)\s*(?::|$)|^(?:photo|image|video) (?:by|credit)\b")


# After normalise(): straight double quotes, guillemets and CJK corner brackets.
_QUOTE_CHARS = ('"', "\u00ab", "\u00bb", "\u300c", "\u300d", "\u300e", "\u300f")
_QUOTED_SPAN = re.compile(r'"[^"]*"|\u00ab[^\u00bb]*\u00bb|\u300c[^\u300d]*\u300d|\u300e[^\u300f]*\u300f')
_QUOTE_MARK = re.compile(r'["\u00ab\u00bb\u300c\u300d\u300e\u300f]')
_SENTENCE_BREAK = re.compile(r"[.!?](?=\s)|[\u3002\uff01\uff1f]")


class Fingerprint(NamedTuple):
    hashes: Tuple[int, ...]   # sorted sampled shingle hashes at `level`
    level: int
    counts: Tuple[int, ...]   # counts[i]: hashes kept at level `level + i` (COUNT_LEVELS of them)
    numbers: Tuple[int, ...] = ()   # the number sketch (transforms/numbers.py), taken in the
    # same pass over the kept lines; () when none (no numbers, or stored before sketches)


def normalise(text: str) -> str:
    if not text.isascii():
        if not unicodedata.is_normalized("NFKC", text):
            text = unicodedata.normalize("NFKC", text)
        for char, to in _REPLACEMENTS:
            text = text.replace(char, to)
    text = text.lower().replace("`", "'")
    text = _ABBREVIATION_DOT.sub("", text)
    text = _THOUSANDS.sub("", text)
    if "%" in text:
        text = text.replace("%", " percent")
    if "per cent" in text:
        text = text.replace("per cent", "percent")
    return text


def _is_furniture(line: str, words: List[bytes]) -> bool:
    return (len(words) <= FURNITURE_MAX_WORDS
            and (not _FURNITURE_WORDS.isdisjoint(words) or "\u00a9" in line)
            and bool(_FURNITURE.search(line)))


# ASCII letters and digits kept, everything else a separator (bytes.translate runs in C,
# three times faster than a regex on the ASCII lines that make up most text)
_ASCII_SEPARATORS = bytes(c if (48 <= c <= 57 or 97 <= c <= 122) else 32 for c in range(256))


def _words(line: str) -> List[bytes]:
    """Tokens as UTF-8 bytes (hashed as such)."""
    if line.isascii():
        return line.encode("ascii").translate(_ASCII_SEPARATORS).split()
    return [w.encode("utf-8") for w in _WORD.findall(line)]


def _may_hold_an_unpaired_mark(line: str) -> bool:
    """An odd number of straight quotes, or brackets that do not balance: the cheap test that
    spares most lines the scan (brackets that balance in the wrong order are not looked for)."""
    return bool(line.count('"') % 2 or line.count("\u300c") != line.count("\u300d")
                or line.count("\u300e") != line.count("\u300f"))


def _unpaired_quotation(line: str, paired: List[Tuple[int, int]]) -> List[Tuple[int, int]]:
    """The part of the line a quotation crossing its edge covers: a mark left unpaired opens a
    quotation that runs to the end of the line (the paragraphs of a quotation that goes on in
    the next one, which by news style open and do not close; a closing mark lost in an edit),
    or closes one opened in an earlier line (from the line's start: », 」, 』). A straight quote opens
    unless a non-space other than a bracket comes right before it ("year," he said). In a line
    of Chinese, where no space sets a quotation off and normalise() has made “ and ” one
    straight mark, an unpaired straight quote says nothing of its direction (a quoted term
    broken off at a link reads as a whole line quoted): only the corner brackets count."""
    chinese = _HAN_CHAR.search(line) is not None
    for m in _QUOTE_MARK.finditer(line):
        i = m.start()
        if any(a <= i < b for a, b in paired):
            continue
        mark = line[i]
        if mark in "\u00bb\u300d\u300f":
            return [(0, i + 1)]
        if mark == '"' and chinese:
            continue
        if mark == '"' and i and not line[i - 1].isspace() and line[i - 1] not in "([{":
            return [(0, i + 1)]
        return [(i, len(line))]
    return []


def _quoted_sentences(line: str, n_words: Optional[int] = None) -> List[Tuple[int, int]]:
    """(start, end) character spans of the sentences holding a long quotation, quote and
    attribution together (sentence breaks inside the quotation do not count); in a line of a
    paragraph's length, a quotation crossing its edge counts from its mark to that edge
    (`_unpaired_quotation`)."""
    inside = [m.span() for m in _QUOTED_SPAN.finditer(line)]
    if (_may_hold_an_unpaired_mark(line)
            and (len(_words(line)) if n_words is None else n_words) <= QUOTE_PARAGRAPH_MAX_WORDS):
        inside = sorted(inside + _unpaired_quotation(line, inside))
    spans = [(a, b) for a, b in inside if len(_words(line[a:b])) >= QUOTE_MIN_WORDS]
    if not spans:
        return []
    breaks = [m.end() for m in _SENTENCE_BREAK.finditer(line)
              if not any(a < m.start() < b for a, b in inside)]
    out = []
    for a, b in spans:
        start = max((x for x in breaks if x <= a), default=0)
        end = min((x for x in breaks if x >= b), default=len(line))
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def _line_tokens(line: str, words: List[bytes]) -> Tuple[List[bytes], List[Tuple[int, int]]]:
    """The line's tokens and the (start, end) token ranges that lie in quoted sentences."""
    if '"' not in line and (line.isascii() or not any(q in line for q in _QUOTE_CHARS)):
        return words, []
    quoted = _quoted_sentences(line, len(words))
    if not quoted:
        return words, []
    out, ranges, pos = [], [], 0
    for a, b in quoted:
        out += _words(line[pos:a])
        inside = _words(line[a:b])
        ranges.append((len(out), len(out) + len(inside)))
        out += inside
        pos = b
    return out + _words(line[pos:]), ranges


def content_lines(text: str) -> List[List[bytes]]:
    """Token lists of the lines that carry the story: each distinct line once, boilerplate out."""
    return [words for words, _ in flagged_lines(text)]


def story_lines(text: str) -> Iterator[Tuple[str, List[bytes]]]:
    """(normalised line, its tokens) of the lines that carry the story: each distinct line once,
    short fragments without an end mark and boilerplate out."""
    seen = set()
    for line in normalise(text).splitlines():
        words = _words(line)
        if not words:
            continue
        key = b" ".join(words)
        if key in seen:
            continue
        seen.add(key)
        if len(words) < MIN_LINE_WORDS and not _SENTENCE_END.search(line):
            continue
        if _is_furniture(line, words):
            continue
        yield line, words


def flagged_lines(text: str) -> List[Tuple[List[bytes], List[Tuple[int, int]]]]:
    """`content_lines` with, per line, the token ranges that lie in quoted sentences."""
    return [_line_tokens(line, words) for line, words in story_lines(text)]


def token_bytes(text: str) -> List[bytes]:
    return [word for line in content_lines(text) for word in line]


def tokens(text: str) -> List[str]:
    return [word.decode("utf-8") for word in token_bytes(text)]


_token_hashes: dict = {}
_TOKEN_CACHE_LIMIT = 500_000


def _token_hash(token: bytes) -> int:
    h = _token_hashes.get(token)
    if h is None:
        if len(_token_hashes) >= _TOKEN_CACHE_LIMIT:
            _token_hashes.clear()
            clear_number_hashes()       # rebuilt as tokens are hashed again
        # a Traditional character hashes as its Simplified form: one wire story in both
        # scripts is one text (folded here, once per distinct token, not once per text)
        key = simplified(token.decode("utf-8")).encode("utf-8") if token[0] >= 0xE3 else token
        h = int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "little")
        _token_hashes[token] = h
        if token.isdigit():
            mark_number_hash(h)
    return h


# Odd 64-bit multipliers: a shingle hash is sum(token_hash[j] * _WEIGHTS[j]) mod 2**64.
_WEIGHTS = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9,
                     0xD6E8FEB86659FD93, 0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53,
                     0x94D049BB133111EB, 0xBF58476D1CE4E5B9], dtype=np.uint64)


def token_hash_array(words: List[bytes]) -> np.ndarray:
    try:    # the common case, every token already cached: no Python call per token
        return np.fromiter(map(_token_hashes.get, words), dtype=np.uint64, count=len(words))
    except TypeError:
        return np.fromiter(map(_token_hash, words), dtype=np.uint64, count=len(words))


def shingle_hashes(words: List[bytes], k: int = SHINGLE_WORDS) -> np.ndarray:
    """Unsampled 64-bit hashes of the word k-shingles (one shingle if fewer than k words)."""
    if not words:
        return np.zeros(0, dtype=np.uint64)
    return _shingles_of(token_hash_array(words), k)


def _shingles_of(toks: np.ndarray, k: int) -> np.ndarray:
    k = min(k, len(toks))
    n = len(toks) - k + 1
    combined = toks[:n] * _WEIGHTS[0]  # uint64 arithmetic wraps: mod 2**64, as wanted
    for j in range(1, k):
        combined += toks[j:j + n] * _WEIGHTS[j]
    # splitmix64 finaliser: every output bit depends on every input bit
    combined ^= combined >> np.uint64(30)
    combined *= np.uint64(0xBF58476D1CE4E5B9)
    combined ^= combined >> np.uint64(27)
    combined *= np.uint64(0x94D049BB133111EB)
    combined ^= combined >> np.uint64(31)
    return combined


def level_limit(level: int, base_rate: int = BASE_RATE) -> int:
    """Hashes below this value are kept at `level`."""
    return (1 << 64) // (base_rate << level)


def sample(hashes: np.ndarray, base_rate: int = BASE_RATE, cap: int = CAP) -> Fingerprint:
    # inclusive bounds (limit - 1): 2**64 itself does not fit in uint64
    bounds = np.array([level_limit(lv, base_rate) - 1 for lv in range(MAX_LEVEL + 1)],
                      dtype=np.uint64)
    kept = np.sort(hashes[hashes <= bounds[0]])
    if len(kept) > 1:   # one hash per shingle key (cheaper than np.unique's hash table here)
        keys = kept | LOW_BITS
        repeated = keys[1:] == keys[:-1]
        if repeated.any():
            # a shingle the text holds more than once: plain rather than quoted (sorted by
            # key, then by the quoted flag, then by value), the first of each key kept
            kept = kept[np.lexsort((kept, kept & QUOTED_BIT, keys))]
            keys = kept | LOW_BITS
            kept = kept[np.concatenate(([True], keys[1:] != keys[:-1]))]
    counts = np.searchsorted(kept, bounds, side="right").tolist()
    level = next((lv for lv, c in enumerate(counts) if c <= cap), MAX_LEVEL)
    return Fingerprint(tuple(kept[:counts[level]].tolist()), level,
                       tuple(counts[level:level + COUNT_LEVELS]))


def marked_shingle_hashes(text: str, k: int = SHINGLE_WORDS) -> np.ndarray:
    """Shingle hashes, the lowest bit set on those wholly inside a quoted sentence."""
    return _marked_hashes(text, k)[0]


def _marked_hashes(text: str, k: int) -> Tuple[np.ndarray, Tuple[int, ...]]:
    """(`marked_shingle_hashes`, the number sketch): one pass over the kept lines takes the
    tokens, the quoted ranges and the numbers' positions (transforms/numbers.py)."""
    words, ranges = [], []
    for line, words_of_line in story_lines(text):
        line_words, line_ranges = _line_tokens(line, words_of_line)
        if line_ranges:
            ranges += [(len(words) + a, len(words) + b) for a, b in line_ranges]
        words += line_words
    if not words:
        return np.zeros(0, dtype=np.uint64), ()
    toks = token_hash_array(words)
    return (_marked(_shingles_of(toks, k), len(words), ranges, k, toks),
            number_sketch(toks, number_positions(words, toks)))


def _marked(hashes: np.ndarray, n_words: int, ranges: List[Tuple[int, int]], k: int,
            toks: np.ndarray) -> np.ndarray:
    """The quoted flag (bit 0) and the run tag (bits 1-7) set on the shingle hashes of a text
    of `n_words` tokens (`toks`, their hashes). A shingle of plain words
    has a tag when plain words lie next to it: up to CONTEXT_WORDS on each side, up to a
    quotation or the text's edge, at least CONTEXT_WORDS in all; the tag is the top 7 bits of
    a mix of the shingle and those words (never 0). Other shingles have 0."""
    if not len(hashes):
        return hashes
    hashes &= ~LOW_BITS
    plain_word = np.ones(n_words, dtype=bool)
    if ranges:
        flags = np.zeros(n_words, dtype=np.int32)
        for a, b in ranges:
            flags[a:b] = 1
        width = min(k, len(flags))
        inside = np.convolve(flags, np.ones(width, dtype=np.int32), "valid") == width
        hashes[inside] |= QUOTED_BIT
        plain_word = flags == 0
    if n_words < k + CONTEXT_WORDS:
        return hashes
    m = len(hashes)                         # shingle i: tokens i .. i + k - 1
    plain_shingle = np.convolve(plain_word, np.ones(k, dtype=np.int32), "valid") == k
    # before[j][i]: token i - 1 - j is plain, and so are those between it and the shingle
    # (False past the text's edge); after[j][i]: token i + k + j likewise
    padded = np.concatenate((np.zeros(CONTEXT_WORDS, dtype=bool), plain_word,
                             np.zeros(CONTEXT_WORDS, dtype=bool)))
    padded_toks = np.concatenate((np.zeros(CONTEXT_WORDS, dtype=np.uint64), toks,
                                  np.zeros(CONTEXT_WORDS, dtype=np.uint64)))
    mixed = hashes * _WEIGHTS[0]
    n_context = np.zeros(m, dtype=np.int32)
    run_before = np.ones(m, dtype=bool)
    run_after = np.ones(m, dtype=bool)
    for j in range(CONTEXT_WORDS):
        before = CONTEXT_WORDS - 1 - j                   # padded index of token i - 1 - j
        after = CONTEXT_WORDS + k + j                    # padded index of token i + k + j
        run_before &= padded[before:before + m]
        run_after &= padded[after:after + m]
        n_context += run_before.astype(np.int32) + run_after.astype(np.int32)
        mixed += np.where(run_before, padded_toks[before:before + m], 0) * _WEIGHTS[1 + 2 * j]
        mixed += np.where(run_after, padded_toks[after:after + m], 0) * _WEIGHTS[2 + 2 * j]
    mixed ^= mixed >> np.uint64(31)
    mixed *= np.uint64(0xBF58476D1CE4E5B9)
    mixed ^= mixed >> np.uint64(29)
    tags = mixed >> np.uint64(57)
    tags[tags == 0] = 1
    tags[~plain_shingle | (n_context < CONTEXT_WORDS)] = 0
    hashes |= tags << np.uint64(TAG_SHIFT)
    return hashes


def shingle_key(h: int) -> int:
    """The shingle's identity: its hash without the quoted flag and the run tag (the lowest
    byte)."""
    return h & ~0xFF


def run_tag(h: int) -> int:
    """The hash's run tag (CONTEXT_WORDS): 0 when the shingle has no plain context."""
    return (h >> TAG_SHIFT) & 0x7F


def is_quoted(h: int) -> bool:
    return bool(h & 1)


def plain_count(hashes) -> int:
    """How many of the hashes come from plain (unquoted) shingles."""
    return sum(1 for h in hashes if not h & 1)


def fingerprint(text: str, k: int = SHINGLE_WORDS, base_rate: int = BASE_RATE,
                cap: int = CAP) -> Fingerprint:
    """The sampled, marked shingle hashes and the number sketch (transforms/numbers.py),
    both from one pass over the kept lines."""
    hashes, numbers = _marked_hashes(text, k)
    return sample(hashes, base_rate, cap)._replace(numbers=numbers)


def shingles(text: str, k: int = SHINGLE_WORDS) -> List[str]:
    """The shingles as strings (for comparisons with other tools, e.g. datasketch)."""
    words = tokens(text)
    if len(words) <= k:
        return [" ".join(words)] if words else []
    return [" ".join(words[i:i + k]) for i in range(len(words) - k + 1)]
