"""Entities: NER-trimmed spaCy models, offsets into the original text, batching, the transform."""
import datetime as dt

import apache_beam as beam
import pytest
import spacy
from apache_beam.testing.util import assert_that, equal_to

from schemas import Article, Entity, Rejected
from transforms import entities
from transforms.entities import (MODELS, EnrichEntities, extract_entities, extract_entities_batch,
                                 load_ner, normalise)

FR = ("Le président Emmanuel Macron a reçu Xi Jinping à l\u2019Élysée, à Paris, avec les "
      "dirigeants d\u2019Airbus et de la SNCF.")
EN_MONEY = "Bilateral trade surged to $68.75\u202fbillion, while\u00a0investment topped $27\u202fbillion."


@pytest.fixture(scope="module")
def en():
    return load_ner("en")


@pytest.fixture(scope="module")
def fr():
    return load_ner("fr")


@pytest.fixture(scope="module")
def full_models():
    return {lang: spacy.load(name) for lang, name in MODELS.items()}


def spans(ents):
    return [(e.text, e.label) for e in ents]


def test_normalise_keeps_length_and_fixes_typography():
    raw = "a\u00a0b\u202fc\u2009d non\u2011stop l\u2019État \u2018x\u2019"
    out = normalise(raw)
    assert len(out) == len(raw) and out == "a b c d non-stop l'État 'x'"


def test_models_keep_only_what_ner_needs(en, fr):
    assert en.pipe_names == ["tok2vec", "parser", "ner"] and fr.pipe_names == ["tok2vec", "parser", "ner"]
    assert load_ner("en") is en                         # cached per process
    assert load_ner("zh") is None and load_ner("und") is None


def test_money_with_narrow_no_break_space_is_one_entity(en):
    found = extract_entities(en, EN_MONEY)
    money = [e for e in found if e.label == "MONEY"]
    assert spans(money) == [("$68.75\u202fbillion", "MONEY"), ("$27\u202fbillion", "MONEY")]
    assert all(EN_MONEY[e.start:e.end] == e.text for e in found)   # offsets into the original


def test_french_persons_and_orgs(fr):
    found = spans(extract_entities(fr, FR))
    assert ("Emmanuel Macron", "PERSON") in found           # PER mapped to PERSON
    assert ("Airbus", "ORG") in found and ("SNCF", "ORG") in found
    assert ("Paris", "LOC") in found
    assert not any(label == "PER" for _, label in found)


def test_batch_agrees_with_one_by_one(en):
    texts = [EN_MONEY, "", "Emmanuel Macron met Xi Jinping in Beijing.", EN_MONEY * 3]
    assert extract_entities_batch(en, texts, batch_size=2) == [extract_entities(en, t) for t in texts]


def test_long_texts_are_capped_at_whitespace(en, monkeypatch):
    monkeypatch.setattr(entities, "MAX_CHARS", 60)
    text = "Emmanuel Macron met Xi Jinping in Beijing on Thursday. " + "Later Angela Merkel spoke."
    found = extract_entities(en, text)
    assert found and all(e.end <= 60 for e in found)
    assert "Angela Merkel" not in [e.text for e in found]


def test_seed_entities(en, seeds):
    persons = spans(e for e in extract_entities(en, seeds["002"]) if e.label == "PERSON")
    assert ("Emmanuel Macron", "PERSON") in persons
    money = [e.text for e in extract_entities(en, seeds["003"]) if e.label == "MONEY"]
    assert money.count("$68.75\u202fbillion") == 2 and "$27\u202fbillion" in money


@pytest.mark.parametrize("number", ["000", "002", "003"])
def test_trimmed_pipeline_finds_what_the_full_one_finds(en, full_models, seeds, number):
    full = full_models["en"]
    text = seeds[number]
    expected = [(e.start_char, e.end_char, e.label_) for e in full(normalise(text)).ents]
    assert [(e.start, e.end, e.label) for e in extract_entities(en, text)] == expected


def test_trimmed_french_pipeline_finds_what_the_full_one_finds(fr, full_models):
    full = full_models["fr"]
    text = FR + " La Chine et la France ont signé douze accords à Pékin, selon l'Agence France-Presse."
    expected = [(e.start_char, e.end_char, e.label_) for e in full(normalise(text)).ents]
    got = [(e.start, e.end, e.label) for e in extract_entities(fr, text)]
    assert got == [(s, t, "PERSON" if label == "PER" else label) for s, t, label in expected]


T0 = dt.datetime(2025, 12, 4, tzinfo=dt.timezone.utc)


def _article(aid, text, language):
    return Article(article_id=aid, url=f"https://e.com/{aid}", canonical_url=f"https://e.com/{aid}",
                   outlet="o", feed_url="", entry_id=aid, title="", text=text, discovered_at=T0,
                   language=language)


ARTICLES = [_article("en", EN_MONEY, "en"), _article("fr", FR, "fr"),
            _article("zh", "习近平会见马克龙", "zh"), _article("und", "???", "und")]


def test_transform_enriches_by_language():
    with beam.Pipeline(runner="FnApiRunner") as p:
        main, rejected = p | beam.Create(ARTICLES) | EnrichEntities(batch_size=4)
        assert_that(main | beam.Map(lambda a: (a.article_id, sorted({e.label for e in a.entities}))),
                    equal_to([("en", ["MONEY"]), ("fr", ["LOC", "MISC", "ORG", "PERSON"]),
                              ("zh", []), ("und", [])]))
        assert_that(rejected, equal_to([]), label="none rejected")


def test_a_failing_batch_falls_back_to_one_by_one(monkeypatch):
    def broken_batch(nlp, texts, batch_size=32):
        raise RuntimeError("batch failed")

    real = entities.extract_entities

    def picky(nlp, text):
        if "POISON" in text:
            raise ValueError("bad text")
        return real(nlp, text)

    monkeypatch.setattr(entities, "extract_entities_batch", broken_batch)
    monkeypatch.setattr(entities, "extract_entities", picky)
    batch = [_article("ok", EN_MONEY, "en"), _article("bad", "POISON", "en"), ARTICLES[2]]
    out = {getattr(r, "article_id"): r for r in entities._EnrichFn(8).handle(batch)}
    assert isinstance(out["bad"], Rejected) and out["bad"].reason == "internal_error"
    assert "bad text" in out["bad"].error and out["bad"].stage == "entities"
    assert isinstance(out["ok"], Article) and out["ok"].entities
    assert isinstance(out["zh"], Article) and out["zh"].entities == ()
    assert all(isinstance(e, Entity) for e in out["ok"].entities)
