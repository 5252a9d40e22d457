"""Entity stage: English words per second per core, and memory per worker.

Throughput: the English gold bodies of ../shared/corpora/extraction-benchmark (language from
transforms.language) go through `enrich_texts("en", ...)` — NER, knowledge base, topics: what
EnrichEntities does per batch — models loaded beforehand. Words are whitespace-separated. Each
round reports words per CPU-second of this process (per core: the stage runs on one thread; the
figure is what one core delivers, whatever else the machine is doing) and per wall-clock second.
Target >= 10,000 words/s/core.

`--compare` also measures, side by side on the same texts, the raw NER of the pipeline variants
this stage chose between, and how many entities each differs by from the full model (with the
same line-break rule): tok2vec+parser+ner, senter+ner (chosen), ner alone; blis vs numpy gemm.

Memory: a fresh Python process imports apache_beam and the stage, loads the English and French
models, the knowledge base, stop-list and lexicon, enriches an English, a French and a Chinese
text, and reports its resident set (VmRSS now, VmHWM peak) — also after importing Beam alone,
the floor of any worker. Target <= 400 MB.

    python tests/benchmarks/entity_throughput.py [--rounds 5] [--compare]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from tests.benchmarks.common import gold_bodies, median, require_shared  # noqa: E402

MEMORY_PROBE = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
def rss():
    fields = dict(line.split(":", 1) for line in open("/proc/self/status"))
    return {k: int(fields[k].split()[0]) // 1024 for k in ("VmRSS", "VmHWM")}
out = {"python": rss()}
import apache_beam
out["beam_imported"] = rss()
from cfnews.transforms.entities import enrich_texts, knowledge, load_ner
load_ner("en"); load_ner("fr"); knowledge()
out["models_loaded"] = rss()
enrich_texts("en", ["French President Emmanuel Macron met Xi Jinping in Beijing. " * 200])
enrich_texts("fr", ["Emmanuel Macron a reçu Xi Jinping à l'Élysée, à Paris. " * 200])
enrich_texts("zh", ["习近平在北京会见法国总统马克龙。" * 200])
out["after_enriching"] = rss()
print(json.dumps(out))
"""


def english_texts():
    from cfnews.transforms.language import detect_language
    return [t for t in gold_bodies().values() if detect_language(t, "").code == "en"]


def timed(fn, rounds: int, words: int):
    cpu, wall = [], []
    for _ in range(rounds):
        c0, w0 = time.process_time(), time.perf_counter()
        fn()
        cpu.append(words / (time.process_time() - c0))
        wall.append(words / (time.perf_counter() - w0))
    return cpu, wall


def compare(texts, rounds: int, words: int) -> None:
    import spacy
    from thinc.api import NumpyOps
    from cfnews.transforms.entities import MODELS, add_line_breaks, normalise
    name = MODELS["en"]
    norm = [normalise(t) for t in texts]
    full = add_line_breaks(spacy.load(name))
    reference = [{(e.start_char, e.end_char, e.label_) for e in d.ents} for d in full.pipe(norm)]
    every = ["tok2vec", "tagger", "parser", "senter", "attribute_ruler", "lemmatizer", "ner"]

    def variant(keep, blis):
        nlp = spacy.load(name, exclude=[c for c in every if c not in keep])
        if "senter" in keep:
            nlp.enable_pipe("senter")
        ops = NumpyOps(use_blis=blis)
        for _, pipe in nlp.pipeline:
            for layer in pipe.model.walk():
                layer.ops = ops
        return add_line_breaks(nlp)

    print(f"raw NER variants vs the full pipeline ({sum(map(len, reference))} entities):")
    for label, keep, blis in (("tok2vec+parser+ner, blis", ("tok2vec", "parser", "ner"), True),
                              ("tok2vec+parser+ner, numpy", ("tok2vec", "parser", "ner"), False),
                              ("ner alone, numpy", ("ner",), False),
                              ("senter+ner, blis", ("senter", "ner"), True),
                              ("senter+ner, numpy (chosen)", ("senter", "ner"), False)):
        nlp = variant(keep, blis)
        found = [{(e.start_char, e.end_char, e.label_) for e in d.ents} for d in nlp.pipe(norm)]
        differ = sum(len(a ^ b) for a, b in zip(reference, found))
        cpu, _ = timed(lambda: list(nlp.pipe(norm, batch_size=32)), rounds, words)
        print(f"  {label:<28} differs on {differ:3d}; median {median(cpu):8,.0f} words/CPU-s "
              f"({', '.join(f'{x:,.0f}' for x in cpu)})", flush=True)


def memory() -> dict:
    out = subprocess.run([sys.executable, "-c", MEMORY_PROBE, ROOT], capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--compare", action="store_true")
    args = parser.parse_args()
    require_shared()
    from cfnews.transforms.entities import enrich_texts, knowledge, load_ner
    texts = english_texts()
    words = sum(len(t.split()) for t in texts)
    load_ner("en"), knowledge()
    enrich_texts("en", texts[:4])                      # warm-up
    print(f"{len(texts)} English texts, {words:,} words; rounds: {args.rounds}; "
          f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}")
    cpu, wall = timed(lambda: enrich_texts("en", texts), args.rounds, words)
    for i, (c, w) in enumerate(zip(cpu, wall), 1):
        print(f"round {i}: {c:,.0f} words/CPU-s, {w:,.0f} words/wall-s", flush=True)
    print(f"entity stage (NER + knowledge base + topics): median {median(cpu):,.0f} words/s/core "
          f"(CPU time; target >= 10,000), {median(wall):,.0f} words/s wall; "
          f"load average after: {os.getloadavg()[0]:.2f}")
    if args.compare:
        compare(texts, max(1, args.rounds // 2), words)
    probes = [memory() for _ in range(3)]
    for stage in ("beam_imported", "models_loaded", "after_enriching"):
        rss = median([p[stage]["VmRSS"] for p in probes])
        peak = median([p[stage]["VmHWM"] for p in probes])
        print(f"memory, fresh process, {stage:<16}: RSS {rss} MB, peak {peak} MB (median of 3)")
    peak = median([p["after_enriching"]["VmHWM"] for p in probes])
    print(f"memory per worker with all models loaded: peak {peak} MB (target <= 400 MB)")


if __name__ == "__main__":
    main()
