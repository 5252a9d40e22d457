"""Rules of the Chinese names tagger (transforms/zh_names.py) added for Traditional news text,
one test per kind, on sentences written for the test (through enrich_texts as the entity stage
runs it, so the knowledge base and the heading filter apply too)."""
from cfnews.transforms.entities import enrich_texts


def labelled(text):
    [(entities, _)] = enrich_texts("zh", [text])
    return {(e.text, e.label) for e in entities}


def test_an_organisation_naming_a_meeting_is_no_mention_but_stays_one_elsewhere():
    found = labelled("習近平出席亞太經合組織工商領導人峰會。會議在利馬舉行，中共二十屆三中全會作出部署。")
    assert not {n for n, label in found if label == "ORG"}
    assert ("亞太經合組織", "ORG") in labelled("南韓明年接任亞太經合組織東道主。")


def test_a_head_title_on_a_body_is_a_title_other_posts_keep_the_body():
    found = labelled("亞洲開發銀行行長應邀參加，國務院總理李強主持會議。")
    assert ("亞洲開發銀行", "ORG") not in found
    assert {("國務院", "ORG"), ("李強", "PERSON")} <= found


def test_who_owns_a_body_describes_it():
    found = labelled("摩洛哥國營通訊社報道，習近平抵達卡薩布蘭卡。")
    assert not {n for n, label in found if label == "ORG"} and ("摩洛哥", "GPE") in found


def test_a_quoted_forum_is_an_event_and_a_national_team_is_its_country():
    found = labelled("他在「融通與發展法治論壇」致辭。香港代表隊對巴西隊。")
    assert ("融通與發展法治論壇", "ORG") not in found
    assert ("巴西", "GPE") in found and ("巴西隊", "ORG") not in found


def test_rare_given_names_after_a_title_and_every_later_mention():
    found = labelled("平台的行政總裁周受資，最近接觸馬斯克。周受資和馬斯克未有討論。主席古沛勤認為合作重要。")
    assert {("周受資", "PERSON"), ("古沛勤", "PERSON")} <= found
    assert ("外交部", "ORG") in labelled("外交部駐港特派員崔建春表示，法治重要。") \
        and ("崔建春", "PERSON") in labelled("外交部駐港特派員崔建春表示，法治重要。")


def test_a_third_character_after_a_two_character_name():
    assert ("盧煜明", "PERSON") in labelled("李嘉誠又再次祝賀盧煜明成為校長。")


def test_a_monarchs_number_is_part_of_the_name():
    assert ("費利佩六世", "PERSON") in labelled("西班牙國王費利佩六世前往巴倫西亞自治區視察。")
    assert ("巴倫西亞自治區", "GPE") in labelled("西班牙國王費利佩六世前往巴倫西亞自治區視察。")


def test_four_characters_without_a_double_family_name_are_no_name():
    found = labelled("韓方尊重一個中國的政策，與特朗普關係密切的人士。")
    assert not {n for n, label in found if label == "PERSON" and len(n) == 4}
    assert ("林鄭月娥", "PERSON") in labelled("香港特首林鄭月娥今天率領官員前往深圳。")


def test_a_newspaper_in_title_marks_is_an_organisation():
    assert ("法蘭克福匯報", "ORG") in labelled("大使在德國《法蘭克福匯報》發表署名文章。")


def test_transliterations_are_joined_whole():
    assert ("保利尼", "PERSON") in labelled("鄭欽文擊敗意大利的保利尼，成功晉級。")
    assert ("敏昂萊", "PERSON") in labelled("緬甸軍政府領袖敏昂萊將訪問中國。")


def test_companies_by_the_words_around_a_transliteration():
    found = labelled("德國車廠福斯宣布裁員。福斯將關閉工廠。")
    assert ("福斯", "ORG") in found and not {("福斯", "PERSON"), ("福斯", "GPE")} & found


def test_country_pairs_counts_and_sides_are_no_places():
    found = labelled("中巴關係處於最好時期，湄公河五國領導人和外交部駐港特派員出席。")
    assert not {n for n, _ in found} & {"中巴", "中巴關係", "五國", "駐港"}


def test_a_place_written_with_a_generic_noun_in_one_dictionary_word():
    assert ("北非", "GPE") in labelled("習近平短暫停留北非國家摩洛哥。")


def test_a_title_case_latin_title_does_not_make_a_chinese_line_a_heading():
    found = labelled("紐約時報攝影作品《The Great Empty》\n上海的街頭很安靜。")
    assert ("紐約時報", "ORG") in found
