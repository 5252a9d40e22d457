"""Throughput of the whole pipeline vs. the same libraries in a plain loop.

The 181 real pages of ../shared/corpora/extraction-benchmark are served from a loopback
server behind one RSS feed. Each round measures, side by side, each in a fresh process
(so nothing one measurement loads speeds up another), from cold (library imports, models
and langdetect profiles loaded inside the timed region; Python's start-up and the import of
Beam and cfnews outside it):
  * loop:      requests.get -> trafilatura.bare_extraction -> detect_language -> spaCy NER
               (the raw library cost);
  * in_memory: the cfnews pipeline (FnApiRunner, one worker), relevance filter off,
               from feed poll to Parquet, run_job to its return;
  * multi_processing: the same with --direct_running_mode=multi_processing --direct_num_workers=2,
               worker start-up and shutdown included: cfnews' default, workers forked from
               a warm zygote (pipeline/local_workers.py);
  * spawned_workers: the same with --local_worker_start=spawn (each worker a fresh
               interpreter running cfnews' entry point: Beam's harness, then a quick exit);
  * beam_workers: the same on Beam's own worker processes (pipeline.local_runner bypassed).
Prints each round (wall and CPU seconds of the process tree, the zygote and workers
included) and the medians of the ratios pipeline/loop and in_memory/<each multi_processing
variant>.

    python tests/benchmarks/throughput.py [--rounds 3] [--copies N] [--baseline CHECKOUT]

With --baseline, every measurement is also made with another checkout of cfnews (its own
tests/benchmarks/throughput.py, run by its own .venv's Python) against the same server, in
the same round, the order alternating; the ratios of this tree's figures to the baseline's are
then printed: "not worse" is settled side by side, not against another session's numbers.
Both wall-time (pages/s) and CPU-time ratios are printed; on a machine other jobs share, the
CPU ratio is the steadier of the two.
"""
from __future__ import annotations

import argparse
import datetime as dt
import email.utils
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from tests.benchmarks.common import benchmark_pages, median, require_shared  # noqa: E402
from tests.conftest import LocalServer  # noqa: E402


def serve(pages, copies: int = 1):
    """The pages behind one RSS feed, /feed-0.xml. With copies > 1, each copy of every page
    is served again under another URL, in a feed of its own (/feed-1.xml ...) for another
    outlet: a job `copies` times bigger of the same real pages."""
    server = LocalServer()
    for copy in range(copies):
        items = []
        for i, (page_id, html) in enumerate(sorted(pages.items())):
            name = page_id if copy == 0 else f"{page_id}-{copy}"
            url = server.add(f"/p/{name}.html", html)
            date = email.utils.format_datetime(
                dt.datetime(2025, 12, 1, 8, i % 60, tzinfo=dt.timezone.utc))
            items.append(f"<item><title>Page {i}</title><link>{url}</link>"
                         f"<guid isPermaLink='false'>{name}</guid><pubDate>{date}</pubDate></item>")
        feed = ("<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
                "<title>bench</title>" + "".join(items) + "</channel></rss>")
        server.add(f"/feed-{copy}.xml", feed, content_type="application/rss+xml")
    return server


def bench_feeds(base_url: str, copies: int):
    from cfnews.schemas import FeedSource
    return [FeedSource(outlet=f"bench{copy}", url=f"{base_url}/feed-{copy}.xml", language="en",
                       country="US") for copy in range(copies)]


def plain_loop(urls):
    """The same libraries called directly. Timed from cold, like the pipeline runs: library
    imports, langdetect's profiles and each spaCy model (loaded when its language first
    appears) are inside the timed region."""
    import requests
    start = time.perf_counter()
    import trafilatura
    from cfnews.transforms.entities import extract_entities_batch, load_ner
    from cfnews.transforms.language import detect_language
    session = requests.Session()
    texts = {"en": [], "fr": []}
    n = 0
    for url in urls:
        html = session.get(url, timeout=10).text
        doc = trafilatura.bare_extraction(html, url=url, with_metadata=True,
                                          include_comments=False, include_tables=False)
        if doc is None or not doc.text:
            continue
        lang = detect_language(doc.text, doc.title or "").code
        n += 1
        if lang in texts:
            texts[lang].append(doc.text)
    for lang, batch in texts.items():
        if batch:
            extract_entities_batch(load_ner(lang), batch)
    return n, time.perf_counter() - start


MODES = {"in_memory": ["--direct_running_mode=in_memory"],
         "multi_processing": ["--direct_running_mode=multi_processing", "--direct_num_workers=2"],
         # workers as fresh interpreters (cfnews' entry point: no finalisation)
         "spawned_workers": ["--direct_running_mode=multi_processing", "--direct_num_workers=2",
                             "--local_worker_start=spawn"],
         # Beam's own worker processes (pipeline.local_runner not used)
         "beam_workers": ["--direct_running_mode=multi_processing", "--direct_num_workers=2"]}


def pipeline_run(base_url, extra_args, allow, copies=1):
    """One pipeline run in this process; returns (summary, seconds from run_job to its end).
    With copies > 1 the cross-outlet near-duplicate threshold is set to 1, the most the option
    takes (its bar is 1 + margin / n, above any containment: nothing merges),
    so the copies are all processed as articles: the job really is `copies` times bigger."""
    from cfnews.pipeline.runner import make_options, run_job
    keep_copies = copies > 1
    with tempfile.TemporaryDirectory() as out:
        options = make_options(["--runner=FnApiRunner", *extra_args], out=out, all_topics=True,
                               reprocess=True, allow_hosts=[allow], min_host_delay=0.0,
                               dedup_threshold=1.0 if keep_copies else None)
        start = time.perf_counter()
        summary = run_job(options, feeds=bench_feeds(base_url, copies))
        elapsed = time.perf_counter() - start
    assert summary.adds_up, summary.render()
    return summary, elapsed


def cpu_seconds() -> float:
    """CPU time of this process and of its reaped descendants (the SDK worker processes)."""
    import resource
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def child_command(mode, base_url, allow, urls_file, copies=1, checkout=None) -> list:
    """The command line of one measurement in a fresh interpreter (see `child`); with
    `checkout`, that checkout's benchmark under its own virtual environment."""
    python, script = sys.executable, os.path.abspath(__file__)
    if checkout:
        python = os.path.join(checkout, ".venv", "bin", "python")
        script = os.path.join(checkout, "tests", "benchmarks", "throughput.py")
    return [python, script, "--child", mode, "--feed", base_url,
            "--allow", allow, "--urls", urls_file, "--copies", str(copies)]


def child_result(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


def fresh_run(mode, base_url, allow, urls_file, copies, checkout=None):
    """One measurement in a fresh interpreter, as `cfnews run` would be: nothing preloaded
    by an earlier measurement. Python's start-up and the imports of Beam and cfnews are not
    timed; everything from the first library call (loop) or run_job (pipeline) on is,
    including each worker's start, imports and model loading."""
    import subprocess
    import signal
    done = subprocess.run(child_command(mode, base_url, allow, urls_file, copies, checkout),
                          capture_output=True, text=True)
    if done.returncode == -signal.SIGABRT and done.stdout.strip() and checkout:
        # An older checkout's child returns from main() and can abort in Arrow's thread
        # teardown at interpreter exit (the known exit 134) after printing its figures:
        # they were measured; say so rather than lose the round.
        print(f"  ({checkout}: {mode} child aborted at exit after its result)", flush=True)
    elif done.returncode != 0:
        raise RuntimeError(f"{mode} child exited {done.returncode}:\n{done.stderr[-3000:]}")
    return child_result(done.stdout)


def child(mode, base_url, allow, urls_file, copies):
    import cfnews.pipeline.runner  # (Beam's and cfnews' imports are not timed)
    if mode == "beam_workers":
        cfnews.pipeline.runner.runner_for = lambda options: None
    cpu_before = cpu_seconds()
    if mode == "loop":
        with open(urls_file) as handle:
            n, elapsed = plain_loop(handle.read().split())
        result = {"extracted": n}
    else:
        summary, elapsed = pipeline_run(base_url, MODES[mode], allow, copies)
        result = {"articles": summary.written.get("articles", 0),
                  "duplicates": summary.written.get("duplicates", 0),
                  "rejected": summary.entry_rejected}
    result.update(seconds=elapsed, cpu=cpu_seconds() - cpu_before)
    print(json.dumps(result), flush=True)
    sys.stderr.flush()
    os._exit(0)  # as `cfnews` leaves: skip the interpreter teardown where Arrow can abort (134)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", choices=["loop", *MODES], help=argparse.SUPPRESS)
    parser.add_argument("--feed", help=argparse.SUPPRESS)
    parser.add_argument("--allow", help=argparse.SUPPRESS)
    parser.add_argument("--urls", help=argparse.SUPPRESS)
    parser.add_argument("--copies", type=int, default=1,
                        help="serve each page N times (a bigger job; near-dup merging off)")
    parser.add_argument("--baseline", metavar="CHECKOUT",
                        help="another cfnews checkout (with its .venv) measured side by side")
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.feed, args.allow, args.urls, args.copies)
    require_shared()
    pages = benchmark_pages()
    server = serve(pages, args.copies)
    urls = [server.url(f"/p/{k if c == 0 else f'{k}-{c}'}.html")
            for k in sorted(pages) for c in range(args.copies)]
    base_url = server.base_url
    modes = ["loop", *MODES]
    rate = {mode: [] for mode in modes}
    cpu = {mode: [] for mode in modes}
    speedups = {mode: [] for mode in MODES if mode != "in_memory"}
    costs = []
    base = Side() if args.baseline else None
    print(f"{len(pages)} pages x {args.copies} = {len(urls)} entries; rounds: {args.rounds}; "
          "each measurement in a fresh process")
    try:
        with tempfile.NamedTemporaryFile("w", suffix=".txt") as urls_file:
            urls_file.write("\n".join(urls))
            urls_file.flush()
            for r in range(args.rounds):
                order = modes if r % 2 == 0 else modes[::-1]   # no mode always goes first
                runs, base_runs = {}, {}
                for mode in order:  # this tree and the baseline take turns going first
                    sides = [(runs, None), (base_runs, args.baseline)] if base else [(runs, None)]
                    for results, checkout in (sides if r % 2 == 0 else sides[::-1]):
                        results[mode] = fresh_run(mode, base_url, server.host_port,
                                                  urls_file.name, args.copies, checkout)
                if base:
                    base.add(base_runs, len(urls))
                    print(f"  baseline round {r + 1}: " + base.last_line(), flush=True)
                for mode in modes:
                    rate[mode].append(len(urls) / runs[mode]["seconds"])
                    cpu[mode].append(runs[mode]["cpu"])
                for mode in MODES:
                    if mode != "in_memory":
                        speedups[mode].append(runs["in_memory"]["seconds"] / runs[mode]["seconds"])
                costs.append(runs["in_memory"]["seconds"] / runs["loop"]["seconds"])
                mem = runs["in_memory"]
                print(f"round {r + 1}: loop {rate['loop'][-1]:.2f} pages/s "
                      f"({runs['loop']['extracted']} extracted, {cpu['loop'][-1]:.1f} CPU-s) | "
                      f"in_memory {rate['in_memory'][-1]:.2f} pages/s ({mem['articles']} articles, "
                      f"{mem['duplicates']} duplicates, {mem['rejected']} rejected, "
                      f"{cpu['in_memory'][-1]:.1f} CPU-s) | "
                      + " | ".join(f"{mode} x2 {rate[mode][-1]:.2f} pages/s ({cpu[mode][-1]:.1f} "
                                   f"CPU-s, speed-up {speedups[mode][-1]:.2f}x)" for mode in speedups)
                      + f" | in_memory/loop {costs[-1]:.2f}x", flush=True)
    finally:
        server.stop()
    print("medians (pages/s): " + ", ".join(f"{k} {median(v):.2f}" for k, v in rate.items()))
    print("medians (CPU-s): " + ", ".join(f"{k} {median(v):.1f}" for k, v in cpu.items()))
    print(f"pipeline in_memory cost / plain loop cost: wall {median(costs):.2f}x, "
          f"CPU {median(cpu['in_memory']) / median(cpu['loop']):.2f}x (target <= 1.3; "
          "median of per-round ratios)")
    print(f"multi_processing x2 speed-up over in_memory: {median(speedups['multi_processing']):.2f}x "
          "(target >= 1.5; median of per-round ratios)")
    print(f"  workers spawned fresh: {median(speedups['spawned_workers']):.2f}x; Beam's own "
          f"worker processes: {median(speedups['beam_workers']):.2f}x")
    if base:
        print(f"baseline {args.baseline}, the same rounds: in_memory/loop wall "
              f"{median(base.costs):.2f}x; speed-up " + ", ".join(
                  f"{mode} {median(v):.2f}x" for mode, v in base.speedups.items()))
        print("this tree / baseline (medians of per-round ratios; > 1 is faster here): "
              + ", ".join(f"{mode} pages/s {median([a / b for a, b in zip(rate[mode], base.rate[mode])]):.2f}x"
                          for mode in modes))
        # CPU time moves less than wall time when other jobs share the machine: the ratio to
        # read when the machine is busy (> 1: this tree spends more CPU on the same work)
        print("this tree / baseline CPU-s (medians of per-round ratios; > 1 costs more here): "
              + ", ".join(f"{mode} {median([a / b for a, b in zip(cpu[mode], base.cpu[mode])]):.2f}x"
                          for mode in modes))


class Side:
    """The baseline checkout's figures, round by round."""

    def __init__(self):
        self.rate = {mode: [] for mode in ["loop", *MODES]}
        self.cpu = {mode: [] for mode in ["loop", *MODES]}
        self.speedups = {mode: [] for mode in MODES if mode != "in_memory"}
        self.costs = []

    def add(self, runs: dict, entries: int) -> None:
        for mode, result in runs.items():
            self.rate[mode].append(entries / result["seconds"])
            self.cpu[mode].append(result["cpu"])
        for mode in self.speedups:
            self.speedups[mode].append(runs["in_memory"]["seconds"] / runs[mode]["seconds"])
        self.costs.append(runs["in_memory"]["seconds"] / runs["loop"]["seconds"])

    def last_line(self) -> str:
        return (f"loop {self.rate['loop'][-1]:.2f} pages/s | in_memory {self.rate['in_memory'][-1]:.2f}"
                " pages/s | " + " | ".join(f"{mode} speed-up {v[-1]:.2f}x"
                                           for mode, v in self.speedups.items())
                + f" | in_memory/loop {self.costs[-1]:.2f}x")


if __name__ == "__main__":
    main()
