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


def test_a_body_before_a_plain_meeting_word_is_listed_a_named_gathering_is_not():
    """GUIDELINES.md: "全國人大會議" is that body meeting (listed); a summit, a numbered plenum
    and a place's conference are names of their own (the body or place inside is not listed)."""
    found = labelled("全國人大會議今日開幕。他出席立法會會議時表示反對。聯合國人權理事會會議今日舉行。")
    assert {("全國人大", "ORG"), ("立法會", "ORG"), ("聯合國人權理事會", "ORG")} <= found
    named = labelled("亞太經合組織領導人非正式會議在秘魯舉行。中共二十屆三中全會召開。北戴河會議結束。")
    assert not {n for n, label in named if label == "ORG"} and "北戴河" not in {n for n, _ in named}


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


def test_a_married_womans_name_keeps_her_husbands_family_name():
    assert ("葉劉淑儀", "PERSON") in labelled("新民黨主席葉劉淑儀今日表示，支持政府的方案。")
    assert ("范徐麗泰", "PERSON") in labelled("前立法會主席范徐麗泰出席活動時說，香港前景光明。")
    found = labelled("前政務司司長陳方安生與李柱銘會面。")
    assert {("陳方安生", "PERSON"), ("李柱銘", "PERSON")} <= found
    assert not {("劉淑儀", "PERSON"), ("陳方", "PERSON")} & (
        labelled("行政會議召集人葉劉淑儀說，議員應該支持。") | found)
    # a side is still no name: 韓方 is Korea's side, not a family name
    assert not {n for n, label in labelled("韓方尊重一個中國的政策。") if label == "PERSON"}


def test_a_family_name_the_dictionary_reads_as_a_place_with_its_given_name():
    found = labelled("梁國雄與黃之鋒一同出庭。")
    assert ("梁國雄", "PERSON") in found and ("梁國", "GPE") not in found


def test_a_japanese_family_name_alone_is_the_person_named_in_full():
    found = labelled("日本首相高市早苗發表涉台言論。據報高市在國會答辯時稱，無意撤回。")
    assert {("高市早苗", "PERSON"), ("高市", "PERSON")} <= found
    # only as a word of its own: not inside "提高市場"
    found = labelled("日本首相高市早苗表示，要提高市場信心。")
    assert ("高市", "PERSON") not in found and ("高市早苗", "PERSON") in found


def test_a_name_before_a_facility_word_is_the_facility():
    found = labelled("單車賽道由中環伸延至金紫荊廣場，中環海濱一帶也會封閉。")
    assert {("金紫荊廣場", "GPE"), ("中環海濱", "GPE")} <= found
    assert ("金紫荊", "PERSON") not in found


def test_hong_kong_bureaux_whole_and_their_heads_titles():
    found = labelled("商務及經濟發展局與環境及生態局聯合公布計劃。")
    assert {("商務及經濟發展局", "ORG"), ("環境及生態局", "ORG")} <= found
    assert ("經濟發展局", "ORG") not in found
    # "X局局長" is the head's title: no name there, but the body elsewhere is one
    found = labelled("房屋局局長何永賢表示，房屋局會加快興建公屋。")
    assert {("房屋局", "ORG"), ("何永賢", "PERSON")} <= found
    found = labelled("文化體育及旅遊局局長羅淑佩說，門票已售三成。")
    assert not {n for n, label in found if label == "ORG"} and ("羅淑佩", "PERSON") in found
    found = labelled("創新科技及工業局局長孫東說，創新科技及工業局副秘書長鄭嘉慧也出席。")
    assert ("創新科技及工業局", "ORG") in found
    assert not {n for n, label in found if label == "ORG" and n != "創新科技及工業局"}


def test_a_bureau_with_a_word_holding_a_function_character_and_its_heads_title_written_short():
    """"政制及內地事務局": 地 inside 內地 is no function word; "商務及經濟發展局長" is its head's title
    written with one 局; "要求積極及客觀處理" holds no bureau (處 of 處理)."""
    found = labelled("政制及內地事務局亦晚上發稿一改說法。")
    assert ("政制及內地事務局", "ORG") in found and ("內地事務局", "ORG") not in found
    found = labelled("商務及經濟發展局長邱騰華今日出席立法會會議。")
    assert {n for n, label in found if label == "ORG"} == {"立法會"} and ("邱騰華", "PERSON") in found
    found = labelled("當局已向電台了解事件，並要求積極及客觀處理投訴。")
    assert not {n for n, label in found if label == "ORG"}


def test_a_committee_written_as_a_and_b_after_its_body_is_one_name_with_it():
    found = labelled("立法院外交及國防委員會明天將審查國防部預算。")
    assert ("立法院外交及國防委員會", "ORG") in found and ("國防委員會", "ORG") not in found
    found = labelled("立法會食物安全及環境衞生事務委員會今日開會。")
    assert ("立法會食物安全及環境衞生事務委員會", "ORG") in found
    # not a committee with no body before it, nor two bodies listed
    found = labelled("他們討論外交及國防委員會的角色。")
    assert ("外交及國防委員會", "ORG") not in found


def test_a_hong_kong_department_speaking_is_a_body():
    assert ("消防處", "ORG") in labelled("消防處回覆本台查詢時表示，目前沒有要求支援。")
    found = labelled("入境處發言人表示，運輸署呼籲市民提早計劃行程，水務署亦提醒市民。")
    assert {("入境處", "ORG"), ("運輸署", "ORG"), ("水務署", "ORG")} <= found
    # places, generic and pronoun bodies are not names
    found = labelled("有關當局表示會跟進。該署發言人指出，交界處表示歡迎。")
    assert not {n for n, label in found if label == "ORG"}


def test_sports_games_and_a_citys_status_are_no_organisations():
    found = labelled("全運會統籌辦主任楊德強表示，明早開始比賽。以多引擎推動香港國際金融中心發展。")
    assert not {n for n, label in found if label == "ORG"}
    assert {("楊德強", "PERSON"), ("香港", "GPE")} <= found


def test_hong_kong_variant_characters_are_read_as_their_standard_forms():
    from cfnews.transforms.zh_names import simplified
    assert simplified("衞生署") == simplified("衛生署") == "卫生署"
    # Simplified characters that are variants elsewhere stay as written
    assert simplified("抬頭著名") == "抬头著名"
    found = labelled("衞生署今日公布數字，衞生防護中心亦呼籲市民接種。")
    assert {("衞生署", "ORG"), ("衞生防護中心", "ORG")} <= found
    # the centre written right after its department is a unit of it: one name (body_chains)
    assert ("衞生署衞生防護中心", "ORG") in labelled("衞生署衞生防護中心今日公布數字。")


def test_a_department_heads_title_keeps_the_ministry_before_it_and_no_name_inside():
    found = labelled("中國外交部亞洲司司長劉勁松與日本外務省亞洲大洋洲局局長金井正彰磋商。")
    assert {("中國外交部", "ORG"), ("日本外務省", "ORG"), ("劉勁松", "PERSON")} <= found
    assert not {n for n, label in found if label == "ORG"} - {"中國外交部", "日本外務省"}
    assert ("大洋洲", "GPE") not in found


def test_a_commission_directors_title_is_a_title():
    found = labelled("國家發改委主任鄭柵潔表示，發改委將加快完善機制。")
    assert ("國家發改委", "ORG") not in found
    assert {("發改委", "ORG"), ("鄭柵潔", "PERSON")} <= found
    # another post keeps the body: 發言人 is no head
    assert ("國家發改委", "ORG") in labelled("國家發改委發言人表示，將加快完善機制。")


def test_a_short_form_before_its_leaders_title_is_a_body_the_generic_ones_are_not():
    assert ("社民連", "ORG") in labelled("社民連主席陳皓桓表示，會繼續抗爭。")
    assert ("支聯會", "ORG") in labelled("支聯會副主席鄒幸彤今日被捕，支聯會其後發表聲明。")
    assert ("學聯", "ORG") in labelled("學聯前秘書長周永康接受訪問。")
    found = labelled("工會主席表示支持，學生會主席、董事會主席和該會主席亦出席。")
    assert not {n for n, label in found if label == "ORG"}


def test_counted_spots_and_sets_are_no_bureaux():
    found = labelled("港九及新界多處出現水浸，球員在第五及第六局落後。")
    assert not {n for n, label in found if label == "ORG"}


def test_a_two_character_name_and_its_third_character_and_a_name_the_dictionary_reads_as_a_place():
    assert ("陳皓桓", "PERSON") in labelled("由陳皓桓帶領的遊行隊伍到達政府總部。")
    found = labelled("學者張崑陽認為，台灣社會分裂。")
    assert ("張崑陽", "PERSON") in found and ("崑陽", "GPE") not in found


def test_a_process_word_the_dictionary_tags_as_an_organisation_is_none():
    found = labelled("香港正加快推動中醫藥國際化。")
    assert ("國際化", "ORG") not in found and ("香港", "GPE") in found


def test_a_brand_and_a_company_word_where_the_text_says_company():
    """A rare brand and a company word are one organisation where a cue says company: shares
    moving, a list of firms, a gloss in brackets, a strong company word (集团, 控股)."""
    market = labelled("晶片股向下，恒瑞醫藥跌逾3%，華虹半導體升近2%。")
    assert {("恒瑞醫藥", "ORG"), ("華虹半導體", "ORG")} <= market
    listed = labelled("雲帆集團、拓峰智聯科技等企業負責人出席座談會。")
    assert {("雲帆集團", "ORG"), ("拓峰智聯科技", "ORG")} <= listed
    assert ("晶科能源", "ORG") in labelled("晶科能源表示，将在法国建厂。")


def test_a_country_before_a_brand_is_part_of_the_company_name():
    """GUIDELINES.md: "美国辉瑞"; the segmenter reads 太平 as a place."""
    found = labelled("持牌法團包括中國銀河國際證券（香港）。保單由中國太平保險（香港）承保。")
    assert {("中國銀河國際證券", "ORG"), ("中國太平保險", "ORG")} <= found
    assert ("太平", "GPE") not in found


def test_a_brand_alone_is_the_company_where_the_article_also_writes_its_full_name():
    found = labelled("華虹半導體公布業績。分析師認為華虹前景向好。")
    assert ("華虹", "ORG") in found
    assert ("華虹", "ORG") not in labelled("分析師認為華虹前景向好。")
    building = labelled("太古地產表示，東方匯理續租太古廣場二座。")
    assert ("太古地產", "ORG") in building and ("太古", "ORG") not in building


def test_company_words_after_common_words_or_descriptions_name_no_company():
    found = labelled("整間公司都很好，博彩公司的收入下跌。數字科技發展迅速，新能源汽車的銷量上升。"
                     "深港科技創新合作區，中美貿易衝突，駐台國際媒體增加，航太科技使用的鈦金屬。")
    assert not {n for n, label in found if label == "ORG"}


def test_a_casino_brand_and_its_market_is_a_company_where_the_text_says_so():
    """Macau's operators are named by brand and market ("金沙中國"); with a cue (shares moving, a
    list with another company) the pair is one organisation, not a person and a place."""
    found = labelled("澳門博彩股上升，銀河娛樂、金沙中國升逾4%，美高梅中國跌近1%。")
    assert {("銀河娛樂", "ORG"), ("金沙中國", "ORG"), ("美高梅中國", "ORG")} <= found
    assert ("金沙", "PERSON") not in found
    assert not {n for n, label in labelled("習近平在中國和美國。李明中國行。") if label == "ORG"}


def test_a_name_glossed_as_a_body_in_latin_letters_is_an_organisation_whole():
    """The gloss says what the Chinese before it is: a body's word ("Foundation", "Institute"),
    an acronym after a body's name, or a kind-of-body word before the name ("周刊"); the name runs
    back to that word, a verb or punctuation, and a name of three characters or more is the body
    wherever the article writes it again."""
    found = labelled("非營利組織綠色之橋（Green Bridge Foundation）昨日發表報告。綠色之橋指出，污染加劇。")
    assert ("綠色之橋", "ORG") in found
    found = labelled("美國智庫柯林伍德亞洲研究所（Collingwood Asia Institute）發表調查。")
    assert ("柯林伍德亞洲研究所", "ORG") in found and ("柯林伍德", "PERSON") not in found
    assert ("國際海員工會聯盟", "ORG") in labelled("學者向國際海員工會聯盟（IMWF）求助。")
    assert ("明鏡", "ORG") in labelled("德國周刊明鏡（Der Spiegel）報道，總理將訪華。")


def test_a_latin_gloss_of_a_person_place_or_term_makes_no_organisation():
    found = labelled("基地組織領袖拉登（Osama bin Laden）被擊斃，他生於利雅得（Riyadh）。")
    assert ("拉登", "PERSON") in found and not {n for n, label in found if label == "ORG" and "拉登" in n}
    found = labelled("國內生產總值（GDP）上升，智庫連結（Think Tank Network）成立，協會（WTA）表示。"
                     "他在社群媒體臉書（Facebook）發文，又出席歐洲聯賽（Europa League）。")
    assert not {n for n, label in found if label == "ORG"}


def test_a_glossed_name_runs_back_to_a_word_saying_what_kind_of_body_it_is():
    found = labelled("據以色列第一大報新晨報（Morning News）報道，主辦亞太經合會（APEC）的秘魯表示歡迎。")
    assert ("新晨報", "ORG") in found and ("亞太經合會", "ORG") in found
    assert not {n for n, label in found if label == "ORG" and n.startswith(("以色列", "第一", "主辦"))}


def test_museums_and_memorial_halls_are_organisations_and_a_county_is_no_person():
    found = labelled("代表團參觀了大悟縣博物館，又到南華紀念館獻花。市民到灣仔的日本文化館示威。")
    assert {("大悟縣博物館", "ORG"), ("南華紀念館", "ORG"), ("日本文化館", "ORG")} <= found
    assert ("大悟縣", "PERSON") not in found and ("日本", "GPE") not in found
    assert ("鍾祥市", "GPE") in labelled("他出生於鍾祥市。")


def test_a_body_before_a_festival_word_is_the_festival_no_organisation():
    found = labelled("康文署本月舉辦「香港博物館節」，推出多項活動。")
    assert ("香港博物館", "ORG") not in found


def test_a_place_opens_a_body_whose_name_holds_verbal_nouns():
    """"南韓文化體育觀光部": the dictionary's verbal nouns (体育/vn, 仲裁/vn) and 对外/s inside a
    body's name that a place opens do not cut it; not across 和 ("在法国投资设厂和研究中心")."""
    found = labelled("消息引述北韓文化體育觀光部表示，又與英國對外關係委員會交流，爭議要經德國國際經濟貿易仲裁委員會解決。")
    assert {("北韓文化體育觀光部", "ORG"), ("英國對外關係委員會", "ORG"),
            ("德國國際經濟貿易仲裁委員會", "ORG")} <= found
    found = labelled("華為繼續在法國投資設廠和研究中心。")
    assert not {n for n, label in found if label == "ORG" and n.startswith("法國")}


def test_a_province_or_city_before_the_place_that_opens_a_body_is_part_of_its_name():
    found = labelled("案件在吉林省長春市中級人民法院審理，他又在湖南省香港商會晚宴致辭。")
    assert {("吉林省長春市中級人民法院", "ORG"), ("湖南省香港商會", "ORG")} <= found
    assert ("長春市中級人民法院", "ORG") not in found and ("湖南省", "GPE") not in found


def test_a_function_word_glued_to_a_name_is_no_part_of_it():
    """The segmenter glues "曾", "亦", "於", "向" to a name: the name stands without it, and a
    family name with such a word is no name; a run joined by "與" is no name."""
    found = labelled("前議員李芝殷曾在今年表示，會後何桂藍亦未有回應。")
    assert {("李芝殷", "PERSON"), ("何桂藍", "PERSON")} <= found
    assert not {n for n, _ in found if n in ("李芝殷曾", "何桂藍亦")}
    alone = labelled("法官認為黃於香港受審較為有利，黃亦未有回應。散庭後，黃向記者說：「多謝。」")
    assert not {n for n, label in alone if label == "PERSON"}
    assert ("曾與林鄭共事", "PERSON") not in labelled("他是工會總幹事，曾與林鄭共事。")
    assert ("梁振英", "PERSON") in labelled("她曾和梁振英共事。")


def test_shows_gatherings_venues_and_communiques_are_no_organisations():
    """GUIDELINES.md: events are no organisations; a venue is a place, a communiqué a document."""
    for text in ("她十歲舉行首個鋼琴獨奏音樂會，其後在音樂廳演出。",
                 "市民在維園集會，又到灣仔參加同樂運動會。",
                 "他在貴賓廳與客人見面，又出席新年演唱會。",
                 "雙方重申遵守三個「聯合公報」。",
                 "警方發出《警情通報》。《通報》又指，案件仍在調查。"):
        assert not {n for n, label in labelled(text) if label == "ORG"}, text
    assert ("明報", "ORG") in labelled("文章刊於《明報》。")
    assert ("中華全國總工會", "ORG") in labelled("中華全國總工會在北京召開會議。")


def test_a_lexicon_name_written_with_figures_is_kept():
    """GUIDELINES.md: digits are allowed in a name (香港01); the lexicon knows this outlet."""
    assert ("香港01", "ORG") in labelled("網媒香港01昨日報導，政府將公布新措施。")
    assert ("香港01", "ORG") in labelled("《香港01》記者追問局長。")
    assert not {n for n, _ in labelled("他在2023年12月25日及30日兩度出庭。") if any(c.isdigit() for c in n)}


def test_an_outlet_named_by_a_reporting_credit_is_an_organisation():
    """A report's credit names its outlet ("（X報導）", "【X報道】", "（X記者…"), and a name in
    title marks with a newsroom's word is an outlet ("《X》記者", "接受《X》訪問"); generic credits
    and laws are not."""
    assert ("港媒", "ORG") not in labelled("（港媒報導）政府今日宣布新措施。")   # media in general
    assert ("東網", "ORG") in labelled("（東網報導）政府今日宣布新措施。")
    assert ("港聞社", "ORG") in labelled("【港聞社報道】政府今日宣布新措施。")
    assert ("明周", "ORG") in labelled("他接受《明周》訪問時說，會繼續創作。")
    assert ("晴報", "ORG") in labelled("《晴報》記者追問局長。")
    for text in ("（綜合報道）政府今日宣布新措施。", "（本報記者王明）政府今日宣布新措施。",
                 "案件由《國安法》指定法官審理。", "他引述《施政報告》指，房屋供應增加。"):
        assert not {n for n, label in labelled(text) if label == "ORG"}, text


def test_whose_capital_or_which_board_describes_a_company():
    for text in ("議員促請政府調查美資公司的供應鏈。", "今年共有五家興櫃公司轉上市。", "港資公司在大灣區設廠。"):
        assert not {n for n, label in labelled(text) if label == "ORG"}, text
    assert ("螞蟻集團", "ORG") in labelled("螞蟻集團暫緩上市。")


def test_a_street_written_after_its_district_is_a_place():
    """GUIDELINES.md: streets are places; the district written before says so."""
    assert ("彌敦道", "GPE") in labelled("示威者昨晚在旺角彌敦道集結。")
    assert ("怡和街", "GPE") in labelled("警方封鎖銅鑼灣怡和街一帶。")
    assert ("侯王道", "GPE") in labelled("九龍城侯王道今日封路。")
    titled = labelled("加拿大總理杜魯道今天表示支持。")
    assert ("杜魯道", "PERSON") in titled and not {n for n, _ in titled if n.startswith("總理")}
    for text in ("香港市民上街遊行。", "他今天告訴美國有線電視新聞頻道，會再參選。"):
        assert not {n for n, _ in labelled(text) if n[-1] in "街道路"}, text


def test_a_bodys_short_form_where_it_acts_or_is_listed_beside_a_body():
    """Two characters ending in a body's character, rare in the dictionary: a body where its
    head's title, an acting verb or a programme follows, or beside another body in a list."""
    assert ("記協", "ORG") in labelled("記協主席今日表示關注。")
    assert ("房署", "ORG") in labelled("房署表示，地盤已暫停施工。")
    assert ("商台", "ORG") in labelled("他昨晚在商台節目中談及事件。")
    assert ("教協", "ORG") in labelled("工聯會、教協等團體發表聯合聲明。")
    for text in ("薄瓜瓜傳出抵台。", "學生發起網上聯署。", "房屋局局長出席活動。"):
        assert not {n for n, label in labelled(text) if label == "ORG"}, text
    assert not {n for n, _ in labelled("食環署表示會跟進。") if n == "環署"}


def test_a_hong_kong_street_of_the_lands_departments_list_is_a_place():
    """kb/zh_hk_streets.txt (the Government's street names) are places wherever written; the
    list's common words were left out, and it does not move how other text is cut."""
    assert ("亞皆老街", "GPE") in labelled("遊行人士沿亞皆老街前進。")
    assert ("鴨寮街", "GPE") in labelled("消防員趕到鴨寮街救火。")
    assert ("上海街", "GPE") not in labelled("他在上海街頭拍照。")
    assert ("世衛", "ORG") in labelled("這些國家與歐盟和世衛呼籲加強合作。")


def test_a_third_character_glued_to_the_next_word_belongs_to_the_name():
    """"戴偉" + "紳說", "曾澍" + "基則", "李卓" + "人" + "和": three-character names; a dictionary
    word after a two-character name stays apart ("吳謙" + "聲稱")."""
    assert ("李卓人", "PERSON") in labelled("李卓人和黎智英昨日出庭。")
    assert ("戴偉紳", "PERSON") in labelled("總領事戴偉紳說，會繼續推動交流。")
    assert ("曾澍基", "PERSON") in labelled("學生會會長曾澍基則表示反對。")
    assert ("吳謙", "PERSON") in labelled("吳謙聲稱，解放軍會堅決捍衛主權。")


def test_armed_forces_named_by_their_country_or_as_themselves_are_organisations():
    """SOURCES.md (annotation calls of 2026-12-05g): 美軍, 俄軍, 自衛隊, 海上自衛隊 and a country's
    forces (印度空軍) are organisations; troops ("中國軍隊") and a branch alone ("空軍") are not."""
    found = labelled("俄軍昨日撤出該鎮，美軍與航空自衛隊舉行聯合演習，國軍亦派員觀摩。")
    assert {("俄軍", "ORG"), ("美軍", "ORG"), ("航空自衛隊", "ORG"), ("國軍", "ORG")} <= found
    found = labelled("他說，泰國武裝部隊將於下月撤離邊境。")
    assert ("泰國武裝部隊", "ORG") in found and ("泰國", "GPE") not in found
    found = labelled("中國軍隊在邊境集結，空軍表示密切監視。美國軍艦本週駛過海峽，他在1日軍事政變後離開。")
    assert not {n for n, label in found if label == "ORG"}


def test_a_body_and_the_units_written_after_it_are_one_name():
    """GUIDELINES.md: names inside a longer name are not listed apart; a body's department,
    branch or school written right after it is part of its name."""
    assert ("廣州市公安局天河分局", "ORG") in labelled("廣州市公安局天河分局今日發出通告。")
    found = labelled("衞生署衞生防護中心總監表示，疾管署南區管制中心亦指出，")
    assert {("衞生署衞生防護中心", "ORG"), ("疾管署南區管制中心", "ORG")} <= found
    assert ("衞生署", "ORG") not in found
    assert ("中國駐英國大使館文化處", "ORG") in labelled("中國駐英國大使館文化處發表聲明。")
    assert ("清華大學新聞系", "ORG") in labelled("他畢業於清華大學新聞系。")


def test_an_organisation_named_as_a_unit_right_after_its_body_is_one_name_with_it_not_any_other():
    found = labelled("另一方面，國務院港澳辦發言人昨日指出，")
    assert ("國務院港澳辦", "ORG") in found and not {("國務院", "ORG"), ("港澳辦", "ORG")} & found
    assert ("國際特赦組織台灣分會", "ORG") in labelled("今日，國際特赦組織台灣分會與許多演唱者發表聲明。")
    found = labelled("而香港公共事業工會聯合會副主席李廣宇落敗。")
    assert ("香港公共事業工會聯合會", "ORG") in found
    # no unit of a description, a post, a party in a legislature, nor after a date
    found = labelled("日本執政黨自民黨在黨內成立小組。")
    assert ("自民黨", "ORG") in found and not any(n.endswith("執政黨自民黨") for n, _ in found)
    found = labelled("伊朗召見德國駐伊朗大使館臨時代辦表達抗議。")
    assert ("德國駐伊朗大使館", "ORG") in found and ("德國駐伊朗大使館臨時代辦", "ORG") not in found
    found = labelled("立法院司法及法制委員會國民黨籍召委吳宗憲，排定今日審查。")
    assert ("立法院司法及法制委員會", "ORG") in found
    assert not any(n.endswith("召委") for n, _ in found), found       # a member's party and post
    found = labelled("民進黨立法院黨團幹事長吳思瑤說，新民黨立法會議員容海恩今日也表示，")
    assert {("民進黨", "ORG"), ("立法院", "ORG"), ("新民黨", "ORG"), ("立法會", "ORG")} <= found
    found = labelled("同年 12 月 5 日经邳州市检察院批准逮捕。")
    assert ("邳州市检察院", "ORG") in found and ("日经邳州市检察院", "ORG") not in found


def test_no_unit_across_a_verb_a_rank_a_conjunction_or_before_its_heads_title():
    assert labelled("外交部亞洲司司長會見他。") == {("外交部", "ORG")}
    assert ("國安處", "ORG") in labelled("國安處高級警司李明表示，")
    assert labelled("美軍會考慮部署無人機，美軍部署無人機。") == {("美軍", "ORG")}
    assert {("外交部", "ORG"), ("商務處", "ORG")} <= labelled("他與外交部和商務處聯繫。")
    found = labelled("外交部駐港公署發言人批評，")
    assert ("外交部", "ORG") in found and not any(n.startswith("外交部駐") for n, _ in found)


def test_islands_and_bases_after_a_place_are_places_not_people():
    found = labelled("漁船駛近種子島附近，美艦停泊橫須賀基地，部隊進駐沖繩基地。")
    assert {("種子島", "GPE"), ("橫須賀基地", "GPE"), ("沖繩基地", "GPE")} <= found
    assert not {n for n, label in found if label == "PERSON"}
    found = labelled("美國在日本基地部署無人機。")   # a country's base: the country, no name
    assert ("日本", "GPE") in found and not any(n.endswith("基地") for n, _ in found)


def test_a_bodys_first_two_characters_are_its_short_form_where_it_is_named_in_full():
    found = labelled("海巡署今日偵獲一艘漁船越界。海巡呼籲對方立即離開。")
    assert {("海巡署", "ORG"), ("海巡", "ORG")} <= found
    # not a dictionary word ("立法" of 立法會), not after a title's word ("候任")
    found = labelled("立法會今日開會，立法工作繁重。候任立法會議員出席，候任議員表示支持。")
    assert ("立法", "ORG") not in found and ("候任", "ORG") not in found


def test_a_mission_sent_by_the_party_or_written_from_its_station_word_is_one_name():
    """"中共驻X使馆" (the party as sender) and "驻X大使馆" with no sender are one organisation as
    written; a common noun as host ("驻当地大使馆") makes no mission's name."""
    found = labelled("中共駐德國大使館發表聲明，中共駐巴黎使館回應。")
    assert {("中共駐德國大使館", "ORG"), ("中共駐巴黎使館", "ORG")} <= found
    assert ("德國大使館", "ORG") not in found and ("巴黎使館", "ORG") not in found
    found = labelled("她曾在外交部歐洲司、駐瑞典大使館等工作。")
    assert ("駐瑞典大使館", "ORG") in found and ("瑞典大使館", "ORG") not in found
    found = labelled("他們前往中國駐當地大使館抗議。")
    assert not {n for n, label in found if label == "ORG"} and ("中國", "GPE") in found
    assert ("台灣駐美國台北經濟文化代表處", "ORG") in labelled("台灣駐美國台北經濟文化代表處發表聲明。")


def test_prisons_and_detention_centres_named_by_place_or_own_name_are_places():
    found = labelled("他目前關押在依蘭縣看守所，後轉往秦城監獄，再押於長沙市第一看守所。")
    assert {("依蘭縣看守所", "GPE"), ("秦城監獄", "GPE"), ("長沙市第一看守所", "GPE")} <= found
    assert ("依蘭縣", "GPE") not in found and ("長沙市", "GPE") not in found
    found = labelled("羈押於廣州市番禺看守所期間，她今日在赤柱監獄探望他。")
    assert {("廣州市番禺看守所", "GPE"), ("赤柱監獄", "GPE")} <= found
    # a kind of prison, a prison's body, a prison with no name: no place
    found = labelled("她在女子監獄服刑，美國聯邦監獄局表示，他被送進監獄。")
    assert not {n for n, label in found if label == "GPE" and n.endswith("監獄")}
    assert ("美國聯邦監獄局", "ORG") in found


def test_a_periodical_in_guillemets_glossed_quotes_or_titled_before_its_kind_is_an_outlet():
    found = labelled("德國外長馬斯在週一出版的德國 « 商報 »上撰文。")
    assert ("商報", "ORG") in found
    assert ("商報", "ORG") in labelled("「商報」（Handelsblatt）報導，新法賦予政府權力。")
    assert ("科學", "ORG") in labelled("18位科學家在《科學》雜誌上發表公開信。")
    # quotation marks with no Latin gloss are a quotation, not a title
    assert not labelled("他說「這是日報」，")


def test_a_one_character_owner_before_a_known_body_is_left_out():
    """"美國防部" is 美 + 國防部 (GUIDELINES.md: one-character short forms are no places); a
    country written in full stays part of the body's name."""
    found = labelled("美國防部上週增列九家中企，在台內政部官員表示反對。")
    assert {("國防部", "ORG"), ("內政部", "ORG")} <= found
    assert ("美國防部", "ORG") not in found and ("台內政部", "ORG") not in found
    assert ("美國國防部", "ORG") in labelled("美國國防部表示，")


def test_a_website_named_in_quotation_marks_is_an_outlet_going_online_is_not():
    assert ("中國輿論監督網", "ORG") in labelled("「中國輿論監督網」創辦人李新德被判刑。")
    assert ("異言網", "ORG") in labelled("研究機構21日公布「異言網」的監測資料。")
    assert not labelled("他用翻牆軟體「進行非法國際連網」，")


def test_a_countrys_coast_guard_and_armed_police_are_organisations():
    """As a country's armed forces (GUIDELINES.md): the coast guard and armed police written after
    their country are one organisation, the country inside it."""
    found = labelled("越南海岸警衛隊昨日攔截漁船，日本海岸防衛隊亦派艦監視。")
    assert {("越南海岸警衛隊", "ORG"), ("日本海岸防衛隊", "ORG")} <= found
    assert ("越南", "GPE") not in found and ("日本", "GPE") not in found
    found = labelled("泰國武裝警察與軍隊將進駐該島，印尼海警表示將加強巡邏。")
    assert {("泰國武裝警察", "ORG"), ("印尼海警", "ORG")} <= found
    # no country before it: a kind of force, left as it was
    assert not {n for n, label in labelled("武裝警察在街頭巡邏。") if label == "ORG"}


def test_an_outlet_in_title_marks_with_a_newsroom_act_later_in_its_clause_or_named_in_full():
    """GUIDELINES.md: an outlet's name in title marks is an organisation. Its newsroom's act may
    come after an adverb, a date or an object; an outlet named in full is the same outlet when
    written without its kind's word."""
    assert ("明報", "ORG") in labelled("《明報》本周三（8 日）報道，政府將修例。")
    assert ("東方", "ORG") in labelled("《東方》已向警方查詢，至截稿時未獲回覆。")
    assert ("環球", "ORG") in labelled("《環球》並引述消息人士指，會議將延期。")
    found = labelled("《信報財經新聞》昨日宣佈改組。員工表示，《信報財經》停刊令人惋惜。")
    assert ("信報財經", "ORG") in found
    # a book or song in title marks with no newsroom's act in its clause stays unnamed
    found = labelled("他在台上演唱《海闊天空》，全場起立。《海闊天空》的作者表示感謝。")
    assert not {n for n, label in found if label == "ORG"}


def test_a_country_before_a_university_or_institute_is_part_of_its_name():
    found = labelled("她後來考入奧地利維也納音樂學院，現為瑞士蘇黎世聯邦理工學院教授。")
    assert {("奧地利維也納音樂學院", "ORG"), ("瑞士蘇黎世聯邦理工學院", "ORG")} <= found
    assert ("奧地利", "GPE") not in found and ("瑞士", "GPE") not in found
    # an international body after a country is not the country's
    found = labelled("法國歐盟事務部長表示，")
    assert ("法國歐盟", "ORG") not in found


def test_a_city_or_province_before_its_body_is_part_of_the_name():
    """GUIDELINES.md: a city written directly before a body that belongs to it is part of the name
    (a province before its city's body too); not a street, nor a body above the place."""
    found = labelled("香港律政司今日決定不提出上訴，江蘇南京市教育局亦發出通知。")
    assert {("香港律政司", "ORG"), ("江蘇南京市教育局", "ORG")} <= found
    assert ("律政司", "ORG") not in found and ("江蘇", "GPE") not in found
    assert ("四川成都市中級人民法院", "ORG") in labelled("四川成都市中級人民法院判處他三年徒刑。")
    assert ("香港迪士尼", "ORG") not in labelled("他在香港迪士尼工作。")   # a park, not a body


def test_a_news_site_acting_as_a_newsroom_or_listed_among_sources_is_an_outlet():
    """GUIDELINES.md: a named portal that publishes is an organisation, like a media outlet."""
    found = labelled("公民監察網10月底也曾報導此事，湖南政務服務網昨日一度公告名單。")
    assert {("公民監察網", "ORG"), ("湖南政務服務網", "ORG")} <= found
    assert ("鳳凰網", "ORG") in labelled("資料來源： 明報 、 鳳凰網 、 南華早報")
    # a network of another kind, a body's official site, a name glossed before it: no outlet
    found = labelled("警方破獲電信網路詐騙集團，衛健委官網昨日公布數字，美國之音（VOA）中文網報導。")
    assert not any(n.endswith("網") for n, label in found if label == "ORG")


def test_a_court_named_by_its_level_is_an_organisation():
    """Hong Kong's and Taiwan's courts named by their level alone are those courts (as 終審法院
    and 最高人民法院 are): 高等法院, its short form 高院, 區域法院."""
    found = labelled("他昨日入稟高院追討欠款，案件將由高等法院審理；另案今日在區域法院提堂。")
    assert {("高院", "ORG"), ("高等法院", "ORG"), ("區域法院", "ORG")} <= found


def test_taiwans_bodies_state_companies_and_parties_by_their_short_forms():
    found = labelled("中選會昨日公告名單，立院今天三讀通過預算，台電與北捷均表示配合。")
    assert {("中選會", "ORG"), ("立院", "ORG"), ("台電", "ORG"), ("北捷", "ORG")} <= found
    found = labelled("台灣基進今日召開記者會，台灣基進黨主席表示，退輔會應說明。")
    assert {("台灣基進", "ORG"), ("台灣基進黨", "ORG"), ("退輔會", "ORG")} <= found


def test_armed_groups_by_their_transliterations_are_organisations():
    found = labelled("塔利班昨日宣布控制該省，哈瑪斯與真主黨發表聲明支持。")
    assert {("塔利班", "ORG"), ("哈瑪斯", "ORG"), ("真主黨", "ORG")} <= found
    assert not {n for n, label in found if label == "PERSON"}


def test_a_body_opening_a_treatys_or_charters_name_is_inside_that_name():
    """GUIDELINES.md: laws and treaties are no organisations and names inside a longer name are
    not listed; the body acting beside a treaty is listed."""
    found = labelled("依據聯合國海洋法公約，他們援引（聯合國）氣候變化綱要公約，並重申聯合國憲章。")
    assert not {n for n, label in found if label == "ORG"}
    assert ("聯合國", "ORG") in labelled("聯合國昨日通過公約，要求各國遵守。")


def test_an_office_abroad_written_from_its_station_word_after_a_verb_date_or_pronoun():
    """Taiwan's offices abroad are mostly written from 駐 with no sender, after a verb, a
    preposition, a date or 我國 ("指定駐波蘭代表處", "與駐美國台北經濟文化代表處", "18 日駐立陶宛台灣
    代表處"), also in a photo credit; missions to a union are missions too ("駐歐盟使團"). Not after
    a noun that may be an unjoined sender, a count ("首批駐華大使館": any embassy) or a sender's
    Latin gloss (the glossed sender's own mission, GUIDELINES' scope)."""
    found = labelled("外交部今天指定駐波蘭代表處兼轄烏克蘭領務。（駐日代表處提供）處長與駐美國台北經濟文化代表處"
                     "代表出席。2021 年 11 月 18 日駐立陶宛台灣代表處正式掛牌，我國駐瑞士代表處表示歡迎。")
    assert {("駐波蘭代表處", "ORG"), ("駐日代表處", "ORG"), ("駐美國台北經濟文化代表處", "ORG"),
            ("駐立陶宛台灣代表處", "ORG"), ("駐瑞士代表處", "ORG")} <= found
    found = labelled("他曾在駐新加坡大使館、駐歐盟使團工作，後任中國駐歐盟使團參贊。")
    assert {("駐歐盟使團", "ORG"), ("中國駐歐盟使團", "ORG")} <= found
    found = labelled("他們是首批駐華大使館同性伴侶。帛琉旅遊管理局（Palau Visitors Authority）駐台辦事處舉辦活動。")
    assert not {n for n, label in found if label == "ORG" and n.startswith("駐")}


def test_an_office_before_its_heads_title_is_that_title():
    """GUIDELINES.md: a title built on the body's name is its head's ("辦事處處長", "辦事處長"); the
    office written as itself stays one name."""
    found = labelled("駐橫濱辦事處處長張淑玲出席。駐紐約辦事處長李光章致詞。駐日代表處官員協助。")
    assert ("駐日代表處", "ORG") in found
    assert not {n for n, label in found if label == "ORG" and n.endswith("辦事處")}


def test_a_listed_company_before_its_stock_code_is_an_organisation():
    """Hong Kong's and Taiwan's news write a listed company with its stock code in brackets; the
    words before the code are its name, not the description before them, and the same name
    elsewhere in the article is the company too. Not a year, a count, an officer's number or
    a place's figure."""
    found = labelled("陽明（2609）股價強攻漲停，帶動長榮（2603）與新興（2605）。業主誠品生活（2926）減租。"
                     "壹傳媒（282）今日宣布。永利（1128）跌超過兩成，美高梅（2282）、澳博（0880）亦跌。"
                     "總部在拉斯維加斯的永利表示。上市公司高銀金融（0530）主席回應，手機晶片廠聯發科（2454）跌。")
    assert {("陽明", "ORG"), ("長榮", "ORG"), ("新興", "ORG"), ("誠品生活", "ORG"), ("壹傳媒", "ORG"),
            ("永利", "ORG"), ("美高梅", "ORG"), ("澳博", "ORG"), ("高銀金融", "ORG"), ("聯發科", "ORG")} <= found
    assert not {n for n, _ in found} & {"業主誠品生活", "上市公司高銀金融", "手機晶片廠聯發科"}
    assert ("永利", "GPE") not in found
    found = labelled("去（2021）年營收增加，媒體關心明（110）年計劃。就診人次（7422）下降，超過東京（6426）。"
                     "警員黎慶森（25747）作供。2號機（6672）失聯。")
    assert not {n for n, label in found if label == "ORG"}
    found = labelled("這部片由麥特戴蒙（神鬼認證）、丹尼爾克雷格（007）主演。")
    assert not {n for n, label in found if label == "ORG"}


def test_a_former_assistant_or_acting_heads_title_on_a_body_is_still_a_title():
    """GUIDELINES.md: a title built on the body's name is its head's; "原", "助理", "代理" between
    them keep it one ("公安部原副部長", "警務處助理處長", "財政部助理部長")."""
    found = labelled("公安部原副部長孟宏偉被判刑。退休警務處助理處長鄔達士受傷。報道引述前財政部助理部長表示。")
    assert not {n for n, label in found if label == "ORG"}
    assert {("孟宏偉", "PERSON"), ("鄔達士", "PERSON")} <= found
    assert ("外交部", "ORG") in labelled("外交部原則上同意。")


def test_hong_kongs_bodies_universities_and_groups_by_their_short_forms():
    """The lexicon's Hong Kong short forms (general knowledge): 支聯會, 中大, 廉署, 勞工處, 人行 …;
    a quoted event's name holds no body ("「中大暴動」"), nor is "舊部" (old subordinates) a body's
    unit."""
    found = labelled("政府解散支聯會後，廉署、勞工處及食衞局回應，中大與理大亦發聲明。中行與人行簽署協議，政協委員出席。")
    assert {("支聯會", "ORG"), ("廉署", "ORG"), ("勞工處", "ORG"), ("食衞局", "ORG"), ("中大", "ORG"),
            ("理大", "ORG"), ("中行", "ORG"), ("人行", "ORG"), ("政協", "ORG")} <= found
    found = labelled("他先後討論「中大暴動」及「理大暴動」事件，又借調入境處舊部下。")
    assert not {n for n, label in found if label == "ORG"} - {"入境處"}


def test_the_peoples_bank_short_form_is_not_read_inside_what_pedestrians_walk_on():
    """人行 (the People's Bank) is in the lexicon; 人行隧道, 人行天橋, 人行過路處 … are walkways."""
    found = labelled("市民在人行天橋上等候，人行隧道暫時關閉；運輸署表示，人行過路處及人行徑下月啟用，"
                     "人行專用區亦會擴大。")
    assert not {name for name, label in found if name.startswith("人行")}
    assert ("人行", "ORG") in labelled("人行維持貸款市場報價利率不變，人行隧道則關閉。")


def test_a_body_opening_an_electoral_sectors_name_is_inside_that_name():
    """GUIDELINES.md: names inside a longer name are not listed; a sector's or constituency's
    name ("人大政協界別", "選舉委員會界別") is one, and no organisation. The body written as itself
    stays one."""
    found = labelled("他宣布參選人大政協界別，另一人則角逐選舉委員會界別議席。")
    assert not {n for n, label in found if label == "ORG"}
    assert ("政協", "ORG") in labelled("他宣布參選人大政協界別，政協委員亦表態支持。")


def test_a_newsroom_desk_written_after_its_outlet_is_one_name():
    """A desk of an outlet ("香港電台" + "公共事務組", "眾新聞" + "中國組") is one organisation;
    a body's panel ("世衛小組"), a crew ("機組") or a competition's category is not."""
    found = labelled("記者收到香港電台公共事務組通知，眾新聞中國組記者亦到場採訪。")
    assert {("香港電台公共事務組", "ORG"), ("眾新聞中國組", "ORG")} <= found
    assert not {n for n, _ in found if n in ("香港電台", "眾新聞")}
    found = labelled("世衛小組今天抵達，香港電台小組隨行，國泰機組人員則留在酒店。")
    assert not {n for n, _ in found if n.endswith("組")}


def test_a_task_force_named_in_quotes_is_an_organisation():
    """"國安會「烏克蘭情勢因應小組」": a panel with a name of its own, in quotes; a bare
    "「專家小組」" names none."""
    found = labelled("國安會「烏克蘭情勢因應小組」今天開會，衛福部另設「專家小組」。")
    assert ("烏克蘭情勢因應小組", "ORG") in found
    assert not {n for n, _ in found if "專家" in n}


def test_hong_kongs_news_outlets_by_their_names():
    """The lexicon's Hong Kong outlets (general knowledge): 眾新聞, 立場新聞, 有線新聞, 無綫新聞."""
    found = labelled("眾新聞報道，立場新聞、有線新聞及無綫新聞均派記者到場。")
    assert {("眾新聞", "ORG"), ("立場新聞", "ORG"), ("有線新聞", "ORG"), ("無綫新聞", "ORG")} <= found


def test_an_outlets_short_form_that_is_also_a_pair_of_places_is_the_outlet_where_it_is_named_in_full():
    """港台 is RTHK's short form and also Hong Kong and Taiwan together: the outlet only in an
    article that names 香港電台, and not in a pair's phrase there."""
    found = labelled("香港電台今日公布新節目。議員問港台是否仍可存在不偏不倚的報道。")
    assert {("香港電台", "ORG"), ("港台", "ORG")} <= found
    found = labelled("香港電台今日公布新節目。他認為港台關係緊張。")
    assert ("港台", "ORG") not in found
    assert ("港台", "ORG") not in labelled("議員問港台是否仍可存在不偏不倚的報道。")


def test_a_dates_day_glued_to_via_is_no_agency_nor_a_unit_glued_to_an_adverb():
    found = labelled("同年 12 月 5 日經邳州市檢察院批准逮捕。港台在 1 月 25 日經時任廣播處長同意下發表聲明。")
    assert not any(n.startswith("日經") for n, _ in found)
    found = labelled("並於電視直播決賽，港台公共事務組亦會派出主持擔任各場淘汰賽的主席。")
    assert not any(n.endswith("亦會") for n, _ in found)
    assert ("日經", "ORG") in labelled("據日經報道，豐田將加薪。")


# --- the rules of the Vocus round (`zh_names._late_corrections`) ---------------------------------

PLACE = ("GPE", "LOC", "FAC")

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
