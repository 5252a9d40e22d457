"""Replay an older version of the Chinese tagger on dev articles added to the gold after it, with
and without this tree's LAC vote (transforms/zh_lac.py): how a change does on articles the
tagger's rules were never written on, without touching test. The older code comes from this
repository's history (`git archive`), runs in a child process whose `cfnews` package is that
tree, and its entities are then voted on here (with this tree's vote: its lexicon and title
exemptions included).

    python tests/benchmarks/zh_names_replay.py --code 78696a0 --added 2026-12-04   # RTHK
    python tests/benchmarks/zh_names_replay.py --code cc58607 --added 2026-12-03b  # CNA, 法广/美国之音

Dev articles by default. `--split test|blind` scores that split's articles of the given batches,
for a blind batch scored once (each code version run once on it, nothing chosen on the result):

    python tests/benchmarks/zh_names_replay.py --code 5e5fa65 --split blind --added 2026-12-04b

A commit whose own `enrich_texts` already applies LAC's vote (main since 044fbd8) is measured by
the "older code alone" line; the "with LAC's vote" line then votes a second time.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from tests.benchmarks.older_tree import extracted  # noqa: E402
from tests.benchmarks.zh_names_eval import scored  # noqa: E402
from tests.data.relevance.sources import SnapshotMissing  # noqa: E402
from tests.data.zh_names import sources  # noqa: E402

# Run in the child: `cfnews` is the older tree, texts come on stdin, entities go to stdout.
CHILD = r"""
import json, sys
tree, root = sys.argv[1], sys.argv[2]
sys.path.insert(0, root)
from tests.benchmarks.older_tree import TreeFinder
sys.meta_path.insert(0, TreeFinder(tree))
from cfnews.transforms.entities import enrich_texts
import cfnews.transforms.zh_names as tagger
assert tagger.__file__.startswith(tree), tagger.__file__
out = []
for text in json.load(sys.stdin):
    [(entities, _)] = enrich_texts("zh", [text])
    out.append([[e.text, e.label, e.start, e.end, e.kb_id, e.canonical] for e in entities])
json.dump(out, sys.stdout)
"""


def older_entities(commit: str, texts):
    from cfnews.schemas import Entity
    with extracted(commit) as tree:
        done = subprocess.run([sys.executable, "-c", CHILD, tree, ROOT],
                              input=json.dumps(texts), capture_output=True, text=True, check=True)
    return [tuple(Entity(*e) for e in found) for found in json.loads(done.stdout)]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--code", required=True, help="commit of the older tagger")
    parser.add_argument("--added", action="append", required=True, metavar="BATCH",
                        help="articles of this gold batch (`none`: the first 46); repeatable")
    parser.add_argument("--split", choices=("dev", "test", "blind"), default="dev",
                        help="the batches' articles of this split (test, blind: a blind batch, once)")
    args = parser.parse_args()
    from cfnews.transforms.zh_lac import confirm_names
    try:
        articles = [(e, t) for e, t in sources.articles()
                    if e["split"] == args.split and e.get("added", "none") in args.added]
    except SnapshotMissing as exc:
        print(f"SKIPPED: {exc}")
        return 0
    found = older_entities(args.code, [t for _, t in articles])
    for vote in (False, True):
        rows = {}
        for (entry, text), entities in zip(articles, found):
            names = scored(confirm_names(text, entities) if vote else entities)
            counts = rows.setdefault(entry["script"], {t: [0, 0, 0] for t in sources.TYPES})
            for kind in sources.TYPES:
                f = {x for x in names if x[1] == kind}
                g = {(n, kind) for n in entry[kind]}
                counts[kind][0] += len(f & g)
                counts[kind][1] += len(f)
                counts[kind][2] += len(g)
        for script, counts in sorted(rows.items()):
            hit = sum(c[0] for c in counts.values())
            nf = sum(c[1] for c in counts.values())
            ng = sum(c[2] for c in counts.values())
            kinds = " ".join(f"{k} {c[0] / c[1] if c[1] else 0:.3f}/{c[0] / c[2] if c[2] else 0:.3f}"
                             f" [tp {c[0]} fp {c[1] - c[0]} fn {c[2] - c[0]}]"
                             for k, c in counts.items())
            label = "with LAC's vote" if vote else "older code alone"
            print(f"{label:17} {args.split} {script}: "
                  f"{sum(e['script'] == script for e, _ in articles)} articles, "
                  f"P {hit / nf if nf else 0:.3f} R {hit / ng:.3f} "
                  f"(P/R {kinds})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
