"""What every rule of the Chinese name tagger (zh_names.py) shares: the lexicon it gives jieba as
user words (CLDR's places, the knowledge base's Chinese names, kb/zh_lexicon.yaml, kb/zh_hk_orgs.yaml,
kb/zh_hk_streets.txt), the part-of-speech tokenizer that knows them, and the word classes several
rules test (titles, transliteration characters, organisation endings, sides and common words)."""
from __future__ import annotations

import functools
import re
import threading
from pathlib import Path
from typing import Dict, FrozenSet, Optional, Tuple

import yaml

from cfnews.transforms.han_script import simplified

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
# Characters of transliterated foreign names (阿拉格希, 格奥尔基耶娃, 达斯札克).
TRANSLIT = frozenset(
    "阿埃艾爱安昂奥澳巴拜班邦保鲍贝本比彼毕宾波伯博布查达戴丹道德登迪蒂丁东杜多顿厄恩尔法凡范菲"
    "费芬丰冯弗福夫盖甘冈戈格根古圭哈海汉豪赫亨洪胡华怀霍基吉加佳贾杰捷金卡凯坎康考柯科克肯库"
    "夸奎拉莱赖兰朗劳勒雷蕾里利莉丽连列林琳隆卢鲁路伦罗洛马玛迈麦曼芒梅门蒙米密明莫默姆穆纳娜"
    "奈南内尼妮宁纽努诺欧帕潘佩蓬皮珀普齐奇恰乔切钦琼丘萨塞桑瑟森沙莎舍什施史斯松苏索塔泰坦"
    "汤唐特提廷图托瓦万旺威韦维温沃乌伍西希锡夏谢辛休雅亚扬耶伊因茵英尤约泽扎詹兹佐茨札娃丝让士卫朴茅柏圣兹瑞蒂热可"
    "佛翰歇龚敏")
# Words before a name that make it a person's ("院士钟南山": 钟南山 is also a mountain).
TITLES = frozenset("院士 总统 总理 主席 副主席 部长 外长 发言人 大使 首相 秘书长 国务卿 市长 议员 教授 "
                    "总裁 处长 局长 总书记 委员 书记 省长 院长 董事长 特首 行政长官 司长 主任 外交官 "
                    "记者 律师 研究员 学者 船长 指挥官 大臣 外相 防相 知事 议长 委员长 国王 女王 王储 "
                    "教宗 主教 将军 上将 总督 专员 检察官 法官 董事 经理 主播 作家 导演 歌手 演员 学家 分析师 专家 "
                    "负责人 代表 候选人 组长 署长 厅长 校长 会长 理事长 执行长 队长 团长 社长".split())
TITLE_WORDS = tuple(TITLES)
# A place and one of these is not an organisation's name: "加拿大法院", "法国政府".
# Posts written where a body's name could end ("临时代办", "召委", "主委", "政治局常委", "委员"):
# no body there, nor across a member's party ("国民党籍召委").
POSTS = ("代办", "召委", "主委", "常委", "委员")
MEMBER_OF_PARTY = "籍"
GENERIC_BODIES = frozenset("法院 政府 当局 警方 军方 公司 企业 银行 大学 媒体".split())
_tagger_lock = threading.Lock()


def is_han(word: str) -> bool:
    return bool(word) and all("\u3400" <= c <= "\u9fff" or c == "·" for c in word)


def lexicon_digits(word: str, known: Optional[str]) -> bool:
    """A lexicon's name written with figures after its characters ("香港01"): a name, not a
    number the tagger glued to a word."""
    return known is not None and is_han(word[0]) and all(is_han(c) or c.isdigit() for c in word)


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
            if len(form) >= 2 and is_han(form) and form not in COMMON:
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
                if len(form) >= 2 and is_han(form):
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
def hk_groups() -> FrozenSet[str]:
    """Simplified forms of kb/zh_hk_orgs.yaml's names."""
    return frozenset(simplified(name) for name in hk_organisation_names())


@functools.lru_cache(maxsize=1)
def countries() -> FrozenSet[str]:
    """CLDR's country and territory names (Simplified forms)."""
    from babel import Locale
    return frozenset(simplified(name) for locale in ("zh", "zh_Hant", "zh_Hant_HK")
                     for code, name in Locale.parse(locale).territories.items()
                     if code.isalpha() and code not in _NOT_TERRITORIES)

_JIEBA_TAGS = {"PERSON": "nr", "GPE": "ns", "ORG": "nt"}


@functools.lru_cache(maxsize=1)
def pos_tagger():
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
EVENTS_AND_SIDES = ("政府", "当局", "方面", "大会", "机会", "社会", "晚会", "年会", "峰会", "例会", "和会",
                     "全会", "高峰论坛", "运会",                # "全运会", "亚运会": sports games
                     "记者会", "听证会", "座谈会", "研讨会", "发布会", "会议",
                     # shows and gatherings ("独奏音乐会", "跨年倒数演唱会", "同乐运动会",
                     # "电影欣赏会", "维园集会"), venues ("音乐厅", "贵宾厅") and communiqués
                     # ("三个联合公报", "警情通报"): events, places and documents, no bodies
                     "音乐会", "演唱会", "演奏会", "运动会", "欣赏会", "集会", "招商会", "嘉年华",
                     "音乐厅", "贵宾厅", "宴会厅", "公报", "通报")
NOT_ORG_ENDINGS = EVENTS_AND_SIDES + ("委员", "部长", "局长", "金融中心", "航运中心",  # a city's status
                    "院长", "社长", "党员", "部队", "部门", "部分", "内部", "外部", "全部", "东部", "旧部",
                    "西部", "南部", "北部", "中部", "总部", "干部", "支部", "全党", "军方", "警方",
                    "格局", "布局", "结局", "大局", "时局", "政局", "僵局", "骗局", "开局", "部署", "签署",
                    "连署", "联署", "举办", "创办", "主办", "承办", "开办", "停办", "查办", "督办", "申办",
                    "包办", "合办", "协办", "兴办", "照办", "怎么办")
# Descriptions written before a body's name are not part of it ("官媒新华社", "巨头华为公司").
ORG_DESCRIPTORS = frozenset("官媒 巨头 巨商 大股东 股东 学者 智库 媒体 规定 由 未料 函 喉舌 党媒 外媒 港媒 陆媒 "
                             "日媒 美媒 联络 联系 致函 时任 现任 前任 候任".split())
# Words that make "X公司" a description of a company rather than its name.
# Who owns a body describes it ("摩洛哥国营通讯社": Morocco's state agency, not its name).
OWNERSHIP = frozenset("国有 国营 官方 私营 民营".split())
DESCRIPTIVE = frozenset("国有 国营 官方 私营 民营 经营 运营 相关 有关 主要 大型 知名 一家 这家 该 其 旗下 负责 "
                         "管理 营运 合资 外资 跨国 上市 "
                         "美资 中资 港资 台资 陆资 日资 韩资 欧资 英资 法资 德资 内资 侨资 "   # whose capital
                         "上柜 兴柜 "   # where its shares trade: "兴柜公司" (Taiwan's emerging board)
                         "整间 整家 每间 每家 各间 这间 那间 该间 两间 多间 首间".split())   # "整间公司": the whole firm
NOT_NAME_PARTS = frozenset("最大 第一大 第二大 各大 全国性 地方性 这些 那些 多家 各家 多个".split())
GENERIC_TRADES = frozenset("企业 金融 投资 能源 科技 媒体 传媒 汽车 地产 房地产 控股 实业 商业 工业 产业 医药 "
                            "建筑 电信 网络 互联网 半导体 芯片 电子 军工 物流 航运 保险 证券 石油 制药 生物 "
                            "科技股 外国 跨国 国内 国外 中资 外资 民营 国有 "
                            "博彩 赌博 巴士 物业 保安 清洁".split())   # "博彩公司", "巴士公司": trades
# A transliterated name is written with middle dots ("约翰·米勒-怀特"): the pieces around a dot
# are the tagger's name fragments or characters it could not place.
DOTS = frozenset("·・•‧")


def title_at(text: str, pos: int) -> bool:
    """Does a title start at `pos` ("外长", "副总统")?"""
    return text.startswith(TITLE_WORDS, pos) or (
        text[pos:pos + 1] in ("副", "前", "代") and text.startswith(TITLE_WORDS, pos + 1))


def is_title(word: str) -> bool:
    return word.endswith(TITLE_WORDS)  # "前总理", "副总统"


def translit(word: str) -> bool:
    return bool(word) and all(c in TRANSLIT for c in word)


def org_word(word: str) -> bool:
    return word.endswith(ORG_ENDINGS) and not word.endswith(NOT_ORG_ENDINGS)


# A name and one of these is the facility, a place: "金紫荆" + "广场", "中环" + "海滨".
FACILITY_WORDS = ("广场", "公园", "海滨", "码头", "大桥", "机场", "口岸")
# Characters a body's name can follow: function words, not the end of another word.
BEFORE_NAME = frozenset("由与和及在向对为的是被把将跟同或、，。：；（「“《")


STREET_END = re.compile("[街道路]")


NOT_IN_NAMES = frozenset("的地得了着把被是将从对向称说让给")
AFTER_NAME_CHARS = frozenset("的在和与是说将等了也曾已于对向称表出访会到及并就为被从同今昨则又亦还指")
