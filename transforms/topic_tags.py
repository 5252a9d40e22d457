"""Topic/sector tags ('nuclear', 'trade', 'luxury_spirits', …) from a multilingual lexicon
(`kb/topics.yaml`) and the article's linked entities.

A topic is tagged when its terms and entities are found at least `min_hits` times in the body,
or any of its terms once in the title. Terms match case- and accent-insensitively (all-capital
acronyms such as AI or EV exactly), on word boundaries for Latin script; `word*` matches any
ending. A term inside the mention of one of the topic's entities counts once.
"""
from __future__ import annotations

import dataclasses
import re
import unicodedata
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import yaml

from cfnews.schemas import Entity
from cfnews.transforms.entity_kb import (_AFTER, _BEFORE, _HAN, _LETTER, KB_DIR, LANGUAGES, KbError,
                                  KnowledgeBase, trie_pattern)
from cfnews.transforms.entity_linking import normalise

_TOPIC_NAME = re.compile(r"[a-z][a-z0-9_]*")
_ACRONYM = re.compile(r"[A-Z0-9]*[A-Z][A-Z0-9]*\*?")


class _FoldTable(dict):
    """str.translate table folding case and accents one character to one character, so
    positions in the folded text are positions in the original."""

    def __missing__(self, code: int) -> int:
        folded = "".join(c for c in unicodedata.normalize("NFD", chr(code).lower())
                         if not unicodedata.combining(c))
        self[code] = ord(folded) if len(folded) == 1 else code
        return self[code]


_FOLD = _FoldTable()


def fold(text: str) -> str:
    return normalise(text).translate(_FOLD)


@dataclasses.dataclass(frozen=True)
class Topic:
    name: str
    min_hits: int
    entities: frozenset


def _group(name: str, terms: Sequence[str]) -> str:
    """One topic's terms as a named group: whole words, or any ending for `word*`."""
    whole = [t for t in terms if not t.endswith("*")]
    stems = [t[:-1] for t in terms if t.endswith("*")]
    latin = not _HAN.search(terms[0])   # a group holds one script (see Lexicon)
    parts = []
    if whole:
        parts.append(f"(?:{trie_pattern(whole)})" + (_AFTER if latin else ""))
    if stems:
        parts.append(f"(?:{trie_pattern(stems)})" + (f"[{_LETTER}]*" if latin else ""))
    return f"(?P<{name}>" + "|".join(parts) + ")"


def _compile(groups: Dict[str, List[str]]) -> Optional[re.Pattern]:
    """groups: regex group name -> terms; Latin-script groups share one word-boundary check."""
    latin = {g: ts for g, ts in groups.items() if ts and not _HAN.search(ts[0])}
    han = {g: ts for g, ts in groups.items() if ts and _HAN.search(ts[0])}
    alternatives = []
    for chosen, before in ((latin, _BEFORE), (han, "")):
        if chosen:
            first = "".join(sorted({re.escape(t[0]) for ts in chosen.values() for t in ts}))
            body = "|".join(_group(g, ts) for g, ts in chosen.items())
            alternatives.append(f"(?=[{first}]){before}(?:{body})")
    return re.compile("|".join(alternatives)) if alternatives else None


class Lexicon:
    def __init__(self, topics: Sequence[Topic], terms: Dict[str, List[str]]):
        """terms: topic name -> its terms as written in the file."""
        self.topics = tuple(topics)
        folded: Dict[str, List[str]] = {}
        exact: Dict[str, List[str]] = {}
        for i, topic in enumerate(self.topics):
            for term in terms[topic.name]:
                script = "h" if _HAN.search(term) else "l"
                if _ACRONYM.fullmatch(term):
                    exact.setdefault(f"{script}{i}", []).append(term)
                else:
                    folded.setdefault(f"{script}{i}", []).append(fold(" ".join(term.split())))
        self._folded = _compile(folded)
        self._exact = _compile(exact)

    def _hits(self, text: str) -> Dict[int, List[Tuple[int, int]]]:
        """topic index -> (start, end) of its term matches."""
        hits: Dict[int, List[Tuple[int, int]]] = {}
        for regex, subject in ((self._folded, fold(text)), (self._exact, normalise(text))):
            if regex is not None:
                for m in regex.finditer(subject):
                    hits.setdefault(int(m.lastgroup[1:]), []).append(m.span())
        return hits

    def tag(self, title: str, text: str, entities: Sequence[Entity] = ()) -> Tuple[str, ...]:
        in_title = self._hits(title)
        in_body = self._hits(text)
        tags = []
        for i, topic in enumerate(self.topics):
            spans = in_body.get(i, [])
            mentions = [e for e in entities if e.kb_id in topic.entities
                        and not any(s < e.end and e.start < t for s, t in spans)]
            if in_title.get(i) or len(spans) + len(mentions) >= topic.min_hits:
                tags.append(topic.name)
        return tuple(tags)


def parse_lexicon(raw, kb: Optional[KnowledgeBase] = None, path="topics.yaml") -> Lexicon:
    problems: List[str] = []
    if not isinstance(raw, dict):
        raise KbError(path, ["must be a mapping with version, min_hits, topics"])
    for key in sorted(set(raw) - {"version", "min_hits", "topics"}):
        problems.append(f"unknown key {key!r}")
    if raw.get("version") != 1:
        problems.append(f"version must be 1, not {raw.get('version')!r}")
    default_min = raw.get("min_hits", 2)
    if not isinstance(default_min, int) or isinstance(default_min, bool) or default_min < 1:
        problems.append(f"min_hits must be a whole number >= 1, not {default_min!r}")
        default_min = 2
    raw_topics = raw.get("topics")
    if not isinstance(raw_topics, dict) or not raw_topics:
        raise KbError(path, problems + ["topics must be a non-empty mapping of name -> topic"])
    topics: List[Topic] = []
    terms: Dict[str, List[str]] = {}
    seen: Dict[str, str] = {}
    for name, spec in raw_topics.items():
        where = f"topics.{name}"
        if not isinstance(name, str) or not _TOPIC_NAME.fullmatch(name):
            problems.append(f"{where}: a topic name is lower_case_with_underscores")
        if not isinstance(spec, dict):
            problems.append(f"{where}: must be a mapping with terms (and entities, min_hits)")
            continue
        for key in sorted(set(spec) - {"terms", "entities", "min_hits"}):
            problems.append(f"{where}: unknown key {key!r}")
        min_hits = spec.get("min_hits", default_min)
        if not isinstance(min_hits, int) or isinstance(min_hits, bool) or min_hits < 1:
            problems.append(f"{where}.min_hits: must be a whole number >= 1, not {min_hits!r}")
            min_hits = default_min
        by_language = spec.get("terms")
        if not isinstance(by_language, dict) or not by_language:
            problems.append(f"{where}.terms: must map languages ({', '.join(LANGUAGES)}) to lists")
            by_language = {}
        topic_terms: List[str] = []
        for lang, values in by_language.items():
            if lang not in LANGUAGES:
                problems.append(f"{where}.terms: {lang!r} is not one of {', '.join(LANGUAGES)}")
                continue
            if not isinstance(values, list) or not values:
                problems.append(f"{where}.terms.{lang}: must be a non-empty list")
                continue
            for term in values:
                if not isinstance(term, str) or not term.strip() or "*" in term[:-1] or term == "*":
                    problems.append(f"{where}.terms.{lang}: {term!r} is not a term "
                                    "(non-empty; * only at the end)")
                    continue
                key = term if _ACRONYM.fullmatch(term) else fold(term)
                if key in seen and seen[key] != name:
                    problems.append(f"{where}.terms.{lang}: {term!r} is already a term of {seen[key]}")
                elif term not in topic_terms:
                    seen[key] = name
                    topic_terms.append(term)
        entities = spec.get("entities", [])
        if not isinstance(entities, list):
            problems.append(f"{where}.entities: must be a list of kb_ids")
            entities = []
        for kb_id in entities:
            if kb is not None and kb_id not in kb.entries:
                problems.append(f"{where}.entities: {kb_id!r} is not in the knowledge base")
        topics.append(Topic(name=name, min_hits=min_hits, entities=frozenset(entities)))
        terms[name] = topic_terms
    if problems:
        raise KbError(path, problems)
    return Lexicon(topics, terms)


def load_lexicon(path: Path = KB_DIR / "topics.yaml", kb: Optional[KnowledgeBase] = None) -> Lexicon:
    with open(path, encoding="utf-8") as f:
        return parse_lexicon(yaml.safe_load(f), kb, path)
