"""Hong Kong parties, groups and unions from Wikidata's labels and aliases (transforms/kb/
zh_hk_orgs.yaml), given to the Chinese tagger beside zh_lexicon.yaml. Sentences written by hand."""
import re

import yaml

from cfnews.transforms import zh_lexicon
from cfnews.transforms.entities import enrich_texts
from cfnews.transforms.han_script import simplified
from cfnews.transforms.zh_lexicon import HK_ORGS_FILE, hk_organisation_names
from cfnews.transforms.zh_names import chinese_name_spans


def organisations(text):
    [(entities, _)] = enrich_texts("zh", [text])
    return {e.text for e in entities if e.label == "ORG"}


def test_names_of_the_list_are_organisations_in_traditional_text():
    text = "香港教育專業人員協會宣布解散，香港眾志和熱血公民亦已停止運作，經民聯與公民黨各有回應。"
    assert {"香港教育專業人員協會", "香港眾志", "熱血公民", "經民聯", "公民黨"} <= organisations(text)
    [(entities, _)] = enrich_texts("zh", [text])
    assert "香港" not in {e.text for e in entities}  # the place inside the names is no mention


def test_names_of_the_list_are_organisations_in_simplified_text():
    text = "社会民主连线和街坊工友服务处在立法会外请愿，港九劳工社团联会、公共专业联盟和实政圆桌发表声明。"
    assert {"社会民主连线", "街坊工友服务处", "港九劳工社团联会", "公共专业联盟", "实政圆桌"} <= organisations(text)


def test_short_forms_the_source_gives():
    found = organisations("民協與新民黨議員會面，社民連和公專聯也有出席，港九勞聯發表聲明。")
    assert {"民協", "新民黨", "社民連", "公專聯", "港九勞聯"} <= found


def test_a_members_group_before_the_legislature_is_a_name_of_its_own():
    text = "出席節目的民建聯立法會議員鄭泳舜表示支持，實政圓桌立法會議員田北辰表示關注。"
    spans = {(text[s:e], label) for s, e, label in chinese_name_spans(text)}
    assert {("民建聯", "ORG"), ("實政圓桌", "ORG"), ("立法會", "ORG")} <= spans
    assert not {t for t, _ in spans} & {"民建聯立法會", "實政圓桌立法會"}


def test_common_words_inside_names_of_the_list_are_not_tagged():
    list_names = "".join(hk_organisation_names())
    for word in ("公民", "勞工", "新世紀", "論壇", "街工", "民協"):
        assert word in list_names  # each probe is part of a name of the list
    text = "每位公民都應投票，勞工權益和新世紀的挑戰是論壇的主題。他在大街工作多年，為移民協助處理文件。"
    spans = {(text[s:e], label) for s, e, label in chinese_name_spans(text)}
    assert not [t for t, label in spans if label == "ORG"]


def test_names_left_out_of_the_list_stay_phrases():
    # 香港本土 and 人民力量 are Wikidata labels of groups, left out as everyday phrases
    text = "他們推廣香港本土文化，強調凝聚人民力量。"
    assert not {"香港本土", "人民力量"} & organisations(text)


def test_the_list_is_read_once_not_per_article():
    chinese_name_spans("民建聯和工聯會表示支持。")
    before = zh_lexicon.lexicon.cache_info()
    for text in ("公民黨發表聲明。", "经民联表示欢迎。", "香港眾志已經解散。"):
        chinese_name_spans(text)
    after = zh_lexicon.lexicon.cache_info()
    assert after.misses == before.misses and after.hits > before.hits
    assert zh_lexicon.hk_organisation_names.cache_info().misses == 1  # the file was read once


def test_every_entry_records_its_wikidata_item():
    text = HK_ORGS_FILE.read_text(encoding="utf-8")
    header = text.split("organisations:")[0]
    assert "Wikidata" in header and "CC0" in header
    assert "everypolitician/everypolitician-data" in header and re.search(r"commit\W+[0-9a-f]{40}", header)
    entries = yaml.safe_load(text)["organisations"]
    qids = [entry["qid"] for entry in entries]
    assert all(re.fullmatch(r"Q[1-9][0-9]*", qid) for qid in qids) and len(set(qids)) == len(qids)
    for entry in entries:
        assert set(entry) == {"qid", "label", "aliases"}
        for name in (entry["label"], *entry["aliases"]):
            assert re.fullmatch(r"[\u3400-\u9fff]{2,}", name), name
    words, _ = zh_lexicon.lexicon()
    assert all(words[simplified(n)] == "ORG" for n in hk_organisation_names())


def test_the_afl_cio_short_form_is_not_the_hong_kong_union():
    """The alias 勞聯 of the Hong Kong union is left out: in Simplified text 劳联 is mostly the
    AFL–CIO (劳联-产联), and the tagger matches both scripts on one Simplified copy."""
    assert "勞聯" not in hk_organisation_names() and "港九勞聯" in hk_organisation_names()
    text = "美国劳联-产联主席表示，工会将支持该法案。"
    spans = {(text[s:e], label) for s, e, label in chinese_name_spans(text)}
    assert ("劳联", "ORG") not in spans
