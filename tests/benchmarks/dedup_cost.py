"""Dedup cost of this tree against another checkout (e.g. main), side by side: fingerprinting
and the in-memory dedup (fingerprint + index + decisions) on the news stream of
dedup_eval.py, and the index state each article adds in streaming, in alternating rounds (one fresh process per tree and round, so that the two
versions of the package never meet in one interpreter), medians of --rounds.

    python tests/benchmarks/dedup_cost.py --against /work/main [--rounds 5] [--seed 2] [--cap 128]
    python tests/benchmarks/dedup_cost.py --against /work/main --instructions [--articles 1000]

Each tree runs with its own .venv. Rates are articles per CPU-second of the measuring process
(fair on a machine shared with other work); wall-clock rates beside them. On a loaded machine
CPU-seconds still move by tens of per cent from one run to the next (caches and cores are
shared); `--instructions` counts the instructions each stage executes instead (valgrind's
callgrind, PYTHONHASHSEED fixed: the same count on every run, whatever else the machine does),
one run per tree and stage, the start-up (imports, stream, warm-up) measured alone and
subtracted. Instructions are not time (memory stalls are not counted), but a change that adds
work shows in them without noise.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
from typing import Tuple

HERE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

MEASURE = r"""
import json, sys, time
sys.path.insert(0, ".")
from tests.benchmarks.dedup_eval import stream_articles
from cfnews.transforms.dedup import dedup_in_memory
from cfnews.transforms import fingerprint as fp
if int(sys.argv[2]):    # --cap, this tree only (as tests/benchmarks/common.set_cap does)
    fp.CAP = int(sys.argv[2])
    fp.sample.__defaults__ = (fp.BASE_RATE, fp.CAP)
    fp.fingerprint.__defaults__ = (fp.SHINGLE_WORDS, fp.BASE_RATE, fp.CAP)
fingerprint = fp.fingerprint
stream = stream_articles(int(sys.argv[1]))
for a in stream[:50]:
    fingerprint(a.text)                     # warm the token hash cache like a long run
out = {}
cpu, wall = time.process_time(), time.perf_counter()
for a in stream:
    fingerprint(a.text)
out["fingerprint"] = (len(stream) / (time.process_time() - cpu), len(stream) / (time.perf_counter() - wall))
cpu, wall = time.process_time(), time.perf_counter()
kept, dups = dedup_in_memory(stream)
out["dedup in memory"] = (len(stream) / (time.process_time() - cpu), len(stream) / (time.perf_counter() - wall))
out["articles"] = len(stream)
out["duplicates"] = len(dups)
# bytes each article adds to StreamingDeduplicate's index state (one bag entry per posting),
# and its encoded member (what batch shuffles and history hits carry), means over the stream
from cfnews.transforms.dedup import encode_member, prepare
from cfnews.transforms import dedup_stream
from cfnews.transforms.dedup_stream import state_bytes_per_posting
prepared = [prepare(a) for a in stream]
sketch = getattr(dedup_stream, "state_bytes_of_sketch", lambda m: 0)   # a tree without the store
out["state bytes"] = sum(sum(state_bytes_per_posting(h, m) for h in hs) + sketch(m)
                         for m, hs in prepared) / len(stream)
out["member bytes"] = sum(len(encode_member(m)) for m, _ in prepared) / len(stream)
print(json.dumps(out))
"""


# The same stream and warm-up as MEASURE, then one stage only (argv[3]: none, fingerprint, dedup).
STAGE = r"""
import sys
sys.path.insert(0, ".")
from tests.benchmarks.dedup_eval import stream_articles
from cfnews.transforms.dedup import dedup_in_memory
from cfnews.transforms.fingerprint import fingerprint
stream = stream_articles(int(sys.argv[1]))[:int(sys.argv[2]) or None]
for a in stream[:50]:
    fingerprint(a.text)
if sys.argv[3] == "fingerprint":
    for a in stream:
        fingerprint(a.text)
elif sys.argv[3] == "dedup":
    dedup_in_memory(stream)
print(len(stream))
"""
_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


def instructions(tree: str, seed: int, articles: int, stage: str) -> Tuple[int, int]:
    """(instructions executed by one run of STAGE under callgrind, articles in its stream)."""
    python = os.path.join(tree, ".venv", "bin", "python")
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PYTHONHASHSEED="0")
    done = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", python,
                           "-c", STAGE, str(seed), str(articles), stage], cwd=tree,
                          capture_output=True, text=True, check=True, env=env)
    return int(_COLLECTED.search(done.stderr).group(1)), int(done.stdout.strip().splitlines()[-1])


def compare_instructions(trees: dict, seed: int, articles: int) -> None:
    if shutil.which("valgrind") is None:
        sys.exit("--instructions needs valgrind (Debian: apt-get install valgrind)")
    jobs = [(name, tree, stage) for name, tree in trees.items()
            for stage in ("none", "fingerprint", "dedup")]
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        counts = dict(zip(jobs, pool.map(lambda job: instructions(job[1], seed, articles, job[2]), jobs)))
    n = counts[jobs[0]][1]
    print(f"stream of seed {seed}: {n} articles; instructions per article (callgrind, start-up "
          f"subtracted), one run per tree and stage")
    for stage, label in (("fingerprint", "fingerprint"), ("dedup", "dedup in memory")):
        per = {name: (counts[(name, tree, stage)][0] - counts[(name, tree, "none")][0]) / n
               for name, tree in trees.items()}
        print(f"  {label}: " + "; ".join(f"{name} {per[name]:,.0f}" for name in trees)
              + f"; this tree / other {per['this tree'] / per['other']:.3f}")


def measure(tree: str, seed: int, cap: int = 0) -> dict:
    python = os.path.join(tree, ".venv", "bin", "python")
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")    # leave the other tree as it is
    done = subprocess.run([python, "-c", MEASURE, str(seed), str(cap)], cwd=tree, capture_output=True,
                          text=True, check=True, env=env)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--against", required=True, help="the other checkout (with its .venv)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--cap", type=int, default=0,
                        help="fingerprint CAP in this tree for the run (study; the other tree keeps its own)")
    parser.add_argument("--instructions", action="store_true",
                        help="count instructions under valgrind instead of timing (module docstring)")
    parser.add_argument("--articles", type=int, default=0,
                        help="with --instructions: the stream's first N articles (0: all)")
    args = parser.parse_args()
    trees = {"this tree": HERE, "other": os.path.abspath(args.against)}
    if args.instructions:
        return compare_instructions(trees, args.seed, args.articles)
    runs = {name: [] for name in trees}
    for r in range(args.rounds):
        order = list(trees.items()) if r % 2 == 0 else list(trees.items())[::-1]
        for name, tree in order:
            runs[name].append(measure(tree, args.seed, args.cap if name == "this tree" else 0))
    first = runs["this tree"][0]
    print(f"stream of seed {args.seed}: {first['articles']} articles; medians of {args.rounds} "
          f"alternating rounds; 1-min load average now {os.getloadavg()[0]:.1f}"
          + (f"; this tree at CAP {args.cap}" if args.cap else ""))
    for stage in ("fingerprint", "dedup in memory"):
        cells = []
        medians = {}
        for name, tree in trees.items():
            cpu = [r[stage][0] for r in runs[name]]
            wall = [r[stage][1] for r in runs[name]]
            medians[name] = statistics.median(cpu)
            cells.append(f"{name} ({tree}): {medians[name]:.0f}/CPU-s ({statistics.median(wall):.0f}/wall-s; "
                         f"runs {[round(x) for x in cpu]})")
        ratio = medians["this tree"] / medians["other"]
        print(f"  {stage}: " + "; ".join(cells) + f"; ratio {ratio:.2f}")
    print("  duplicates found: " + ", ".join(f"{n} {runs[n][0]['duplicates']}" for n in trees))
    print("  index state per article (streaming, mean): " + ", ".join(
        f"{n} {runs[n][0]['state bytes']:.0f} B (member {runs[n][0]['member bytes']:.1f} B)"
        for n in trees))


if __name__ == "__main__":
    sys.exit(main())
