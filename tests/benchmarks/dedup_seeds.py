"""Wire-copy precision and recall over many seeds of dedup_eval's labelled pairs, pooled, with
how sure the pooled figures are.

One seed holds 403 copy pairs, so one seed's recall moves in steps of 0.0025 and 0.99 allows 4
misses: at a true recall of 0.994 (2.4 misses expected) a seed has 5 or more misses about one
time in eleven. A figure per seed therefore says more about the draw than about the rule. This
benchmark decides every seed's pairs with the production rule (`dedup_eval.cfnews_predictions`,
the background stream included, as `dedup_eval.py --stories-only` does) and prints:

- per seed: copy pairs, false positives, misses, precision and recall;
- pooled: precision and recall with 95 % Wilson intervals (pairs taken as independent), and a
  95 % interval for recall from a bootstrap over the base stories (every seed copies the same
  181 bodies, so one story's copies are not independent: the bootstrap resamples stories, each
  with all its copy pairs of every seed);
- the story families' rewrite pairs (dedup_corpus.story_pairs) the rule files as copies, and
  how many of the families' copy pairs it files as copies;
- how many seeds fall below 0.99 against how many would if misses fell independently at the
  pooled rate (the binomial tail per seed, summed);
- the base stories with the most misses, and the false positives by kind of pair.

    python -m tests.benchmarks.dedup_seeds --seeds 41-100 [--jobs 2] [--bar 0.99]

Seeds 1-15 are where the rule's thresholds were chosen (RESULTS.md, *Near duplicates*); 16-40
were run before; a range past 40 is fresh. Skips with a message when ../shared is absent."""
from __future__ import annotations

import argparse
import collections
import math
import os
import random
import sys
from concurrent.futures import ProcessPoolExecutor
from typing import Dict, List, NamedTuple, Sequence, Tuple

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

Z95 = 1.959963984540054


class SeedResult(NamedTuple):
    seed: int
    copies: List[Tuple[str, str, bool]]     # per copy pair: (kind, base story, found)
    false_positives: Dict[str, int]          # by kind of negative pair
    negatives: int
    rewrites_as_copies: int = 0              # the story families' rewrite pairs filed as copies
    family_copies: Tuple[int, int] = (0, 0)  # the families' copy pairs filed as copies, of all


def wilson(successes: int, n: int, z: float = Z95) -> Tuple[float, float]:
    """The Wilson score interval of a proportion (successes of n)."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def binomial_tail(n: int, p: float, k: int) -> float:
    """P(X >= k) for X ~ Binomial(n, p)."""
    if k <= 0:
        return 1.0
    below = sum(math.comb(n, i) * p ** i * (1 - p) ** (n - i) for i in range(k))
    return max(0.0, 1.0 - below)


def most_misses_allowed(n: int, bar: float) -> int:
    """The most misses of n copy pairs that keep recall >= bar."""
    return math.floor(n * (1 - bar) + 1e-9)


def story_bootstrap(copies: Sequence[Tuple[str, str, bool]], rounds: int = 2000,
                    seed: int = 0) -> Tuple[float, float]:
    """A 95 % interval for pooled recall, resampling base stories with replacement (each with all
    its copy pairs), so that copies of one story count as one draw."""
    by_story: Dict[str, List[int]] = collections.defaultdict(lambda: [0, 0])
    for _kind, story, found in copies:
        by_story[story][0] += found
        by_story[story][1] += 1
    totals = list(by_story.values())
    rng = random.Random(seed)
    recalls = []
    for _ in range(rounds):
        found = total = 0
        for _ in range(len(totals)):
            f, t = totals[rng.randrange(len(totals))]
            found += f
            total += t
        recalls.append(found / total)
    recalls.sort()
    return recalls[int(0.025 * rounds)], recalls[int(0.975 * rounds) - 1]


def run_seed(seed: int) -> SeedResult:
    from tests.benchmarks.dedup_corpus import story_pairs
    from tests.benchmarks.dedup_eval import background, cfnews_links, cfnews_predictions, load
    family_docs, family_pairs = story_pairs(seed)
    links = cfnews_links(family_docs, family_pairs, context=background(seed))
    rewrites = sum(q.kind == "rewrite" and m is not None and m.copy
                   for m, q in zip(links, family_pairs))
    family_copies = (sum(q.kind == "family_copy" and m is not None and m.copy
                         for m, q in zip(links, family_pairs)),
                     sum(q.kind == "family_copy" for q in family_pairs))
    docs, pairs = load(seed)
    predicted = cfnews_predictions(docs, pairs, context=background(seed))
    copies = [(q.kind, q.story, bool(p)) for p, q in zip(predicted, pairs) if q.duplicate]
    false_positives = collections.Counter(q.kind for p, q in zip(predicted, pairs)
                                          if p and not q.duplicate)
    return SeedResult(seed, copies, dict(false_positives), sum(not q.duplicate for q in pairs),
                      rewrites, family_copies)


def report(results: Sequence[SeedResult], bar: float) -> None:
    print(f"{'seed':>5} {'copies':>6} {'FP':>3} {'FN':>3} {'precision':>9} {'recall':>7} "
          f"{'rewrites as copies':>18}")
    tp = fp = fn = 0
    below, expected_below = [], 0.0
    for r in results:
        found = sum(f for _, _, f in r.copies)
        n, fps = len(r.copies), sum(r.false_positives.values())
        tp, fp, fn = tp + found, fp + fps, fn + n - found
        recall = found / n
        mark = "  < bar" if recall < bar else ""
        print(f"{r.seed:>5} {n:>6} {fps:>3} {n - found:>3} {found / (found + fps):>9.4f} {recall:>7.4f} "
              f"{r.rewrites_as_copies:>18}{mark}")
        if recall < bar:
            below.append(r.seed)
    miss_rate = fn / (tp + fn)
    for r in results:
        n = len(r.copies)
        expected_below += binomial_tail(n, miss_rate, most_misses_allowed(n, bar) + 1)
    copies = [c for r in results for c in r.copies]
    low, high = wilson(tp, tp + fn)
    p_low, p_high = wilson(tp, tp + fp)
    b_low, b_high = story_bootstrap(copies)
    print(f"pooled over {len(results)} seeds: {tp + fn} copy pairs, "
          f"{sum(r.negatives for r in results)} negative pairs")
    print(f"  precision {tp / (tp + fp):.4f} (FP {fp}; 95 % Wilson {p_low:.4f}-{p_high:.4f})")
    print(f"  recall    {tp / (tp + fn):.4f} (FN {fn}; 95 % Wilson {low:.4f}-{high:.4f}; "
          f"bootstrap over base stories {b_low:.4f}-{b_high:.4f})")
    rewrites = [r.seed for r in results for _ in range(r.rewrites_as_copies)]
    print(f"  story families' rewrite pairs filed as copies (of 120 per seed): {len(rewrites)}"
          + (f", seeds {sorted(set(rewrites))}" if rewrites else ""))
    found, total = (sum(r.family_copies[k] for r in results) for k in (0, 1))
    print(f"  story families' copy pairs filed as copies: {found} of {total}"
          + (f" ({found / total:.4f})" if total else ""))
    print(f"  seeds with recall below {bar}: {len(below)} {below}; expected if misses fell "
          f"independently at the pooled rate: {expected_below:.1f}")
    misses = collections.Counter((kind, story) for kind, story, found in copies if not found)
    seeds_of = collections.defaultdict(set)
    for r in results:
        for kind, story, found in r.copies:
            if not found:
                seeds_of[(kind, story)].add(r.seed)
    print(f"  misses by base story ({len(misses)} stories missed at least once; "
          f"{len({s for _, s, _ in copies})} stories):")
    from tests.benchmarks.dedup_corpus import load_stories
    stories, seeds = load_stories()
    known = {s.key: s for s in list(stories) + list(seeds.values())}
    for (kind, story), count in misses.most_common(12):
        base = known.get(story)
        about = f"{base.outlet}, {base.words} words" if base else "?"
        print(f"    {count:3} misses in {len(seeds_of[(kind, story)]):3} seeds  {kind:18} "
              f"{story[:12]} ({about})")
    fp_kinds = collections.Counter()
    for r in results:
        fp_kinds.update(r.false_positives)
    print("  false positives by kind: " + (", ".join(f"{k} {v}" for k, v in fp_kinds.most_common())
                                          or "none"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="41-100", help="e.g. 41-100 or 16-40,41-60")
    parser.add_argument("--jobs", type=int, default=1, help="seeds decided at once (processes)")
    parser.add_argument("--bar", type=float, default=0.99, help="the recall a seed should reach")
    args = parser.parse_args(argv)
    from tests.benchmarks.common import BENCH, seed_range
    if not BENCH.exists():
        print(f"SKIPPED: {BENCH} is absent (../shared's extraction benchmark holds the bodies)")
        return 0
    seeds = seed_range(args.seeds)
    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs) as pool:
            results = list(pool.map(run_seed, seeds))
    else:
        results = [run_seed(seed) for seed in seeds]
    report(results, args.bar)
    return 0


if __name__ == "__main__":
    sys.exit(main())
