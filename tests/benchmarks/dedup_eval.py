"""Near-duplicate evaluation: precision/recall/F1 on labelled pairs, the datasketch MinHashLSH
baseline, throughput and state per article.

The pairs come from tests/benchmarks/dedup_corpus.py: real text (the extraction-benchmark
gold bodies and the seeds), syndicated variants and hard negatives, generated from --seed.
The parameters in transforms/ were chosen on a development seed (1) (--sweep for the
representation, --margin-sweep for the containment rule t + margin/n) and are reported here on
a held-out seed (2, the default; 3, 4 and 5 held out too).

    python tests/benchmarks/dedup_eval.py [--seed 2] [--rounds 5] [--streaming 500]
    python tests/benchmarks/dedup_eval.py --sweep [--dev-seed 1] [--seed 2]
    python tests/benchmarks/dedup_eval.py --margin-sweep [--dev-seed 1]
    python tests/benchmarks/dedup_eval.py --seed 1 --stories-only --cap 128   # another CAP (study)

Prints:
  * P/R/F1 of cfnews (the production `decide`) and of datasketch MinHashLSH at thresholds
    0.5 and 0.8 (128 permutations, the same normalised word shingles), overall and per kind;
  * throughput, one process, on a news stream (every story once plus two syndicated copies):
    fingerprinting alone, the in-memory dedup (fingerprint + index + decisions: the work of
    the Beam stages) and DeduplicateArticles on the FnApiRunner, measured side by side with
    the same pipeline without the stage (Create -> identity) so that start-up and Create's
    cost cancel out; also the in-memory dedup on the eval texts (each story ~37 times: many
    more candidate pairs than a real stream); medians of --rounds rounds;
  * index state per article: bytes of the bag entries as the streaming DoFn stores them.
"""
from __future__ import annotations

import argparse
import collections
import datetime as dt
import os
import statistics
import sys
import time
from typing import Dict, List, Sequence

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from tests.benchmarks.common import median, require_shared, set_cap, set_threshold  # noqa: E402

T0 = dt.datetime(2025, 12, 4, tzinfo=dt.timezone.utc)


def load(seed: int):
    from tests.benchmarks.dedup_corpus import build
    return build(seed)


def as_articles(docs) -> List:
    from cfnews.schemas import Article
    return [Article(article_id=doc_id, url=f"https://eval/{doc_id}", canonical_url=f"https://eval/{doc_id}",
                    outlet=doc.outlet, feed_url="", entry_id=doc_id, title="", text=doc.text,
                    discovered_at=T0, published_at=T0 + dt.timedelta(seconds=i))
            for i, (doc_id, doc) in enumerate(docs.items())]


def scores(predicted: Sequence[bool], pairs) -> Dict[str, float]:
    tp = sum(p and q.duplicate for p, q in zip(predicted, pairs))
    fp = sum(p and not q.duplicate for p, q in zip(predicted, pairs))
    fn = sum(not p and q.duplicate for p, q in zip(predicted, pairs))
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return dict(precision=precision, recall=recall, f1=f1, tp=tp, fp=fp, fn=fn)


def by_kind(predicted, pairs) -> str:
    out = collections.defaultdict(lambda: [0, 0])
    for p, q in zip(predicted, pairs):
        out[q.kind][0] += p == q.duplicate
        out[q.kind][1] += 1
    return ", ".join(f"{k} {ok}/{n}" for k, (ok, n) in sorted(out.items()))


# ---------------------------------------------------------------- the methods

_BACKGROUND: Dict[int, tuple] = {}


def background(seed: int):
    """The texts an evaluated pair's later text meets in the index besides the pair: a news
    stream (`stream_docs(seed)`, its first fortnight: every story once plus two syndicated
    copies, each outlet with its furniture) as (Member, sampled hashes) by id, and
    shingle_key -> the first max_bucket ids holding it (what a bucket keeps). Plain hashes
    that unrelated texts of it hold are furniture (`dedup.furniture_keys`): without it
    every pair would be decided as if no other text existed."""
    if seed not in _BACKGROUND:
        from cfnews.schemas import Article
        from cfnews.transforms.dedup import MAX_BUCKET, prepare
        from cfnews.transforms.fingerprint import shingle_key
        from tests.benchmarks.dedup_corpus import stream_docs
        prepared, holders = {}, collections.defaultdict(list)
        for doc_id, doc, hours in stream_docs(seed, fortnights=1):
            article = Article(article_id=doc_id, url=f"https://bg/{doc_id}",
                              canonical_url=f"https://bg/{doc_id}", outlet=doc.outlet,
                              feed_url="", entry_id=doc_id, title="", text=doc.text,
                              discovered_at=T0, published_at=T0 - dt.timedelta(hours=hours))
            prepared[doc_id] = prepare(article)
            for h in prepared[doc_id][1]:
                if len(holders[shingle_key(h)]) < MAX_BUCKET:
                    holders[shingle_key(h)].append(doc_id)
        _BACKGROUND[seed] = prepared, dict(holders)
    return _BACKGROUND[seed]


def cfnews_links(docs, pairs, params=None, context=None):
    """Per pair, the production `decide` of its later text against its earlier one: None,
    or a Match (Match.copy: a duplicate; else a story link, i.e. a rewrite). `context`:
    `background(seed)`, the other texts the later one meets in the index (they tell the
    furniture among its plain hashes)."""
    from cfnews.transforms.dedup import (DedupParams, decide, furniture_keys, gather,
                                         prepare, shared_with)
    from cfnews.transforms.fingerprint import shingle_key
    params = params or DedupParams()
    prepared = {a.article_id: prepare(a) for a in as_articles(docs)}
    out = []
    for q in pairs:
        (ma, ha), (mb, hb) = prepared[q.a], prepared[q.b]
        pair = (ma,) + shared_with(hb, ha)
        furniture = None
        if context:
            others, holders = context
            met = {i for h in hb for i in holders.get(shingle_key(h), ())}
            entries = [(others[i][0],) + shared_with(hb, others[i][1]) for i in sorted(met)]
            furniture = furniture_keys(mb, gather(entries + [pair]), params)
        out.append(decide(mb, [pair], params, furniture))
    return out


def cfnews_predictions(docs, pairs, params=None, context=None):
    return [m is not None and m.copy for m in cfnews_links(docs, pairs, params, context)]


def minhash_predictions(docs, pairs, thresholds=(0.5, 0.8), num_perm: int = 128):
    from datasketch import MinHash, MinHashLSH
    from cfnews.transforms.fingerprint import SHINGLE_WORDS, shingles
    sketches = {}
    for doc_id, doc in docs.items():
        m = MinHash(num_perm=num_perm, seed=1)
        m.update_batch([s.encode("utf-8") for s in set(shingles(doc.text, SHINGLE_WORDS))])
        sketches[doc_id] = m
    out = {}
    for threshold in thresholds:
        lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        for doc_id, m in sketches.items():
            lsh.insert(doc_id, m)
        out[threshold] = [q.b in set(lsh.query(sketches[q.a])) for q in pairs]
    return out


def story_report(seed: int, wire=None):
    """Copies vs rewrites on the story families (dedup_corpus.story_pairs): which pairs the
    production `decide` files as duplicates, by kind; and story_id pairing as written by the
    in-memory dedup (the pipeline's decisions) over the families and the wire-copy set
    together: precision over the labelled pairs that share a story_id (family pairs: same
    story or not; every wire-set pair: copies are the same story, negatives are not), recall
    of the families' same-story pairs."""
    from tests.benchmarks.dedup_corpus import story_pairs
    from cfnews.transforms.dedup import dedup_in_memory
    docs, pairs = story_pairs(seed)
    links = cfnews_links(docs, pairs, context=background(seed))
    kinds = collections.Counter(q.kind for q in pairs)
    in_dups = collections.Counter(q.kind for m, q in zip(links, pairs) if m is not None and m.copy)
    print(f"story families: {len(docs)} texts; pairs filed as duplicates by kind: "
          + ", ".join(f"{k} {in_dups[k]}/{n}" for k, n in sorted(kinds.items())))
    print(f"  rewrite pairs in duplicates: {in_dups['rewrite']}; family copies found: "
          f"{in_dups['family_copy']}/{kinds['family_copy']}")
    wire_docs, wire_pairs = wire or load(seed)
    all_docs = dict(wire_docs)
    all_docs.update(docs)
    kept, dups = dedup_in_memory(as_articles(all_docs))
    story = {a.article_id: a.story_id for a in kept}
    story.update({d.article.article_id: d.article.story_id for d in dups})
    labelled = [(q.a, q.b, q.same_story, "family") for q in pairs]
    labelled += [(q.a, q.b, q.duplicate, "wire") for q in wire_pairs]
    together = [(same, where) for a, b, same, where in labelled if story[a] == story[b]]
    tp = sum(same for same, _ in together)
    wrong = collections.Counter(where for same, where in together if not same)
    positives = sum(q.same_story for q in pairs)
    found = sum(story[q.a] == story[q.b] for q in pairs if q.same_story)
    rewrites = [q for q in pairs if q.kind == "rewrite"]
    print(f"  story_id pairing over {len(labelled)} labelled pairs: precision "
          f"{tp / len(together) if together else 1.0:.4f} ({sum(wrong.values())} wrong: "
          f"{dict(wrong)}); family same-story recall {found / positives:.4f} ({found}/{positives}); "
          f"rewrite pairs sharing a story_id {sum(story[q.a] == story[q.b] for q in rewrites)}"
          f"/{len(rewrites)}")


# ---------------------------------------------------------------- sweep

def pair_features(docs, pairs, k: int, cap: int):
    """(shared, containment, same outlet) per pair for one representation."""
    from cfnews.transforms.dedup import Member, similarity
    from cfnews.transforms.fingerprint import BASE_RATE, sample, shingle_hashes, token_bytes
    fps = {d: sample(shingle_hashes(token_bytes(doc.text), k), BASE_RATE, cap) for d, doc in docs.items()}
    sets = {d: set(f.hashes) for d, f in fps.items()}
    rows = []
    for q in pairs:
        fa, fb = fps[q.a], fps[q.b]
        shared = len(sets[q.a] & sets[q.b])
        containment, _ = similarity(Member(0, q.a, 0, fa.level, fa.counts),
                                    Member(0, q.b, 0, fb.level, fb.counts), shared)
        rows.append((shared, containment, docs[q.a].outlet == docs[q.b].outlet))
    return rows, statistics.mean(len(f.hashes) for f in fps.values())


def predict(rows, t, t_same, m):
    return [s >= m and c >= (t_same if same else t) for s, c, same in rows]


def sweep(dev_seed: int, seed: int):
    grid_t = [round(0.25 + 0.05 * i, 2) for i in range(10)]
    grid_same = [0.5, 0.6, 0.65, 0.7, 0.8, 0.9]
    grid_m = [3, 5, 8, 12]
    sets = {"dev": load(dev_seed), "test": load(seed)}
    print(f"sweep: thresholds chosen on dev seed {dev_seed} (best F1 with precision >= 0.99; "
          f"ties -> middle of the plateau), then applied to test seed {seed}")
    print(f"{'k':>2} {'cap':>6} {'hashes':>6} | {'t':>5} {'t_same':>6} {'m':>3} | "
          f"{'dev F1':>7} {'P':>6} {'R':>6} | {'test F1':>7} {'P':>6} {'R':>6}")
    for k in (3, 4, 5, 6):
        for cap in (48, 64, 96, 128, 192, 10**6):
            feats = {name: pair_features(docs, pairs, k, cap) for name, (docs, pairs) in sets.items()}
            dev_rows, n_hashes = feats["dev"]
            dev_pairs = sets["dev"][1]
            candidates = []
            for t in grid_t:
                for ts in grid_same:
                    if ts < t:
                        continue
                    for m in grid_m:
                        s = scores(predict(dev_rows, t, ts, m), dev_pairs)
                        if s["precision"] >= 0.99:
                            candidates.append((round(s["f1"], 4), t, ts, m, s))
            if not candidates:
                continue
            best_f1 = max(c[0] for c in candidates)
            plateau = [c for c in candidates if c[0] == best_f1]
            f1, t, ts, m, s = plateau[len(plateau) // 2]
            test = scores(predict(feats["test"][0], t, ts, m), sets["test"][1])
            cap_label = "none" if cap >= 10**6 else str(cap)
            print(f"{k:>2} {cap_label:>6} {n_hashes:>6.1f} | {t:>5.2f} {ts:>6.2f} {m:>3} | "
                  f"{s['f1']:>7.4f} {s['precision']:>6.4f} {s['recall']:>6.4f} | "
                  f"{test['f1']:>7.4f} {test['precision']:>6.4f} {test['recall']:>6.4f}")
    from cfnews.transforms.dedup import CONTAINMENT_THRESHOLD, MIN_SHARED, SAME_OUTLET_THRESHOLD
    from cfnews.transforms.fingerprint import CAP, SHINGLE_WORDS
    print(f"\nF1 (fp/fn) by containment threshold, k={SHINGLE_WORDS} cap={CAP} "
          f"t_same={SAME_OUTLET_THRESHOLD} m={MIN_SHARED}:")
    for name, (docs, pairs) in sets.items():
        rows, _ = pair_features(docs, pairs, SHINGLE_WORDS, CAP)
        cells = []
        for t in grid_t + [0.75, 0.8]:
            s = scores(predict(rows, t, max(t, SAME_OUTLET_THRESHOLD), MIN_SHARED), pairs)
            cells.append(f"{t:.2f}:{s['f1']:.4f}({s['fp']}/{s['fn']})")
        print(f"  {name}: " + " ".join(cells))
    print(f"  chosen: t={CONTAINMENT_THRESHOLD}")


def margin_sweep(dev_seed: int):
    """The rule `containment >= t + margin / n` (n: the hashes the containment rests on;
    t_same within one outlet) with the production fingerprints, plain-text test and
    min_shared, swept on the dev seed only: best F1 at precision >= 0.99 per margin, and the
    plateau of (t, t_same) reaching it. The chosen point is the middle of the widest plateau."""
    import numpy as np
    from cfnews.transforms.dedup import (DedupParams, compared_count, prepare, shared_with,
                                         shares_plain_text, similarity)
    params = DedupParams()
    docs, pairs = load(dev_seed)
    prepared = {a.article_id: prepare(a) for a in as_articles(docs)}
    rows = []
    for q in pairs:
        (ma, ha), (mb, hb) = prepared[q.a], prepared[q.b]
        n, plain, _quoted = shared_with(hb, ha)
        copy_text = n >= params.min_shared and shares_plain_text(mb, ma, len(plain), params)
        rows.append((similarity(mb, ma, n)[0], max(compared_count(ma, mb), 1),
                     ma.outlet == mb.outlet, copy_text, q.duplicate))
    c, n, same, ok, truth = (np.array(col) for col in zip(*rows))
    print(f"margin sweep on dev seed {dev_seed}: containment >= t + margin/n (one outlet: t_same)")
    for margin in range(0, 11):
        best = None
        for t in np.arange(0.10, 0.455, 0.01):
            for ts in np.arange(0.30, 0.705, 0.01):
                predicted = ok & (c >= np.where(same, ts, t) + margin / n - 1e-9)
                tp = int((predicted & truth).sum())
                fp = int((predicted & ~truth).sum())
                fn = int((~predicted & truth).sum())
                precision = tp / (tp + fp) if tp + fp else 1.0
                recall = tp / (tp + fn)
                if precision < 0.99:
                    continue
                f1 = round(2 * precision * recall / (precision + recall), 4)
                if best is None or f1 > best[0]:
                    best = (f1, fp, fn, [])
                if f1 == best[0]:
                    best[3].append((round(t, 2), round(ts, 2)))
        if best:
            ts_ = [x[0] for x in best[3]], [x[1] for x in best[3]]
            print(f"  margin {margin:>2}: F1 {best[0]:.4f} (fp {best[1]}, fn {best[2]}); plateau "
                  f"t {min(ts_[0]):.2f}-{max(ts_[0]):.2f}, t_same {min(ts_[1]):.2f}-{max(ts_[1]):.2f} "
                  f"({len(best[3])} points)")
    print(f"  production: t={params.threshold} t_same={params.same_outlet_threshold} "
          f"margin={params.margin}")


# ---------------------------------------------------------------- throughput and state

def stream_articles(seed: int) -> List:
    from cfnews.schemas import Article
    from tests.benchmarks.dedup_corpus import stream_docs
    return [Article(article_id=doc_id, url=f"https://eval/{doc_id}", canonical_url=f"https://eval/{doc_id}",
                    outlet=doc.outlet, feed_url="", entry_id=doc_id, title="", text=doc.text,
                    discovered_at=T0, published_at=T0 + dt.timedelta(hours=hours))
            for doc_id, doc, hours in stream_docs(seed)]


class Clock:
    """Wall and CPU seconds of a block. CPU time (this process, all threads) is the fair
    per-core figure on a machine shared with other work; wall time is shown beside it."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def _beam_run(articles, dedup: bool) -> Clock:
    import apache_beam as beam
    from cfnews.transforms.dedup import DeduplicateArticles
    with Clock() as clock:
        with beam.Pipeline(runner="FnApiRunner") as p:
            articles_in = p | beam.Create(articles)
            if dedup:
                kept, dups = articles_in | DeduplicateArticles()
                out = (kept, dups) | beam.Flatten()
            else:
                out = articles_in | beam.Map(lambda a: a)
            out | beam.combiners.Count.Globally()
    return clock


def _streaming_run(articles) -> Clock:
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
    from apache_beam.testing.test_stream import TestStream
    from apache_beam.transforms.window import TimestampedValue
    from cfnews.transforms.dedup import micros
    from cfnews.transforms.dedup_stream import StreamingDeduplicate
    ordered = sorted(articles, key=lambda a: a.event_time)
    stream = TestStream()
    for i in range(0, len(ordered), 50):
        chunk = ordered[i:i + 50]
        stream = stream.advance_watermark_to(micros(chunk[0].event_time) / 1e6 - 1).add_elements(
            [TimestampedValue(a, micros(a.event_time) / 1e6) for a in chunk])
    stream = stream.advance_watermark_to(micros(ordered[-1].event_time) / 1e6 + 86400)
    options = PipelineOptions([])
    options.view_as(StandardOptions).streaming = True
    with Clock() as clock:
        with beam.Pipeline(runner="BundleBasedDirectRunner", options=options) as p:
            kept, dups = p | stream.advance_watermark_to_infinity() | StreamingDeduplicate()
            (kept, dups) | beam.Flatten() | beam.Map(lambda _: None)
    return clock


def throughput(stream, eval_articles, rounds: int, streaming: int):
    from cfnews.transforms.dedup import dedup_in_memory
    from cfnews.transforms.fingerprint import fingerprint
    n = len(stream)
    rates = collections.defaultdict(list)
    loads = []
    for _ in range(rounds):
        loads.append(os.getloadavg()[0])
        with Clock() as c:
            for a in stream:
                fingerprint(a.text)
        rates["fingerprint only"].append((n / c.cpu, n / c.wall))
        with Clock() as c:
            dedup_in_memory(stream)
        rates["dedup in memory (fingerprint + index + decide)"].append((n / c.cpu, n / c.wall))
        with_dedup, without = _beam_run(stream, True), _beam_run(stream, False)
        rates["DeduplicateArticles on FnApiRunner: the stage (run minus Create->identity run)"].append(
            (n / (with_dedup.cpu - without.cpu), n / (with_dedup.wall - without.wall)))
        rates["DeduplicateArticles on FnApiRunner: whole pipeline, start-up included"].append(
            (n / with_dedup.cpu, n / with_dedup.wall))
        with Clock() as c:
            dedup_in_memory(eval_articles)
        rates[f"dedup in memory, eval texts ({len(eval_articles)}; each story ~37 times)"].append(
            (len(eval_articles) / c.cpu, len(eval_articles) / c.wall))
    if streaming:
        for _ in range(rounds):
            c = _streaming_run(stream[:streaming])
            rates[f"StreamingDeduplicate on BundleBasedDirectRunner ({streaming} articles)"].append(
                (streaming / c.cpu, streaming / c.wall))
    words = statistics.mean(len(a.text.split()) for a in stream)
    print(f"throughput, one process, median of {rounds} rounds; 1-min load average at the rounds "
          f"{[round(x, 1) for x in loads]} on {os.cpu_count()} cores shared with other work.")
    print(f"  stream: {n} articles ({words:.0f} words on average): every story once plus 2 "
          f"syndicated copies, 4 fortnights")
    print(f"  {'':<84} {'per CPU-s':>9} {'per wall-s':>10}")
    for label, values in rates.items():
        cpu, wall = median([v[0] for v in values]), median([v[1] for v in values])
        print(f"  {label:<84} {cpu:9.0f} {wall:10.0f}   cpu runs {[round(v[0]) for v in values]}")


def state_per_article(docs):
    """Keyed state per article in StreamingDeduplicate, from the coders the DoFns use:
    * index: one bag entry per sampled hash (hash suffix + member), kept `expiry`;
    * decision: the id key and a 'done' flag, kept `expiry` after the decision;
    * number sketches: the id key and the article's sketch, kept `expiry`;
    * chains: per round r, the id key and a pointer, kept 2**r * `expiry`; weighted by that
      retention, i.e. counted as the bytes each article adds to the steady state of a stream
      that keeps `expiry` of articles in the index.
    Per-key and per-timer overhead of the runner itself (a few dozen bytes per key on
    Dataflow) is shared by the ~N entries of a bucket and is not counted."""
    from apache_beam.coders import BooleanCoder, PickleCoder, StrUtf8Coder
    from cfnews.transforms.dedup import prepare
    from cfnews.transforms import dedup_stream
    from cfnews.transforms.dedup_stream import RESOLVE_ROUNDS, state_bytes_per_posting
    from cfnews.transforms.urls import article_id_for
    index, per_article, hashes = [], [], []
    for a in as_articles(docs):
        member, hs = prepare(a)
        real_id = article_id_for(a.canonical_url)                    # real ids: 16 hex digits
        member = member._replace(article_id=real_id)
        key = len(StrUtf8Coder().encode(real_id)) + 8                # key + a timer timestamp
        decision = key + len(BooleanCoder().encode(True))
        if hasattr(dedup_stream, "state_bytes_of_sketch"):     # the sketch store, kept `expiry`
            decision += key + dedup_stream.state_bytes_of_sketch(member)
        pointers = sum((key + len(PickleCoder().encode(real_id))) * 2 ** r for r in range(RESOLVE_ROUNDS))
        index.append(sum(state_bytes_per_posting(h, member) for h in hs))
        per_article.append(decision + pointers)
        hashes.append(len(hs))
    total = sorted(i + p for i, p in zip(index, per_article))
    print(f"state per article, StreamingDeduplicate, {len(total)} texts: index entries mean "
          f"{statistics.mean(index):.0f} B (max {max(index)} B, {statistics.mean(hashes):.1f} "
          f"hashes mean, {max(hashes)} max) + decision flag and chain pointers "
          f"{statistics.mean(per_article):.0f} B = mean {statistics.mean(total):.0f} B, "
          f"p99 {total[int(0.99 * len(total))]} B, max {total[-1]} B")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--dev-seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sweep", action="store_true")
    parser.add_argument("--margin-sweep", action="store_true",
                        help="sweep the containment rule t + margin/n on --dev-seed only")
    parser.add_argument("--stories-only", action="store_true",
                        help="stop after the quality figures (no state or throughput)")
    parser.add_argument("--cap", type=int, default=0,
                        help="fingerprint CAP for this run (study; default: fingerprint.CAP)")
    parser.add_argument("--threshold", type=float, default=0.0,
                        help="two-outlet containment base for this run (study; default: "
                             "dedup.CONTAINMENT_THRESHOLD)")
    parser.add_argument("--same-outlet-threshold", type=float, default=0.0,
                        help="one-outlet containment base for this run (study)")
    parser.add_argument("--streaming", type=int, default=0, metavar="N",
                        help="also time StreamingDeduplicate on the direct runner over N articles")
    args = parser.parse_args()
    require_shared()
    if args.cap:
        set_cap(args.cap)
        print(f"fingerprint CAP {args.cap} (study: set for this run)")
    if args.threshold or args.same_outlet_threshold:
        set_threshold(args.threshold, args.same_outlet_threshold)
        print(f"containment bases two outlets {args.threshold or 'default'}, one outlet "
              f"{args.same_outlet_threshold or 'default'} (study: set for this run)")
    if args.sweep:
        sweep(args.dev_seed, args.seed)
        return
    if args.margin_sweep:
        margin_sweep(args.dev_seed)
        return
    docs, pairs = load(args.seed)
    kinds = collections.Counter((q.kind, q.duplicate) for q in pairs)
    print(f"seed {args.seed}: {len(docs)} texts, {sum(q.duplicate for q in pairs)} positive and "
          f"{sum(not q.duplicate for q in pairs)} negative pairs")
    print("  " + ", ".join(f"{k}{'+' if d else '-'} {n}" for (k, d), n in sorted(kinds.items())))
    results = {"cfnews (containment)": cfnews_predictions(docs, pairs,
                                                          context=background(args.seed))}
    for threshold, predicted in minhash_predictions(docs, pairs).items():
        results[f"MinHashLSH threshold {threshold}"] = predicted
    print(f"{'method':<28} {'precision':>9} {'recall':>7} {'F1':>7} {'FP':>4} {'FN':>4}")
    for name, predicted in results.items():
        s = scores(predicted, pairs)
        print(f"{name:<28} {s['precision']:>9.4f} {s['recall']:>7.4f} {s['f1']:>7.4f} "
              f"{s['fp']:>4} {s['fn']:>4}")
    for name, predicted in results.items():
        print(f"  {name} correct by kind: {by_kind(predicted, pairs)}")
    story_report(args.seed, (docs, pairs))
    if args.stories_only:
        return
    state_per_article(docs)
    throughput(stream_articles(args.seed), as_articles(docs), args.rounds, args.streaming)


if __name__ == "__main__":
    main()
