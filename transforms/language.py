"""Language identification: a script check for Chinese, then seeded langdetect."""
from __future__ import annotations

import dataclasses
import re
import threading
from typing import Iterable

import apache_beam as beam

from cfnews.schemas import Article, Stage
from cfnews.transforms.common import StageDoFn, run_stage

UND = "und"
SAMPLE_CHARS = 2000          # langdetect is slow and gains nothing past a couple of paragraphs
MIN_LETTERS = 20             # below this langdetect guesses (a 4-word English title comes out 'nl')
CJK_LETTER_WEIGHT = 4        # a Han/kana/hangul character says about as much as a short word
MIN_HAN = 2                  # Han characters carry enough signal for a short title
FULL_CONFIDENCE_LETTERS = 100  # confidence is scaled down for samples shorter than this

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")
_KANA_HANGUL = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
_CODE_MAP = {"zh-cn": "zh", "zh-tw": "zh"}

_factory = None
_factory_lock = threading.Lock()


@dataclasses.dataclass(frozen=True)
class LanguageGuess:
    code: str                # ISO 639-1, or 'und'
    confidence: float        # 0..1


def load_detector():
    """langdetect's own lazy init is racy (two threads loading profiles raise a duplicate
    error), so load our private factory once under a lock."""
    global _factory
    if _factory is None:
        with _factory_lock:
            if _factory is None:
                from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
                factory = DetectorFactory()
                factory.load_profile(PROFILES_DIRECTORY)
                factory.set_seed(0)  # langdetect samples n-grams at random: seed it for determinism
                _factory = factory
    return _factory


def detect_language(text: str, title: str = "") -> LanguageGuess:
    sample = f"{title}\n{text[:SAMPLE_CHARS]}" if title else text[:SAMPLE_CHARS]
    letters = sum(1 for ch in sample if ch.isalpha())
    han, kana_hangul = len(_HAN.findall(sample)), len(_KANA_HANGUL.findall(sample))
    weight = letters + (CJK_LETTER_WEIGHT - 1) * (han + kana_hangul)
    # langdetect reads short Han-only titles as ko/ja, and Chinese quoting Latin names as
    # fr/en; Japanese and Korean always carry kana/hangul
    if han >= MIN_HAN and han * CJK_LETTER_WEIGHT * 2 >= weight and kana_hangul * 20 <= han:
        # script evidence is strong, yet two characters could still be Japanese kanji
        share = han * CJK_LETTER_WEIGHT / weight
        return LanguageGuess("zh", round(share * min(1.0, 0.5 + han / 20), 4))
    if weight < MIN_LETTERS:
        return LanguageGuess(UND, 0.0)
    from langdetect.lang_detect_exception import LangDetectException
    detector = load_detector().create()
    detector.append(sample)
    try:
        best = detector.get_probabilities()[0]
    except (LangDetectException, IndexError):
        return LanguageGuess(UND, 0.0)
    confidence = best.prob * min(1.0, weight / FULL_CONFIDENCE_LETTERS)
    return LanguageGuess(_CODE_MAP.get(best.lang, best.lang), round(confidence, 4))


class _DetectLanguageFn(StageDoFn):
    stage = Stage.LANGUAGE

    def setup(self):
        load_detector()

    def handle(self, article: Article) -> Iterable[Article]:
        guess = detect_language(article.text, article.title)
        yield dataclasses.replace(article, language=guess.code,
                                  language_confidence=guess.confidence)


@dataclasses.dataclass
class DetectLanguage(beam.PTransform):
    """Article -> Article with `language` and `language_confidence`. Rejects nothing
    (the rejected output only carries internal errors)."""

    def expand(self, articles):
        return run_stage(articles, "DetectLanguage", _DetectLanguageFn())
