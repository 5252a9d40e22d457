"""Draw fresh articles for the Chinese names gold set, at random, before anyone reads them.

Candidates: the snapshot posts of the given outlets, in the given script, that name both China and
France (中国/中國 and 法国/法國 in title or text; or either, or a given word: --mentions; or whose
annotated excerpt matches a regular expression: --excerpt-pattern), whose annotated excerpt has at least
MIN_HAN Chinese characters, that are not in gold.json yet. They are shuffled with a fixed seed and
taken in that order, skipping near-duplicates (excerpt character-bigram Jaccard >= 0.5 with an
article already in gold or already drawn). Prints one gold.json skeleton line per article (names
to be filled in by reading) and the excerpt to read.

    python -m tests.data.zh_names.draw --seed 20261203 --split test --script zh-Hant \
        --outlet "RTI 中央廣播電臺" --outlet Matters -n 10

Stand News (立場新聞) posts are drawn from one snapshot, `--stand-snapshot` (default agora0+21q2,
the snapshot of the earlier draws; agora0+21q3 holds the July-September 2021 posts,
agora0+21q1 those of March 2021, agora0+21q4 those of October-December 2021). 獨立媒體
(In-Media) posts are those of agora0+21q4 (its newsroom's reports only, byline 獨媒報導).
報呱 (Pourquoi) posts are drawn from the snapshots given by `--pq-snapshot` (repeatable; default
agora0+22q1 alone; also agora0+23q1 and the later quarters of pq.SNAPSHOTS, 22q2 to 24q4), its news
desks' reports only (pq.is_report: no podcasts, columns, features or feed summaries); a post found
in two quarters' snapshots is a candidate once.
Vocus 方格子 posts are drawn from the snapshots given by `--vocus-snapshot` (repeatable; default all
of vocus.SNAPSHOTS, 22q1 to 24q3), each post once (by its vocus.cc id), never one whose page names
眾新聞 (HKCNews) or Matters (vocus.names_excluded_source). `--public-affairs` keeps the posts whose
excerpt is about public affairs (vocus.is_public_affairs, instead of naming China and/or France),
`--one-per-author` takes at most one post of an author (the first of the shuffle).
"""
from __future__ import annotations

import argparse
import json
import random
import re
from typing import Dict, List, Optional, Sequence, Set, Union

from tests.data.relevance import sources as relevance
from tests.data.zh_names import inmedia, pen, pq, rthk25, stand, vocus
from tests.data.zh_names.sources import PREFIX, digest, excerpt, load_gold

MIN_HAN = 80
_HAN = re.compile(r"[\u3400-\u9fff]")
SNAPSHOTS = {"NodeBE4+oped2": relevance.OPED2, "NodeBE4+news-beyond-wall": relevance.NEWS_BEYOND_WALL}


def names_china_and_france(text: str) -> bool:
    return ("中国" in text or "中國" in text) and ("法国" in text or "法國" in text)


def names_china_or_france(text: str) -> bool:
    return any(name in text for name in ("中国", "中國", "法国", "法國"))


def bigrams(text: str) -> Set[str]:
    han = "".join(_HAN.findall(text))
    return {han[i:i + 2] for i in range(len(han) - 1)}


def near_duplicate(grams: Set[str], others: List[Set[str]]) -> bool:
    return any(len(grams & o) / max(1, len(grams | o)) >= 0.5 for o in others)


PqSnapshots = Union[str, Sequence[str]]


def _snapshot_posts(outlets: List[str], snapshot: Optional[str] = None,
                    stand_snapshot: str = stand.SNAPSHOT, pq_snapshot: PqSnapshots = pq.SNAPSHOT,
                    vocus_snapshot: Sequence[str] = vocus.SNAPSHOTS):
    """(snapshot, path, item) of the posts that may be of the given outlets (of Stand News, the
    newsroom's own reports of `stand_snapshot` only: no columns, letters or reposts of other
    outlets; of In-Media, its newsroom's reports in agora0+21q4; of 報呱, the news desks' reports
    of the `pq_snapshot` snapshot or snapshots); with `snapshot`, of that snapshot only
    (agora0+2511: its RTHK posts)."""
    if snapshot == rthk25.SNAPSHOT:
        for path, raw in rthk25.posts():
            yield rthk25.SNAPSHOT, path, rthk25.rthk_item(path, raw)
        return
    if snapshot is not None:
        raise ValueError(f"{snapshot}: only {rthk25.SNAPSHOT} is drawn from by name")
    folders = [folder for folder, name in pen.OUTLETS.items() if name in outlets]
    if folders:
        for path, raw in pen.posts(folders):
            yield pen.SNAPSHOT, path, pen.pen_item(path, raw)
    if stand.OUTLET in outlets:
        for path, raw in stand.posts(stand_snapshot):
            if stand.author(raw) == stand.NEWSROOM:
                yield stand_snapshot, path, stand.stand_item(path, raw, stand_snapshot)
    if inmedia.OUTLET in outlets:
        for path, raw in inmedia.posts():
            if inmedia.author(raw) == inmedia.NEWSROOM:
                yield inmedia.SNAPSHOT, path, inmedia.inmedia_item(path, raw)
    if pq.OUTLET in outlets:
        seen = set()   # a post found in two quarters' snapshots is yielded once, from the first
        for pq_snap in (pq_snapshot,) if isinstance(pq_snapshot, str) else pq_snapshot:
            for path, raw in pq.posts(pq_snap):
                if pq.is_report(raw) and path not in seen:
                    seen.add(path)
                    yield pq_snap, path, pq.pq_item(path, raw)
    if vocus.OUTLET in outlets:
        keys = set()   # a post found in two quarters' snapshots is yielded once, from the first
        for vocus_snap in vocus_snapshot:
            for path, raw in vocus.posts(vocus_snap):
                key = vocus.post_key(raw)
                if key not in keys and not vocus.names_excluded_source(raw):
                    keys.add(key)
                    yield vocus_snap, path, vocus.vocus_item(path, raw)
    own = (stand.OUTLET, inmedia.OUTLET, pq.OUTLET, vocus.OUTLET)
    if len(folders) + sum(outlet in outlets for outlet in own) == len(outlets):
        return
    for snapshot in SNAPSHOTS:
        for path, raw in relevance._posts(snapshot):
            yield snapshot, path, relevance.post_item(PREFIX[snapshot], path, raw)


def candidates(outlets: List[str], script: str, either: bool = False,
               snapshot: Optional[str] = None, mentions: Optional[str] = None,
               stand_snapshot: str = stand.SNAPSHOT,
               pq_snapshot: PqSnapshots = pq.SNAPSHOT,
               excerpt_pattern: Optional[str] = None, public_affairs: bool = False,
               vocus_snapshot: Sequence[str] = vocus.SNAPSHOTS) -> List[Dict]:
    wanted = names_china_or_france if either else names_china_and_france
    if mentions:
        wanted = lambda text: mentions in text  # noqa: E731
    if excerpt_pattern:  # the writing a batch is drawn for must be in the text that is annotated
        pattern = re.compile(excerpt_pattern)
        wanted = lambda text: True  # noqa: E731
    if public_affairs:  # judged on the excerpt (below), not on the whole post
        wanted = lambda text: True  # noqa: E731
    found = []
    for snapshot, path, item in _snapshot_posts(outlets, snapshot, stand_snapshot, pq_snapshot,
                                                vocus_snapshot):
        if item.source not in outlets or item.lang != script:
            continue
        if not wanted(item.title + item.text):
            continue
        text = excerpt(item.text)
        if len(_HAN.findall(text)) < MIN_HAN:
            continue
        if excerpt_pattern and not pattern.search(text):
            continue
        if public_affairs and not vocus.is_public_affairs(text):
            continue
        found.append({"id": item.article_id, "script": script, "outlet": item.source,
                      "snapshot": snapshot, "path": path, "chars": len(text),
                      "sha1": digest(text), "text": text})
    return sorted(found, key=lambda c: c["id"])


def draw(outlets: List[str], script: str, n: int, seed: int, either: bool = False,
         snapshot: Optional[str] = None, mentions: Optional[str] = None,
         stand_snapshot: str = stand.SNAPSHOT,
         pq_snapshot: PqSnapshots = pq.SNAPSHOT,
         excerpt_pattern: Optional[str] = None, public_affairs: bool = False,
         vocus_snapshot: Sequence[str] = vocus.SNAPSHOTS,
         one_per_author: bool = False) -> List[Dict]:
    gold = load_gold()
    known = {g["id"] for g in gold}
    pool = [c for c in candidates(outlets, script, either, snapshot, mentions, stand_snapshot,
                                  pq_snapshot, excerpt_pattern, public_affairs, vocus_snapshot)
            if c["id"] not in known]
    random.Random(seed).shuffle(pool)
    from tests.data.zh_names.sources import articles
    seen = [bigrams(text) for _, text in articles()]
    chosen = []
    authors = set()
    for cand in pool:
        grams = bigrams(cand["text"])
        if near_duplicate(grams, seen):
            continue
        if one_per_author:
            who = _author(cand["snapshot"], cand["path"])
            if who in authors:
                continue
            authors.add(who)
        seen.append(grams)
        chosen.append(cand)
        if len(chosen) == n:
            break
    return chosen


def _author(snapshot: str, path: str) -> str:
    """The byline field of a snapshot post's front matter."""
    return stand.author(relevance._git(snapshot, "show", f"HEAD:{path}").decode("utf-8", "replace"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--split", required=True)
    parser.add_argument("--script", required=True)
    parser.add_argument("--outlet", action="append", required=True)
    parser.add_argument("-n", type=int, default=10)
    parser.add_argument("--china-or-france", action="store_true",
                        help="posts naming China or France (default: both)")
    parser.add_argument("--snapshot", help=f"draw from this snapshot only ({rthk25.SNAPSHOT})")
    parser.add_argument("--mentions", help="posts whose title or text has this word (instead of "
                        "naming China and/or France; e.g. 香港 for a Hong Kong batch)")
    parser.add_argument("--excerpt-pattern", metavar="REGEX",
                        help="posts whose annotated excerpt matches this regular expression "
                        "(instead of naming China and/or France; e.g. a writing pattern a batch "
                        "is drawn for)")
    parser.add_argument("--stand-snapshot", default=stand.SNAPSHOT, choices=stand.SNAPSHOTS,
                        help="the snapshot whose Stand News (立場新聞) posts are drawn")
    parser.add_argument("--pq-snapshot", action="append", choices=pq.SNAPSHOTS,
                        help="a snapshot whose 報呱 (Pourquoi) posts are drawn (repeatable; "
                        f"default {pq.SNAPSHOT})")
    parser.add_argument("--vocus-snapshot", action="append", choices=vocus.SNAPSHOTS,
                        help="a snapshot whose Vocus 方格子 posts are drawn (repeatable; default all "
                        "of vocus.SNAPSHOTS)")
    parser.add_argument("--public-affairs", action="store_true",
                        help="posts whose excerpt is about public affairs (vocus.is_public_affairs; "
                        "instead of naming China and/or France)")
    parser.add_argument("--one-per-author", action="store_true",
                        help="at most one post of an author (its first in the shuffle)")
    args = parser.parse_args()
    for cand in draw(args.outlet, args.script, args.n, args.seed, args.china_or_france,
                     args.snapshot, args.mentions, args.stand_snapshot,
                     tuple(args.pq_snapshot or (pq.SNAPSHOT,)), args.excerpt_pattern,
                     args.public_affairs, tuple(args.vocus_snapshot or vocus.SNAPSHOTS),
                     args.one_per_author):
        text = cand.pop("text")
        entry = {"id": cand["id"], "split": args.split, **cand}
        print(json.dumps(entry, ensure_ascii=False))
        print(text)
        print("=" * 40)


if __name__ == "__main__":
    main()
