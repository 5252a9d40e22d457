"""Topic relevance: multilingual term groups from a YAML topic file, scored language-independently.

Two scorers share the term matching. A topic file with a `model` (china_france has one) is scored
by mention roles: every hit is a *subject*, a *list* item ("France, Germany and Italy",
"美国、法国、英国") or a *credit* (datelines and source credits: "（法新社巴黎7日电）", "Paris (CNN)",
"路透巴黎3月23日 -"); only subjects count, and a small logistic model (weights in the model file,
trained on the labelled dev split by tests/benchmarks/relevance_eval.py) turns a handful of
role features into the score, with a short `reason` naming the decisive evidence. A topic file
without a model keeps the formula below.

Score: for each required group g, w_g = title_weight * title_hits_g
+ body_weight * body_hits_g * min(1, sqrt(reference_chars / len(text))), and its strength is
1 - exp(-w_g / saturation). The score is the weakest required group's strength, times
`apart_factor` when no paragraph (taken with the title) names every required group. So it is in
[0, 1), is 0 unless every required group matched, and passing mentions in a long text, or in
unrelated paragraphs, stay low. Bilateral terms count for every required group; excluded
phrases for none.
"""
from __future__ import annotations

import bisect
import collections
import dataclasses
import functools
import itertools
import json
import math
import re
import unicodedata
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional, Tuple

import ahocorasick_rs
import apache_beam as beam
import yaml

from cfnews.schemas import Article, Reason, Rejected, Stage
from cfnews.transforms.common import StageDoFn, run_stage

TOPICS_DIR = Path(__file__).parent / "topics"
MAX_CHARS = 200_000          # scoring cap: beyond this a text is not more or less on topic
# the reason of a row kept by --all-topics under the threshold (what follows: why it is low)
BELOW_THRESHOLD = "kept by --all-topics, below the threshold: "

_KEYS = {"name", "version", "description", "groups", "bilateral", "exclude", "require",
         "threshold", "title_weight", "body_weight", "saturation", "reference_chars",
         "apart_factor", "model", "others", "actions"}
_DEFAULTS = {"title_weight": 3.0, "body_weight": 1.0, "saturation": 3.0, "reference_chars": 3000,
             "apart_factor": 0.5}
_LANG_KEY = re.compile(r"^[a-z]{2,3}$")

# Folding: hyphen and apostrophe variants to ASCII, accents stripped, case folded.
_FOLD_TABLE = str.maketrans({**{c: "-" for c in "\u2010\u2011\u2012\u2013\u2212\ufe63\uff0d"},
                             **{c: "'" for c in "\u2018\u2019\u02bc\u2032\u00b4\uff07"}})
_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_SEP = re.compile(r"[\s\-]+")
_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0002fa1f]")

EXCLUDED = "_exclude"
OTHER = "_other:"     # group prefix of the `others` terms (other countries and blocs)
_NEWLINE = re.compile("\n")


class TopicError(ValueError):
    """A topic file that cannot be used, with the reason."""


_FOLD_CHARS = re.compile("[" + "".join(re.escape(chr(c)) for c in _FOLD_TABLE) + "]")


_FOLD_MAP = {chr(c): v for c, v in _FOLD_TABLE.items()}


def _fold_char(match) -> str:
    return _FOLD_MAP[match.group()]


def _strip_accent(match) -> str:
    char = match.group()
    plain = _ACCENT_MAP.get(char)
    if plain is None:
        plain = _ACCENT_MAP[char] = _COMBINING.sub("", unicodedata.normalize("NFKD", char))
    return plain


_ACCENT_MAP: Dict[str, str] = {}
# Latin letters with diacritics (precomposed) and lone combining marks: the only characters whose
# folding matters for matching. Full-width forms are left alone (the roles read both kinds).
_ACCENTED = re.compile("[\u00c0-\u00ff\u0100-\u024f\u1e00-\u1eff\u0300-\u036f]")


def fold(text: str) -> str:
    # str.translate and NFKD look every character up (slow on CJK text): replace only the hits
    if _FOLD_CHARS.search(text) is not None:
        text = _FOLD_CHARS.sub(_fold_char, text)
    if not text.isascii() and _ACCENTED.search(text) is not None:
        text = _ACCENTED.sub(_strip_accent, text)
    return text.casefold()


def _key(term: str) -> str:
    """What identifies a term whatever its spacing/hyphenation: 'Sino French' == 'sino-french'."""
    return _SEP.sub("", fold(term))


def _variants(words: Tuple[str, ...]) -> List[str]:
    """The spellings of a multi-word term: its words joined by a space, a hyphen or nothing
    ('sino french', 'sino-french', 'sinofrench'): a line break or a double space between them
    is not matched."""
    return ["".join(w + s for w, s in zip(words, seps + ("",)))
            for seps in itertools.product((" ", "-", ""), repeat=len(words) - 1)]


# the characters that extend a Latin-like word (folded text: no upper case)
_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789"
                        + "".join(map(chr, range(0xdf, 0x250))) + "".join(map(chr, range(0x370, 0x530))))


def _is_word_char(c: str) -> bool:
    return c in _WORD_CHARS


@functools.lru_cache(maxsize=32)
def _automaton(patterns: Tuple[str, ...], kind: str) -> "ahocorasick_rs.AhoCorasick":
    """One compiled automaton per pattern set and process: a DoFn unpickled for every bundle
    reuses it instead of building the DFA again (~15 ms)."""
    return ahocorasick_rs.AhoCorasick(list(patterns), matchkind=getattr(ahocorasick_rs.MatchKind, kind),
                                      implementation=ahocorasick_rs.Implementation.DFA)


_BUILT_MATCHERS: Dict[tuple, "_Matcher"] = {}


class _Matcher:
    """All terms in one Aho-Corasick automaton (leftmost-longest, so a bilateral phrase or an
    exclusion wins over the words inside it): one pass over the text in compiled code, whatever
    the script. Latin-like terms must be whole words, checked on each hit; CJK terms match as
    substrings."""

    def __init__(self, terms: Mapping[str, Tuple[str, Tuple[str, ...]]]):
        # terms: key -> (display form, groups it counts for; () for exclusions; (OTHER + name,)
        # for the other actors a role model counts)
        self.terms = dict(terms)
        self.other_keys = frozenset(k for k, (_, groups) in self.terms.items()
                                    if groups and groups[0].startswith(OTHER))
        patterns: Dict[str, Tuple[str, bool]] = {}
        for key, (display, _) in sorted(self.terms.items()):
            words = tuple(p for p in _SEP.split(fold(display).strip()) if p)
            latin = _CJK.search(display) is None
            for spelling in _variants(words):
                patterns.setdefault(spelling, (key, latin))
        self._patterns = sorted(patterns)
        self._found = [patterns[p] for p in self._patterns]   # pattern index -> (key, whole word?)
        self._automaton = _automaton(tuple(self._patterns), "LeftmostLongest")

    def __getstate__(self):   # the automaton is rebuilt on Beam workers, not pickled
        return {"terms": self.terms}

    def __setstate__(self, state):
        # a DoFn is unpickled for every bundle: reuse this process's matcher for the same terms
        key = tuple(sorted(state["terms"].items()))
        built = _BUILT_MATCHERS.get(key)
        if built is None:
            self.__init__(state["terms"])
            _BUILT_MATCHERS[key] = self
        else:
            self.__dict__.update(built.__dict__)

    def hits(self, text: str) -> List[Tuple[int, str]]:
        """(line number, term key) of every counted hit: lines are trafilatura's paragraphs."""
        folded = fold(text)
        breaks = [m.start() for m in _NEWLINE.finditer(folded)]
        return [(bisect.bisect(breaks, start), key) for start, _, key in self.spans(folded)
                if key not in self.other_keys]

    def spans(self, folded: str) -> List[Tuple[int, int, str]]:
        """(start, end, term key) of every counted hit in already folded text, in text order."""
        found, terms, patterns, word = [], self.terms, self._found, _WORD_CHARS
        size = len(folded)
        for index, start, end in self._automaton.find_matches_as_indexes(folded):
            key, latin = patterns[index]
            if latin and ((start and folded[start - 1] in word)
                          or (end < size and folded[end] in word)):
                continue
            if terms[key][1]:
                found.append((start, end, key))
        return found


class _ActionFinder:
    """Any of many words in a short stretch of text, in one Aho-Corasick pass over the stretch."""

    def __init__(self, terms: Iterable[str]):
        self.terms = tuple(terms)
        patterns: Dict[str, bool] = {}
        for term in self.terms:
            words = tuple(p for p in _SEP.split(fold(term).strip()) if p)
            for spelling in _variants(words):
                patterns.setdefault(spelling, _CJK.search(term) is None)
        self._patterns = sorted(patterns)
        self._latin = [patterns[p] for p in self._patterns]
        self._automaton = _automaton(tuple(self._patterns), "Standard")

    def __getstate__(self):
        return {"terms": self.terms}

    def __setstate__(self, state):
        self.__init__(state["terms"])

    def search(self, folded: str, low: int, high: int) -> bool:
        stretch = folded[max(0, low - 1):high]    # one character before: is a word starting?
        skip = 1 if low > 0 else 0
        latin = self._latin
        for index, start, _ in self._automaton.find_matches_as_indexes(stretch, overlapping=True):
            if start < skip:
                continue
            if not latin[index] or start == 0 or not _is_word_char(stretch[start - 1]):
                return True
        return False


@dataclasses.dataclass(frozen=True)
class Topic:
    name: str
    version: str
    groups: Mapping[str, Tuple[str, ...]]     # group -> its terms, all languages together
    bilateral: Tuple[str, ...]
    exclude: Tuple[str, ...]
    require: Tuple[str, ...]
    threshold: float
    title_weight: float
    body_weight: float
    saturation: float
    reference_chars: int
    apart_factor: float
    description: str = ""
    model: Optional["RoleModel"] = None
    others: Mapping[str, Tuple[str, ...]] = dataclasses.field(default_factory=dict)
    actions: Tuple[str, ...] = ()

    @functools.cached_property
    def action_pattern(self) -> Optional["_ActionFinder"]:
        """Finds any action word in a stretch of text (a Latin one at a word start: 'invest'
        covers 'investment')."""
        return _ActionFinder(self.actions) if self.actions else None

    @functools.cached_property
    def bilateral_keys(self) -> frozenset:
        return frozenset(_key(term) for term in self.bilateral)

    @functools.cached_property
    def side_sets(self) -> Dict[str, frozenset]:
        """Term key -> the required groups it counts for."""
        required = set(self.require)
        return {key: frozenset(groups) & required for key, (_, groups) in self.matcher.terms.items()}

    @functools.cached_property
    def matcher(self) -> _Matcher:
        terms: Dict[str, Tuple[str, Tuple[str, ...]]] = {}
        entries = [(t, (g,)) for g in sorted(self.groups) for t in self.groups[g]]
        entries += [(t, self.require) for t in self.bilateral] + [(t, ()) for t in self.exclude]
        entries += [(t, (OTHER + name,)) for name in sorted(self.others) for t in self.others[name]]
        for term, groups in entries:
            terms.setdefault(_key(term), (term, groups))
        return _Matcher(terms)


@dataclasses.dataclass(frozen=True)
class RelevanceScore:
    score: float
    matched_terms: tuple
    relevant: bool
    reason: str = ""


def _terms(where: str, value) -> Tuple[str, ...]:
    """A {language: [terms]} mapping -> its terms, checked."""
    if not isinstance(value, dict) or not value:
        raise TopicError(f"{where}: expected a non-empty mapping of language -> list of terms")
    out = []
    for lang, terms in value.items():
        if not isinstance(lang, str) or not _LANG_KEY.match(lang):
            raise TopicError(f"{where}: {lang!r} is not a language code (like en, fr, zh)")
        if not isinstance(terms, list) or not terms:
            raise TopicError(f"{where}.{lang}: expected a non-empty list of terms")
        for term in terms:
            if not isinstance(term, str) or not _key(term):
                raise TopicError(f"{where}.{lang}: {term!r} is not a usable term")
            out.append(term.strip())
    return tuple(out)


def _number(where: str, value, low: float, high: float, low_open: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TopicError(f"{where}: expected a number, got {value!r}")
    if value > high or value < low or (low_open and value == low):
        bounds = f"{'(' if low_open else '['}{low}, {high}]"
        raise TopicError(f"{where}: {value} is out of range {bounds}")
    return float(value)


def parse_topic(data, source: str = "<topic>") -> Topic:
    """Validate a loaded topic document; every problem names the file and the key."""
    if not isinstance(data, dict):
        raise TopicError(f"{source}: a topic file must be a YAML mapping")
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise TopicError(f"{source}: unknown keys {unknown}; allowed: {sorted(_KEYS)}")
    for key in ("name", "groups", "threshold"):
        if key not in data:
            raise TopicError(f"{source}: missing required key {key!r}")
    if not isinstance(data["name"], str) or not data["name"].strip():
        raise TopicError(f"{source}: name must be a non-empty string")
    groups_raw = data["groups"]
    if not isinstance(groups_raw, dict) or not groups_raw:
        raise TopicError(f"{source}: groups must be a non-empty mapping of group -> terms")
    groups = {str(g): _terms(f"{source}: groups.{g}", v) for g, v in groups_raw.items()}
    require = data.get("require", sorted(groups))
    if (not isinstance(require, list) or not require
            or any(not isinstance(g, str) or g not in groups for g in require)):
        raise TopicError(f"{source}: require must list groups among {sorted(groups)}, got {require!r}")
    bilateral = _terms(f"{source}: bilateral", data["bilateral"]) if "bilateral" in data else ()
    exclude = _terms(f"{source}: exclude", data["exclude"]) if "exclude" in data else ()
    others = _others(source, data["others"]) if "others" in data else {}
    actions = _terms(f"{source}: actions", data["actions"]) if "actions" in data else ()

    # A term may repeat inside one list, but must not mean two different things.
    owner: Dict[str, str] = {}
    lists = [(f"groups.{g}", t) for g, ts in groups.items() for t in ts]
    lists += [("bilateral", t) for t in bilateral] + [("exclude", t) for t in exclude]
    lists += [(f"others.{name}", t) for name, ts in others.items() for t in ts]
    for where, term in lists:
        if owner.setdefault(_key(term), where) != where:
            raise TopicError(f"{source}: term {term!r} is in both {owner[_key(term)]} and {where}")

    values = {**_DEFAULTS, **data}
    return Topic(
        name=data["name"].strip(), version=str(data.get("version", "")),
        description=str(data.get("description", "")),
        groups=groups, bilateral=bilateral, exclude=exclude, require=tuple(require),
        threshold=_number(f"{source}: threshold", values["threshold"], 0.0, 1.0),
        title_weight=_number(f"{source}: title_weight", values["title_weight"], 0.0, 100.0),
        body_weight=_number(f"{source}: body_weight", values["body_weight"], 0.0, 100.0),
        saturation=_number(f"{source}: saturation", values["saturation"], 0.0, 1000.0, low_open=True),
        reference_chars=int(_number(f"{source}: reference_chars", values["reference_chars"],
                                    1, 10_000_000)),
        apart_factor=_number(f"{source}: apart_factor", values["apart_factor"], 0.0, 1.0),
        model=_model_ref(source, data.get("model")),
        others=others, actions=actions,
    )


def _others(source: str, value) -> Dict[str, Tuple[str, ...]]:
    """`others: {name: [terms, any language]}`: the other actors a role model counts."""
    if not isinstance(value, dict) or not value:
        raise TopicError(f"{source}: others must be a non-empty mapping of name -> list of terms")
    out = {}
    for name, terms in value.items():
        if not isinstance(terms, list) or not terms:
            raise TopicError(f"{source}: others.{name}: expected a non-empty list of terms")
        for term in terms:
            if not isinstance(term, str) or not _key(term):
                raise TopicError(f"{source}: others.{name}: {term!r} is not a usable term")
        out[str(name)] = tuple(t.strip() for t in terms)
    return out


def _model_ref(source: str, value) -> Optional["RoleModel"]:
    """`model: FILE` (relative to the topic file) -> the loaded model, checked."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise TopicError(f"{source}: model must be the name of a model file, got {value!r}")
    path = Path(source).parent / value
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TopicError(f"{source}: cannot read model file {path}: {exc}") from exc
    except ValueError as exc:
        raise TopicError(f"{source}: model file {path} is not valid JSON: {exc}") from exc
    return RoleModel.from_dict(data, f"{source}: model {value}")


def topic_path(path_or_name: str) -> Path:
    """A bare name ('china_france') is a bundled topic; anything else is a file path."""
    if re.fullmatch(r"[A-Za-z0-9_\-]+", path_or_name):
        path = TOPICS_DIR / f"{path_or_name}.yaml"
        if not path.exists():
            known = sorted(p.stem for p in TOPICS_DIR.glob("*.yaml"))
            raise TopicError(f"no bundled topic {path_or_name!r}; bundled: {known}")
        return path
    return Path(path_or_name)


@functools.lru_cache(maxsize=None)
def load_topic(path_or_name: str) -> Topic:
    """Load and validate a topic, once per process (the compiled matcher comes with it)."""
    path = topic_path(path_or_name)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TopicError(f"{path}: cannot read topic file: {exc}") from exc
    except yaml.YAMLError as exc:
        raise TopicError(f"{path}: not valid YAML: {exc}") from exc
    topic = parse_topic(data, str(path))
    topic.matcher, topic.bilateral_keys, topic.side_sets, topic.action_pattern  # compile now, not on the first article
    return topic



# --- mention roles -------------------------------------------------------------------------------
# Separators that make a mention one item of an enumeration, and the words that make a bracket or
# a paragraph opening a credit or dateline rather than part of the story.
_CJK_LIST = "、"
_LATIN_LIST = re.compile(r"\s*(?:,|;|\band\b|\bet\b|\bor\b|\bou\b)")
_LIST_WORD_END = re.compile(r"\b(?:and|et|or|ou)$")
_LATIN_LIST_RUN = re.compile(r",\s*\w+\s*(?:,|\band|\bet)")
_CREDIT_WORDS = re.compile(
    r"电|電|社|报道|報導|报导|記者|记者|摄|攝|图片|圖片|图像|圖像|资料|資料|档案|檔案|afp|reuters|cnn|"
    r"getty|photo|images?|via|wire|presse|dpa|ap\b|epa|photograph|credit|source|agence|reporting")
_DATELINE_AFTER = re.compile(r"[^\n。.!?]{0,14}?(?:\d+日(?:专|專)?(?:电|電)|(?:专|專)(?:电|電)|"
                             r"\(cnn\)|\(afp\)|\(reuters\)|\s[|—–-]\s|综合外电|綜合外電)")
# Where a sentence ends: after a CJK or Latin end mark, a line break, a full stop before a space.
# The pattern opens with a character class so the regex engine skips other characters in C.
_SENTENCE_END = re.compile(r"[。！？!?\n.](?:(?<=\.)(?= )|(?<!\.))")
_SOURCE_AFTER = re.compile(
    r"\s*(?:《|「|“|\"|(?:各大|各|主流|全国性|全國性)?(?:媒体|媒體|报纸|報紙|报章|報章|大报|大報|报|報|"
    r"周刊|週刊|杂志|雜誌|电台|電台|电视|電視|通讯社|通訊社|新闻网|新聞網|网站|網站|学者|學者|专家|專家|"
    r"汉学家|漢學家|研究员|研究員|智库|智庫|分析人士|观察家|觀察家|记者|記者)|"
    r"(?:daily|newspaper|weekly|magazine|media|press|radio|broadcaster|news agency|scholar|academic|"
    r"researcher|analyst|think[- ]tank|sinologist|journalist|reporter)\b)")
# the characters a source label can start with (the regex runs only after one of them)
_SOURCE_FIRST = frozenset("《「“\"各主全媒报報大周週杂雜电電通新网網学學专專汉漢研智分观觀记記dnwmprbsatj")
SUBJECT, LISTED, CREDIT = "subject", "list", "credit"


def mention_role(folded: str, start: int, end: int) -> str:
    """The role of the mention folded[start:end]: a credit/dateline, a list item, or a subject.
    `folded` is fold()ed text (lower case: the patterns are matched case-sensitively)."""
    # (patterns are matched at positions of the text, not on slices: no copies per mention; the
    # cheap character tests come first, the regexes run only where one could match)
    # inside a short bracket that names a source: (AFP/Getty Images), （法新社巴黎7日电）
    window = start - 40 if start > 40 else 0
    opening = max(folded.rfind("(", window, start), folded.rfind("（", window, start))
    if opening >= 0:
        closing = min([i for i in (folded.find(")", end), folded.find("）", end)) if i >= 0] or [-1])
        if 0 <= closing - opening <= 60 and _CREDIT_WORDS.search(folded, opening, closing):
            return CREDIT
    # a dateline: near a paragraph's start and followed by "7日电", "(CNN)", " | ", " - "
    if start <= 40 or folded.rfind("\n", start - 41, start) >= 0:
        if _DATELINE_AFTER.match(folded, end, end + 24):
            return CREDIT
    # the country as the label of a source: French newspaper Le Monde, 法国《世界报》, 法國學者
    after = folded[end:end + 1]
    following = folded[end + 1:end + 2] if after == " " else after
    if following in _SOURCE_FIRST and _SOURCE_AFTER.match(folded, end, end + 14):
        return CREDIT
    before = folded[start - 3 if start > 3 else 0:start]
    if "●" in before or "※" in before or "•" in before:
        return LISTED          # a section of a multi-country digest: "● 法國 ..."
    last = before[-1:]
    if last == _CJK_LIST or after == _CJK_LIST or (last in "和与及" and last and
                                                   _CJK_LIST in folded[max(0, start - 12):start]):
        return LISTED
    if folded[start] < "\u2e80":    # a Latin-script mention (CJK starts at U+2E80)
        behind = folded[max(0, start - 30):start]
        tail = behind.rstrip()
        if tail.endswith((",", ";")) or _LIST_WORD_END.search(tail, len(tail) - 4 if len(tail) > 4 else 0):
            if _LATIN_LIST.match(folded, end, end + 30):
                return LISTED      # ", France and" / "Germany, France, Italy"
            if "," in behind and _LATIN_LIST_RUN.search(behind):
                return LISTED      # "... Italy, Spain and France"
    return SUBJECT


FEATURES = ("title_both", "title_any", "lead_both", "pair_sentences", "side_min", "side_share",
            "bilateral", "noise_share", "long_text", "pair_share", "para_pair_share",
            "first_pair", "weak_spread", "side_balance", "others", "others_share", "review",
            "pair_action", "review_one_side")
# press reviews and media round-ups: the countries are the reviewers, not the story
_REVIEW = re.compile(r"报纸摘要|報紙摘要|报章摘要|報章摘要|revue de presse|press review|"
                     r"(?:媒体|媒體|外媒|法媒|德媒|英媒|美媒)\s*[:：]|风土人情|風土人情|评论摘要|評論摘要|"
                     r"-\s*法国世界报|-\s*法國世界報")
# sentence ends (counted between hits, so no match object per sentence)
_SENTENCE_MARK = re.compile(r"[。！？!?\n]|\. ")
# what may stand between two items of an enumeration: "France et la Turquie", "法国和德国", "法、德"
_LIST_GAP = re.compile(r"\s*(?:[,，、;；/&]|和|与|與|及|以及|跟|and|et|or|ou|nor|ni|y)?\s*"
                       r"(?:the|la|le|les|l')?\s*")


def role_features(topic: "Topic", title: str, text: str) -> Tuple[Dict[str, float], Dict[str, object]]:
    """The model's features, and the facts behind them (for the reason). One pass over the hits."""
    matcher = topic.matcher
    side_sets = topic.side_sets
    bilateral = topic.bilateral_keys
    others = matcher.other_keys
    sides = topic.require
    need = frozenset(sides)

    folded_title = fold(title or "")
    title_sides, keys, present = set(), set(), set()
    for start, end, key in matcher.spans(folded_title):
        if key in others:
            continue
        keys.add(key)
        present |= side_sets[key]
        if mention_role(folded_title, start, end) == SUBJECT:
            title_sides |= side_sets[key]
    folded = fold(text or "")
    hits = matcher.spans(folded)
    for _, _, key in hits:
        present |= side_sets[key]
    if not need <= present:
        # a side is never named: the score is 0 whatever the roles (most articles in a feed)
        keys.update(key for _, _, key in hits if key not in others)
        return {}, {"title_sides": title_sides, "pairs": 0, "roles": dict.fromkeys((LISTED, CREDIT), 0),
                    "counts": {side: int(side in present) for side in sides}, "n_bilateral": 0,
                    "keys": keys}
    counts = dict.fromkeys(sides, 0)
    roles = {SUBJECT: 0, LISTED: 0, CREDIT: 0}
    n_bilateral = other_mentions = 0
    other_names = set()
    sentence_sides: Dict[int, frozenset] = {}
    sentence_first: Dict[int, int] = {}        # sentence -> where its first subject hit starts
    paragraph_sides: Dict[int, frozenset] = {}
    # sentences and paragraphs get ids in text order: a new id when an end mark or a line break
    # separates a subject hit from the previous one (one short scan per hit, no list of ends)
    next_mark = _SENTENCE_MARK.search
    second = next_mark(folded)
    second = second and next_mark(folded, second.end())
    lead_end = second.end() if second else len(folded)     # the first two sentences
    lead = set(title_sides)
    sentence = paragraph = seen = 0
    other_end = -100            # end of the last other-country hit
    for n, (start, end, key) in enumerate(hits):
        if key in others:
            other_mentions += 1
            other_names.add(matcher.terms[key][1][0])
            other_end = end
            continue
        keys.add(key)
        role = mention_role(folded, start, end)
        if role == SUBJECT:
            # next to another country's name: one item of an enumeration ("la Chine et la Turquie")
            following = hits[n + 1] if n + 1 < len(hits) else None
            if ((start - other_end <= 12 and _LIST_GAP.fullmatch(folded, other_end, start))
                    or (following is not None and following[2] in others
                        and following[0] - end <= 12
                        and _LIST_GAP.fullmatch(folded, end, following[0]))):
                role = LISTED
        roles[role] += 1
        if role != SUBJECT:
            continue
        found = side_sets[key]
        n_bilateral += key in bilateral
        if seen:
            sentence += next_mark(folded, seen, start) is not None
            paragraph += folded.find("\n", seen, start) >= 0
        seen = end
        if start < lead_end:
            lead |= found
        sentence_sides[sentence] = sentence_sides.get(sentence, frozenset()) | found
        sentence_first.setdefault(sentence, start)
        paragraph_sides[paragraph] = paragraph_sides.get(paragraph, frozenset()) | found
        for side in found:
            counts[side] += 1
    count = folded.count
    n_sentences = (count("。") + count("！") + count("？") + count("!") + count("?") + count("\n")
                   + count(". ") + (not folded or folded[-1] not in "。！？!?\n"))
    paired = [s for s, found in sentence_sides.items() if need <= found]
    actions = topic.action_pattern
    acting = 0
    if actions is not None:
        for s in paired:
            first = sentence_first[s]
            low = max(folded.rfind(c, 0, first) for c in "。！？!?\n") + 1
            low = max(low, folded.rfind(". ", 0, first) + 1)
            end = _SENTENCE_END.search(folded, first)
            acting += actions.search(folded, low, end.end() if end else len(folded))
    pairs = len(paired)
    side_sentences = [sum(1 for found in sentence_sides.values() if side in found) for side in sides]
    side_paragraphs = [sum(1 for found in paragraph_sides.values() if side in found) for side in sides]
    weakest, strongest = min(counts.values()), max(counts.values())
    review = _REVIEW.search(folded_title) is not None or _REVIEW.search(folded, 0, 300) is not None
    subject_mentions = sum(counts.values())
    total = roles[SUBJECT] + roles[LISTED] + roles[CREDIT]
    features = {
        "title_both": float(need <= title_sides),
        "title_any": float(bool(title_sides & need)),
        "lead_both": float(need <= lead),
        "pair_sentences": math.log1p(pairs),
        "side_min": math.log1p(weakest),
        "side_share": min(side_sentences) / n_sentences,
        "bilateral": math.log1p(n_bilateral),
        "noise_share": (roles[LISTED] + roles[CREDIT]) / total if total else 0.0,
        "long_text": math.log1p(len(folded) / 3000),
        # of the sentences / paragraphs naming a side, the share naming both: low in digests and
        # in stories where each side has its own separate thread
        "pair_share": pairs / len(sentence_sides) if sentence_sides else 0.0,
        "para_pair_share": (sum(1 for found in paragraph_sides.values() if need <= found)
                            / len(paragraph_sides)) if paragraph_sides else 0.0,
        # how far into the text the sides first meet (1: never in one sentence)
        "first_pair": (len(_SENTENCE_MARK.findall(folded, 0, sentence_first[min(paired)]))
                       / n_sentences) if paired else 1.0,
        # the weaker side's reach: the share of side-naming paragraphs that name it (low when it
        # has one paragraph of its own, as France in a China–EU story)
        "weak_spread": min(side_paragraphs) / len(paragraph_sides) if paragraph_sides else 0.0,
        "side_balance": math.log1p(weakest) - math.log1p(strongest),
        # other countries and blocs: a multi-country or China–EU story names many
        "others": math.log1p(len(other_names)),
        "others_share": (other_mentions / (other_mentions + subject_mentions)
                         if other_mentions + subject_mentions else 0.0),
        # sentences pairing the sides around an action (visit, talks, trade, summons, 会谈, 投资)
        "pair_action": math.log1p(acting),
        "review": float(review),
        # a press review whose title (the reviewed item) does not name both sides: the countries
        # are the reviewers and the reviewed, not a China–France story
        "review_one_side": float(review and not need <= title_sides),
    }
    facts = {"title_sides": title_sides, "pairs": pairs, "roles": roles, "counts": counts,
             "n_bilateral": n_bilateral, "acting": acting, "keys": keys, "others": len(other_names),
             "review": bool(features["review"]), "review_one_side": bool(features["review_one_side"])}
    return features, facts


# Script groups, for the model's per-script operating points: the share of list-like and passing
# mentions differs between Latin-script, Simplified and Traditional Chinese news, so one cut
# cannot keep 95 % of each one's positives at the same precision.
SCRIPT_GROUPS = ("latin", "zh-Hans", "zh-Hant")
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")
_LATIN_RUN = re.compile(r"[A-Za-z\u00c0-\u024f]+")
# characters whose Traditional and Simplified forms differ, among the commonest in news text
_TRADITIONAL = re.compile("[國們與這說時會對為發經還來後個開關當體點問應戰過黨區實現義歐華總於權]")
_SIMPLIFIED = re.compile("[国们与这说时会对为发经还来后个开关当体点问应战过党区实现义欧华总于权]")
SCRIPT_SAMPLE = 600          # characters of title + text read to tell the script


def script_group(title: str, text: str) -> str:
    """'latin', 'zh-Hans' or 'zh-Hant' from the first characters of the title and text (counted
    in runs by compiled character classes: no Python step per character)."""
    sample = (title or "") + "\n" + (text or "")[:SCRIPT_SAMPLE]
    if sum(map(len, _HAN_RUN.findall(sample))) <= sum(map(len, _LATIN_RUN.findall(sample))) // 2:
        return "latin"
    return ("zh-Hant" if len(_TRADITIONAL.findall(sample)) > len(_SIMPLIFIED.findall(sample))
            else "zh-Hans")


@dataclasses.dataclass(frozen=True)
class RoleModel:
    """Logistic weights over FEATURES; trained and written by tests/benchmarks/relevance_eval.py.
    `offsets` (optional) shift the log-odds per script group (SCRIPT_GROUPS): each group's own
    operating point."""
    weights: Mapping[str, float]
    bias: float
    offsets: Mapping[str, float] = dataclasses.field(default_factory=dict)

    @classmethod
    def from_dict(cls, data, where: str) -> "RoleModel":
        if not isinstance(data, dict) or not isinstance(data.get("weights"), dict):
            raise TopicError(f"{where}: expected {{'weights': {{feature: number}}, 'bias': number}}")
        unknown = sorted(set(data["weights"]) - set(FEATURES))
        if unknown:
            raise TopicError(f"{where}: unknown features {unknown}; known: {list(FEATURES)}")
        offsets = data.get("offsets", {})
        if not isinstance(offsets, dict) or set(offsets) - set(SCRIPT_GROUPS):
            raise TopicError(f"{where}: offsets must map script groups {list(SCRIPT_GROUPS)} to numbers")
        numbers = [data.get("bias"), *data["weights"].values(), *offsets.values()]
        if any(isinstance(x, bool) or not isinstance(x, (int, float)) for x in numbers):
            raise TopicError(f"{where}: weights, bias and offsets must be numbers")
        return cls({k: float(v) for k, v in data["weights"].items()}, float(data["bias"]),
                   {k: float(v) for k, v in offsets.items()})

    def probability(self, features: Mapping[str, float], group: Optional[str] = None) -> float:
        z = (self.bias + self.offsets.get(group, 0.0)
             + sum(w * features.get(name, 0.0) for name, w in self.weights.items()))
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def _reason(topic: "Topic", facts: Mapping[str, object], relevant: bool) -> str:
    """A short human explanation of what decided the score."""
    need = set(topic.require)
    parts = []
    if need <= facts["title_sides"]:
        parts.append("title names both sides")
    if facts["pairs"]:
        acting = facts.get("acting", 0)
        parts.append(f"{facts['pairs']} sentence(s) pair them"
                     + (f", {acting} around an action" if acting else ""))
    if facts["n_bilateral"]:
        parts.append("bilateral term")
    missing = [side for side in topic.require if not facts["counts"][side]]
    if missing:
        parts.append(f"no {'/'.join(missing)} as a subject")
    roles = facts["roles"]
    noise = [f"{roles[r]} {name}" for r, name in ((LISTED, "in lists"), (CREDIT, "in credits")) if roles[r]]
    if noise:
        parts.append("mentions " + ", ".join(noise))
    if facts.get("others", 0) >= 3:
        parts.append(f"{facts['others']} other countries named")
    if facts.get("review_one_side"):
        parts.append("press review of a one-side item (title names one side)")
    elif facts.get("review"):
        parts.append("press review")
    return ("kept: " if relevant else "dropped: ") + ("; ".join(parts) or "sides named apart")


def _score_with_model(topic: "Topic", title: str, text: str) -> RelevanceScore:
    features, facts = role_features(topic, title, text)
    terms = topic.matcher.terms
    matched = tuple(terms[k][0] for k in sorted(facts["keys"]))
    has_both = all(facts["counts"][side] or side in facts["title_sides"] for side in topic.require)
    model = topic.model
    score = 0.0
    if has_both:
        group = script_group(title, text) if model.offsets else None
        score = round(model.probability(features, group), 4)
    relevant = score > 0 and score >= topic.threshold
    return RelevanceScore(score, matched, relevant, _reason(topic, facts, relevant))


def score_relevance(topic: Topic, title: str, text: str) -> RelevanceScore:
    text = (text or "")[:MAX_CHARS]
    if topic.model is not None:
        return _score_with_model(topic, title or "", text)
    terms = topic.matcher.terms
    body_scale = topic.body_weight * min(1.0, math.sqrt(topic.reference_chars / max(len(text), 1)))
    weights: Dict[str, float] = collections.Counter()
    title_groups, paragraphs, keys = set(), collections.defaultdict(set), set()
    for _, key in topic.matcher.hits(title or ""):
        keys.add(key)
        title_groups.update(terms[key][1])
        weights.update({g: topic.title_weight for g in terms[key][1]})
    for line, key in topic.matcher.hits(text):
        keys.add(key)
        paragraphs[line].update(terms[key][1])
        weights.update({g: body_scale for g in terms[key][1]})
    required = set(topic.require)
    together = required <= title_groups or any(required <= title_groups | groups
                                               for groups in paragraphs.values())
    strength = min(1.0 - math.exp(-weights[g] / topic.saturation) for g in topic.require)
    score = round(strength * (1.0 if together else topic.apart_factor), 4)
    matched = tuple(terms[k][0] for k in sorted(keys))
    relevant = score > 0 and score >= topic.threshold
    return RelevanceScore(score, matched, relevant, f"{'kept' if relevant else 'dropped'}: term score")


class _ScoreRelevanceFn(StageDoFn):
    stage = Stage.RELEVANCE

    def __init__(self, topic: Topic, all_topics: bool):
        self.topic = topic  # shipped with the DoFn: workers need not see the topic file
        self.all_topics = all_topics

    def handle(self, article: Article) -> Iterable:
        result = score_relevance(self.topic, article.title, article.text)
        if not result.relevant and not self.all_topics:
            # the reason goes with the row: "why was this dropped?" is the first question
            # an analyst asks of a suspected miss
            yield Rejected.for_article(article, Stage.RELEVANCE, Reason.NOT_RELEVANT,
                                       error=result.reason, relevance=result.score)
            return
        yield dataclasses.replace(article, relevance=result.score,
                                  relevance_terms=result.matched_terms,
                                  relevance_reason=kept_reason(result, self.all_topics))


def kept_reason(result: RelevanceScore, all_topics: bool) -> Optional[str]:
    """The reason an article row carries: with --all-topics a row under the threshold is
    kept anyway, and says so rather than "dropped: …"."""
    if not result.reason:
        return None
    if result.relevant or not all_topics:
        return result.reason
    return BELOW_THRESHOLD + result.reason.split(": ", 1)[-1]


@dataclasses.dataclass
class ScoreRelevance(beam.PTransform):
    """Article -> Article with `relevance`, `relevance_terms` and `relevance_reason`; articles
    under the topic's threshold are rejected as not_relevant unless `all_topics` (then only scored)."""
    topic: str = "china_france"
    all_topics: bool = False

    def expand(self, articles):
        topic = load_topic(self.topic)  # a bad topic file fails at construction, not on workers
        return run_stage(articles, "ScoreRelevance", _ScoreRelevanceFn(topic, self.all_topics))
