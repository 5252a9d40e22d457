"""Does `cfnews run --every` grow in memory per cycle? Allocation tracing, not RSS.

The continuous loop (`ContinuousIngest.run_forever`, as `cfnews run --every` runs it: the
FnApiRunner in_memory, `--all-topics`) runs IN this process against a loopback feed that grows
(`tests/test_crash_safety.GrowingFeed`: two new stories per poll, each a page to fetch). The
feed's server runs in a child process, so what it keeps (a route per story) is not traced here.
The first `--untraced` cycles run before tracing starts (models load untraced); `tracemalloc`
snapshots then follow the warm-up, half-way and the end. Before each snapshot the caches bounded
by construction (`re`'s, every lru_cache with a maxsize above 1) are emptied and their sizes
printed, so the snapshots compare what has no bound. Printed: traced bytes per cycle over each
half, the top growth sites grouped by traceback (tracemalloc's and this file's own bookkeeping
filtered out), RSS at each point, gc object counts by type (difference), and the articles
written and ids in the state's seen set, for a per-article figure.

    .venv/bin/python -m tests.benchmarks.every_memory --verbose --cycles 48
    .venv/bin/python -m tests.benchmarks.every_memory --cycles 48 --tree DIR   # another tree's code

A site whose block count does not change ("+0.0 blocks") but grows once is a container resized
whose old block predates tracing (its release is not counted), not growth per cycle. Tracing
costs ~18 s a cycle at 8 frames (~1 s untraced): 48 traced cycles are ~16 min of one CPU.
Figures only, not a test (tests/benchmarks/RESULTS.md, "Running for months")."""
from __future__ import annotations

import argparse
import collections
import gc
import linecache
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def serve() -> None:
    """Child: the growing feed on 127.0.0.1 until its parent ends; prints its base URL."""
    sys.path.insert(0, str(ROOT))
    from tests.conftest import LocalServer
    from tests.test_crash_safety import GrowingFeed
    server = LocalServer()
    GrowingFeed(server, per_request=2)
    print(server.base_url, flush=True)
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(1)
    server.stop()


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def clear_bounded_caches() -> dict:
    """Empty the caches that are bounded by construction, so that the two snapshots compare
    what is not: `re`'s compiled patterns (at most 512) and every functools.lru_cache with a
    maxsize above 1 (a maxsize of 1 holds one loaded model or table: kept). Returns their
    sizes, {name: (entries, maxsize)}, before clearing."""
    import functools
    import re
    sizes = {"re._cache": (len(getattr(re, "_cache", {})), 512)}
    re.purge()
    for obj in gc.get_objects():
        if isinstance(obj, functools._lru_cache_wrapper):
            info = obj.cache_info()
            if info.maxsize is not None and info.maxsize > 1 and info.currsize:
                name = f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', '?')}"
                sizes[name] = (info.currsize, info.maxsize)
                obj.cache_clear()
    return sizes


def census() -> collections.Counter:
    gc.collect()
    return collections.Counter(type(o).__qualname__ for o in gc.get_objects())


def snapshot(frames_filter, own_lines):
    """A snapshot without tracemalloc's and this benchmark's own bookkeeping (any trace with a
    frame in `own_lines`: (first, last) line ranges of this file's measuring functions)."""
    gc.collect()
    snap = tracemalloc.take_snapshot().filter_traces(frames_filter)
    me = __file__
    keep = [t for t in snap.traces._traces
            if not any(f[0] == me and any(lo <= f[1] <= hi for lo, hi in own_lines) for f in t[2])]
    return tracemalloc.Snapshot(keep, snap.traceback_limit)


def line_range(function):
    import inspect
    lines, first = inspect.getsourcelines(function)
    return first, first + len(lines) - 1


def show_growth(before, after, cycles: int, top: int, frames: int) -> None:
    stats = after.compare_to(before, "traceback")
    total = sum(s.size_diff for s in stats)
    print(f"  traced growth {total / 1024:,.1f} KiB over {cycles} cycles = "
          f"{total / cycles:,.0f} B/cycle ({sum(s.count_diff for s in stats):+,} blocks)")
    for stat in sorted(stats, key=lambda s: -s.size_diff)[:top]:
        if stat.size_diff <= 0:
            break
        print(f"  {stat.size_diff / cycles:>9,.0f} B/cycle {stat.count_diff / cycles:>+8.1f} blocks/cycle"
              f"  (now {stat.size / 1024:,.1f} KiB)")
        shown = 0
        for frame in reversed(stat.traceback):  # innermost last in tracemalloc's order
            if shown >= frames:
                break
            name = frame.filename
            short = name.split("site-packages/")[-1] if "site-packages" in name else (
                os.path.relpath(name, ROOT) if name.startswith(str(ROOT)) else name)
            line = linecache.getline(frame.filename, frame.lineno).strip()
            print(f"      {short}:{frame.lineno}  {line[:90]}")
            shown += 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warmup", type=int, default=24)
    parser.add_argument("--untraced", type=int, default=20,
                        help="of the warm-up cycles, the first ones run before tracing starts "
                             "(models load untraced: fewer traces, faster snapshots)")
    parser.add_argument("--cycles", type=int, default=24, help="traced cycles after the warm-up")
    parser.add_argument("--interval", type=float, default=0.0, help="seconds between cycles")
    parser.add_argument("--frames", type=int, default=8, help="tracemalloc frames kept")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--show-frames", type=int, default=8, help="frames printed per site")
    parser.add_argument("--tree", help="run another checkout's code (this benchmark, its tree)")
    parser.add_argument("--keep-caches", dest="clear_caches", action="store_false",
                        help="do not empty the bounded caches (re, lru_cache) before snapshots")
    parser.add_argument("--verbose", action="store_true", help="a line per cycle")
    parser.add_argument("--no-trace", action="store_true", help="cycle times only")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve()
        return 0
    if args.tree:
        tree = str(Path(args.tree).resolve())
        child_args = [a for a in (argv if argv is not None else sys.argv[1:])]
        i = child_args.index("--tree")
        del child_args[i:i + 2]
        # the editable install maps cfnews.* to its own checkout: the tree's folders go first
        code = (f"import sys; sys.path.insert(0, {tree!r}); import cfnews; "
                f"cfnews.__path__.insert(0, {tree!r}); sys.argv = ['every_memory'] + "
                f"{child_args!r}; import runpy; runpy.run_path({__file__!r}, run_name='__main__')")
        return subprocess.call([sys.executable, "-c", code], cwd=tree)

    child = subprocess.Popen([sys.executable, "-m", "tests.benchmarks.every_memory", "--serve"],
                             cwd=ROOT, stdout=subprocess.PIPE, text=True)
    base_url = child.stdout.readline().strip()
    assert base_url.startswith("http://127.0.0.1:"), base_url  # loopback only
    try:
        run(args, base_url)
    finally:
        child.terminate()
        child.wait(timeout=30)
    sys.stdout.flush()
    os._exit(0)  # Arrow's teardown at interpreter exit can abort (see cfnews' own exit)


def run(args, base_url: str) -> None:
    import cfnews
    from cfnews.pipeline.continuous import ContinuousIngest, Schedule
    from cfnews.pipeline.runner import make_options
    from cfnews.schemas import FeedSource
    import cfnews.pipeline.continuous as continuous
    print(f"cfnews from {Path(cfnews.__file__).resolve().parent}, its loop from "
          f"{Path(continuous.__file__).resolve()}  feed {base_url}/feed.xml")
    host_port = base_url.split("//", 1)[1]
    out = tempfile.mkdtemp(prefix="every_memory-")
    options = make_options(["--runner=FnApiRunner"], out=out, all_topics=True,
                           allow_hosts=[host_port], min_host_delay=0.0, max_retries=0)
    feeds = [FeedSource(outlet="growing", url=base_url + "/feed.xml", language="en", country="FR")]
    schedule = Schedule(every=args.interval, min_interval=0.0, max_interval=max(args.interval, 1.0))
    ingest = ContinuousIngest(options, feeds, schedule)

    if args.no_trace:
        started = time.monotonic()
        def timed(report):
            print(f"cycle {report.cycle}: {report.seconds:.2f} s  {report.status_line()}", flush=True)
        ingest.run_forever(max_cycles=args.warmup + args.cycles, echo=lambda line: None,
                           on_cycle=timed)
        print(f"{time.monotonic() - started:.0f} s, RSS {rss_mb():.1f} MB")
        return
    if args.untraced:
        ingest.run_forever(max_cycles=min(args.untraced, args.warmup - 1), echo=lambda line: None)
    tracemalloc.start(args.frames)
    frames_filter = [tracemalloc.Filter(False, tracemalloc.__file__),
                     tracemalloc.Filter(False, "<frozen importlib._bootstrap>"),
                     tracemalloc.Filter(False, "<frozen importlib._bootstrap_external>"),
                     tracemalloc.Filter(False, linecache.__file__)]
    total = args.warmup + args.cycles
    half = args.warmup + args.cycles // 2
    points = {}
    written = collections.Counter()
    seconds = []

    def on_cycle(report):
        seconds.append(report.seconds)
        if report.summary is not None:
            written.update(report.summary.written)
        if args.verbose:
            print(f"cycle {report.cycle}: {report.seconds:.2f} s", flush=True)
        if report.cycle in (args.warmup, half, total):
            caches = clear_bounded_caches() if args.clear_caches else {}
            points[report.cycle] = dict(
                cycle=report.cycle, caches=caches,
                snap=snapshot(frames_filter, own_lines), census=census(), rss=rss_mb(),
                articles=written["articles"], seen=len(ingest.state.seen),
                at=time.monotonic())
            points[report.cycle]["traced"] = sum(  # the filtered snapshot's own total: not
                s.size for s in points[report.cycle]["snap"].statistics("filename"))  # snapshots
            print(f"[cycle {report.cycle}] traced {points[report.cycle]['traced'] / 2**20:.2f} MiB"
                  f"  RSS {points[report.cycle]['rss']:.1f} MB  articles {written['articles']}"
                  f"  seen {len(ingest.state.seen)}", flush=True)

    own_lines = [line_range(f) for f in (on_cycle, census, snapshot, rss_mb, clear_bounded_caches)]
    started = time.monotonic()
    done = ingest.run_forever(max_cycles=total - ingest.cycle, echo=lambda line: None,
                              on_cycle=on_cycle)
    print(f"{done.cycles} cycles in {time.monotonic() - started:.0f} s "
          f"(median cycle {sorted(seconds)[len(seconds) // 2]:.2f} s); written {dict(written)}; "
          f"not adding up: {done.not_adding_up}")
    a, m, b = points[args.warmup], points[half], points[total]
    for label, p, q in (("first half", a, m), ("second half", m, b), ("whole", a, b)):
        n = q["cycle"] - p["cycle"]
        grown = q["traced"] - p["traced"]
        arts = q["articles"] - p["articles"]
        print(f"{label}: {n} cycles, traced {grown / n:,.0f} B/cycle, {arts} articles "
              f"({grown / max(arts, 1):,.0f} B/article), seen {p['seen']} -> {q['seen']}, "
              f"RSS {p['rss']:.1f} -> {q['rss']:.1f} MB")
    for at in (m, b):
        if at["caches"]:
            print(f"bounded caches emptied at cycle {at['cycle']} (entries/maxsize): " + ", ".join(
                f"{k} {n}/{mx}" for k, (n, mx) in sorted(at["caches"].items(), key=lambda kv: -kv[1][0])))
    print(f"\ntop growth sites, cycles {args.warmup} -> {total} (grouped by traceback):")
    show_growth(a["snap"], b["snap"], total - args.warmup, args.top, args.show_frames)
    print(f"\ntop growth sites, second half only (cycles {half} -> {total}):")
    show_growth(m["snap"], b["snap"], total - half, args.top // 2, args.show_frames)
    diff = b["census"] - a["census"]
    lost = a["census"] - b["census"]
    print(f"\ngc objects {sum(a['census'].values()):,} -> {sum(b['census'].values()):,}; "
          f"grown by type: " + ", ".join(f"{k} +{v}" for k, v in diff.most_common(15)))
    if lost:
        print("shrunk by type: " + ", ".join(f"{k} -{v}" for k, v in lost.most_common(8)))


if __name__ == "__main__":
    sys.exit(main())
