"""Read what a step of the zh entity stage changes on unlabelled posts of dev outlets (never a
test or blind outlet, never a gold article): a seeded random sample of posts per source, their
annotated excerpt (tests/data/zh_names/sources.excerpt), run through enrich_texts with the step and
with it replaced by a stand-in that returns the spans it was given; every name that differs is
printed with the characters around its first mention, to be read by hand. With `--against
COMMIT` the whole zh entity step of this tree is read against that commit's (its modules
imported beside this tree's: tests/benchmarks/older_tree.py), for rules inside the tagger.

    python -m tests.benchmarks.zh_names_unlabelled --step organisation_fronts --seed 20261205
    python -m tests.benchmarks.zh_names_unlabelled --against main --seed 20261219
    python -m tests.benchmarks.zh_names_unlabelled --against main --pattern '及.{2,6}委員會'

Sources: the previous rounds' Traditional sample (RESULTS.md "Chinese names"), 150 中央社 and 120
RTHK posts of agora0/pen, 150 立場新聞 newsroom reports of agora0/21q4, 120 報呱 reports of
agora0/22q1 and 60 of agora0/24q4; with `--simplified`, also 150 法广 and 150 美国之音 posts of
NodeBE4/news-beyond-wall; with `--vocus`, also 120 Vocus 方格子 posts of agora0/22q1–24q3 (any
topic). `--step _late_corrections` replaces zh_names' rules of issue 17's Vocus round.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import random
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from tests.data.zh_names import pq, stand, vocus  # noqa: E402
from tests.data.zh_names.draw import MIN_HAN, _snapshot_posts  # noqa: E402
from tests.data.zh_names.sources import excerpt, load_gold  # noqa: E402

# (outlet, script, keyword arguments of draw._snapshot_posts, posts drawn)
SOURCES = (("中央社", "zh-Hant", {}, 150), ("RTHK 香港電台", "zh-Hant", {}, 120),
           (stand.OUTLET, "zh-Hant", {"stand_snapshot": "agora0+21q4"}, 150),
           (pq.OUTLET, "zh-Hant", {"pq_snapshot": "agora0+22q1"}, 120),
           (pq.OUTLET, "zh-Hant", {"pq_snapshot": "agora0+24q4"}, 60))
SIMPLIFIED = (("法广", "zh-Hans", {}, 150), ("美国之音", "zh-Hans", {}, 150))
VOCUS = ((vocus.OUTLET, "zh-Hant", {}, 120),)
_HAN = re.compile(r"[\u3400-\u9fff]")
STAND_INS = {"organisation_fronts": lambda text, spans, bounds: list(spans),
             "more_organisations": lambda text, spans, bounds: list(spans),
             "common_organisations": lambda text, spans: list(spans),
             "confirm_names": lambda text, found: tuple(found),
             "_late_corrections": lambda simple, spans, tokens, offsets, words: list(spans)}
# steps of zh_names.tag_chinese, not of the entity stage
TAGGER_STEPS = frozenset({"_late_corrections"})


def sample(seed: int, sources=SOURCES, pattern: str = None, per_source: int = 40):
    """(source label, article id, excerpt) of the drawn posts, not in the gold; with `pattern`,
    up to `per_source` posts per source whose excerpt matches that regular expression."""
    known = {g["id"] for g in load_gold()}
    dev = {g["outlet"] for g in load_gold() if g["split"] == "dev"}
    assert {o for o, _, _, _ in sources} <= dev, "dev outlets only"
    out = []
    for outlet, script, kwargs, n in sources:
        pool = []
        for _, _, item in _snapshot_posts([outlet], **kwargs):
            if item.source != outlet or item.lang != script or item.article_id in known:
                continue
            text = excerpt(item.text)
            if len(_HAN.findall(text)) >= MIN_HAN and (pattern is None or re.search(pattern, text)):
                pool.append((item.article_id, text))
        pool.sort()
        random.Random(seed).shuffle(pool)
        label = outlet + (" " + kwargs["pq_snapshot"] if "pq_snapshot" in kwargs else "")
        out += [(label, aid, text) for aid, text in pool[:n if pattern is None else per_source]]
    return out


def names(entities):
    return {(e.text, e.label) for e in entities}


def before(args, stack):
    """text -> enrich_texts' output without the change: the step replaced by its stand-in, or
    the other commit's whole step."""
    from cfnews.transforms import entities
    if args.against:
        from tests.benchmarks.older_tree import extracted, function_of
        tree = stack.enter_context(extracted(args.against))
        old = function_of(tree, "cfnews.transforms.entities", "enrich_texts",
                          warm_up=lambda enrich: enrich("zh", ["中央社記者台北5日電，外交部表示。"]))
        return lambda text: old("zh", [text])

    from cfnews.transforms import zh_names
    module = zh_names if args.step in TAGGER_STEPS else entities

    def without_step(text):
        real = getattr(module, args.step)
        setattr(module, args.step, STAND_INS[args.step])
        try:
            return entities.enrich_texts("zh", [text])
        finally:
            setattr(module, args.step, real)
    return without_step


def main() -> int:
    parser = argparse.ArgumentParser()
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--step", choices=sorted(STAND_INS))
    which.add_argument("--against", metavar="COMMIT",
                       help="this tree's whole zh entity step against that commit's")
    parser.add_argument("--seed", type=int, default=20261205)
    parser.add_argument("--simplified", action="store_true", help="法广 and 美国之音 posts too")
    parser.add_argument("--vocus", action="store_true", help="Vocus 方格子 posts too")
    parser.add_argument("--pattern", metavar="REGEX",
                        help="only posts whose excerpt matches (as written), up to --per-source a source")
    parser.add_argument("--per-source", type=int, default=40)
    args = parser.parse_args()
    from cfnews.transforms import entities
    posts = sample(args.seed, SOURCES + (SIMPLIFIED if args.simplified else ())
                   + (VOCUS if args.vocus else ()), args.pattern, args.per_source)
    changed = added = removed = 0
    with contextlib.ExitStack() as stack:   # the other commit's tree stays until the last post
        older = before(args, stack)
        for label, aid, text in posts:
            [(new, _)] = entities.enrich_texts("zh", [text])
            [(old, _)] = older(text)
            plus, minus = names(new) - names(old), names(old) - names(new)
            if not plus and not minus:
                continue
            changed += 1
            added += len(plus)
            removed += len(minus)
            print(f"== {label} {aid}")
            for sign, group in (("+", plus), ("-", minus)):
                for name, kind in sorted(group):
                    at = text.find(name)
                    print(f"  {sign} {kind:6} {name}   …{text[max(0, at - 12):at + len(name) + 8]}…"
                          .replace("\n", " "))
    print(f"{len(posts)} posts, {changed} changed, {added} names added, {removed} removed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
