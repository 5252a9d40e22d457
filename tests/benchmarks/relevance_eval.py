"""China–France relevance on the labelled evaluation set: precision/recall per language and split,
the model's training, and throughput.

    python -m tests.benchmarks.relevance_eval            # evaluate the shipped model + throughput
    python -m tests.benchmarks.relevance_eval --train    # refit on the dev split, rewrite the model

The set is tests/data/relevance/ (labels.tsv, synthetic.jsonl, GUIDELINES.md, SOURCES.md). The
texts of real articles are not committed: they are rebuilt from repository snapshots (see
sources.py) into tests/data/relevance/.cache/texts.jsonl on first use. Training uses the dev split
only; the figures that count are the test split's, per language.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

import yaml

from transforms.relevance import (FEATURES, TOPICS_DIR, load_topic, parse_topic, role_features,
                                  score_relevance)

DATA = Path(__file__).resolve().parents[1] / "data" / "relevance"
CACHE = DATA / ".cache" / "texts.jsonl"
MODEL = TOPICS_DIR / "china_france.model.json"
TOPIC_FILE = TOPICS_DIR / "china_france.yaml"
LANGUAGES = ("en", "fr", "zh-Hans", "zh-Hant")


@dataclasses.dataclass(frozen=True)
class Example:
    article_id: str
    language: str
    source: str
    split: str
    positive: bool
    title: str
    text: str


def _texts() -> dict:
    if not CACHE.exists():
        sys.path.insert(0, str(DATA))
        import sources  # noqa: E402  (rebuilds from the snapshots; slow, once)
        wanted = {line.split("\t", 1)[0] for line in (DATA / "labels.tsv").read_text().splitlines()[1:]}
        CACHE.parent.mkdir(exist_ok=True)
        with CACHE.open("w", encoding="utf-8") as out:
            for item in sources.all_items():
                if item.article_id in wanted:
                    out.write(json.dumps({"article_id": item.article_id, "title": item.title,
                                          "text": item.text}, ensure_ascii=False) + "\n")
    rows = (json.loads(line) for line in CACHE.read_text(encoding="utf-8").splitlines())
    return {row["article_id"]: row for row in rows}


def load_examples() -> list:
    texts = _texts()
    examples, missing = [], []
    lines = (DATA / "labels.tsv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    for line in lines[1:]:
        row = dict(zip(header, line.split("\t")))
        if row["article_id"] not in texts:
            missing.append(row["article_id"])
            continue
        body = texts[row["article_id"]]
        examples.append(Example(row["article_id"], row["language"], row["source"], row["split"],
                                row["label"] == "positive", body["title"], body["text"]))
    for line in (DATA / "synthetic.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        split = "dev" if row["source"].endswith("-a") else "test"
        examples.append(Example(row["id"], row["lang"], row["source"], split,
                                row["label"] == "positive", row["title"], row["text"]))
    if missing:
        print(f"warning: {len(missing)} labelled articles absent from the snapshots", file=sys.stderr)
    return examples


def train(examples, l2: float = 0.003, steps: int = 20000, rate: float = 0.5,
          min_recall: float = 0.95) -> dict:
    """Class-balanced L2 logistic regression by full-batch gradient descent (deterministic), on
    the dev split only. Then the operating point: the bias is shifted so that the topic's
    threshold (0.5, z = 0) keeps at least `min_recall` of the dev positives, halfway between the
    lowest kept positive and the next dev score below it."""
    # the topic without its model: features need only the terms (and the old model file may
    # name features that no longer exist)
    data = yaml.safe_load(TOPIC_FILE.read_text(encoding="utf-8"))
    data.pop("model", None)
    topic = parse_topic(data, str(TOPIC_FILE))
    dev = [e for e in examples if e.split == "dev"]
    X = np.array([[role_features(topic, e.title, e.text)[0][f] for f in FEATURES] for e in dev])
    y = np.array([1.0 if e.positive else 0.0 for e in dev])
    weight = np.where(y == 1, 0.5 / y.mean(), 0.5 / (1 - y.mean()))
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(X @ w + b)))
        g = (p - y) * weight
        w -= rate * (X.T @ g / len(y) + l2 * w)
        b -= rate * g.mean()
    z = X @ w + b
    positives = np.sort(z[y == 1])[::-1]
    keep = int(np.ceil(min_recall * len(positives)))     # positives that must score >= threshold
    lowest_kept = positives[keep - 1]
    below = z[z < lowest_kept]
    cut = (lowest_kept + below.max()) / 2 if below.size else lowest_kept - 0.1
    b -= cut
    return {"weights": {f: round(float(v), 4) for f, v in zip(FEATURES, w)}, "bias": round(float(b), 4),
            "trained_on": f"{len(dev)} dev articles ({int(y.sum())} positive); bias set for dev "
                          f"recall >= {min_recall} at threshold 0.5"}


def prf(pairs) -> tuple:
    tp = sum(1 for truth, kept in pairs if truth and kept)
    fp = sum(1 for truth, kept in pairs if not truth and kept)
    fn = sum(1 for truth, kept in pairs if truth and not kept)
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    return precision, recall, tp, fp, fn


def report(examples, topic, label: str) -> dict:
    decided = [(e, score_relevance(topic, e.title, e.text)) for e in examples]
    print(f"\n{label}: threshold {topic.threshold}")
    print(f"{'split':5} {'language':8} {'n':>4} {'pos':>4} {'precision':>9} {'recall':>7}  tp  fp  fn")
    figures = {}
    for split in ("dev", "test"):
        for language in LANGUAGES + ("all",):
            rows = [(e.positive, r.relevant) for e, r in decided
                    if e.split == split and language in ("all", e.language)]
            p, r, tp, fp, fn = prf(rows)
            figures[(split, language)] = (p, r)
            print(f"{split:5} {language:8} {len(rows):4} {tp + fn:4} {p:9.3f} {r:7.3f} {tp:3} {fp:3} {fn:3}")
    return figures


def throughput(examples, topic, runs: int) -> float:
    """Articles per CPU-second of this process (the machine is shared: wall time would count
    other processes' work)."""
    timings = []
    for _ in range(runs):
        start = time.process_time()
        for e in examples:
            score_relevance(topic, e.title, e.text)
        timings.append(time.process_time() - start)
    return len(examples) / statistics.median(timings)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--train", action="store_true", help="refit the model on the dev split")
    parser.add_argument("--runs", type=int, default=5, help="throughput runs (median reported)")
    args = parser.parse_args(argv)
    examples = load_examples()
    print(f"{len(examples)} articles: {sum(e.positive for e in examples)} positive; "
          f"by language {dict((l, sum(e.language == l for e in examples)) for l in LANGUAGES)}")
    if args.train:
        model = train(examples)
        MODEL.write_text(json.dumps(model, indent=2) + "\n", encoding="utf-8")
        load_topic.cache_clear()
        print("model written:", json.dumps(model))
    topic = load_topic("china_france")
    legacy = dataclasses.replace(topic, model=None, threshold=0.5)
    report(examples, legacy, "term formula (no model)")
    report(examples, topic, "role model")
    fast, slow = [], []
    for _ in range(args.runs):   # interleaved, so both see the same machine load
        fast.append(throughput(examples, topic, 1))
        slow.append(throughput(examples, legacy, 1))
    fast, slow = statistics.median(fast), statistics.median(slow)
    chars = statistics.mean(len(e.text) for e in examples)
    print(f"\nthroughput (median of {args.runs} interleaved runs, articles per CPU-second, mean "
          f"{chars:.0f} chars/article): role model {fast:,.0f}/s; term formula {slow:,.0f}/s; "
          f"ratio {fast / slow:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
