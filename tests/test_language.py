"""Language detection: the Han script check, seeded langdetect, and the Beam transform."""
import datetime as dt
import threading

import apache_beam as beam
import pytest
from apache_beam.testing.util import assert_that, equal_to

from cfnews.schemas import Article
from cfnews.transforms import language
from cfnews.transforms.language import DetectLanguage, LanguageGuess, detect_language

EN = ("French President Emmanuel Macron met Chinese leader Xi Jinping in Beijing on Thursday "
      "as part of a three-day state visit focused on trade and diplomacy.")
FR = ("Le président Emmanuel Macron est arrivé à Pékin mercredi pour une visite d'État de trois "
      "jours, consacrée au commerce et à la guerre en Ukraine.")


@pytest.mark.parametrize("text, title, code", [
    (EN, "", "en"),
    (FR, "", "fr"),
    ("", "Macron en Chine : le président français arrive à Pékin pour une visite d'État", "fr"),
    ("中法关系", "", "zh"),                       # langdetect alone: fine, but ...
    ("习近平会见马克龙", "", "zh"),
    ("習近平與馬克龍會談", "", "zh"),               # ... Traditional: langdetect alone says 'ko'
    ("中法建交60周年：习近平同马克龙举行会谈", "", "zh"),  # langdetect alone: 'ko'
    ("", "习近平在北京会见了Emmanuel Macron和Bruno Le Maire", "zh"),  # Latin names, langdetect: 'fr'
    ("中国とフランスの首脳会談が行われました", "", "ja"),  # kana: not Chinese
    ("한중 정상회담이 열렸다", "", "ko"),
])
def test_detects(text, title, code):
    guess = detect_language(text, title)
    assert guess.code == code
    assert 0.0 < guess.confidence <= 1.0


def test_chinese_titles_are_zh_with_high_confidence():
    assert detect_language("習近平與馬克龍會談").confidence >= 0.9
    assert detect_language("中法两国元首在北京举行会谈，双方签署了多项合作协议。").confidence == 1.0


def test_english_quoting_chinese_stays_english():
    text = "The slogan 中国梦 (Chinese Dream) was coined by Xi Jinping in 2012 as a national aspiration."
    assert detect_language(text).code == "en"


@pytest.mark.parametrize("text", ["", "   \n", "12345 678 -- 2025", "Paris", "中", "Macron visits China"])
def test_too_little_to_tell_is_und(text):
    assert detect_language(text) == LanguageGuess("und", 0.0)


def test_short_samples_get_lower_confidence():
    short = "Xi Jinping and Emmanuel Macron met in Beijing"
    assert detect_language(short).code == "en"
    assert detect_language(short).confidence < detect_language(EN).confidence


def test_deterministic():
    ambiguous = "Macron en Chine pour trois jours, commerce et diplomatie au menu"
    assert len({detect_language(ambiguous) for _ in range(5)}) == 1
    assert len({detect_language(EN * 40) for _ in range(3)}) == 1


def test_profiles_load_once_across_threads(monkeypatch):
    monkeypatch.setattr(language, "_factory", None)
    results, errors = [], []

    def work():
        try:
            results.append(detect_language(FR))
        except Exception as exc:  # pragma: no cover - the failure we guard against
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(set(results)) == 1 and results[0].code == "fr"


def test_seeds_are_english(seeds):
    for number, text in seeds.items():
        assert detect_language(text).code == "en", number


T0 = dt.datetime(2025, 12, 4, tzinfo=dt.timezone.utc)


def _article(aid, text, title=""):
    return Article(article_id=aid, url=f"https://e.com/{aid}", canonical_url=f"https://e.com/{aid}",
                   outlet="o", feed_url="", entry_id=aid, title=title, text=text, discovered_at=T0)


def test_transform_sets_language():
    arts = [_article("en", EN), _article("fr", FR), _article("zh", "", title="習近平與馬克龍會談"),
            _article("und", "")]
    with beam.Pipeline(runner="FnApiRunner") as p:
        main, rejected = p | beam.Create(arts) | DetectLanguage()
        assert_that(main | beam.Map(lambda a: (a.article_id, a.language, a.language_confidence > 0)),
                    equal_to([("en", "en", True), ("fr", "fr", True), ("zh", "zh", True),
                              ("und", "und", False)]))
        assert_that(rejected, equal_to([]), label="nothing rejected")
