"""Chinese names of news outlets (zh_names.py runs these rules): newspapers in title marks,
guillemets or glossed quotation marks, news sites ending in 网 acting as newsrooms, and outlets
named by a reporting credit or an interview."""
from __future__ import annotations

import re
from typing import List, Tuple

from cfnews.transforms.zh_lexicon import NOT_IN_NAMES, ORG_DESCRIPTORS, is_han, pos_tagger

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


def named_newspapers(simple: str, spans) -> List[Tuple[int, int, str]]:
    found = [(m.start(1), m.end(1), "ORG") for m in _QUOTED_SITE.finditer(simple)
             if not m.group(1).endswith(_NOT_SITES) and not set(m.group(1)) & NOT_IN_NAMES]
    for m in _NEWSPAPER.finditer(simple):
        k = next(g for g in (1, 2, 3) if m.group(g))
        if not set(m.group(k)) & NOT_IN_NAMES and not m.group(k).endswith(_DOCUMENTS):
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


def news_sites(simple: str, spans, tokens, offsets) -> List[Tuple[int, int, str]]:
    out = list(spans)
    for k, (word, flag) in enumerate(tokens):
        if not word.endswith("网") or not is_han(word):
            continue
        j = k
        end = offsets[k] + len(word)
        while j > 0 and tokens[j - 1][1] in _SITE_FLAGS and is_han(tokens[j - 1][0]) \
                and end - offsets[j - 1] <= 8:
            j -= 1
        start = offsets[j]
        name = simple[start:end]
        if len(name) < 3 or name.endswith(_NOT_SITES + ("官网",)) or set(name) & NOT_IN_NAMES \
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


def credited_outlets(simple: str, spans, words, freq) -> List[Tuple[int, int, str]]:
    """Outlets named by how a report credits them: the short name in a bracketed credit
    ("（独媒报导）", "（某社记者王某台北电）"), not a word of the dictionary unless it is a body's,
    and a name in title marks followed by a newsroom's word or asked by one ("《立场》报道",
    "《香港01》记者", "接受《立场》访问"). Not a document ("《通报》")."""
    found = []
    for match in _CREDIT.finditer(simple):
        k = 1 if match.group(1) else 2
        name = match.group(k)
        if name in _NOT_OUTLETS or name in ORG_DESCRIPTORS or _MEDIA_OF.fullmatch(name) or words.get(name) in ("GPE", "PERSON") or (
                freq.get(name) and words.get(name) != "ORG" and pos_tagger()[0].lcut(name)[0].flag != "nt"):
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


# A periodical written with its Latin title in title marks, before or after its Chinese name:
# "德国明星周刊《Stern》", "美国《TIME》时代杂志". The Chinese name is that outlet: the words of
# it right before the kind word (nouns, a place opening it; a place and the kind word alone
# describe the periodical: "印度杂志《The Week》"), or right after the title's marks.
_KINDS = ("周刊", "杂志", "日报", "时报", "周报", "月刊")
_LATIN_TITLE = re.compile(r"《\s*[A-Za-z][A-Za-z0-9 .&'’-]{0,40}》")
_PERIODICAL_FLAGS = frozenset({"n", "nz", "ns", "nt", "j", "b", "an", "nr"})


def latin_titled_periodicals(simple: str, spans, tokens, offsets) -> List[Tuple[int, int, str]]:
    """`spans` with the outlets named beside their Latin title in title marks (issue 17's Vocus
    round: dev's 立場新聞 and Vocus posts)."""
    found = []
    ends = {}
    for k, (word, _) in enumerate(tokens):
        ends[offsets[k] + len(word)] = k
    starts = {offset: k for k, offset in enumerate(offsets)}
    for match in _LATIN_TITLE.finditer(simple):
        k = ends.get(match.start())                      # the name before: "德国明星周刊《Stern》"
        if k is not None and tokens[k][0].endswith(_KINDS) and is_han(tokens[k][0]):
            j = k
            while j > 0 and k - j < 3 and tokens[j - 1][1] in _PERIODICAL_FLAGS and is_han(tokens[j - 1][0]):
                j -= 1
                if tokens[j][1] == "ns":
                    break                                # a place opens the name
            named = [t for t, flag in tokens[j:k] if flag != "ns"] or len(tokens[k][0]) > 2
            if named:                                    # not "印度杂志《The Week》": a country's
                found.append((offsets[j], offsets[k] + len(tokens[k][0]), "ORG"))   # magazine
                continue
        k = starts.get(match.end())                      # the name after: "《TIME》时代杂志"
        for j in range(k, min(k + 3, len(tokens))) if k is not None else ():
            word, flag = tokens[j]
            if not is_han(word) or flag not in _PERIODICAL_FLAGS:
                break
            if word.endswith(_KINDS):
                if j > k or len(word) > 2:
                    found.append((match.end(), offsets[j] + len(word), "ORG"))
                break
    if not found:
        return spans
    kept = [sp for sp in spans if not any(sp[0] < e and s < sp[1] for s, e, _ in found)]
    return kept + found


# Outlets' short forms that are also a common word: read as the outlet only in an article that
# names the outlet in full, and not where the word is the pair of places ("港台关系", "中港台").
_AMBIGUOUS_SHORT_FORMS = {"港台": ("香港电台", "RTHK")}
_PAIR_BEFORE = frozenset("中陆美")
_PAIR_AFTER = ("澳", "疆", "关系", "两地", "三地", "之间", "政策", "问题", "民众", "居民", "媒体", "学者", "艺人",
               "演艺", "观察", "经济", "交流", "司法", "合作", "等地", "人")


def outlet_short_forms(text: str, simple: str, spans, tokens, offsets) -> List[Tuple[int, int, str]]:
    """`spans` with an outlet's ambiguous short form ("港台" for 香港电台) as that outlet wherever it
    is one word of the segmenter's and the article also names the outlet in full."""
    forms = {form for form, full in _AMBIGUOUS_SHORT_FORMS.items()
             if form in simple and any(name in simple or name in text for name in full)}
    if not forms:
        return spans
    out = list(spans)
    for (word, _), start in zip(tokens, offsets):
        end = start + len(word)
        if word not in forms or simple[start - 1:start] in _PAIR_BEFORE \
                or simple[end:end + 2].startswith(_PAIR_AFTER) \
                or any(s < end and start < e for s, e, _ in out):
            continue
        out.append((start, end, "ORG"))
    return out
