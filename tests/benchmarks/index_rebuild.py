"""What does rebuilding DIR/_index cost, this tree against another? (`cfnews index --out LAKE`:
what a run does once after an index version change, or after `_index` is deleted.)

The lake is tests/benchmarks/history_scale.py's (tests/lake.py: N articles over D days, 5 %
duplicates and 5 % rejected rows; cached). The other tree is a folder to put first on
PYTHONPATH holding a `cfnews` package (e.g. `git archive` of a commit laid out as installed,
as tests/test_history.py's `_stop_27_package` does). Each measurement is a fresh process:
wall time and peak RSS (os.wait4); the two trees alternate within every round, medians of
the rounds are reported with their ratio.

    python tests/benchmarks/index_rebuild.py --other /tmp/old/pkg --rounds 5
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def rebuild(lake: Path, pythonpath: str = "") -> tuple:
    """(wall seconds, peak RSS MiB) of one `cfnews index` process."""
    env = dict(os.environ, PYTHONPATH=pythonpath) if pythonpath else dict(os.environ)
    start = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "cfnews", "index", "--out", str(lake)],
                            cwd=pythonpath or ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    output = proc.stdout.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"cfnews index failed:\n{output[-2000:]}")
    return wall, usage.ru_maxrss / 1024


def main() -> None:
    from tests.benchmarks.history_scale import lake_for
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--other", required=True, help="PYTHONPATH folder of the other tree")
    parser.add_argument("--articles", type=int, default=500_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cache", type=Path,
                        default=Path(tempfile.gettempdir()) / "cfnews-history-bench")
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    lake = lake_for(args.cache, args.articles, args.days)
    figures = {"this tree": [], "other tree": []}
    for r in range(args.rounds):
        order = [("this tree", ""), ("other tree", args.other)]
        for name, path in (order if r % 2 == 0 else order[::-1]):
            figures[name].append(rebuild(lake, path))
    print(f"cfnews index --out lake-{args.articles}-{args.days} "
          f"({sum(1 for _ in lake.rglob('*.parquet'))} files), {args.rounds} rounds")
    medians = {}
    for name, runs in figures.items():
        walls, rss = [w for w, _ in runs], [m for _, m in runs]
        medians[name] = (statistics.median(walls), statistics.median(rss))
        print(f"  {name:<11} wall median {medians[name][0]:.2f} s "
              f"(runs {', '.join(f'{w:.2f}' for w in walls)}), peak RSS median "
              f"{medians[name][1]:.0f} MiB")
    ratio = medians["this tree"][0] / medians["other tree"][0]
    print(f"  wall ratio this/other {ratio:.2f}; RSS ratio "
          f"{medians['this tree'][1] / medians['other tree'][1]:.2f}")


if __name__ == "__main__":
    main()
