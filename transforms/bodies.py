"""The article body, chosen by agreement between two extractors and trimmed by general rules.

trafilatura gives the primary text. A second, independent extractor — the readability algorithm
as shipped inside trafilatura (`trafilatura.readability_lxml`, a fork of readability-lxml) — reads
the same page; the two texts are compared line by line:
  * when readability's text holds nearly all of trafilatura's and much more prose besides,
    trafilatura stopped early (a sidebar or a table split the article): readability's wins;
  * otherwise trafilatura's text stays, minus the runs of lines at its start and end that
    readability does not have (headlines, bylines, teasers, "related" lists around the article),
    as long as most of the text is confirmed or what is left out is menu-like (short lines);
  * when trafilatura finds nothing, readability's text is the fallback.
Boilerplate lines that no extractor should keep are dropped from both texts first, by general
rules on short lines (calls to subscribe or follow, "Related:"/"Read more:" teasers and the link
lists they introduce, "Headline [VIDEO]" teasers).

Plain functions on strings and lxml trees: transforms/extract.py calls them under its lock."""
from __future__ import annotations

import collections
import re
from typing import Iterable, List

_WORD = re.compile(r"\w+", re.UNICODE)

# Agreement thresholds (tuned on the dev half of the title/body benchmark only).
CONFIRMED_SHARE = 0.7     # trim edges only when readability confirms this share of the words
SWITCH_GROWTH = 2.0       # readability replaces trafilatura when it is this many times longer,
SWITCH_COVERAGE = 0.8     # holds this share of trafilatura's words,
SWITCH_PROSE = 0.5        # and its extra words are mostly in sentence-length lines
PROSE_LINE_WORDS = 12
ANCHOR_WORDS = 2

_BLOCK_TAGS = frozenset("p div h1 h2 h3 h4 h5 h6 li br blockquote section article tr td th pre "
                        "figcaption ul ol table header footer dd dt".split())


def words(text: str) -> List[str]:
    return _WORD.findall(text.lower())


def _flat(text: str) -> str:
    """Words only, lower-cased, one space apart, padded: lines compare by substring."""
    return " " + " ".join(words(text)) + " "


def readability_text(doc) -> str:
    """The main text readability finds in `doc` (an lxml tree, modified), one line per block;
    '' when it fails (it raises on some malformed pages)."""
    import lxml.html
    from trafilatura.readability_lxml import Document
    try:
        summary = lxml.html.fromstring(Document(doc).summary())
    except Exception:  # noqa: BLE001 — a failed second opinion only means no vote
        return ""
    for element in summary.iter():
        if isinstance(element.tag, str) and element.tag in _BLOCK_TAGS:
            element.text = "\n" + (element.text or "")
            element.tail = "\n" + (element.tail or "")
    lines = (re.sub(r"\s+", " ", line).strip() for line in summary.text_content().splitlines())
    return "\n".join(line for line in lines if line)


def _coverage(part: str, whole: str) -> float:
    """Share of `part`'s words (as a bag) found in `whole`."""
    a, b = collections.Counter(words(part)), collections.Counter(words(whole))
    return sum((a & b).values()) / max(1, sum(a.values()))


def _confirmed(lines: Iterable[str], other: str) -> List[bool]:
    flat = _flat(other)
    return [not words(line) or _flat(line) in flat for line in lines]


def choose_body(primary: str, second: str) -> str:
    """trafilatura's text (`primary`) or readability's (`second`), by agreement; see the module
    docstring. Both are newline-separated paragraphs."""
    if not second:
        return primary
    lines = primary.splitlines()
    n_primary, n_second = len(words(primary)), len(words(second))
    if not n_primary:  # trafilatura found nothing: readability is the fallback
        return second
    if n_second > SWITCH_GROWTH * n_primary and _coverage(primary, second) >= SWITCH_COVERAGE:
        extra = [line for line, ok in zip(second.splitlines(),
                                          _confirmed(second.splitlines(), primary)) if not ok]
        if _prose_share(extra) >= SWITCH_PROSE:
            return second
    # Lines of a few words ("Saúde", "2018") are found anywhere: they cannot anchor the edges.
    confirmed = [ok and len(words(line)) >= ANCHOR_WORDS
                 for line, ok in zip(lines, _confirmed(lines, second))]
    if not any(confirmed):
        return primary
    first = confirmed.index(True)
    last = len(confirmed) - confirmed[::-1].index(True)
    kept_words = sum(len(words(line)) for line, ok in zip(lines, confirmed) if ok)
    edges = lines[:first] + lines[last:]
    # Trim when readability confirms most of the text, or when what it leaves out at the edges
    # is menu-like (short lines: a navigation bar trafilatura took for content).
    if kept_words < CONFIRMED_SHARE * n_primary and _prose_share(edges) >= SWITCH_PROSE:
        return primary
    return "\n".join(lines[first:last])


def _prose_share(lines: List[str]) -> float:
    """Share of the words of `lines` that stand in sentence-length lines."""
    total = sum(len(words(line)) for line in lines)
    prose = sum(len(words(line)) for line in lines if len(words(line)) >= PROSE_LINE_WORDS)
    return prose / total if total else 1.0


# Boilerplate lines, by their wording. Short lines only: a long paragraph that happens to say
# "subscribe" is prose.
_TEASER = re.compile(
    r"^\W*(related( articles?| stories| content| coverage)?|read more|read also|also read|see more|"
    r"see also|more on this|don'?t miss|most read\b.*|popular on .*|recommended( for you)?|"
    r"you may also like|you might also like|explore further|lire aussi|à lire aussi|voir aussi|"
    r"sur le même sujet|lesen sie auch|mehr zum thema|相关阅读|相关新闻|延伸阅读)\s*(:|\W*$)",
    re.IGNORECASE)
_CALL_TO_ACTION = re.compile(
    r"\b(sign up (for|to)|subscribe (to|for|now)|newsletters?\b.*\b(inbox|sign|subscribe)|"
    r"follow (us|him|her|me|them) (on|@)|click here|have a tip\?|"
    r"may be reached at|e-?mail \w+( \w+)? at \S+@)",
    re.IGNORECASE)
_TEASER_TAG = re.compile(r"\[[A-Z][A-Z ]{3,}\]\W*$")  # "Headline of another story [VIDEO]"
_SHORT_LINE_WORDS = 40
_LIST_ITEM = re.compile(r"^[-•*]\s")


def is_boilerplate(line: str) -> bool:
    n = len(words(line))
    if n > _SHORT_LINE_WORDS:
        return False
    return bool(_TEASER.match(line) or _CALL_TO_ACTION.search(line) or _TEASER_TAG.search(line))


def drop_boilerplate(text: str) -> str:
    """Without boilerplate lines, nor the list items that a dropped teaser line introduces
    ("Related:" then links to other stories)."""
    kept, after_teaser = [], False
    for line in text.splitlines():
        if is_boilerplate(line):
            after_teaser = True
        elif not (after_teaser and _LIST_ITEM.match(line) and len(words(line)) <= 25):
            kept.append(line)
            after_teaser = False
    return "\n".join(kept)
