"""The curated knowledge base (`kb/entities.jsonl`) and stop-list (`kb/stoplist.yaml`):
loading, validation (every problem reported at once, with its line), and the alias matcher.

KB line: {"kb_id": "Q3052772" | "cfnews:wang-yi", "name": canonical name, "type": PERSON|ORG|…,
"aliases": {"en"|"fr"|"zh_hans"|"zh_hant": [...]}, "short": [...] (optional),
"qid_source": where the QID was verified (required for a QID, forbidden otherwise), "note"}.
Aliases (and the name) match anywhere, case-sensitively; short forms ("Xi", "Wang") only link
in context (see entity_linking).
"""
from __future__ import annotations

import dataclasses
import functools
import json
import re
import unicodedata
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple

import yaml

KB_DIR = Path(__file__).parent / "kb"
TYPES = ("PERSON", "ORG", "GPE", "LOC", "FAC", "EVENT", "LAW", "PRODUCT", "PROGRAMME")
LANGUAGES = ("en", "fr", "zh_hans", "zh_hant")
_KEYS = {"kb_id", "name", "type", "aliases", "short", "qid_source", "note"}
_QID = re.compile(r"Q[1-9][0-9]*")
_LOCAL_ID = re.compile(r"cfnews:[a-z0-9]+(?:-[a-z0-9]+)*")
# Typography the pipeline normalises away before matching (see entities.normalise): an alias
# written with it could never match.
_TYPOGRAPHY = re.compile("[\u2018\u2019\u02bc\u00a0\u202f\u2009\u2010\u2011]")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")
# A Latin-script alias must not start or end inside a word. An apostrophe before a letter
# continues a word ("Xi'an" is not "Xi"), except the possessive "'s" ("Macron's").
_LETTER = "0-9A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
_BEFORE = rf"(?<![{_LETTER}])"
_AFTER = rf"(?![{_LETTER}])(?!'(?!s\b)[{_LETTER}])"


class KbError(ValueError):
    """A knowledge-base, stop-list or lexicon file that cannot be used; lists every problem."""

    def __init__(self, path, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__(f"{path}: {len(self.problems)} problem(s):\n  " + "\n  ".join(self.problems))


@dataclasses.dataclass(frozen=True)
class KbEntry:
    kb_id: str
    name: str
    type: str
    aliases: Mapping[str, Tuple[str, ...]]
    short: Tuple[str, ...] = ()
    qid_source: str = ""

    @property
    def qid(self) -> Optional[str]:
        return self.kb_id if _QID.fullmatch(self.kb_id) else None


def fold_accents(text: str) -> str:
    """'Électricité' -> 'Electricite': writers drop accents, so each alias matches both ways."""
    return "".join(c for c in unicodedata.normalize("NFD", text)
                   if not unicodedata.combining(c))


def trie_pattern(words: Iterable[str]) -> str:
    """A regex matching any of `words`, longest first at a given start, factored by prefix so
    the engine walks a trie instead of trying each word in turn."""
    trie: dict = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict) -> str:
        branches = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(trie)


class PhraseMatcher:
    """Finds phrases in a text: Latin-script ones on word boundaries, Han ones anywhere.
    Leftmost match wins, then the longest at that start; matches never overlap."""

    def __init__(self, phrases: Iterable[str]):
        phrases = sorted(set(p for p in phrases if p))
        han = [p for p in phrases if _HAN.search(p)]
        latin = [p for p in phrases if not _HAN.search(p)]
        parts = []  # each starts with a look-ahead on its first characters: most positions fail fast
        if latin:
            first = "".join(sorted({re.escape(p[0]) for p in latin}))
            parts.append(f"(?=[{first}]){_BEFORE}(?:{trie_pattern(latin)}){_AFTER}")
        if han:
            first = "".join(sorted({re.escape(p[0]) for p in han}))
            parts.append(f"(?=[{first}]){trie_pattern(han)}")
        self.regex = re.compile("|".join(parts)) if parts else None

    def finditer(self, text: str) -> Iterator[Tuple[int, int, str]]:
        if self.regex is None:
            return
        for m in self.regex.finditer(text):
            yield m.start(), m.end(), m.group()


@dataclasses.dataclass
class KnowledgeBase:
    entries: Dict[str, KbEntry]
    alias_to_id: Dict[str, str]            # every matchable form (accents folded too) -> kb_id
    short_to_ids: Dict[str, Tuple[str, ...]]

    @functools.cached_property
    def alias_matcher(self) -> PhraseMatcher:
        return PhraseMatcher(self.alias_to_id)

    @functools.cached_property
    def short_matcher(self) -> PhraseMatcher:
        return PhraseMatcher(self.short_to_ids)

    def __len__(self) -> int:
        return len(self.entries)


def _forms(entry: KbEntry) -> List[str]:
    forms = [entry.name] + [a for lang in LANGUAGES for a in entry.aliases.get(lang, ())]
    out: List[str] = []
    for form in forms:
        for variant in (form, fold_accents(form)):
            if variant not in out:
                out.append(variant)
    return out


def _check_strings(value, where: str, problems: List[str]) -> Tuple[str, ...]:
    if not isinstance(value, list) or not value:
        problems.append(f"{where}: must be a non-empty list of strings")
        return ()
    good = []
    for i, s in enumerate(value):
        if not isinstance(s, str) or not s.strip():
            problems.append(f"{where}[{i}]: must be a non-empty string")
        elif s != s.strip() or "  " in s:
            problems.append(f"{where}[{i}]: {s!r} has stray spaces")
        elif _TYPOGRAPHY.search(s):
            problems.append(f"{where}[{i}]: {s!r} uses typographic quotes, dashes or spaces "
                            "(write ' and - and plain spaces: text is normalised before matching)")
        else:
            good.append(s)
    return tuple(good)


def parse_kb(lines: Iterable[str], path="entities.jsonl") -> KnowledgeBase:
    problems: List[str] = []
    entries: Dict[str, KbEntry] = {}
    names: Dict[str, str] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"line {number}"
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{where}: not JSON ({exc.msg})")
            continue
        if not isinstance(raw, dict):
            problems.append(f"{where}: must be a JSON object")
            continue
        kb_id = raw.get("kb_id")
        where = f"line {number} ({kb_id})" if isinstance(kb_id, str) else where
        for key in sorted(set(raw) - _KEYS):
            problems.append(f"{where}: unknown key {key!r}")
        for key in ("kb_id", "name", "type", "aliases"):
            if key not in raw:
                problems.append(f"{where}: missing {key!r}")
        if not isinstance(kb_id, str) or not (_QID.fullmatch(kb_id) or _LOCAL_ID.fullmatch(kb_id)):
            problems.append(f"{where}: kb_id must be a Wikidata QID (Q123) or a local id "
                            f"(cfnews:lower-case-words), not {kb_id!r}")
            continue
        if kb_id in entries:
            problems.append(f"{where}: duplicate kb_id")
        name, type_ = raw.get("name"), raw.get("type")
        if not isinstance(name, str) or not name.strip():
            problems.append(f"{where}: name must be a non-empty string")
            name = ""
        elif name in names:
            problems.append(f"{where}: name {name!r} already used by {names[name]}")
        if type_ not in TYPES:
            problems.append(f"{where}: type must be one of {', '.join(TYPES)}, not {type_!r}")
        source = raw.get("qid_source", "")
        if _QID.fullmatch(kb_id) and not (isinstance(source, str) and source.strip()):
            problems.append(f"{where}: a QID needs qid_source (where it was verified); "
                            "use a cfnews: id when no source confirms it")
        if not _QID.fullmatch(kb_id) and source:
            problems.append(f"{where}: qid_source given for a local id")
        aliases: Dict[str, Tuple[str, ...]] = {}
        raw_aliases = raw.get("aliases", {})
        if not isinstance(raw_aliases, dict):
            problems.append(f"{where}: aliases must be an object keyed by {', '.join(LANGUAGES)}")
            raw_aliases = {}
        for lang, values in raw_aliases.items():
            if lang not in LANGUAGES:
                problems.append(f"{where}: aliases key {lang!r} is not one of {', '.join(LANGUAGES)}")
                continue
            aliases[lang] = _check_strings(values, f"{where}: aliases.{lang}", problems)
        short = _check_strings(raw["short"], f"{where}: short", problems) if "short" in raw else ()
        if name:
            _check_strings([name], f"{where}: name", problems)
            names[name] = kb_id
        entries.setdefault(kb_id, KbEntry(kb_id=kb_id, name=name,     # a duplicate is reported
                                          type=type_ if type_ in TYPES else "ORG",
                                          aliases=aliases, short=short, qid_source=source or ""))

    alias_to_id: Dict[str, str] = {}
    for entry in entries.values():
        for form in _forms(entry):
            other = alias_to_id.setdefault(form, entry.kb_id)
            if other != entry.kb_id:
                problems.append(f"alias {form!r} belongs to both {other} and {entry.kb_id}: "
                                "make it a short form of both, or drop it")
    short_to_ids: Dict[str, List[str]] = {}
    for entry in entries.values():
        for form in entry.short:
            if form in alias_to_id:
                problems.append(f"{entry.kb_id}: short form {form!r} is a full alias of "
                                f"{alias_to_id[form]}")
            short_to_ids.setdefault(form, []).append(entry.kb_id)
    if problems:
        raise KbError(path, problems)
    return KnowledgeBase(entries=entries, alias_to_id=alias_to_id,
                         short_to_ids={k: tuple(v) for k, v in short_to_ids.items()})


def load_kb(path: Path = KB_DIR / "entities.jsonl") -> KnowledgeBase:
    with open(path, encoding="utf-8") as f:
        return parse_kb(f, path)


@dataclasses.dataclass(frozen=True)
class StopList:
    """Spans that are never entities: page furniture ("Leave a Reply"), words NER mistakes for
    names ("AI" as a place), whatever their label or only with some labels."""
    texts: frozenset
    by_label: Mapping[str, frozenset]     # text -> labels it is dropped with
    patterns: Tuple[Tuple[re.Pattern, Optional[frozenset]], ...]   # (regex, labels or None = all)

    def drops(self, text: str, label: str) -> bool:
        text = " ".join(text.split())
        return (text in self.texts or label in self.by_label.get(text, ())
                or any((labels is None or label in labels) and regex.fullmatch(text)
                       for regex, labels in self.patterns))


def parse_stoplist(raw, path="stoplist.yaml") -> StopList:
    problems: List[str] = []
    if not isinstance(raw, dict):
        raise KbError(path, ["must be a mapping with version, texts, by_label, patterns"])
    for key in sorted(set(raw) - {"version", "texts", "by_label", "patterns"}):
        problems.append(f"unknown key {key!r}")
    if raw.get("version") != 1:
        problems.append(f"version must be 1, not {raw.get('version')!r}")
    texts = _check_strings(raw["texts"], "texts", problems) if "texts" in raw else ()
    by_label: Dict[str, frozenset] = {}
    for i, item in enumerate(raw.get("by_label") or []):
        where = f"by_label[{i}]"
        if not isinstance(item, dict) or set(item) != {"text", "labels"}:
            problems.append(f"{where}: must have exactly 'text' and 'labels'")
            continue
        text = _check_strings([item["text"]], f"{where}.text", problems)
        labels = _check_strings(item["labels"], f"{where}.labels", problems)
        if text:
            by_label[text[0]] = frozenset(labels)
    patterns = []
    for i, item in enumerate(raw.get("patterns") or []):
        where = f"patterns[{i}]"
        labels = None
        if isinstance(item, dict):
            if set(item) != {"pattern", "labels"}:
                problems.append(f"{where}: a mapping needs exactly 'pattern' and 'labels'")
                continue
            labels = frozenset(_check_strings(item["labels"], f"{where}.labels", problems))
            item = item["pattern"]
        try:
            patterns.append((re.compile(item), labels))
        except (re.error, TypeError) as exc:
            problems.append(f"{where}: {item!r} is not a regular expression ({exc})")
    if problems:
        raise KbError(path, problems)
    return StopList(texts=frozenset(texts), by_label=by_label, patterns=tuple(patterns))


def load_stoplist(path: Path = KB_DIR / "stoplist.yaml") -> StopList:
    with open(path, encoding="utf-8") as f:
        return parse_stoplist(yaml.safe_load(f), path)
