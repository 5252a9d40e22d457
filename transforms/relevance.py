"""Topic relevance: multilingual term groups from a YAML topic file, scored language-independently.

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
import math
import re
import unicodedata
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Tuple

import apache_beam as beam
import yaml

from schemas import Article, Reason, Rejected, Stage
from transforms.common import StageDoFn, run_stage

TOPICS_DIR = Path(__file__).parent / "topics"
MAX_CHARS = 200_000          # scoring cap: beyond this a text is not more or less on topic

_KEYS = {"name", "version", "description", "groups", "bilateral", "exclude", "require",
         "threshold", "title_weight", "body_weight", "saturation", "reference_chars",
         "apart_factor"}
_DEFAULTS = {"title_weight": 3.0, "body_weight": 1.0, "saturation": 3.0, "reference_chars": 3000,
             "apart_factor": 0.5}
_LANG_KEY = re.compile(r"^[a-z]{2,3}$")

# Folding: hyphen and apostrophe variants to ASCII, accents stripped, case folded.
_FOLD_TABLE = str.maketrans({**{c: "-" for c in "\u2010\u2011\u2012\u2013\u2212\ufe63\uff0d"},
                             **{c: "'" for c in "\u2018\u2019\u02bc\u2032\u00b4\uff07"}})
_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_SEP = re.compile(r"[\s\-]+")
_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0002fa1f]")
_WORD = r"0-9a-z\u00df-\u024f\u0370-\u03ff\u0400-\u052f"  # letters that extend a Latin-like word

EXCLUDED = "_exclude"


class TopicError(ValueError):
    """A topic file that cannot be used, with the reason."""


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.translate(_FOLD_TABLE))
    return _COMBINING.sub("", text).casefold()


def _key(term: str) -> str:
    """What identifies a term whatever its spacing/hyphenation: 'Sino French' == 'sino-french'."""
    return _SEP.sub("", fold(term))


class _Matcher:
    """One regex per script: word-bounded for Latin-like terms, substring for CJK. Alternatives
    are longest-first so a bilateral phrase or an exclusion wins over the words inside it."""

    def __init__(self, terms: Mapping[str, Tuple[str, Tuple[str, ...]]]):
        # terms: key -> (display form, groups it counts for; () for exclusions)
        self.terms = dict(terms)
        latin, cjk = [], []
        for key, (display, _) in self.terms.items():
            parts = [re.escape(p) for p in _SEP.split(fold(display).strip()) if p]
            (cjk if _CJK.search(display) else latin).append(r"[\s\-]*".join(parts))
        self.patterns = []
        if latin:
            alts = "|".join(sorted(latin, key=lambda p: (-len(p), p)))
            self.patterns.append(re.compile(rf"(?<![{_WORD}])(?:{alts})(?![{_WORD}])"))
        if cjk:
            self.patterns.append(re.compile("|".join(sorted(cjk, key=lambda p: (-len(p), p)))))

    def hits(self, text: str) -> List[Tuple[int, str]]:
        """(line number, term key) of every counted hit: lines are trafilatura's paragraphs."""
        folded = fold(text)
        breaks = [m.start() for m in re.finditer("\n", folded)]
        found = []
        for pattern in self.patterns:
            for match in pattern.finditer(folded):
                key = _SEP.sub("", match.group())
                if self.terms[key][1]:
                    found.append((bisect.bisect(breaks, match.start()), key))
        return found


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

    @functools.cached_property
    def matcher(self) -> _Matcher:
        terms: Dict[str, Tuple[str, Tuple[str, ...]]] = {}
        entries = [(t, (g,)) for g in sorted(self.groups) for t in self.groups[g]]
        entries += [(t, self.require) for t in self.bilateral] + [(t, ()) for t in self.exclude]
        for term, groups in entries:
            terms.setdefault(_key(term), (term, groups))
        return _Matcher(terms)


@dataclasses.dataclass(frozen=True)
class RelevanceScore:
    score: float
    matched_terms: tuple
    relevant: bool


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

    # A term may repeat inside one list, but must not mean two different things.
    owner: Dict[str, str] = {}
    lists = [(f"groups.{g}", t) for g, ts in groups.items() for t in ts]
    lists += [("bilateral", t) for t in bilateral] + [("exclude", t) for t in exclude]
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
    )


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
    topic.matcher  # compile now, not on the first article
    return topic


def score_relevance(topic: Topic, title: str, text: str) -> RelevanceScore:
    text = (text or "")[:MAX_CHARS]
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
    return RelevanceScore(score, matched, score > 0 and score >= topic.threshold)


class _ScoreRelevanceFn(StageDoFn):
    stage = Stage.RELEVANCE

    def __init__(self, topic: Topic, all_topics: bool):
        self.topic = topic  # shipped with the DoFn: workers need not see the topic file
        self.all_topics = all_topics

    def handle(self, article: Article) -> Iterable:
        result = score_relevance(self.topic, article.title, article.text)
        if not result.relevant and not self.all_topics:
            yield Rejected.for_article(article, Stage.RELEVANCE, Reason.NOT_RELEVANT,
                                       relevance=result.score)
            return
        yield dataclasses.replace(article, relevance=result.score,
                                  relevance_terms=result.matched_terms)


@dataclasses.dataclass
class ScoreRelevance(beam.PTransform):
    """Article -> Article with `relevance` and `relevance_terms`; articles under the topic's
    threshold are rejected as not_relevant unless `all_topics` (then only scored)."""
    topic: str = "china_france"
    all_topics: bool = False

    def expand(self, articles):
        topic = load_topic(self.topic)  # a bad topic file fails at construction, not on workers
        return run_stage(articles, "ScoreRelevance", _ScoreRelevanceFn(topic, self.all_topics))
