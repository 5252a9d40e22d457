"""Entities an analyst can join on: NER spans reconciled with knowledge-base aliases, short forms
linked in context, names propagated within a document, junk dropped.

Plain functions over (text, NER spans); no spaCy or Beam here. Offsets are character offsets
into the text, which `normalise` never moves.
"""
from __future__ import annotations

import dataclasses
import re
from typing import AbstractSet, Dict, Iterable, List, Optional, Sequence, Tuple

from cfnews.schemas import Entity
from cfnews.transforms.bylines import name_case
from cfnews.transforms.entity_kb import KnowledgeBase, StopList
from cfnews.transforms.ner_cleanup import clean_spans, consistent_labels, country_names

# Same-length replacements only, so offsets into the normalised text are offsets into the original.
_NORMALISE = str.maketrans({
    **{c: " " for c in "\u00a0\u2007\u202f\u2009\u200a\u2002\u2003\u2004\u2005\u2006\u2008"},
    "\u2010": "-", "\u2011": "-", "\u2018": "'", "\u2019": "'", "\u02bc": "'",
})
NUMERIC = frozenset({"DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "ORDINAL", "CARDINAL"})
# Capitalised words that do not make a longer name out of a KB name ("The European Union",
# "President Xi Jinping"): with only these around it, the KB span wins over the NER span.
_NOT_NAMES = frozenset("The A An President Premier Prime Minister Foreign Chancellor Chairman "
                       "Secretary General Vice Mr Mrs Ms Dr Président Ministre Mme M".split())
# Chinese characters left beside a KB name name more ("中国" + "民航局", "南" + "中国" + "海").
_NAME_WORD = re.compile(r"[A-ZÀ-ÖØ-Þ][\w'.-]*|\w*\d\w*|[\u3400-\u9fff]")
_EDGE = " \t\n\r/,;:-\u2013\u2014\"\u00ab\u00bb\u201c\u201d|*•·"
_OPENERS = " \t\"'\u201c\u00ab("
_TRAILING_FUNCTION_WORDS = re.compile(r"(?:\s+(?:and|or|of|the|for|&|et|ou|de|du|des))+$")
# a name has a capital, a digit or a non-Latin letter: "quantum computing" is not an ORG
_NAME_LIKE = re.compile(r"[A-Z0-9\u00c0-\u00d6\u00d8-\u00de]|[^\x00-\u024f\s]")


def normalise(text: str) -> str:
    return text.translate(_NORMALISE)


@dataclasses.dataclass
class _Span:
    start: int
    end: int
    label: str
    kb_id: Optional[str] = None
    canonical: Optional[str] = None

    def overlaps(self, start: int, end: int) -> bool:
        return self.start < end and start < self.end


def _sentence_initial(norm: str, pos: int) -> bool:
    i = pos - 1
    while i >= 0 and norm[i] in _OPENERS:
        i -= 1
    return i < 0 or norm[i] in ".!?:\n"


def _trim(norm: str, start: int, end: int) -> Tuple[int, int]:
    """NER spans without surrounding punctuation or a leading lower-case 'the'
    ("the European Union" names the same thing as "European Union"); a handle or a link is
    no name (an empty span), and a venue line's "City, ST @ Venue" names the venue."""
    if _HANDLE_OR_LINK.search(norm, start, end):
        return start, start
    at = norm.rfind(" @", start, end)
    if at >= 0:
        start = at + 2
    while start < end and norm[start] in _EDGE:
        start += 1
    while end > start and norm[end - 1] in _EDGE:
        end -= 1
    if norm.startswith("the ", start) and end - start > 4:
        start += 4
    tail = _TRAILING_FUNCTION_WORDS.search(norm, start, end)
    return start, tail.start() if tail else end


# "@Ilhan", "jane@example.com", "https://…", "www.…", "pic.twitter.com/4p7SXk7JPW"
_HANDLE_OR_LINK = re.compile(r"@\w|://|\bwww\.|\w\.[a-z]{2,6}/\S")
# A dateline: the place in capitals that opens a report, maybe its state or country, maybe
# the agency, then a dash ("COLUMBIA, S.C. (AP) —", "WASHINGTON (Reuters) -", "ST. JOSEPH,
# Mich. (AP) —"). The model reads such places as organisations or people now and then.
# A bare hyphen needs the state or the agency: "SOCCER - JAPAN GET LUCKY WIN" is a headline.
_DATELINE = re.compile(
    r"^[ \t]*(?P<place>[A-Z][A-Z.'-]*[A-Z.](?: [A-Z][A-Z.'-]*[A-Z.]){0,3})"
    r"(?:(?:, [^\n,()\u2014\u2013-]{2,25})? *\([^()\n]{1,30}\) *[\u2014\u2013-]"
    r"|, [^\n,()\u2014\u2013-]{2,25} *[\u2014\u2013-]| *[\u2014\u2013])", re.MULTILINE)
# capitals before a dash that are a label, not a place
_NOT_DATELINES = frozenset("BREAKING UPDATE UPDATED EXCLUSIVE ANALYSIS OPINION EDITORIAL WATCH "
                           "LIVE VIDEO PHOTOS CORRECTION COMMENTARY INTERVIEW REVIEW NOTE "
                           "FACT CHECK EDITOR'S".split())


def _dateline_places(norm: str) -> List[Tuple[int, int]]:
    return [m.span("place") for m in _DATELINE.finditer(norm)
            if not set(m.group("place").split()) & _NOT_DATELINES]


def _dateline_types(ner: Sequence[Tuple[int, int, str]], places: Sequence[Tuple[int, int]]
                    ) -> List[Tuple[int, int, str]]:
    """NER spans within a dateline's place become that place, typed GPE ("SIOUX FALLS" was a
    person, "COLUMBIA" and "HONOLULU" organisations, "ST. JOSEPH" the person "JOSEPH")."""
    if not places:
        return list(ner)
    out, done = [], set()
    for start, end, label in ner:
        place = next((p for p in places if p[0] < end and start < p[1]), None)
        if place is None or label in NUMERIC:
            out.append((start, end, label))
        elif place not in done:
            done.add(place)
            out.append((place[0], place[1], "GPE"))
    return out


def _link_datelines(norm: str, spans: List[_Span], places: Sequence[Tuple[int, int]],
                    kb: KnowledgeBase) -> List[_Span]:
    """A dateline's place in capitals is the place running text names in title case:
    "WASHINGTON —" is linked as "Washington" would be, added when the model missed it
    ("PARIS (AFP) -"), and otherwise listed in name case ("SIOUX FALLS" → "Sioux Falls")."""
    for start, end in places:
        alias = name_case(norm[start:end], min_words=1)
        kb_id = kb.alias_to_id.get(alias)
        span = next((s for s in spans if (s.start, s.end) == (start, end)), None)
        if span is None:
            if kb_id and not any(s.overlaps(start, end) for s in spans):
                spans.append(_kb_span(kb, start, end, kb_id))
        elif span.kb_id is None and span.canonical is None:
            if kb_id:
                span.kb_id, span.label, span.canonical = \
                    kb_id, kb.entries[kb_id].type, kb.entries[kb_id].name
            else:
                span.canonical = alias
    return sorted(spans, key=lambda s: s.start)


_CAPS_WORD = re.compile(r"[A-Z][A-Z'.-]+")
_WORDS_AFTER = re.compile(r"[^\S\n]*(\S+)[^\S\n]+(\S+)")
_WORD_BEFORE = re.compile(r"(\S+)[^\S\n]+$")


def _in_capitals_run(norm: str, start: int, end: int) -> bool:
    """Is this acronym ("WHO", "US") just a word of an all-capitals headline ("WHO IS THE
    FRONT-RUNNER?")? True when the next word and the one before it or after the next are
    capitals too."""
    after = _WORDS_AFTER.match(norm, end)
    if not after or not _CAPS_WORD.fullmatch(after.group(1).strip("?!:,;")):
        return False
    before = _WORD_BEFORE.search(norm, max(0, start - 40), start)
    return any(w and _CAPS_WORD.fullmatch(w.strip("?!:,;\"")) for w in
               (after.group(2), before.group(1) if before else None))


def _kb_span(kb: KnowledgeBase, start: int, end: int, kb_id: str) -> _Span:
    entry = kb.entries[kb_id]
    return _Span(start, end, entry.type, kb_id, entry.name)


def _names_more(norm: str, start: int, end: int, inside: Sequence[_Span]) -> bool:
    """Does the NER span name something beyond the KB names inside it ("Bank of China",
    "Paris Agreement") rather than just wrap them ("Huawei Paris", "The EU")?"""
    chars = list(norm[start:end])
    for k in inside:
        chars[k.start - start:k.end - start] = " " * (k.end - k.start)
    return any(w not in _NOT_NAMES for w in _NAME_WORD.findall("".join(chars)))


def _place_and_body(norm: str, start: int, end: int, label: str, inside: Sequence[_Span]) -> bool:
    """A Chinese organisation name written as its country and the body ("中国" + "全国人大"):
    one name (the body of that country), not a place beside an organisation."""
    return label == "ORG" and len(inside) == 2 and inside[0].start == start \
        and inside[0].label in ("GPE", "LOC") and inside[1].label == "ORG" \
        and inside[1].end == end and inside[0].end == inside[1].start


def _merge(norm: str, ner: Iterable[Tuple[int, int, str]], kb_spans: List[_Span],
           chinese: bool = False) -> List[_Span]:
    """KB matches and NER spans, without overlaps. A KB match wins over an NER span it covers,
    crosses, or that only wraps it; an NER span that names more ("Bank of China") or is a
    number ("US$100 million") wins over the KB matches inside it, and so does a Chinese
    organisation name made of its country and the body ("中国全国人大")."""
    dropped = set()
    kept: List[_Span] = []
    for start, end, label in ner:
        start, end = _trim(norm, start, end)
        if start >= end or (label not in NUMERIC and not _NAME_LIKE.search(norm, start, end)):
            continue
        inside = [i for i, k in enumerate(kb_spans) if k.overlaps(start, end)]
        contained = all(start <= kb_spans[i].start and kb_spans[i].end <= end for i in inside)
        if inside and not contained:
            continue                                     # KB covers or crosses it
        if inside:
            matches = [kb_spans[i] for i in inside]
            person_in_person = label == "PERSON" and any(k.label == "PERSON" for k in matches)
            if not (label in NUMERIC or (not person_in_person and _names_more(norm, start, end, matches))
                    or (chinese and _place_and_body(norm, start, end, label, matches))):
                continue                                 # "Huawei Paris", "President Xi Jinping"
            dropped.update(inside)
        kept.append(_Span(start, end, label))
    kept.extend(k for i, k in enumerate(kb_spans) if i not in dropped)
    return sorted(kept, key=lambda s: s.start)


def _link_short_forms(norm: str, spans: List[_Span], ner_labels: Dict[Tuple[int, int], str],
                      kb: KnowledgeBase) -> List[_Span]:
    """Surnames and other short forms ("Xi", "Wang", "Bonne"): linked to the one entry with
    that short form named in full in the document; with none named, to the only entry that
    has it when NER gave the span that entry's type."""
    mentioned = {s.kb_id for s in spans if s.kb_id}
    for start, end, form in kb.short_matcher.finditer(norm):
        overlapping = [s for s in spans if s.overlaps(start, end)]
        if any(s.kb_id or not (start <= s.start and s.end <= end) for s in overlapping):
            continue                                     # inside a linked or a longer name
        ids = kb.short_to_ids[form]
        in_doc = [i for i in ids if i in mentioned]
        if len(in_doc) == 1:
            kb_id = in_doc[0]
        elif not in_doc and len(ids) == 1 and ner_labels.get((start, end)) == kb.entries[ids[0]].type:
            kb_id = ids[0]
        else:
            continue
        spans = [s for s in spans if s not in overlapping]
        spans.append(_kb_span(kb, start, end, kb_id))
    return sorted(spans, key=lambda s: s.start)


def _propagate_names(norm: str, spans: List[_Span]) -> List[_Span]:
    """Within a document, a surname after an unlinked full name ("Lyle Morris" … "Morris") is
    that person: relabelled PERSON with the full name as canonical, and found where NER missed
    it (except at a sentence start, where a capital proves nothing). A name the model found
    that is the first word of one such full name is relabelled too (Chinese names put the
    surname first: "Wang Donghai" … "Wang"). A country name is no one's surname ("Outer
    Mongolia", typed PERSON by the model, does not make "Mongolia" a person)."""
    countries = country_names()
    full: Dict[str, set] = {}
    first: Dict[str, set] = {}
    for s in spans:
        words = norm[s.start:s.end].split()
        if s.label == "PERSON" and s.kb_id is None and len(words) >= 2 and words[-1][:1].isupper():
            full.setdefault(words[-1], set()).add(" ".join(words))
            first.setdefault(words[0], set()).add(" ".join(words))
    surnames = {k: next(iter(v)) for k, v in full.items()
                if len(v) == 1 and len(k) > 1 and k not in countries}
    given = {k: next(iter(v)) for k, v in first.items()
             if len(v) == 1 and len(k) > 1 and k[:1].isupper() and k not in countries
             and k not in surnames and k not in full}
    if not surnames and not given:
        return spans
    for s in spans:
        name = surnames.get(norm[s.start:s.end]) or given.get(norm[s.start:s.end])
        if s.kb_id is None and name and s.label not in NUMERIC:
            s.label, s.canonical = "PERSON", name
    if not surnames:
        return spans
    pattern = re.compile(r"(?<![\w'-])(?:%s)(?![\w-])(?!'(?!s\b)\w)"
                         % "|".join(re.escape(k) for k in sorted(surnames, key=len, reverse=True)))
    for m in pattern.finditer(norm):
        if not any(s.overlaps(m.start(), m.end()) for s in spans) \
                and not _sentence_initial(norm, m.start()):
            spans.append(_Span(m.start(), m.end(), "PERSON", None, surnames[m.group()]))
    return sorted(spans, key=lambda s: s.start)


_SENTENCE_END = re.compile(r"[.!?\u3002\uff01\uff1f\u2026][\"'\u201d\u00bb)\]]*\s*$")
_INNER_SENTENCE = re.compile(r"[.!?]\s+[A-Z]")   # several sentences on one line: running text
_LABEL_COLON = re.compile(r":\s")               # "AI & Data Ethics: French ...": a label, then text
HEADING_MAX_WORDS = 12
_UNCASED = re.compile(r"[\u3400-\u9fff\u3040-\u30ff\uac00-\ud7af]")  # Han, kana, hangul


def _heading_like(line: str) -> bool:
    """Title-Case words, no sentence end, no figures (datelines, tables, scores), not a list of
    names ("Ian Healy, Michael Bevan, Mark Waugh")."""
    if _SENTENCE_END.search(line) or _INNER_SENTENCE.search(line) or re.search(r"\d", line):
        return False
    words = [w for w in re.findall(r"[^\W\d_][\w'&.-]*", line)]
    uncased = len(_UNCASED.findall(line))  # Chinese has no Title Case: each character counts
    # as a word in lower case ("紐約時報攝影作品《The Great Empty》" is no Title-Case heading)
    if not words or sum(w[0].isupper() for w in words) < 0.6 * (len(words) + uncased):
        return False
    items = [i.split() for i in re.split(r"\s*[,;]\s*", line) if i.strip()]
    lowercase = [w for w in words if w[0].islower() and w not in ("and", "or", "&")]
    return not (len(items) >= 3 and not lowercase)


def _heading_lines(norm: str) -> List[Tuple[int, int]]:
    """(start, end) of the lines that read as furniture rather than running text: headings and
    labels ("Key Takeaways") — short Title-Case lines that end no sentence."""
    out, start = [], 0
    for line in norm.split("\n"):
        end = start + len(line)
        stripped = line.strip()
        if stripped and len(stripped.split()) <= HEADING_MAX_WORDS and _heading_like(stripped):
            out.append((start, end))
        start = end + 1
    return out


def _common_word(norm: str, s: _Span) -> bool:
    """A single capitalised word at a sentence start that the document also uses in lower case
    ("« Produire au plus près…" beside "produire"): its capital comes from its position."""
    word = norm[s.start:s.end]
    if not word.isalpha() or not word[:1].isupper() or not _sentence_initial(norm, s.start):
        return False
    return re.search(r"(?<!\w)%s(?!\w)" % re.escape(word.lower()), norm) is not None


def _drop_furniture(norm: str, spans: List[_Span]) -> List[_Span]:
    """Unlinked names found only in heading-like lines are dropped: Title-Case headings and
    labels are not names unless the knowledge base links them or the model also finds the same
    name in running text. Nor is an unlinked span running across "label: text", nor a common
    word capitalised at a sentence start."""
    headings = _heading_lines(norm)
    spans = [s for s in spans if s.kb_id or s.label in NUMERIC
             or not (_LABEL_COLON.search(norm, s.start, s.end) or _common_word(norm, s))]
    if not headings:
        return spans

    def in_heading(s: _Span) -> bool:
        return any(a <= s.start and s.end <= b for a, b in headings)

    in_text = {norm[s.start:s.end] for s in spans if not in_heading(s)}
    return [s for s in spans if s.kb_id or s.label in NUMERIC or not in_heading(s)
            or norm[s.start:s.end] in in_text]


def link_entities(text: str, ner: Sequence[Tuple[int, int, str]], kb: KnowledgeBase,
                  stoplist: StopList, word_bounds: Optional[AbstractSet[int]] = None
                  ) -> Tuple[Entity, ...]:
    """Entities of `text` from its NER spans (start, end, label; none for languages without a
    model) and the knowledge base. `text` may be the original or the normalised text. The
    stop-list applies to what is not linked: the knowledge base is curated. `word_bounds`, for
    text written without spaces (Chinese), are the offsets where the segmenter's words start
    and end: a KB name must be whole words there (印度 is not a mention inside 印度洋)."""
    norm = normalise(text)
    datelines = _dateline_places(norm)
    ner = consistent_labels(norm, clean_spans(norm, _dateline_types(ner, datelines)))
    ner = [(s, e, label) for s, e, label in ner if not stoplist.drops(norm[s:e], label)]
    kb_spans = [_kb_span(kb, s, e, kb.alias_to_id[form]) for s, e, form in kb.alias_matcher.finditer(norm)
                if not (form.isupper() and len(form) <= 5 and _in_capitals_run(norm, s, e))
                and (word_bounds is None or (s in word_bounds and e in word_bounds))]
    spans = _merge(norm, ner, kb_spans, chinese=word_bounds is not None)
    spans = _link_datelines(norm, spans, datelines, kb)
    spans = _link_short_forms(norm, spans, {(s, e): label for s, e, label in ner}, kb)
    spans = _propagate_names(norm, spans)
    spans = _drop_furniture(norm, spans)
    return tuple(Entity(text=text[s.start:s.end], label=s.label, start=s.start, end=s.end,
                        kb_id=s.kb_id, canonical=s.canonical)
                 for s in spans if s.kb_id or not stoplist.drops(norm[s.start:s.end], s.label))
