"""Chinese person, place and organisation names beyond the knowledge base: jieba's part-of-
speech tagger (its dictionary and HMM ship in the package; nothing is downloaded), run on a
character-for-character Simplified copy of the text so Traditional articles get the same tagger
and the offsets stay those of the text as written. The knowledge base links on top
(entity_linking.link_entities): canonical names and QIDs where it knows the name, the name as
written otherwise.

jieba tags: nr (person), nrfg / nrt (person: full or transliterated name), ns (place), nt
(organisation). On top of the tags:
- a lexicon the tagger is given as user words, whose type wins over jieba's: country, region
  and city names from CLDR (babel, in Simplified, Taiwan and Hong Kong forms), the knowledge
  base's Chinese names, kb/zh_lexicon.yaml (provinces, seas, short forms of bodies and media) and
  kb/zh_hk_orgs.yaml (Hong Kong parties, groups and unions: Wikidata labels and aliases) and
  kb/zh_hk_streets.txt (Hong Kong street names: the Lands Department's open data);
- organisation names built from a place or name and an organisation word ("法国" + "宪法" +
  "委员会", "中国" + "民航局"), with "X政府" and "X当局" left out (X is the name);
- transliterated names the tagger cuts in pieces ("格奥尔基" + "耶娃") joined again, and
  transliterations it calls people read as places where the context says so ("在威尼斯",
  "斯特拉斯堡、图卢兹和雷恩");
- bylines ("记者陈伟婷台北7日电", "编辑：张淑伶/翟思嘉") read as people, and outlets named by a
  reporting credit ("（独媒报导）", "《立场》报道", "接受《X》访问") as organisations;
- names without the function word glued to their end ("陈时中" + "曾"), with the third character
  glued to the next word ("戴伟" + "绅说"); streets written after their district ("铜锣湾" +
  "怡和街"); bodies' short forms where they act ("记协主席", "房署表示");
- people named between a title and a verb ("行政总裁周受资，"), in every later mention, with a
  monarch's number ("费利佩六世"); companies by the words around a transliteration ("车厂福斯");
- armed forces named by their country or as themselves ("美军", "国军", "海上自卫队", "菲律宾武装
  部队"); a body and the units written right after it as one name ("三亚市公安局" + "吉阳分局",
  "中国驻美国大使馆" + "经济商务处", an outlet's desk: "香港电台" + "公共事务组", an organisation
  named as a unit right after its body: "国务院" + "港澳办", "国际特赦组织" + "台湾分会", not a
  party's seat in a legislature: "民进党" + "立法院": `body_chains`, run by the entity stage after
  LAC's organisations), a legislature's committee "A及B委员会" ("立法院外交及国防委员会") and
  Hong Kong's bureaux "A及B局" ("政制及内地事务局"), and a body's first two characters as its
  short form where the article names it in full ("海巡署" … "海巡呼吁": `shortened_bodies`);
  islands and towns the tagger calls people ("种子岛"/nr) and bases, island groups and straits
  after a place ("横须贺" + "基地", "西南" + "群岛") as places, not a country's base ("日本基地");
- a mission sent by the ruling party ("中共驻法国使馆") or written from its "驻" on with no sender
  ("、驻新加坡大使馆"; Taiwan's offices abroad after a verb, a date or 我国: "指定驻波兰代表处",
  "我国驻瑞士代表处"; a union's: "驻欧盟使团") as one organisation, not one whose host is a common
  noun ("驻当地大使馆"), after a count ("首批驻华大使馆") or after its sender's Latin gloss, nor
  an office before its head's title ("驻横滨办事处处长");
- a listed company written with its stock code in brackets ("永利（1128）", "阳明（2609）",
  "高银金融（0530）", not the description before it: "上市公司"), and its name elsewhere in the
  article; not a year, a count, an officer's number or a place's figure;
  prisons and detention centres named by their place or a name of their own ("邳州市看守所",
  "长沙市第一看守所", "石壁监狱", "秦城监狱") as places, not "女子监狱" or "监狱管理局";
- newspapers in French guillemets ("德国 « 商报 »") or in quotation marks glossed in Latin letters
  ("「商报」（Handelsblatt）"), a title before its periodical's kind ("《科学》杂志") and a website's
  name in quotation marks ("“中国舆论监督网”", not "「进行非法国际连网」") as outlets;
- a one-character owner before a body the lexicon knows left out ("美" + "国防部", "台" + "内政部");
- a country's coast guard and armed police as organisations, as its armed forces ("中国海岸警卫");
  a city or province written right before its body as one name ("香港" + "律政司", not before a
  company), and a country before its university or institute; an outlet in title marks acting as
  a newsroom ("《环时》并引述") or shortened where the article names it in full ("《立场》"), and a
  news site ending in 网 acting as one or listed among a report's sources ("维权网报导"), and an
  outlet's short form that is also a pair of places as the outlet in an article that names it
  in full ("港台" with "香港电台"; not "港台关系", "中港台");
  courts by their level, Taiwan's and Hong Kong's short forms of bodies and armed groups from
  the lexicon ("高院", "中选会", "支联会", "廉署", "中大", "塔利班");
- a task force named in quotes ("国安会「乌克兰情势因应小组」", not a bare "「专家小组」"); a
  country's security council ("白宫国家安全会议", "俄罗斯联邦安全会议") as a body, not a meeting; a
  periodical beside its Latin title in title marks ("德国明星周刊《Stern》") as that outlet; a
  place written with 区域 after it ("印太区域") as one place; "X哥" ("辉哥") as a person, and a
  ticket's nickname ("柯盈配") as no person (`_late_corrections`);
- bodies inside meeting, treaty or quoted event names ("亚太经合组织峰会", "联合国海洋法公约", "「中大暴动」")
  or an electoral sector's name ("人大政协界别", "选举委员会界别"),
  before their head's title ("…银行行长",
  also a former, assistant or acting head's: "公安部原副部长", "警务处助理处长") or
  described by their owner ("国营通讯社") are no names;
- noise dropped: one-character words, sides and common words the dictionary marks as names
  ("中方", "令人", "许可证"), a date's 日 glued to the next word ("5 日经…": no agency), a
  dictionary word gluing a unit's end to an adverb ("组亦会"), two-character dictionary words tagged as people unless the
  lexicon knows them, nationality words ("荷兰人"), shows, venues and communiqués ("演唱会",
  "音乐厅", "联合公报"), companies described by their capital ("美资公司").
Organisations glossed in Latin letters ("自由之家（Freedom House）") are read whole. The entity
stage then puts unlinked person and place names to a vote of Baidu's LAC tagger and asks it for
organisations where a word ends in a body's character, and checks the dictionary's `nt` words
that news text uses as common nouns (zh_lac.py).

This module runs the tagger and the passes in order (`tag_chinese`) and keeps the rules that
drop names (titles, treaties, meetings, descriptions). The rules that find names live by kind:
zh_people.py, zh_places.py, zh_bodies.py, zh_companies.py and zh_outlets.py; what they share (the
lexicon, the tokenizer, word classes) is zh_lexicon.py."""
from __future__ import annotations

import re
from typing import Dict, FrozenSet, List, Optional, Tuple

from cfnews.transforms.han_script import simplified
from cfnews.transforms.zh_bodies import (
    EVENT_WORDS, MEETINGS, NOT_IN_UNITS, abbreviated_owners, armed_forces, bodies_of_places, bureaux,
    embassies, glossed_organisations, organisation, quoted_organisations, schools_of_countries,
    security_councils, short_bodies, whole_names)
from cfnews.transforms.zh_companies import (
    COUNTRY_PAIR, brand_companies, companies_by_context, company_heads, company_short_forms,
    listed_companies)
from cfnews.transforms.zh_lexicon import (
    AFTER_NAME_CHARS, DESCRIPTIVE, GENERIC_TRADES, NOT_IN_NAMES, NOT_ORG_ENDINGS, ORG_ENDINGS,
    SURNAMES, TITLES, countries, is_han, is_title, lexicon, lexicon_digits, org_word, pos_tagger,
    translit)
from cfnews.transforms.zh_outlets import (
    credited_outlets, latin_titled_periodicals, named_newspapers, news_sites, outlet_short_forms)
from cfnews.transforms.zh_people import (
    ADVERBS, JAPANESE_SURNAMES, brother_nicknames, bylines, dotted_names, every_mention, glossed_people,
    hyphenated_names, japanese_names, joined_people, regnal_numbers, third_characters, ticket_pairs,
    titled_people, unglued_people)
from cfnews.transforms.zh_places import (
    detention_places, district_streets, named_facilities, places_by_context, region_suffixes,
    split_places)

LABELS = {"nr": "PERSON", "nrfg": "PERSON", "nrt": "PERSON", "ns": "GPE", "nt": "ORG"}
_GIVEN_NAME_FLAGS = frozenset({"a", "n", "ng", "nr", "nz", "an", "ag", "i", "l"})
_LEADERS = ("首相", "总统", "总理", "外长", "国务卿", "部长", "主席", "大臣")
# A place and one of these is a place too: "北京" + "市", "桃园" + "机场".
_PLACE_SUFFIXES = frozenset("市 省 县 区 州 县市 地区 自治区 特区 机场 口岸 码头 车站 港口 夜市 地铁 捷运 "
                            "基地 空军基地 海军基地 群岛 诸岛 列岛 列屿 海峡".split())
# A base after a country is the country's base, no name ("日本基地"); after a place it is one.
_BASES = ("基地",)
_FACILITIES = ("机场", "口岸", "码头", "车站", "火车站", "广场", "大桥")
# Verbs a person does: a dictionary word tagged as a name before one of these is the person
# ("汪洋会见…", a name that is also the word "vast ocean").
_SPEECH = frozenset("会见 会晤 表示 指出 强调 说 称 致辞 出席 访问 宣布 回应 认为 透露".split())
_PLACE_ENDINGS = ("堡", "港", "城", "州", "省", "市", "县", "区", "岛", "湾", "斯坦", "宫", "大街", "广场")


_HEAD_TITLE = re.compile(r"副?(.)长")
# Words between a body and its head's title that keep it a title: a former ("原"), an assistant's
# or an acting one ("公安部原副部长", "警务处助理处长", "财政部助理部长"). Not 前, which the gold
# reads as the body named before a former officer's post ("崇基学生会前会长").
_TITLE_PREFIXES = frozenset("原 助理 代理 署理".split())


def _own_title(body: str, title: str) -> bool:
    """Is `title` the head of `body` ("外交部" + "部长", "银行" + "行长", "卫生部" + "长")?"""
    if title == "长":
        return body.endswith(("部", "局", "委", "署", "院"))
    if title in ("主任", "副主任"):                       # "国家发改委主任": its head
        return body.endswith(("委", "办", "委员会", "办公室")) and len(body) > 1
    match = _HEAD_TITLE.fullmatch(title)
    return bool(match) and body.endswith(match.group(1)) and len(body) > 1
# Words between the name and the meeting: who meets and which session ("二十" + "届").
_MEETING_INNER = frozenset("领导人 工商 非正式 部长级 首脑 高级 外长 财长 成员国 特别 年度 届 中央".split())


# A plain meeting word right after a body is that body meeting, not a gathering with a name of
# its own: the body is listed ("全国人大" in "全国人大会议", "立法会" in "立法会会议"; GUIDELINES.md).
_PLAIN_MEETINGS = frozenset({"会议", "全体会议"})


def _meeting_after(tokens, k: int) -> bool:
    if k + 1 < len(tokens) and tokens[k + 1][0] in _PLAIN_MEETINGS:
        return False
    if k + 1 < len(tokens) and tokens[k + 1][0] == "节":
        return True                                      # "香港博物馆节": a festival
    for word, flag in tokens[k + 1:k + 5]:
        if word.endswith(MEETINGS):
            return True
        if not is_han(word) or not (word in _MEETING_INNER or flag == "m" or word.endswith("届")):
            return False
    return False


def chinese_name_spans(text: str) -> List[Tuple[int, int, str]]:
    """(start, end, label) of the names jieba tags in `text` (Simplified or Traditional)."""
    return tag_chinese(text)[0]


def _after_figure(tokens, i: int) -> bool:
    """Is token `i` written right after a figure ("12 月 5" + " " + "日经…")?"""
    k = i - 1
    while k >= 0 and not tokens[k][0].strip():
        k -= 1
    return k >= 0 and tokens[k][0][-1:].isdigit()


def tag_chinese(text: str) -> Tuple[List[Tuple[int, int, str]], FrozenSet[int]]:
    """(start, end, label) of the names in `text` (Simplified or Traditional), and the offsets
    where the segmenter's words start and end (KB names are matched on whole words)."""
    tagger, freq = pos_tagger()
    words, not_names = lexicon()
    simple = simplified(text)
    tokens = split_places([(t.word, t.flag) for t in tagger.cut(simple, HMM=True)], words)
    tokens = [(w, "ns") if f in ("nr", "nrt", "nrfg") and len(w) >= 3 and w[-1] in "县市省岛町"
              and words.get(w) is None else (w, f) for w, f in tokens]   # "云梦县"/nr: a county
    offsets, pos = [], 0
    for word, _ in tokens:
        offsets.append(pos)
        pos += len(word)
    starts = {offset: k for k, offset in enumerate(offsets)}

    def label_of(k: int) -> Optional[str]:
        word, flag = tokens[k]
        return words.get(word) or LABELS.get(flag)

    def place_at(offset: int) -> bool:
        k = starts.get(offset)
        return k is not None and label_of(k) == "GPE"

    dotted = dotted_names(tokens, offsets)
    hyphenated = [h for h in hyphenated_names(simple) if not any(d[0] < h[1] and h[0] < d[1] for d in dotted)]
    spans = dotted + hyphenated + bylines(simple, place_at) + embassies(simple, tokens, offsets)
    spans += [sp for sp in detention_places(tokens, offsets, label_of)
              if not any(s < sp[1] and sp[0] < e for s, e, _ in spans)]
    labels: Dict[Tuple[int, int], str] = {}
    inner = set()  # word boundaries inside a longer word ("美国|人"), no KB name may end there
    i = 0
    while i < len(tokens):
        if i + 1 < len(tokens) and (_own_title(tokens[i][0], tokens[i + 1][0]) or (
                tokens[i + 1][0] in _TITLE_PREFIXES and i + 2 < len(tokens)
                and _own_title(tokens[i][0], tokens[i + 2][0]))):   # "公安部" + "原" + "副部长"
            inner.add(offsets[i + 1])                    # "中国外交部" + "长": a title
            outer = next((k for k in range(len(tokens[i][0]) - 1, 1, -1)
                          if words.get(tokens[i][0][:k]) == "ORG"), None)
            if outer:                                    # "外交部亚洲司" + "司长": the ministry
                begin = offsets[i] - (len(tokens[i - 1][0]) if i and tokens[i - 1][0] in countries() else 0)
                spans.append((begin, offsets[i] + outer, "ORG"))   # written before its
            i += 1                                       # department head's title is a body
            continue
        org_start = organisation(tokens, i, words)
        if org_start is not None and i + 1 < len(tokens) and org_start < i \
                and _own_title("".join(t for t, _ in tokens[org_start:i + 1]), tokens[i + 1][0]):
            inner.update(offsets[org_start + 1:i + 2])   # "大洋洲" + "局" + "局长": a title,
            spans = [sp for sp in spans if sp[1] <= offsets[org_start] or sp[0] >= offsets[i]]
            i += 1                                       # no name inside it
            continue
        if org_start is not None and _meeting_after(tokens, i):
            inner.update(offsets[org_start + 1:i + 2])
            i += 1
            continue                                     # "亚太经合组织峰会": a meeting
        if org_start is not None and (org_start < i or label_of(i) != "GPE"):
            org = (offsets[org_start], offsets[i] + len(tokens[i][0]))
            if any(s <= org[0] and org[1] <= e for s, e, _ in spans):
                i += 1
                continue                                 # inside an embassy's name
            spans = [s for s in spans if s[1] <= org[0] or s[0] >= org[1]]  # its parts go
            spans.append((org[0], org[1], "ORG"))
            i += 1
            continue
        word, flag = tokens[i]
        start = offsets[i]
        known = words.get(word)
        label = known or LABELS.get(flag)
        before = tokens[i - 1][0] if i else ""
        if label == "ORG" and _meeting_after(tokens, i):
            inner.update(offsets[i + 1:i + 2])
            i += 1
            continue                                     # "亚太经合组织峰会": a meeting
        if known is None and label == "PERSON" and len(word) >= 5 and org_word(word):
            label = "ORG"                                # "李嘉诚基金会": the dictionary's nr
        if known is None and label == "PERSON" and translit(word) and i > 0 \
                and translit(before) and len(before) <= 3 and words.get(before) is None \
                and tokens[i - 1][1] in ("n", "nz", "j", "ng", "nr", "nrt", "ag") \
                and ((freq.get(before) or 0) < 100 or len(before) == 1) \
                and not any(s < start <= e for s, e, _ in spans):
            word, start = before + word, start - len(before)   # "保利" + "尼": one name
        if label == "ORG" and known is None and word.endswith(("政府", "当局")):
            word = word[:-2]                             # "法国政府": the place, not a body
            label = "GPE" if words.get(word) == "GPE" or word.endswith(("省", "市", "县")) else None
        if label == "ORG" and known is None and word.endswith("队") and words.get(word[:-1]) == "GPE":
            word, label = word[:-1], "GPE"               # "巴西队": Brazil's team
        if label == "ORG" and known is None and word in ORG_ENDINGS:
            label = None                                 # "通讯社" alone names no agency
        if label == "ORG" and word[:1] in "日月年" and _after_figure(tokens, i):
            label = None                                 # "25 日" + "经": a date, then "via"
        if label == "ORG" and known is None and word.endswith("化") and not org_word(word):
            label = None                                 # "国际化"/nt: a process, no body
        if label == "ORG" and known is None and word.endswith(_FACILITIES):
            label = "GPE"                                # "浦东国际机场": a place, not a body
        following = tokens[i + 1][0] if i + 1 < len(tokens) else ""
        if label == "GPE" and (following in EVENT_WORDS or following[:1] == "号"):
            inner.add(offsets[i + 1])                    # "北戴河会议", "大阪峰会", "基隆号"
            i += 1
            continue
        title_after = i + 1 < len(tokens) and tokens[i + 1][0] in TITLES
        after_title = is_title(before)
        if known is None and label is None and after_title and 2 <= len(word) <= 4 \
                and translit(word) and (freq.get(word) or 0) < 100:
            label = "PERSON"                             # "外交大臣拉布": a rare word after a title
        if known is None and label in ("GPE", "PERSON") and translit(word) and before.endswith("人") \
                and words.get(before[:-1]) == "GPE":
            label = "PERSON"                             # "墨西哥人古里亚": a person of that country
        if known is None and label == "PERSON" and len(word) >= 3 and word[-1] in ADVERBS \
                and translit(word[:-1]):
            word = word[:-1]                             # "博纳曾在…": 曾 is "once", not the name
        if known == "ORG" and len(word) <= 3 and not org_word(word) and before.endswith(_LEADERS):
            label = "PERSON"                             # "英国首相强生": Johnson, not J&J
        elif label in ("GPE", "PERSON") and known != "GPE" and (after_title or title_after) \
                and words.get(word[:-1]) != "GPE":               # "东京都知事": a place's officer
            label = "PERSON"                             # "院士钟南山", "哈里斯副总统"
        elif label == "GPE" and i + 1 < len(tokens) and tokens[i + 1][0] in ("人", "籍", "裔", "族"):
            label = None                                 # "美国人", "印尼籍": a nationality
            inner.add(offsets[i + 1])
        elif label == "GPE" and i + 1 < len(tokens) and tokens[i + 1][0] in _PLACE_SUFFIXES \
                and not (tokens[i + 1][0].endswith(_BASES) and word in countries()):
            word, i = word + tokens[i + 1][0], i + 1     # "北京市", "桃园机场"
        given, given_flag = tokens[i + 1] if i + 1 < len(tokens) else ("", "x")
        surname = word in SURNAMES or (len(word) == 2 and all(c in SURNAMES for c in word))
        after_given = tokens[i + 2] if i + 2 < len(tokens) else ("", "x")
        if known is None and flag == "nr" and word in SURNAMES and len(given) == 3 \
                and given[0] in SURNAMES and given_flag in ("nr", "nrfg") \
                and words.get(given) is None and given not in not_names:
            word, flag, label, i = word + given, "nr", "PERSON", i + 1   # "叶" + "刘淑仪": a married
            # woman's name, her husband's family name before her own (葉劉淑儀, 范徐麗泰)
        elif known is None and flag == "ns" and len(word) == 2 and word[0] in SURNAMES \
                and len(given) == 1 and is_han(given) and given_flag in ("nr", "nrfg") \
                and given not in AFTER_NAME_CHARS and words.get(word + given) is None \
                and (not is_han(after_given[0][:1]) or after_given[1] in ("v", "p", "c", "d", "uj")):
            word, flag, label, i = word + given, "nr", "PERSON", i + 1   # "梁国" + "雄" + "与":
            # the dictionary's place word is a family name and the first half of a given name
        elif known is None and flag in ("nr", "nrt", "nrfg", "zg") and surname \
                and word not in not_names and 1 <= len(given) <= 2 and is_han(given) \
                and words.get(given) is None and given not in not_names \
                and (given_flag in _GIVEN_NAME_FLAGS or (given_flag == "ns" and len(word) == 1)
                     or (given_flag in ("vn", "v") and len(given) == 2 and (freq.get(given) or 0) < 20)) \
                and not (given_flag in ("n", "l", "i") and (freq.get(given) or 0) > 300) \
                and not (i + 2 < len(tokens) and tokens[i + 2][0] in ("集团", "公司", "银行")):  # "荣鼎集团"
            word, flag, label, i = word + given, "nr", "PERSON", i + 1
            third = tokens[i + 1][0] if i + 1 < len(tokens) else ""
            after = tokens[i + 2] if i + 2 < len(tokens) else ("", "x")
            if len(word) == 2 and len(third) == 1 and is_han(third) and third not in "的在和与是说将等" \
                    and (not is_han(after[0][:1]) or after[1] in ("v", "p", "c", "d", "uj")):
                word, i = word + third, i + 1            # "陈" + "时" + "中"：
        elif known is None and flag in ("nr", "nrfg") and len(word) == 2 and word[0] in SURNAMES \
                and len(given) == 1 and is_han(given) and (given_flag in ("t", "ng", "a", "ag", "zg", "j", "g")
                                                         or given_flag == "nr" and given not in SURNAMES) \
                and given not in AFTER_NAME_CHARS and word + given not in freq \
                and (i + 2 >= len(tokens) or tokens[i + 2][1] in ("v", "p", "c", "d", "x")):
            word, i = word + given, i + 1                # "卢煜" + "明" + "成为"
        elif known is None and label in ("PERSON", "GPE") and translit(word):
            # transliterations the tagger cut in pieces: "格奥尔基" + "耶娃", "约翰尼斯" + "堡"
            while i + 1 < len(tokens) and translit(tokens[i + 1][0]) \
                    and tokens[i + 1][1] in ("nr", "nrt", "ns", "ng", "n", "nz", "zg", "x", "yg", "g") \
                    and (words.get(tokens[i + 1][0]) is None or label == "PERSON" and after_title
                         and words.get(tokens[i + 1][0]) == "GPE" and len(word) <= 3) \
                    and len(word) + len(tokens[i + 1][0]) <= 7 \
                    and tokens[i + 1][0] not in not_names:
                word, i = word + tokens[i + 1][0], i + 1
        if known is None and label == "PERSON" and len(word) >= 3 and word.endswith(_PLACE_ENDINGS) \
                and translit(word[:-1]):
            label = "GPE"                                # "斯特拉斯堡", "约翰尼斯" + "堡"
        i += 1
        if label == "ORG" and known is None and (word.endswith(NOT_ORG_ENDINGS + ("军舰",)) or (
                word.endswith(("公司", "集团", "企业", "银行")) and word[:-2] in DESCRIPTIVE)):
            label = None                                 # "中国军方", "美国军舰"
        if label is None or len(word) < 2 or word in not_names or not (is_han(word) or lexicon_digits(word, known)) \
                or COUNTRY_PAIR.match(word) or (word[0] in "日月年天万亿号届个名"
                                                 and simple[start - 1:start].isdigit()):
            continue  # Latin words and numbers are not the tagger's strength ("25日及")
        if known is None and label == "GPE" and _N_COUNTRIES.fullmatch(word):
            continue  # "湄公河五国": a count of countries
        if known is None and label == "PERSON":
            if len(word) == 4 and not translit(word) and word[:2] not in SURNAMES \
                    and word[:2] not in JAPANESE_SURNAMES and not (word[0] in SURNAMES and word[1] in SURNAMES
                                                                   and (word[1] != "方" or after_title)):
                continue  # "关系密切", "韩方尊重": Chinese names have two or three characters
            if word.endswith("人") and words.get(word[:-1]) == "GPE":
                continue  # a nationality: "荷兰人"
            if len(word) == 2 and word.endswith("姓"):
                continue  # "张姓男子": a man surnamed Zhang, no name
            if flag in ("nr", "nrfg") and not translit(word) and word[:1] not in SURNAMES \
                    and word[:2] not in SURNAMES:
                continue  # a Chinese name starts with a family name ("亚太", "令人" are not names)
            said = tokens[i][0] if i < len(tokens) else ""
            if len(word) == 2 and word == tokens[i - 1][0] and (freq.get(word) or 0) > 0 \
                    and flag in ("nr", "nrfg") and not translit(word) and said not in _SPEECH:
                continue  # a dictionary word the dictionary also calls a name ("田野", "查明");
                # longer ones are mostly real people ("蒋介石", "徐志摩")
        end = start + len(word)
        if any(s <= start and end <= e for s, e, _ in spans):
            continue  # part of a dotted name, a byline or an organisation
        labels[(start, end)] = flag
        spans.append((start, end, label))
    spans, companies = brand_companies(simple, tokens, offsets, spans, words, freq)
    spans = company_short_forms(simple, spans, companies, frozenset(offsets) | {len(simple)}, words, freq)
    spans = places_by_context(simple, spans, labels, words)
    spans = japanese_names(simple, spans, frozenset(offsets))
    spans = glossed_people(simple, spans, words)
    spans = quoted_organisations(simple, spans)
    spans = glossed_organisations(simple, tokens, offsets, spans, words, freq)
    spans = titled_people(simple, spans, words, freq)
    spans = joined_people(simple, spans, words)
    spans = whole_names(simple, spans)
    spans = named_facilities(simple, spans, words)
    spans = district_streets(simple, spans, tokens, offsets, freq)
    spans = bureaux(simple, spans, inner)
    spans = short_bodies(simple, spans, tokens, offsets, freq)
    spans = armed_forces(simple, spans, tokens, offsets, words)
    spans = regnal_numbers(simple, spans)
    spans = unglued_people(simple, spans, words)
    spans = third_characters(simple, spans, tokens, offsets, words, freq)
    spans = every_mention(simple, spans)
    spans = named_newspapers(simple, spans)
    spans = news_sites(simple, spans, tokens, offsets)
    spans = credited_outlets(simple, spans, words, freq)
    spans = outlet_short_forms(text, simple, spans, tokens, offsets)
    spans = company_heads(simple, spans)
    spans = companies_by_context(simple, spans, words)
    spans = listed_companies(simple, spans, tokens, offsets, words, freq)
    spans = abbreviated_owners(simple, spans, words)
    spans = schools_of_countries(simple, spans)
    spans = bodies_of_places(simple, spans)
    spans = _late_corrections(simple, spans, tokens, offsets, words)
    titles = title_spans(simple)
    kept = _not_in_sectors(simple, _not_in_treaties(simple, spans))
    inner.update(s for s, _, _ in set(spans) - set(kept))   # nor a KB name there
    spans = _outside_titles(_not_descriptions(simple, kept), titles)
    inner.update(o for a, b in titles for o in range(a + 2, b - 1))  # no KB name inside a title
    bounds = frozenset(set(offsets) - inner) | {len(simple)}
    return sorted(set(spans)), bounds


_N_COUNTRIES = re.compile("[一二三四五六七八九十两几多数各本该]国")


def _late_corrections(simple: str, spans, tokens, offsets, words) -> List[Tuple[int, int, str]]:
    """Kinds and extents settled once every body, place and person is found: security councils
    are bodies (国家安全会议), a periodical beside its Latin title is that outlet, a ticket's
    nickname (柯盈配) is no person, "X哥" is a person, a place keeps 区域 after it (each for a
    cause met in two dev outlets: tests/benchmarks/RESULTS.md, the Vocus round)."""
    spans = security_councils(simple, spans)
    spans = latin_titled_periodicals(simple, spans, tokens, offsets)
    spans = ticket_pairs(simple, spans, tokens, offsets)
    spans = brother_nicknames(simple, spans, words)
    return region_suffixes(simple, spans)


# Book, document and file titles (《外交部档案》, 〈国防部部长蒋经国访美〉) and quoted law names
# (「中华人民共和国…暂行规定」): the names inside are not mentions, but a title that is all a name
# is that name (《解放报》: the newspaper).
_TITLE_MARKS = re.compile(r"《([^》\n]{1,40})》|〈([^〉\n]{1,40})〉|[「“]([\u4e00-\u9fff]{4,40}(?:法|法案|条例|规定|办法|公约|协定))[」”]")


def title_spans(simple: str) -> List[Tuple[int, int]]:
    """(start, end) of the titles in `simple`, their marks included."""
    return [(m.start(), m.end()) for m in _TITLE_MARKS.finditer(simple)
            if not (m.group(3) and set(m.group(3)) & NOT_IN_NAMES)]  # not a quoted sentence


def _outside_titles(spans, titles) -> List[Tuple[int, int, str]]:
    return [(s, e, label) for s, e, label in spans
            if not any(a < s and e < b and (a + 1, b - 1) != (s, e) for a, b in titles)]


# Words after a trade that make "国家 + 行业" a description, not the company of that name:
# "中国电信设备大厂华为", "法国电信巨头".
_AFTER_TRADE = ("巨头", "巨擘", "设备", "大厂", "厂商", "业者", "行业", "产业", "运营商", "龙头", "市场", "领域")


# A body that opens the name of a treaty or charter is inside that name, not a mention of its own
# (GUIDELINES.md: laws and treaties are no organisations, names inside a longer name are not
# listed): "联合国" + "海洋法公约", "联合国" + "宪章", "（联合国）海洋法公约". Not across a verb
# ("联合国通过公约") or a function word.
_TREATY = re.compile(r"[）)]?[\u4e00-\u9fff]{0,6}?(?:公约|宪章|条约|议定书)")
_TREATY_VERBS = ("通过", "签署", "签订", "批准", "违反", "遵守", "加入", "退出", "修改", "依据", "根据", "制定",
                 "订立", "缔结", "落实", "执行", "援引")


# An electoral sector or constituency has a name of its own ("选举委员会界别", "人大政协界别",
# "选委会界别分组"): a body that opens it is inside that name, no mention (GUIDELINES.md: names
# inside a longer name), as a body opening a treaty's name is.
_SECTOR = "界别"


def _not_in_sectors(simple: str, spans) -> List[Tuple[int, int, str]]:
    """`spans` without the organisations written right before a sector's word."""
    return [(s, e, label) for s, e, label in spans
            if not (label == "ORG" and simple.startswith(_SECTOR, e))]


def _not_in_treaties(simple: str, spans) -> List[Tuple[int, int, str]]:
    out = []
    for s, e, label in spans:
        match = _TREATY.match(simple, e) if label == "ORG" else None
        if match and not set(match.group(0)) & NOT_IN_UNITS \
                and not any(verb in match.group(0) for verb in _TREATY_VERBS):
            continue
        out.append((s, e, label))
    return out


# A quoted event's name ("「中大暴动」", "「理大暴动」"): a body or place inside it is inside a
# longer name (GUIDELINES: events), as a body before a summit's word is.
_QUOTED_EVENT = re.compile(r"[「“]([\u4e00-\u9fff]{2,8}?(?:暴动|骚乱|事件|风波))[」”]")


def _not_descriptions(simple: str, spans) -> List[Tuple[int, int, str]]:
    events = [m.span(1) for m in _QUOTED_EVENT.finditer(simple)]
    return [(s, e, label) for s, e, label in spans
            if not (label == "ORG" and simple[max(s, e - 2):e] in GENERIC_TRADES
                    and simple.startswith(_AFTER_TRADE, e))
            and not any(a <= s and e < b for a, b in events)]
