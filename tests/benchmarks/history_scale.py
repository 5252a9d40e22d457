"""Does a run's cost grow with what is new, or with the lake?

A synthetic lake (tests/lake.py: the project's own schema, N articles over D days ending
today, 10 outlets, distinct texts, 5 % duplicates and 5 % rejected rows) receives a 5-page
`cfnews backfill --all-topics` (real pages from ../shared's extraction benchmark, dated
today, so inside the dedup window), after one earlier run on that lake; the same 5 pages go
into an empty folder. Each measurement is a fresh `cfnews` process: wall time and the peak
RSS of that process (os.wait4). The two are measured side by side in every round, and the
ratios' medians reported. Then a `run --every` process polls a loopback feed whose entries
are all already written, for a few cycles: each cycle's own time as printed by cfnews.

    python tests/benchmarks/history_scale.py                       # N=500,000 over 365 days
    python tests/benchmarks/history_scale.py --articles 100000 --days 14   # all in the window
Lakes are cached under --cache (generation takes minutes); --rounds sets the repetitions.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.benchmarks.common import BENCH, require_shared  # noqa: E402


def make_manifest(folder: Path, tag: str) -> Path:
    """5 real pages (gz HTML beside the manifest), dated now, with URLs unique to `tag`."""
    import datetime as dt
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    lines = []
    for i, page in enumerate(sorted((BENCH / "html").glob("*.html.gz"))[:5]):
        shutil.copyfile(page, folder / page.name)
        lines.append(json.dumps({"url": f"https://wire.example/{tag}/{i}", "outlet": "wire",
                                 "published": now, "html_file": page.name}))
    manifest = folder / f"pages-{tag}.jsonl"
    manifest.write_text("\n".join(lines) + "\n")
    return manifest


def measure(args) -> tuple:
    """(wall seconds, peak RSS MiB, stdout) of one cfnews process."""
    start = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "cfnews", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = proc.stdout.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"cfnews {' '.join(args)} exited {code}:\n{output[-3000:]}")
    return wall, usage.ru_maxrss / 1024, output


def lake_for(cache: Path, articles: int, days: int) -> Path:
    from tests.lake import write_lake
    path = cache / f"lake-{articles}-{days}"
    done = path / ".complete"
    if not done.exists():
        shutil.rmtree(path, ignore_errors=True)
        started = time.monotonic()
        counts = write_lake(str(path), articles=articles, days=days)
        done.write_text(json.dumps(counts))
        print(f"generated {counts} in {time.monotonic() - started:.0f} s")
    return path


def nothing_new_cycles(lake: Path, cycles: int) -> list:
    """Seconds of each `run --every` cycle when every feed entry is already written."""
    from tests.conftest import LocalServer
    server = LocalServer()
    try:
        items = "".join(f"<item><title>{i}</title><link>https://wire.example/warm/{i}</link>"
                        f"<guid>https://wire.example/warm/{i}</guid></item>" for i in range(5))
        server.routes["/feed.xml"] = (200, {"Content-Type": "application/rss+xml"},
                                      f"<rss version='2.0'><channel><title>w</title>{items}"
                                      "</channel></rss>".encode())
        feeds = lake.parent / "warm-feeds.yaml"
        feeds.write_text(f"version: 1\nfeeds:\n  - outlet: wire\n    url: \"{server.url('/feed.xml')}\"\n"
                         "    language: en\n    country: FR\n")
        _wall, _rss, output = measure(["run", "--feeds", str(feeds), "--out", str(lake),
                                       "--every", "1s", "--min-poll", "1s", "--max-cycles",
                                       str(cycles), "--all-topics",
                                       f"--allow_hosts={server.host_port}"])
    finally:
        server.stop()
    seconds = [float(m) for m in re.findall(r"new 0 .* (\d+\.\d)s$", output, re.M)]
    if len(seconds) != cycles:
        raise SystemExit(f"expected {cycles} cycles with nothing new:\n{output[-2000:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=500_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cycles", type=int, default=4)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "cfnews-history-bench")
    args = parser.parse_args()
    require_shared()
    args.cache.mkdir(parents=True, exist_ok=True)
    lake = lake_for(args.cache, args.articles, args.days)
    work = Path(tempfile.mkdtemp(prefix="history-scale-"))
    try:
        common = ["--all-topics", "--runner=FnApiRunner"]
        warm = make_manifest(work / "pages", "warm")
        wall, rss, _ = measure(["backfill", "--manifest", str(warm), "--out", str(lake), *common])
        print(f"earlier run on the lake (builds or updates its index): {wall:.1f} s, {rss:.0f} MiB")
        rows = []
        for r in range(args.rounds):
            manifest = make_manifest(work / "pages", f"r{time.time_ns()}")
            empty = work / f"empty-{r}"
            order = [("lake", lake), ("empty", empty)] if r % 2 == 0 else [("empty", empty), ("lake", lake)]
            result = {}
            for name, out in order:
                wall, rss, output = measure(["backfill", "--manifest", str(manifest), "--out",
                                             str(out), *common])
                if "(adds up)" not in output:
                    raise SystemExit(output[-2000:])
                result[name] = (wall, rss)
            rows.append(result)
            print(f"round {r + 1}: lake {result['lake'][0]:.1f} s {result['lake'][1]:.0f} MiB | "
                  f"empty {result['empty'][0]:.1f} s {result['empty'][1]:.0f} MiB | "
                  f"ratio wall {result['lake'][0] / result['empty'][0]:.2f} "
                  f"RSS {result['lake'][1] / result['empty'][1]:.2f}")
        med = statistics.median
        print(f"\nlake: {args.articles:,} articles over {args.days} days")
        print(f"backfill of 5 pages, medians of {args.rounds} rounds: lake "
              f"{med(r['lake'][0] for r in rows):.1f} s / {med(r['lake'][1] for r in rows):.0f} MiB, "
              f"empty {med(r['empty'][0] for r in rows):.1f} s / {med(r['empty'][1] for r in rows):.0f} MiB")
        print(f"ratios (median of per-round ratios): wall "
              f"{med(r['lake'][0] / r['empty'][0] for r in rows):.2f}x (target <= 2), peak RSS "
              f"{med(r['lake'][1] / r['empty'][1] for r in rows):.2f}x (target <= 1.5)")
        cycles = nothing_new_cycles(lake, args.cycles)
        print(f"run --every, nothing new: cycle seconds {cycles} (median {med(cycles):.1f} s; "
              "target <= 2)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
