"""Agreement between the Chinese names gold (first reading) and a second, independent reading
(issue 17: how reliable is a gold annotated by one reader per article?).

Compared at the scorer's level (tests/benchmarks/zh_names_eval.py): each distinct (name as
written, type) once per article; offsets are not compared. Per script and type: names in both
readings, only in the first (gold), only in the second, and the second reading's P / R / F1
against the first (F1 is symmetric: it is the agreement; P and R swap if the readings do).
Only the articles of the second reading are compared. It tags nothing.

    python -m tests.benchmarks.zh_gold_agreement [--list]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Tuple

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.data.zh_names import sources  # noqa: E402

SECOND = ROOT / "tests" / "data" / "zh_names" / "second_reading.json"
TYPES = sources.TYPES

Counts = Dict[Tuple[str, str], List[int]]  # (script, type) -> [both, only first, only second]


def names(article: Mapping) -> set:
    return {(name, kind) for kind in TYPES for name in article.get(kind, [])}


def disagreements(first: Iterable[Mapping], second: Iterable[Mapping]):
    """(id, name, type, in first, in second) for every name only one reading lists, in the
    articles of the second reading (each must be in the first)."""
    by_id = {a["id"]: a for a in first}
    for article in second:
        one, two = names(by_id[article["id"]]), names(article)
        for name, kind in sorted(one ^ two, key=lambda x: (TYPES.index(x[1]), x[0])):
            yield article["id"], name, kind, (name, kind) in one, (name, kind) in two


def agreement(first: Iterable[Mapping], second: Iterable[Mapping],
              script: Mapping[str, str]) -> Counts:
    """Counts per (script, type) and per (script, "all"); `script` maps an article id to its
    script (the first reading's)."""
    by_id = {a["id"]: a for a in first}
    counts: Counts = {}
    for article in second:
        one, two = names(by_id[article["id"]]), names(article)
        for kind in TYPES + ("all",):
            a = {x for x in one if kind in ("all", x[1])}
            b = {x for x in two if kind in ("all", x[1])}
            row = counts.setdefault((script[article["id"]], kind), [0, 0, 0])
            row[0] += len(a & b)
            row[1] += len(a - b)
            row[2] += len(b - a)
    return counts


def prf(both: int, only_first: int, only_second: int) -> Tuple[float, float, float]:
    p = both / (both + only_second) if both + only_second else 0.0
    r = both / (both + only_first) if both + only_first else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--second", type=Path, default=SECOND)
    parser.add_argument("--list", action="store_true", help="print every disagreement")
    args = parser.parse_args()
    gold = sources.load_gold()
    second = json.loads(args.second.read_text(encoding="utf-8"))["articles"]
    script = {a["id"]: a["script"] for a in gold}
    counts = agreement(gold, second, script)
    print(f"{len(second)} articles read twice")
    print(f"{'script':8} {'type':7} {'both':>5} {'1st only':>8} {'2nd only':>8}   P     R     F1")
    for (scr, kind), row in sorted(counts.items(), key=lambda x: (x[0][0], (TYPES + ("all",)).index(x[0][1]))):
        p, r, f = prf(*row)
        print(f"{scr:8} {kind:7} {row[0]:5d} {row[1]:8d} {row[2]:8d}   {p:.3f} {r:.3f} {f:.3f}")
    if args.list:
        for article_id, name, kind, one, two in disagreements(gold, second):
            print(f"{article_id}\t{name}\t{kind}\t{'first' if one else 'second'} only")
    return 0


if __name__ == "__main__":
    sys.exit(main())
