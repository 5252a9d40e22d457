"""Knowledge base, stop-list and topic lexicon (loading, validation), alias matching and linking
over hand-made NER spans, topics, and the integrity of the gold annotation file."""
import csv
import hashlib
import json
import re
from pathlib import Path

import pytest
import yaml

from tests.conftest import need_shared
from cfnews.transforms.entity_kb import (KbError, PhraseMatcher, load_kb, load_stoplist, parse_kb,
                                  parse_stoplist)
from cfnews.transforms.entity_linking import link_entities
from cfnews.transforms.topic_tags import load_lexicon, parse_lexicon

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "tests" / "benchmarks" / "data" / "entities_gold.jsonl"
DEMO_ARTICLES = ROOT / "pipeline" / "demo" / "data" / "articles.yaml"


@pytest.fixture(scope="module")
def kb():
    return load_kb()


@pytest.fixture(scope="module")
def stop():
    return load_stoplist()


@pytest.fixture(scope="module")
def lexicon(kb):
    return load_lexicon(kb=kb)


def link(kb, stop, text, ner=()):
    return [(e.text, e.label, e.kb_id) for e in link_entities(text, list(ner), kb, stop)]


def span(text, surface, label, nth=0):
    start = [m.start() for m in re.finditer(re.escape(surface), text)][nth]
    return (start, start + len(surface), label)


# ---------------------------------------------------------------- the knowledge base


def test_knowledge_base_size_types_and_languages(kb):
    assert len(kb) >= 150
    types = {e.type for e in kb.entries.values()}
    assert {"PERSON", "ORG", "GPE", "LOC", "FAC", "EVENT"} <= types
    with_chinese = [e for e in kb.entries.values() if e.aliases.get("zh_hans") and e.aliases.get("zh_hant")]
    assert len(with_chinese) >= 150
    for name in ("EDF", "China General Nuclear Power Group", "Airbus", "Huawei", "L'Oréal",
                 "China International Import Expo", "G7", "G20", "European Union", "European Commission",
                 "Taishan Nuclear Power Plant", "Wang Yi", "Xi Jinping", "Emmanuel Macron"):
        assert name in {e.name for e in kb.entries.values()}, name


def test_qids_are_verified_ones_with_their_source(kb):
    table = need_shared("reference", "wikidata-qids.tsv")
    verified = {row["qid"] for row in csv.DictReader(table.open(encoding="utf-8"), delimiter="\t")}
    qids = {e.kb_id: e for e in kb.entries.values() if e.qid}
    assert qids and set(qids) <= verified
    assert all("wikidata-qids.tsv" in e.qid_source for e in qids.values())
    # ids that public files contradict or that no source confirms (wikidata-notes.md)
    for wrong in ("Q3429032", "Q2790390", "Q20522949", "Q3674", "Q192350", "Q8882", "Q17241", "Q4414390"):
        assert wrong not in kb.entries
    for local in ("cfnews:wang-yi", "cfnews:li-qiang", "cfnews:ciie", "cfnews:orano"):
        assert local in kb.entries and kb.entries[local].qid is None


BAD_KB = "\n".join([
    '{"kb_id": "Q1", "name": "One", "type": "ORG", "aliases": {"en": ["Uno"]}}',             # 1 no source
    'not json',                                                                                # 2
    '{"kb_id": "cfnews:two", "name": "Two", "type": "THING", "aliases": {"de": ["Zwei"]}}',   # 3
    '{"kb_id": "cfnews:three", "name": "Three", "type": "ORG", "aliases": {"en": ["Uno"]}, "colour": 1}',
    '{"kb_id": "cfnews:four", "name": "Four", "type": "PERSON", "aliases": {"fr": ["l\u2019Quatre"]},'
    ' "qid_source": "somewhere"}',                                                             # 5
    '{"kb_id": "Bad Id", "name": "Five", "type": "ORG", "aliases": {}}',                       # 6
    '{"kb_id": "cfnews:six", "name": "Six", "type": "PERSON", "aliases": {"en": ["Sixth"]},'
    ' "short": ["Uno"]}',                                                                      # 7
    '{"kb_id": "cfnews:six", "name": "Six bis", "type": "PERSON", "aliases": {"en": []}}',     # 8
])


def test_every_kb_problem_is_reported_at_once():
    with pytest.raises(KbError) as err:
        parse_kb(BAD_KB.splitlines(), "bad.jsonl")
    message = str(err.value)
    expected = [
        "line 1 (Q1): a QID needs qid_source",
        "line 2: not JSON",
        "line 3 (cfnews:two): type must be one of",
        "line 3 (cfnews:two): aliases key 'de' is not one of",
        "line 4 (cfnews:three): unknown key 'colour'",
        "line 5 (cfnews:four): qid_source given for a local id",
        "uses typographic quotes",
        "line 6 (Bad Id): kb_id must be a Wikidata QID",
        "cfnews:six: short form 'Uno' is a full alias of Q1",
        "line 8 (cfnews:six): duplicate kb_id",
        "aliases.en: must be a non-empty list",
        "alias 'Uno' belongs to both Q1 and cfnews:three",
    ]
    for part in expected:
        assert part in message, part
    assert message.startswith("bad.jsonl: ") and len(err.value.problems) == len(expected)


def test_stoplist_and_lexicon_validation_report_every_problem(kb):
    with pytest.raises(KbError) as err:
        parse_stoplist({"version": 2, "texts": ["ok", ""], "by_label": [{"text": "x"}],
                        "patterns": ["(unclosed", {"pattern": "A\\d+"}], "extra": 1})
    assert len(err.value.problems) == 6, err.value.problems
    raw = {"version": 1, "min_hits": 0, "topics": {
        "Bad Name": {"terms": {"en": ["ok"]}},
        "nuclear": {"terms": {"en": ["nuc*lear", "atom"], "xx": ["y"]}, "entities": ["cfnews:nope"]},
        "trade": {"terms": {"en": ["Atom"]}, "min_hits": "two", "colour": "red"}}}
    with pytest.raises(KbError) as err:
        parse_lexicon(raw, kb)
    text = str(err.value)
    for part in ("min_hits must be a whole number", "topics.Bad Name: a topic name",
                 "'nuc*lear' is not a term", "'xx' is not one of", "'cfnews:nope' is not in the knowledge base",
                 "'Atom' is already a term of nuclear", "topics.trade.min_hits", "unknown key 'colour'"):
        assert part in text, part


# ---------------------------------------------------------------- matching and linking


def test_phrase_matcher_boundaries_and_longest_match():
    m = PhraseMatcher(["Xi", "Macron", "EU", "Paris", "Paris Agreement", "中国", "中国商飞"])
    found = lambda t: [x[2] for x in m.finditer(t)]
    assert found("Xi'an and Xi's visit") == ["Xi"]                  # not inside Xi'an
    assert found("Macron's plan, EUROPE, the EU-China summit") == ["Macron", "EU"]
    assert found("the Paris Agreement in Paris") == ["Paris Agreement", "Paris"]
    assert found("中国商飞与中国") == ["中国商飞", "中国"]


def test_named_misses_are_fixed_by_linking(kb, stop):
    text = "Huawei Paris headquarters. The company Wang founded is not Wang Yi's."
    got = link(kb, stop, text, [span(text, "Huawei Paris", "PERSON"), span(text, "Wang", "ORG")])
    assert ("Huawei", "ORG", "Q160120") in got and ("Paris", "GPE", "Q90") in got
    assert not any(label == "PERSON" and t == "Huawei Paris" for t, label, _ in got)
    assert ("Wang", "PERSON", "cfnews:wang-yi") in got and ("Wang Yi", "PERSON", "cfnews:wang-yi") in got
    text = "EDF and CGN at the CIIE; the G7 met. French President Macron met China's Xi Jinping."
    got = link(kb, stop, text, [span(text, "Xi", "PERSON")])         # NER found only "Xi"
    assert [g for g in got if g[2]] == [
        ("EDF", "ORG", "Q274591"), ("CGN", "ORG", "Q1769991"), ("CIIE", "EVENT", "cfnews:ciie"),
        ("G7", "ORG", "Q1764511"), ("Macron", "PERSON", "Q3052772"), ("China", "GPE", "Q148"),
        ("Xi Jinping", "PERSON", "Q15031")]


def test_ner_span_naming_more_keeps_it_and_numbers_win(kb, stop):
    text = "Bank of China lent US$100 million; the European Union and The EU agreed."
    ner = [span(text, "Bank of China", "ORG"), span(text, "US$100 million", "MONEY"),
           span(text, "the European Union", "ORG"), span(text, "The EU", "ORG")]
    assert link(kb, stop, text, ner) == [
        ("Bank of China", "ORG", "cfnews:bank-of-china"), ("US$100 million", "MONEY", None),
        ("European Union", "ORG", "Q458"), ("EU", "ORG", "Q458")]
    text = "Lazard Freres of France and Saint Louis Bank advised."
    got = link(kb, stop, text, [span(text, "Lazard Freres of France", "ORG")])
    assert got[0] == ("Lazard Freres of France", "ORG", None) and len(got) == 1


def test_short_forms_link_only_in_context(kb, stop):
    text = "Wang said the talks went well."
    assert link(kb, stop, text) == []                                # two Wangs in the KB
    assert link(kb, stop, text, [span(text, "Wang", "PERSON")]) == [("Wang", "PERSON", None)]
    text = "Wang Yi and Wang Wentao arrived. Wang said so."            # which Wang? neither
    assert link(kb, stop, text) == [("Wang Yi", "PERSON", "cfnews:wang-yi"),
                                    ("Wang Wentao", "PERSON", "cfnews:wang-wentao")]
    text = "Xi spoke first."
    assert link(kb, stop, text) == []
    assert link(kb, stop, text, [span(text, "Xi", "PERSON")]) == [("Xi", "PERSON", "Q15031")]
    text = "Emmanuel Bonne met Wang Yi. Bonne, for his part, agreed."
    assert ("Bonne", "PERSON", "cfnews:emmanuel-bonne") in link(kb, stop, text)


def test_unlinked_names_propagate_within_a_document(kb, stop):
    text = "said Lyle Morris, a fellow. Morris added that the Morris plan failed.\nMorris left."
    ents = link_entities(text, [span(text, "Lyle Morris", "PERSON"), span(text, "Morris", "ORG", 1)],
                         kb, stop)
    got = [(e.text, e.label, e.canonical, e.start) for e in ents]
    morris = [m.start() for m in re.finditer("Morris", text)]
    assert got == [("Lyle Morris", "PERSON", None, morris[0] - 5),
                   ("Morris", "PERSON", "Lyle Morris", morris[1]),     # NER said ORG
                   ("Morris", "PERSON", "Lyle Morris", morris[2])]     # NER missed it
    # the last "Morris" starts a line: a capital there proves nothing, so it is not added


def test_a_surname_first_name_is_relabelled_and_a_country_is_no_surname(kb, stop):
    text = "Police held Wang Donghai on Friday. His sister said Wang would appeal."
    ents = link_entities(text, [span(text, "Wang Donghai", "PERSON"), span(text, "Wang", "ORG", 1)],
                         kb, stop)
    assert [(e.text, e.label, e.canonical) for e in ents] == [
        ("Wang Donghai", "PERSON", None), ("Wang", "PERSON", "Wang Donghai")]   # NER said ORG
    text = "Mongolia declared independence. The area was that of Outer Mongolia."
    ents = link_entities(text, [span(text, "Mongolia", "GPE"), span(text, "Outer Mongolia", "PERSON")],
                         kb, stop)
    assert ("Mongolia", "GPE") in [(e.text, e.label) for e in ents]


def test_stoplist_drops_junk_but_never_a_linked_entity(kb, stop):
    text = "Leave a Reply\nAI in Paris. The A320 flew. quantum computing boomed. Policy and"
    ner = [span(text, "Leave a Reply", "ORG"), span(text, "AI", "GPE"), span(text, "A320", "PERSON"),
           span(text, "quantum computing", "ORG"), span(text, "Policy and", "ORG")]
    assert link(kb, stop, text, ner) == [("Paris", "GPE", "Q90"), ("Policy", "ORG", None)]
    assert stop.drops("A320", "PRODUCT") is False and stop.drops("/VCG Photo", "ORG")


def test_acronyms_of_common_nouns_are_no_names(kb, stop):
    text = "The USB ports and GPUs sold well before the IPO, the CEO said; GDP grew. USBank rose."
    ner = [span(text, w, "ORG") for w in ("USB", "GPUs", "IPO", "CEO", "GDP", "USBank")]
    assert link(kb, stop, text, ner) == [("USBank", "ORG", None)]


def test_acronyms_in_all_capital_headlines_are_words(kb, stop):
    text = "WHO IS THE FRONT-RUNNER?\nWASHINGTON (AP) — the WHO and the EU AI Act."
    # aliases match case-sensitively; a dateline's place is read in name case (below)
    assert [g for g in link(kb, stop, text) if g[2]] == [
        ("WASHINGTON", "GPE", "cfnews:washington-dc"), ("AP", "ORG", "Q40469"),
        ("WHO", "ORG", "cfnews:who"), ("EU", "ORG", "Q458")]


def test_chinese_simplified_and_traditional(kb, stop):
    hans = "习近平在北京会见法国总统马克龙，中国商飞和华为参加了进博会。"
    hant = "習近平在北京會見法國總統馬克龍，中國商飛和華為參加了進博會。"
    expected = [("PERSON", "Q15031"), ("GPE", "Q956"), ("GPE", "Q142"), ("PERSON", "Q3052772"),
                ("ORG", "cfnews:comac"), ("ORG", "Q160120"), ("EVENT", "cfnews:ciie")]
    for text in (hans, hant):
        ents = link_entities(text, [], kb, stop)
        assert [(e.label, e.kb_id) for e in ents] == expected
        assert all(text[e.start:e.end] == e.text for e in ents)


def test_offsets_point_into_the_original_text(kb, stop):
    text = "L\u2019Oréal and Soci\u00e9t\u00e9\u00a0G\u00e9n\u00e9rale met in Paris\u2011Saclay."
    ents = link_entities(text, [], kb, stop)
    assert [(e.text, e.kb_id) for e in ents] == [("L\u2019Oréal", "Q156077"),
                                                 ("Soci\u00e9t\u00e9\u00a0G\u00e9n\u00e9rale", "Q270363"),
                                                 ("Paris\u2011Saclay", "cfnews:paris-saclay")]
    assert all(text[e.start:e.end] == e.text for e in ents)


# ---------------------------------------------------------------- topics


def test_topics_from_terms_titles_and_entities(lexicon, kb, stop):
    assert lexicon.tag("", "Nuclear cooperation deepened; nuclear fuel too.") == ("nuclear",)
    assert lexicon.tag("", "One nuclear mention in passing.") == ()
    assert lexicon.tag("Cognac houses worry", "Nothing else here.") == ("luxury_spirits",)
    text = "EDF signed with CGN."
    assert lexicon.tag("", text, link_entities(text, [], kb, stop)) == ("nuclear",)
    assert lexicon.tag("", "J'ai vu, j'ai aimé, j'ai dit.") == ()      # acronyms match exact case
    assert lexicon.tag("", "法国农业代表团：农产品贸易与乳制品，农业合作。") == ("agriculture",)
    assert lexicon.tag("", "烏克蘭局勢與烏克蘭和平") == ("ukraine",)
    assert "ai" in lexicon.tag("", "AI rules and AI chips")


# ---------------------------------------------------------------- the gold annotations


def _demo_text(article_id):
    article = next(a for a in yaml.safe_load(DEMO_ARTICLES.read_text(encoding="utf-8"))
                   if a["id"] == article_id)
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", article["body"]) if p.strip()]
    return "\n".join(paragraphs)


def test_gold_file_is_consistent_with_its_texts_and_the_kb(kb):
    docs = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines()]
    assert {d["doc_id"] for d in docs} >= {"seed-000", "seed-004", "fr-airbus-tianjin",
                                           "fr-cognac-chine", "zh-nongye-fangtuan"}
    for doc in docs:
        text = doc["text"]
        assert hashlib.sha256(text.encode()).hexdigest() == doc["text_sha256"]
        if doc["source"].startswith("demo:"):
            assert _demo_text(doc["source"][5:]) == text
        spans = sorted((e["start"], e["end"]) for e in doc["entities"])
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:])), doc["doc_id"]
        for e in doc["entities"]:
            assert text[e["start"]:e["end"]] == e["text"]
            assert e["kb_id"] is None or kb.entries[e["kb_id"]].type == e["label"], e


def test_gold_seed_texts_are_the_seed_files():
    folder = need_shared("seeds")
    for doc in map(json.loads, GOLD.read_text(encoding="utf-8").splitlines()):
        if doc["source"].startswith("seed:"):
            assert (folder / doc["source"][5:]).read_text(encoding="utf-8") == doc["text"]


def test_headings_and_labels_are_not_names(kb, stop):
    text = ("Key Takeaways\nDialogue on Global Issues: Ukraine and Global Governance\n"
            "Jane Roe said the talks in Paris went well. Jane Roe leads the Lumen Institute.\n"
            "- AI & Data Ethics: French institutes publish guidelines for responsible AI.\n"
            "Lumen Institute")
    ner = [span(text, "Key Takeaways", "ORG"), span(text, "Global Governance", "PERSON"),
           span(text, "Ukraine", "GPE"), span(text, "Jane Roe", "PERSON"),
           span(text, "AI & Data Ethics: French", "ORG"), span(text, "Lumen Institute", "ORG"),
           span(text, "Lumen Institute", "ORG", nth=1)]
    found = link(kb, stop, text, ner)
    names = {g[0] for g in found}
    assert not names & {"Key Takeaways", "Global Governance", "AI & Data Ethics: French"}
    assert ("Ukraine", "GPE", "Q212") in found            # the knowledge base says so
    assert "Jane Roe" in names and "Paris" in names       # running text
    # a heading repeating a name the model found in running text keeps it
    french = "« Produire au plus près du client rassure », dit-il. Il faut produire vite."
    assert link(kb, stop, french, [span(french, "Produire", "LOC")]) == []
    assert [e.start for e in link_entities(text, ner, kb, stop) if e.text == "Lumen Institute"] \
        == [text.index("Lumen Institute"), text.rindex("Lumen Institute")]


def test_handles_links_and_venue_lines_are_not_names(kb, stop):
    """Seen in the shared benchmark's output: "@Ilhan" and a pic.twitter.com link typed as
    names, tour dates "NJ @ PNC Bank Arts Center" and "GA @" as organisations. A venue line
    names the venue; a bare domain that is a company's name stays."""
    text = ("Tour dates:\nNJ @ PNC Bank Arts Center, July 4\nGA @\n"
            "Follow @IlhanMN for more, see pic.twitter.com/4p7SXk7JPW, mail jane@example.com or "
            "read https://www.example.com/page. Reviews by Edmunds.com say so.")
    ner = [span(text, "NJ @ PNC Bank Arts Center", "ORG"), span(text, "GA @", "ORG"),
           span(text, "@IlhanMN", "ORG"), span(text, "pic.twitter.com/4p7SXk7JPW", "PERSON"),
           span(text, "jane@example.com", "PERSON"), span(text, "https://www.example.com/page", "ORG"),
           span(text, "Edmunds.com", "ORG")]
    assert link(kb, stop, text, ner) == [("PNC Bank Arts Center", "ORG", None),
                                         ("Edmunds.com", "ORG", None)]


def test_a_datelines_place_in_capitals_is_a_place_named_as_running_text_names_it(kb, stop):
    """Datelines the small model mistypes ("SIOUX FALLS" a person, "COLUMBIA" and "HONOLULU"
    organisations, "JOSEPH" of "ST. JOSEPH" a person, all seen in the shared benchmark's
    output) are places; the row lists them as running text would ("Sioux Falls"), linked
    when the knowledge base knows the name, added when the model missed a known place."""
    cases = [
        ("SIOUX FALLS, S.D. – People across the nation are talking about it.",
         "SIOUX FALLS", "PERSON", ("SIOUX FALLS", "GPE", None, "Sioux Falls")),
        ("ST. JOSEPH, Mich. (AP) — Health authorities report a sixth death.",
         "JOSEPH", "PERSON", ("ST. JOSEPH", "GPE", None, "St. Joseph")),
        ("COLUMBIA, S.C. (AP) — About a dozen owners gathered on Tuesday.",
         "COLUMBIA", "ORG", ("COLUMBIA", "GPE", None, "Columbia")),
        ("PARIS (AFP) - Emmanuel Macron will travel to Beijing.",
         None, None, ("PARIS", "GPE", "Q90", "Paris")),
        ("WASHINGTON (Reuters) - Scientists unveiled the first map of Titan.",
         "WASHINGTON", "GPE", ("WASHINGTON", "GPE", "cfnews:washington-dc", "Washington, D.C.")),
    ]
    for text, model_text, model_label, expected in cases:
        ner = [span(text, model_text, model_label)] if model_text else []
        first = link_entities(text, ner, kb, stop)[0]
        assert (first.text, first.label, first.kb_id, first.canonical) == expected, text
    # capitals before a dash that label the story are not places, and no place is made up
    for text in ("UPDATE - Apple said it would buy the firm.", "ACME CORP - shares rose."):
        assert all(e.label != "GPE" for e in link_entities(text, [], kb, stop)), text
    label = "EXCLUSIVE — The talks went on."
    assert link(kb, stop, label, [span(label, "EXCLUSIVE", "ORG")]) == [("EXCLUSIVE", "ORG", None)]
