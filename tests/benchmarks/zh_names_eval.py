"""Chinese names (jieba tags + knowledge base, through enrich_texts as the entity stage runs them)
against the hand-read gold of tests/data/zh_names (real articles, Simplified and Traditional,
dev/test split by outlet). Name level: distinct (name as written, type) per article; names with
Latin letters are out of the gold's scope and not scored (GUIDELINES.md).
Targets: recall >= 0.80 per type and precision >= 0.85, on test, in each script.
Cost: articles per second of the tagger alone and of the whole zh entity step (median of runs);
`--compare COMMIT` times both against another commit's, side by side.

    python tests/benchmarks/zh_names_eval.py [--split dev|test] [--errors] [--rounds 5]
    python tests/benchmarks/zh_names_eval.py --split dev --compare COMMIT   # or an older checkout's folder
    python tests/benchmarks/zh_names_eval.py --split test --added none   # the articles of one batch
    python tests/benchmarks/zh_names_eval.py --split dev --by-outlet --rounds 0   # per publisher too
"""
from __future__ import annotations

import argparse
import contextlib
import os
import re
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from tests.data.relevance.sources import SnapshotMissing  # noqa: E402
from tests.data.zh_names import sources  # noqa: E402

TYPES = {"PERSON": "PERSON", "ORG": "ORG", "GPE": "PLACE", "LOC": "PLACE", "FAC": "PLACE"}
_HAN = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")


def scored(entities):
    return {(e.text, TYPES[e.label]) for e in entities
            if e.label in TYPES and _HAN.search(e.text) and not _LATIN.search(e.text)}


# One publisher under two snapshots' labels (tests/test_zh_names_gold.py): one row per publisher.
PUBLISHER = {"中央社": "(臺)中央社CNA"}


def row_key(entry, by_outlet: bool):
    """(split, script), or (split, script, publisher) for the per-outlet figures."""
    key = (entry["split"], entry["script"])
    return key + (PUBLISHER.get(entry["outlet"], entry["outlet"]),) if by_outlet else key


def evaluate(articles, errors: bool, by_outlet: bool = False):
    from cfnews.transforms.entities import enrich_texts
    rows = {}
    for entry, text in articles:
        [(entities, _)] = enrich_texts("zh", [text])
        found = scored(entities)
        wanted = {(n, t) for t in sources.TYPES for n in entry[t]}
        counts = rows.setdefault(row_key(entry, by_outlet),
                                 {t: [0, 0, 0] for t in sources.TYPES})  # hit, found, gold
        for kind in sources.TYPES:
            f = {x for x in found if x[1] == kind}
            g = {x for x in wanted if x[1] == kind}
            counts[kind][0] += len(f & g)
            counts[kind][1] += len(f)
            counts[kind][2] += len(g)
            if errors:
                for x in sorted(f - g):
                    print(f"   spurious {entry['split']} {entry['id']}: {x}")
                for x in sorted(g - f):
                    print(f"   missed   {entry['split']} {entry['id']}: {x}")
    return rows


def report(rows, n_articles):
    for key, counts in sorted(rows.items()):
        print(f"{' '.join(key)}: {n_articles[key]} articles")
        hit_all = sum(c[0] for c in counts.values())
        found_all = sum(c[1] for c in counts.values())
        gold_all = sum(c[2] for c in counts.values())
        for kind, (hit, nf, ng) in counts.items():
            print(f"  {kind:7} precision {hit / nf if nf else 0:.3f} recall {hit / ng if ng else 0:.3f} "
                  f"(found {nf}, gold {ng})")
        print(f"  all     precision {hit_all / found_all if found_all else 0:.3f} "
              f"recall {hit_all / gold_all:.3f}")


def cost(texts, rounds: int):
    """Tagger alone, and the whole zh entity step with and without LAC's vote on unlinked people
    and places, without LAC's organisations, without its check of common nouns tagged as
    bodies and without its cut of verbs from organisations' fronts (zh_lac.py), timed alternately in one process
    (same machine load); their ratios in CPU time."""
    from cfnews.transforms import entities
    from cfnews.transforms.entities import enrich_texts
    from cfnews.transforms.zh_names import chinese_name_spans
    enrich_texts("zh", texts[:1])  # loads jieba, LAC and the KB once, outside the timing

    def without(name, stand_in):
        """The zh entity step with entities.<name> replaced by `stand_in` for the run."""
        def run():
            real = getattr(entities, name)
            setattr(entities, name, stand_in)
            try:
                enrich_texts("zh", texts)
            finally:
                setattr(entities, name, real)
        return run

    without_vote = without("confirm_names", lambda text, found: tuple(found))
    without_lac_organisations = without("more_organisations", lambda text, spans, bounds: list(spans))
    without_common_check = without("common_organisations", lambda text, spans: list(spans))
    without_fronts = without("organisation_fronts", lambda text, spans, bounds: list(spans))

    runs = (("tagger", lambda: [chinese_name_spans(t) for t in texts]),
            ("zh entity step", lambda: enrich_texts("zh", texts)),
            ("zh entity step without LAC's vote", without_vote),
            ("zh entity step without LAC's organisations", without_lac_organisations),
            ("zh entity step without LAC's check of common nouns", without_common_check),
            ("zh entity step without LAC's organisation fronts", without_fronts))
    rates = {name: [] for name, _ in runs}
    cpu = {name: [] for name, _ in runs}
    for _ in range(rounds):
        for name, run in runs:
            start, start_cpu = time.perf_counter(), time.process_time()
            run()
            cpu[name].append(time.process_time() - start_cpu)
            rates[name].append(len(texts) / (time.perf_counter() - start))
    chars = sum(map(len, texts)) / len(texts)
    for name, _ in runs:
        print(f"cost {name}: {statistics.median(rates[name]):.0f} articles/s (median of {rounds}; "
              f"{chars:.0f} chars/article)")
    # CPU time: less sensitive than wall time to the other processes of a shared machine
    for part in ("LAC's vote", "LAC's organisations", "LAC's check of common nouns",
                 "LAC's organisation fronts"):
        ratios = [a / b for a, b in zip(cpu["zh entity step"], cpu[f"zh entity step without {part}"])]
        print(f"cost ratio of the zh entity step, with / without {part}: {statistics.median(ratios):.2f} "
              f"(CPU time, median of {rounds} side-by-side rounds; range {min(ratios):.2f}-{max(ratios):.2f})")


def compare(texts, baseline: str, rounds: int):
    """Tagger throughput of this tree against another version of it: a commit of this repository,
    or an older checkout's folder (its transforms/zh_names.py is accepted too, for the record's
    older commands); then the whole zh entity step's (enrich_texts: the tagger, LAC's steps,
    body_chains, the KB), in CPU time. Both run in one process, timed alternately, so they see
    the same load."""
    from cfnews.transforms.entities import enrich_texts
    from cfnews.transforms.zh_names import chinese_name_spans
    from tests.benchmarks.older_tree import extracted, function_of
    if os.path.isfile(baseline):   # OLD/transforms/zh_names.py: the checkout is OLD
        baseline = os.path.dirname(os.path.dirname(os.path.abspath(baseline)))
    with contextlib.ExitStack() as stack:
        tree = baseline if os.path.isdir(baseline) else stack.enter_context(extracted(baseline))
        # its dictionaries load while its tree is in place, outside the timing
        old = function_of(tree, "cfnews.transforms.zh_names", "chinese_name_spans",
                          warm_up=lambda tag: tag(texts[0]))
        old_step = function_of(tree, "cfnews.transforms.entities", "enrich_texts",
                               warm_up=lambda enrich: enrich("zh", texts[:1]))
    chinese_name_spans(texts[0])
    enrich_texts("zh", texts[:1])
    for what, runs in (("tagger", {"baseline": lambda: [old(t) for t in texts],
                                   "this tree": lambda: [chinese_name_spans(t) for t in texts]}),
                       ("zh entity step", {"baseline": lambda: old_step("zh", texts),
                                           "this tree": lambda: enrich_texts("zh", texts)})):
        rates = {name: [] for name in runs}
        cpu = {name: [] for name in runs}
        for _ in range(rounds):
            for name, run in runs.items():
                start, start_cpu = time.perf_counter(), time.process_time()
                run()
                cpu[name].append(time.process_time() - start_cpu)
                rates[name].append(len(texts) / (time.perf_counter() - start))
        for name, r in rates.items():
            print(f"compare {what} {name}: {statistics.median(r):.1f} articles/s (median of {rounds})")
        ratios = [b / a for a, b in zip(cpu["this tree"], cpu["baseline"])]
        print(f"compare {what} ratio this tree / baseline: "
              f"{statistics.median(rates['this tree']) / statistics.median(rates['baseline']):.2f} "
              f"(throughput, medians); {statistics.median(ratios):.2f} in CPU time per round "
              f"(median; range {min(ratios):.2f}-{max(ratios):.2f})")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", choices=("dev", "test", "blind"))
    parser.add_argument("--errors", action="store_true")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--added", action="append", metavar="BATCH",
                        help="only the articles of this gold batch (their `added` mark; `none`: "
                             "the first 46); repeatable")
    parser.add_argument("--by-outlet", action="store_true",
                        help="figures per publisher as well as per script")
    parser.add_argument("--compare", metavar="COMMIT",
                        help="time the tagger against another version of it: a commit, or an older "
                             "checkout's folder (no scores)")
    args = parser.parse_args()
    chosen = [e for e in sources.load_gold() if args.split in (None, e["split"])
              and (not args.added or e.get("added", "none") in args.added)]
    if not chosen:  # e.g. `--split blind` between batches: nothing to score or time
        print(f"no gold article in split {args.split or 'any'}"
              + (f" of batch {', '.join(args.added)}" if args.added else "")
              + ": nothing to score (tests/data/zh_names/SOURCES.md lists the batches)", file=sys.stderr)
        return 2
    try:
        articles = [(e, t) for e, t in sources.articles()
                    if args.split in (None, e["split"])
                    and (not args.added or e.get("added", "none") in args.added)]
    except SnapshotMissing as exc:
        print(f"SKIPPED: {exc}")
        return 0
    if args.compare:
        compare([t for _, t in articles], args.compare, args.rounds)
        return 0
    n_articles = {}
    for entry, _ in articles:
        for key in {row_key(entry, False), row_key(entry, args.by_outlet)}:
            n_articles[key] = n_articles.get(key, 0) + 1
    rows = evaluate(articles, args.errors, args.by_outlet)
    if args.by_outlet:  # the per-script rows too: sums of their outlets' counts
        for key, counts in list(rows.items()):
            total = rows.setdefault(key[:2], {t: [0, 0, 0] for t in sources.TYPES})
            for kind, c in counts.items():
                total[kind] = [a + b for a, b in zip(total[kind], c)]
    report(rows, n_articles)
    if args.rounds:
        cost([t for _, t in articles], args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
