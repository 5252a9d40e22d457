"""Rules of the Chinese names tagger added in issue 17's Vocus round (transforms/zh_names.py
`_late_corrections`), each for a cause met in the Vocus 方格子 dev batch and in another dev outlet, on
sentences written for the test (through enrich_texts as the entity stage runs it)."""
from cfnews.transforms.entities import enrich_texts

PLACE = ("GPE", "LOC", "FAC")


def labelled(text):
    [(entities, _)] = enrich_texts("zh", [text])
    return {(e.text, e.label) for e in entities}


def test_a_security_council_is_a_body_not_a_meeting():
    found = labelled("俄羅斯聯邦安全會議副主席昨日抵達平壤。白宮的國家安全會議今年改組。")
    assert {("俄羅斯聯邦安全會議", "ORG"), ("國家安全會議", "ORG")} <= found
    assert ("俄羅斯聯邦", "GPE") not in found


def test_a_periodical_beside_its_latin_title_is_an_outlet():
    found = labelled("法國快報週刊《L'Express》指出，美國《Newsweek》新聞週刊的封面引起爭議。")
    assert {("法國快報週刊", "ORG"), ("新聞週刊", "ORG")} <= found


def test_a_tickets_nickname_is_no_person_a_name_before_a_word_in_pei_stays():
    found = labelled("選前民調顯示，侯康配領先，柯盈配落後。李大明配合警方調查。")
    assert not {n for n, label in found if label == "PERSON" and n in ("侯康", "柯盈")}
    assert ("李大明", "PERSON") in found


def test_a_brothers_nickname_is_a_person_a_country_in_ge_is_a_place():
    found = labelled("黨內都稱他「輝哥」，輝哥任內推動修憲。多哥總統本週訪問迦納。")
    assert ("輝哥", "PERSON") in found and not {("輝哥", label) for label in PLACE} & found
    assert any(("多哥", label) in found for label in PLACE)


def test_a_place_keeps_its_region_suffix_but_not_a_bodys_region():
    found = labelled("日本關注印太區域的安全。世衛歐洲區域本週通報新病例，區域性合作持續。")
    assert any(("印太區域", label) in found for label in PLACE)
    assert not any(("歐洲區域", label) in found for label in PLACE)
    assert ("世衛", "ORG") in found


def test_a_countrys_magazine_is_a_description_and_a_regional_office_no_place():
    found = labelled("印度雜誌《The Week》報導此事。歐洲區域辦事處負責人表示關切。")
    assert not {n for n, label in found if label == "ORG" and n.startswith("印度")}
    assert not any(("歐洲區域", label) in found for label in PLACE)
