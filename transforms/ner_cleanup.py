"""Model entities made consistent before they meet the knowledge base: name boundaries as news NER
gold draws them (no title, no possessive, no capitalised "The" that only starts the sentence, no
"province" after it, no results line or dash-separated text run into it), types the context
settles (country names and "in X" are places, "Ms X" is a person), lists split, job-title
portfolios dropped, and one type per name within a document.

Plain functions over (start, end, label) spans of the normalised text; no spaCy or Beam here.
Measured on UNER English PUD and CoNLL-2003 (tests/benchmarks/ner_precision.py).
"""
from __future__ import annotations

import collections
import functools
import re
from typing import FrozenSet, List, Sequence, Tuple

NAME_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "FAC"})

# Titles and honorifics that precede a name without being part of it ("President Obama",
# "Ms Pugh", "Pope Paul VI"): OntoNotes, CoNLL-2003 and UNER all leave them out of the name.
_TITLES = ("Mr Mrs Ms Miss Mx Dr Prof Sir Dame Lord Lady Pope King Queen Prince Princess Emperor "
           "Empress President Premier Chancellor Senator Sen Rep Gov Governor General Gen Col "
           "Colonel Capt Captain Lt Lieut Lieutenant Sgt Cpl Corporal Pvt Spc Maj Brig Brigadier "
           "Adm Admiral Cmdr Cdr Commander Marshal Judge Justice Rev Reverend Father Sister Brother "
           "Saint St "
           "Sheikh Imam Rabbi Cardinal Bishop Archbishop Minister Secretary Mayor Chairman "
           "Chairwoman Coach Officer Agent Detective Inspector Commissioner Ambassador Vice "
           "Deputy Foreign Prime Defence Defense Finance Former Late "
           "M Mme Mlle Me Président Présidente Ministre").split()
_LEADING_TITLES = re.compile(r"(?:(?:%s)\.?\s+)+" % "|".join(re.escape(t) for t in _TITLES))
# a "person" that is only titles ("Col" of "Lt Col Alexander Vindman", "Sgt."); not the titles
# that are also surnames or names of their own (King, Bishop, Judge, Prince, Marshal, ...)
_NAME_LIKE_TITLES = set(("Sir Dame Lord Lady Pope King Queen Prince Princess Emperor Empress "
                         "Chancellor Judge Justice Father Sister Brother Saint Sheikh Imam Rabbi "
                         "Cardinal Bishop Archbishop Coach Officer Agent Detective Inspector "
                         "Commissioner Marshal").split())
_ONLY_TITLES = re.compile(r"(?:(?:%s)\.?\s*)+" % "|".join(
    re.escape(t) for t in _TITLES if t not in _NAME_LIKE_TITLES))
_POSSESSIVE = re.compile(r"['\u2019]s?$")
_SPACED_POSSESSIVE = re.compile(r"\s+['\u2019]s?$")       # "Magna 's" (tokenised text): any name
# a month or weekday before a name dates it ("the August Chicago NAPM", "Monday Trump said")
# (for people, weekdays only: April, May, June and August are first names too)
_WEEKDAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
_LEADING_DAY = re.compile(r"(?:%s)\s+(?=[A-Z])" % _WEEKDAYS)
_LEADING_DATE = re.compile(r"(?:January|February|March|April|May|June|July|August|September|"
                           r"October|November|December|%s)\s+(?=[A-Z])" % _WEEKDAYS)
# a person's name ends before a figure, and what follows it ("P. Johnson 84", "Aiden Haig 1 goal")
_PERSON_FIGURES = re.compile(r"\s+\+?\d[\d./-]*(?:\s+[^\d\s][^\n]*)?$")
_LEADING_FIGURES = re.compile(r"\d[\d./-]*\.?\s+(?=[A-Z])")   # "64 Bob Estes" (a ranking)
_SCORE_OR_PHONE = re.compile(r"\s+\+?\d+(?:-\d+)+$|\s+\+\d+$")
# "J. Smith"; not "U.S. Smith", nor French "M." (Monsieur)
_INITIAL_BEFORE = re.compile(r"(?<![\w.])[A-LN-Z]\.\s?$")
# The head word of a name (its last, or the one before "of") says what it names: "First Opium
# War", "Treaty of Nanking" and "Hong Kong Open" are events and laws, whatever type the small
# model gave them.
_HEAD_WORD_LABELS = {
    **dict.fromkeys("War Wars Revolution Revolt Uprising Olympics Games Cup Championship "
                    "Championships Open Marathon Festival Summit".split(), "EVENT"),
    **dict.fromkeys("Treaty Act Agreement Accord Accords".split(), "LAW"),
    **dict.fromkeys("Award Awards Prize".split(), "MISC"),
}
# A kind-of-thing noun written after a name ("Jiangsu province", "Interfax news agency"): news NER
# gold leaves it out. English lower-case words only, so French names ("Front national") keep theirs.
_TRAILING_DESCRIPTOR = re.compile(
    r"(?:\s+(?:province|region|district|county|prefecture|state|city|town|village|area|"
    r"news agency|agency|newspaper|daily|union|group|party))+$")
# a results line read as one name ("Haitai 2 Samsung 0", "Atlanta 5 PITTSBURGH 1"): the name
# ends before the first score
_SCORE_LINE = re.compile(r"\s+\d+\s+[A-Z][^\n]*\s\d+$")
# "Jeans Mate Corp - 6mth", "Faroe Islands - Jan": a spaced dash ends the name
_SPACED_DASH = re.compile(r"\s+[-\u2013\u2014]\s+")
# quotation marks a name may open with; the name keeps one only when it also closes it
_OPENING_QUOTES = {'"': '"', "\u201c": "\u201d", "\u00ab": "\u00bb", "\u2018": "\u2019",
                   "\u201e": "\u201c"}
# "Tesla, Uber and Snapchat": a list read as one name (not "Bodman, Longely & Dahling", a firm)
_NAME_PART = r"[A-Z][\w.'-]*(?:\s+[A-Z][\w.'-]*)*"
_LIST_OF_NAMES = re.compile(r"%s(?:\s*,\s*%s)+\s*,?\s+(?:and|or)\s+%s$" % ((_NAME_PART,) * 3))
_LIST_PARTS = re.compile(_NAME_PART)
# "in Longyear", "near Monte Carlo": a name the small model took for a person is a place
_PLACE_BEFORE = re.compile(r"(?:^|\s)(?:in|near)\s+$")
_POSSESSIVE_AFTER = re.compile(r"\s?['\u2019]s?\b")
# Mr, Ms, Dr before a capitalised word: a person, whatever type the model gave ("Ms Pugh" GPE)
_HONORIFIC = re.compile(r"(?:Mr|Mrs|Ms|Miss|Dr|Sir|Dame)\.?\s+(?=[A-Z])")
# A ministry's portfolio beside the office ("Education Minister", "Secretary of State",
# "Minister for Justice"): part of a job title, not an organisation's name
_PORTFOLIO_AFTER = re.compile(r"\s+(?:Minister|Ministers|Secretary|Secretaries|Ministry)\b")
_PORTFOLIO_BEFORE = re.compile(
    r"\b(?:Minister|Ministry|Secretary|Department)\s+(?:of|for)\s+(?:the\s+)?$")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s+|\n\s*)[\"'\u201c\u00ab(]?$")


@functools.lru_cache(maxsize=1)
def country_names() -> FrozenSet[str]:
    """Country names as news writes them: ISO 3166 names from pycountry (name, common and
    official names; "Iran, Islamic Republic of" also as "Iran"), plus the short forms ISO does
    not use."""
    import pycountry  # imported lazily: only entity workers need it
    names = set()
    for country in pycountry.countries:
        for field in ("name", "common_name", "official_name"):
            value = getattr(country, field, None)
            if value:
                names.add(value)
                names.add(re.split(r",|\s\(", value)[0].strip())
    names |= {"Russia", "Syria", "Laos", "Vietnam", "South Korea", "North Korea", "Britain",
              "Great Britain", "Czech Republic", "Ivory Coast", "Burma", "Macau", "Vatican",
              "East Timor", "Cape Verde", "Swaziland", "Turkey", "Brunei"}
    return frozenset(names)


def _sentence_start(norm: str, start: int) -> bool:
    return _SENTENCE_START.search(norm, max(0, start - 4), start) is not None or start == 0


def _trim_name(norm: str, start: int, end: int, label: str) -> Tuple[int, int]:
    """Names as news NER gold draws them: no results line or text after a spaced dash run into
    the name, no "province" or "news agency" after it; a person's name without the titles or
    ranking before it, with the initial before it ("S. Waugh"; not French "M.", Monsieur),
    without figures after it ("Healy 84"); a person or place without a trailing possessive (any
    name when the 's stands apart); no month or weekday before a name (after the sentence's
    "The"), no score or telephone number after it; a name that starts a sentence without the
    capitalised "The" of the sentence; no quotation mark that opens before the name and
    closes after it ("“Secret Weapon" of “Secret Weapon” paper)."""
    quote = _OPENING_QUOTES.get(norm[start]) if start < end else None
    if quote and quote not in norm[start + 1:end]:
        start += 1
        while start < end and norm[start].isspace():
            start += 1
    dash = _SPACED_DASH.search(norm, start, end)
    if dash and dash.start() > start:
        end = dash.start()
    score = _SCORE_LINE.search(norm, start, end)
    if score and score.start() > start:
        end = score.start()
    descriptor = _TRAILING_DESCRIPTOR.search(norm, start, end)
    if descriptor and descriptor.start() > start and label != "PERSON":
        end = descriptor.start()
    if label != "PERSON" and norm.startswith("The ", start) and end - start > 4 \
            and _sentence_start(norm, start) and norm[start + 4].isupper():
        start += 4
    spaced = _SPACED_POSSESSIVE.search(norm, start, end)
    possessive = spaced or _POSSESSIVE.search(norm, start, end)
    if possessive and label == "ORG" and not (_ORG_HEAD_BEFORE.search(norm, start,
                                                                   possessive.start())
                                              or _named_bare(norm, start, possessive.start())):
        possessive = None  # "McDonald's" keeps its 's; "Blue Origin's" beside "Blue Origin",
        # and "the Justice Department's", do not
    if possessive and possessive.start() > start:
        end = possessive.start()
    date = (_LEADING_DAY if label == "PERSON" else _LEADING_DATE).match(norm, start, end)
    if date:
        start = date.end()
    figures = (_PERSON_FIGURES if label == "PERSON" else _SCORE_OR_PHONE).search(norm, start, end)
    if figures and figures.start() > start:
        end = figures.start()
    if label == "PERSON":
        title = _LEADING_TITLES.match(norm, start, end)
        if title and title.end() < end and norm[title.end()].isupper():
            start = title.end()
        number = _LEADING_FIGURES.match(norm, start, end)
        if number:
            start = number.end()
        initials = _INITIAL_BEFORE.search(norm, max(0, start - 4), start)
        if initials and not title:
            start = initials.start()
    return start, end


# The kind-of-body noun that ends an organisation's name: an 's after it is a possessive, never a
# brand's (brands in 's end in a person's name: McDonald's, Kellogg's, Trader Joe's)
_ORG_HEAD_BEFORE = re.compile(
    r"\b(?:Party|Department|Ministry|University|College|School|Committee|Commission|Council|"
    r"Agency|Authority|Court|Post|Times|Journal|News|Media|Company|Corporation|Group|Bank|Fund|"
    r"Reserve|Office|Service|Institute|Association|Union|Organi[sz]ation|Foundation|Federation|"
    r"Board|Bureau|Administration|Government|Parliament|Senate|Congress|Assembly|Army|Navy|"
    r"Police|Society|Hospital|Cent(?:er|re)|Museum|Network|Alliance|Coalition)$")


def _named_bare(norm: str, start: int, end: int) -> bool:
    """The text also names norm[start:end] without a possessive after it: its 's is the
    possessive of that name, not part of a brand ("Kellogg's")."""
    bare = norm[start:end]
    return re.search(r"(?<![\w'\u2019])%s(?![\w'\u2019])" % re.escape(bare), norm) is not None


def _portfolio(norm: str, start: int, end: int) -> bool:
    """A one-word ORG that is a ministry's portfolio in a job title ("Defence Minister")."""
    if " " in norm[start:end].strip():
        return False
    return bool(_PORTFOLIO_AFTER.match(norm, end)
                or _PORTFOLIO_BEFORE.search(norm, max(0, start - 30), start))


def clean_spans(norm: str, ner: Sequence[Tuple[int, int, str]]) -> List[Tuple[int, int, str]]:
    """NER spans with name boundaries trimmed, country names typed GPE (the small model takes
    "Mongolia" or "Liechtenstein" for a person or an organisation now and then), and names whose
    last word makes them an event, a law or an award typed so; a name after Mr, Ms or Dr is a
    person's, a "person" after "in" or "near" a place; a ministry's portfolio in a job title
    ("Defence Minister") is no organisation; a list of organisations or people read as one name
    is split into its names."""
    countries = country_names()
    out = []
    for start, end, label in ner:
        if label in NAME_LABELS and label != "PERSON" and _HONORIFIC.match(norm, start, end):
            label = "PERSON"
        if label == "ORG" and _portfolio(norm, start, end):
            continue
        if label == "PERSON" and _ONLY_TITLES.fullmatch(norm, start, end):
            continue
        if label == "PERSON" and _PLACE_BEFORE.search(norm, max(0, start - 6), start) \
                and not _POSSESSIVE_AFTER.match(norm, end) \
                and not _HONORIFIC.match(norm, start, end):
            label = "GPE"
        if label in ("ORG", "PERSON") and _LIST_OF_NAMES.fullmatch(norm, start, end):
            out.extend((m.start(), m.end(), label) for m in _LIST_PARTS.finditer(norm, start, end))
            continue
        if label in NAME_LABELS:
            start, end = _trim_name(norm, start, end, label)
            words = norm[start:end].split()
            head = norm[start:end].split(" of ")[0].split()[-1] if words else ""  # "Treaty of …"
            if label in ("PERSON", "ORG") and norm[start:end] in countries:
                label = "GPE"
            elif len(words) > 1 and head in _HEAD_WORD_LABELS:
                label = _HEAD_WORD_LABELS[head]
        out.append((start, end, label))
    return out


def consistent_labels(norm: str, ner: Sequence[Tuple[int, int, str]]) -> List[Tuple[int, int, str]]:
    """One type per name within a document: a name the model types differently at different
    mentions ("Hitchcock" PERSON twice, ORG once) takes its most frequent type; a tie keeps the
    model's labels. Places (GPE, LOC, FAC) count as one type, their labels unchanged."""
    def kind(label: str) -> str:
        return "PLACE" if label in ("GPE", "LOC", "FAC") else label

    votes = collections.defaultdict(collections.Counter)
    labels = collections.defaultdict(collections.Counter)
    for start, end, label in ner:
        if label in NAME_LABELS:
            votes[norm[start:end]][kind(label)] += 1
            labels[norm[start:end]][label] += 1
    out = []
    for start, end, label in ner:
        counts = votes.get(norm[start:end])
        if counts and len(counts) > 1:
            (best, n), (_, m) = counts.most_common(2)
            if n > m and kind(label) != best:
                label = best if best != "PLACE" else next(
                    lab for lab, _ in labels[norm[start:end]].most_common() if kind(lab) == "PLACE")
        out.append((start, end, label))
    return out
