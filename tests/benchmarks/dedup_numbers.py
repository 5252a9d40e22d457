"""Do the two texts' NUMBERS tell a template (or a follow-up) from a copy? (issue 15)

A copy of one text keeps its figures; the next edition of a recurring format (AFP's daily world
tally, a daily fixing, a weekly case count) keeps the wording and changes them, and a follow-up
reusing a story's background adds figures of its own. This study measured how the two texts of
a pair the production path files as a copy agree on their numbers, per read verdict, at every
time gap, and chose a veto; the veto is now built (transforms/numbers.py, `dedup.decide`), and
`rule` and `eval` run it through the production path. It reuses dedup_cross_gap.py's run and
readers (its `--dump` pickle; pairs keyed as its read labels are).

    python tests/benchmarks/dedup_numbers.py features --load F.pkl [--sources nbw]
    python tests/benchmarks/dedup_numbers.py pairs --load F.pkl --sources nbw [--show VERDICT]
    python tests/benchmarks/dedup_numbers.py rule --load F.pkl --sources nbw --veto "0.5,3,16;0.5,3,0"
    python tests/benchmarks/dedup_numbers.py rule --load F.pkl --sources nbw --veto 0.5,3,16 \
        --beyond-exact --show-freed 20 --sample-seed 3
    python tests/benchmarks/dedup_numbers.py eval --veto 0.5,3,16      # dedup_eval dev seeds 1-15

Numbers (`numbers_of`, transforms/numbers.py, the production extraction as strings): the
fingerprint's tokens over the lines it keeps (normalised, NFKC so full-width digits are ASCII,
"1,000" = "1000", furniture and repeated lines out) that are ASCII digits ("3.5" is two; "1亿484万"
is 1 and 484, 亿 and 万 their neighbours; numerals written out in Chinese are words), each classed
as a DATE (before 年 月 日 号 時 时 点 點 分 秒, next to a month name, a year 1900-2099) or a FIGURE.
The study's first figures below were measured with its own former extraction (digit runs with
decimals and 万/亿, written-out numerals, clocks as dates), which the built one replaced: the
numbers are taken from the tokens the fingerprint's own pass has (a separate pass over the
lines ran at a third of fingerprinting's rate; the built one's cost is in RESULTS.md).

Features of a pair (A the later text, B the earlier; multisets):
  jacc      |A & B| / |A | B|
  absent    |A - B| / |A|: share of the later text's numbers absent from the earlier
  ncont     |A & B| / min(|A|, |B|): the numbers' containment (as the text's containment)
  subs      min(|A - B|, |B - A|): numbers replaced (an extension only adds on one side)
  conflict  of the number contexts both texts hold (the 3 tokens before and 1 after, numbers
            masked), the share where the two texts' numbers differ: "same wording, other
            figure", the template's signature

`rule`: a veto (`Veto`: at least `least` conflicting contexts, and at least `share` of the
contexts the two hold, on sketches of k entries, 0 every context) through the production path
(`number_veto` sets the production rule and sketch size for the run; None: no veto), against
the path without it; `eval`: dedup_eval `--stories-only` on dev seeds, line for line.

FIGURES OF THE STUDY (former extraction; news-beyond-wall as dedup_cross_gap.py `study --sources nbw,pen,oped2,q3 --dump F`
writes it; this tree's production dedup, COPY_NEAR_BEST; `features`, `pairs`, `rule`):
  Read pairs (figures; conflict share; conflicting contexts): copies 67 (cross_gap): share
  <= 0.33, at most 1 conflicting context; figure containment p25 1.00, replaced figures <= 4.
  Updates of one item 33 (titles 30, near_time 3): share <= 0.33, at most 4. Templates 22
  (cross_gap): 20 at 0.55-0.80 (median 0.65, 3-40 contexts; AFP's tally), the 2 customs notices
  0. Background 27: <= 0.25, at most 1; rewrites 7: 0; unclear 8: <= 0.08. One outlet's
  different stories (titles) 89: median 0.49 (Reuters' fixing, case counts: 0.40-0.50 with
  9 figures). Dates alone tell less (templates' date Jaccard median 0.29, copies' 0.56).
  Veto chosen on nbw: share 0.5, least 3, exact contexts: 10,792 -> 10,617 in duplicates
  (175 freed, 0 new; 42 matched to another outlet before; <= 1 d 82, 1-3 d 61, 3-7 d 13, 7-14 d
  19); read pairs vetoed: templates 20 of 22, copies 0 of 67, updates 0 of 33, background 0
  of 27. Freed, 30 drawn and read (data/dedup_numbers_read.tsv): 26 templates, 4 other
  stories. Share 0.4: 350 freed (189 one outlet's within a day; not read).
  Sketches (bottom-k contexts, `Veto(..., k)`): k 16 frees 260 (123 that the exact veto does
  not, 20 read: all templates; keeps 38 it frees), k 8 294; k 16 holds 11.5 entries per text
  (2,000 nbw texts; exact 18.8). Cost: numbers_of + sketch_of(k 16) 943 articles per
  CPU-second, fingerprint 2,769 (dedup_eval stream seed 2, medians of 3, one process).
  Held out, once after the choice: pen 268 -> 266 (2 freed: RTHK's daily PBoC repo notice),
  oped2 95 -> 95, q3 47 -> 47; their read pairs: 0 of 10 copies, 0 of 8 updates, 3 of 28
  different vetoed. dedup_eval dev seeds 1-15 (`eval`): output unchanged, line for line
  (misses 34, FP 17, 0 rewrite pairs in duplicates, story_id P 0.985-0.998, 59 wrong).

FIGURES OF THE BUILT RULE (transforms/numbers.py; `rule` fingerprints the pickle's texts anew):
  nbw without the veto 10,792 in duplicates. Freed / read templates vetoed (of 22): every
  context 146 / 19; k 16 135 / 16; k 32 143 / 16; k 16 least 4 119 / 16; k 16 share 0.6 82 / 14;
  all: 0 of 67 copies, 0 of 33 updates, 0 of 27 background. Chosen k 16, share 0.5, least 3:
  10,792 -> 10,657 (29 matched to another outlet before; <= 1 d 65, 1-3 d 46, 3-7 d 9,
  7-14 d 15). Beyond every-context: 13 freed, all read (set nbw_built_k16_beyond_exact_s3): 11
  templates, 1 background, 1 update; keeps 24 it frees. Held out once: pen 268 -> 266 (RTHK's
  repo notice), oped2 95 -> 95, q3 47 -> 47, no read pair vetoed. Dev seeds 1-15 unchanged.
"""
from __future__ import annotations

import argparse
import collections
import contextlib
import os
import random
import sys
from typing import Dict, List, NamedTuple, Tuple

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from cfnews.transforms import numbers as production  # noqa: E402
from cfnews.transforms.numbers import Numbers, numbers_of  # noqa: E402
from tests.benchmarks import dedup_cross_gap as xg  # noqa: E402
from tests.benchmarks.common import load_dump  # noqa: E402


class Features(NamedTuple):
    n_later: int
    n_earlier: int
    jacc: float
    absent: float
    ncont: float
    subs: int
    conflict: float          # -1 when the texts share no number context
    shared_contexts: int


def agreement(later: Tuple[str, ...], earlier: Tuple[str, ...],
              ctx_later=None, ctx_earlier=None) -> Features:
    a, b = collections.Counter(later), collections.Counter(earlier)
    inter, union = sum((a & b).values()), sum((a | b).values())
    na, nb = sum(a.values()), sum(b.values())
    conflict, shared_ctx = -1.0, 0
    if ctx_later is not None:
        common = [k for k in ctx_later if k in ctx_earlier]
        shared_ctx = len(common)
        if common:
            conflict = sum(1 for k in common if not (ctx_later[k] & ctx_earlier[k])) / len(common)
    return Features(na, nb, inter / union if union else -1.0, (na - inter) / na if na else -1.0,
                    inter / min(na, nb) if na and nb else -1.0,
                    min(na - inter, nb - inter), conflict, shared_ctx)


def pair_features(later: Numbers, earlier: Numbers) -> Dict[str, Features]:
    return {"figures": agreement(later.figures, earlier.figures, later.contexts, earlier.contexts),
            "dates": agreement(later.dates, earlier.dates),
            "all": agreement(later.figures + later.dates, earlier.figures + earlier.dates)}


# ---------------------------------------------------------------- the read pairs

def doc_index(docs) -> Dict[tuple, List[int]]:
    """(outlet, time to the minute, title key) -> doc indices (the read files' key parts)."""
    out = collections.defaultdict(list)
    for i, d in enumerate(docs):
        out[(d.outlet, f"{d.when:%Y-%m-%dT%H:%M}", xg._key(d.title))].append(i)
    return out


def read_pairs(source: str, docs) -> List[Tuple[str, str, str, int, int]]:
    """(file, verdict, set, later doc, earlier doc) for every read pair of `source` in
    data/dedup_cross_gap_read.tsv (copy/template/background/rewrite/unclear),
    data/dedup_titles_read.tsv (one outlet: update/different) and
    data/dedup_near_time_read.tsv (one outlet, below the production bar: update/different)."""
    from tests.benchmarks import dedup_near_time, dedup_titles
    from tests.benchmarks.common import read_pairs_tsv
    index = doc_index(docs)
    out = []

    def find(outlet, when, title):
        hits = index.get((outlet, when, title), [])
        return hits[0] if hits else None

    for key, rest in xg.read_labels().items():
        if key[0] != source:
            continue
        e, l_ = find(key[1], key[2], key[3]), find(key[4], key[5], key[6])
        if e is not None and l_ is not None:
            out.append(("cross_gap", rest[0], rest[2], l_, e))
    for name, path in (("titles", dedup_titles.LABELS), ("near_time", dedup_near_time.LABELS)):
        for key, rest in read_pairs_tsv(path, 6).items():
            if key[0] != source:
                continue
            e, l_ = find(key[1], key[2], key[3]), find(key[1], key[4], key[5])
            if e is not None and l_ is not None:
                out.append((name, rest[0], rest[2], l_, e))
    return out


def quant(values: List[float]) -> str:
    v = sorted(x for x in values if x >= 0)
    if not v:
        return "-"
    q = lambda p: v[min(len(v) - 1, int(p * len(v)))]
    return f"n {len(v)}: min {v[0]:.2f} p25 {q(0.25):.2f} med {q(0.5):.2f} p75 {q(0.75):.2f} max {v[-1]:.2f}"


def features_report(args, loaded):
    cache: Dict[int, Numbers] = {}
    for source in args.sources.split(","):
        docs = loaded[source][0]

        def nums(i):
            if i not in cache:
                cache[i] = numbers_of(docs[i].text)
            return cache[i]
        cache.clear()
        rows = read_pairs(source, docs)
        print(f"\n== {source}: {len(rows)} read pairs found")
        groups = collections.defaultdict(list)
        for file, verdict, set_, later, earlier in rows:
            gap = abs((docs[later].when - docs[earlier].when).total_seconds()) / 86400
            f = pair_features(nums(later), nums(earlier))
            groups[(file, verdict)].append((f, gap, later, earlier, set_))
            if args.show and verdict == args.show:
                a, b = docs[later], docs[earlier]
                print(f"   -- {file} {verdict} {set_} {gap:.2f} d {b.outlet} > {a.outlet}: "
                      f"{f['figures']}\n      E {nums(earlier).figures[:30]}\n      L {nums(later).figures[:30]}")
        for (file, verdict), items in sorted(groups.items()):
            print(f"   {file} / {verdict}: {len(items)} pairs")
            for kind in ("figures", "dates", "all"):
                fs = [x[0][kind] for x in items]
                print(f"     {kind:8s} jacc {quant([f.jacc for f in fs])}")
                print(f"     {'':8s} absent {quant([f.absent for f in fs])}")
                print(f"     {'':8s} ncont {quant([f.ncont for f in fs])}")
                print(f"     {'':8s} subs {quant([f.subs for f in fs])}")
                if kind == "figures":
                    print(f"     {'':8s} conflict {quant([f.conflict for f in fs])}")
                    print(f"     {'':8s} none: {sum(1 for f in fs if f.n_later == 0 or f.n_earlier == 0)}"
                          f" with no figure on a side")


def pairs_dump(args, loaded):
    """Every read pair with its features, one line each (for a threshold scan)."""
    for source in args.sources.split(","):
        docs = loaded[source][0]
        for file, verdict, set_, later, earlier in read_pairs(source, docs):
            gap = abs((docs[later].when - docs[earlier].when).total_seconds()) / 86400
            f = pair_features(numbers_of(docs[later].text), numbers_of(docs[earlier].text))
            fi, da = f["figures"], f["dates"]
            print(f"{source}\t{file}\t{verdict}\t{set_}\t{gap:.2f}\t{fi.n_later}\t{fi.n_earlier}\t"
                  f"{fi.jacc:.2f}\t{fi.absent:.2f}\t{fi.ncont:.2f}\t{fi.subs}\t{fi.conflict:.2f}\t"
                  f"{fi.shared_contexts}\t{da.n_later}\t{da.n_earlier}\t{da.jacc:.2f}\t{da.subs}\t"
                  f"{f['all'].jacc:.2f}\t{f['all'].subs}")


# ---------------------------------------------------------------- a veto through the production path

class Veto(NamedTuple):
    share: float          # conflicting contexts / shared contexts at least this
    least: int            # and at least this many conflicting contexts
    k: int = 0            # sketch size (0: exact)


@contextlib.contextmanager
def number_veto(veto):
    """The production path with the number veto as `veto` (a `Veto`; None: no veto at all, the
    path before it was built): the sketch size the fingerprint takes (numbers.SKETCH_K; k 0:
    every context) and the rule `decide` applies (`dedup.numbers_conflict`), benchmark-side.
    Texts must be fingerprinted inside (articles without a stored fingerprint). Records the
    vetoed pairs (later id, earlier id) in `number_veto.vetoed`."""
    from cfnews.transforms import dedup
    vetoed = set()
    built, k = dedup.numbers_conflict, production.SKETCH_K

    def rule_as(me, other, params):
        if veto is None or not production.vetoes(me.numbers, other.numbers, veto.least, veto.share):
            return False
        vetoed.add((me.article_id, other.article_id))
        return True

    dedup.numbers_conflict = rule_as
    production.SKETCH_K = veto.k if veto is not None else k
    number_veto.vetoed = vetoed
    try:
        yield
    finally:
        dedup.numbers_conflict, production.SKETCH_K = built, k


def fingerprinted(articles, k: int, cache: dict):
    """The articles fingerprinted anew (the stored fingerprints were taken before number
    sketches), with sketches of size k (numbers.SKETCH_K; 0: every context); once per k."""
    import dataclasses
    from cfnews.transforms.fingerprint import fingerprint
    if k not in cache:
        saved, production.SKETCH_K = production.SKETCH_K, k
        try:
            cache[k] = [dataclasses.replace(a, fingerprint=tuple(fingerprint(a.text)))
                        for a in articles]
        finally:
            production.SKETCH_K = saved
    return cache[k]


def parse_vetoes(spec: str) -> List[Veto]:
    """"share,least[,k];..." -> Vetoes."""
    out = []
    for part in spec.split(";"):
        v = part.split(",")
        out.append(Veto(float(v[0]), int(v[1]), int(v[2]) if len(v) > 2 else 0))
    return out


def rule(args, loaded):
    """Articles in duplicates with each veto (through dedup_in_memory); of the read pairs that
    are production matches, which are freed, by verdict; which read pairs are vetoed."""
    from cfnews.transforms.dedup import dedup_in_memory
    for source in args.sources.split(","):
        docs, stored_arts, stored_dups = loaded[source]
        cache = {}
        arts = fingerprinted(stored_arts, production.SKETCH_K, cache)
        with number_veto(None):     # the path without the veto: the pickle's, fingerprinted anew
            dups = dedup_in_memory(arts)[1]
        base_ids = {d.article.article_id for d in dups}
        match = {d.article.article_id: d.matched_id for d in dups}
        read = read_pairs(source, docs)
        print(f"\n== {source}: {len(base_ids)} in duplicates without the veto ({len(stored_dups)} "
              f"stored); read pairs {len(read)}")
        exact_freed = None
        if args.beyond_exact:       # the articles the exact veto frees, to show the others
            with number_veto(parse_vetoes(args.veto)[0]._replace(k=0)):
                exact_freed = base_ids - {d.article.article_id for d in
                                          dedup_in_memory(fingerprinted(stored_arts, 0, cache))[1]}
        for veto in parse_vetoes(args.veto):
            with number_veto(veto):
                _, now = dedup_in_memory(fingerprinted(stored_arts, veto.k, cache))
                vetoed = set(number_veto.vetoed)
            now_ids = {d.article.article_id for d in now}
            freed = base_ids - now_ids
            if exact_freed is not None:
                print(f"   {veto}: frees {len(freed - exact_freed)} the exact veto does not, "
                      f"keeps {len(exact_freed - freed)} it frees")
            cross = sum(1 for a in freed if docs[int(a, 16)].outlet != docs[int(match[a], 16)].outlet)
            gaps = collections.Counter(
                xg.band(abs((docs[int(a, 16)].when - docs[int(match[a], 16)].when).total_seconds()) / 86400)
                for a in freed)
            print(f"   {veto}: {len(now_ids)} in duplicates (freed {len(freed)}, {cross} of them "
                  f"matched to another outlet before; by band {dict(gaps)}; new {len(now_ids - base_ids)}); "
                  f"pairs vetoed {len(vetoed)}")
            per_freed, per_vetoed = collections.Counter(), collections.Counter()
            for file, verdict, set_, later, earlier in read:
                a, e = f"{later:016x}", f"{earlier:016x}"
                if (a, e) in vetoed:
                    per_vetoed[(file, verdict)] += 1
                if match.get(a) == e and a in freed:
                    per_freed[(file, verdict)] += 1
            print("     read pairs vetoed (file/verdict): " + ", ".join(
                f"{f}/{v} {n}" for (f, v), n in sorted(per_vetoed.items())))
            print("     read production matches freed: " + ", ".join(
                f"{f}/{v} {n}" for (f, v), n in sorted(per_freed.items())))
            # a read production match vetoed whose article is still filed: what it matches now
            verdict_of = {(f"{later:016x}", f"{earlier:016x}"): verdict
                          for _f, verdict, _s, later, earlier in read}
            now_match = {d.article.article_id: d.matched_id for d in now}
            again = collections.Counter()
            for file, verdict, set_, later, earlier in read:
                a, e = f"{later:016x}", f"{earlier:016x}"
                if match.get(a) != e or (a, e) not in vetoed or a not in now_match:
                    continue
                m = now_match[a]
                gap = abs((docs[later].when - docs[int(m, 16)].when).total_seconds()) / 86400
                same = "same outlet" if docs[later].outlet == docs[int(m, 16)].outlet else "two outlets"
                again[(verdict, xg.band(gap), same, verdict_of.get((a, m), "unread"))] += 1
            print("     read matches vetoed, still filed, now matched to (verdict / band / outlets / "
                  "new pair's verdict): " + ", ".join(f"{'/'.join(k)} {n}" for k, n in sorted(again.items())))
            if args.show_freed:
                rng = random.Random(args.sample_seed)
                sample = sorted(freed - (exact_freed or set()))
                for aid in rng.sample(sample, min(args.show_freed, len(sample))):
                    a, b = docs[int(aid, 16)], docs[int(match[aid], 16)]
                    key = (source, b.outlet, f"{b.when:%Y-%m-%dT%H:%M}", xg._key(b.title),
                           a.outlet, f"{a.when:%Y-%m-%dT%H:%M}", xg._key(a.title))
                    print(f"\n   -- KEY\t" + "\t".join(key))
                    print(f"      E {b.outlet} {b.when:%Y-%m-%d %H:%M} {b.title[:90]!r}\n      L "
                          f"{a.outlet} {a.when:%Y-%m-%d %H:%M} {a.title[:90]!r}")
                    print(f"      E text: {b.text[:args.chars]!r}\n      L text: {a.text[:args.chars]!r}")
                    print(f"      E figures {numbers_of(b.text).figures[:25]}\n      L figures "
                          f"{numbers_of(a.text).figures[:25]}")
            sys.stdout.flush()


def evaluate(args):
    """dedup_eval `--stories-only` per dev seed (never 16-40 for choosing), the path without
    the veto against each veto, line for line."""
    import difflib
    import io
    from tests.benchmarks import dedup_eval
    for seed in [int(v) for v in args.seeds.split(",")]:
        outs = []
        for veto in [None] + parse_vetoes(args.veto):
            saved, sys.argv = sys.argv, ["dedup_eval.py", "--seed", str(seed), "--stories-only"]
            buf = io.StringIO()
            try:
                with contextlib.redirect_stdout(buf), number_veto(veto):   # None: no veto
                    dedup_eval.main()
            finally:
                sys.argv = saved
            outs.append(buf.getvalue())
        for veto, out in zip(parse_vetoes(args.veto), outs[1:]):
            print(f"seed {seed} {veto}: {'unchanged' if out == outs[0] else 'CHANGED'}", flush=True)
            if out != outs[0]:
                print("".join(difflib.unified_diff(outs[0].splitlines(True), out.splitlines(True))))
        if args.verbose:
            print(outs[0])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("what", choices=("features", "pairs", "rule", "eval"))
    ap.add_argument("--load", default="")
    ap.add_argument("--veto", default="0.5,3", help="share,least[,k][;...]: see `Veto`")
    ap.add_argument("--seeds", default=",".join(str(i) for i in range(1, 16)),
                    help="eval: dedup_eval dev seeds (not 16-40)")
    ap.add_argument("--show-freed", type=int, default=0)
    ap.add_argument("--sample-seed", type=int, default=1)
    ap.add_argument("--chars", type=int, default=240)
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--beyond-exact", action="store_true",
                    help="rule: also run the first veto exactly (k 0); --show-freed shows only "
                         "articles the exact veto does not free")
    ap.add_argument("--sources", default="nbw")
    ap.add_argument("--show", default="")
    args = ap.parse_args(argv)
    if args.what == "eval":
        evaluate(args)
        return
    if not args.load:
        ap.error("--load F: the pickle of dedup_cross_gap.py --dump is needed")
    loaded = load_dump(args.load)
    if args.what == "features":
        features_report(args, loaded)
    elif args.what == "pairs":
        pairs_dump(args, loaded)
    else:
        rule(args, loaded)


if __name__ == "__main__":
    main()
