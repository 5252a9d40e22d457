"""`cfnews run --every` left running: does a cycle cost more, or the process hold more, as the
hours and the lake grow? The command runs as users run it (a subprocess, FnApiRunner, JSON logs)
against a loopback feed that adds two stories per poll (tests/test_crash_safety.GrowingFeed,
served from a child process); each cycle's line on stdout is read, and the command's resident
memory (VmRSS) and CPU time (utime + stime, /proc) are sampled after it. Printed every
--report cycles and at the end: cycle wall time and CPU per cycle over the first and the last
stretch, RSS then, and the RSS slope over the second half (least squares). Each cycle writes
one small file per dataset it has rows for, so the lake's file count grows with the cycles.

    .venv/bin/python -m tests.benchmarks.every_soak --minutes 90 --every 15s

Figures only, not a test (tests/benchmarks/RESULTS.md, "Running for months").
"""
from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CYCLE = re.compile(r"^cycle (\d+) .* articles (\d+) .* ([\d.]+)s$")


def proc_sample(pid: int):
    """(RSS MiB, CPU seconds) of a process."""
    with open(f"/proc/{pid}/status") as status:
        rss = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return rss, (int(fields[11]) + int(fields[12])) / ticks


def slope(xs, ys) -> float:
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den if den else float("nan")


def report(rows, stretch: int) -> str:
    """rows: (cycle, wall s, cpu s of the cycle, rss MiB, articles so far)."""
    first, last = rows[:stretch], rows[-stretch:]
    half = rows[len(rows) // 2:]

    def med(part, i):
        return statistics.median(r[i] for r in part)
    return (f"cycles {rows[0][0]}-{rows[-1][0]} ({rows[-1][4]} articles written): "
            f"wall/cycle first {stretch} {med(first, 1):.2f} s, last {stretch} "
            f"{med(last, 1):.2f} s; CPU/cycle {med(first, 2):.2f} s -> {med(last, 2):.2f} s; "
            f"RSS {first[-1][3]:.0f} MiB at cycle {first[-1][0]} -> {rows[-1][3]:.0f} MiB; "
            f"RSS slope over the second half {slope([r[0] for r in half], [r[3] for r in half]) * 1000:.1f} "
            f"MiB per 1,000 cycles")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=60)
    parser.add_argument("--every", default="15s")
    parser.add_argument("--report", type=int, default=50, help="print every N cycles")
    parser.add_argument("--stretch", type=int, default=20, help="cycles compared at each end")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cfnews-soak-"))
    serve = ("import sys, time; sys.path.insert(0, %r)\n"
             "from tests.conftest import LocalServer\n"
             "from tests.test_crash_safety import GrowingFeed\n"
             "s = LocalServer(); GrowingFeed(s, per_request=2); print(s.base_url, flush=True)\n"
             "while True: time.sleep(1)\n" % str(ROOT))
    site = subprocess.Popen([sys.executable, "-c", serve], stdout=subprocess.PIPE, text=True)
    base = site.stdout.readline().strip()
    feeds = work / "feeds.yaml"
    feeds.write_text("version: 1\nfeeds:\n  - {outlet: wire, url: '%s/feed.xml', language: en, "
                     "country: FR}\n" % base, encoding="utf-8")
    command = [sys.executable, "-m", "cfnews", "--log-format", "json", "run", "--feeds",
               str(feeds), "--out", str(work / "out"), "--every", args.every, "--min-poll",
               args.every, "--all-topics", f"--allow-hosts={base.split('//', 1)[1]}"]
    print(f"{' '.join(command[1:])}; {os.cpu_count()} CPUs; for {args.minutes:g} min", flush=True)
    run = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE,
                           stderr=open(work / "stderr.log", "w"), text=True)
    rows = []
    deadline = time.monotonic() + args.minutes * 60
    last_cpu = None
    try:
        for line in run.stdout:
            match = CYCLE.match(line.strip())
            if not match:
                continue
            rss, cpu = proc_sample(run.pid)
            articles = (rows[-1][4] if rows else 0) + int(match.group(2))
            rows.append((int(match.group(1)), float(match.group(3)),
                         cpu - last_cpu if last_cpu is not None else float("nan"), rss, articles))
            last_cpu = cpu
            if len(rows) > 2 * args.stretch and len(rows) % args.report == 0:
                print(report(rows[1:], args.stretch), flush=True)
            if time.monotonic() > deadline:
                break
    finally:
        run.send_signal(signal.SIGINT)
        try:
            run.wait(timeout=120)
        except subprocess.TimeoutExpired:
            run.kill()
        site.kill()
    files = sum(1 for _ in (work / "out").rglob("*.parquet"))
    if len(rows) > 2 * args.stretch:
        print("end: " + report(rows[1:], args.stretch) + f"; {files} data files; exit "
              f"{run.returncode}", flush=True)
    else:
        print(f"only {len(rows)} cycles: see {work / 'stderr.log'}")


if __name__ == "__main__":
    main()
