"""Of several earlier articles a text copies, which one it is filed under (issue 15).

`decide` filed an article as a copy of the EARLIEST (in `Member.order`) of the earlier
articles that pass the copy rule (before COPY_NEAR_BEST). The cross-gap study (dedup_cross_gap.py) read pairs where
that earliest one is another outlet's template or follow-up days before, while a same-day text
the article does copy also passes. This measures other choices among the passing ones, without
touching transforms/: a variant replaces only the final choice among `decide`'s copy candidates
(`choosing` replaces `dedup.choose_copy`, which gets them all). Which articles are copies
does not change with the choice (the candidates are the same), only matched_id, and with
it canonical_id/cluster_id/story_id.

Variants (among the copy candidates; a candidate is always earlier in `Member.order`, so a
chain still resolves to the row in `articles`):
  earliest     the code before COPY_NEAR_BEST: the earliest, then the higher containment
  best         the highest containment, then the earliest
  latest       the latest (in a batch run: the nearest in time before the article)
  within:X     the earliest of those within X of the highest containment (production since
               issue 15: within:0.1, `COPY_NEAR_BEST`, chosen on dev seeds 1-15)

    python tests/benchmarks/dedup_nearmatch.py eval [--seeds 1,...,15] [--variants ...]
    python tests/benchmarks/dedup_nearmatch.py real --load F.pkl [--variants ...]

`eval`: dedup_eval `--stories-only` per dev seed (never 16-40 for choosing), each variant
against production, line for line, and the story_id pairing line. `real`: news-beyond-wall as
dedup_cross_gap.py dumps it (`study --sources nbw --dump F.pkl`): one production run recording
every article's copy candidates, then each variant's matches; of the read pairs
(data/dedup_cross_gap_read.tsv, keyed on the production match), how many are no longer the
article's match, per verdict; articles whose cluster (or story) changes.
"""
from __future__ import annotations

import argparse
import collections
import contextlib
import io
import os
import pickle
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from cfnews.transforms import dedup  # noqa: E402

VARIANTS = "earliest,best,latest,within:0.05,within:0.1,within:0.2"


def chooser(variant: str):
    """found: [(order, -containment, Match)], the copy candidates -> the chosen item."""
    if variant == "earliest":
        return lambda found: min(found, key=lambda p: p[:2])
    if variant == "best":
        return lambda found: min(found, key=lambda p: (p[1], p[0]))
    if variant == "latest":
        return lambda found: max(found, key=lambda p: (p[0], -p[1]))
    if variant.startswith("within:"):
        x = float(variant.split(":")[1])

        def within(found):
            top = -min(p[1] for p in found)
            return min((p for p in found if -p[1] >= top - x - 1e-9),
                                key=lambda p: p[:2])
        return within
    raise ValueError(variant)


@contextlib.contextmanager
def choosing(variant: str, record=None):
    """`decide`'s choice among its copy candidates by `variant`, inside the block only: it
    replaces `dedup.choose_copy`, the one function `decide` calls for that choice. `record`:
    dict, article id -> [(earlier id, containment, order)] of every article with copy
    candidates (`decide` is wrapped to know the article)."""
    pick = chooser(variant)
    current = {}
    decide, choose_copy = dedup.decide, dedup.choose_copy

    def choose(copies, near_best):
        if record is not None:
            record[current["me"]] = [(p[2].earlier_id, -p[1], p[0]) for p in copies]
        return pick(list(copies))[2]

    def wrapped(me, *args, **kw):
        current["me"] = me.article_id
        match = decide(me, *args, **kw)
        if record is not None and match is not None:
            record.setdefault("_matches", {})[me.article_id] = match
        return match

    dedup.choose_copy, dedup.decide = choose, wrapped
    try:
        yield
    finally:
        dedup.choose_copy, dedup.decide = choose_copy, decide


def evaluate(args):
    from tests.benchmarks import dedup_eval
    variants = args.variants.split(",")
    totals = collections.defaultdict(lambda: [0, 0])
    for seed in [int(v) for v in args.seeds.split(",")]:
        outs = {}
        for v in variants:
            saved, sys.argv = sys.argv, ["dedup_eval.py", "--seed", str(seed), "--stories-only"]
            buf = io.StringIO()
            try:
                with contextlib.redirect_stdout(buf), choosing(v):
                    dedup_eval.main()
            finally:
                sys.argv = saved
            outs[v] = buf.getvalue()
        base = outs[variants[0]]
        line = [ln for ln in base.splitlines() if "story_id pairing" in ln][0].strip()
        print(f"seed {seed}: {variants[0]}: {line}")
        for v in variants[1:]:
            if outs[v] == base:
                print(f"   {v}: unchanged")
            else:
                diff = [ln.strip() for a, ln in zip(base.splitlines(), outs[v].splitlines())
                        if a != ln]
                print(f"   {v}: CHANGED: " + " | ".join(diff))
        sys.stdout.flush()


def stories(args):
    """The story_id pairing of dedup_eval's `story_report` (the only figure of `--stories-only`
    a choice among several candidates can change: its other figures decide one pair at a
    time), per variant, from one recorded production run per seed."""
    from tests.benchmarks.dedup_corpus import story_pairs
    from tests.benchmarks.dedup_eval import as_articles, load
    variants = args.variants.split(",")
    total = collections.defaultdict(lambda: collections.Counter())
    for seed in [int(v) for v in args.seeds.split(",")]:
        docs, pairs = story_pairs(seed)
        wire_docs, wire_pairs = load(seed)
        all_docs = dict(wire_docs)
        all_docs.update(docs)
        record = {}
        with choosing("earliest", record):
            kept, dups = dedup.dedup_in_memory(as_articles(all_docs))
        matches = record.pop("_matches")
        story_written = {a.article_id: a.story_id for a in kept}
        story_written.update({d.article.article_id: d.article.story_id for d in dups})
        labelled = [(q.a, q.b, q.same_story) for q in pairs]
        labelled += [(q.a, q.b, q.duplicate) for q in wire_pairs]
        positives = sum(q.same_story for q in pairs)
        cells = []
        for v in variants:
            pick = chooser(v)
            links = dict(matches)
            for aid, cands in record.items():
                found = [(order, -c, dedup.Match(e, 0, c, 0.0)) for e, c, order in cands]
                e = pick(found)[2].earlier_id
                links[aid] = next(m for m in _copies_of(matches, aid, e, cands))
            story = {a: dedup.story_root(a, links) for a in all_docs}
            if v == "earliest":
                assert story == story_written, "replay differs from the production run"
            together = [same for a, b, same in labelled if story[a] == story[b]]
            wrong = len(together) - sum(together)
            found = sum(story[q.a] == story[q.b] for q in pairs if q.same_story)
            copies = {k: links[k].earlier_id for k in links if links[k].copy}
            roots = {a: dedup.cluster_root(a, copies) for a in all_docs}
            t = total[v]
            t["wrong"] += wrong
            t["together"] += len(together)
            t["found"] += found
            t["positives"] += positives
            cells.append(f"{v}: P {1 - wrong / len(together):.4f} ({wrong} wrong) R "
                         f"{found / positives:.4f}; changed matches "
                         f"{sum(links[a].earlier_id != matches[a].earlier_id for a in record)}")
        print(f"seed {seed}: {len(record)} copies, "
              f"{sum(1 for c in record.values() if len(c) > 1)} with several candidates; "
              + " | ".join(cells), flush=True)
    print("seeds " + args.seeds + ": " + " | ".join(
        f"{v}: {t['wrong']} wrong of {t['together']} pairs sharing a story_id, recall "
        f"{t['found']}/{t['positives']}" for v, t in total.items()))


def _copies_of(matches, aid, earlier_id, cands):
    """The Match of `aid` pointing at `earlier_id` (the production one, re-pointed)."""
    import dataclasses
    c = {e: cc for e, cc, _ in cands}[earlier_id]
    yield dataclasses.replace(matches[aid], earlier_id=earlier_id, containment=c)


def real(args):
    from tests.benchmarks.dedup_cross_gap import label_key, read_labels
    with open(args.load, "rb") as f:
        docs, arts, dups = pickle.load(f)["nbw"]
    record = {}
    with choosing("earliest", record):
        kept, now = dedup.dedup_in_memory(arts)
    # the same copies whatever the choice; the read labels are keyed on the earliest match
    assert {d.article.article_id for d in now} == {d.article.article_id for d in dups}
    dups = now
    record.pop("_matches")
    base = {aid: c[0][0] for aid, c in ((a, sorted(c, key=lambda x: (x[2], -x[1])))
                                      for a, c in record.items())}
    labels = read_labels()
    read = {}                                        # article id -> (verdict, matched id read)
    for d in dups:
        i, j = int(d.article.article_id, 16), int(d.matched_id, 16)
        row = labels.get(label_key_of(docs, i, j, label_key))
        if row:
            read[d.article.article_id] = (row[0], d.matched_id)
    multi = sum(1 for c in record.values() if len({x[0] for x in c}) > 1)
    print(f"nbw: {len(dups)} in duplicates; {multi} of them with more than one earlier copy "
          f"candidate; {len(read)} read pairs are the earliest match (the pairs read)")
    base_root = {a: dedup.cluster_root(a, base) for a in base}
    for v in args.variants.split(","):
        pick = chooser(v)
        chosen = {}
        for aid, cands in record.items():
            found = [(order, -c, dedup.Match(e, 0, c, 0.0)) for e, c, order in cands]
            chosen[aid] = pick(found)[2].earlier_id
        changed = {a for a in chosen if chosen[a] != base[a]}
        roots = {a: dedup.cluster_root(a, chosen) for a in chosen}
        moved = {a for a in roots if roots[a] != base_root[a]}
        per = collections.Counter((read[a][0], a in changed) for a in read)
        # the new match of a read article, when that pair was read too (the study's rematch rows)
        new_read = collections.Counter(
            (read[a][0], (labels.get(label_key_of(docs, int(a, 16), int(chosen[a], 16), label_key))
                          or ["unread"])[0]) for a in read if a in changed)
        verdicts = sorted({k[0] for k in per})
        far = collections.Counter()
        for a in changed:
            i, j0, j1 = int(a, 16), int(base[a], 16), int(chosen[a], 16)
            g0 = abs((docs[i].when - docs[j0].when).total_seconds()) / 86400
            g1 = abs((docs[i].when - docs[j1].when).total_seconds()) / 86400
            far["nearer" if g1 < g0 else "farther" if g1 > g0 else "same time"] += 1
            if docs[j1].outlet == docs[i].outlet:
                far["new match same outlet"] += 1
        print(f"  {v}: matched_id changes {len(changed)} ({dict(far)}); cluster changes "
              f"{len(moved)}; read pairs no longer the match (of read): "
              + ", ".join(f"{k} {per[(k, True)]}/{per[(k, True)] + per[(k, False)]}"
                          for k in verdicts)
              + "; read -> verdict of the new pair: "
              + ", ".join(f"{a}->{b} {n}" for (a, b), n in sorted(new_read.items())))
        if args.show and v != "earliest":
            for a in sorted(read):
                if a in changed:
                    i, j0, j1 = int(a, 16), int(base[a], 16), int(chosen[a], 16)
                    c = {e: cc for e, cc, _ in record[a]}
                    print(f"     {read[a][0]:<10} {docs[i].outlet} {docs[i].when:%m-%d %H:%M} | "
                          f"was {docs[j0].outlet} {docs[j0].when:%m-%d %H:%M} c {c[base[a]]:.2f}"
                          f" -> {docs[j1].outlet} {docs[j1].when:%m-%d %H:%M} c {c[chosen[a]]:.2f}"
                          f" | key\t" + "\t".join(label_key_of(docs, i, j1, label_key)))
        sys.stdout.flush()


def label_key_of(docs, later: int, earlier: int, label_key):
    from tests.benchmarks.dedup_cross_gap import CrossPair
    return label_key(docs, CrossPair("nbw", later, earlier, 0.0, 0.0, 0, ""))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("what", choices=("eval", "stories", "real"))
    ap.add_argument("--seeds", default=",".join(str(i) for i in range(1, 16)),
                    help="eval: dedup_eval dev seeds (not 16-40 for choosing)")
    ap.add_argument("--variants", default=VARIANTS)
    ap.add_argument("--load", default="")
    ap.add_argument("--show", action="store_true", help="real: each read pair whose match changes")
    args = ap.parse_args(argv)
    {"eval": evaluate, "stories": stories, "real": real}[args.what](args)


if __name__ == "__main__":
    main()
