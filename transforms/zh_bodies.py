"""Chinese organisation names other than companies and outlets (zh_names.py runs them): bodies
built from a place or name and an organisation word, a place's and a school's bodies, Hong Kong's
bureaux and short forms, armed forces, missions written with 驻, bodies glossed in Latin letters or
quoted; and, run by the entity stage after LAC's organisations, a body and its units as one name
(`body_chains`) and a body's short form where the article names it in full (`shortened_bodies`)."""
from __future__ import annotations

import re
from typing import List, Optional, Tuple

from cfnews.transforms.han_script import simplified
from cfnews.transforms.zh_lexicon import (
    AFTER_NAME_CHARS, BEFORE_NAME, DESCRIPTIVE, DOTS, EVENTS_AND_SIDES, GENERIC_BODIES, GENERIC_TRADES,
    MEMBER_OF_PARTY, NOT_IN_NAMES, NOT_NAME_PARTS, NOT_ORG_ENDINGS, ORG_DESCRIPTORS, ORG_ENDINGS,
    OWNERSHIP, POSTS, STREET_END, TITLES, countries, hk_groups, is_han, lexicon, org_word, pos_tagger, translit)

# Events named after their place: the place inside is no mention of it (GUIDELINES.md).
EVENT_WORDS = frozenset("峰会 会议 和会 论坛 影展 电影节 奥运会 冬奥会 世博会 车展 博览会 马拉松 协议 协定 宣言 "
                         "条约 公约 会谈 对话".split())


# Bodies above countries: a country before one of them is not its owner ("法国" + "欧盟").
_SUPRANATIONAL = ("欧", "联合国", "世卫", "世贸", "世界银行", "世界卫生", "世界贸易", "国际", "北约",
                  "东盟", "亚太", "非盟", "阿盟", "七国", "二十国", "20国", "上合", "金砖", "经合", "安理会")
_ORG_INNER_FLAGS = frozenset({"n", "nz", "ns", "nt", "an", "a", "vn", "j", "b"})
_NOT_ORG_END_FLAGS = frozenset({"v", "d", "p", "c", "u", "m", "r", "f"})
_BRANCHES = frozenset("分公司 子公司 办事处 分行 分社 分部 代表处".split())
_ORG_STARTS = frozenset({"国家", "中国", "中央", "全国", "国际", "世界", "亚太", "欧洲", "美国", "法国"})


# An organisation's name followed by these (a few nouns between) names a meeting it holds:
# "亚太经合组织(工商领导人)峰会", "中共二十届三中全会"; the name inside is no mention (GUIDELINES.md).
MEETINGS = ("峰会", "会议", "全会", "年会", "大会", "例会", "高峰论坛")


def _place_opened(tokens, start: int, words) -> Optional[int]:
    """Index of the place that opens a body's name whose words before `start` are nouns and
    verbal nouns ("南韩 文化 体育 观光部"), or None if something else comes first."""
    for j in range(start - 1, max(-1, start - 6), -1):
        word, flag = tokens[j]
        if flag == "ns" or words.get(word) == "GPE":
            return j if j < start - 1 else None          # at least one word between
        if not is_han(word) or flag not in ("n", "vn", "s", "nz") or word in ORG_DESCRIPTORS \
                or word in NOT_NAME_PARTS or word in DESCRIPTIVE or org_word(word):
            return None
    return None


_GLUED_ADVERBS = frozenset("亦也则")


def organisation(tokens, end: int, words) -> Optional[int]:
    """Index where an organisation name ending with token `end` starts, or None."""
    word, flag = tokens[end]
    if words.get(word) == "ORG" and end > 0 and not org_word(word) \
            and tokens[end - 1][0] in countries() and not word.startswith(_SUPRANATIONAL):
        return end - 1                                   # a country and its body: "法国" + "世界报"
    named = org_word(word) or (flag == "nt" and word.endswith(ORG_ENDINGS)   # "海外部" ends in 外部
                                and not word.endswith(EVENTS_AND_SIDES))  # but 巴黎和会 is an event
    if not named or words.get(word) in ("GPE", "PERSON") or flag in _NOT_ORG_END_FLAGS \
            or (len(word) == 3 and word[1] in _GLUED_ADVERBS):
        return None                                      # "社会" is not an organisation; "组亦会"
        # is a unit's end, an adverb and a verb glued into one word of the dictionary's
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
        if known == "ORG" and words.get(word) == "ORG" and before in hk_groups():
            break                                        # a member's party before another body:
            # "民建联" + "立法会" + "议员" (the Legislative Council's, not the party's)
        if len(before) > 1 and before.endswith("为") or before[:1] in "日月年" and start >= 2 \
                and tokens[start - 2][0][-1:].isdigit():
            break                                        # "被选为" + …, "5月20" + "日经" + …
        if start == end and word in ("集团", "公司", "银行") and before_flag in ("nr", "nrt", "nz", "j") \
                and len(before) >= 2 and known is None and before not in GENERIC_TRADES:
            start -= 1                                   # "荣鼎" + "集团": a name the tagger
            break                                        # took for a person's
        if before_flag in ("vn", "s") and start < end and not any(w == "和" for w, _ in tokens[start:end]):
            opened = _place_opened(tokens, start, words)
            if opened is not None:
                start = opened                           # "南韩" + "文化" + "体育"/vn + "观光部",
                break                                    # "美国" + "对外"/s + "关系委员会"
        if not is_han(before) or not (before_flag in _ORG_INNER_FLAGS or before == "和"
                                    or known in ("GPE", "ORG") or (translit(before) and known is None)) \
                or (org_word(before) and word != "委员会") or (before_flag == "vn" and start < end) \
                or before in ORG_DESCRIPTORS \
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
    if any(t in OWNERSHIP for t, _ in tokens[start:end]) or (
            word.endswith(("公司", "集团", "企业", "银行")) and (
            any(t in DESCRIPTIVE for t, _ in tokens[start:end])
            or word[:-2] in DESCRIPTIVE or word[:-2] in GENERIC_TRADES)):
        return None                                      # "中国国有石油天然气公司", "旗下银行",
        # "美国上市公司": descriptions
    if any(t in NOT_NAME_PARTS for t, _ in tokens[start:end]):
        return None                                      # "德国最大党", "全国性日报"
    if word in ("公司", "企业") and end - start == 2 and place_first and tokens[start + 1][0] in GENERIC_TRADES:
        return None                                      # "美国科技公司": companies of a trade
    if word in _BRANCHES and place_first and start > 0 and (
            tokens[start - 1][1] == "nt" or words.get(tokens[start - 1][0]) == "ORG"):
        return start - 1                                 # "华为" + "加拿大" + "分公司"
    if start + 1 == end and place_first and word in GENERIC_BODIES:
        return None                                      # "加拿大法院": a court in Canada
    if start < end and sum(len(t) for t, _ in tokens[start:end]) >= 3 \
            and all(translit(t) and words.get(t) is None for t, _ in tokens[start:end]):
        return start                                     # "安纳" + "杜鲁" + "新闻社"
    if start + 1 == end and word in ("集团", "公司", "银行") and len(first) >= 2 \
            and first_flag in ("n", "nz", "nr", "nrt", "j") and first not in GENERIC_TRADES:
        return start                                     # "蚂蚁" + "集团", "荣鼎" + "集团"
    if start < end and (place_first or first_flag == "nt" or first in _ORG_STARTS
                        or end - start >= 3 or (len(word) >= 2 and len(first) >= 3)
                        or (len(word) >= 3 and len(first) >= 2 and first_flag in ("n", "nz"))):
        return start
    return end if whole_word else None


# One-character short forms of countries and sides written before a body ("美" + "国防部",
# "台" + "内政部"): the short form is no place (GUIDELINES.md), the body is named as itself.
_ONE_CHAR_OWNERS = frozenset("美英法德日韩俄澳加台陆中港欧印")


def abbreviated_owners(simple: str, spans, words) -> List[Tuple[int, int, str]]:
    """"美国防部" is "美" + "国防部", not "美国" + "防部": an organisation span that opens with a
    one-character short form followed by a body the lexicon knows loses that character."""
    out = []
    for start, end, label in spans:
        name = simple[start:end]
        if label == "ORG" and len(name) >= 4 and name[0] in _ONE_CHAR_OWNERS \
                and words.get(name[1:]) == "ORG" and words.get(name) is None \
                and (start == 0 or not is_han(simple[start - 1])
                     or simple[start - 1] in "在据由与和及对向从被将把为的、"):
            out.append((start + 1, end, label))
        else:
            out.append((start, end, label))
    return out


# Schools and research bodies, which belong to the country they are in (not "法国" + "欧盟").
_SCHOOL_ENDINGS = ("大学", "学院", "研究所", "研究院")


def schools_of_countries(simple: str, spans) -> List[Tuple[int, int, str]]:
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


def bodies_of_places(simple: str, spans) -> List[Tuple[int, int, str]]:
    """A city, province or region (not a country) written right before a body is part of its name
    ("香港" + "律政司", "浙江" + "瑞安网信办"); not before a body above it ("香港" + "联合国")."""
    out = list(spans)
    for s, e, label in spans:
        if label != "ORG" or simple[s:e].startswith(_SUPRANATIONAL + ("中国", "中共", "驻")) \
                or not simple[s:e].endswith(_PLACES_BODIES) or simple[s:e].endswith("公司"):
            continue
        place = next((sp for sp in out if sp[1] == s and sp[2] == "GPE"), None)
        if place is None or simple[place[0]:s] in countries() or (s, e, label) not in out \
                or STREET_END.search(simple[s - 1]):
            continue
        out = [sp for sp in out if sp not in (place, (s, e, label))] + [(place[0], e, "ORG")]
    return out


# Hong Kong's bureaux and departments: "A及B局" ("文化体育及旅游局", "政制及内地事务局"), a
# body's committees "A及B委员会" written right after it, one name with it ("立法院" +
# "外交及国防委员会"), and
# "X局" / "X署" / "X处" named with its head's title ("房屋局局长", "卫生署署长").
_BUREAU = re.compile(r"(?=([\u4e00-\u9fff]{2,4})及([\u4e00-\u9fff]{2,6}?)(局|署|处|委员会))")
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


def _function_word_in(body: str) -> bool:
    """Does `body` hold a function word ("的", "把", "被") as a word of its own? Not the
    character inside a word ("内地", "土地")."""
    if not set(body) & NOT_IN_NAMES:
        return False
    return any(w.word in NOT_IN_NAMES for w in pos_tagger()[0].lcut(body, HMM=False))


def _word_ends(simple: str, end: int) -> bool:
    """Does one of the segmenter's words end at `end` (a body's end, not "处" of "处理")?"""
    at = end - 3
    for w in pos_tagger()[0].lcut(simple[at:end + 3], HMM=False):
        at += len(w.word)
        if at >= end:
            return at == end
    return True


def bureaux(simple: str, spans, inner) -> List[Tuple[int, int, str]]:
    """Hong Kong bodies the segmenter cuts or misses: bureaux "A及B局", "X局/署/处" named with
    its head's title or speaking as a body ("消防处回覆"), and short forms ending in 联/盟/会 before
    their leader's title ("社民连主席"). Each is an organisation wherever the article writes it as
    itself; where its head's title follows ("房屋局局长") it is a title (GUIDELINES.md) and no
    name, and no KB name may end inside it."""
    def opens(pos: int) -> bool:
        return pos == 0 or not is_han(simple[pos - 1]) or simple[pos - 1] in BEFORE_NAME \
            or simple[pos - 1] in AFTER_NAME_CHARS

    names = set()
    ends = {e: s for s, e, label in spans if label == "ORG"}
    for match in _BUREAU.finditer(simple):
        first = match.group(1)
        cut = next((k for k in range(len(first) - 2, -1, -2) if opens(match.start() + k)
                    or (match.group(3) == "委员会" and match.start() + k in ends)), None)
        if cut is None:
            continue
        body = first[cut:] + "及" + match.group(2) + match.group(3)
        if set(body) & _COUNTING or _function_word_in(body) \
                or not _word_ends(simple, match.start() + cut + len(body)):  # "新界多处", "第六局", "处理"
            continue
        if match.group(3) != "委员会":
            if opens(match.start() + cut):
                names.add(body)
        elif match.start() + cut in ends:
            names.add(simple[ends[match.start() + cut]:match.start() + cut] + body)
    for match in [*_HEADED.finditer(simple), *_SPEAKING.finditer(simple)]:
        end = match.start() + 1
        if any(end - len(n) <= match.start() < end for n in names if simple.startswith(n, end - len(n))):
            continue
        size = next((k for k in (2, 3, 4) if end - 1 - k >= 0 and opens(end - 1 - k)
                     and is_han(simple[end - 1 - k:end - 1])), None)
        body = simple[end - 1 - size:end] if size else ""
        if body and not set(body) & NOT_IN_NAMES and not body.endswith("当局") \
                and body[0] not in "该本此其各" and not (body[-1] == "处" and body[-2] in _WHERE):
            names.add(body)
    for match in _CHAIRED.finditer(simple):
        short = match.group(1)
        if opens(match.start()) and short[0] not in "该本此其各" and short not in _GENERIC_ASSOCIATIONS \
                and short[-2:] not in _GENERIC_ASSOCIATIONS \
                and not set(short[:-1]) & (NOT_IN_NAMES | AFTER_NAME_CHARS):
            names.add(short)
    if not names:
        return spans
    found = []
    for match in re.finditer("|".join(map(re.escape, sorted(names, key=len, reverse=True))), simple):
        a, b = match.span()
        if not opens(a) or any(f[0] < b and a < f[1] for f in found):
            continue
        if re.match(r"副?%s长" % re.escape(simple[b - 1]), simple[b:b + 3]) \
                or (simple[b:b + 1] == "长" and simple[b - 1] in "局署处"):
            inner.update(range(a + 1, b + 1))            # "房屋局局长", "发展局长": a title
            continue
        if any(s < b and a < e and not (a <= s and e <= b) for s, e, _ in spans):
            continue                                     # another name runs across it
        found.append((a, b, "ORG"))
    kept = [sp for sp in spans if not any(s <= sp[0] and sp[1] <= e for s, e, _ in found)]
    return kept + found


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


def short_bodies(simple: str, spans, tokens, offsets, freq) -> List[Tuple[int, int, str]]:
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
        if len(word) != 2 or not is_han(word) or word[1] not in _SHORT_BODY_END \
                or word[0] in _NOT_SHORT_BODY_OPENING \
                or (freq.get(word) or 0) >= 25 or flag in ("ns", "nr", "nrfg", "m", "q", "r", "p", "c", "d") \
                or word.endswith(NOT_ORG_ENDINGS) \
                or (k and len(tokens[k - 1][0]) == 1 and is_han(tokens[k - 1][0])
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


def armed_forces(simple: str, spans, tokens, offsets, words) -> List[Tuple[int, int, str]]:
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


def glossed_organisations(simple: str, tokens, offsets, spans, words, freq
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
                inner = start < end and (flag == "m" or word in ("之", "会") or word in DOTS)
                if not is_han(word[:1]) and not inner or (flag in _GLOSS_STOP_FLAGS and not inner) \
                        or word in ORG_DESCRIPTORS or word in NOT_NAME_PARTS \
                        or (len(word) >= 2 and word.endswith("语")):   # "波斯语" + "法达电台"
                    cut = flag in ("v", "vd", "d", "t", "f", "m", "r") and is_han(word[:1]) \
                        and word not in _GLOSS_CLEAN_VERBS
                    break
                start, k = offsets[k], k - 1
        if start < 0:
            continue
        name = simple[start:end]
        if not 2 <= len(name) <= 16 or not is_han(name[:1]) or set(name) & NOT_IN_NAMES \
                or words.get(name) in ("GPE", "PERSON") or name in ORG_ENDINGS \
                or any(title in name for title in TITLES):
            continue                                     # "协会" alone, "组织领袖拉登 (Osama…)"
        if words.get(name) != "ORG" and (freq.get(name) or 0) >= 200:
            continue                                     # a common word: "智库连结（…Network）"
        inside = [tokens[j] for j in range(len(tokens)) if start <= offsets[j] < end]
        if not quoted and len(inside) <= 2 and (cut or all(
                (freq.get(w) or 0) >= 300 and f in ("n", "vn", "v", "a") for w, f in inside)):
            continue                                     # cut at a verb or a time word inside the
            # name ("国际开发" + "金融公司"), or common words only ("媒体" + "研究机构")
        if set(re.findall(r"[A-Za-z]+", gloss)) & _GLOSS_NOT_BODIES \
                or simple.startswith(MEETINGS + tuple(EVENT_WORDS), match.end()):
            continue                                     # "（World Press Freedom Index）", "（G7）峰会"
        body_word = bool(set(re.findall(r"[A-Za-zéè]+", gloss)) & _GLOSS_ORG_WORDS)
        last = ends.get(end)
        if not body_word and _PERSON_GLOSS.fullmatch(gloss) and last is not None \
                and tokens[last][1] in ("nr", "nrt", "nrfg"):
            continue                                     # "拉登 (Osama bin Laden)": a person
        acronym = _GLOSS_ACRONYM.match(gloss) and (org_word(name) or name.endswith(_MEDIA_ENDINGS)
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
_QUOTED = re.compile(r"[「“『]([\u4e00-\u9fff]{3,20})[」”』]")


# A task force named in quotes ("国安会「乌克兰情势因应小组」"): a panel's word with at least three
# characters of its own name before it; a bare "「专家小组」" names none.
_TASK_FORCES = ("小组", "工作组", "专案组")


def _task_force(quoted: str) -> bool:
    return any(quoted.endswith(word) and len(quoted) - len(word) >= 3 for word in _TASK_FORCES)


def quoted_organisations(simple: str, spans) -> List[Tuple[int, int, str]]:
    """A body's name written in quotes ("美国智库「皮尤研究中心」"): the quotes bound it, so the
    whole is the name whatever the segmenter made of its words."""
    found = [(m.start(1), m.end(1), "ORG") for m in _QUOTED.finditer(simple)
             if (org_word(m.group(1)) or _task_force(m.group(1))) and not set(m.group(1)) & NOT_IN_NAMES
             and not m.group(1).endswith("论坛")]                   # 「…论坛」: an event  # not "…地纠缠中国使馆"
    if not found:
        return spans
    kept = [sp for sp in spans if not any(sp[0] < e and s < sp[1] for s, e, _ in found)]
    return kept + found


def whole_names(simple: str, spans) -> List[Tuple[int, int, str]]:
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


def embassies(simple: str, tokens, offsets) -> List[Tuple[int, int, str]]:
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
        if at == 0 or not is_han(simple[at - 1]):         # 办事处": the glossed sender's mission;
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


# Units of a body (a ministry's department, a bureau's branch, a university's school): written
# right after the body, the unit and the body are one name ("外交部" + "西欧司", "三亚市公安局" +
# "吉阳分局", "海洋委员会" + "海巡署" + "金马澎分署", "中国驻美国大使馆" + "经济" + "商务处").
_UNITS = ("分局", "分署", "分行", "分社", "学院", "中心", "联盟", "委员会", "办公室", "司", "处", "局", "署", "系")
_UNIT = re.compile("([\u4e00-\u9fff]{0,6}?)(%s)" % "|".join(_UNITS))
# No unit's name holds a function word, a figure's word or 驻 ("外交部和商务处"; "外交部驻港公署":
# an office of the ministry's, named apart); no unit ends in a rank, a common noun or a verb.
NOT_IN_UNITS = frozenset("的和与及或并在是为把被将从对向称说等、第各该本其这驻")
_NOT_UNIT_ENDINGS = ("警司", "上司", "公司", "官司", "联系", "关系", "体系", "派系", "相处", "到处", "好处", "之处")
_UNIT_FLAGS = frozenset({"n", "nz", "ns", "nt", "j", "vn", "an", "b", "l"})
# A newsroom's desk written after its outlet ("香港电台" + "公共事务组", "众新闻" + "中国组"): a
# region's or subject's word of two to four characters and 组; not a panel (小组), a crew (机组)
# or a competition's category (竞赛组), and only after an outlet, whose desks the gold lists
# (GUIDELINES.md: media outlets; a body's panel, "世卫小组", is no name).
_DESK = re.compile("([\u4e00-\u9fff]{2,4}?)(组)")
_NOT_DESK_ENDS = frozenset("小机改重群编分班赛别")
_OUTLET_ENDS = ("新闻", "电台", "电视台", "电视", "日报", "时报", "晚报", "早报", "通讯社", "传媒", "媒体", "周刊")


# An organisation written right after another and named as a unit (ending in a unit's or
# council's character: "国务院" + "港澳办", "国际特赦组织" + "台湾分会", "中国国民党" + "基隆市党部",
# "香港公共事业工会" + "联合会") is a unit of it, one name; not a party, company or outlet after a
# description ("日本执政党" + "自民党", "通讯社" + "美联社"), not a post ("大使馆" + "临时代办",
# "委员会" + "国民党籍召委"),
# and not a legislature or council the first one sits in: a party's members or caucus there
# ("民进党" + "立法院" + "党团", "新民党" + "立法会" + "议员").
_UNIT_END_CHARS = frozenset("会办所部局处司院委署厅科系组")
_SEATS = ("立法会", "立法院", "国会", "议会", "议院", "众院", "参院", "人大", "政协")


def _unit_after(simple: str, s: int, e: int, spans) -> Optional[int]:
    """The end of an organisation among `spans` written right after the one at (s, e) that is a
    unit of it, if any (not across a function word or 驻, nor before the unit head's title)."""
    nxt = next((b for a, b, label in spans if a == e and label == "ORG"), None)
    if nxt is None or set(simple[e:nxt]) & NOT_IN_UNITS or simple[e:nxt].endswith(_SEATS) \
            or not (simple[nxt - 1] in _UNIT_END_CHARS or simple[e:nxt].endswith("中心")) \
            or simple[e:nxt].endswith(POSTS) or MEMBER_OF_PARTY in simple[e:nxt]:
        return None                                    # a post, or a member's party ("国民党籍召委")
    if simple[s] in "年月日" and simple[:s].rstrip()[-1:].isdigit():
        return None                                    # "5 日经" + "邳州市检察院": a date, then "via"
    after = simple[nxt:nxt + 3]
    if after.startswith("长") or re.match("副?" + re.escape(simple[nxt - 1]) + "长", after):
        return None                                    # "港澳办" + "主任" is dropped before; "司" + "司长"
    return nxt


def body_chains(text: str, spans, bounds) -> List[Tuple[int, int, str]]:
    """`spans` (the tagger's and LAC's, on `text`) with each organisation extended over the
    units written right after it, a unit being up to six characters ending in a unit's word
    (司, 处, 分局, 中心, 学院, 联盟 …) at a word boundary, an outlet's desk (two to four
    characters and 组: "香港电台" + "公共事务组") or another organisation ("国务院" + "港澳办";
    not a legislature: "民进党" + "立法院"): the chain is one name, its pieces no
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
            if match is None and simple[s:e].endswith(_OUTLET_ENDS):
                match = _DESK.match(simple, e)
                if match is not None and match.group(1)[-1] in _NOT_DESK_ENDS:
                    match = None
            if match is None or match.end() not in bounds or set(match.group(1)) & NOT_IN_UNITS:
                end = _unit_after(simple, s, e, out)
                if end is not None:
                    out = sorted([sp for sp in out if not (s <= sp[0] and sp[1] <= end)] + [(s, end, "ORG")])
                    changed = True
                    break
                continue
            end = match.end()
            unit = match.group(0)
            if unit.endswith(NOT_ORG_ENDINGS + _NOT_UNIT_ENDINGS):
                continue                               # "部署", "当局", "警司", "联系"
            if tagger is None:
                tagger = pos_tagger()[0]
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
    freq = pos_tagger()[1]
    words = lexicon()[0]
    forms = {simple[s:s + 2] for s, e, label in spans
             if label == "ORG" and e - s >= 3 and simple[e - 1] in _SHORTENED_BODY_ENDS
             and not set(simple[s:e]) & NOT_IN_UNITS and not simple[s:e].endswith(("立委", "委员"))}
    out = list(spans)
    for form in sorted(forms):
        if (freq.get(form) or 0) >= 25 or words.get(form) is not None or not is_han(form) \
                or form[0] in _NOT_SHORT_BODY_OPENING or form in ORG_DESCRIPTORS:
            continue
        for match in re.finditer(form, simple):
            a, b = match.start(), match.end()
            if a not in bounds or b not in bounds or any(s < b and a < e for s, e, _ in out):
                continue
            out.append((a, b, "ORG"))
    return out


# A country's security council written as "国家安全会议" or "联邦安全会议" (the United States'
# and Taiwan's 國家安全會議, 俄羅斯聯邦安全會議) is a body, not a meeting: the tagger's meeting word
# (会议) leaves it unnamed. The country written right before it is part of the name (GUIDELINES.md).
_SECURITY_COUNCIL = re.compile("(?:国家|联邦)安全会议")


def security_councils(simple: str, spans) -> List[Tuple[int, int, str]]:
    """`spans` with the security councils named "…国家安全会议" / "…联邦安全会议" (issue 17's
    Vocus round: dev's 中央社 and Vocus posts)."""
    found = []
    for match in _SECURITY_COUNCIL.finditer(simple):
        start = match.start()
        if simple[start:start + 2] == "联邦":            # "俄罗斯" + "联邦安全会议"
            owner = next((s for s, e, label in spans if label == "GPE" and s < start < e
                          and e == start + 2), None)
            start = owner if owner is not None else start
        owner = next((s for s, e, label in spans if label == "GPE" and e == start), None)
        found.append((owner if owner is not None else start, match.end(), "ORG"))
    if not found:
        return spans
    kept = [sp for sp in spans if not any(sp[0] < e and s < sp[1] for s, e, _ in found)]
    return kept + found
