"""Chinese names beyond the knowledge base (transforms/zh_names.py, jieba's tagger) with the
knowledge base linking on top, through enrich_texts as the entity stage runs it."""
from cfnews.transforms.entities import enrich_texts
from cfnews.transforms.zh_names import chinese_name_spans, simplified

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


def spans_of(text):
    return {(text[s:e], label) for s, e, label in chinese_name_spans(text)}


def test_foreign_places_the_tagger_calls_people_are_places():
    # jieba tags 斯特拉斯堡/图卢兹/雷恩 as transliterated people; listed together they are places
    found = spans_of("包括斯特拉斯堡，图卢兹和雷恩等在内的城市已禁止安装。比利时安特卫普一所学校。")
    assert {("斯特拉斯堡", "GPE"), ("图卢兹", "GPE"), ("雷恩", "GPE"), ("安特卫普", "GPE")} <= found
    assert not [t for t, label in found if label == "PERSON"]


def test_organisations_built_from_a_place_and_a_body():
    found = spans_of("中國民航局通報，法国宪法委员会周五批准。中國駐法國大使館發表文章。")
    assert {("中國民航局", "ORG"), ("法国宪法委员会", "ORG"), ("中國駐法國大使館", "ORG")} <= found


def test_governments_and_generic_courts_are_places_not_organisations():
    found = spans_of("加拿大法院驳回了请求，法国政府表示不会补偿。")
    assert ("加拿大", "GPE") in found and ("法国", "GPE") in found
    assert not [t for t, label in found if label == "ORG"]


def test_bylines_name_people():
    text = "（中央社記者陳偉婷台北7日電）指揮中心宣布。（編輯：張淑伶/翟思嘉）1100622"
    found = spans_of(text)
    assert {("陳偉婷", "PERSON"), ("張淑伶", "PERSON"), ("翟思嘉", "PERSON"), ("台北", "GPE")} <= found


def test_kb_names_are_whole_words_of_the_segmentation():
    # 印度 (a KB country) is not mentioned inside 印度洋, nor 武汉 inside a disease's name, nor
    # 美国 in the nationality word 美国人
    found = {(t, label) for t, label, _ in names("航母将通过印度洋和南中国海到日本，美国人和武汉肺炎都提到了。")}
    assert {("印度洋", "GPE"), ("南中国海", "GPE"), ("日本", "GPE")} <= found
    assert not {t for t, _ in found} & {"印度", "中国", "武汉", "美国"}
