"""`cfnews report` on a large synthetic lake: wall time and peak memory (target: 500,000
articles in <= 30 s and <= 1 GB peak RSS).

The lake has the project's own schemas (schemas/arrow.py) and Hive layout: articles over
180 days x 12 outlets, with entity lists drawn from a skewed vocabulary, plus duplicates
(wire copies of random articles) and rejected rows. Texts are short random word strings (the
report never reads them, but the files carry them as real ones do).

    .venv/bin/python tests/benchmarks/report_scale.py [--articles 500000] [--runs 3] [--lake DIR]
        [--since YYYY-MM-DD|Nd]    # a window, alternated with runs over the whole lake
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from cfnews.schemas.arrow import schema_for  # noqa: E402

OUTLETS = [f"outlet-{i:02d}" for i in range(12)]
DAYS = 180
START = dt.date(2026, 1, 1)
LANGS = np.array(["en", "fr", "zh", "de", "es"])


def _names(prefix: str, n: int):
    return np.array([f"{prefix} {i}" for i in range(n)], dtype=object)


PEOPLE, ORGS, PLACES = _names("Person", 3000), _names("Org", 1500), _names("Place", 800)
WORDS = np.array("China France Paris Beijing trade talks minister summit export wine "
                 "nuclear aviation president visit agreement tariff market".split())


def _lists(rng, vocab, n_rows, max_len=4):
    """n_rows lists of distinct names, Zipf-skewed, 0..max_len each."""
    lengths = rng.integers(0, max_len + 1, n_rows)
    picks = np.minimum(rng.zipf(1.3, lengths.sum()) - 1, len(vocab) - 1)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(vocab[picks], pa.string()))


def _table(dataset, columns, n):
    schema = schema_for(dataset)
    arrays = []
    for field in schema:
        if field.name in columns:
            arrays.append(pa.array(columns[field.name], field.type)
                          if not isinstance(columns[field.name], pa.Array)
                          else columns[field.name].cast(field.type))
        else:
            arrays.append(pa.nulls(n, field.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def _write(lake: Path, dataset: str, date: dt.date, outlet: str, table: pa.Table):
    folder = lake / dataset / f"date={date.isoformat()}" / f"outlet={outlet}"
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, folder / "part-bench-0000.parquet", compression="zstd")


def build_lake(lake: Path, articles: int, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    partitions = [(START + dt.timedelta(days=d), o) for d in range(DAYS) for o in OUTLETS]
    per = articles // len(partitions)
    extra = articles - per * len(partitions)
    serial = 0
    ids = []
    for k, (date, outlet) in enumerate(partitions):
        n = per + (1 if k < extra else 0)
        article_ids = [f"{serial + i:016x}" for i in range(n)]
        serial += n
        ids.extend(article_ids[: max(1, n // 5)])
        base = dt.datetime.combine(date, dt.time(), dt.timezone.utc)
        published = [base + dt.timedelta(seconds=int(s)) for s in rng.integers(0, 86400, n)]
        text = [" ".join(rng.choice(WORDS, 80)) for _ in range(n)]
        cols = {
            "schema_version": [1] * n, "article_id": article_ids, "cluster_id": article_ids,
            "url": [f"https://{outlet}.example/{a}" for a in article_ids],
            "canonical_url": [f"https://{outlet}.example/{a}" for a in article_ids],
            "title": [f"Story {a}" for a in article_ids], "text": text,
            "word_count": [80] * n, "language": LANGS[rng.integers(0, len(LANGS), n)].tolist(),
            "published_at": published, "discovered_at": published, "written_at": published,
            "people": _lists(rng, PEOPLE, n), "organizations": _lists(rng, ORGS, n),
            "places": _lists(rng, PLACES, n), "run_id": ["bench"] * n,
        }
        _write(lake, "articles", date, outlet, _table("articles", cols, n))
    # wire copies: a fifth of the articles' count, each a copy of a random earlier article
    n_dup = articles // 5
    for k, (date, outlet) in enumerate(partitions):
        n = n_dup // len(partitions)
        canon = [ids[i] for i in rng.integers(0, len(ids), n)]
        base = dt.datetime.combine(date, dt.time(), dt.timezone.utc)
        when = [base + dt.timedelta(seconds=int(s)) for s in rng.integers(0, 86400, n)]
        dup_ids = [f"d{k:05d}{i:010x}" for i in range(n)]
        cols = {"schema_version": [1] * n, "article_id": dup_ids, "cluster_id": canon,
                "canonical_id": canon, "url": [f"https://{outlet}.example/{d}" for d in dup_ids],
                "title": [f"Copy {c}" for c in canon], "published_at": when,
                "discovered_at": when, "method": ["near_duplicate"] * n,
                "containment": rng.uniform(0.6, 1.0, n).tolist()}
        _write(lake, "duplicates", date, outlet, _table("duplicates", cols, n))
    n_rej = articles // 2
    stages = np.array(["fetch.http_error", "extract.too_short", "relevance.not_relevant",
                       "fetch.timeout"])
    for k, (date, outlet) in enumerate(partitions):
        n = n_rej // len(partitions)
        picked = stages[rng.integers(0, len(stages), n)]
        at = dt.datetime.combine(date, dt.time(12), dt.timezone.utc)
        cols = {"schema_version": [1] * n, "stage": [p.split(".")[0] for p in picked],
                "reason": [p.split(".")[1] for p in picked], "at": [at] * n,
                "url": [f"https://{outlet}.example/r{k}-{i}" for i in range(n)]}
        _write(lake, "rejected", date, outlet, _table("rejected", cols, n))


def run_report(lake: Path, html: Path, since: str = ""):
    """(seconds, peak RSS in MiB) of `python -m cfnews report` as a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "cfnews", "report", "--out", str(lake),
                           "--html", str(html)] + (["--since", since] if since else []),
                          cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if done.returncode != 0:
        raise SystemExit(f"report failed ({done.returncode}): {done.stderr[-2000:]}")
    # ru_maxrss of children is the largest child so far: each run is measured in a fresh
    # benchmark process (see main) so earlier children cannot mask it
    return seconds, max(peak, before) / 1024, done.stdout.strip()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=500_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--lake", default=None, help="reuse or build the lake here")
    parser.add_argument("--since", default="", help="also time reports of this window, "
                        "alternated with the whole lake's")
    parser.add_argument("--one-run", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    lake = Path(args.lake or Path(tempfile.gettempdir()) / f"cfnews-lake-{args.articles}")
    if not (lake / "articles").exists():
        started = time.perf_counter()
        build_lake(lake, args.articles)
        print(f"built {lake} ({args.articles} articles) in {time.perf_counter() - started:.0f}s")
    if args.one_run:
        seconds, peak, line = run_report(lake, lake / "report.html", args.since)
        print(f"RUN {seconds:.2f} {peak:.0f} {line}")
        return 0
    windows = ["", args.since] if args.since else [""]
    times, peaks = {w: [] for w in windows}, {w: [] for w in windows}
    for i in range(args.runs):  # each run in a fresh process: ru_maxrss is per-process-tree
        for window in windows:
            out = subprocess.run([sys.executable, __file__, "--articles", str(args.articles),
                                  "--lake", str(lake), "--one-run", "--since", window],
                                 capture_output=True, text=True)
            line = [l for l in out.stdout.splitlines() if l.startswith("RUN ")]
            if not line:
                raise SystemExit(out.stdout + out.stderr)
            _, seconds, peak, summary = line[0].split(" ", 3)
            times[window].append(float(seconds))
            peaks[window].append(float(peak))
            print(f"run {i + 1}{' since ' + window if window else ''}: {float(seconds):.1f}s, "
                  f"peak RSS {float(peak):.0f} MiB  ({summary})")
    for window in windows:
        t, p = sorted(times[window]), sorted(peaks[window])
        print(f"cfnews report{' --since ' + window if window else ''}, {args.articles} articles: "
              f"median {t[len(t) // 2]:.1f}s (target <= 30 s), median peak RSS "
              f"{p[len(p) // 2]:.0f} MiB (max {p[-1]:.0f}; target <= 1024 MiB) over {len(t)} runs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
