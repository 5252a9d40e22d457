"""Entity quality against hand-written gold annotations (tests/benchmarks/data/entities_gold.jsonl).

The gold file holds, per document, the exact text the entity stage sees and its entity spans
(start, end, label, kb_id) — see tests/benchmarks/data/README.md for the guidelines. Each text
runs through `transforms.entities.enrich_texts` (what EnrichEntities runs), then:
  * spans: exact (start, end, label) matches, precision/recall/F1 per type, plus "places"
    (GPE, LOC and FAC as one type, as in the `places` column) and all types together;
  * links: exact (start, end, kb_id) matches among linked entities, per type (precision by the
    system's label, recall by the gold label), and PERSON+ORG+GPE together.
Only the types below are scored; other labels (NORP, DATE, MONEY, PROGRAMME, …) are ignored.
Targets: linked PERSON/ORG/GPE precision >= 0.95 and recall >= 0.90.

    python tests/benchmarks/entity_eval.py [--errors]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Dict, List, Tuple

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

GOLD = Path(__file__).resolve().parent / "data" / "entities_gold.jsonl"
TYPES = ("PERSON", "ORG", "GPE", "LOC", "FAC", "EVENT")
LINK_TARGET_TYPES = ("PERSON", "ORG", "GPE")
PLACES = {"GPE", "LOC", "FAC"}


def load_gold(path: Path = GOLD) -> List[dict]:
    with open(path, encoding="utf-8") as f:
        docs = [json.loads(line) for line in f if line.strip()]
    for doc in docs:
        if hashlib.sha256(doc["text"].encode("utf-8")).hexdigest() != doc["text_sha256"]:
            raise ValueError(f"{doc['doc_id']}: text does not match its text_sha256")
    return docs


def predict(docs: List[dict]) -> Dict[str, list]:
    from cfnews.transforms.entities import enrich_texts
    out = {}
    for doc in docs:
        [(entities, _)] = enrich_texts(doc["language"], [doc["text"]])
        out[doc["doc_id"]] = [dict(start=e.start, end=e.end, text=e.text, label=e.label,
                                   kb_id=e.kb_id) for e in entities]
    return out


def prf(tp: int, n_sys: int, n_gold: int) -> Tuple[float, float, float]:
    p = tp / n_sys if n_sys else 1.0
    r = tp / n_gold if n_gold else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _table(docs, predicted, groups, value, linked_only):
    """Rows (name, tp, n_sys, n_gold) and the misses/spurious entities of one-type groups.
    An entity is keyed by (doc, start, end, value(entity))."""
    rows, errors = [], []
    for name, members in groups:
        gold, found = set(), set()
        for doc in docs:
            for bag, entities in ((gold, doc["entities"]), (found, predicted[doc["doc_id"]])):
                bag.update((doc["doc_id"], e["start"], e["end"], value(e)) for e in entities
                           if e["label"] in members and (e["kb_id"] or not linked_only))
        rows.append((name, len(gold & found), len(found), len(gold)))
        if len(members) == 1:
            errors += [("missed", name, k) for k in sorted(gold - found)]
            errors += [("spurious", name, k) for k in sorted(found - gold)]
    return rows, errors


def score(docs: List[dict], predicted: Dict[str, list]):
    """(span rows, link rows, span errors, link errors); a row is (name, tp, n_sys, n_gold)."""
    per_type = [(t, {t}) for t in TYPES]
    span_rows, span_errors = _table(docs, predicted, per_type, lambda e: e["label"], False)
    merged, _ = _table(docs, predicted, [("places", PLACES), ("all", set(TYPES))],
                       lambda e: "PLACE" if e["label"] in PLACES else e["label"], False)
    link_rows, link_errors = _table(docs, predicted,
                                    per_type + [("PERSON+ORG+GPE", set(LINK_TARGET_TYPES))],
                                    lambda e: e["kb_id"], True)
    return span_rows + merged, link_rows, span_errors, link_errors


def _print(title: str, rows) -> None:
    print(f"{title:<18}{'P':>7}{'R':>7}{'F1':>7}{'tp':>6}{'system':>8}{'gold':>6}")
    for name, tp, n_sys, n_gold in rows:
        p, r, f = prf(tp, n_sys, n_gold)
        print(f"  {name:<16}{p:7.3f}{r:7.3f}{f:7.3f}{tp:6d}{n_sys:8d}{n_gold:6d}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--errors", action="store_true", help="list every miss and spurious entity")
    args = parser.parse_args()
    docs = load_gold()
    predicted = predict(docs)
    span_rows, link_rows, span_errors, link_errors = score(docs, predicted)
    print(f"{len(docs)} documents, {sum(len(d['entities']) for d in docs)} gold entities "
          f"({', '.join(d['doc_id'] for d in docs)})")
    _print("spans", span_rows)
    _print("links", link_rows)
    texts = {d["doc_id"]: d["text"] for d in docs}
    if args.errors:
        for kind, name, (doc_id, start, end, value) in span_errors + link_errors:
            print(f"  {kind:9}{name:8}{doc_id:22}{start:5d}-{end:<5d}{texts[doc_id][start:end]!r} {value}")
    ok = True
    for name, tp, n_sys, n_gold in link_rows:
        if name in LINK_TARGET_TYPES + ("PERSON+ORG+GPE",):
            p, r, _ = prf(tp, n_sys, n_gold)
            met = p >= 0.95 and r >= 0.90
            ok &= met
            print(f"target linked {name}: precision {p:.3f} (>= 0.95), recall {r:.3f} (>= 0.90): "
                  f"{'met' if met else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
