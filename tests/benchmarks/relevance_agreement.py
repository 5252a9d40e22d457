"""How reliable are the relevance labels? Agreement between the test split's labels (the first
reading) and a blind second reading of every test article (issue 15).

The second reader (2026-12-07; `tests/data/relevance/second_reading.tsv`) labelled the 315 test
articles in a seeded random order against GUIDELINES.md, without the labels, their review notes or
any model score, from each article's title, lead and the passages naming either side. Disagreements
were then adjudicated by the guidelines: a label changed by that adjudication keeps its first value in
its review note ("was negative: … blind second reading …"), which is what this script compares
against, so the figures are those of the two independent readings. Per language: articles, raw
agreement, Cohen's kappa, positives in each reading and in both; then each disagreement, with the
label as it stands now. It reads labels only (no texts, no model).

    python -m tests.benchmarks.relevance_agreement
"""
from __future__ import annotations

import json
import re
from tests.benchmarks.relevance_eval import DATA, label_rows, synthetic_split, tsv_rows

SECOND = DATA / "second_reading.tsv"
LANGUAGES = ("en", "fr", "zh-Hans", "zh-Hant")
_ADJUDICATED = re.compile(r"^was (positive|negative):.*blind second reading")


def test_split() -> dict:
    """{article_id: (language, label now, label of the first reading)} of the test split: the real
    articles of labels.tsv and the synthetic ones (synthetic.jsonl; their sources ending "-b")."""
    split = {}
    for row in label_rows():
        if row["split"] == "test":
            was = _ADJUDICATED.match(row["review"])
            split[row["article_id"]] = (row["language"], row["label"], was.group(1) if was else row["label"])
    for line in (DATA / "synthetic.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if synthetic_split(row["source"]) == "test":
            split[row["id"]] = (row["lang"], row["label"], row["label"])
    return split


def second_reading() -> dict:
    """{article_id: (label, note)} of the blind second reading."""
    return {row["article_id"]: (row["label"], row["note"]) for row in tsv_rows(SECOND)}


def agreement(pairs) -> tuple:
    """(n, raw agreement, Cohen's kappa, positives first, positives second, positives in both) of
    (first is positive, second is positive) pairs."""
    n = len(pairs)
    same = sum(1 for a, b in pairs if a == b) / n
    first = sum(1 for a, _ in pairs if a)
    second = sum(1 for _, b in pairs if b)
    chance = (first * second + (n - first) * (n - second)) / (n * n)
    kappa = (same - chance) / (1 - chance) if chance < 1 else float("nan")
    return n, same, kappa, first, second, sum(1 for a, b in pairs if a and b)


def main() -> int:
    split, second = test_split(), second_reading()
    missing = sorted(set(split) - set(second))
    pairs = {}
    for article_id, (label, _) in second.items():
        language, _, first = split[article_id]
        for key in (language, "all"):
            pairs.setdefault(key, []).append((first == "positive", label == "positive"))
    print(f"second reading: {len(second)} of the {len(split)} test articles"
          + (f" ({len(missing)} not read)" if missing else ""))
    print(f"{'language':8} {'n':>4} {'agree':>6} {'kappa':>6} {'first+':>6} {'second+':>7} {'both+':>5}")
    for key in LANGUAGES + ("all",):
        if key in pairs:
            n, same, kappa, first, sec, both = agreement(pairs[key])
            print(f"{key:8} {n:4} {same:6.3f} {kappa:6.3f} {first:6} {sec:7} {both:5}")
    print("\ndisagreements (first reading / second reading / label now: the second reader's note)")
    for article_id, (label, note) in sorted(second.items()):
        language, now, first = split[article_id]
        if first != label:
            print(f"  {article_id} ({language}): {first} / {label} / {now}: {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
