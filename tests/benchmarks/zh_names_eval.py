"""Chinese names (jieba tags + knowledge base, through enrich_texts) against a small hand-read
gold (tests/benchmarks/data/zh_names_gold.json), in Simplified as published and in Traditional
(the same text converted with OpenCC's s2t phrase tables, a different conversion from the
character table the tagger uses). Name level: distinct (name, type) per article.
Targets: recall >= 0.80 per type, precision >= 0.85.

    python tests/benchmarks/zh_names_eval.py [--errors]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from tests.benchmarks import title_corpus  # noqa: E402
from tests.benchmarks.extraction_eval import as_page  # noqa: E402

GOLD = Path(__file__).resolve().parent / "data" / "zh_names_gold.json"
TYPES = {"PERSON": "PERSON", "ORG": "ORG", "GPE": "PLACE", "LOC": "PLACE", "FAC": "PLACE"}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--errors", action="store_true")
    args = parser.parse_args()
    if not title_corpus.public_pages_available():
        print(f"SKIPPED: snapshots absent under {title_corpus.MIRROR}")
        return 0
    import opencc
    from transforms.entities import enrich_texts
    from transforms.extract import extract_article
    gold = {k: v for k, v in json.loads(GOLD.read_text(encoding="utf-8")).items() if k[0] != "_"}
    pages = {p.page_id: p for p in title_corpus.public_pages() if p.page_id in gold}
    to_trad = opencc.OpenCC("s2t")
    for script in ("Simplified", "Traditional"):
        counts = {t: [0, 0, 0] for t in ("PERSON", "PLACE", "ORG")}  # hit, found, gold
        for page_id, names in gold.items():
            text = extract_article(as_page(pages[page_id])).text
            convert = to_trad.convert if script == "Traditional" else (lambda s: s)
            if script == "Traditional":
                text = convert(text)
            [(entities, _)] = enrich_texts("zh", [text])
            found = {(e.text, TYPES[e.label]) for e in entities if e.label in TYPES}
            wanted = {(convert(n), t) for t, ns in names.items() for n in ns}
            for kind in counts:
                f = {x for x in found if x[1] == kind}
                g = {x for x in wanted if x[1] == kind}
                counts[kind][0] += len(f & g)
                counts[kind][1] += len(f)
                counts[kind][2] += len(g)
                if args.errors:
                    for x in sorted(f - g):
                        print(f"   spurious {script} {page_id}: {x}")
                    for x in sorted(g - f):
                        print(f"   missed   {script} {page_id}: {x}")
        print(f"{script}: {len(gold)} articles")
        hit_all = sum(c[0] for c in counts.values())
        found_all = sum(c[1] for c in counts.values())
        for kind, (hit, nf, ng) in counts.items():
            print(f"  {kind:7} precision {hit / nf if nf else 0:.3f} recall {hit / ng:.3f} "
                  f"(found {nf}, gold {ng})")
        print(f"  all     precision {hit_all / found_all:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
