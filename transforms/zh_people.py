"""Chinese person names the tagger's rules add or mend (zh_names.py runs them): transliterations
cut in pieces or written with dots and hyphens, Japanese names, bylines, people named between a
title and a verb or with a Latin gloss, glued function words and third characters, a monarch's
number, and every later mention of a name found once."""
from __future__ import annotations

import functools
import re
from typing import FrozenSet, List, Tuple

from cfnews.transforms.zh_lexicon import (
    AFTER_NAME_CHARS, DOTS, SURNAMES, TITLE_WORDS, TRANSLIT, is_han, is_title, lexicon, title_at,
    translit)

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
_HYPHENATED = re.compile("(?<![%s])[%s]{2,5}[-‐－][%s]{2,5}(?![%s])" % ((
    "".join(sorted(TRANSLIT)),) * 4))
# Adverbs the segmenter glues to the end of a transliterated name ("博纳曾在", "拉布也说").
ADVERBS = frozenset("曾将称说也又还已则就亦并")
_AFTER_BYLINE_NAME = ("摄", "报导", "报道", "综合", "电")
_BYLINE = re.compile(r"(?:记者|编辑|译者|核稿|编译|审校|摄影|撰稿)\s*[：:]?\s*")
_PIECE_FLAGS = frozenset({"nr", "nrt", "nrfg", "x", "zg", "j", "ng", "g", "nz", "ns", "v", "m",
                          "yg", "n"})


def dotted_names(tokens, offsets) -> List[Tuple[int, int, str]]:
    def piece(k):
        word, flag = tokens[k]
        return is_han(word) and word not in DOTS and (
            flag in ("nr", "nrt", "nrfg", "x", "zg", "j", "ng", "g", "nz") or
            (flag in _PIECE_FLAGS and translit(word) and len(word) <= 4))
    spans, k = [], 0
    while k < len(tokens):
        if tokens[k][0] not in DOTS:
            k += 1
            continue
        left = k
        while left > 0 and piece(left - 1) and offsets[k] - offsets[left - 1] <= 6:
            left -= 1
        right = k
        while right + 1 < len(tokens) and (piece(right + 1) or (
                tokens[right + 1][0] in DOTS or tokens[right + 1][0] == "-") and
                right + 2 < len(tokens) and piece(right + 2)):
            right += 1
        if left < k < right:
            spans.append((offsets[left], offsets[right] + len(tokens[right][0]), "PERSON"))
        k = right + 1
    return spans


def hyphenated_names(simple: str) -> List[Tuple[int, int, str]]:
    """"迪里夏提-热西提": two transliterated names joined by a hyphen (the segmenter cuts them
    anywhere, so they are read on the characters)."""
    return [(m.start(), m.end(), "PERSON") for m in _HYPHENATED.finditer(simple)]


def bylines(text: str, place_at) -> List[Tuple[int, int, str]]:
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
                if len(name) < size or not is_han(name) or not (
                        name[0] in SURNAMES or name[:2] in SURNAMES) or (
                        size == 4 and name[:2] not in SURNAMES) or name[-1] in "摄电":
                    continue                             # "裴禛" + "摄", not "裴禛摄"
                after = pos + size
                if after >= len(text) or not is_han(text[after]) or place_at(after) \
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


def japanese_names(simple: str, spans, word_starts: FrozenSet[int]) -> List[Tuple[int, int, str]]:
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
        while end < len(simple) and end - start < 3 and is_han(simple[end]) \
                and simple[end] not in _NAME_STOPS and not title_at(simple, end) \
                and not simple.startswith(_JAPANESE_TITLES, end):
            end += 1
        if end - start == 3 and simple[end - 1] not in _GIVEN_FINALS:
            end -= 1                                     # "百合子", but "敏充" + "和"
        while end > start and end < len(simple) and end not in word_starts \
                and simple[end] not in ADVERBS:
            end -= 1                                     # "田中光" + "共同": the name ends a word
        if end == start or (end - start == 1 and len(family) == 1):
            continue
        before = simple[max(0, pos - 15):pos]
        sentence = before[before.rfind("。") + 1:]
        titled = is_title(simple[max(0, pos - 5):pos]) or simple.endswith(_JAPANESE_TITLES, 0, pos) \
            or title_at(simple, end) or simple.startswith(_JAPANESE_TITLES, end)
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
    return re.compile("(?:%s)(?=[%s])" % ("|".join(map(re.escape, sorted(TITLE_WORDS, key=len, reverse=True))),
                                         family))


def titled_people(simple: str, spans, words, freq) -> List[Tuple[int, int, str]]:
    found = []
    for match in _titles_before_family_names().finditer(simple):
        pos = match.end()
        family = 2 if simple[pos:pos + 2] in SURNAMES else 1 if simple[pos:pos + 1] in SURNAMES else 0
        if not family:
            continue
        for size in (family + 2, family + 1):
            name = simple[pos:pos + size]
            if len(name) == size and is_han(name) and not set(name[family:]) & _NAME_STOPS \
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


def joined_people(simple: str, spans, words) -> List[Tuple[int, int, str]]:
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


_REGNAL = re.compile("[一二三四五六七八九十]{1,3}世")


def regnal_numbers(simple: str, spans) -> List[Tuple[int, int, str]]:
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


def third_characters(simple: str, spans, tokens, offsets, words, freq) -> List[Tuple[int, int, str]]:
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
                and words.get(name) is None and not translit(name):
            word, flag = tokens[k]
            after = tokens[k + 1] if k + 1 < len(tokens) else ("", "x")
            if (len(word) == 2 and is_han(word) and word[1] in _GLUED_AFTER_NAME
                    and word[0] not in AFTER_NAME_CHARS and flag in ("n", "ng", "nr")
                    and not freq.get(word)) \
                    or (len(word) == 1 and is_han(word) and flag in ("n", "ng") and word not in AFTER_NAME_CHARS
                        and (not is_han(after[0][:1]) or after[1] in ("c", "p"))):
                end += 1                                   # "李卓" + "人" + "和何俊仁"
        out.append((start, end, label))
    return out


def unglued_people(simple: str, spans, words) -> List[Tuple[int, int, str]]:
    """Chinese names (not transliterations, not the lexicon's) without the function word or
    verb the segmenter glued to their end: "陈时中曾在" is 陈时中, "林宗谚说" 林宗谚; a family
    name and such a word ("陈于香港", "邹向众人", "陈亦未有") is no name, nor is a run joined
    by a conjunction ("曾与林郑共事")."""
    out = []
    for start, end, label in spans:
        name = simple[start:end]
        if label != "PERSON" or words.get(name) is not None or translit(name) \
                or not (name[0] in SURNAMES or name[:2] in SURNAMES) or not is_han(name):
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


def every_mention(simple: str, spans) -> List[Tuple[int, int, str]]:
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


# "拉舍特（Armin Laschet）": a transliteration glossed with a person's name in Latin letters.
_LATIN_PERSON = re.compile(r"[（(]\s*([A-Z][a-zà-ÿ'’.-]+(?:[ -][A-Z][A-Za-zà-ÿ'’.-]+){1,3})\s*[）)]")
_NOT_PERSON_WORDS = frozenset("Group Economics Bank Inc Corp Company University Institute Agency "
                              "Party Union Council Ministry News Times Post Journal Foundation".split())


def glossed_people(simple: str, spans, words) -> List[Tuple[int, int, str]]:
    """A transliteration written just before a person's name in Latin letters in brackets is that
    person ("外长马斯（Heiko Maas）"), and so is every other mention of it in the article: the
    tagger's pieces ("拉" + "舍特") and misreadings (拉舍特 as a place) give way."""
    names = set()
    for match in _LATIN_PERSON.finditer(simple):
        if set(match.group(1).replace("-", " ").split()) & _NOT_PERSON_WORDS:
            continue
        start = end = match.start()
        while start > 0 and end - start < 8 and (simple[start - 1] in TRANSLIT or simple[start - 1] in DOTS):
            start -= 1
        while start < end and simple[start] in DOTS:
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


def ticket_pairs(simple: str, spans, tokens, offsets) -> List[Tuple[int, int, str]]:
    """`spans` without the "people" that are a ticket's nickname: a family name and another
    name's character, then 配 as a word of its own ("柯盈配", "侯康配", "柯吴配": a presidential
    candidate and a running mate, one character each; GUIDELINES.md gives no name); not a name
    before a word in 配 ("李明配合调查") (issue 17's Vocus round: dev's 報呱 and Vocus)."""
    paired = {offsets[k] for k, (word, _) in enumerate(tokens) if word == "配"}
    return [(s, e, label) for s, e, label in spans
            if not (label == "PERSON" and e - s == 2 and e in paired and simple[s] in SURNAMES)]


def brother_nicknames(simple: str, spans, words) -> List[Tuple[int, int, str]]:
    """A two-character "place" made of a name's character and 哥 ("辉哥", "brother Hui": the
    nickname a person goes by) is that person; not a transliteration ending in 哥 (多哥, Togo, is
    the lexicon's; "芝加哥" is longer) (issue 17's Vocus round: dev's 報呱 and Vocus)."""
    return [(s, e, "PERSON" if label == "GPE" and e - s == 2 and simple[e - 1] == "哥"
             and not translit(simple[s]) and words.get(simple[s:e]) is None else label)
            for s, e, label in spans]
