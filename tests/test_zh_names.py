"""Chinese names beyond the knowledge base (transforms/zh_names.py, jieba's tagger) with the
knowledge base linking on top, through enrich_texts as the entity stage runs it."""
from transforms.entities import enrich_texts
from transforms.zh_names import chinese_name_spans, simplified

TRADITIONAL = "香港警方表示，前國際刑警組織主席孟宏偉的妻子在法國申請庇護。法國總統馬克龍訪問廣州，會見了王毅。"
SIMPLIFIED = "香港警方表示，前国际刑警组织主席孟宏伟的妻子在法国申请庇护。法国总统马克龙访问广州，会见了王毅。"


def names(text):
    [(entities, _)] = enrich_texts("zh", [text])
    return {(e.text, e.label, e.kb_id) for e in entities}


def test_both_scripts_give_the_same_names_as_written():
    trad, simp = names(TRADITIONAL), names(SIMPLIFIED)
    assert ("孟宏偉", "PERSON", None) in trad and ("孟宏伟", "PERSON", None) in simp
    assert ("國際刑警組織", "ORG", None) in trad and ("国际刑警组织", "ORG", None) in simp
    assert {("廣州", "GPE"), ("香港", "GPE")} <= {(t, l) for t, l, _ in trad}


def test_the_knowledge_base_links_on_top():
    [(entities, _)] = enrich_texts("zh", [TRADITIONAL])
    macron = [e for e in entities if e.text == "馬克龍"]
    assert macron and macron[0].kb_id == "Q3052772" and macron[0].canonical == "Emmanuel Macron"
    assert not [e for e in entities if e.text == "馬克"]  # the KB name, not the tagger's part
    wang = [e for e in entities if e.text == "王毅"]
    assert wang and wang[0].kb_id is not None


def test_offsets_are_those_of_the_text_as_written():
    assert len(simplified(TRADITIONAL)) == len(TRADITIONAL)
    for start, end, _ in chinese_name_spans(TRADITIONAL):
        assert TRADITIONAL[start:end] in TRADITIONAL and end - start >= 2


def test_noise_is_dropped():
    text = "中方和法方表示，双方将在全球和国际层面加强合作。王说好。"
    found = {t for t, _, _ in names(text)}
    assert not found & {"中方", "法方", "双方", "全球", "国际", "王"}


def test_dotted_transliterations_and_organisation_names_are_whole():
    text = "美中合作基金会执行主席约翰·米勒-怀特认为，国家卫生健康委和工业和信息化部对短缺药品开展监测。克罗地亚地缘经济论坛主席表示欢迎。"
    spans = {(text[s:e], label) for s, e, label in chinese_name_spans(text)}
    assert ("约翰·米勒-怀特", "PERSON") in spans
    assert {("国家卫生健康委", "ORG"), ("工业和信息化部", "ORG"), ("克罗地亚地缘经济论坛", "ORG")} <= spans
    assert not {t for t, _ in spans} & {"约翰", "米勒", "怀特", "社会"}
