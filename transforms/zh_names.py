"""Chinese person, place and organisation names beyond the knowledge base: jieba's part-of-
speech tagger (its dictionary and HMM ship in the package; nothing is downloaded), run on a
character-for-character Simplified copy of the text so Traditional articles get the same tagger
and the offsets stay those of the text as written. The knowledge base links on top
(entity_linking.link_entities): canonical names and QIDs where it knows the name, the name as
written otherwise.

jieba tags: nr (person), nrfg / nrt (person: full or transliterated name), ns (place), nt
(organisation). Noise dropped: one-character words and the common words below that the tagger
marks as names."""
from __future__ import annotations

import functools
import os
import re
import threading
from typing import Dict, List, Tuple

LABELS = {"nr": "PERSON", "nrfg": "PERSON", "nrt": "PERSON", "ns": "GPE", "nt": "ORG"}
# Words jieba's dictionary marks as names that are, in news text, common nouns or parts of
# phrases: sides ("中方"), directions, generic places.
COMMON = frozenset("""
中方 法方 美方 欧方 双方 各方 外方 我方 对方 中外 中法 中美 中欧 两岸 海内外 国内 国外 境内 境外
东方 西方 南方 北方 东部 西部 南部 北部 中部 全国 全球 世界 国际 亚洲 欧洲 非洲 美洲 大洋洲
来源国 成员国 东道国 出口国 进口国 生产国 消费国 大国 强国 邻国 盟国 各国 两国 多国 本国 外国 他国 该国
国际社会 超级大国 大都 多维度
当地 本地 外地 各地 内地 大陆 城市 乡村 农村 首都 总部 中央 地方 国家 政府 中华 华人 华裔
""".split())
# The commonest family names: jieba tags a lone family name `nr` when the given name that follows
# is also a dictionary word ("孟" + "宏伟"); the two make one name.
SURNAMES = frozenset("""
王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 高 林 罗 郑 梁 谢 宋 唐 许 韩 冯 邓 曹 彭 曾 肖
田 董 袁 潘 于 蒋 蔡 余 杜 叶 程 苏 魏 吕 丁 任 沈 姚 卢 姜 崔 钟 谭 陆 汪 范 金 石 廖 贾 夏 韦 付
方 白 邹 孟 熊 秦 邱 江 尹 薛 闫 段 雷 侯 龙 史 陶 黎 贺 顾 毛 郝 龚 邵 万 钱 严 覃 武 戴 莫 孔 向
汤 习 温 薄 俞 翟 倪 殷 欧阳 司马 诸葛 上官
""".split())
_GIVEN_NAME_FLAGS = frozenset({"a", "n", "ng", "nr", "nz", "an", "ag", "i", "l"})
_tagger_lock = threading.Lock()


@functools.lru_cache(maxsize=1)
def _to_simplified() -> Dict[int, str]:
    """Traditional -> Simplified, one character for one (OpenCC's character table, first
    reading), so that offsets into the copy are offsets into the original."""
    import opencc
    path = os.path.join(os.path.dirname(opencc.__file__), "dictionary", "TSCharacters.txt")
    table: Dict[int, str] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            source, _, targets = line.rstrip("\n").partition("\t")
            first = targets.split(" ")[0] if targets else ""
            if len(source) == 1 and len(first) == 1:
                table[ord(source)] = first
    return table


def simplified(text: str) -> str:
    return text.translate(_to_simplified())


@functools.lru_cache(maxsize=1)
def _posseg():
    import jieba
    import jieba.posseg
    jieba.setLogLevel(60)  # its dictionary-loading chatter goes to stderr at INFO
    with _tagger_lock:
        jieba.posseg.dt.initialize()
    return jieba.posseg


def _han(word: str) -> bool:
    return all("\u3400" <= c <= "\u9fff" or c == "·" for c in word)


# Organisation names end in one of these words; the words before it that belong to the name
# are nouns, adjectives or place names ("国家 卫生 健康 委", "克罗地亚 地缘 经济 论坛").
ORG_ENDINGS = ("委", "部", "局", "总局", "会", "协会", "基金会", "论坛", "中心", "法院", "研究所",
               "党", "院", "社", "署", "集团", "公司", "银行", "大学", "组织", "联盟", "委员会")
_ORG_INNER_FLAGS = frozenset({"n", "nz", "ns", "nt", "an", "a", "vn", "j", "b", "nr"})
_ORG_STARTS = frozenset({"国家", "中国", "中央", "全国", "国际", "世界", "亚太", "欧洲", "美国", "法国"})
# A transliterated name is written with middle dots ("约翰·米勒-怀特"): the pieces around a dot
# are the tagger's name fragments or characters it could not place.
_DOTS = frozenset("·・•‧")
_PIECE_FLAGS = frozenset({"nr", "nrt", "nrfg", "x", "zg", "j", "ng", "g", "nz"})
_COUNTRY_PAIR = re.compile(r"^[中美法欧俄日英德韩][中美法欧俄日英德韩](?:关系|合作|贸易|对话)?$|^[中美法欧][美中法欧俄日]")


def _han(word: str) -> bool:
    return bool(word) and all("\u3400" <= c <= "\u9fff" or c == "·" for c in word)


def _dotted_names(tokens, offsets) -> List[Tuple[int, int, str]]:
    def piece(k):
        word, flag = tokens[k]
        return _han(word) and flag in _PIECE_FLAGS and word not in _DOTS
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


def _organisation(tokens, end: int):
    """Index where an organisation name ending with token `end` starts, or None."""
    word, flag = tokens[end]
    whole_word = len(word) > 2 and flag in ("j", "nt", "nz") and word.endswith(ORG_ENDINGS)
    if word not in ORG_ENDINGS and not whole_word:
        return None                                      # "社会" is not an organisation
    start = end
    while start > 0 and end - start < 5:
        before, before_flag = tokens[start - 1]
        if not _han(before) or not (before_flag in _ORG_INNER_FLAGS or before == "和") \
                or before in ORG_ENDINGS \
                or (whole_word and before not in _ORG_STARTS):
            break
        start -= 1
    while start < end and tokens[start][0] == "和":
        start += 1
    first, first_flag = tokens[start]
    if whole_word or (start < end and (first_flag in ("ns", "nt") or first in _ORG_STARTS
                                      or end - start >= 3 or (len(word) >= 2 and len(first) >= 3))):
        return start
    return None


def chinese_name_spans(text: str) -> List[Tuple[int, int, str]]:
    """(start, end, label) of the names jieba tags in `text` (Simplified or Traditional)."""
    tokens = [(t.word, t.flag) for t in _posseg().cut(simplified(text), HMM=True)]
    offsets, pos = [], 0
    for word, _ in tokens:
        offsets.append(pos)
        pos += len(word)
    spans = _dotted_names(tokens, offsets)
    i = 0
    while i < len(tokens):
        org_start = _organisation(tokens, i)
        if org_start is not None and (org_start < i or tokens[i][1] not in LABELS):
            org = (offsets[org_start], offsets[i] + len(tokens[i][0]))
            spans = [s for s in spans if s[1] <= org[0] or s[0] >= org[1]]  # its parts go
            spans.append((org[0], org[1], "ORG"))
            i += 1
            continue
        word, flag = tokens[i]
        start = offsets[i]
        if flag == "nr" and word in SURNAMES and i + 1 < len(tokens):
            given, given_flag = tokens[i + 1]
            if 1 <= len(given) <= 2 and _han(given) and given_flag in _GIVEN_NAME_FLAGS:
                word, flag, i = word + given, "nr", i + 1
        i += 1
        label = "ORG" if org_start == i - 1 else LABELS.get(flag)
        if label is None or len(word) < 2 or word in COMMON or not _han(word) \
                or _COUNTRY_PAIR.match(word):
            continue  # Latin words and numbers are not the tagger's strength
        if flag in ("nr", "nrfg") and word[:1] not in SURNAMES and word[:2] not in SURNAMES:
            continue  # a Chinese name starts with a family name ("亚太", "令人" are not names)
        end = start + len(word)
        if any(s <= start and end <= e for s, e, _ in spans):
            continue  # part of a dotted name
        spans.append((start, end, label))
    return sorted(spans)
