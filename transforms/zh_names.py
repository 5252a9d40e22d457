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
import threading
from typing import Dict, List, Tuple

LABELS = {"nr": "PERSON", "nrfg": "PERSON", "nrt": "PERSON", "ns": "GPE", "nt": "ORG"}
# Words jieba's dictionary marks as names that are, in news text, common nouns or parts of
# phrases: sides ("中方"), directions, generic places.
COMMON = frozenset("""
中方 法方 美方 欧方 双方 各方 外方 我方 对方 中外 中法 中美 中欧 两岸 海内外 国内 国外 境内 境外
东方 西方 南方 北方 东部 西部 南部 北部 中部 全国 全球 世界 国际 亚洲 欧洲 非洲 美洲 大洋洲
来源国 成员国 东道国 出口国 进口国 生产国 消费国 大国 强国 邻国 盟国 各国 两国 多国 本国 外国 他国 该国
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


def chinese_name_spans(text: str) -> List[Tuple[int, int, str]]:
    """(start, end, label) of the names jieba tags in `text` (Simplified or Traditional)."""
    tokens = [(t.word, t.flag) for t in _posseg().cut(simplified(text), HMM=True)]
    spans, pos, i = [], 0, 0
    while i < len(tokens):
        word, flag = tokens[i]
        start = pos
        if flag == "nr" and word in SURNAMES and i + 1 < len(tokens):
            given, given_flag = tokens[i + 1]
            if 1 <= len(given) <= 2 and _han(given) and given_flag in _GIVEN_NAME_FLAGS:
                word, flag, i = word + given, "nr", i + 1
        pos += len(word)
        i += 1
        label = LABELS.get(flag)
        if label is None or len(word) < 2 or word in COMMON or not _han(word):
            continue  # Latin words and numbers are not the tagger's strength
        spans.append((start, pos, label))
    return spans
