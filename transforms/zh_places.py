"""Chinese place names the tagger's rules add or mend (zh_names.py runs them): the dictionary's
place compounds split into their places, facilities and streets after a place, transliterations
read as places where the context says so, and prisons and detention centres."""
from __future__ import annotations

from typing import Dict, List, Tuple

from cfnews.transforms.zh_lexicon import (
    FACILITY_WORDS, GENERIC_BODIES, ORG_ENDINGS, STREET_END, TITLES, TITLE_WORDS, is_han, is_title,
    title_at, translit)

# Words before a place that say the place is one ("在威尼斯举行", "飞往开罗").
_PLACE_CUES = frozenset("赴 到 往 至 从 自 经 飞往 前往 抵达 途经 来自 位于 南部 北部 东部 西部 "
                         "中部 东南部 西南部 东北部 西北部".split())
_LIST_JOINS = frozenset("、 ， , 和 及 与 至 或".split())


def split_places(tokens, words):
    """The dictionary's place compounds ("法国巴黎", "北京人民大会堂") as the two places they
    name, and its "place + generic body" words ("美国法院": a court in the US) as the place."""
    out = []
    for word, flag in tokens:
        if words.get(word) is None and word.endswith(("国家", "城市")) and words.get(word[:-2]) == "GPE":
            out.extend([(word[:-2], "ns"), (word[-2:], "n")])   # "北非国家": a place, a noun
            continue
        title = word.endswith(TITLE_WORDS) and next(
            (t for t in TITLES if word.endswith(t) and word[:-len(t)] in ORG_ENDINGS), None)
        if title and words.get(word) is None:           # "协会主席": a body's word and a title
            out.extend([(word[:-len(title)], "n"), (title, "n")])
            continue
        if flag in ("nr", "nz") and words.get(word) is None and word.endswith(TITLE_WORDS):
            cut = next((k for k in range(2, len(word) - 1) if words.get(word[:k]) == "GPE"
                        and word[k:] in TITLES), None)
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
                        and word[k:] in GENERIC_BODIES), None)
            if cut:
                out.extend([(word[:cut], "ns"), (word[cut:], "n")])
                continue
        out.extend([(word[:cut], "ns"), (word[cut:], "ns")] if cut else [(word, flag)])
    return out


def named_facilities(simple: str, spans, words) -> List[Tuple[int, int, str]]:
    """A person or place name right before a facility word names the facility, a place
    ("金紫荆广场": not the person 金紫荆; "中环海滨"), unless another name starts inside it."""
    out = []
    for start, end, label in spans:
        fac = next((f for f in FACILITY_WORDS if simple.startswith(f, end)), None) \
            if label in ("PERSON", "GPE") and words.get(simple[start:end]) != "PERSON" else None
        if fac and not any(s < end + len(fac) and end < e for s, e, _ in spans):
            out.append((start, end + len(fac), "GPE"))
        else:
            out.append((start, end, label))
    return out
_FUNCTION_WORDS = frozenset("的 和 与 及 在 是 上 下 走 一 条".split())
# What a street's name may be made of, in the segmenter's tags: nouns and names ("纪利" + "佐治"
# + "街", "马会" + "道", "德忌笠"/i + "街"), and a direction word ("东角"/f + "道").
_STREET_FLAGS = frozenset({"n", "nr", "nrt", "nrfg", "ns", "nz", "nt", "i", "j", "ng", "s", "q", "l", "an", "b"})


def district_streets(simple: str, spans, tokens, offsets, freq) -> List[Tuple[int, int, str]]:
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
            if stop > len(simple) or stop not in ends or not STREET_END.match(simple[stop - 1]) \
                    or simple[stop:stop + 1] in "：:「“，,":
                continue
            pos, ok = end, True
            while pos < stop:                          # whole words of names and nouns only
                word, flag = word_at.get(pos), flag_at.get(pos)
                if word is None or pos + len(word) > stop or not is_han(word) or not (
                        flag in _STREET_FLAGS or flag == "f" and word[0] in "东西南北"):
                    ok = False
                    break
                pos += len(word)
            last = max(p for p in range(end, stop) if p in word_at)
            if len(word_at[last]) > 1 and flag_at[last] not in ("ns", "nr", "nrt", "nrfg", "nz", "nt") \
                    and (freq.get(word_at[last]) or 0) > 0:
                continue                               # "新闻频道", "全运会公路": common words
            if not ok or any(word_at.get(p) in TITLES or word_at.get(p) in _FUNCTION_WORDS
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


def places_by_context(simple: str, spans, flags: Dict[Tuple[int, int], str], words
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
                    or not translit(name):
                continue
            if is_title(simple[max(0, start - 4):start]) or title_at(simple, end):
                continue                                 # "总理默克尔", "布林肯国务卿": a person
            cue = any(simple.endswith(c, 0, start) for c in _PLACE_CUES)
            for m in (n - 1, n + 1):
                if 0 <= m < len(out) and out[m][2] == "GPE":
                    gap = simple[out[m][1]:start] if m < n else simple[end:out[m][0]]
                    listed = gap in _LIST_JOINS and not title_at(simple, out[m][1])
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


def detention_places(tokens, offsets, label_of) -> List[Tuple[int, int, str]]:
    spans = []
    for i, (word, _) in enumerate(tokens):
        whole = next((d for d in _DETENTION if word.endswith(d) and len(word) > len(d)), None)
        if whole and word[:-len(whole)] not in _DETENTION_KINDS and is_han(word):
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
        elif k > 0 and label_of(k - 1) == "GPE" and len(tokens[k][0]) == 2 and is_han(tokens[k][0]) \
                and tokens[k][1] in ("nz", "ns", "nr", "n"):
            start = k - 1                                # "广州市" + "番禹" + "看守所"
        elif k == i - 1 and len(word) == 2 and len(tokens[k][0]) == 2 and is_han(tokens[k][0]) \
                and tokens[k][1] in ("n", "nz", "ns", "nr") and tokens[k][0] not in _DETENTION_KINDS \
                and k > 0 and tokens[k - 1][1] in ("p", "v", "x"):
            start = k                                    # "在" + "石壁" + "监狱": its own name
        if start is not None:
            while start > 0 and label_of(start - 1) == "GPE" and start == k:
                start -= 1                               # "北京市" + "房山区" + ...
            spans.append((offsets[start], offsets[i] + len(word), "GPE"))
    return spans


def region_suffixes(simple: str, spans) -> List[Tuple[int, int, str]]:
    """A place written with 区域 ("region") after it is one place with its generic suffix, as
    with 地区 ("印太区域": GUIDELINES.md); not the adjective 区域性 ("regional"), nor a body's
    region written after the body ("世卫" + "欧洲区域": the WHO's European Region, a division of
    it) or before its office ("欧洲区域办事处") (issue 17's Vocus round: dev's 報呱 and Vocus)."""
    org_ends = {e for _, e, label in spans if label == "ORG"}
    return [(s, e + 2 if label == "GPE" and simple.startswith("区域", e) and s not in org_ends
             and simple[e + 2:e + 3] != "性" and not simple.startswith(_REGIONAL_BODIES, e + 2)
             else e, label) for s, e, label in spans]


# A body's regional office or unit named after a region ("世卫欧洲区域办事处"): the region is
# inside the body's name, no place with a suffix.
_REGIONAL_BODIES = ("办事处", "办公室", "委员会", "总部", "中心", "分会", "分部", "代表处")
