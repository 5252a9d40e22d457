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
  "中国驻美国大使馆" + "经济商务处": `body_chains`, run by the entity stage after LAC's
  organisations), and a body's first two characters as its short form where the article names
  it in full ("海巡署" … "海巡呼吁": `shortened_bodies`); islands and towns the tagger calls people ("种子岛"/nr) and bases, island
  groups and straits after a place ("横须贺" + "基地", "西南" + "群岛") as places, not a
  country's base ("日本基地");
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
  news site ending in 网 acting as one or listed among a report's sources ("维权网报导");
  courts by their level, Taiwan's and Hong Kong's short forms of bodies and armed groups from
  the lexicon ("高院", "中选会", "支联会", "廉署", "中大", "塔利班");
- bodies inside meeting, treaty or quoted event names ("亚太经合组织峰会", "联合国海洋法公约", "「中大暴动」"),
  before their head's title ("…银行行长",
  also a former, assistant or acting head's: "公安部原副部长", "警务处助理处长") or
  described by their owner ("国营通讯社") are no names;
- noise dropped: one-character words, sides and common words the dictionary marks as names
  ("中方", "令人", "许可证"), two-character dictionary words tagged as people unless the
  lexicon knows them, nationality words ("荷兰人"), shows, venues and communiqués ("演唱会",
  "音乐厅", "联合公报"), companies described by their capital ("美资公司").
Organisations glossed in Latin letters ("自由之家（Freedom House）") are read whole. The entity
stage then puts unlinked person and place names to a vote of Baidu's LAC tagger and asks it for
organisations where a word ends in a body's character, and checks the dictionary's `nt` words
that news text uses as common nouns (zh_lac.py)."""
from __future__ import annotations

import functools
import os
import re
import threading
from pathlib import Path
from typing import Dict, FrozenSet, List, Optional, Tuple

import yaml

from cfnews.transforms.han_script import simplified  # noqa: F401  (re-exported: zh_lac)

LABELS = {"nr": "PERSON", "nrfg": "PERSON", "nrt": "PERSON", "ns": "GPE", "nt": "ORG"}
LEXICON_FILE = Path(__file__).resolve().parent / "kb" / "zh_lexicon.yaml"
# Hong Kong parties, groups and unions: Wikidata's labels and aliases, each with its QID (the
# file's header names the source and what was left out).
HK_ORGS_FILE = Path(__file__).resolve().parent / "kb" / "zh_hk_orgs.yaml"
# Hong Kong street names: the Lands Department's official list (open data; the file's header
# names the source, its licence and what was left out).
HK_STREETS_FILE = Path(__file__).resolve().parent / "kb" / "zh_hk_streets.txt"
# Words jieba's dictionary marks as names that are, in news text, common nouns or parts of
# phrases: sides ("中方"), directions, generic places.
COMMON = frozenset("""
中方 法方 美方 欧方 双方 各方 外方 我方 对方 中外 中法 中美 中欧 中非 两岸 海内外 国内 国外 境内 境外
东方 西方 南方 北方 东部 西部 南部 北部 中部 全国 全球 世界 国际
来源国 成员国 东道国 出口国 进口国 生产国 消费国 大国 强国 邻国 盟国 各国 两国 多国 本国 外国 他国 该国
国际社会 超级大国 大都 多维度
当地 本地 外地 各地 内地 大陆 城市 乡村 农村 首都 总部 中央 地方 国家 政府 中华 华人 华裔
""".split())
# Family names (the commonest few hundred): jieba tags a lone family name `nr` when the given
# name that follows is also a dictionary word ("孟" + "宏伟"); the two make one name.
SURNAMES = frozenset("""
王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 高 林 罗 郑 梁 谢 宋 唐 许 韩 冯 邓 曹 彭 曾 肖
田 董 袁 潘 于 蒋 蔡 余 杜 叶 程 苏 魏 吕 丁 任 沈 姚 卢 姜 崔 钟 谭 陆 汪 范 金 石 廖 贾 夏 韦 付
方 白 邹 孟 熊 秦 邱 江 尹 薛 闫 段 雷 侯 龙 史 陶 黎 贺 顾 毛 郝 龚 邵 万 钱 严 覃 武 戴 莫 孔 向
汤 习 温 薄 俞 翟 倪 殷 赖 栗 郦 柯 骆 庞 樊 兰 凌 霍 虞 柴 聂 申 甘 童 游 蓝 祝 季 麦 詹 欧 连 洪
包 左 安 康 易 桂 牛 阮 卜 岳 齐 邢 耿 关 文 纪 葛 盛 房 尤 管 简 辛 艾 涂 商 巫 褚 乔 鲍 单 车
庄 缪 裴 萧 荣 翁 颜 卓 邝 施 苗 滕 娄 阎 伍 甄 蒲 邬 饶 冉 靳 戚 鞠 巩 晏 郁 宫 卞 隋 岑
古 符 柳 仇 毕 冼 劳 容 湛 巢 敖 谷 庾 阳 闵 祁 查 穆 栾 禹 喻 瞿 班 仲 伏 景 卫 宗 农 宁 燕 芮
储 钦 匡 佟 屠 扈 苑 茅 费 封 尉 郎 鄂 解 麻 司 尚 米 云 凤 幸 植 练 巫 邰 隗 昝 姬 冀 晁 酆 雍 滑
欧阳 司马 诸葛 上官 司徒 东方 皇甫 令狐 慕容 夏侯 长孙 宇文
""".split())
# Japanese family names (the commonest, and those of well-known public figures), in Simplified
# form: jieba cuts Japanese names at random ("岸" + "田文雄", "茂" + "木敏充").
JAPANESE_SURNAMES = frozenset("""
佐藤 铃木 高桥 田中 伊藤 渡边 山本 中村 小林 加藤 吉田 山田 佐佐木 山口 松本 井上 木村 清水 山崎 池田
阿部 桥本 石原 石井 近藤 坂本 远藤 青木 藤田 西田 大野 小野 竹内 中岛 原田 松田 宫本 宫崎 福岛 山下
内田 后藤 长谷川 村田 丸山 今井 大塚 斋藤 菅原 樱井 稻田 安住 甘利 细田 二阶 野中 河村 海部 宫泽
细川 羽田 村山 小渊 冈田 冈本 村上 西村 松野 岩屋 安倍 岸田 石破 河野 茂木 小池 麻生 上川 高市 野田
鸠山 福田 小泉 中曾根 前原 枝野 玉木 志位 萩生田 森本 森田 吉川 横田 北村 平野 荒井 金子 小川 中川
中山 中田 松井 松下 山中 山内 岩田 岩崎 平田 服部 野村 菊地 杉山 千叶 秋山 大西 大谷 上田 武田 久保
""".split())
_JAPANESE_ONE_CHAR = frozenset("菅岸")
_JAPANESE_TITLES = ("首相", "外相", "防卫相", "大臣", "官房长官", "知事", "天皇", "皇后", "干事长", "党首",
                    "社长", "会长", "议员", "大使", "次长", "长官", "总裁")
# Characters that end a Japanese given name's run: function words and verbs after a name.
_NAME_STOPS = frozenset("的在和与是说将等了也曾已于对向称表出访会到及并就为被从同今昨明则又亦还已指")
_GIVEN_FINALS = frozenset("子郎夫雄介彦美也太助吉")
_GIVEN_NAME_FLAGS = frozenset({"a", "n", "ng", "nr", "nz", "an", "ag", "i", "l"})
# Characters of transliterated foreign names (阿拉格希, 格奥尔基耶娃, 达斯札克).
_TRANSLIT = frozenset(
    "阿埃艾爱安昂奥澳巴拜班邦保鲍贝本比彼毕宾波伯博布查达戴丹道德登迪蒂丁东杜多顿厄恩尔法凡范菲"
    "费芬丰冯弗福夫盖甘冈戈格根古圭哈海汉豪赫亨洪胡华怀霍基吉加佳贾杰捷金卡凯坎康考柯科克肯库"
    "夸奎拉莱赖兰朗劳勒雷蕾里利莉丽连列林琳隆卢鲁路伦罗洛马玛迈麦曼芒梅门蒙米密明莫默姆穆纳娜"
    "奈南内尼妮宁纽努诺欧帕潘佩蓬皮珀普齐奇恰乔切钦琼丘萨塞桑瑟森沙莎舍什施史斯松苏索塔泰坦"
    "汤唐特提廷图托瓦万旺威韦维温沃乌伍西希锡夏谢辛休雅亚扬耶伊因茵英尤约泽扎詹兹佐茨札娃丝让士卫朴茅柏圣兹瑞蒂热可"
    "佛翰歇龚敏")
_HYPHENATED = re.compile("(?<![%s])[%s]{2,5}[-‐－][%s]{2,5}(?![%s])" % ((
    "".join(sorted(_TRANSLIT)),) * 4))
# Words before a place that say the place is one ("在威尼斯举行", "飞往开罗").
_PLACE_CUES = frozenset("赴 到 往 至 从 自 经 飞往 前往 抵达 途经 来自 位于 南部 北部 东部 西部 "
                         "中部 东南部 西南部 东北部 西北部".split())
# Words before a name that make it a person's ("院士钟南山": 钟南山 is also a mountain).
_TITLES = frozenset("院士 总统 总理 主席 副主席 部长 外长 发言人 大使 首相 秘书长 国务卿 市长 议员 教授 "
                    "总裁 处长 局长 总书记 委员 书记 省长 院长 董事长 特首 行政长官 司长 主任 外交官 "
                    "记者 律师 研究员 学者 船长 指挥官 大臣 外相 防相 知事 议长 委员长 国王 女王 王储 "
                    "教宗 主教 将军 上将 总督 专员 检察官 法官 董事 经理 主播 作家 导演 歌手 演员 学家 分析师 专家 "
                    "负责人 代表 候选人 组长 署长 厅长 校长 会长 理事长 执行长 队长 团长 社长".split())
_TITLE_WORDS = tuple(_TITLES)
_LEADERS = ("首相", "总统", "总理", "外长", "国务卿", "部长", "主席", "大臣")
# Events named after their place: the place inside is no mention of it (GUIDELINES.md).
_EVENT_WORDS = frozenset("峰会 会议 和会 论坛 影展 电影节 奥运会 冬奥会 世博会 车展 博览会 马拉松 协议 协定 宣言 "
                         "条约 公约 会谈 对话".split())
# A place and one of these is a place too: "北京" + "市", "桃园" + "机场".
_PLACE_SUFFIXES = frozenset("市 省 县 区 州 县市 地区 自治区 特区 机场 口岸 码头 车站 港口 夜市 地铁 捷运 "
                            "基地 空军基地 海军基地 群岛 诸岛 列岛 列屿 海峡".split())
# A base after a country is the country's base, no name ("日本基地"); after a place it is one.
_BASES = ("基地",)
_FACILITIES = ("机场", "口岸", "码头", "车站", "火车站", "广场", "大桥")
# A place and one of these is not an organisation's name: "加拿大法院", "法国政府".
_GENERIC_BODIES = frozenset("法院 政府 当局 警方 军方 公司 企业 银行 大学 媒体".split())
# Verbs a person does: a dictionary word tagged as a name before one of these is the person
# ("汪洋会见…", a name that is also the word "vast ocean").
_SPEECH = frozenset("会见 会晤 表示 指出 强调 说 称 致辞 出席 访问 宣布 回应 认为 透露".split())
# Adverbs the segmenter glues to the end of a transliterated name ("博纳曾在", "拉布也说").
_ADVERBS = frozenset("曾将称说也又还已则就亦并")
_LIST_JOINS = frozenset("、 ， , 和 及 与 至 或".split())
_PLACE_ENDINGS = ("堡", "港", "城", "州", "省", "市", "县", "区", "岛", "湾", "斯坦", "宫", "大街", "广场")
_AFTER_BYLINE_NAME = ("摄", "报导", "报道", "综合", "电")
_BYLINE = re.compile(r"(?:记者|编辑|译者|核稿|编译|审校|摄影|撰稿)\s*[：:]?\s*")
_tagger_lock = threading.Lock()


def _han(word: str) -> bool:
    return bool(word) and all("\u3400" <= c <= "\u9fff" or c == "·" for c in word)


def _lexicon_digits(word: str, known: Optional[str]) -> bool:
    """A lexicon's name written with figures after its characters ("香港01"): a name, not a
    number the tagger glued to a word."""
    return known is not None and _han(word[0]) and all(_han(c) or c.isdigit() for c in word)


# CLDR territory codes that are not places here: the world, unions, unknown and pseudo regions.
_NOT_TERRITORIES = {"001", "EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"}


@functools.lru_cache(maxsize=1)
def lexicon() -> Tuple[Dict[str, str], frozenset]:
    """(Simplified form -> PERSON / GPE / ORG, words that are not names)."""
    from babel import Locale
    from cfnews.transforms.entity_kb import load_kb
    words: Dict[str, str] = {}
    for locale in ("zh", "zh_Hant", "zh_Hant_HK"):
        cldr = Locale.parse(locale)
        names = [n for code, n in cldr.territories.items() if code not in _NOT_TERRITORIES]
        names += [zone["city"] for zone in cldr.time_zones.values() if zone.get("city")]
        for name in names:
            form = simplified(name)
            if len(form) >= 2 and _han(form) and form not in COMMON:
                words[form] = "GPE"
    raw = yaml.safe_load(LEXICON_FILE.read_text(encoding="utf-8"))
    words.update({simplified(w): "GPE" for w in raw["places"]})
    words.update({simplified(w): "ORG" for w in raw["organisations"]})
    words.update({simplified(w): "ORG" for w in hk_organisation_names()})
    words.update({simplified(w): "GPE" for w in hk_street_names()})
    kb_types = {"PERSON": "PERSON", "ORG": "ORG", "GPE": "GPE", "LOC": "GPE", "FAC": "GPE"}
    for entry in load_kb().entries.values():
        label = kb_types.get(entry.type)
        for lang in ("zh_hans", "zh_hant"):
            for alias in entry.aliases.get(lang, ()) if label else ():
                form = simplified(alias)
                if len(form) >= 2 and _han(form):
                    words[form] = label
    not_names = frozenset(simplified(w) for w in raw["not_names"]) | COMMON
    for word in not_names:
        words.pop(word, None)
    return words, not_names


@functools.lru_cache(maxsize=1)
def hk_street_names() -> Tuple[str, ...]:
    """kb/zh_hk_streets.txt's names (the Lands Department's street names; its header says which
    were kept), as written there (Traditional); read once."""
    lines = HK_STREETS_FILE.read_text(encoding="utf-8").splitlines()
    return tuple(line.strip() for line in lines if line.strip() and not line.startswith("#"))


@functools.lru_cache(maxsize=1)
def hk_organisation_names() -> Tuple[str, ...]:
    """Every label and alias of kb/zh_hk_orgs.yaml, as written there (Traditional); read once."""
    entries = yaml.safe_load(HK_ORGS_FILE.read_text(encoding="utf-8"))["organisations"]
    return tuple(name for entry in entries for name in (entry["label"], *entry["aliases"]))


@functools.lru_cache(maxsize=1)
def _hk_groups() -> FrozenSet[str]:
    """Simplified forms of kb/zh_hk_orgs.yaml's names."""
    return frozenset(simplified(name) for name in hk_organisation_names())


@functools.lru_cache(maxsize=1)
def countries() -> FrozenSet[str]:
    """CLDR's country and territory names (Simplified forms)."""
    from babel import Locale
    return frozenset(simplified(name) for locale in ("zh", "zh_Hant", "zh_Hant_HK")
                     for code, name in Locale.parse(locale).territories.items()
                     if code.isalpha() and code not in _NOT_TERRITORIES)


# Bodies above countries: a country before one of them is not its owner ("法国" + "欧盟").
_SUPRANATIONAL = ("欧", "联合国", "世卫", "世贸", "世界银行", "世界卫生", "世界贸易", "国际", "北约",
                  "东盟", "亚太", "非盟", "阿盟", "七国", "二十国", "20国", "上合", "金砖", "经合", "安理会")

_JIEBA_TAGS = {"PERSON": "nr", "GPE": "ns", "ORG": "nt"}


@functools.lru_cache(maxsize=1)
def _posseg():
    """A POS tokenizer of our own (jieba's global one stays as shipped) that knows the lexicon's
    words: as one token each, with a frequency that keeps them whole."""
    import jieba
    import jieba.posseg
    jieba.setLogLevel(60)  # its dictionary-loading chatter goes to stderr at INFO
    with _tagger_lock:
        tokenizer = jieba.Tokenizer()
        tagger = jieba.posseg.POSTokenizer(tokenizer)
        tagger.initialize()
        words, not_names = lexicon()
        streets = frozenset(simplified(name) for name in hk_street_names())
        for word, label in words.items():
            # the street list's thousands of names get a low frequency: enough to keep each whole,
            # not enough to move the dictionary's total (and with it how other text is cut)
            tokenizer.add_word(word, max(tokenizer.FREQ.get(word) or 0, 50 if word in streets else 2000),
                               _JIEBA_TAGS[label])
        for word in not_names:
            if len(word) > 2:  # disease names: "武汉肺炎" is one word, not 武汉 + 肺炎
                tokenizer.add_word(word, max(tokenizer.FREQ.get(word) or 0, 2000), "n")
    return tagger, tokenizer.FREQ


# Organisation names end in one of these words; the words before it that belong to the name
# are nouns, adjectives or place names ("国家 卫生 健康 委", "克罗地亚 地缘 经济 论坛").
ORG_ENDINGS = ("委", "部", "局", "总局", "会", "协会", "基金会", "论坛", "中心", "法院", "研究所",
               "党", "院", "社", "署", "集团", "公司", "银行", "大学", "组织", "联盟", "委员会",
               "使馆", "大使馆", "领事馆", "航空", "电台", "电视台", "通讯社", "日报", "时报", "议会",
               "参议院", "众议院", "海军", "空军", "陆军", "办公室", "俱乐部", "研究院", "学院",
               "人大", "政协", "军委", "央行", "阵线", "办", "医院", "交易所", "控股", "实业",
               "博物馆", "博物院", "纪念馆", "美术馆", "文化馆")   # museums (not 图书馆: "图书馆流通中心")
_EVENTS_AND_SIDES = ("政府", "当局", "方面", "大会", "机会", "社会", "晚会", "年会", "峰会", "例会", "和会",
                     "全会", "高峰论坛", "运会",                # "全运会", "亚运会": sports games
                     "记者会", "听证会", "座谈会", "研讨会", "发布会", "会议",
                     # shows and gatherings ("独奏音乐会", "跨年倒数演唱会", "同乐运动会",
                     # "电影欣赏会", "维园集会"), venues ("音乐厅", "贵宾厅") and communiqués
                     # ("三个联合公报", "警情通报"): events, places and documents, no bodies
                     "音乐会", "演唱会", "演奏会", "运动会", "欣赏会", "集会", "招商会", "嘉年华",
                     "音乐厅", "贵宾厅", "宴会厅", "公报", "通报")
_NOT_ORG_ENDINGS = _EVENTS_AND_SIDES + ("委员", "部长", "局长", "金融中心", "航运中心",  # a city's status
                    "院长", "社长", "党员", "部队", "部门", "部分", "内部", "外部", "全部", "东部", "旧部",
                    "西部", "南部", "北部", "中部", "总部", "干部", "支部", "全党", "军方", "警方",
                    "格局", "布局", "结局", "大局", "时局", "政局", "僵局", "骗局", "开局", "部署", "签署",
                    "连署", "联署", "举办", "创办", "主办", "承办", "开办", "停办", "查办", "督办", "申办",
                    "包办", "合办", "协办", "兴办", "照办", "怎么办")
_ORG_INNER_FLAGS = frozenset({"n", "nz", "ns", "nt", "an", "a", "vn", "j", "b"})
_NOT_ORG_END_FLAGS = frozenset({"v", "d", "p", "c", "u", "m", "r", "f"})
# Descriptions written before a body's name are not part of it ("官媒新华社", "巨头华为公司").
_ORG_DESCRIPTORS = frozenset("官媒 巨头 巨商 大股东 股东 学者 智库 媒体 规定 由 未料 函 喉舌 党媒 外媒 港媒 陆媒 "
                             "日媒 美媒 联络 联系 致函 时任 现任 前任 候任".split())
# Words that make "X公司" a description of a company rather than its name.
# Who owns a body describes it ("摩洛哥国营通讯社": Morocco's state agency, not its name).
_OWNERSHIP = frozenset("国有 国营 官方 私营 民营".split())
_DESCRIPTIVE = frozenset("国有 国营 官方 私营 民营 经营 运营 相关 有关 主要 大型 知名 一家 这家 该 其 旗下 负责 "
                         "管理 营运 合资 外资 跨国 上市 "
                         "美资 中资 港资 台资 陆资 日资 韩资 欧资 英资 法资 德资 内资 侨资 "   # whose capital
                         "上柜 兴柜 "   # where its shares trade: "兴柜公司" (Taiwan's emerging board)
                         "整间 整家 每间 每家 各间 这间 那间 该间 两间 多间 首间".split())   # "整间公司": the whole firm
_NOT_NAME_PARTS = frozenset("最大 第一大 第二大 各大 全国性 地方性 这些 那些 多家 各家 多个".split())
_GENERIC_TRADES = frozenset("企业 金融 投资 能源 科技 媒体 传媒 汽车 地产 房地产 控股 实业 商业 工业 产业 医药 "
                            "建筑 电信 网络 互联网 半导体 芯片 电子 军工 物流 航运 保险 证券 石油 制药 生物 "
                            "科技股 外国 跨国 国内 国外 中资 外资 民营 国有 "
                            "博彩 赌博 巴士 物业 保安 清洁".split())   # "博彩公司", "巴士公司": trades
_BRANCHES = frozenset("分公司 子公司 办事处 分行 分社 分部 代表处".split())
_ORG_STARTS = frozenset({"国家", "中国", "中央", "全国", "国际", "世界", "亚太", "欧洲", "美国", "法国"})
# A transliterated name is written with middle dots ("约翰·米勒-怀特"): the pieces around a dot
# are the tagger's name fragments or characters it could not place.
_DOTS = frozenset("·・•‧")
_PIECE_FLAGS = frozenset({"nr", "nrt", "nrfg", "x", "zg", "j", "ng", "g", "nz", "ns", "v", "m",
                          "yg", "n"})
_COUNTRY_PAIR = re.compile(r"^[中美法欧俄日英德韩台港澳][中美法欧俄日英德韩台港澳巴印越朝加意菲泰蒙土伊以埃墨纽]"
                           r"(?:关系|合作|贸易|对话)?$"
                           r"|^[中美法欧][美中法欧俄日]")


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


# An organisation's name followed by these (a few nouns between) names a meeting it holds:
# "亚太经合组织(工商领导人)峰会", "中共二十届三中全会"; the name inside is no mention (GUIDELINES.md).
_MEETINGS = ("峰会", "会议", "全会", "年会", "大会", "例会", "高峰论坛")
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
        if word.endswith(_MEETINGS):
            return True
        if not _han(word) or not (word in _MEETING_INNER or flag == "m" or word.endswith("届")):
            return False
    return False


def _title_at(text: str, pos: int) -> bool:
    """Does a title start at `pos` ("外长", "副总统")?"""
    return text.startswith(_TITLE_WORDS, pos) or (
        text[pos:pos + 1] in ("副", "前", "代") and text.startswith(_TITLE_WORDS, pos + 1))


def _title(word: str) -> bool:
    return word.endswith(_TITLE_WORDS)  # "前总理", "副总统"


def _translit(word: str) -> bool:
    return bool(word) and all(c in _TRANSLIT for c in word)


def _dotted_names(tokens, offsets) -> List[Tuple[int, int, str]]:
    def piece(k):
        word, flag = tokens[k]
        return _han(word) and word not in _DOTS and (
            flag in ("nr", "nrt", "nrfg", "x", "zg", "j", "ng", "g", "nz") or
            (flag in _PIECE_FLAGS and _translit(word) and len(word) <= 4))
    spans, k = [], 0
    while k < len(tokens):
        if tokens[k][0] not in _DOTS:
            k += 1
            continue
        left = k
        while left > 0 and piece(left - 1) and offsets[k] - offsets[left - 1] <= 6:
            left -= 1
        right = k
        while right + 1 < len(tokens) and (piece(right + 1) or (
                tokens[right + 1][0] in _DOTS or tokens[right + 1][0] == "-") and
                right + 2 < len(tokens) and piece(right + 2)):
            right += 1
        if left < k < right:
            spans.append((offsets[left], offsets[right] + len(tokens[right][0]), "PERSON"))
        k = right + 1
    return spans


def _hyphenated_names(simple: str) -> List[Tuple[int, int, str]]:
    """"迪里夏提-热西提": two transliterated names joined by a hyphen (the segmenter cuts them
    anywhere, so they are read on the characters)."""
    return [(m.start(), m.end(), "PERSON") for m in _HYPHENATED.finditer(simple)]


def _org_word(word: str) -> bool:
    return word.endswith(ORG_ENDINGS) and not word.endswith(_NOT_ORG_ENDINGS)


def _place_opened(tokens, start: int, words) -> Optional[int]:
    """Index of the place that opens a body's name whose words before `start` are nouns and
    verbal nouns ("南韩 文化 体育 观光部"), or None if something else comes first."""
    for j in range(start - 1, max(-1, start - 6), -1):
        word, flag = tokens[j]
        if flag == "ns" or words.get(word) == "GPE":
            return j if j < start - 1 else None          # at least one word between
        if not _han(word) or flag not in ("n", "vn", "s", "nz") or word in _ORG_DESCRIPTORS \
                or word in _NOT_NAME_PARTS or word in _DESCRIPTIVE or _org_word(word):
            return None
    return None


def _organisation(tokens, end: int, words) -> Optional[int]:
    """Index where an organisation name ending with token `end` starts, or None."""
    word, flag = tokens[end]
    if words.get(word) == "ORG" and end > 0 and not _org_word(word) \
            and tokens[end - 1][0] in countries() and not word.startswith(_SUPRANATIONAL):
        return end - 1                                   # a country and its body: "法国" + "世界报"
    named = _org_word(word) or (flag == "nt" and word.endswith(ORG_ENDINGS)   # "海外部" ends in 外部
                                and not word.endswith(_EVENTS_AND_SIDES))  # but 巴黎和会 is an event
    if not named or words.get(word) in ("GPE", "PERSON") or flag in _NOT_ORG_END_FLAGS:
        return None                                      # "社会" is not an organisation
    if word == "党" and end > 0 and words.get(tokens[end - 1][0]) == "ORG":
        return None                                      # "基民盟" + "党" + "主席"
    whole_word = len(word) > 2 and (flag in ("j", "nt", "nz") or words.get(word) == "ORG")
    owned = any(words.get(word[:k]) == "GPE" for k in range(2, min(len(word) - 1, 6)))
    start = end
    while start > 0 and end - start < 5:
        before, before_flag = tokens[start - 1]
        known = words.get(before)
        if whole_word and (owned or before_flag in ("v", "vn")) and not (
                before_flag in ("ns", "nt") or known in ("GPE", "ORG")):
            break                                        # a whole name with its country already
            # ("法国国民议会"): the words before are not part of it ("战书会见" + …)
        if known == "ORG" and words.get(word) == "ORG" and before in _hk_groups():
            break                                        # a member's party before another body:
            # "民建联" + "立法会" + "议员" (the Legislative Council's, not the party's)
        if len(before) > 1 and before.endswith("为") or before[:1] in "日月年" and start >= 2 \
                and tokens[start - 2][0][-1:].isdigit():
            break                                        # "被选为" + …, "5月20" + "日经" + …
        if start == end and word in ("集团", "公司", "银行") and before_flag in ("nr", "nrt", "nz", "j") \
                and len(before) >= 2 and known is None and before not in _GENERIC_TRADES:
            start -= 1                                   # "荣鼎" + "集团": a name the tagger
            break                                        # took for a person's
        if before_flag in ("vn", "s") and start < end and not any(w == "和" for w, _ in tokens[start:end]):
            opened = _place_opened(tokens, start, words)
            if opened is not None:
                start = opened                           # "南韩" + "文化" + "体育"/vn + "观光部",
                break                                    # "美国" + "对外"/s + "关系委员会"
        if not _han(before) or not (before_flag in _ORG_INNER_FLAGS or before == "和"
                                    or known in ("GPE", "ORG") or (_translit(before) and known is None)) \
                or (_org_word(before) and word != "委员会") or (before_flag == "vn" and start < end) \
                or before in _ORG_DESCRIPTORS \
                or (before == "和" and (start < 2 or tokens[start - 2][1] != "n"
                                        or words.get(tokens[start - 2][0]) is not None)):
            break
        start -= 1
        if before_flag == "ns" or known == "GPE":
            break                                        # a place opens the name: "法国 宪法 委员会"
    while start < end and tokens[start][0] == "和":
        start += 1
    while 0 < start < end and (tokens[start][1] == "ns" or words.get(tokens[start][0]) == "GPE") \
            and tokens[start - 1][1] == "ns" and len(tokens[start - 1][0]) >= 3 \
            and tokens[start - 1][0].endswith(("省", "市")):
        start -= 1                                       # "秦皇岛市" + "昌黎县人民法院", "辽宁省" +
        # "香港商会": the province or city written before the place that opens a body's name
    if any(w == "和" for w, _ in tokens[start:end]) and not (
            tokens[start][1] in ("ns", "nt") or words.get(tokens[start][0]) in ("GPE", "ORG")
            or tokens[start][0] in _ORG_STARTS):
        start = max(k for k in range(start, end) if tokens[k][0] == "和") + 1
    first, first_flag = tokens[start]
    place_first = first_flag == "ns" or words.get(first) == "GPE"
    if any(t in _OWNERSHIP for t, _ in tokens[start:end]) or (
            word.endswith(("公司", "集团", "企业", "银行")) and (
            any(t in _DESCRIPTIVE for t, _ in tokens[start:end])
            or word[:-2] in _DESCRIPTIVE or word[:-2] in _GENERIC_TRADES)):
        return None                                      # "中国国有石油天然气公司", "旗下银行",
        # "美国上市公司": descriptions
    if any(t in _NOT_NAME_PARTS for t, _ in tokens[start:end]):
        return None                                      # "德国最大党", "全国性日报"
    if word in ("公司", "企业") and end - start == 2 and place_first and tokens[start + 1][0] in _GENERIC_TRADES:
        return None                                      # "美国科技公司": companies of a trade
    if word in _BRANCHES and place_first and start > 0 and (
            tokens[start - 1][1] == "nt" or words.get(tokens[start - 1][0]) == "ORG"):
        return start - 1                                 # "华为" + "加拿大" + "分公司"
    if start + 1 == end and place_first and word in _GENERIC_BODIES:
        return None                                      # "加拿大法院": a court in Canada
    if start < end and sum(len(t) for t, _ in tokens[start:end]) >= 3 \
            and all(_translit(t) and words.get(t) is None for t, _ in tokens[start:end]):
        return start                                     # "安纳" + "杜鲁" + "新闻社"
    if start + 1 == end and word in ("集团", "公司", "银行") and len(first) >= 2 \
            and first_flag in ("n", "nz", "nr", "nrt", "j") and first not in _GENERIC_TRADES:
        return start                                     # "蚂蚁" + "集团", "荣鼎" + "集团"
    if start < end and (place_first or first_flag == "nt" or first in _ORG_STARTS
                        or end - start >= 3 or (len(word) >= 2 and len(first) >= 3)
                        or (len(word) >= 3 and len(first) >= 2 and first_flag in ("n", "nz"))):
        return start
    return end if whole_word else None


def _bylines(text: str, place_at) -> List[Tuple[int, int, str]]:
    """People named in bylines and credits: "记者陈伟婷台北7日电", "编辑：张淑伶/翟思嘉",
    "译者：陈正健", "编译 艾茂林; 审校 王兴亚". A name is a family name and one or two
    characters, ending where a place, a figure or punctuation starts."""
    spans = []
    for match in _BYLINE.finditer(text):
        pos = match.end()
        while pos < len(text):
            found = None
            for size in (3, 2, 4):
                name = text[pos:pos + size]
                if len(name) < size or not _han(name) or not (
                        name[0] in SURNAMES or name[:2] in SURNAMES) or (
                        size == 4 and name[:2] not in SURNAMES) or name[-1] in "摄电":
                    continue                             # "裴禛" + "摄", not "裴禛摄"
                after = pos + size
                if after >= len(text) or not _han(text[after]) or place_at(after) \
                        or text.startswith(_AFTER_BYLINE_NAME, after):
                    found = after
                    break
            if found is None:
                break
            spans.append((pos, found, "PERSON"))
            if found < len(text) and text[found] in "/、,，":
                pos = found + 1
            else:
                break
    return spans


def chinese_name_spans(text: str) -> List[Tuple[int, int, str]]:
    """(start, end, label) of the names jieba tags in `text` (Simplified or Traditional)."""
    return tag_chinese(text)[0]


def _split_places(tokens, words):
    """The dictionary's place compounds ("法国巴黎", "北京人民大会堂") as the two places they
    name, and its "place + generic body" words ("美国法院": a court in the US) as the place."""
    out = []
    for word, flag in tokens:
        if words.get(word) is None and word.endswith(("国家", "城市")) and words.get(word[:-2]) == "GPE":
            out.extend([(word[:-2], "ns"), (word[-2:], "n")])   # "北非国家": a place, a noun
            continue
        title = word.endswith(_TITLE_WORDS) and next(
            (t for t in _TITLES if word.endswith(t) and word[:-len(t)] in ORG_ENDINGS), None)
        if title and words.get(word) is None:           # "协会主席": a body's word and a title
            out.extend([(word[:-len(title)], "n"), (title, "n")])
            continue
        if flag in ("nr", "nz") and words.get(word) is None and word.endswith(_TITLE_WORDS):
            cut = next((k for k in range(2, len(word) - 1) if words.get(word[:k]) == "GPE"
                        and word[k:] in _TITLES), None)
            if cut:                                      # "德国总理" is a place and a title
                out.extend([(word[:cut], "ns"), (word[cut:], "n")])
                continue
        if flag not in ("ns", "nt") or words.get(word) is not None:
            out.append((word, flag))
            continue
        cut = next((k for k in range(2, len(word) - 1)
                    if words.get(word[:k]) == "GPE" and words.get(word[k:]) == "GPE"), None)
        if cut is None and flag == "nt":
            cut = next((k for k in range(2, len(word) - 1) if words.get(word[:k]) == "GPE"
                        and word[k:] in _GENERIC_BODIES), None)
            if cut:
                out.extend([(word[:cut], "ns"), (word[cut:], "n")])
                continue
        out.extend([(word[:cut], "ns"), (word[cut:], "ns")] if cut else [(word, flag)])
    return out


def tag_chinese(text: str) -> Tuple[List[Tuple[int, int, str]], FrozenSet[int]]:
    """(start, end, label) of the names in `text` (Simplified or Traditional), and the offsets
    where the segmenter's words start and end (KB names are matched on whole words)."""
    tagger, freq = _posseg()
    words, not_names = lexicon()
    simple = simplified(text)
    tokens = _split_places([(t.word, t.flag) for t in tagger.cut(simple, HMM=True)], words)
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

    dotted = _dotted_names(tokens, offsets)
    hyphenated = [h for h in _hyphenated_names(simple) if not any(d[0] < h[1] and h[0] < d[1] for d in dotted)]
    spans = dotted + hyphenated + _bylines(simple, place_at) + _embassies(simple, tokens, offsets)
    spans += [sp for sp in _detention_places(tokens, offsets, label_of)
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
        org_start = _organisation(tokens, i, words)
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
        if known is None and label == "PERSON" and len(word) >= 5 and _org_word(word):
            label = "ORG"                                # "李嘉诚基金会": the dictionary's nr
        if known is None and label == "PERSON" and _translit(word) and i > 0 \
                and _translit(before) and len(before) <= 3 and words.get(before) is None \
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
        if label == "ORG" and known is None and word.endswith("化") and not _org_word(word):
            label = None                                 # "国际化"/nt: a process, no body
        if label == "ORG" and known is None and word.endswith(_FACILITIES):
            label = "GPE"                                # "浦东国际机场": a place, not a body
        following = tokens[i + 1][0] if i + 1 < len(tokens) else ""
        if label == "GPE" and (following in _EVENT_WORDS or following[:1] == "号"):
            inner.add(offsets[i + 1])                    # "北戴河会议", "大阪峰会", "基隆号"
            i += 1
            continue
        title_after = i + 1 < len(tokens) and tokens[i + 1][0] in _TITLES
        after_title = _title(before)
        if known is None and label is None and after_title and 2 <= len(word) <= 4 \
                and _translit(word) and (freq.get(word) or 0) < 100:
            label = "PERSON"                             # "外交大臣拉布": a rare word after a title
        if known is None and label in ("GPE", "PERSON") and _translit(word) and before.endswith("人") \
                and words.get(before[:-1]) == "GPE":
            label = "PERSON"                             # "墨西哥人古里亚": a person of that country
        if known is None and label == "PERSON" and len(word) >= 3 and word[-1] in _ADVERBS \
                and _translit(word[:-1]):
            word = word[:-1]                             # "博纳曾在…": 曾 is "once", not the name
        if known == "ORG" and len(word) <= 3 and not _org_word(word) and before.endswith(_LEADERS):
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
                and len(given) == 1 and _han(given) and given_flag in ("nr", "nrfg") \
                and given not in _AFTER_NAME_CHARS and words.get(word + given) is None \
                and (not _han(after_given[0][:1]) or after_given[1] in ("v", "p", "c", "d", "uj")):
            word, flag, label, i = word + given, "nr", "PERSON", i + 1   # "梁国" + "雄" + "与":
            # the dictionary's place word is a family name and the first half of a given name
        elif known is None and flag in ("nr", "nrt", "nrfg", "zg") and surname \
                and word not in not_names and 1 <= len(given) <= 2 and _han(given) \
                and words.get(given) is None and given not in not_names \
                and (given_flag in _GIVEN_NAME_FLAGS or (given_flag == "ns" and len(word) == 1)
                     or (given_flag in ("vn", "v") and len(given) == 2 and (freq.get(given) or 0) < 20)) \
                and not (given_flag in ("n", "l", "i") and (freq.get(given) or 0) > 300) \
                and not (i + 2 < len(tokens) and tokens[i + 2][0] in ("集团", "公司", "银行")):  # "荣鼎集团"
            word, flag, label, i = word + given, "nr", "PERSON", i + 1
            third = tokens[i + 1][0] if i + 1 < len(tokens) else ""
            after = tokens[i + 2] if i + 2 < len(tokens) else ("", "x")
            if len(word) == 2 and len(third) == 1 and _han(third) and third not in "的在和与是说将等" \
                    and (not _han(after[0][:1]) or after[1] in ("v", "p", "c", "d", "uj")):
                word, i = word + third, i + 1            # "陈" + "时" + "中"：
        elif known is None and flag in ("nr", "nrfg") and len(word) == 2 and word[0] in SURNAMES \
                and len(given) == 1 and _han(given) and (given_flag in ("t", "ng", "a", "ag", "zg", "j", "g")
                                                         or given_flag == "nr" and given not in SURNAMES) \
                and given not in _AFTER_NAME_CHARS and word + given not in freq \
                and (i + 2 >= len(tokens) or tokens[i + 2][1] in ("v", "p", "c", "d", "x")):
            word, i = word + given, i + 1                # "卢煜" + "明" + "成为"
        elif known is None and label in ("PERSON", "GPE") and _translit(word):
            # transliterations the tagger cut in pieces: "格奥尔基" + "耶娃", "约翰尼斯" + "堡"
            while i + 1 < len(tokens) and _translit(tokens[i + 1][0]) \
                    and tokens[i + 1][1] in ("nr", "nrt", "ns", "ng", "n", "nz", "zg", "x", "yg", "g") \
                    and (words.get(tokens[i + 1][0]) is None or label == "PERSON" and after_title
                         and words.get(tokens[i + 1][0]) == "GPE" and len(word) <= 3) \
                    and len(word) + len(tokens[i + 1][0]) <= 7 \
                    and tokens[i + 1][0] not in not_names:
                word, i = word + tokens[i + 1][0], i + 1
        if known is None and label == "PERSON" and len(word) >= 3 and word.endswith(_PLACE_ENDINGS) \
                and _translit(word[:-1]):
            label = "GPE"                                # "斯特拉斯堡", "约翰尼斯" + "堡"
        i += 1
        if label == "ORG" and known is None and (word.endswith(_NOT_ORG_ENDINGS + ("军舰",)) or (
                word.endswith(("公司", "集团", "企业", "银行")) and word[:-2] in _DESCRIPTIVE)):
            label = None                                 # "中国军方", "美国军舰"
        if label is None or len(word) < 2 or word in not_names or not (_han(word) or _lexicon_digits(word, known)) \
                or _COUNTRY_PAIR.match(word) or (word[0] in "日月年天万亿号届个名"
                                                 and simple[start - 1:start].isdigit()):
            continue  # Latin words and numbers are not the tagger's strength ("25日及")
        if known is None and label == "GPE" and _N_COUNTRIES.fullmatch(word):
            continue  # "湄公河五国": a count of countries
        if known is None and label == "PERSON":
            if len(word) == 4 and not _translit(word) and word[:2] not in SURNAMES \
                    and word[:2] not in JAPANESE_SURNAMES and not (word[0] in SURNAMES and word[1] in SURNAMES
                                                                   and (word[1] != "方" or after_title)):
                continue  # "关系密切", "韩方尊重": Chinese names have two or three characters
            if word.endswith("人") and words.get(word[:-1]) == "GPE":
                continue  # a nationality: "荷兰人"
            if len(word) == 2 and word.endswith("姓"):
                continue  # "张姓男子": a man surnamed Zhang, no name
            if flag in ("nr", "nrfg") and not _translit(word) and word[:1] not in SURNAMES \
                    and word[:2] not in SURNAMES:
                continue  # a Chinese name starts with a family name ("亚太", "令人" are not names)
            said = tokens[i][0] if i < len(tokens) else ""
            if len(word) == 2 and word == tokens[i - 1][0] and (freq.get(word) or 0) > 0 \
                    and flag in ("nr", "nrfg") and not _translit(word) and said not in _SPEECH:
                continue  # a dictionary word the dictionary also calls a name ("田野", "查明");
                # longer ones are mostly real people ("蒋介石", "徐志摩")
        end = start + len(word)
        if any(s <= start and end <= e for s, e, _ in spans):
            continue  # part of a dotted name, a byline or an organisation
        labels[(start, end)] = flag
        spans.append((start, end, label))
    spans, companies = _brand_companies(simple, tokens, offsets, spans, words, freq)
    spans = _company_short_forms(simple, spans, companies, frozenset(offsets) | {len(simple)}, words, freq)
    spans = _places_by_context(simple, spans, labels, words)
    spans = _japanese_names(simple, spans, frozenset(offsets))
    spans = _glossed_people(simple, spans, words)
    spans = _quoted_organisations(simple, spans)
    spans = _glossed_organisations(simple, tokens, offsets, spans, words, freq)
    spans = _titled_people(simple, spans, words, freq)
    spans = _joined_people(simple, spans, words)
    spans = _whole_names(simple, spans)
    spans = _named_facilities(simple, spans, words)
    spans = _streets(simple, spans, tokens, offsets, freq)
    spans = _bureaux(simple, spans, inner)
    spans = _short_bodies(simple, spans, tokens, offsets, freq)
    spans = _armed_forces(simple, spans, tokens, offsets, words)
    spans = _regnal_numbers(simple, spans)
    spans = _unglued_people(simple, spans, words)
    spans = _third_characters(simple, spans, tokens, offsets, words, freq)
    spans = _every_mention(simple, spans)
    spans = _named_newspapers(simple, spans)
    spans = _news_sites(simple, spans, tokens, offsets)
    spans = _credited_outlets(simple, spans, words, freq)
    spans = _company_heads(simple, spans)
    spans = _companies_by_context(simple, spans, words)
    spans = _listed_companies(simple, spans, tokens, offsets, words, freq)
    spans = _abbreviated_owners(simple, spans, words)
    spans = _schools_of_countries(simple, spans)
    spans = _bodies_of_places(simple, spans)
    titles = _titles(simple)
    kept = _not_in_treaties(simple, spans)
    inner.update(s for s, _, _ in set(spans) - set(kept))   # nor a KB name there
    spans = _outside_titles(_not_descriptions(simple, kept), titles)
    inner.update(o for a, b in titles for o in range(a + 2, b - 1))  # no KB name inside a title
    bounds = frozenset(set(offsets) - inner) | {len(simple)}
    return sorted(set(spans)), bounds


# One-character short forms of countries and sides written before a body ("美" + "国防部",
# "台" + "内政部"): the short form is no place (GUIDELINES.md), the body is named as itself.
_ONE_CHAR_OWNERS = frozenset("美英法德日韩俄澳加台陆中港欧印")


def _abbreviated_owners(simple: str, spans, words) -> List[Tuple[int, int, str]]:
    """"美国防部" is "美" + "国防部", not "美国" + "防部": an organisation span that opens with a
    one-character short form followed by a body the lexicon knows loses that character."""
    out = []
    for start, end, label in spans:
        name = simple[start:end]
        if label == "ORG" and len(name) >= 4 and name[0] in _ONE_CHAR_OWNERS \
                and words.get(name[1:]) == "ORG" and words.get(name) is None \
                and (start == 0 or not _han(simple[start - 1])
                     or simple[start - 1] in "在据由与和及对向从被将把为的、"):
            out.append((start + 1, end, label))
        else:
            out.append((start, end, label))
    return out


# Schools and research bodies, which belong to the country they are in (not "法国" + "欧盟").
_SCHOOL_ENDINGS = ("大学", "学院", "研究所", "研究院")


def _schools_of_countries(simple: str, spans) -> List[Tuple[int, int, str]]:
    """A country written right before a university, college or institute is part of its name
    ("伊朗" + "伊斯兰自由大学", "加拿大" + "蒙特利尔音乐学院"; GUIDELINES.md: a country before a body
    that belongs to it)."""
    places = {s: (s, e, label) for s, e, label in spans if label == "GPE"}
    out = list(spans)
    for s, e, label in spans:
        if label != "ORG" or not simple[s:e].endswith(_SCHOOL_ENDINGS):
            continue
        place = next((sp for sp in places.values() if sp[1] == s and simple[sp[0]:s] in countries()), None)
        if place is None or (s, e, label) not in out:
            continue
        out = [sp for sp in out if sp not in (place, (s, e, label))] + [(place[0], e, "ORG")]
    return out


# A place's own bodies: its government's departments and offices, its courts, its associations
# (not a company: "河北" + "邢台万达轮胎公司" is read as two names).
_PLACES_BODIES = ("司", "局", "署", "处", "办", "会", "委", "院", "厅")


def _bodies_of_places(simple: str, spans) -> List[Tuple[int, int, str]]:
    """A city, province or region (not a country) written right before a body is part of its name
    ("香港" + "律政司", "浙江" + "瑞安网信办"); not before a body above it ("香港" + "联合国")."""
    out = list(spans)
    for s, e, label in spans:
        if label != "ORG" or simple[s:e].startswith(_SUPRANATIONAL + ("中国", "中共", "驻")) \
                or not simple[s:e].endswith(_PLACES_BODIES) or simple[s:e].endswith("公司"):
            continue
        place = next((sp for sp in out if sp[1] == s and sp[2] == "GPE"), None)
        if place is None or simple[place[0]:s] in countries() or (s, e, label) not in out \
                or _STREET_END.search(simple[s - 1]):
            continue
        out = [sp for sp in out if sp not in (place, (s, e, label))] + [(place[0], e, "ORG")]
    return out


def _japanese_names(simple: str, spans, word_starts: FrozenSet[int]) -> List[Tuple[int, int, str]]:
    """Japanese names the segmenter cuts apart ("岸" + "田文雄", "小池" + "百合" + "子"): a
    Japanese family name and a given name of one to three characters, read as a name where a
    title stands before or after it ("外相茂木敏充", "岸田文雄首相") or "日本" shortly before it
    in the same sentence. Places and organisations keep their characters (a place reading of the
    family name alone does not count: "高市"/ns + "早苗"). The family name of a person so found,
    written alone as a word elsewhere in the article, is that person ("据报高市在国会…")."""
    words = lexicon()[0]
    found = []
    for pos in range(len(simple) - 2):
        family = next((simple[pos:pos + n] for n in (3, 2) if simple[pos:pos + n] in JAPANESE_SURNAMES),
                      simple[pos] if simple[pos] in _JAPANESE_ONE_CHAR else None)
        if family is None:
            continue
        start = pos + len(family)
        end = start
        while end < len(simple) and end - start < 3 and _han(simple[end]) \
                and simple[end] not in _NAME_STOPS and not _title_at(simple, end) \
                and not simple.startswith(_JAPANESE_TITLES, end):
            end += 1
        if end - start == 3 and simple[end - 1] not in _GIVEN_FINALS:
            end -= 1                                     # "百合子", but "敏充" + "和"
        while end > start and end < len(simple) and end not in word_starts \
                and simple[end] not in _ADVERBS:
            end -= 1                                     # "田中光" + "共同": the name ends a word
        if end == start or (end - start == 1 and len(family) == 1):
            continue
        before = simple[max(0, pos - 15):pos]
        sentence = before[before.rfind("。") + 1:]
        titled = _title(simple[max(0, pos - 5):pos]) or simple.endswith(_JAPANESE_TITLES, 0, pos) \
            or _title_at(simple, end) or simple.startswith(_JAPANESE_TITLES, end)
        person_inside = any(s < end and pos < e and label == "PERSON" for s, e, label in spans)
        if not (titled or person_inside or "日本" in sentence):
            continue
        if any(s < end and pos < e and label != "PERSON"
               and not ((s, e) == (pos, start) and words.get(family) is None)   # "高市"/ns + "早苗"
               for s, e, label in spans) \
                or any(s <= pos and end <= e for s, e, _ in found):
            continue                                     # inside a place or an organisation
        found.append((pos, end, "PERSON"))
    families = {simple[s:s + n] for s, e, label in found + [sp for sp in spans if sp[2] == "PERSON"]
                for n in (3, 2) if e - s > n and simple[s:s + n] in JAPANESE_SURNAMES}
    for family in sorted(families, key=len, reverse=True):
        for match in re.finditer(re.escape(family), simple):
            a, b = match.span()
            if a in word_starts and (b in word_starts or b == len(simple)) \
                    and not any(s < b and a < e for s, e, _ in found) \
                    and not any(s < b and a < e and label != "PERSON" and words.get(simple[s:e])
                                for s, e, label in spans):
                found.append((a, b, "PERSON"))       # "高市" alone, a word of its own
    if not found:
        return spans
    kept = [sp for sp in spans if not any(sp[0] < e and s < sp[1] for s, e, _ in found)]
    return kept + found


# A person's name right after a title and before a verb or punctuation: "行政总裁周受资，",
# "主席古沛勤认为" (the segmenter cuts rare given names apart).
_AFTER_NAME = ("，", "。", "、", "：", "（", "表示", "说", "指", "称", "认为", "强调", "透露", "回应",
               "感谢", "致辞", "提到", "在", "于", "和", "与")


@functools.lru_cache(maxsize=1)
def _titles_before_family_names():
    family = "".join(sorted({name[0] for name in SURNAMES}))
    return re.compile("(?:%s)(?=[%s])" % ("|".join(map(re.escape, sorted(_TITLE_WORDS, key=len, reverse=True))),
                                         family))


def _titled_people(simple: str, spans, words, freq) -> List[Tuple[int, int, str]]:
    found = []
    for match in _titles_before_family_names().finditer(simple):
        pos = match.end()
        family = 2 if simple[pos:pos + 2] in SURNAMES else 1 if simple[pos:pos + 1] in SURNAMES else 0
        if not family:
            continue
        for size in (family + 2, family + 1):
            name = simple[pos:pos + size]
            if len(name) == size and _han(name) and not set(name[family:]) & _NAME_STOPS \
                    and name not in freq and words.get(name) is None \
                    and simple.startswith(_AFTER_NAME, pos + size) \
                    and not any(s < pos + size and pos < e and label != "PERSON"
                                and not (label == "GPE" and s >= pos + family and e <= pos + size
                                         and words.get(simple[s:e]) is None)   # "张" + "昆阳"/ns
                                for s, e, label in spans):
                found.append((pos, pos + size, "PERSON"))
                break
    if not found:
        return spans
    kept = [sp for sp in spans if not any(sp[0] < e and s < sp[1] for s, e, _ in found)]
    return kept + found


def _joined_people(simple: str, spans, words) -> List[Tuple[int, int, str]]:
    """Two pieces of one name the tagger calls people, written together: "翁山" + "苏姬"."""
    out = []
    for span in sorted(spans):
        if out and span[2] == "PERSON" and out[-1][2] == "PERSON" and out[-1][1] == span[0] \
                and 3 <= span[1] - out[-1][0] <= 6 and words.get(simple[span[0]:span[1]]) is None \
                and words.get(simple[out[-1][0]:out[-1][1]]) is None:
            out[-1] = (out[-1][0], span[1], "PERSON")
        else:
            out.append(span)
    return out


# A name and one of these is the facility, a place: "金紫荆" + "广场", "中环" + "海滨".
_FACILITY_WORDS = ("广场", "公园", "海滨", "码头", "大桥", "机场", "口岸")


def _named_facilities(simple: str, spans, words) -> List[Tuple[int, int, str]]:
    """A person or place name right before a facility word names the facility, a place
    ("金紫荆广场": not the person 金紫荆; "中环海滨"), unless another name starts inside it."""
    out = []
    for start, end, label in spans:
        fac = next((f for f in _FACILITY_WORDS if simple.startswith(f, end)), None) \
            if label in ("PERSON", "GPE") and words.get(simple[start:end]) != "PERSON" else None
        if fac and not any(s < end + len(fac) and end < e for s, e, _ in spans):
            out.append((start, end + len(fac), "GPE"))
        else:
            out.append((start, end, label))
    return out


# Hong Kong's bureaux and departments: "A及B局" ("文化体育及旅游局", "政制及内地事务局"), and
# "X局" / "X署" / "X处" named with its head's title ("房屋局局长", "卫生署署长").
_BUREAU = re.compile(r"(?=([\u4e00-\u9fff]{2,4})及([\u4e00-\u9fff]{2,6}?)(局|署|处))")
_HEADED = re.compile(r"(?=(局|署|处)(?:副)?(?:\1)长)")
# ... or speaking as a body: "消防处回覆", "入境处发言人", "水务署亦提醒".
_SPEAKING = re.compile(r"(?=(局|署|处)[曾将也又还已则就亦并]?(?:发言人|表示|回覆|回复|呼吁|提醒|宣布|公布|指出))")
# A party, union or alliance named by its short form before its leader's title: "社民连主席",
# "支联会副主席", "职工盟秘书长", "学联前秘书长" (not the generic bodies: "学生会主席").
_CHAIRED = re.compile(r"(?=([\u4e00-\u9fff]{1,2}(?:联|连|盟|会))(?:前|副|前副)?(?:主席|秘书长|召集人|总干事|会长|理事长|发言人))")
_GENERIC_ASSOCIATIONS = frozenset("学生会 委员会 董事会 理事会 工会 商会 协会 议会 国会 教会 大会 总会 分会 "
                                  "学会 同盟 联盟 校友会 基金会 联合会 常委会 代表会".split())
_COUNTING = frozenset("多各等第几数些")
# "X处" is a spot, not a department, after these: "交界处", "入口处", "转角处", "之处".
_WHERE = frozenset("口界角头边汇接合叉弯远深高低近之尾缝")
# Characters a body's name can follow: function words, not the end of another word.
_BEFORE_NAME = frozenset("由与和及在向对为的是被把将跟同或、，。：；（「“《")


def _bureaux(simple: str, spans, inner) -> List[Tuple[int, int, str]]:
    """Hong Kong bodies the segmenter cuts or misses: bureaux "A及B局", "X局/署/处" named with
    its head's title or speaking as a body ("消防处回覆"), and short forms ending in 联/盟/会 before
    their leader's title ("社民连主席"). Each is an organisation wherever the article writes it as
    itself; where its head's title follows ("房屋局局长") it is a title (GUIDELINES.md) and no
    name, and no KB name may end inside it."""
    def opens(pos: int) -> bool:
        return pos == 0 or not _han(simple[pos - 1]) or simple[pos - 1] in _BEFORE_NAME \
            or simple[pos - 1] in _AFTER_NAME_CHARS

    names = set()
    for match in _BUREAU.finditer(simple):
        first = match.group(1)
        cut = next((k for k in range(len(first) - 2, -1, -2) if opens(match.start() + k)), None)
        body = first[cut:] + "及" + match.group(2) + match.group(3) if cut is not None else ""
        if body and not set(body) & (_NOT_IN_NAMES | _COUNTING):   # not "新界多处", "第六局"
            names.add(body)
    for match in [*_HEADED.finditer(simple), *_SPEAKING.finditer(simple)]:
        end = match.start() + 1
        if any(end - len(n) <= match.start() < end for n in names if simple.startswith(n, end - len(n))):
            continue
        size = next((k for k in (2, 3, 4) if end - 1 - k >= 0 and opens(end - 1 - k)
                     and _han(simple[end - 1 - k:end - 1])), None)
        body = simple[end - 1 - size:end] if size else ""
        if body and not set(body) & _NOT_IN_NAMES and not body.endswith("当局") \
                and body[0] not in "该本此其各" and not (body[-1] == "处" and body[-2] in _WHERE):
            names.add(body)
    for match in _CHAIRED.finditer(simple):
        short = match.group(1)
        if opens(match.start()) and short[0] not in "该本此其各" and short not in _GENERIC_ASSOCIATIONS \
                and short[-2:] not in _GENERIC_ASSOCIATIONS \
                and not set(short[:-1]) & (_NOT_IN_NAMES | _AFTER_NAME_CHARS):
            names.add(short)
    if not names:
        return spans
    found = []
    for match in re.finditer("|".join(map(re.escape, sorted(names, key=len, reverse=True))), simple):
        a, b = match.span()
        if not opens(a) or any(f[0] < b and a < f[1] for f in found):
            continue
        if re.match(r"副?%s长" % re.escape(simple[b - 1]), simple[b:b + 3]):
            inner.update(range(a + 1, b + 1))            # "房屋局局长": a title
            continue
        if any(s < b and a < e and not (a <= s and e <= b) for s, e, _ in spans):
            continue                                     # another name runs across it
        found.append((a, b, "ORG"))
    kept = [sp for sp in spans if not any(s <= sp[0] and sp[1] <= e for s, e, _ in found)]
    return kept + found


_REGNAL = re.compile("[一二三四五六七八九十]{1,3}世")


def _regnal_numbers(simple: str, spans) -> List[Tuple[int, int, str]]:
    """"费利佩" + "六世": a monarch's number is part of the name."""
    out = []
    for start, end, label in spans:
        match = _REGNAL.match(simple, end) if label == "PERSON" else None
        out.append((start, match.end() if match else end, label))
    return out


# Function words and verbs the segmenter glues to the end of a Chinese name ("陈时中" + "曾在",
# "林宗谚" + "说", "邹幸彤" + "遭控", "邹" + "向众人说", "陈" + "于香港"): no given name ends in them.
_GLUED_AFTER_NAME = frozenset("曾说遭于亦将与称须被则并还已也又就在是和自向指对")
# Conjunctions inside a name cut across two people ("曾" + "与" + "林郑共事").
_JOINING = frozenset("与和及并")


# Short forms of bodies (Hong Kong's and others': "记协", "教协", "廉署", "羽总", "商台"): two
# characters, the second a body's, rare in the dictionary, written where a body acts or is named
# with its head, or listed beside another body.
_SHORT_BODY_END = frozenset("署协总联盟台局处委办院")
# No short form opens with a function word or a figure, nor with a verb of going ("抵台", "访台").
_NOT_SHORT_BODY_OPENING = frozenset("和与及并或的在本该这其各此两全一二三四五六七八九十上下前后大小总副"
                                    "抵访来赴返离留回到出驻登")
_BODY_ACTS = ("主席", "副主席", "总裁", "主任", "发言人", "秘书长", "会长", "理事长", "成员", "会员", "节目",
              "已", "亦", "则", "将", "表示", "指出", "称", "促请", "发表", "回应", "宣布", "解散", "调查",
              "去信", "声明", "批评", "谴责", "要求", "认为")


def _short_bodies(simple: str, spans, tokens, offsets, freq) -> List[Tuple[int, int, str]]:
    """A body's short form of two characters (one segmenter word, or two one-character words)
    ending in a body's character, that the dictionary knows barely if at all (fewer than 25
    uses), is an organisation where its head's title, an acting verb or an adverb follows
    ("记协主席", "羽总已跟…", "商台节目") or where it is listed beside a body the tagger found
    ("教协、民阵")."""
    org_spans = [(s, e) for s, e, label in spans if label == "ORG"]
    out = list(spans)
    for k, (word, flag) in enumerate(tokens):
        start = offsets[k]
        if len(word) == 1 and k + 1 < len(tokens) and len(tokens[k + 1][0]) == 1:
            word = word + tokens[k + 1][0]             # "羽" + "总"
        if len(word) != 2 or not _han(word) or word[1] not in _SHORT_BODY_END \
                or word[0] in _NOT_SHORT_BODY_OPENING \
                or (freq.get(word) or 0) >= 25 or flag in ("ns", "nr", "nrfg", "m", "q", "r", "p", "c", "d") \
                or word.endswith(_NOT_ORG_ENDINGS) \
                or (k and len(tokens[k - 1][0]) == 1 and _han(tokens[k - 1][0])
                    and tokens[k - 1][1] not in ("p", "c", "u", "uj", "ul", "d", "r")):
            continue                                   # "联署"; "食" + "环署": a longer name
        end = start + 2
        if any(s < end and start < e for s, e, _ in out):
            continue
        after = simple[end:end + 3]
        if after.startswith("长") or after[:2] in ("副长",):
            continue                                   # "局长": a title
        listed = (simple[end:end + 1] == "、" and any(s == end + 1 for s, _ in org_spans)) or (
            simple[start - 1:start] == "、" and any(e == start - 1 for _, e in org_spans))
        if after.startswith(_BODY_ACTS) or listed:
            out.append((start, end, "ORG"))
    return out


# Armed forces named by their country or as themselves are organisations (tests/data/zh_names/
# SOURCES.md, the annotation calls of 2026-12-05g: 美軍, 俄軍, 自衛隊, 海上自衛隊, 印度空軍); troops
# ("中國軍隊") and a branch without its country ("空軍": GUIDELINES.md) are not.
_FORCE_OF = frozenset("美俄日英法德韩台乌以朝越印菲泰土叙澳苏国共")   # "美军", "国军" (Taiwan's)
_SELF_DEFENCE_ARMS = frozenset("海上 陆上 航空".split())
_COUNTRY_FORCES = ("武装部队", "国防军", "武装力量", "自卫队")


def _armed_forces(simple: str, spans, tokens, offsets, words) -> List[Tuple[int, int, str]]:
    """Armed forces as organisations: a segmenter word of a country's one-character short form
    and 军 ("美军", "俄军", "国军"), the self-defence forces with their arm ("海上" + "自卫队"), and
    a country written right before its armed forces ("菲律宾" + "武装部队", "日本" + "自卫队"),
    the country then inside the name (GUIDELINES.md: a country before its body is part of it)."""
    out = list(spans)
    for k, (word, flag) in enumerate(tokens):
        start, end = offsets[k], offsets[k] + len(word)
        force = next((f for f in _COUNTRY_FORCES if word.endswith(f)), None)
        if len(word) == 2 and word[1] == "军" and word[0] in _FORCE_OF and flag not in ("v", "vn", "nr") \
                and words.get(word) is None:
            pass                                       # "美军", "俄军", "国军"
        elif force and word != force:
            if word[:-len(force)] not in countries() | _SELF_DEFENCE_ARMS:
                continue                               # "泰国武装部队"/nt, "海上自卫队": one word
        elif force:
            if k and tokens[k - 1][0] in _SELF_DEFENCE_ARMS and force == "自卫队":
                start = offsets[k - 1]                 # "航空" + "自卫队"
            place = next((s for s, e, label in out if e == start and label == "GPE"), None)
            if place is not None and simple[place:start] in countries():
                start = place                          # "菲律宾" + "武装部队"
            elif not force.endswith("自卫队"):
                continue                               # "武装部队" without its country: generic
        else:
            continue
        if any(s <= start and end <= e and label == "ORG" for s, e, label in out):
            continue
        kept = [sp for sp in out if not (start <= sp[0] and sp[1] <= end)]
        if any(sp[0] < end and start < sp[1] for sp in kept):
            continue                                   # across another name: left as it was
        out = kept + [(start, end, "ORG")]
    return _paramilitary_forces(simple, out)


# A country's coast guard and armed police, written after the country ("中国海警", "中国海岸警卫",
# "菲律宾海岸防卫队", "中国武装警察"): forces named by their country, as its armed forces are.
_PARAMILITARY = re.compile("海岸警卫队|海岸警卫|海岸防卫队|海警|武装警察部队|武装警察|武警部队|武警|国民警卫队")


def _paramilitary_forces(simple: str, spans) -> List[Tuple[int, int, str]]:
    out = list(spans)
    for match in _PARAMILITARY.finditer(simple):
        a, b = match.span()
        place = next((sp for sp in out if sp[1] == a and sp[2] == "GPE"
                      and simple[sp[0]:a] in countries()), None)
        if place is None:
            continue
        kept = [sp for sp in out if sp != place and not (a <= sp[0] and sp[1] <= b)]
        if any(sp[0] < b and a < sp[1] for sp in kept):
            continue                                   # inside or across another name
        out = kept + [(place[0], b, "ORG")]
    return out


_STREET_END = re.compile("[街道路]")
_FUNCTION_WORDS = frozenset("的 和 与 及 在 是 上 下 走 一 条".split())
# What a street's name may be made of, in the segmenter's tags: nouns and names ("纪利" + "佐治"
# + "街", "马会" + "道", "德忌笠"/i + "街"), and a direction word ("东角"/f + "道").
_STREET_FLAGS = frozenset({"n", "nr", "nrt", "nrfg", "ns", "nz", "nt", "i", "j", "ng", "s", "q", "l", "an", "b"})


def _streets(simple: str, spans, tokens, offsets, freq) -> List[Tuple[int, int, str]]:
    """A street written right after its district or city ("铜锣湾" + "纪利佐治街", "尖沙咀" +
    "金马伦道", "中环" + "德忌笠街"): two to four characters of nouns or names and the street word
    (街, 道, 路) ending a word of the segmenter's, is a place; the names the tagger read inside it
    go. Not a saying ("…道：「"), a title and a name ("总理杜鲁道"), a run with a verb or a number
    ("市民上街", "一带一路"), or a common word ("新闻频道", "公路")."""
    flag_at = {offset: flag for offset, (_, flag) in zip(offsets, tokens)}
    word_at = {offset: word for offset, (word, _) in zip(offsets, tokens)}
    ends = {offset + len(word) for offset, (word, _) in zip(offsets, tokens)}
    out = list(spans)
    for start, end, label in spans:
        if label != "GPE":
            continue
        for size in (3, 4, 5):                         # two to four characters and 街/道/路
            stop = end + size
            if stop > len(simple) or stop not in ends or not _STREET_END.match(simple[stop - 1]) \
                    or simple[stop:stop + 1] in "：:「“，,":
                continue
            pos, ok = end, True
            while pos < stop:                          # whole words of names and nouns only
                word, flag = word_at.get(pos), flag_at.get(pos)
                if word is None or pos + len(word) > stop or not _han(word) or not (
                        flag in _STREET_FLAGS or flag == "f" and word[0] in "东西南北"):
                    ok = False
                    break
                pos += len(word)
            last = max(p for p in range(end, stop) if p in word_at)
            if len(word_at[last]) > 1 and flag_at[last] not in ("ns", "nr", "nrt", "nrfg", "nz", "nt") \
                    and (freq.get(word_at[last]) or 0) > 0:
                continue                               # "新闻频道", "全运会公路": common words
            if not ok or any(word_at.get(p) in _TITLES or word_at.get(p) in _FUNCTION_WORDS
                             for p in range(end, stop)):
                continue                               # "总理杜鲁道": a title and a name
            first = word_at.get(end)
            if flag_at.get(end) == "ns" and stop - end - len(first) >= 3:
                end_of_place = end + len(first)        # "青衣" + "青鸿路": the district, then
            else:                                      # the street
                end_of_place = end
            if any(s < end and end < e for s, e, _ in out if (s, e) != (start, end)):
                break                                  # inside a longer name already
            out = [sp for sp in out if not (end <= sp[0] and sp[1] <= stop)] + [(end_of_place, stop, "GPE")]
            if end_of_place > end:
                out.append((end, end_of_place, "GPE"))
            break
    return out


def _third_characters(simple: str, spans, tokens, offsets, words, freq) -> List[Tuple[int, int, str]]:
    """A two-character name (family name and one character) whose third character the segmenter
    glued to the next word: "曾澍" + "基则", "戴伟" + "绅说" (the third character and a function
    word), or left alone before punctuation or a conjunction ("李卓" + "人" + "和"): the name has
    three characters. The glued pair is no dictionary word ("吴谦" + "声称" stays 吴谦)."""
    at = {offset: k for k, offset in enumerate(offsets)}
    out = []
    for start, end, label in spans:
        k = at.get(end)
        name = simple[start:end]
        if label == "PERSON" and k is not None and end - start == 2 and name[0] in SURNAMES \
                and words.get(name) is None and not _translit(name):
            word, flag = tokens[k]
            after = tokens[k + 1] if k + 1 < len(tokens) else ("", "x")
            if (len(word) == 2 and _han(word) and word[1] in _GLUED_AFTER_NAME
                    and word[0] not in _AFTER_NAME_CHARS and flag in ("n", "ng", "nr")
                    and not freq.get(word)) \
                    or (len(word) == 1 and _han(word) and flag in ("n", "ng") and word not in _AFTER_NAME_CHARS
                        and (not _han(after[0][:1]) or after[1] in ("c", "p"))):
                end += 1                                   # "李卓" + "人" + "和何俊仁"
        out.append((start, end, label))
    return out


def _unglued_people(simple: str, spans, words) -> List[Tuple[int, int, str]]:
    """Chinese names (not transliterations, not the lexicon's) without the function word or
    verb the segmenter glued to their end: "陈时中曾在" is 陈时中, "林宗谚说" 林宗谚; a family
    name and such a word ("陈于香港", "邹向众人", "陈亦未有") is no name, nor is a run joined
    by a conjunction ("曾与林郑共事")."""
    out = []
    for start, end, label in spans:
        name = simple[start:end]
        if label != "PERSON" or words.get(name) is not None or _translit(name) \
                or not (name[0] in SURNAMES or name[:2] in SURNAMES) or not _han(name):
            out.append((start, end, label))
            continue
        if any(c in _JOINING for c in name[1:]) and len(name) >= 4:
            continue                                     # "曾与林郑共事"
        if name[-1] in _GLUED_AFTER_NAME:
            if len(name) == 2 or (len(name) == 3 and name[:2] in SURNAMES):
                continue                                 # "陈于", "邹向": a family name alone
            end -= 1                                     # "陈时中曾" -> "陈时中"
        out.append((start, end, label))
    return out


def _every_mention(simple: str, spans) -> List[Tuple[int, int, str]]:
    """A person's name found once (three characters or more) is that person wherever the article
    writes it again: "周受资和马斯克" after "行政总裁周受资"."""
    names = {simple[s:e] for s, e, label in spans if label == "PERSON" and e - s >= 3}
    if not names:
        return spans
    out = list(spans)
    for match in re.finditer("|".join(map(re.escape, sorted(names, key=len, reverse=True))), simple):
        if not any(s < match.end() and match.start() < e for s, e, _ in out):
            out.append((match.start(), match.end(), "PERSON"))
    return out


# A newspaper's or outlet's own name in title marks: "《法兰克福汇报》" (GUIDELINES.md).
# Documents whose names end as a paper's do: "《警情通报》", "《联合公报》", "《工作简报》".
_DOCUMENTS = ("通报", "公报", "简报", "情报", "海报", "举报", "预报", "警报", "年报", "季报", "周报")
_PAPER = r"([\u4e00-\u9fff]{1,10}(?:报|汇报|日报|时报|晚报|邮报|周刊|新闻|杂志|画报|通讯))"
# A newspaper in title marks, in French guillemets ("德国 « 商报 »", as French-style text writes
# them), or in quotation marks with its name glossed in Latin letters ("「商报」（Handelsblatt）").
_NEWSPAPER = re.compile(r"《" + _PAPER + r"》|« ?" + _PAPER + r" ?»|「" + _PAPER + r"」[（(][A-Za-z]")


# A website's name in quotation marks ("「异言网」的监测资料", "“中国舆论监督网”创办人"); not the
# internet or the act of going online written as a quoted phrase ("「进行非法国际连网」").
_QUOTED_SITE = re.compile(r"[「“]([\u4e00-\u9fff]{2,10}网)[」”]")
_NOT_SITES = ("连网", "联网", "上网", "断网", "互联网", "局域网", "物联网", "关系网", "天罗地网", "渔网",
              "铁丝网", "电网", "管网", "天网", "防护网", "安全网", "社交网", "法网", "情网")


def _named_newspapers(simple: str, spans) -> List[Tuple[int, int, str]]:
    found = [(m.start(1), m.end(1), "ORG") for m in _QUOTED_SITE.finditer(simple)
             if not m.group(1).endswith(_NOT_SITES) and not set(m.group(1)) & _NOT_IN_NAMES]
    for m in _NEWSPAPER.finditer(simple):
        k = next(g for g in (1, 2, 3) if m.group(g))
        if not set(m.group(k)) & _NOT_IN_NAMES and not m.group(k).endswith(_DOCUMENTS):
            found.append((m.start(k), m.end(k), "ORG"))
    if not found:
        return spans
    kept = [sp for sp in spans if not any(sp[0] < e and s < sp[1] for s, e, _ in found)]
    return kept + found


# A news site or portal acting as a newsroom ("维权网10月底也曾报导", "浙江政务服务网…公告") or
# listed among the outlets a report cites ("来源： 中央社 、 联合新闻网"): words of a name ending in
# 网; not a network of another kind (_NOT_SITES), an official site of a body ("卫健委官网") or
# the tail of a name in Latin letters or after a gloss ("ABS-CBN新闻网").
_SITE_ACT = re.compile(r"[^。，；：！？「」《》\n]{0,8}?(?:报导|报道|公告|发布|引述|披露|刊登|刊出)")
_SITE_FLAGS = frozenset({"n", "nz", "ns", "nt", "j", "vn", "l", "an", "b"})


def _news_sites(simple: str, spans, tokens, offsets) -> List[Tuple[int, int, str]]:
    out = list(spans)
    for k, (word, flag) in enumerate(tokens):
        if not word.endswith("网") or not _han(word):
            continue
        j = k
        end = offsets[k] + len(word)
        while j > 0 and tokens[j - 1][1] in _SITE_FLAGS and _han(tokens[j - 1][0]) \
                and end - offsets[j - 1] <= 8:
            j -= 1
        start = offsets[j]
        name = simple[start:end]
        if len(name) < 3 or name.endswith(_NOT_SITES + ("官网",)) or set(name) & _NOT_IN_NAMES \
                or (start and re.match(r"[A-Za-z0-9）)]", simple[start - 1])):
            continue                                   # "美国之音（VOA）中文网": a longer name
        listed = simple[end:end + 2].strip()[:1] == "、" or simple[max(0, start - 3):start].strip()[-1:] in ("、", "：")
        if not (_SITE_ACT.match(simple, end) or listed):
            continue
        inside = [sp for sp in out if sp[0] < end and start < sp[1]]
        if any(sp[0] < start or sp[1] > end for sp in inside):
            continue                                   # across another name
        out = [sp for sp in out if sp not in inside] + [(start, end, "ORG")]
    return out


# Reporting credits: an outlet's short name in the credit that opens a report ("（独媒报导）",
# "【某某报道】", "（某社记者…"), and an outlet in title marks with a newsroom's word ("《立场》报道",
# "《香港01》记者", "接受《某报》访问", "回复《某刊》查询").
_CREDIT = re.compile(r"[（【(\[]([\u4e00-\u9fff][\u4e00-\u9fff0-9]{1,3}?)(?:报导|报道)[）】)\]]"
                     r"|[（【(\[]([\u4e00-\u9fff][\u4e00-\u9fff0-9]{1,3}?)(?:特约)?记者[\u4e00-\u9fff]")
# Media of a place or kind ("港媒", "陆媒", "外媒", "官媒", "网媒"): media in general, no outlet.
_MEDIA_OF = re.compile("[港陆台日美英法德韩俄外官党网中欧澳加印泰越朝内海境各][媒]")
_LAW_ENDINGS = ("法", "条例", "公约", "宪章", "声明", "协议", "协定", "条约", "法案", "规定", "守则", "白皮书")
_PRESS_AFTER = ("记者", "报道", "报导", "引述", "查询", "专访", "独家", "披露", "正向")
_PRESS_BEFORE = ("接受", "向", "回复", "回应", "答复")
_PRESS_REPLY = ("访问", "专访", "表示", "查询", "透露")
# "《科学》杂志", "《时代》周刊": the title is the periodical's name.
_PERIODICALS = ("杂志", "周刊", "月刊", "季刊")
# A newsroom's act a few characters later in the same clause, after an adverb, a date or a
# verb's object ("《立场》本周二（7 日）报道", "《立场》已向港台查询", "《环时》并引述", "《环时》将设立社长").
_PRESS_LATER = re.compile(r"[^。，；、！？：「」“”《》\n的]{1,10}?(?:报道|报导|引述|查询|社长|总编辑|引消息)")
_OUTLET_KINDS = ("新闻网", "新闻", "日报", "时报", "晚报", "早报", "电台", "周刊", "杂志")
_TITLED_OUTLET = re.compile(r"《([\u4e00-\u9fff][\u4e00-\u9fff0-9]{0,9})》")
# Words a credit may open with that name no outlet ("（综合报道）", "（本报记者…", "（特约记者…").
_NOT_OUTLETS = frozenset("综合 本报 本台 本网 本社 本刊 外电 网络 网上 联合 特约 编辑 驻地 随团 实习 见习 摄影".split())


def _credited_outlets(simple: str, spans, words, freq) -> List[Tuple[int, int, str]]:
    """Outlets named by how a report credits them: the short name in a bracketed credit
    ("（独媒报导）", "（某社记者王某台北电）"), not a word of the dictionary unless it is a body's,
    and a name in title marks followed by a newsroom's word or asked by one ("《立场》报道",
    "《香港01》记者", "接受《立场》访问"). Not a document ("《通报》")."""
    found = []
    for match in _CREDIT.finditer(simple):
        k = 1 if match.group(1) else 2
        name = match.group(k)
        if name in _NOT_OUTLETS or name in _ORG_DESCRIPTORS or _MEDIA_OF.fullmatch(name) or words.get(name) in ("GPE", "PERSON") or (
                freq.get(name) and words.get(name) != "ORG" and _posseg()[0].lcut(name)[0].flag != "nt"):
            continue
        found.append((match.start(k), match.end(k)))
    # an outlet the article names in full ("《立场新闻》", "立场新闻") written in title marks without
    # its kind's word elsewhere ("《立场》停运"): the same outlet
    shortened = {full[:-len(kind)] for full in
                 [m.group(1) for m in _TITLED_OUTLET.finditer(simple)]
                 + [simple[s:e] for s, e, label in spans if label == "ORG"]
                 for kind in _OUTLET_KINDS if full.endswith(kind) and len(full) - len(kind) >= 2}
    for match in _TITLED_OUTLET.finditer(simple):
        name = match.group(1)
        if name.endswith(_DOCUMENTS + _LAW_ENDINGS) or words.get(name) in ("GPE", "PERSON"):
            continue
        after = simple[match.end():match.end() + 2]
        before = simple[max(0, match.start() - 2):match.start()]
        if after.startswith(_PRESS_AFTER + _PERIODICALS) \
                or (before.endswith(_PRESS_BEFORE) and after.startswith(_PRESS_REPLY)) \
                or _PRESS_LATER.match(simple, match.end()) or name in shortened:
            found.append((match.start(1), match.end(1)))
    if not found:
        return spans
    kept = [sp for sp in spans if not any(sp[0] < e and s < sp[1] for s, e in found)]
    return kept + [(s, e, "ORG") for s, e in found]


# Words just before a transliterated name that say it is a company's: "化工巨头巴斯夫",
# "汽车制造商戴姆勒", "连锁店肯德基".
_COMPANY_CUES = ("巨头", "巨擘", "大厂", "车厂", "药厂", "厂商", "制造商", "生产商", "供应商", "运营商",
                 "零售商", "开发商", "品牌", "连锁店", "集团", "公司", "企业", "车企", "药企", "龙头")
# Words just after it: "戴姆勒公司", "巴斯夫股价", "戴姆勒旗下".
_COMPANY_AFTER = ("公司", "集团", "股价", "股份", "旗下", "董事会", "执行长", "首席执行官", "总裁", "财报")


def _companies_by_context(simple: str, spans, words) -> List[Tuple[int, int, str]]:
    """A transliteration the tagger calls a person or a place is a company where the words
    around it say so, and a name the article uses as a company once is one everywhere."""
    out = []
    for start, end, label in spans:
        name = simple[start:end]
        if label in ("PERSON", "GPE") and words.get(name) is None and _translit(name.replace("·", "")) and (
                simple.endswith(_COMPANY_CUES, 0, start) or simple.startswith(_COMPANY_AFTER, end)):
            label = "ORG"
        out.append((start, end, label))
    companies = {simple[s:e] for s, e, label in out if label == "ORG"}
    return [(s, e, "ORG" if label in ("PERSON", "GPE") and simple[s:e] in companies
             and words.get(simple[s:e]) is None else label) for s, e, label in out]


# A listed company written with its stock code in brackets: Hong Kong's ("永利（1128）", "壹传媒
# （282）", "高银金融（0530）") and Taiwan's ("阳明（2609）", "诚品生活（2926）"). A code that could
# be a year (1900-2099: "去（2021）年", "报告（2019）") counts only with the shares moving or the
# company acting right after it ("金沙中国 (1928) 一度暴跌").
_STOCK_CODE = re.compile(r" ?[（(] ?(?:股份代号|股票代号|代号)?[：:]? ?(\d{3,5})(?:\.HK)? ?[）)]")
_YEAR_CODE_CUES = ("升", "跌", "涨", "挫", "急", "暴", "一度", "收报", "收市", "停牌", "复牌", "股价", "股份",
                   "公布", "宣布", "主席", "创办人")
# Words a listed company's name never opens with: its description or role ("发展商当代置业",
# "上市公司高银金融", "业主诚品生活", "控股股东永升亚洲"), a share board's word ("蓝筹股").
_LISTED_OPENERS = frozenset("业主 发展商 开发商 上市公司 公司 股东 控股股东 大股东 母公司 子公司 旗下 券商 "
                            "蓝筹 蓝筹股 新股 内房股 科技股 濠赌股 航运股 个股 龙头 同业 对手 股王".split())
_LISTED_FLAGS = frozenset({"n", "nz", "nr", "nrt", "nrfg", "ns", "nt", "j", "zg", "g", "ng", "a", "b",
                           "an", "l", "t"})
# A number in brackets after a counted thing is its count ("就诊人次（7422）"); 5 digits are a
# Hong Kong code only zero-padded ("（00293）"), not a police officer's number ("警员X（25747）").
_COUNTED = frozenset("人次 人数 个案 病例 案件 宗 例 件 次 票 元".split())


def _listed_companies(simple: str, spans, tokens, offsets, words, freq) -> List[Tuple[int, int, str]]:
    """The words right before a stock code in brackets are the company's name (one to four words,
    eight characters at most, from the tagger's nouns and name pieces; not a description before
    it): an organisation, and the names the tagger made of its pieces ("金沙"/PERSON + "中国")
    go; the same name elsewhere in the article is that company too ("总部在拉斯维加斯的永利").
    A name that is one common word ("号机" of "2号机（6672）") or a single character is none."""
    codes = list(_STOCK_CODE.finditer(simple))
    if not codes:
        return spans
    code_starts = [match.start() for match in codes]
    ends = {offset + len(word): k for k, ((word, _), offset) in enumerate(zip(tokens, offsets))}
    out, listed = list(spans), set()
    for match in codes:
        # what follows the bracket, for the cues (a few characters, not the rest of the text)
        code, at, after = match.group(1), match.start(), simple[match.end():match.end() + 32].lstrip()
        cued = after.startswith(_YEAR_CODE_CUES)
        if (len(code) == 4 and code[:2] in ("19", "20") and not cued) or after.startswith("年") \
                or (len(code) == 5 and code[0] != "0"):
            continue                                     # a year ("明（110）年"), a number
        k = ends.get(at)
        if k is None:
            continue
        first = k + 1
        while first > 0 and k - first < 3:
            word, flag = tokens[first - 1]
            if not _han(word) or (flag not in _LISTED_FLAGS and not (flag == "vn" and first == k + 1)) \
                    or word in _LISTED_OPENERS or word in _NOT_BRAND or word in _BRAND_OPENERS \
                    or any(c in "一二三四五六七八九十两百千" for c in word) \
                    or (flag == "t" and word.endswith(("日", "天", "年", "月", "时"))) \
                    or at - offsets[first - 1] > 8:
                break                                    # "诚品" + "生活"/vn; not "海运三雄"
            first -= 1
        if first > k:
            continue
        start = offsets[first]
        start += simple[start:at].rfind("厂") + 1        # "手机晶片厂" + "联发科": a description
        name = simple[start:at]
        if len(name) < 2 or name in _COUNTED or words.get(name) in ("GPE", "PERSON") \
                or (first == k and words.get(name) != "ORG" and (freq.get(name) or 0) > 3000):
            continue                                     # "东京（6426）": a place's count
        if any(label == "ORG" and e == at for s, e, label in out):
            continue                                     # a company the other rules read
        if any(label == "PERSON" and s == start and e == at for s, e, label in out) and not cued \
                and not any(other != at and abs(other - at) <= 40 for other in code_starts):
            continue                                     # "丹尼尔克雷格（007）": an actor's film;
            # a name the tagger calls a person is a company beside other codes ("美高梅（2282）、澳博")
        out = [sp for sp in out if sp[1] <= start or sp[0] >= at]
        out.append((start, at, "ORG"))
        listed.add(name)
    return [(s, e, "ORG" if label in ("PERSON", "GPE") and simple[s:e] in listed
             and words.get(simple[s:e]) is None else label) for s, e, label in out]


# Words that end a company's name after its brand: "药明" + "生物", "安世" + "半导体",
# "太平鸟" + "集团", "布依格" + "电信", "新濠" + "国际" (a company word alone, or after a common
# noun, "整间公司", "数字科技", names none: the brand must be a rare word, below).
# Not 贸易 ("中美贸易", "跨境贸易": trade), 股份 alone ("收购日盛金股份": shares) nor 公司 alone
# ("巴士公司": the older rule of _organisation reads "X公司").
_COMPANY_WORDS = frozenset("集团 控股 有限公司 股份有限公司 国际 娱乐 科技 银行 航空 汽车 能源 电信 "
                           "证券 保险 人寿 金控 地产 置业 生物 半导体 医药 制药 电子 通讯 实业 传媒 物流 "
                           "电器 资本 化工 矿业 航运 钢铁 电力".split())
_LONGEST_COMPANY_WORDS = sorted(_COMPANY_WORDS, key=len, reverse=True)
# Words that are no part of a brand: scopes ("荷方置全球半导体", "驻台国际媒体").
_NOT_BRAND = frozenset("全球 世界 全国 国内 国外 海外 本地 当地 全港 全台 内地 各地 我国 本港 跨境 驻台 驻港 "
                       "外佣 外劳 雇员 劳工 黑钱 商界 "     # who is insured, what a gang does
                       "同属 隶属 属于 串谋 利用 "           # verbs tagged n: "同属壹传媒旗下"
                       "新能源 越洋 电动 高端 黑客".split())  # kinds: "新能源汽车", "中国黑客集团"
# Words after "X科技" that make it a phrase ("深港科技创新合作区": technological innovation).
_AFTER_COMPANY_NOT = frozenset("创新 合作 发展 研发 融合 园 园区 城 港".split())
# Tags a brand's pieces carry (nouns, the tagger's name tags, characters it could not place).
_BRAND_FLAGS = frozenset({"n", "nz", "nr", "nrt", "nrfg", "ns", "j", "zg", "g", "ng", "a", "nt"})
# Tags of the word before a brand: a function word, a verb, punctuation (not a noun, which could
# be the start of a longer description: "新能源汽车").
_BEFORE_BRAND_FLAGS = frozenset({"v", "vd", "p", "c", "uj", "ul", "u", "d", "x", "m", "r", "q", "t",
                                 "vg", "ad", "y", "e", "uz", "ud", "ug", "df"})
# Function characters the segmenter glues to the front of a rare name: "由众祥" + "石化".
_GLUED_BEFORE = frozenset("由与和及在向对为被把将从跟同")
# Descriptions a brand can follow ("上市的" is read as a verb anyway): "旗下药明生物", "母公司闻泰科技"
# (not "管理" of "零售管理顾问股份有限公司").
_BRAND_OPENERS = frozenset("旗下 上市 合资 外资 跨国 知名 一家 这家 该 其 大型 主要 国有 国营 民营 私营 母公司 "
                           "子公司".split())
# A brand is a word the dictionary rarely sees ("药明", "安世"; 数字, 生物 and 银行 are common).
_RARE_BRAND = 500
# A noun after "brand + company word" makes the company word part of a description ("驻台国际
# 媒体", "新田科技城"), except the nouns a company has or is named with: "安世半导体问题".
_COMPANY_NOUNS = frozenset("股价 股份 股票 股东 旗下 董事会 董事局 主席 总裁 行政总裁 首席执行官 执行长 董事长 "
                           "创办人 创始人 发言人 问题 事件 案 员工 高层 业绩 财报 门店 总部 品牌 新股".split())


# Company words that say "company" by themselves; after the others ("科技", "汽车", "国际") a
# rare word can be a description ("航太科技", "新能源汽车", "高品质国际展会"), so the text around
# must say company too (_company_context).
_STRONG_COMPANY_WORDS = frozenset("集团 控股 有限公司 股份有限公司 证券 金控 人寿".split())
# Just after a company's name: its shares moving ("药明生物跌逾4%"), its officers, its voice.
_COMPANY_AFTER_CUES = ("升", "跌", "涨", "急升", "急挫", "挫", "股价", "股份", "股票", "旗下", "董事", "主席",
                       "总裁", "行政总裁", "首席执行官", "执行长", "创办人", "发言人", "公布", "宣布", "表示",
                       "问题", "事件", "等企业", "等公司", "（", "(")
# Just before it: a description of a company ("母公司", "发展商包括").
_COMPANY_BEFORE_CUES = ("企业", "公司", "集团", "旗下", "巨头", "厂商", "发展商", "券商", "包括", "股", "品牌",
                        "收购", "入股")


# A brand and the market it serves: "金沙中国", "美高梅中国", "永利澳门" (Macau's casino operators).
_PLACE_BRAND_SUFFIXES = frozenset("中国 澳门 香港".split())


def _brand_before_place(token, words, freq) -> bool:
    """Is `token` a brand that a place word after it can end ("金沙"/nr, "美高梅"/nr, "永利"/ns)? A
    name piece of the tagger the lexicon does not know and the dictionary rarely sees."""
    word, flag = token
    return flag in ("nr", "nrt", "nz", "ns") and len(word) >= 2 and _han(word) and words.get(word) is None \
        and (freq.get(word) or 0) < _RARE_BRAND and word not in _NOT_BRAND and not _COUNTRY_PAIR.match(word)


def _company_context(simple: str, a: int, b: int, spans) -> bool:
    """Does the text around simple[a:b] say it is a company? A cue word just after or before it,
    or another organisation beside it in a list ("三替集团、原力数字科技、浪尖渝力科技等企业",
    "永利澳门及澳博控股")."""
    if simple.startswith(_COMPANY_AFTER_CUES, b) or simple.endswith(_COMPANY_BEFORE_CUES, 0, a):
        return True
    return any(label == "ORG" and ((e == a - 1 and simple[e] in "、及和与") or (s == b + 1 and simple[b] in "、及和与"))
               for s, e, label in spans)


def _brand_companies(simple: str, tokens, offsets, spans, words, freq):
    """A brand and a company word are one organisation: "药明生物", "安世半导体", "太平鸟集团",
    "原力数字科技", "中国太平保险", "布依格电信". The brand is one to three words before the
    company word (nouns or the tagger's name pieces, six characters at most), one of them a rare
    word or a name piece the lexicon does not know (太平/ns, 布依/nr); the word before the brand is
    a function word, a verb or punctuation, so the brand is not the end of a longer description;
    a country or city first is part of the name ("中国" + "太平" + "保险", GUIDELINES.md:
    美国辉瑞). Names found otherwise inside it give way; a name running across
    its edge keeps it from being read."""
    found, pending = [], []
    i = 0
    while i < len(tokens):
        word, flag = tokens[i]
        if word in _PLACE_BRAND_SUFFIXES and i > 0 and _brand_before_place(tokens[i - 1], words, freq) \
                and (i < 2 or not _han(tokens[i - 2][0]) or tokens[i - 2][1] in _BEFORE_BRAND_FLAGS):
            a, b = offsets[i - 1], offsets[i] + len(word)  # "金沙" + "中国", "美高梅" + "中国"
            if not any(s < b and a < e and not (a <= s and e <= b) for s, e, _ in spans):
                if _company_context(simple, a, b, spans + found):
                    found.append((a, b, "ORG"))
                else:
                    pending.append((a, b))
            i += 1
            continue
        if flag == "nz" and len(word) >= 4 and words.get(word) is None and word[-2:] in _COMPANY_WORDS \
                and words.get(word[:-2]) is None and word[:-2] not in _GENERIC_TRADES:
            a, b = offsets[i], offsets[i] + len(word)    # one dictionary word: "恒瑞医药"/nz
            if not any(s < b and a < e for s, e, _ in spans) and _company_context(simple, a, b, spans + found):
                found.append((a, b, "ORG"))
            i += 1
            continue
        if tokens[i][0] not in _COMPANY_WORDS or i == 0:
            i += 1
            continue
        end = i
        while end + 1 < len(tokens) and tokens[end + 1][0] in _COMPANY_WORDS:
            end += 1                                     # "科技" + "集团", "控股" + "有限公司"
        after = tokens[end + 1] if end + 1 < len(tokens) else ("", "x")
        start = i
        while start > 0 and i - start < 3:
            word, flag = tokens[start - 1]
            if not _han(word) or flag not in _BRAND_FLAGS or word in _COMPANY_WORDS \
                    or word in _GENERIC_TRADES or word in _DESCRIPTIVE or word in _ORG_DESCRIPTORS \
                    or word in _NOT_NAME_PARTS or word in _OWNERSHIP or word in _COMPANY_CUES \
                    or word in _NOT_BRAND or _COUNTRY_PAIR.match(word) or word in _TITLES \
                    or word in _BRAND_OPENERS or word.endswith(("企业", "公司", "商")) or _org_word(word) \
                    or (len(word) > 1 and word.endswith("化")) \
                    or (len(word) == 2 and word[1] == "方" and words.get(word[0]) == "GPE") \
                    or set(word) & _NOT_IN_NAMES or words.get(word) in ("ORG", "PERSON") \
                    or sum(len(w) for w, _ in tokens[start - 1:i]) > 6:
                break                                    # (a word in 化 is a process: "代币化证券";
                # a body or a trade is no brand: "众议院能源", "发行商壹传媒集团")
            start -= 1
        i = end + 1
        first_company = next(k for k in range(start, end + 1) if tokens[k][0] in _COMPANY_WORDS)
        brand = tokens[start:first_company]
        if not brand:
            continue
        before = tokens[start - 1] if start > 0 else ("", "x")
        if _han(before[0]) and before[1] not in _BEFORE_BRAND_FLAGS and before[0] not in _COMPANY_CUES \
                and before[0] not in _ORG_DESCRIPTORS and before[0] not in _BRAND_OPENERS:
            continue                                     # the brand may go on to the left
        if _han(after[0]) and (after[0] in _AFTER_COMPANY_NOT or (
                after[1] in ("n", "nz", "vn", "ng", "nt", "j", "an", "l", "s")
                and (after[0] not in _COMPANY_NOUNS or tokens[end][0] == "国际"))):   # "国际问题研究院"
            continue                                     # "驻台国际媒体", "新田科技城"
        if any(w in ("公司", "有限公司", "股份有限公司") for w, _ in tokens[end + 1:end + 3]):
            continue                                     # "盈透证券香港有限公司": the name goes on
        if len(before[0]) == 1 and _han(before[0]) and before[0] not in _BEFORE_NAME \
                and before[0] not in _AFTER_NAME_CHARS and before[0] not in _GLUED_BEFORE:
            continue                                     # "、" + "会" + "德丰地产", "谴责" + "合" +
            # "景泰富集团": a character alone before the brand may be its first
        if not brand or sum(len(w) for w, _ in brand) < 2:
            continue
        if not any(words.get(w) is None and (
                (len(w) >= 2 and (freq.get(w) or 0) < _RARE_BRAND)
                or (flag in ("nr", "nrt", "nrfg", "ns", "nz") and len(w) >= 2)
                or (len(w) == 1 and flag in ("zg", "g", "j", "ng"))) for w, flag in brand):
            continue                                     # "数字科技", "中国汽车": no brand
        if any(flag == "a" for _, flag in brand) and not any(
                len(w) == 1 and flag in ("zg", "g", "j", "ng") for w, flag in brand):
            continue                                     # "七大工业国集团"; but "新" + "濠" + "国际"
        a = offsets[start]
        b = offsets[end] + len(tokens[end][0])
        if len(brand[0][0]) >= 3 and brand[0][0][0] in _GLUED_BEFORE:
            a += 1                                       # "从事了" + "由众祥"/nr + "石化有限公司"
        if any(s < b and a < e and not (a <= s and e <= b) for s, e, _ in spans) \
                or any(s <= a and b <= e and label == "ORG" for s, e, label in spans) \
                or any(a <= s and e <= b and label == "PERSON" and e - s >= 3 and simple[s] in SURNAMES
                       and not _translit(simple[s:e]) for s, e, label in spans):
            continue                                     # "孟晚舟误导银行": a person's full name
        if not (tokens[end][0] in _STRONG_COMPANY_WORDS or _company_context(simple, a, b, spans + found)):
            pending.append((a, b))                       # "新能源汽车的销量", "航太科技使用的"
            continue                                     # (unless listed with a company found later)
        found.append((a, b, "ORG"))
    changed = True
    while changed:                                       # "银河娱乐、金沙中国升逾4%"
        changed = False
        for a, b in pending:
            if (a, b, "ORG") not in found and _company_context(simple, a, b, spans + found):
                found.append((a, b, "ORG"))
                changed = True
    if not found:
        return spans, []
    kept = [sp for sp in spans if not any(s <= sp[0] and sp[1] <= e for s, e, _ in found)]
    return kept + found, found


def _company_short_forms(simple: str, spans, companies, word_starts: FrozenSet[int], words, freq
                         ) -> List[Tuple[int, int, str]]:
    """A company's brand written alone is the company where the article also writes its full
    name: "安世" after "安世半导体", "中国太平" beside "中国太平保险". Only brands that are no
    lexicon name and no common word (the rare-brand bound above: not "东方" of "东方航空", not
    "中国" of "中国银行"), each read as whole words of the segmentation."""
    heads = set()
    for s, e, _ in companies:                            # the brand rule's names only (the
        head = simple[s:e]                               # older "X集团" rule takes 洗黑钱集团)
        if head.endswith("公司"):
            continue                                     # "恒指公司": 恒指 is the index
        while True:
            cut = next((w for w in _LONGEST_COMPANY_WORDS if head.endswith(w)), None)
            if cut is None or len(head) - len(cut) < 2:
                break
            head = head[:-len(cut)]
        place = next((k for k in range(len(head) - 1, 1, -1) if words.get(head[:k]) == "GPE"), 0)
        if head != simple[s:e] and len(head) - place >= 2 and _han(head) and words.get(head) is None \
                and (freq.get(head) or 0) < _RARE_BRAND and head not in _GENERIC_TRADES \
                and not set(head) & _NOT_IN_NAMES:
            heads.add(head)
    if not heads:
        return spans
    found = []
    for match in re.finditer("|".join(map(re.escape, sorted(heads, key=len, reverse=True))), simple):
        a, b = match.span()
        while True:                                      # the full name again, read as a
            word = next((w for w in _LONGEST_COMPANY_WORDS if simple.startswith(w, b)), None)
            if word is None:                             # description elsewhere ("布依格电信
                break                                    # 移动电话网络"): the full name
            b += len(word)
        if a not in word_starts or b not in word_starts or simple.startswith(_FACILITY_WORDS, b) \
                or (b + 1 in word_starts and _han(simple[b]) and simple[b] not in _AFTER_NAME_CHARS) \
                or simple.startswith(tuple(_GENERIC_TRADES), b) \
                or any(s < b and a < e and not (a <= s and e <= b) for s, e, _ in spans) \
                or any(s <= a and b <= e and label == "ORG" for s, e, label in spans):
            continue                                     # not "太古广场" (a building) after 太古地产,
            # nor "香港壹周刊" after 香港壹传媒 (a place and one character is no short form), nor
            # the first word of a longer name: "新光" + "金", "蚂蚁" + "金融服务"
        found.append((a, b, "ORG"))
    if not found:
        return spans
    kept = [sp for sp in spans if not any(s <= sp[0] and sp[1] <= e for s, e, _ in found)]
    return kept + found


def _company_heads(simple: str, spans) -> List[Tuple[int, int, str]]:
    """The name of a company ("迪士尼" of "迪士尼公司") is the company wherever the article
    uses it alone."""
    heads = {simple[s:e - 2] for s, e, label in spans
             if label == "ORG" and e - s >= 4 and simple[e - 2:e] in ("公司", "集团")}
    return [(s, e, "ORG" if simple[s:e] in heads else label) for s, e, label in spans]


# "拉舍特（Armin Laschet）": a transliteration glossed with a person's name in Latin letters.
_LATIN_PERSON = re.compile(r"[（(]\s*([A-Z][a-zà-ÿ'’.-]+(?:[ -][A-Z][A-Za-zà-ÿ'’.-]+){1,3})\s*[）)]")
_NOT_PERSON_WORDS = frozenset("Group Economics Bank Inc Corp Company University Institute Agency "
                              "Party Union Council Ministry News Times Post Journal Foundation".split())


def _glossed_people(simple: str, spans, words) -> List[Tuple[int, int, str]]:
    """A transliteration written just before a person's name in Latin letters in brackets is that
    person ("外长马斯（Heiko Maas）"), and so is every other mention of it in the article: the
    tagger's pieces ("拉" + "舍特") and misreadings (拉舍特 as a place) give way."""
    names = set()
    for match in _LATIN_PERSON.finditer(simple):
        if set(match.group(1).replace("-", " ").split()) & _NOT_PERSON_WORDS:
            continue
        start = end = match.start()
        while start > 0 and end - start < 8 and (simple[start - 1] in _TRANSLIT or simple[start - 1] in _DOTS):
            start -= 1
        while start < end and simple[start] in _DOTS:
            start += 1
        tagged = [s for s, e, label in spans if e == end and label == "PERSON" and s < end]
        if tagged:
            start = min(tagged + [start])                # "郦英杰": the tagger's name, 郦 included
        name = simple[start:end]
        if len(name) >= 2 and words.get(name) not in ("GPE", "ORG") and not any(
                s <= start < e and label == "ORG" for s, e, label in spans):
            names.add(name)
    if not names:
        return spans
    found = [(m.start(), m.end(), "PERSON") for m in
             re.finditer("|".join(map(re.escape, sorted(names, key=len, reverse=True))), simple)]
    kept = [sp for sp in spans if not any(sp[0] < e and s < sp[1] for s, e, _ in found)]
    return kept + found


# An organisation glossed in Latin letters: "自由之家（Freedom House）", "国际职工会联盟（ITUC）",
# "周刊综艺（Variety）". The gloss says what the Chinese before it is: a body's word in it, or an
# acronym after a body's name, or a word before the name that says it is a body.
_LATIN_GLOSS = re.compile(r"([」”]?)[ \u3000]?[（(][ \u3000]?([A-Za-z][A-Za-z0-9 .&'’,-]{0,80}?)[ \u3000]?[）)]")
_GLOSS_ORG_WORDS = frozenset(
    "House Association Union Institute Institution Council Committee Commission Organization "
    "Organisation Fund Foundation Agency Group Party University Federation League "
    "Court Office Bureau Society Center Centre Network Times Post News Journal Daily Herald Press "
    "TV Radio Broadcasting Corporation Corp Company Inc Ltd Limited Alliance Authority Ministry "
    "Department Watch Coalition Movement Trust Academy School Hospital Museum Airlines Airways "
    "Holdings Tribune Gazette Magazine Club Parliament Congress Senate Secretariat Board "
    "Tank Chamber Observatory Laboratory Institut Agence Fondation Conseil Université".split())
_PERSON_GLOSS = re.compile(r"[A-Z][a-zà-ÿ'’.-]+(?:[ -](?:[A-Z][A-Za-zà-ÿ'’.-]+|bin|al|de|da|du|van|von|le|la|der))+")
_GLOSS_ACRONYM = re.compile(r"[A-Z][A-Z0-9&]{1,7}\b")
# Words just before a name that say it is a body's: "智库尤索夫伊萨东南亚研究所", "周刊综艺",
# "非营利组织自由之家", "拍卖行「富艺斯」" (the name starts after them).
_BODY_CUES = frozenset("智库 组织 机构 团体 周刊 杂志 媒体 网媒 报章 报纸 通讯社 电视台 电台 公司 集团 企业 "
                       "拍卖行 出版社 出版商 发展商 品牌 厂商 制造商 运营商 券商 药厂 车厂 车企 药企 "
                       "巨头 非政府组织 人权组织 慈善组织 新闻社 新闻机构 官方 国营 国有 官媒 帝国 大报 学府 "
                       "伙伴 合作伙伴 母公司 子公司".split())
_PLATFORM_MEDIA = frozenset("社群 社交 网络 网路".split())  # "社群媒体" + "脸书": a platform, no body
# Glosses of what is no body: an index, a competition, a treaty, an event.
_GLOSS_NOT_BODIES = frozenset("Index League Cup Games Compact Act Treaty Agreement Award Awards Prize "
                              "Summit Forum Conference Festival Day Report Championship Olympics".split())
_MEDIA_ENDINGS = ("报", "台", "网", "社", "刊", "杂志")
# Verbs that end a name before it cleanly ("接受" + "英国广播公司一台"), unlike a verb inside it.
_GLOSS_CLEAN_VERBS = frozenset("接受 联同 联合 访问 出席 表示 指出 透过 通过 根据 加入 退出 批评 呼吁 "
                               "邀请 致函 参加 参与 向 对 由 据 称 说 在".split())
_GLOSS_STOP_FLAGS = frozenset({"p", "c", "u", "uj", "ul", "ud", "uv", "uz", "d", "r", "x", "v", "vd", "f", "t",
                               "b", "i", "l"})           # "主办" + "亚太经合会", "极右翼" + "自由党"


def _glossed_organisations(simple: str, tokens, offsets, spans, words, freq
                           ) -> List[Tuple[int, int, str]]:
    """A name written just before a Latin gloss that names a body ("…（Freedom House）", "…（ITUC）"
    after "…联盟", "…（Variety）" after "周刊") is an organisation, whole: the words back to a verb,
    a particle, a punctuation mark or a word saying what kind of body follows; the tagger's pieces
    inside it give way, and a name of three characters or more is that body in every mention."""
    ends = {offsets[k] + len(tokens[k][0]): k for k in range(len(tokens))}
    names = set()
    for match in _LATIN_GLOSS.finditer(simple):
        gloss, quoted = match.group(2), bool(match.group(1))
        if not re.search(r"[\u4e00-\u9fff]", simple[match.start() - 1:match.start()]):
            continue
        end = match.start()
        if quoted:                                       # 「商报」（Handelsblatt）: the quotes bound it
            opening = max(simple.rfind("「", max(0, end - 20), end), simple.rfind("“", max(0, end - 20), end))
            if opening < 0:
                continue
            start, k = opening + 1, ends.get(opening)
            cue = k is not None and tokens[k][0] in _BODY_CUES
        else:
            k = ends.get(end)
            if k is None:
                continue
            start, cue, cut = end, False, False
            while k >= 0 and end - offsets[k] <= 16:
                word, flag = tokens[k]
                if word in _BODY_CUES and start < end:
                    cue = not (k and tokens[k - 1][0] in _PLATFORM_MEDIA)   # "智库" + name
                    break
                if word in ("署", "局", "部", "处", "厅", "院") and start < end:
                    start = -1                           # a unit of the body before it:
                    break                                # "…创新署" + "政治研究中心"
                if word in "「“" and start < end:
                    cue = k > 0 and tokens[k - 1][0] in _BODY_CUES   # "拍卖行「富艺斯"
                    break
                inner = start < end and (flag == "m" or word in ("之", "会") or word in _DOTS)
                if not _han(word[:1]) and not inner or (flag in _GLOSS_STOP_FLAGS and not inner) \
                        or word in _ORG_DESCRIPTORS or word in _NOT_NAME_PARTS \
                        or (len(word) >= 2 and word.endswith("语")):   # "波斯语" + "法达电台"
                    cut = flag in ("v", "vd", "d", "t", "f", "m", "r") and _han(word[:1]) \
                        and word not in _GLOSS_CLEAN_VERBS
                    break
                start, k = offsets[k], k - 1
        if start < 0:
            continue
        name = simple[start:end]
        if not 2 <= len(name) <= 16 or not _han(name[:1]) or set(name) & _NOT_IN_NAMES \
                or words.get(name) in ("GPE", "PERSON") or name in ORG_ENDINGS \
                or any(title in name for title in _TITLES):
            continue                                     # "协会" alone, "组织领袖拉登 (Osama…)"
        if words.get(name) != "ORG" and (freq.get(name) or 0) >= 200:
            continue                                     # a common word: "智库连结（…Network）"
        inside = [tokens[j] for j in range(len(tokens)) if start <= offsets[j] < end]
        if not quoted and len(inside) <= 2 and (cut or all(
                (freq.get(w) or 0) >= 300 and f in ("n", "vn", "v", "a") for w, f in inside)):
            continue                                     # cut at a verb or a time word inside the
            # name ("国际开发" + "金融公司"), or common words only ("媒体" + "研究机构")
        if set(re.findall(r"[A-Za-z]+", gloss)) & _GLOSS_NOT_BODIES \
                or simple.startswith(_MEETINGS + tuple(_EVENT_WORDS), match.end()):
            continue                                     # "（World Press Freedom Index）", "（G7）峰会"
        body_word = bool(set(re.findall(r"[A-Za-zéè]+", gloss)) & _GLOSS_ORG_WORDS)
        last = ends.get(end)
        if not body_word and _PERSON_GLOSS.fullmatch(gloss) and last is not None \
                and tokens[last][1] in ("nr", "nrt", "nrfg"):
            continue                                     # "拉登 (Osama bin Laden)": a person
        acronym = _GLOSS_ACRONYM.match(gloss) and (_org_word(name) or name.endswith(_MEDIA_ENDINGS)
                                                  or words.get(name) == "ORG")
        media = len(name) >= 3 and name.endswith(_MEDIA_ENDINGS) and gloss[:1].isupper()
        if body_word or acronym or media or cue:
            names.add((start, end))
    if not names:
        return spans
    found = list(names)
    for name in {simple[s:e] for s, e in names if e - s >= 3}:
        found += [(m.start(), m.end()) for m in re.finditer(re.escape(name), simple)
                  if (m.start(), m.end()) not in names
                  and not any(s <= m.start() and m.end() <= e and (s, e) != (m.start(), m.end())
                              for s, e, _ in spans)]
    kept = [sp for sp in spans if not any(sp[0] < e and s < sp[1] for s, e in found)]
    return kept + [(s, e, "ORG") for s, e in found]


_NOT_IN_NAMES = frozenset("的地得了着把被是将从对向称说让给")
_AFTER_NAME_CHARS = frozenset("的在和与是说将等了也曾已于对向称表出访会到及并就为被从同今昨则又亦还指")
_N_COUNTRIES = re.compile("[一二三四五六七八九十两几多数各本该]国")
_QUOTED = re.compile(r"[「“『]([\u4e00-\u9fff]{3,20})[」”』]")


def _quoted_organisations(simple: str, spans) -> List[Tuple[int, int, str]]:
    """A body's name written in quotes ("美国智库「皮尤研究中心」"): the quotes bound it, so the
    whole is the name whatever the segmenter made of its words."""
    found = [(m.start(1), m.end(1), "ORG") for m in _QUOTED.finditer(simple)
             if _org_word(m.group(1)) and not set(m.group(1)) & _NOT_IN_NAMES
             and not m.group(1).endswith("论坛")]                   # 「…论坛」: an event  # not "…地纠缠中国使馆"
    if not found:
        return spans
    kept = [sp for sp in spans if not any(sp[0] < e and s < sp[1] for s, e, _ in found)]
    return kept + found


def _whole_names(simple: str, spans) -> List[Tuple[int, int, str]]:
    """A name the tagger cut short once ("邱垂" + "正则") is the whole name it found elsewhere."""
    people = {simple[s:e] for s, e, label in spans if label == "PERSON" and e - s == 3}
    out = []
    for start, end, label in spans:
        if label == "PERSON" and end - start == 2:
            longer = simple[start:start + 3]
            if longer in people:
                end = start + 3
        out.append((start, end, label))
    return out


def _places_by_context(simple: str, spans, flags: Dict[Tuple[int, int], str], words
                       ) -> List[Tuple[int, int, str]]:
    """Transliterations the tagger calls people (威尼斯/nrt, 雷恩/nr) are places after a word
    like "在" or "飞往", right after a place ("比利时安特卫普"), or listed with places
    ("斯特拉斯堡，图卢兹和雷恩"; a list read until nothing changes)."""
    out = sorted(spans)
    changed = True
    while changed:
        changed = False
        for n, (start, end, label) in enumerate(out):
            name = simple[start:end]
            if label != "PERSON" or words.get(name) == "PERSON" or (start, end) not in flags \
                    or not _translit(name):
                continue
            if _title(simple[max(0, start - 4):start]) or _title_at(simple, end):
                continue                                 # "总理默克尔", "布林肯国务卿": a person
            cue = any(simple.endswith(c, 0, start) for c in _PLACE_CUES)
            for m in (n - 1, n + 1):
                if 0 <= m < len(out) and out[m][2] == "GPE":
                    gap = simple[out[m][1]:start] if m < n else simple[end:out[m][0]]
                    listed = gap in _LIST_JOINS and not _title_at(simple, out[m][1])
                    cue = cue or listed or (gap == "" and m < n)  # not "布林肯与法国外长"
            if cue:
                out[n] = (start, end, "GPE")
                changed = True
    return out


# Prisons and detention centres are named by their place ("邳州市看守所", "北京监狱", "长沙市第一看守所",
# "广州市番禹看守所": a district after the city) or by a name of their own ("石壁监狱"): places, as
# named facilities (GUIDELINES.md), not the place alone.
_DETENTION = frozenset("看守所 监狱 拘留所 戒毒所 劳教所".split())
# Words before a prison's noun that describe it, not name it ("女子监狱", "军事监狱").
_DETENTION_KINDS = frozenset("女子 男子 军事 地下 秘密 联邦 国家 政治 少年 未成年 普通 正规 私人 "
                             "当地 本地 一般 各地 各级 全国 中国 外国 国外 海外".split())


def _detention_places(tokens, offsets, label_of) -> List[Tuple[int, int, str]]:
    spans = []
    for i, (word, _) in enumerate(tokens):
        whole = next((d for d in _DETENTION if word.endswith(d) and len(word) > len(d)), None)
        if whole and word[:-len(whole)] not in _DETENTION_KINDS and _han(word):
            spans.append((offsets[i], offsets[i] + len(word), "GPE"))   # "秦城监狱"/nt: one word
            continue
        if word not in _DETENTION or i == 0:
            continue
        if i + 1 < len(tokens) and tokens[i + 1][0].startswith(("局", "管理")):
            continue                                     # "监狱管理局": a body
        k = i - 1
        if tokens[k][1] == "m" and tokens[k][0].startswith("第") and k > 0:
            k -= 1                                       # "第一看守所"
        start = None
        if label_of(k) == "GPE":
            start = k
        elif k > 0 and label_of(k - 1) == "GPE" and len(tokens[k][0]) == 2 and _han(tokens[k][0]) \
                and tokens[k][1] in ("nz", "ns", "nr", "n"):
            start = k - 1                                # "广州市" + "番禹" + "看守所"
        elif k == i - 1 and len(word) == 2 and len(tokens[k][0]) == 2 and _han(tokens[k][0]) \
                and tokens[k][1] in ("n", "nz", "ns", "nr") and tokens[k][0] not in _DETENTION_KINDS \
                and k > 0 and tokens[k - 1][1] in ("p", "v", "x"):
            start = k                                    # "在" + "石壁" + "监狱": its own name
        if start is not None:
            while start > 0 and label_of(start - 1) == "GPE" and start == k:
                start -= 1                               # "北京市" + "房山区" + ...
            spans.append((offsets[start], offsets[i] + len(word), "GPE"))
    return spans


_EMBASSY = re.compile(r"([\u4e00-\u9fff]{2,6}?)驻([\u4e00-\u9fff]{1,8}?)(大使馆|总领事馆|领事馆|使馆|代表处|办事处|代表团|使团)")
# A mission written from its "驻" on, no sender before it ("、驻新加坡大使馆等"): the sender is the
# article's own country, the name as written starts at "驻".
_EMBASSY_ALONE = re.compile(r"驻([\u4e00-\u9fff]{1,8}?)(大使馆|总领事馆|领事馆|使馆|代表处|办事处|代表团|使团)")
# What may stand right before a mission written from its "驻" with no sender: no Chinese character
# ("（驻日代表处提供）"), or a word that names no sender: a verb, preposition, conjunction, adverb,
# date, pronoun ("指定" / "与" / "18日" / "我国" + "驻波兰代表处"); not a noun, which may be the
# sender's name the tagger did not join ("莫北" + "协驻" + "台北代表处").
_GLOSS_BEFORE = re.compile(r"[（(][ A-Za-z0-9.&'’,-]*[A-Za-z][ A-Za-z0-9.&'’,-]*[）)]$")
_BEFORE_MISSION_FLAGS = frozenset({"v", "vd", "vn", "p", "c", "d", "ad", "m", "t", "f", "r", "u", "uj",
                                   "ul", "ud", "uv", "uz", "x", "q"})


def _embassies(simple: str, tokens, offsets) -> List[Tuple[int, int, str]]:
    """"中国驻法国大使馆", "中国驻埃及大使馆", "中国驻法使馆": a country's mission in another; the
    sender may be the ruling party ("中共驻法国使馆", the lexicon's organisation) or be left out
    ("驻新加坡大使馆"; Taiwan's offices abroad: "指定驻波兰代表处", "与驻美国台北经济文化代表处",
    "我国驻瑞士代表处"). The host is a place or a one-character short form ("驻法", "驻华") or starts
    with a place, not a common noun ("中国驻当地大使馆")."""
    if "驻" not in simple:                               # every mission is written with it
        return []
    words = lexicon()[0]
    starts = {offset: k for k, offset in enumerate(offsets)}

    def unsent(at: int) -> bool:                         # "驻" at `at` has no sender before it
        if _GLOSS_BEFORE.search(simple, 0, at):
            return False                                 # "管理局（Palau Visitors Authority）驻台
        if at == 0 or not _han(simple[at - 1]):         # 办事处": the glossed sender's mission;
            return True                                  # not "其他驻欧的办事处" (any office)
        k = starts.get(at)
        if k is None or k == 0:
            return False
        before, flag = tokens[k - 1]
        if flag == "m" and not before.endswith(("日", "月", "年")):
            return False                                 # "首批驻华大使馆": any embassy, no name
        return flag in _BEFORE_MISSION_FLAGS

    def host(name: str) -> bool:                         # "美国台北经济文化" (代表处): from a place,
        return len(name) == 1 or name.startswith(_SUPRANATIONAL) \
            or any(words.get(name[:k]) == "GPE" for k in range(2, len(name) + 1))   # "欧盟" (使团)

    spans = []
    for match in _EMBASSY.finditer(simple):
        sender = match.group(1)
        cut = next((k for k in range(len(sender) - 1) if words.get(sender[k:]) in ("GPE", "ORG")), None)
        if cut is not None and host(match.group(2)):
            spans.append((match.start(1) + cut, match.end(), "ORG"))
    for match in _EMBASSY_ALONE.finditer(simple):
        if host(match.group(1)) and "的" not in match.group(1) and unsent(match.start()) \
                and not any(s <= match.start() < e for s, e, _ in spans):
            spans.append((match.start(), match.end(), "ORG"))
    # An office written before its head's title is that title ("驻纽约办事处处长", "办事处长";
    # GUIDELINES: a title built on the body's name), not the office named as itself.
    return [(s, e, label) for s, e, label in spans
            if not (simple[s:e].endswith(("办事处", "代表处")) and simple.startswith(("处长", "长", "副处长"), e))]


# Book, document and file titles (《外交部档案》, 〈国防部部长蒋经国访美〉) and quoted law names
# (「中华人民共和国…暂行规定」): the names inside are not mentions, but a title that is all a name
# is that name (《解放报》: the newspaper).
_TITLE_MARKS = re.compile(r"《([^》\n]{1,40})》|〈([^〉\n]{1,40})〉|[「“]([\u4e00-\u9fff]{4,40}(?:法|法案|条例|规定|办法|公约|协定))[」”]")


def _titles(simple: str) -> List[Tuple[int, int]]:
    """(start, end) of the titles in `simple`, their marks included."""
    return [(m.start(), m.end()) for m in _TITLE_MARKS.finditer(simple)
            if not (m.group(3) and set(m.group(3)) & _NOT_IN_NAMES)]  # not a quoted sentence


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


def _not_in_treaties(simple: str, spans) -> List[Tuple[int, int, str]]:
    out = []
    for s, e, label in spans:
        match = _TREATY.match(simple, e) if label == "ORG" else None
        if match and not set(match.group(0)) & _NOT_IN_UNITS \
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
            if not (label == "ORG" and simple[max(s, e - 2):e] in _GENERIC_TRADES
                    and simple.startswith(_AFTER_TRADE, e))
            and not any(a <= s and e < b for a, b in events)]


# Units of a body (a ministry's department, a bureau's branch, a university's school): written
# right after the body, the unit and the body are one name ("外交部" + "西欧司", "三亚市公安局" +
# "吉阳分局", "海洋委员会" + "海巡署" + "金马澎分署", "中国驻美国大使馆" + "经济" + "商务处").
_UNITS = ("分局", "分署", "分行", "分社", "学院", "中心", "联盟", "委员会", "办公室", "司", "处", "局", "署", "系")
_UNIT = re.compile("([\u4e00-\u9fff]{0,6}?)(%s)" % "|".join(_UNITS))
# No unit's name holds a function word, a figure's word or 驻 ("外交部和商务处"; "外交部驻港公署":
# an office of the ministry's, named apart); no unit ends in a rank, a common noun or a verb.
_NOT_IN_UNITS = frozenset("的和与及或并在是为把被将从对向称说等、第各该本其这驻")
_NOT_UNIT_ENDINGS = ("警司", "上司", "公司", "官司", "联系", "关系", "体系", "派系", "相处", "到处", "好处", "之处")
_UNIT_FLAGS = frozenset({"n", "nz", "ns", "nt", "j", "vn", "an", "b", "l"})


def body_chains(text: str, spans, bounds) -> List[Tuple[int, int, str]]:
    """`spans` (the tagger's and LAC's, on `text`) with each organisation extended over the
    units written right after it, a unit being up to six characters ending in a unit's word
    (司, 处, 分局, 中心, 学院, 联盟 …) at a word boundary: the chain is one name, its pieces no
    names of their own (GUIDELINES.md). Not across a function word or a person's name, nor
    before the unit head's title ("西欧司司长": the title is the head's, the ministry is named)."""
    simple = simplified(text)
    out = sorted(spans)
    tagger = None
    changed = True
    while changed:
        changed = False
        for s, e, label in out:
            if label != "ORG":
                continue
            match = _UNIT.match(simple, e)
            if match is None or match.end() not in bounds or set(match.group(1)) & _NOT_IN_UNITS:
                continue
            end = match.end()
            unit = match.group(0)
            if unit.endswith(_NOT_ORG_ENDINGS + _NOT_UNIT_ENDINGS):
                continue                               # "部署", "当局", "警司", "联系"
            if tagger is None:
                tagger = _posseg()[0]
            cut = tagger.lcut(unit)
            if any(w.flag not in _UNIT_FLAGS for w in cut[:-1]) \
                    or (cut[-1].flag in _NOT_ORG_END_FLAGS and cut[-1].word not in _UNITS):
                continue                               # "更密切联系", "旗下公司": no unit's name
            after = simple[end:end + 3]
            if after.startswith(("长", "副")) or after.startswith(match.group(2)[-1] + "长"):
                continue                               # the unit head's title
            inside = [sp for sp in out if sp != (s, e, label) and sp[0] < end and s < sp[1]]
            if any(sp[2] == "PERSON" or sp[0] < s or sp[1] > end for sp in inside):
                continue
            out = sorted([sp for sp in out if sp not in inside and sp != (s, e, label)] + [(s, end, "ORG")])
            changed = True
            break
    return out


_SHORTENED_BODY_ENDS = frozenset("署局会处委院部")


def shortened_bodies(text: str, spans, bounds) -> List[Tuple[int, int, str]]:
    """`spans` with the two-character short forms of bodies the article names in full: where an
    organisation of three characters or more ending in a body's character ("海巡署") is found, its
    first two characters written as a word of their own elsewhere ("海巡呼吁…") are that body,
    unless the dictionary uses them as a word (fewer than 25 uses: "立法" of 立法会 is a word)."""
    simple = simplified(text)
    freq = _posseg()[1]
    words = lexicon()[0]
    forms = {simple[s:s + 2] for s, e, label in spans
             if label == "ORG" and e - s >= 3 and simple[e - 1] in _SHORTENED_BODY_ENDS
             and not set(simple[s:e]) & _NOT_IN_UNITS and not simple[s:e].endswith(("立委", "委员"))}
    out = list(spans)
    for form in sorted(forms):
        if (freq.get(form) or 0) >= 25 or words.get(form) is not None or not _han(form) \
                or form[0] in _NOT_SHORT_BODY_OPENING or form in _ORG_DESCRIPTORS:
            continue
        for match in re.finditer(form, simple):
            a, b = match.start(), match.end()
            if a not in bounds or b not in bounds or any(s < b and a < e for s, e, _ in out):
                continue
            out.append((a, b, "ORG"))
    return out
