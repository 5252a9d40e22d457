"""Re-draw the candidates added to the dev split by the seeded draw (the rows of labels.tsv whose
`review` note reads "added: seeded draw (seed 15), stratum X"): every post of a dev-only outlet
that names both China and France (as the topic's terms, any role) and was not labelled before,
shuffled with random.Random(15) in article-id order, then taken per outlet and stratum up to a
quota, skipping a title already taken. Strata: A = the title names both sides (likely positives),
F = the title names France only, B = the rest (hard cases: both sides named in the text only).
Labels were then given by reading each one (GUIDELINES.md); this script only lists what was read.
Later rounds (`--seed 16`, `--seed 17`: Chinese dev-only outlets, strata F and B weighted, where
the hard negatives and the weak positives are) also leave out every article an earlier round drew.

    python -m tests.data.relevance.draw_candidates > draw.tsv     # id, outlet, language, stratum
    python -m tests.data.relevance.draw_candidates --seed 16 > draw16.tsv     # then --seed 17

A seeded round's pool depends on the topic's terms and on the labels of its day, both changed since
(exclusions added, rows moved between splits): `--as-drawn` draws with both as they were at the
round's commit (ROUND_COMMITS), which gives back the labelled rows exactly (a test checks it).

    python -m tests.data.relevance.draw_candidates --seed 21 --as-drawn

The blind batch (`--blind`, seed 18; rows of split `blind`) is drawn the same way from another
snapshot, agora0/pen (tests/data/zh_names/pen.py), among the posts of outlets in neither split
(NHK, Kyodo, Al Jazeera, RTHK; not CNA, DW, NYT or RFA, which dev or test hold), a quota per
outlet, all strata together; it is labelled by reading before any model scores it, and never
trained on.

    python -m tests.data.relevance.draw_candidates --blind > blind.tsv

Two later dev rounds: `--seed 20` (stratum A only, the dev-only Chinese outlets of news-beyond-wall)
and `--pen-dev` (seed 19: the agora0/pen posts of Taiwan's CNA, a dev outlet, naming both sides); `--seed 21` (stratum F only).

    python -m tests.data.relevance.draw_candidates --seed 20 > draw20.tsv
    python -m tests.data.relevance.draw_candidates --pen-dev > pen19.tsv

The Wikinews round (`--wikinews`, test split): every English Wikinews article of the snapshots in
sources.WIKINEWS_FILES that names both sides, all of them (2 of 443), labelled by reading before any
model scored them.

    python -m tests.data.relevance.draw_candidates --wikinews > wikinews.tsv

The Reuters-21578 round (`--reuters`, test split, outlet Reuters — the outlet of the test split's
路透): every story of the 1987 newswire (sources.reuters_items(), reut2-000.sgm left out) that names
both sides, all of them, one of each title and text, labelled by reading before any model scored them.

    python -m tests.data.relevance.draw_candidates --reuters > reuters.tsv

The Libération round (`--liberation`, dev split, outlet liberation.fr, in neither split before): every
article of a Libération corpus of 2020-2022 (sources.liberation_items(), Covid-19 and vaccines) that
names both sides, all of them, labelled by reading before any model scored them.

    python -m tests.data.relevance.draw_candidates --liberation > liberation.tsv

The Economist round (`--economist`, dev split, outlet 经济学人en, a dev outlet of news-beyond-wall): every
post of The Economist that names both sides and was not labelled before the round, all of them, in id
order, leaving out copies (a post sharing at least half of its word 5-grams with a labelled post or an
earlier draw: the same article archived twice, under its web and its print title); labelled by reading
before any model scored them.

    python -m tests.data.relevance.draw_candidates --economist > economist.tsv

The AllSides round (`--allsides`, seed 22): English articles of about 70 US and British outlets, 2012-2020
(sources.allsides_items()). An outlet already held by a split keeps it (cnn.com, theguardian.com, BBC,
纽约时报, Reuters: test; 经济学人en, 大纪元: dev; 半島電視台, a blind outlet, and en.wikipedia.org, not a news
outlet, are left out); every other outlet is new and goes wholly to dev. Of the articles naming both sides,
all those whose title names France (strata A, F) and, shuffled with random.Random(22) in id order, a quota
of the rest per split: stratum P (a sentence of the text names both sides) and B (none does); one of each
title and text. Labelled by reading before any model scored them.

    python -m tests.data.relevance.draw_candidates --allsides > allsides.tsv

The OrangeSum round (`--orangesum`, seed 23, dev split, outlet actu.orange.fr, in neither split before): French
articles of Orange Actu, 2011-2020, most of them AFP wire copy (sources.orangesum_items()). Of the articles naming
both sides, every one whose title names both (stratum A) and, shuffled with random.Random(23) in id order, 12 whose
title names France only (F) and 20 of the rest (B); one of each title and text, no copy (is_copy) of an article
taken before. Labelled by reading before any model scored them.

    python -m tests.data.relevance.draw_candidates --orangesum > orangesum.tsv

The second OrangeSum round (`--orangesum2`, seed 26, same outlet and split): draw_orangesum again, among the articles
naming both sides that the first round did not take, less copies (is_copy) of any it took: 780 articles (stratum A 3,
all of them copies of articles the first round took; F 193; B 584); shuffled with random.Random(26) in id order, 35 of
F and 45 of B (what A is left would be taken whole); one of each title and text, no copy within the draw. Labelled by
reading before any model scored them (commit ORANGESUM2_ROUND_COMMIT).

    python -m tests.data.relevance.draw_candidates --orangesum2 > orangesum2.tsv
"""
from __future__ import annotations

import collections
import random
import re
import subprocess
import sys
from pathlib import Path

import yaml

from cfnews.transforms.relevance import fold, load_topic
from tests.benchmarks.relevance_eval import label_rows, tsv_text_rows

HERE = Path(__file__).parent
SEED = 15
QUOTAS = {
    "A": {"法广": 14, "大纪元": 10, "(臺)中央社CNA": 14, "美国之音": 12, "中国数字时代": 6,
          "经济学人en": 10, "泡泡": 3, "燕京书评": 2, "Solidot": 1},
    "F": {"法广": 6, "大纪元": 4, "(臺)中央社CNA": 6, "美国之音": 4, "经济学人en": 4},
    "B": {"法广": 10, "大纪元": 7, "(臺)中央社CNA": 10, "美国之音": 7, "中国数字时代": 4,
          "经济学人en": 10, "泡泡": 2, "燕京书评": 2, "Solidot": 1, "ce": 1},
}
QUOTAS_16 = {
    "A": {"法广": 6, "大纪元": 4, "(臺)中央社CNA": 6, "美国之音": 4},
    "F": {"法广": 5, "大纪元": 3, "(臺)中央社CNA": 5, "美国之音": 3},
    "B": {"法广": 7, "大纪元": 5, "(臺)中央社CNA": 7, "美国之音": 5, "中国数字时代": 2},
}
QUOTAS_17 = {
    "A": {"法广": 6, "大纪元": 6, "美国之音": 4, "CCTV新闻联播": 3},
    "F": {"法广": 4, "大纪元": 3, "(臺)中央社CNA": 4, "美国之音": 3},
    "B": {"法广": 6, "大纪元": 4, "(臺)中央社CNA": 6, "美国之音": 4, "CCTV新闻联播": 2},
}
# seed 20: stratum A only (the title names both sides), where the Chinese positives are
QUOTAS_20 = {
    "A": {"法广": 8, "大纪元": 6, "(臺)中央社CNA": 6, "美国之音": 5, "中国数字时代": 2, "CCTV新闻联播": 3},
    "F": {},
    "B": {},
}
# seed 21: stratum F only (the title names France only), the weak positives and hard negatives
QUOTAS_21 = {
    "A": {},
    "F": {"法广": 6, "大纪元": 5, "(臺)中央社CNA": 5, "美国之音": 4},
    "B": {},
}
ROUNDS = {15: QUOTAS, 16: QUOTAS_16, 17: QUOTAS_17, 20: QUOTAS_20, 21: QUOTAS_21}
# the commit of each seeded round's labels: its pool depends on the topic's terms and on the labels
# then (what was labelled, which outlets were dev-only), so `draw(seed, at=ROUND_COMMITS[seed])`
# rebuilds the round from both as they were (later exclusions and moved rows change today's pool)
ROUND_COMMITS = {15: "ceb3d74", 16: "04575d9", 17: "95fe16d", 20: "6323da5", 21: "becc9d3"}
BLIND_SEED = 18
ECONOMIST_ROUND = "added: Economist round"   # the review note of the --economist round's rows
ECONOMIST_ROUND_COMMIT = "e569978"   # its labels; the topic's terms then (topic_at) rebuild its draw
# agora0/pen folders of outlets in neither split (sources.BLIND_FOLDERS), and how many of each outlet's posts naming both
# sides are drawn (the pool, November 2024: Al Jazeera 44, RTHK 27, NHK 3, Kyodo 2)
BLIND_QUOTAS = {"aj": 30, "rthk": 27, "nhk": 3, "kyodo": 2}


def _sides(topic, text: str) -> set:
    matcher, found = topic.matcher, set()
    for _, _, key in matcher.spans(fold(text)):
        if key not in matcher.other_keys:
            found |= topic.side_sets[key]
    return found


def draw(seed: int = SEED, at: str | None = None, items=None):
    """(article_id, outlet, language, stratum) of the seeded round `seed`, from today's topic and
    labels, or from those of commit `at` (ROUND_COMMITS rebuilds each round exactly); `items`:
    sources.all_items() unless given (a list read once serves several rounds)."""
    sys.path.insert(0, str(HERE))
    import sources  # noqa: E402
    topic = topic_at(at) if at else load_topic("china_france")
    rows = labels_at(at)
    # (the Economist round's rows came later and are not of these rounds' pools: leaving them out keeps the
    # seeded draws as they were)
    before = [r for r in rows if not r.get("review", "").startswith(("added: seeded draw", ECONOMIST_ROUND))]
    # a round re-draws among what was labelled before it: the original rows and earlier rounds
    earlier = [r for r in rows if r.get("review", "").startswith("added: seeded draw (seed ")
               and int(r["review"].split("(seed ")[1].split(")")[0]) < seed]
    splits = collections.defaultdict(set)
    for r in before:
        splits[r["source"]].add(r["split"])
    dev_only = {source for source, seen in splits.items() if seen == {"dev"}}
    labelled = {r["article_id"] for r in before + earlier}
    quotas = ROUNDS[seed]
    pool = []
    for item in sources.all_items() if items is None else items:
        if item.source in dev_only and item.article_id not in labelled:
            if {"china", "france"} <= _sides(topic, item.title + "\n" + item.text):
                title_sides = _sides(topic, item.title)
                stratum = ("A" if title_sides == {"china", "france"}
                           else "F" if title_sides == {"france"} else "B")
                pool.append((item.article_id, item.source, item.lang, item.title, stratum))
    pool.sort()
    random.Random(seed).shuffle(pool)
    taken, titles = collections.Counter(), set()
    for article_id, source, lang, title, stratum in pool:
        if taken[(source, stratum)] < quotas[stratum].get(source, 0) and title not in titles:
            taken[(source, stratum)] += 1
            titles.add(title)
            yield article_id, source, lang, stratum


def _stratum(topic, title: str) -> str:
    title_sides = _sides(topic, title)
    return "A" if title_sides == {"china", "france"} else "F" if title_sides == {"france"} else "B"


def draw_blind(seed: int = BLIND_SEED):
    """The blind batch: agora0/pen posts of the BLIND_QUOTAS outlets naming both sides, shuffled
    with random.Random(seed) in article-id order, then taken up to each outlet's quota, skipping a
    title already taken. Yields (article_id, outlet, language, stratum)."""
    from tests.data.zh_names import pen
    topic = load_topic("china_france")
    pool = []
    for path, raw in pen.posts(set(BLIND_QUOTAS)):
        folder = path.split("/")[1]
        item = pen.pen_item(path, raw)
        if {"china", "france"} <= _sides(topic, item.title + "\n" + item.text):
            pool.append((item.article_id, folder, item.source, item.lang, item.title,
                         _stratum(topic, item.title)))
    pool.sort()
    random.Random(seed).shuffle(pool)
    taken, titles = collections.Counter(), set()
    for article_id, folder, source, lang, title, stratum in pool:
        if taken[folder] < BLIND_QUOTAS[folder] and title not in titles:
            taken[folder] += 1
            titles.add(title)
            yield article_id, source, lang, stratum


# a dev round from agora0/pen (--pen-dev, seed 19): the posts of Taiwan's CNA (folder "cna"), a dev
# outlet ((臺)中央社CNA in labels.tsv, from news-beyond-wall), November 2024, naming both sides; all of
# them (the pool was 26), shuffled, one of each title, leaving out titles already labelled
PEN_DEV_SEED = 19
PEN_DEV_QUOTAS = {"cna": 30}


def draw_pen_dev(seed: int = PEN_DEV_SEED):
    """Yields (article_id, outlet, language, stratum) of the --pen-dev round."""
    from tests.data.zh_names import pen
    topic = load_topic("china_france")
    # what was labelled before this round (so that the round re-draws itself)
    labelled = {r["article_id"] for r in label_rows() if not r["review"].startswith("added: pen dev round")}
    pool = []
    for path, raw in pen.posts(set(PEN_DEV_QUOTAS)):
        folder = path.split("/")[1]
        item = pen.pen_item(path, raw)
        if item.article_id not in labelled and {"china", "france"} <= _sides(topic, item.title + "\n" + item.text):
            pool.append((item.article_id, folder, item.lang, item.title, _stratum(topic, item.title)))
    pool.sort()
    random.Random(seed).shuffle(pool)
    taken, titles = collections.Counter(), set()
    for article_id, folder, lang, title, stratum in pool:
        if taken[folder] < PEN_DEV_QUOTAS[folder] and title not in titles:
            taken[folder] += 1
            titles.add(title)
            yield article_id, "(臺)中央社CNA", lang, stratum


def draw_wikinews():
    """The Wikinews round (test split, outlet en.wikinews.org; SOURCES.md): every article of the
    English Wikinews snapshots (sources.WIKINEWS_FILES) that names both sides (the topic's terms,
    any role), all of them (no sampling: the pool was 2 of 443 articles), in id order. Yields
    (article_id, outlet, language, stratum)."""
    sys.path.insert(0, str(HERE))
    import sources  # noqa: E402
    topic = load_topic("china_france")
    pool = sorted((item.article_id, item.source, item.lang, _stratum(topic, item.title))
                  for item in sources.wikinews_items()
                  if {"china", "france"} <= _sides(topic, item.title + "\n" + item.text))
    yield from pool


def _every_item_naming_both(items):
    """(article_id, outlet, language, stratum) of every item of `items` that names both sides
    (the topic's terms, any role), in id order, one of each title and of each text (the same
    story under a second title is left out): a whole-source round, no sampling."""
    topic = load_topic("china_france")
    pool = sorted((item.article_id, item.source, item.lang, item.title, item.text)
                  for item in items
                  if {"china", "france"} <= _sides(topic, item.title + "\n" + item.text))
    seen = set()
    for article_id, source, lang, title, text in pool:
        if title not in seen and text not in seen:
            seen |= {title, text}
            yield article_id, source, lang, _stratum(topic, title)


def draw_reuters():
    """The Reuters-21578 round (test split, outlet Reuters; SOURCES.md): every story of
    sources.reuters_items() (reut2-000.sgm left out) naming both sides (31 of 20,574 stories).
    Yields (article_id, outlet, language, stratum)."""
    sys.path.insert(0, str(HERE))
    import sources  # noqa: E402
    yield from _every_item_naming_both(sources.reuters_items())


def draw_liberation():
    """The Libération round (dev split, outlet liberation.fr; SOURCES.md): every article of
    sources.liberation_items() naming both sides (60 of 332 articles). Yields (article_id,
    outlet, language, stratum)."""
    sys.path.insert(0, str(HERE))
    import sources  # noqa: E402
    yield from _every_item_naming_both(sources.liberation_items())


COPY_SHARE = 0.5   # share of the shorter text's word 5-grams two copies of one article have in common


def _shingles(text: str) -> frozenset:
    import re
    words = re.findall(r"\w+", text.lower())
    return frozenset(tuple(words[i:i + 5]) for i in range(len(words) - 4))


def is_copy(a: frozenset, b: frozenset) -> bool:
    """Two texts (as their word 5-grams) are one article archived twice: they share at least
    COPY_SHARE of the shorter one's 5-grams (the pairs found share 0.66 to 1.0; two different
    articles of the outlet at most 0.3)."""
    return bool(a and b) and len(a & b) >= COPY_SHARE * min(len(a), len(b))


def _git_show(commit: str, path: str) -> bytes:
    """`path` (from the repository's root) as it was at `commit`, through this checkout's git."""
    return subprocess.run(["git", "-C", str(HERE.parents[2]), "show", f"{commit}:{path}"],
                          capture_output=True, check=True).stdout


def labels_at(commit: str | None = None) -> list:
    """The rows of labels.tsv as dicts: today's, or those of `commit`."""
    if commit is None:
        return label_rows()
    return tsv_text_rows(_git_show(commit, "tests/data/relevance/labels.tsv").decode("utf-8"))


def topic_at(commit: str):
    """The China–France topic's terms as they were at `commit` (git, this checkout's history): a
    draw that picks the posts naming both sides depends on them, and a later exclusion (say
    "Paris Club") leaves a post out of today's draw that was drawn and labelled then."""
    from cfnews.transforms.relevance import parse_topic
    data = yaml.safe_load(_git_show(commit, "transforms/topics/china_france.yaml"))
    data.pop("model", None)     # the terms are what a draw reads; the role model file is today's
    return parse_topic(data, f"china_france.yaml at {commit}")


def draw_economist(topic=None):
    """The Economist round (dev split, outlet 经济学人en; SOURCES.md): every post of
    sources.economist_items() that names both sides (the topic's terms, any role; `topic`: today's
    unless given, see topic_at) and was labelled before neither this round nor earlier, all of them
    (no sampling), in id order, leaving out a copy of a labelled post or of an earlier draw
    (is_copy). Yields (article_id, outlet, language, stratum)."""
    sys.path.insert(0, str(HERE))
    import sources  # noqa: E402
    topic = topic or load_topic("china_france")
    labelled = {r["article_id"] for r in label_rows() if not r["review"].startswith(ECONOMIST_ROUND)}
    posts = list(sources.economist_items())
    kept = [_shingles(item.text) for item in posts if item.article_id in labelled]
    pool = sorted((item for item in posts if item.article_id not in labelled
                   and {"china", "france"} <= _sides(topic, item.title + "\n" + item.text)),
                  key=lambda item: item.article_id)
    for item in pool:
        shingles = _shingles(item.text)
        if not any(is_copy(shingles, other) for other in kept):
            kept.append(shingles)
            yield item.article_id, item.source, item.lang, _stratum(topic, item.title)


ALLSIDES_SEED = 22
ALLSIDES_ROUND = "added: AllSides round"   # the review note of the --allsides round's rows
ALLSIDES_ROUND_COMMIT = "f399c11"   # the topic as the round drew with it (its labels were committed on a branch, c4591f3, squashed into main; the topic was that of main f399c11)
# strata P and B are sampled, per split; A and F (the title names France) are taken whole
ALLSIDES_QUOTAS = {"dev": {"P": 35, "B": 20}, "test": {"P": 18, "B": 10}}
ALLSIDES_LEFT_OUT = {"半島電視台", "en.wikipedia.org"}   # a blind outlet; not a news outlet
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def _allsides_stratum(topic, title: str, text: str) -> str:
    stratum = _stratum(topic, title)
    if stratum != "B":
        return stratum
    return "P" if any({"china", "france"} <= _sides(topic, s) for s in _SENTENCE_END.split(text)) else "B"


def draw_allsides(seed: int = ALLSIDES_SEED, items=None, topic=None):
    """The AllSides round (SOURCES.md): the articles of sources.allsides_items() naming both sides (the
    topic's terms, any role), outlets of ALLSIDES_LEFT_OUT left out, each in the split its outlet
    already has in labels.tsv (rows of earlier rounds) or else dev; strata A and F whole, P and B
    shuffled with random.Random(seed) in id order and taken up to ALLSIDES_QUOTAS per split; one of
    each title and text; `topic`: today's unless given (topic_at). Yields (article_id, outlet,
    language, stratum, split)."""
    sys.path.insert(0, str(HERE))
    import sources  # noqa: E402
    topic = topic or load_topic("china_france")
    splits = {r["source"]: r["split"] for r in label_rows() if not r["review"].startswith(ALLSIDES_ROUND)}
    pool = sorted((item.article_id, item.source, item.title, item.text)
                  for item in (sources.allsides_items() if items is None else items)
                  if item.source not in ALLSIDES_LEFT_OUT
                  and {"china", "france"} <= _sides(topic, item.title + "\n" + item.text))
    random.Random(seed).shuffle(pool)
    taken, seen, drawn = collections.Counter(), set(), []
    for article_id, source, title, text in pool:
        split = splits.get(source, "dev")
        stratum = _allsides_stratum(topic, title, text)
        quota = ALLSIDES_QUOTAS[split].get(stratum)
        if title in seen or text in seen or (quota is not None and taken[(split, stratum)] >= quota):
            continue
        taken[(split, stratum)] += 1
        seen |= {title, text}
        drawn.append((article_id, source, "en", stratum, split))
    yield from sorted(drawn)


ORANGESUM_SEED = 23
ORANGESUM_ROUND = "added: OrangeSum round ("   # the start of the --orangesum round's review notes (not round 2's)
ORANGESUM_ROUND_COMMIT = "5a93cde"   # its labels; the topic's terms then (topic_at) rebuild its draw
# stratum A (the title names both sides) is taken whole; F and B are sampled
ORANGESUM_QUOTAS = {"F": 12, "B": 20}


def draw_orangesum(seed: int = ORANGESUM_SEED, items=None, topic=None, quotas=None, before=()):
    """The OrangeSum rounds (dev split, outlet actu.orange.fr, in neither split before; SOURCES.md): the
    articles of sources.orangesum_items() naming both sides (the topic's terms, any role), one of each
    title and text and no copy of an article taken before (is_copy: the corpus holds the same AFP story
    under several numbers); stratum A whole, F and B shuffled with random.Random(seed) in id order and
    taken up to `quotas` (ORANGESUM_QUOTAS unless given); `topic`: today's unless given; `before`: the ids
    an earlier round took, left out with every copy of them (their titles, texts and is_copy). Yields
    (article_id, outlet, language, stratum), in id order."""
    sys.path.insert(0, str(HERE))
    import sources  # noqa: E402
    topic = topic or load_topic("china_france")
    quotas = ORANGESUM_QUOTAS if quotas is None else quotas
    before = set(before)
    items = list(sources.orangesum_items() if items is None else items)
    earlier = [item for item in items if item.article_id in before]
    assert len(earlier) == len(before), "an earlier round's id is not an article of the snapshot"
    pool = sorted((item.article_id, item.source, item.title, item.text)
                  for item in items if item.article_id not in before
                  and {"china", "france"} <= _sides(topic, item.title + "\n" + item.text))
    random.Random(seed).shuffle(pool)
    pool.sort(key=lambda row: _stratum(topic, row[2]) != "A")   # A first (stable: shuffled order kept)
    taken, drawn = collections.Counter(), []
    seen = {part for item in earlier for part in (item.title, item.text)}
    kept = [_shingles(item.text) for item in earlier]
    for article_id, source, title, text in pool:
        stratum = _stratum(topic, title)
        quota = quotas.get(stratum)
        if title in seen or text in seen or (quota is not None and taken[stratum] >= quota):
            continue
        shingles = _shingles(text)
        if any(is_copy(shingles, other) for other in kept):
            continue
        taken[stratum] += 1
        seen |= {title, text}
        kept.append(shingles)
        drawn.append((article_id, source, "fr", stratum))
    yield from sorted(drawn)


ORANGESUM2_SEED = 26
ORANGESUM2_ROUND = "added: OrangeSum round 2 ("   # the start of the --orangesum2 round's review notes
ORANGESUM2_ROUND_COMMIT = "d8e925e"   # its labels; the topic's terms then (topic_at) rebuild its draw
# F and B sampled again; what A the first round left (copies of what it took, if any) is taken whole
ORANGESUM2_QUOTAS = {"F": 35, "B": 45}


def draw_orangesum2(seed: int = ORANGESUM2_SEED, items=None, topic=None):
    """The second OrangeSum round (SOURCES.md): draw_orangesum among the articles the first round (its
    rows of labels.tsv) did not take, less their copies (is_copy) and their titles and texts, with
    ORANGESUM2_QUOTAS; `topic`: today's unless given (topic_at(ORANGESUM2_ROUND_COMMIT) rebuilds the
    round). Yields (article_id, outlet, language, stratum), in id order."""
    first = {r["article_id"] for r in label_rows() if r["review"].startswith(ORANGESUM_ROUND)}
    yield from draw_orangesum(seed, items=items, topic=topic, quotas=ORANGESUM2_QUOTAS, before=first)


if __name__ == "__main__":
    if "--orangesum2" in sys.argv:
        rows = draw_orangesum2()
    elif "--orangesum" in sys.argv:
        rows = draw_orangesum()
    elif "--allsides" in sys.argv:
        rows = draw_allsides()
    elif "--economist" in sys.argv:
        rows = draw_economist()
    elif "--liberation" in sys.argv:
        rows = draw_liberation()
    elif "--reuters" in sys.argv:
        rows = draw_reuters()
    elif "--wikinews" in sys.argv:
        rows = draw_wikinews()
    elif "--pen-dev" in sys.argv:
        rows = draw_pen_dev()
    elif "--blind" in sys.argv:
        rows = draw_blind()
    else:
        seed = int(sys.argv[sys.argv.index("--seed") + 1]) if "--seed" in sys.argv else SEED
        rows = draw(seed, at=ROUND_COMMITS[seed] if "--as-drawn" in sys.argv else None)
    for row in rows:
        print("\t".join(row))
