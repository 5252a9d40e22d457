"""A larger fingerprint CAP on real data (issue 15): which articles the production path newly
files as copies when a text keeps more sampled hashes, and are they copies?

dedup_eval's misses of seeds 18, 24 and 25 are copies whose containment rests on few hashes
(a short text compared at a long one's coarse level: the bar 0.27 + 5/n is high when n is
small). A larger CAP keeps more hashes per text, so n grows. Here: the production
`dedup_in_memory` over a real source (dedup_titles' readers, one article per URL:
`production_articles`), once per CAP (`common.set_cap`, this process only), and the articles
in `duplicates` at a candidate CAP that are not at 96 (new), or are at 96 and not at the
candidate (lost), with the article each matched.

    python tests/benchmarks/dedup_cap.py [--sources nbw] [--caps 96,128,160,192]
                                         [--show CAP --sample 20 --sample-seed 1]
                                         [--dump F.pkl | --load F.pkl [--diff OTHER.pkl]]
    python tests/benchmarks/dedup_cap.py --cost [--caps 96,128,160,192] [--seed 2]

`--show CAP`: a seeded sample of the articles new at CAP (among those not read yet), each with
the article it matched, printed with both texts' opening and the share of the shorter text's
sentences found in the other (for reading; only keys and verdicts are committed, in
data/dedup_cap_read.tsv, which the report counts).

FIGURES (tests/benchmarks/RESULTS.md, *A larger fingerprint CAP*; nothing in transforms/ changed):
  nbw (128,760 posts): 10,792 articles in duplicates at CAP 96; CAP 128 11,363 (727 new, 583 of
  them of another outlet, 156 no longer filed, 110 matched to another article); CAP 192 11,942
  (1,399 new, 1,101 of another outlet, 249 no longer, 164 re-matched); new pairs' containment
  median 0.50 (0.30-1.00). Read, 20 of the 1,399 new at 192 (--sample-seed 1): copy 7 (4 an
  aggregator's excerpt of a long text), rewrite 7, background 5, unclear 1.
  Read, 10 of the 727 new at 128 (--sample-seed 2): copy 3, rewrite 3, background 2, template 1,
  unclear 1.
  --cost (stream of dedup_eval seed 2; state on dedup_eval seed 1's texts), CAP 96 / 128 / 160 /
  192: hashes mean 67.7 / 89.1 / 106.8 / 125.8; fingerprint column 389 / 500 / 601 / 705 B per
  article; streaming state mean 2,898 / 3,741 / 4,402 / 5,000 B.
"""
from __future__ import annotations

import argparse
import collections
import hashlib
import os
import random
import re
import sys
from typing import Dict, List, NamedTuple

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from cfnews.transforms import dedup  # noqa: E402
from cfnews.transforms.dedup import dedup_in_memory  # noqa: E402
from tests.benchmarks.common import (load_dump, read_pairs_tsv, save_dump, set_cap,  # noqa: E402
                                     set_threshold)

LABELS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "dedup_cap_read.tsv")


class Filed(NamedTuple):
    later: int              # index into the docs
    earlier: int            # the article it matched (Duplicate.matched_id)
    containment: float
    shared: int


def filed(arts) -> Dict[int, Filed]:
    _, dups = dedup_in_memory(arts)
    return {int(d.article.article_id, 16): Filed(int(d.article.article_id, 16), int(d.matched_id, 16),
                                                 d.containment, d.shared_fingerprints)
            for d in dups}


def _key(title: str) -> str:
    return hashlib.sha1(title.encode("utf-8")).hexdigest()[:8]


def label_key(source: str, docs, f: Filed) -> tuple:
    a, b = docs[f.later], docs[f.earlier]
    return (source, b.outlet, f"{b.when:%Y-%m-%dT%H:%M}", _key(b.title),
            a.outlet, f"{a.when:%Y-%m-%dT%H:%M}", _key(a.title))


_SENTENCE = re.compile(r"[^。！？.!?\n]+[。！？.!?]?")


def sentence_share(a: str, b: str) -> float:
    """Of the shorter text's sentences (>= 12 characters, spaces dropped), the share found
    verbatim in the other text: a reading aid, not the dedup's measure."""
    def sentences(t):
        return {s for s in (re.sub(r"\s+", "", m.group()) for m in _SENTENCE.finditer(t)) if len(s) >= 12}
    sa, sb = sentences(a), sentences(b)
    small, big = (sa, sb) if len(sa) <= len(sb) else (sb, sa)
    return len(small & big) / len(small) if small else 0.0


def cost(caps, seed: int) -> None:
    """Per CAP: sampled hashes per article and the Parquet bytes of the `fingerprint` column
    (the production writer's settings, `write.table_bytes`, one file per 200 articles as a
    run's date/outlet partitions hold a few hundred at most) on dedup_eval's news stream of
    `seed`; the streaming index state per article on the dedup_eval texts
    (`dedup_eval.state_per_article`)."""
    import statistics
    import pyarrow as pa
    from cfnews.schemas.arrow import FINGERPRINT_TYPE, fingerprint_value
    from cfnews.transforms.fingerprint import fingerprint
    from cfnews.transforms.write import table_bytes
    from tests.benchmarks.dedup_eval import load, state_per_article, stream_articles
    stream = stream_articles(seed)
    docs, _ = load(1)
    for cap in caps:
        set_cap(cap)
        fps = [fingerprint(a.text) for a in stream]
        values = [fingerprint_value(tuple(f)) for f in fps]
        size = sum(len(table_bytes(pa.table({"fingerprint": pa.array(values[i:i + 200], FINGERPRINT_TYPE)})))
                   for i in range(0, len(values), 200))
        n = [len(f.hashes) for f in fps]
        print(f"CAP {cap}: stream of seed {seed}, {len(stream)} articles: hashes mean "
              f"{statistics.mean(n):.1f}, median {statistics.median(n):.0f}, at the cap "
              f"{sum(x == max(n) for x in n)}; fingerprint column {size / len(stream):.0f} B per article "
              f"(Parquet, zstd)")
        print(f"   dedup_eval seed 1 texts: ", end="")
        state_per_article(docs)


def print_diff(mine: dict, other: dict, names, chars: int) -> None:
    """Per source, the articles one dump files at CAP 96 and the other does not, with the
    article each matched (for reading), and those matched to another article."""
    from tests.benchmarks import dedup_titles as dt_
    for name in names:
        docs = list(dt_.LOADERS[name]())
        a, b = mine[name]["CAP 96"], other[name]["CAP 96"]
        rematched = sum(1 for i in set(a) & set(b) if a[i].earlier != b[i].earlier)
        print(f"\n== {name}: {len(docs)} posts; in duplicates: this dump {len(a)}, the other {len(b)}; "
              f"only here {len(set(a) - set(b))}, only there {len(set(b) - set(a))}, "
              f"matched to another article {rematched}")
        for tag, here, there in (("only here", a, b), ("only there", b, a)):
            for i in sorted(set(here) - set(there)):
                f = here[i]
                later, earlier = docs[f.later], docs[f.earlier]
                print(f"   {tag}: {f.containment:.3f} on {f.shared} | {earlier.outlet} "
                      f"{earlier.title[:60]!r} <- {later.outlet} {later.title[:60]!r}")
                print(f"      E text: {earlier.text[:chars]!r}\n      L text: {later.text[:chars]!r}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sources", default="nbw")
    ap.add_argument("--caps", default="96,128,160,192")
    ap.add_argument("--show", type=int, default=0, metavar="CAP")
    ap.add_argument("--sample", type=int, default=20)
    ap.add_argument("--sample-seed", type=int, default=1)
    ap.add_argument("--chars", type=int, default=400)
    ap.add_argument("--dump", default="", help="write the per-CAP results (pickle) here")
    ap.add_argument("--load", default="", help="report from a --dump instead of computing")
    ap.add_argument("--diff", default="", metavar="OTHER.pkl",
                    help="with --load: what another tree's --dump files at CAP 96 that this one "
                         "does not, and the reverse (run this script with the other tree's venv, "
                         "--caps 96 --dump, to make it)")
    ap.add_argument("--cost", action="store_true",
                    help="hashes, Parquet bytes and streaming state per article per CAP, no real data")
    ap.add_argument("--seed", type=int, default=2, help="--cost: dedup_eval's stream seed")
    ap.add_argument("--threshold", type=float, default=0.0,
                    help="two-outlet containment base at the candidate CAPs (study)")
    ap.add_argument("--same-outlet-threshold", type=float, default=0.0,
                    help="one-outlet containment base at the candidate CAPs (study)")
    args = ap.parse_args(argv)
    from tests.benchmarks import dedup_titles as dt_
    caps = [int(c) for c in args.caps.split(",")]
    if 96 not in caps:
        caps.insert(0, 96)
    if args.cost:
        cost(caps, args.seed)
        return
    production = (dedup.CONTAINMENT_THRESHOLD, dedup.SAME_OUTLET_THRESHOLD)

    def bases(cap):
        """The containment bases of a run: --threshold / --same-outlet-threshold for the
        candidate CAPs, the production ones at 96."""
        if cap == 96:
            return production
        return (args.threshold or production[0], args.same_outlet_threshold or production[1])

    def label(cap):
        t, ts = bases(cap)
        return f"CAP {cap}" + ("" if (t, ts) == production else f" t {t} t_same {ts}")
    labels = read_pairs_tsv(LABELS, 7)
    loaded = load_dump(args.load)
    if args.diff:
        print_diff(loaded, load_dump(args.diff), args.sources.split(","), args.chars)
        return
    dump = {}
    for name in args.sources.split(","):
        docs = list(dt_.LOADERS[name]())
        runs = dump[name] = {(f"CAP {k}" if isinstance(k, int) else k): v   # a dump keyed by CAP:
                             for k, v in loaded.get(name, {}).items()}      # production bases
        for cap in caps:
            if label(cap) not in runs:
                set_cap(cap)
                set_threshold(*bases(cap))
                runs[label(cap)] = filed(dt_.production_articles(docs))
        base = runs[label(96)]
        print(f"\n== {name}: {len(docs)} posts; articles in duplicates at CAP 96: {len(base)}")
        for cap in caps:
            if cap == 96:
                continue
            now = runs[label(cap)]
            new = [now[i] for i in sorted(set(now) - set(base))]
            lost = [base[i] for i in sorted(set(base) - set(now))]
            rematched = sum(1 for i in set(now) & set(base) if now[i].earlier != base[i].earlier)
            same = sum(1 for f in new if docs[f.later].outlet == docs[f.earlier].outlet)
            print(f"   {label(cap)}: {len(now)} in duplicates ({len(now) - len(base):+d}): new {len(new)} "
                  f"(one outlet {same}, two outlets {len(new) - same}), lost {len(lost)}, "
                  f"matched to another article {rematched}")
            cs = sorted(f.containment for f in new)
            if cs:
                print(f"      new: containment median {cs[len(cs) // 2]:.3f}, min {cs[0]:.3f}, "
                      f"max {cs[-1]:.3f}")
            verdicts = collections.Counter(labels[label_key(name, docs, f)][0] for f in new
                                           if label_key(name, docs, f) in labels)
            if verdicts:
                print("      read (data/dedup_cap_read.tsv): "
                      + ", ".join(f"{v} {n}" for v, n in sorted(verdicts.items())))
            if args.show == cap:
                print(f"\n   sample of the new at {label(cap)} (--sample-seed {args.sample_seed}):")
                pool = [f for f in new if label_key(name, docs, f) not in labels]
                rng = random.Random(args.sample_seed)
                for f in rng.sample(pool, min(args.sample, len(pool))):
                    a, b = docs[f.later], docs[f.earlier]
                    hours = abs((a.when - b.when).total_seconds()) / 3600
                    print(f"\n   -- KEY\t" + "\t".join(label_key(name, docs, f))
                          + f"\t{f.containment:.3f}\t{f.shared}\t{hours:.1f}h"
                          f"\tsentences {sentence_share(a.text, b.text):.2f}")
                    print(f"      E {b.outlet} {b.when:%Y-%m-%d %H:%M} {b.title[:90]!r} len {len(b.text)}")
                    print(f"      L {a.outlet} {a.when:%Y-%m-%d %H:%M} {a.title[:90]!r} len {len(a.text)}")
                    print(f"      E text: {b.text[:args.chars]!r}")
                    print(f"      L text: {a.text[:args.chars]!r}")
            for f in lost[:5]:
                print(f"      lost: {docs[f.later].outlet} <- {docs[f.earlier].outlet} "
                      f"{f.containment:.3f} {f.shared}")
    if args.dump:
        save_dump(args.dump, dump)


if __name__ == "__main__":
    sys.exit(main())
