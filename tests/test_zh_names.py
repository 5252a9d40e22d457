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


def labelled(text):
    return {(t, label) for t, label, _ in names(text)}


def test_a_country_and_its_body_are_one_organisation():
    found = labelled("栗战书出席中国全国人大与法国国民议会交流机制会议。星期一的法国世界报指出。")
    assert {("中国全国人大", "ORG"), ("法国国民议会", "ORG"), ("法国世界报", "ORG")} <= found
    assert ("全国人大", "ORG") not in found and ("栗战书", "PERSON") in found
    assert ("法国欧盟", "ORG") not in labelled("法国欧盟事务副部长博纳曾在电台表示。")  # not its owner


def test_people_after_a_title_stay_people():
    found = labelled("美国国务卿布林肯与法国外长勒德里昂通话，英国外交大臣拉布也参加。"
                     "德国总理默克尔、意大利总理德拉吉会谈。副部长博纳曾在电台表示。")
    assert {("布林肯", "PERSON"), ("勒德里昂", "PERSON"), ("拉布", "PERSON"), ("默克尔", "PERSON"),
            ("德拉吉", "PERSON"), ("博纳", "PERSON")} <= found
    assert not {n for n, label in found if label == "GPE"} & {"布林肯", "默克尔", "里昂"}
    assert {("斯特拉斯堡", "GPE"), ("雷恩", "GPE")} <= labelled("代表团访问了斯特拉斯堡、图卢兹和雷恩。")


def test_japanese_names_are_whole():
    found = labelled("日本首相菅义伟与前首相安倍晋三会面，外相茂木敏充和东京都知事小池百合子出席。"
                     "岸田文雄表示，防卫大臣岸信夫将访问美国。")
    assert {("菅义伟", "PERSON"), ("安倍晋三", "PERSON"), ("茂木敏充", "PERSON"), ("小池百合子", "PERSON"),
            ("岸田文雄", "PERSON"), ("岸信夫", "PERSON"), ("东京都", "GPE")} <= found
    assert not [n for n, label in labelled("日本厚生劳动省表示，山口县和福岛县的居民增加。") if label == "PERSON"]


def test_companies_named_by_their_brand():
    for text, brands in (("辉瑞和莫德纳的疫苗，以及阿斯利康、强生和科兴的疫苗。", {"辉瑞", "莫德纳", "阿斯利康", "强生", "科兴"}),
                         ("輝瑞與莫德納的疫苗，以及阿斯利康的疫苗。", {"輝瑞", "莫德納", "阿斯利康"})):
        assert {(b, "ORG") for b in brands} <= labelled(text)
    assert {("蚂蚁集团", "ORG"), ("华为加拿大分公司", "ORG")} <= labelled("北京加紧施压蚂蚁集团。华为加拿大分公司表示。")


def test_descriptions_are_not_organisations():
    orgs = {n for n, label in labelled("中国国有石油天然气公司与美国科技公司合作。德国最大党基民盟选举党主席。")
            if label == "ORG"}
    assert "基民盟" in orgs and not orgs & {"中国国有石油天然气公司", "美国科技公司", "德国最大党", "基民盟党"}


def test_a_transliteration_glossed_in_latin_letters_is_a_person_everywhere():
    text = "现任北威州州长拉舍特（Armin Laschet）获胜。拉舍特在竞选时走中间路线。纽约研究机构荣鼎集团（Rhodium Group）统计。"
    found = [(e.text, e.label) for e in enrich_texts("zh", [text])[0][0]]
    assert found.count(("拉舍特", "PERSON")) == 2 and ("舍特", "PERSON") not in found
    assert ("荣鼎集团", "PERSON") not in found


def test_hyphenated_and_speaking_names():
    found = labelled("发言人迪里夏提-热西提向法新社表示。汪洋会见巴基斯坦参议院主席。学者进行田野调查。")
    assert {("迪里夏提-热西提", "PERSON"), ("汪洋", "PERSON"), ("巴基斯坦参议院", "ORG")} <= found
    assert ("田野", "PERSON") not in found


def test_titles_events_and_ships_are_not_names():
    found = labelled("中国外交部长王毅访问挪威。2019年G20大阪峰会期间，台湾基隆号驱逐舰参加演习。"
                     "1919年巴黎和会期间，北洋政府外交总长陆徵祥出席。")
    assert {("王毅", "PERSON"), ("挪威", "GPE"), ("台湾", "GPE"), ("北洋政府", "ORG"), ("陆徵祥", "PERSON")} <= found
    assert not {n for n, _ in found} & {"中国外交部", "大阪", "基隆", "巴黎", "巴黎和会"}


def test_taiwanese_usage():
    found = labelled("英國首相強生與德國總理梅克爾通話。衛福部長陳時中與疾管署說明，中華民國駐法國代表處回應。強生疫苗。")
    assert {("強生", "PERSON"), ("德國", "GPE"), ("梅克爾", "PERSON"), ("陳時中", "PERSON"), ("疾管署", "ORG"),
            ("中華民國駐法國代表處", "ORG"), ("強生", "ORG")} <= found


def test_a_country_and_its_body_written_as_one_keep_the_knowledge_base_link():
    for text in ("栗战书出席中国全国人大与法国国民议会交流机制会议。",
                 "栗戰書出席中國全國人大與法國國民議會交流機制會議。"):
        [(entities, _)] = enrich_texts("zh", [text])
        npc = [e for e in entities if e.text in ("中国全国人大", "中國全國人大")]
        assert npc and npc[0].kb_id == "cfnews:national-peoples-congress", entities


def test_names_inside_titles_are_no_mentions_but_a_title_that_is_a_name_is():
    found = spans_of("國史館藏《外交部檔案》，〈國防部部長蔣經國訪美〉。法國《世界報》報導，外交部回應。")
    assert ("世界報", "ORG") in found and ("外交部", "ORG") in found  # 外交部 as itself, outside
    assert not {t for t, _ in found} & {"蔣經國", "國防部"}
    # a quoted regulation: the country inside it is no mention
    law = spans_of("根據「中華人民共和國計算機信息網絡國際聯網管理暫行規定」處罰。")
    assert not [t for t, _ in law if t == "中華人民共和國"]
    # nor does the knowledge base find its names inside a title (the entity stage as it runs)
    assert {t for t, _, _ in names("國史館藏《外交部檔案》；「中華人民共和國計算機信息網絡國際聯網管理暫行規定」")} \
        == {"國史館"}


def test_a_country_and_a_trade_before_a_description_is_no_company():
    found = spans_of("中國電信設備大廠華為遭到封殺，法国电信巨头的创始人也表示关注。")
    assert ("華為", "ORG") in found
    assert not {t for t, _ in found} & {"中國電信", "法国电信"}
    assert not {t for t, l in spans_of("旗下銀行與美國上市公司") if l == "ORG"}


def test_transliterations_the_tagger_cuts_are_joined():
    found = spans_of("法國議員拉佛利爾說，南非總統拉瑪佛沙（Cyril Ramaphosa）表示同意。")
    assert {("拉佛利爾", "PERSON"), ("拉瑪佛沙", "PERSON")} <= found
    assert not {t for t, _ in found} & {"拉佛", "拉瑪"}
    assert ("古里亚", "PERSON") in spans_of("他将接替现任秘书长，墨西哥人古里亚。")
    assert ("安納杜魯新聞社", "ORG") in spans_of("（安納杜魯新聞社）")
    assert ("榮鼎集團", "ORG") in spans_of("美國研究機構榮鼎集團（Rhodium Group）指出")


def test_verbs_dates_and_common_words_are_not_names():
    assert spans_of("他已经被选为经济合作与发展组织新一任秘书长") == {("经济合作与发展组织", "ORG")}
    assert not spans_of("這項法案已於5月20日經參議院一致通過。")
    found = {t for t, _ in spans_of("以色列等國；浙江舟山市一名張姓男子；陸男翻牆；五大洲的領袖")}
    assert not found & {"等國", "張姓", "陸男", "五大洲"}
    found = {t for t, _ in spans_of("“中美新一轮冷战格局”；警方在香港部署6000警力")}
    assert not found & {"中美新一轮冷战格局", "香港部署"}


def test_offices_facilities_and_officers():
    found = spans_of("浙江省網信辦今天通報。台北捷運與臨江夜市。中央社記者裴禛攝 109年")
    assert {("浙江省網信辦", "ORG"), ("台北捷運", "GPE"), ("臨江夜市", "GPE"), ("裴禛", "PERSON")} <= found
    assert spans_of("體育署代理組長藍坤田表示") >= {("藍坤田", "PERSON")}
