"""Two outlets, days apart: are the cross-outlet copies the production dedup files copies? (issue 15)

Pairs of one outlet published more than 36 h apart are never copies (`SAME_OUTLET_MAX_APART_HOURS`);
pairs of two outlets have no bound but the 14-day expiry, and since the fingerprint folds
Traditional to Simplified, CNA's wire stories republished in Simplified are found across scripts.
This study lists the cross-outlet pairs the production path files as copies (`dedup_in_memory`
over the source, one article per URL as the exact stage leaves them: dedup_titles'
`production_articles`), each duplicate with the article it matched (`matched_id`), by time apart
and by script pair, and reads seeded samples per band.

    python tests/benchmarks/dedup_cross_gap.py study [--sources nbw,pen] [--dump F.pkl | --load F.pkl]
                                                     [--show BAND --sample N --sample-seed S]
    python tests/benchmarks/dedup_cross_gap.py rule --load F.pkl --sources nbw [--grid 3,0.8] [--show-rematch]
    python tests/benchmarks/dedup_cross_gap.py eval [--seeds 1,...,15] [--grid 3,0.8]

`study`: per source, cross-outlet copies by gap band (<= 1 d, 1-3 d, 3-7 d, 7-14 d), by script
pair (earlier -> later: T Traditional, S Simplified, L no Han text) and by outlet pair; the read
verdicts of data/dedup_cross_gap_read.tsv per band. `--show BAND --sample N`: a seeded sample of
that band's pairs printed with both texts' opening (for reading; only keys and verdicts are
committed). `rule`: a candidate rule for cross-outlet pairs more than G days apart (a higher
containment bar X + margin / n, in place of `containment_threshold` benchmark-side, as
dedup_near_time's `near_bar` does), through the production path: articles leaving `duplicates`
and, of the read pairs, which are freed (`--show-rematch`: the new match of each read non-copy
still in duplicates).

FIGURES (the production dedup before COPY_NEAR_BEST, when the earliest match won: the pairs
read are those matches; dedup_nearmatch.py replays that choice; `study --sources nbw,pen --dump F`,
then `--load F`):
  nbw (128,760 posts, 19 outlets): 10,792 articles in duplicates, 8,769 of them matched to
  another outlet's article; by time apart <= 1 d 7,803, 1-3 d 687, 3-7 d 169, 7-14 d 110; across
  scripts (T>S or S>T) 3,365 / 151 / 43 / 52; containment median 0.83 / 0.70 / 0.63 / 0.53.
  pen 90 cross-outlet (85 / 3 / 2 / 0); oped2 81 (65 / 5 / 9 / 2); q3 2 (2 / 0 / 0 / 0).
  Read (data/dedup_cross_gap_read.tsv; <= 1 d 20 and 1-3 d 10 of them after the choice), nbw,
  copy / template / background / rewrite / unclear: <= 1 d 25/0/1/2/2 of 30; 1-3 d 13/0/3/2/2
  of 20; 3-7 d 14/4/9/0/3 of 30; 7-14 d 4/11/14/1/0 of 30 (non-copies scaled to the bands:
  ~780 / 170 / 75 / 95). Beyond 3 d: across scripts 3 copies of 24 (13 AFP world tallies); one
  script 15 of 36.
  Beyond 3 d, read copies have containment >= 0.81 but 2 (0.63, 0.67), non-copies <= 0.79; at
  1-3 d 4 of the 13 copies are below 0.8 (0.44-0.78).
  Candidate (chosen on nbw): two outlets more than G = 3 d apart need containment >= X = 0.80
  (max with the production bar). nbw: 10,792 -> 10,670 in duplicates (122 freed, 0 new);
  cross-outlet copies > 3 d 279 -> 70. Read far pairs: of 39 non-copies 19 freed, 10 now
  matched to a nearer copy (the same-day wire text they do copy), 9 to another non-copy (7 AFP
  tallies of a day or three before, 5 of them the same outlet within 36 h; 2 rewrites), 1 to an
  unclear one; of 18 copies 2 lost (a Nikkei text re-edited 5 d later at 0.63, an extended copy
  3.2 d later at 0.67). G = 1 d frees 439 but reaches the 1-3 d band (13 of 20 read are
  copies, 4 below 0.8); X 0.75 frees 118, X 0.70 110; G = 7 d 47.
  Held out, read once after the choice: pen 2 pairs > 3 d, both non-copies: 1 freed, 1 now
  matched to a same-day rewrite; oped2 11 pairs > 3 d (cross-posted essays): 9 copies, 2
  unclear; the rule frees 3 (1 copy lost: a part of a cross-posted essay at 0.77, the 2
  unclear); q3 none. dedup_eval dev seeds 1-15 `--stories-only` (`eval`): output unchanged
  with the rule, line for line. Not built: it frees half the far non-copies and loses
  about 1 far copy in 9 (3 of 27 read, choosing and held out).
"""
from __future__ import annotations

import argparse
import collections
import contextlib
import datetime as dt
import os
import random
import sys
from typing import Dict, List, NamedTuple

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from cfnews.transforms import dedup  # noqa: E402
from cfnews.transforms.dedup import compared_count, dedup_in_memory  # noqa: E402
from cfnews.transforms.han_script import _to_simplified  # noqa: E402
from tests.benchmarks.common import load_dump, save_dump  # noqa: E402

PRODUCTION = dedup.containment_threshold
LABELS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "dedup_cross_gap_read.tsv")
BANDS = ("<=1d", "1-3d", "3-7d", "7-14d")
US_PER_DAY = 86_400_000_000


def band(days: float) -> str:
    return "<=1d" if days <= 1 else "1-3d" if days <= 3 else "3-7d" if days <= 7 else "7-14d"


def script_of(text: str) -> str:
    """T (Traditional), S (Simplified) or L (no Han text to tell): which of the characters the
    Traditional -> Simplified fold changes (Traditional-only) or produces (Simplified-only)
    the text holds more of, over its first 3,000 characters."""
    table = _to_simplified()
    simp = _simplified_only()
    head = text[:3000]
    t = sum(1 for ch in head if ord(ch) in table)
    s = sum(1 for ch in head if ch in simp)
    if t == s == 0:
        return "L"
    return "T" if t > s else "S"


_SIMP: set = set()


def _simplified_only() -> set:
    if not _SIMP:
        table = _to_simplified()
        _SIMP.update(ch for ch in table.values() if ord(ch) not in table)
        _SIMP.difference_update(chr(k) for k, v in table.items() if chr(k) == v)
    return _SIMP


class CrossPair(NamedTuple):
    source: str
    later: int              # index into the docs
    earlier: int            # the article it matched (Duplicate.matched_id)
    days: float             # time between the two publications
    containment: float
    shared: int
    scripts: str            # earlier -> later, e.g. "T>S"


def cross_pairs(name: str, docs, dups) -> List[CrossPair]:
    out = []
    for d in dups:
        i, j = int(d.article.article_id, 16), int(d.matched_id, 16)
        if docs[i].outlet == docs[j].outlet:
            continue
        days = abs((docs[i].when - docs[j].when).total_seconds()) / 86400
        out.append(CrossPair(name, i, j, days, d.containment, d.shared_fingerprints,
                             script_of(docs[j].text) + ">" + script_of(docs[i].text)))
    return out


def run_source(name: str):
    from tests.benchmarks import dedup_titles as dt_
    docs = list(dt_.LOADERS[name]())
    arts = dt_.production_articles(docs)
    _, dups = dedup_in_memory(arts)
    return docs, arts, dups


def _key(title: str) -> str:
    from tests.benchmarks.dedup_titles import _key as key
    return key(title)


def label_key(docs, p: CrossPair) -> tuple:
    a, b = docs[p.later], docs[p.earlier]
    return (p.source, b.outlet, f"{b.when:%Y-%m-%dT%H:%M}", _key(b.title),
            a.outlet, f"{a.when:%Y-%m-%dT%H:%M}", _key(a.title))


def read_labels(path: str = LABELS) -> Dict[tuple, List[str]]:
    """key (`label_key`) -> [verdict, set, ...]: verdict copy / template / background / unclear."""
    from tests.benchmarks.common import read_pairs_tsv
    return read_pairs_tsv(path, 7)


def report(name, docs, dups, args):
    pairs = cross_pairs(name, docs, dups)
    outlets = collections.Counter(d.outlet for d in docs)
    print(f"\n== {name}: {len(docs)} posts, {len(outlets)} outlets; {len(dups)} articles in "
          f"duplicates, {len(pairs)} of them matched to another outlet's article")
    by_band = collections.Counter(band(p.days) for p in pairs)
    print("   by time apart: " + ", ".join(f"{b} {by_band[b]}" for b in BANDS))
    by_script = collections.Counter(p.scripts for p in pairs)
    for b in BANDS:
        sel = [p for p in pairs if band(p.days) == b]
        sc = collections.Counter(p.scripts for p in sel)
        cross = sum(n for k, n in sc.items() if k in ("T>S", "S>T"))
        print(f"   {b}: {len(sel)} (across scripts {cross}); scripts "
              + ", ".join(f"{k} {n}" for k, n in sorted(sc.items())))
    print("   by script pair: " + ", ".join(f"{k} {n}" for k, n in sorted(by_script.items())))
    by_outlets = collections.Counter((docs[p.earlier].outlet, docs[p.later].outlet) for p in pairs)
    print("   top outlet pairs (earlier -> later): " + "; ".join(
        f"{a} -> {b} {n}" for (a, b), n in by_outlets.most_common(12)))
    for b in BANDS:
        sel = sorted(p.containment for p in pairs if band(p.days) == b)
        if sel:
            print(f"   containment {b}: median {sel[len(sel) // 2]:.3f}, p10 "
                  f"{sel[len(sel) // 10]:.3f}, share >= 0.8 {sum(c >= 0.8 for c in sel) / len(sel):.2f}")
    labels = read_labels()
    verdicts = collections.Counter()
    for p in pairs:
        row = labels.get(label_key(docs, p))
        if row:
            verdicts[(band(p.days), row[0])] += 1
    if verdicts:
        print("   read (data/dedup_cross_gap_read.tsv), band / verdict:")
        for b in BANDS:
            print(f"     {b}: " + ", ".join(f"{v} {n}" for (bb, v), n in sorted(verdicts.items()) if bb == b))
    if args.show:
        sel = [p for p in pairs if band(p.days) == args.show
               and label_key(docs, p) not in labels]       # pairs not read yet
        sel.sort(key=lambda p: (p.later, p.earlier))
        rng = random.Random(args.sample_seed)
        for p in rng.sample(sel, min(args.sample, len(sel))):
            a, b = docs[p.later], docs[p.earlier]
            print(f"\n   -- KEY\t" + "\t".join(label_key(docs, p))
                  + f"\t{p.containment:.3f}\t{p.shared}\t{p.days:.2f}\t{p.scripts}")
            print(f"      E {b.outlet} {b.when:%Y-%m-%d %H:%M} {b.title[:90]!r}")
            print(f"      L {a.outlet} {a.when:%Y-%m-%d %H:%M} {a.title[:90]!r}")
            print(f"      E text: {b.text[:args.chars]!r} ... len {len(b.text)}")
            print(f"      L text: {a.text[:args.chars]!r} ... len {len(a.text)}")
    return pairs


@contextlib.contextmanager
def far_bar(days: float, base: float, margin: float = 0.0):
    """`decide` with a pair of two outlets published more than `days` apart held to
    max(the production bar, base + margin / n). Put in place of dedup.containment_threshold
    for `decide` only: `furniture_keys` (which classifies an article's holders as related or
    unrelated by the same function) keeps the production bar, as the same-outlet bound does."""
    limit = days * US_PER_DAY
    furniture = dedup.furniture_keys

    def bar(me, other, params):
        production = PRODUCTION(me, other, params)
        if other.outlet != me.outlet and abs(other.time_us - me.time_us) > limit:
            return max(production, base + margin / max(compared_count(me, other), 1))
        return production

    def production_furniture(*args, **kwargs):
        dedup.containment_threshold = PRODUCTION
        try:
            return furniture(*args, **kwargs)
        finally:
            dedup.containment_threshold = bar

    dedup.containment_threshold = bar
    dedup.furniture_keys = production_furniture
    try:
        yield
    finally:
        dedup.containment_threshold = PRODUCTION
        dedup.furniture_keys = furniture


def rule(name, docs, arts, dups, args):
    """Articles in duplicates with the candidate rule; of the read pairs, which are freed."""
    base_ids = {d.article.article_id for d in dups}
    labels = read_labels()
    pairs = cross_pairs(name, docs, dups)
    read = {}
    for p in pairs:
        row = labels.get(label_key(docs, p))
        if row:
            read[f"{p.later:016x}"] = (row[0], band(p.days))
    print(f"\n== {name}: {len(base_ids)} in duplicates (production); {len(pairs)} cross-outlet; "
          f"read {len(read)}")
    for setting in args.grid.split(";"):
        g, x = (float(v) for v in setting.split(","))
        with far_bar(g, x):
            _, now = dedup_in_memory(arts)
        now_ids = {d.article.article_id for d in now}
        freed = base_ids - now_ids
        per = collections.Counter(read[a][0] for a in freed if a in read)
        kept = collections.Counter(read[a][0] for a in read if a not in freed)
        far = [p for p in pairs if p.days > g]
        print(f"   G {g:g} d, X {x:.2f}: {len(now_ids)} in duplicates (freed {len(freed)}, "
              f"new {len(now_ids - base_ids)}; cross-outlet pairs > G: {len(far)}); read freed: "
              + ", ".join(f"{k} {n}" for k, n in sorted(per.items()))
              + "; read still filed: " + ", ".join(f"{k} {n}" for k, n in sorted(kept.items())))
        # a read article still in duplicates: matched to which article now, how far apart
        matched = {d.article.article_id: d.matched_id for d in now}
        before = {d.article.article_id: d.matched_id for d in dups}
        moved = {int(a, 16) for a in matched if before.get(a) != matched[a]}
        again = collections.Counter()
        for aid, (verdict, b) in read.items():
            if aid in freed:
                continue
            i, j = int(aid, 16), int(matched[aid], 16)
            gap = abs((docs[i].when - docs[j].when).total_seconds()) / 86400
            same = "same outlet" if docs[i].outlet == docs[j].outlet else "two outlets"
            again[(verdict, band(gap), same)] += 1
            if args.show_rematch and verdict != "copy" and int(aid, 16) in moved:
                a, b = docs[i], docs[j]
                print(f"\n     -- REMATCH of a read {verdict}: KEY\t{name}\t{b.outlet}\t"
                      f"{b.when:%Y-%m-%dT%H:%M}\t{_key(b.title)}\t{a.outlet}\t"
                      f"{a.when:%Y-%m-%dT%H:%M}\t{_key(a.title)}\t{gap:.2f}")
                print(f"        E {b.outlet} {b.when:%Y-%m-%d %H:%M} {b.title[:80]!r}: {b.text[:args.chars]!r}")
                print(f"        L {a.outlet} {a.when:%Y-%m-%d %H:%M} {a.title[:80]!r}: {a.text[:args.chars]!r}")
        print("     read, still filed, now matched (verdict / band / outlets): "
              + ", ".join(f"{'/'.join(k)} {n}" for k, n in sorted(again.items())))
        now_pairs = cross_pairs(name, docs, now)
        print("     cross-outlet copies by time apart now: " + ", ".join(
            f"{b} {sum(1 for p in now_pairs if band(p.days) == b)}" for b in BANDS))
        sys.stdout.flush()


def evaluate(args):
    """dedup_eval's `--stories-only` output per dev seed, production against the candidate
    (`far_bar`, the first setting of --grid), compared line for line (its pairs are published
    seconds apart; only the background stream, days earlier, can meet the rule)."""
    import difflib
    import io
    from tests.benchmarks import dedup_eval
    g, x = (float(v) for v in args.grid.split(";")[0].split(","))
    for seed in [int(v) for v in args.seeds.split(",")]:
        outs = []
        for rule_on in (False, True):
            saved, sys.argv = sys.argv, ["dedup_eval.py", "--seed", str(seed), "--stories-only"]
            buf = io.StringIO()
            try:
                with contextlib.redirect_stdout(buf), (far_bar(g, x) if rule_on
                                                       else contextlib.nullcontext()):
                    dedup_eval.main()
            finally:
                sys.argv = saved
            outs.append(buf.getvalue())
        print(f"seed {seed}: {'unchanged' if outs[0] == outs[1] else 'CHANGED'} "
              f"({len(outs[0].splitlines())} lines)", flush=True)
        if outs[0] != outs[1]:
            print("".join(difflib.unified_diff(outs[0].splitlines(True), outs[1].splitlines(True))))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("what", choices=("study", "rule", "eval"))
    ap.add_argument("--seeds", default=",".join(str(i) for i in range(1, 16)),
                    help="eval: dedup_eval dev seeds (not 16-40)")
    ap.add_argument("--sources", default="nbw")
    ap.add_argument("--dump", default="")
    ap.add_argument("--load", default="")
    ap.add_argument("--show", default="", choices=("",) + BANDS)
    ap.add_argument("--sample", type=int, default=10)
    ap.add_argument("--sample-seed", type=int, default=1)
    ap.add_argument("--chars", type=int, default=260)
    ap.add_argument("--show-rematch", action="store_true",
                    help="rule: print the new match of each read non-copy still filed")
    ap.add_argument("--grid", default="3,0.8", help="G,X[;G,X...]: days apart, flat bar")
    args = ap.parse_args(argv)
    if args.what == "eval":
        evaluate(args)
        return
    loaded = load_dump(args.load)
    dump = {}
    for name in args.sources.split(","):
        docs, arts, dups = loaded[name] if name in loaded else run_source(name)
        dump[name] = (docs, arts, dups)
        if args.what == "study":
            report(name, docs, dups, args)
        else:
            rule(name, docs, arts, dups, args)
    if args.dump:
        save_dump(args.dump, dump)


if __name__ == "__main__":
    main()
