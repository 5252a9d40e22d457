"""Chinese company names (zh_names.py runs these rules): companies known by the words around a
transliteration, listed companies before their stock codes, brands before a company word, their
short forms elsewhere in the article, and a company named before its head's title."""
from __future__ import annotations

import re
from typing import FrozenSet, List, Tuple

from cfnews.transforms.zh_lexicon import (
    AFTER_NAME_CHARS, BEFORE_NAME, DESCRIPTIVE, FACILITY_WORDS, GENERIC_TRADES, NOT_IN_NAMES,
    NOT_NAME_PARTS, ORG_DESCRIPTORS, OWNERSHIP, SURNAMES, TITLES, is_han, org_word, translit)

COUNTRY_PAIR = re.compile(r"^[中美法欧俄日英德韩台港澳][中美法欧俄日英德韩台港澳巴印越朝加意菲泰蒙土伊以埃墨纽]"
                           r"(?:关系|合作|贸易|对话)?$"
                           r"|^[中美法欧][美中法欧俄日]")


# Words just before a transliterated name that say it is a company's: "化工巨头巴斯夫",
# "汽车制造商戴姆勒", "连锁店肯德基".
_COMPANY_CUES = ("巨头", "巨擘", "大厂", "车厂", "药厂", "厂商", "制造商", "生产商", "供应商", "运营商",
                 "零售商", "开发商", "品牌", "连锁店", "集团", "公司", "企业", "车企", "药企", "龙头")
# Words just after it: "戴姆勒公司", "巴斯夫股价", "戴姆勒旗下".
_COMPANY_AFTER = ("公司", "集团", "股价", "股份", "旗下", "董事会", "执行长", "首席执行官", "总裁", "财报")


def companies_by_context(simple: str, spans, words) -> List[Tuple[int, int, str]]:
    """A transliteration the tagger calls a person or a place is a company where the words
    around it say so, and a name the article uses as a company once is one everywhere."""
    out = []
    for start, end, label in spans:
        name = simple[start:end]
        if label in ("PERSON", "GPE") and words.get(name) is None and translit(name.replace("·", "")) and (
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


def listed_companies(simple: str, spans, tokens, offsets, words, freq) -> List[Tuple[int, int, str]]:
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
            if not is_han(word) or (flag not in _LISTED_FLAGS and not (flag == "vn" and first == k + 1)) \
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
# ("巴士公司": the older rule of organisation reads "X公司").
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
    return flag in ("nr", "nrt", "nz", "ns") and len(word) >= 2 and is_han(word) and words.get(word) is None \
        and (freq.get(word) or 0) < _RARE_BRAND and word not in _NOT_BRAND and not COUNTRY_PAIR.match(word)


def _company_context(simple: str, a: int, b: int, spans) -> bool:
    """Does the text around simple[a:b] say it is a company? A cue word just after or before it,
    or another organisation beside it in a list ("三替集团、原力数字科技、浪尖渝力科技等企业",
    "永利澳门及澳博控股")."""
    if simple.startswith(_COMPANY_AFTER_CUES, b) or simple.endswith(_COMPANY_BEFORE_CUES, 0, a):
        return True
    return any(label == "ORG" and ((e == a - 1 and simple[e] in "、及和与") or (s == b + 1 and simple[b] in "、及和与"))
               for s, e, label in spans)


def brand_companies(simple: str, tokens, offsets, spans, words, freq):
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
                and (i < 2 or not is_han(tokens[i - 2][0]) or tokens[i - 2][1] in _BEFORE_BRAND_FLAGS):
            a, b = offsets[i - 1], offsets[i] + len(word)  # "金沙" + "中国", "美高梅" + "中国"
            if not any(s < b and a < e and not (a <= s and e <= b) for s, e, _ in spans):
                if _company_context(simple, a, b, spans + found):
                    found.append((a, b, "ORG"))
                else:
                    pending.append((a, b))
            i += 1
            continue
        if flag == "nz" and len(word) >= 4 and words.get(word) is None and word[-2:] in _COMPANY_WORDS \
                and words.get(word[:-2]) is None and word[:-2] not in GENERIC_TRADES:
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
            if not is_han(word) or flag not in _BRAND_FLAGS or word in _COMPANY_WORDS \
                    or word in GENERIC_TRADES or word in DESCRIPTIVE or word in ORG_DESCRIPTORS \
                    or word in NOT_NAME_PARTS or word in OWNERSHIP or word in _COMPANY_CUES \
                    or word in _NOT_BRAND or COUNTRY_PAIR.match(word) or word in TITLES \
                    or word in _BRAND_OPENERS or word.endswith(("企业", "公司", "商")) or org_word(word) \
                    or (len(word) > 1 and word.endswith("化")) \
                    or (len(word) == 2 and word[1] == "方" and words.get(word[0]) == "GPE") \
                    or set(word) & NOT_IN_NAMES or words.get(word) in ("ORG", "PERSON") \
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
        if is_han(before[0]) and before[1] not in _BEFORE_BRAND_FLAGS and before[0] not in _COMPANY_CUES \
                and before[0] not in ORG_DESCRIPTORS and before[0] not in _BRAND_OPENERS:
            continue                                     # the brand may go on to the left
        if is_han(after[0]) and (after[0] in _AFTER_COMPANY_NOT or (
                after[1] in ("n", "nz", "vn", "ng", "nt", "j", "an", "l", "s")
                and (after[0] not in _COMPANY_NOUNS or tokens[end][0] == "国际"))):   # "国际问题研究院"
            continue                                     # "驻台国际媒体", "新田科技城"
        if any(w in ("公司", "有限公司", "股份有限公司") for w, _ in tokens[end + 1:end + 3]):
            continue                                     # "盈透证券香港有限公司": the name goes on
        if len(before[0]) == 1 and is_han(before[0]) and before[0] not in BEFORE_NAME \
                and before[0] not in AFTER_NAME_CHARS and before[0] not in _GLUED_BEFORE:
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
                       and not translit(simple[s:e]) for s, e, label in spans):
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


def company_short_forms(simple: str, spans, companies, word_starts: FrozenSet[int], words, freq
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
        if head != simple[s:e] and len(head) - place >= 2 and is_han(head) and words.get(head) is None \
                and (freq.get(head) or 0) < _RARE_BRAND and head not in GENERIC_TRADES \
                and not set(head) & NOT_IN_NAMES:
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
        if a not in word_starts or b not in word_starts or simple.startswith(FACILITY_WORDS, b) \
                or (b + 1 in word_starts and is_han(simple[b]) and simple[b] not in AFTER_NAME_CHARS) \
                or simple.startswith(tuple(GENERIC_TRADES), b) \
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


def company_heads(simple: str, spans) -> List[Tuple[int, int, str]]:
    """The name of a company ("迪士尼" of "迪士尼公司") is the company wherever the article
    uses it alone."""
    heads = {simple[s:e - 2] for s, e, label in spans
             if label == "ORG" and e - s >= 4 and simple[e - 2:e] in ("公司", "集团")}
    return [(s, e, "ORG" if simple[s:e] in heads else label) for s, e, label in spans]
