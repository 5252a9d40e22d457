"""Chaos: randomized crash, concurrency and corruption scenarios against real `cfnews`
subprocesses, each followed by checks of what must always hold.

Scenarios run in "worlds": one output folder that a sequence of scenarios keeps using, so
leftovers of one (a killed run's staging files, an empty partition folder, a compaction's
work folder, a stale lock) meet the next. Each scenario is one of:

  kill      a backfill killed by SIGKILL at a random moment (first writes of a dataset
            included), or at a crash point (mid_write);
  pair      two writers at once: two backfills, or a backfill and a compaction;
  compact   a compaction, killed at a random crash point (compact_staged, compact_swapped,
            compact_rescued) or not;
  corrupt   a hostile manifest line (html_file outside the folder, a symlink out, a FIFO)
            next to good lines, or a damaged lock file;
  badfile   a damaged Parquet file (truncated copy, garbage, empty, a broken footer) put
            into a date=/outlet= partition of articles, duplicates or rejected between runs,
            then a backfill or a compaction;
  slow      `run --once` on two feeds of a loopback server whose feed, robots.txt or pages
            stall before the status line, drip header lines or drip body bytes;
  backfill  a plain backfill (the control).

Checked after every scenario: no article id doubled across the datasets, every exit status
one the README documents (0, 75 for a writer that met the lock, -9 where we killed), a 0 only
with "(adds up)", the files beside --out (a sentinel folder and the manifest's folder)
untouched, and every line of a backfill that exited 0 present. After `badfile`: exit 0, the
damaged file named on stderr (at every later run too), left where it was, never deleted, and
nothing else lost or doubled (the checks read every other file). After `slow`: the server saw
every stalled request abandoned within --request_timeout (+ slack), the exit status is 3 when
both feeds stalled and 0 otherwise, every good page of a readable feed is in the datasets
exactly once and no stalled page is an article. At the end of each world one clean backfill
of every line must exit 0 and leave every line exactly once (nothing lost).

    python tests/benchmarks/chaos.py [--scenarios 200] [--per-world 10] [--seed 1] [--jobs 1]

Prints scenarios run, failures by kind (with their first messages), and time."""
from __future__ import annotations

import argparse
import collections
import datetime as dt
import hashlib
import json
import os
import random
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402

from tests.conftest import LocalServer, article_html, respond  # noqa: E402

LINES = 24
WORDS = ("trade aircraft cognac tariff delegation ministry summit nuclear reactor investment "
         "export visit dialogue cooperation agreement market customs quota farmers luxury "
         "satellite treaty talks embassy port railway bank bond Paris Beijing France China").split()


def story(n: int) -> str:
    rng = random.Random(n)
    return "\n\n".join(" ".join(rng.choice(WORDS) for _ in range(40)) + f" (story {n}, {k})."
                       for k in range(4))


def manifest_line(n: int) -> dict:
    day = 1 + n % 6   # six closed partitions, so compaction has work
    return {"url": f"https://news.example.org/chaos/{n}", "outlet": f"o{n % 2}",
            "published": f"2025-11-{day:02d}T10:{n % 60:02d}:00Z", "title": f"Story {n}",
            "text": story(n)}


def url_ids(numbers) -> set:
    from cfnews.transforms.urls import article_id_for, canonical_url
    return {article_id_for(canonical_url(manifest_line(n)["url"])) for n in numbers}


def tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(str(path.relative_to(folder)).encode())
        if path.is_file() and not path.is_symlink():
            digest.update(path.read_bytes())
    return digest.hexdigest()


# ------------------------------------------------------------------ stalling servers

REQUEST_TIMEOUT = 1.5      # --request_timeout of the `slow` runs
DEADLINE_SLACK = 2.0       # a loaded machine: the watchdog's wake-up and the server's check
STALL_SECONDS = 30.0       # how long a stalling route would go on if nobody hung up
PAGES = 12                 # pages per world's loopback site (p0 .. p11)
STALLS = ("delay_status", "drip_headers", "drip_body")


def client_gone(connection) -> bool:
    """The client closed its end (EOF or reset): a stalled request was abandoned."""
    try:
        readable, _, _ = select.select([connection], [], [], 0)
        return bool(readable) and connection.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


def stall_route(kind: str, log: list, body: bytes, content_type: str):
    """A route that holds the request: no status line for STALL_SECONDS (`delay_status`),
    the status line then one header line every 0.2 s (`drip_headers`), or full headers then
    one body byte every 0.2 s (`drip_body`). Records (path, seconds until the client hung up,
    or None if it never did)."""
    def route(handler):
        start = time.monotonic()
        gone_after = None
        try:
            if kind == "drip_headers":
                handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
            elif kind == "drip_body":
                handler.send_response(200)
                handler.send_header("Content-Type", content_type)
                handler.send_header("Content-Length", str(max(len(body), 200)))
                handler.end_headers()
            handler.wfile.flush()
            step = 0
            while time.monotonic() - start < STALL_SECONDS:
                if client_gone(handler.connection):
                    gone_after = time.monotonic() - start
                    break
                time.sleep(0.05)
                step += 1
                if step % 4 == 0 and kind == "drip_headers":
                    handler.wfile.write(b"X-Drip-%d: x\r\n" % step)
                    handler.wfile.flush()
                elif step % 4 == 0 and kind == "drip_body":
                    handler.wfile.write(b" ")
                    handler.wfile.flush()
        except OSError:   # reset or broken pipe: the client hung up
            gone_after = time.monotonic() - start
        handler.close_connection = True
        log.append((handler.path, gone_after))
    return route


def rss(items) -> bytes:
    parts = "".join(f"<item><title>Page {n}</title><link>{url}</link><guid>{url}</guid>"
                    f"<pubDate>{date}</pubDate></item>" for n, url, date in items)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>chaos</title><link>http://example.org/</link><description>d</description>"
            f"{parts}</channel></rss>").encode("utf-8")


class Site:
    """One loopback site per world: two feeds (outlets s0, s1), robots.txt, pages p0..p11
    (their text unlike the manifests' stories). Each `slow` scenario rewires the routes."""

    def __init__(self):
        self.server = LocalServer()
        self.log: list = []

    def page_url(self, n: int) -> str:
        return self.server.url(f"/p{n}")

    def page_html(self, n: int) -> bytes:
        return article_html(f"Page {n} of the loopback site", story(1000 + n).split("\n\n"),
                            ).encode("utf-8")

    def rewire(self, feeds: dict, stalls: dict) -> None:
        """feeds: outlet -> page numbers; stalls: path -> stall kind."""
        routes = self.server.routes
        routes.clear()
        self.log.clear()
        content = {"/robots.txt": (b"User-agent: *\nAllow: /\n", "text/plain")}
        for n in range(PAGES):
            content[f"/p{n}"] = (self.page_html(n), "text/html; charset=utf-8")
        for outlet, numbers in feeds.items():
            items = [(n, self.page_url(n), f"Mon, {3 + n % 5:02d} Nov 2025 08:{n:02d}:00 GMT")
                     for n in numbers]
            content[f"/{outlet}.xml"] = (rss(items), "application/rss+xml")
        for path, (body, content_type) in content.items():
            if path in stalls:
                routes[path] = stall_route(stalls[path], self.log, body, content_type)
            else:
                routes[path] = (200, {"Content-Type": content_type}, body)

    def stop(self):
        self.server.stop()


def cfnews(*args, crash_at=None):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("CFNEWS_CRASH_AT", None)
    if crash_at:
        env["CFNEWS_CRASH_AT"] = crash_at
    return subprocess.Popen([sys.executable, "-m", "cfnews", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


class World:
    def __init__(self, base: Path, rng: random.Random):
        self.base, self.rng = base, rng
        self.out = base / "out"
        self.inputs = base / "inputs"
        self.sentinel = base / "sentinel"
        self.inputs.mkdir(parents=True)
        self.sentinel.mkdir()
        (self.sentinel / "keep.txt").write_text("must survive")
        (base / "secret.html").write_text("<html><body><p>SECRET outside</p></body></html>")
        self.manifests = 0
        self.failures = []
        self.damaged: dict = {}   # damaged Parquet files put into the datasets -> their bytes
        self.site = None

    def manifest(self, numbers, hostile=False) -> tuple:
        self.manifests += 1
        lines = [json.dumps(manifest_line(n)) for n in numbers]
        if hostile:
            kind = self.rng.choice(["dotdot", "absolute", "symlink", "fifo"])
            name = {"dotdot": "../secret.html", "absolute": str(self.base / "secret.html"),
                    "symlink": f"link{self.manifests}.html",
                    "fifo": f"pipe{self.manifests}.html"}[kind]
            if kind == "symlink":
                os.symlink(self.base / "secret.html", self.inputs / name)
            if kind == "fifo":
                os.mkfifo(self.inputs / name)
            lines.append(json.dumps({"url": f"https://news.example.org/hostile/{self.manifests}",
                                     "outlet": "o0", "html_file": name}))
        path = self.inputs / f"m{self.manifests}.jsonl"
        path.write_text("\n".join(lines) + "\n")
        return path, self.expected_inputs_digest()

    def expected_inputs_digest(self):
        return tree_digest(self.inputs), tree_digest(self.sentinel)

    def backfill(self, manifest, crash_at=None):
        return cfnews("backfill", "--manifest", str(manifest), "--out", str(self.out),
                      "--all-topics", crash_at=crash_at)

    def compact(self, crash_at=None):
        return cfnews("compact", "--out", str(self.out), "--target-mb", "1", crash_at=crash_at)

    # -- checks --------------------------------------------------------------------------
    def fail(self, scenario, message):
        self.failures.append((scenario, message))

    def rows(self, dataset_names=("articles", "duplicates", "rejected"), column="article_id"):
        """Every row's `column` in the datasets, read file by file (the damaged files we put
        there excepted; a damaged file found where we did not put one is a failure)."""
        values = []
        for dataset in dataset_names:
            files = sorted(p for p in (self.out / dataset).glob("date=*/outlet=*/*.parquet")
                           if p not in self.damaged) if (self.out / dataset).exists() else []
            if files:
                listed = ", ".join(f"'{p}'" for p in files)
                values += [r[0] for r in duckdb.sql(
                    f"SELECT {column} FROM read_parquet([{listed}], union_by_name=true)"
                ).fetchall()]
        return values

    def check_damaged(self, scenario, results):
        """Each damaged file stays where we put it, unchanged (skipped, never deleted or
        rewritten), and every run that read the datasets named it."""
        for path, data in self.damaged.items():
            if not path.exists():
                moved = [p for p in self.out.rglob(path.name)]
                if not moved:
                    self.fail(scenario, f"damaged file deleted: {path.relative_to(self.out)}")
                continue
            if path.read_bytes() != data:
                self.fail(scenario, f"damaged file rewritten: {path.relative_to(self.out)}")
        for name, code, stdout, stderr, killed in results:
            if code != 0 or name not in ("backfill", "run"):
                continue
            unnamed = [p for p in self.damaged if p.name not in stderr]
            if unnamed:
                self.fail(scenario, f"{name}: damaged file not named on stderr: "
                                    f"{unnamed[0].relative_to(self.out)}: {stderr[-300:]}")

    def check(self, scenario, results, digests, expect_present=()):
        """results: [(name, returncode, stdout, stderr, killed_by_us)]."""
        for name, code, stdout, stderr, killed in results:
            allowed = {0, 3, 75} if name == "run" else {0, 75}
            allowed |= {-signal.SIGKILL} if killed else set()
            if code not in allowed:
                self.fail(scenario, f"{name}: exit {code}: {stderr.strip()[-300:]}")
            if code == 0 and name in ("backfill", "run") and "(adds up)" not in stdout:
                self.fail(scenario, f"{name}: exit 0 without '(adds up)': {stdout[-300:]}")
            if code == 75 and "being written by another cfnews run" not in stderr:
                self.fail(scenario, f"{name}: exit 75 without the lock message")
        try:
            ids = self.rows()
        except Exception as exc:  # a reader must always be able to read the datasets
            self.fail(scenario, f"read: {type(exc).__name__}: {str(exc)[:300]}")
            return
        # feed-level rows (a failed poll of a whole feed) carry no article id: one per failed
        # poll, by design; every entry's id must be unique across the datasets
        doubled = [i for i, n in collections.Counter(ids).items() if n > 1 and i]
        if doubled:
            where = {d: self.rows((d,)).count(doubled[0])
                     for d in ("articles", "duplicates", "rejected")}
            self.fail(scenario, f"{len(doubled)} article id(s) doubled: e.g. {doubled[0]} "
                                f"{where} (world folder {self.base})")
        missing = url_ids(expect_present) - set(ids)
        if missing:
            self.fail(scenario, f"{len(missing)} line(s) of a successful backfill missing")
        if self.expected_inputs_digest() != digests:
            self.fail(scenario, "files outside --out changed")
        if (self.base / "secret.html").read_text().find("SECRET") < 0:
            self.fail(scenario, "secret.html changed")
        self.check_damaged(scenario, results)


def finish(proc, kill_after=None):
    killed = False
    if kill_after is not None:
        try:
            proc.wait(timeout=kill_after)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            killed = True
    stdout, stderr = proc.communicate(timeout=600)
    return proc.returncode, stdout, stderr, killed


def damage(world: World, rng: random.Random) -> Path:
    """Put a damaged Parquet file into a partition of a dataset (an existing partition when
    there is one, else a new one of `articles`)."""
    dataset = rng.choice(["articles", "duplicates", "rejected"])
    good = sorted(p for p in (world.out / dataset).glob("date=*/outlet=*/*.parquet")
                  if p not in world.damaged) if (world.out / dataset).exists() else []
    folder = rng.choice(good).parent if good else \
        world.out / dataset / f"date=2025-11-0{rng.randint(1, 6)}" / f"outlet=o{rng.randint(0, 1)}"
    how = rng.choice(["truncated", "garbage", "empty", "bad_footer", "head_only"])
    template = rng.choice(good).read_bytes() if good else b"PAR1" + os.urandom(3000) + b"PAR1"
    data = {"truncated": template[:max(8, len(template) // rng.randint(2, 5))],
            "garbage": os.urandom(rng.randint(1, 5000)),
            "empty": b"",
            # a footer length pointing before the file's start
            "bad_footer": template[:-8] + (10 ** 9).to_bytes(4, "little") + b"PAR1",
            "head_only": b"PAR1"}[how]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"damaged-{how}-{len(world.damaged)}.parquet"
    path.write_bytes(data)
    world.damaged[path] = data
    return path


def slow(world: World, rng: random.Random, label: str) -> None:
    if world.site is None:
        world.site = Site()
    site = world.site
    numbers = rng.sample(range(PAGES), rng.randint(3, 6))
    feeds = {"s0": numbers[: len(numbers) // 2], "s1": numbers[len(numbers) // 2:]}
    # what stalls: one or two of feed s0, feed s1, robots.txt, one or two pages
    targets = ["/s0.xml", "/s1.xml", "/robots.txt"] + [f"/p{n}" for n in numbers]
    stalls = {path: rng.choice(STALLS) for path in rng.sample(targets, rng.randint(1, 2))}
    site.rewire(feeds, stalls)
    feeds_file = world.base / f"slow{world.manifests}.yaml"
    world.manifests += 1
    from cfnews.pipeline.feeds_file import dump_feeds
    from cfnews.schemas import FeedSource
    feeds_file.write_text(dump_feeds(FeedSource(outlet=o, url=site.server.url(f"/{o}.xml"),
                                                language="en", country="FR") for o in feeds))
    digests = world.expected_inputs_digest()
    before = set(world.rows(("articles",), "url"))
    started = time.monotonic()
    code, out, err, killed = finish(cfnews(
        "run", "--feeds", str(feeds_file), "--out", str(world.out), "--once", "--all-topics",
        f"--allow_hosts={site.server.host_port}", "--min_host_delay=0",
        f"--request_timeout={REQUEST_TIMEOUT}", "--read_timeout=10"))
    seconds = time.monotonic() - started
    time.sleep(0.3)   # the server notices the run's closed sockets within 0.05 s: let it log
    held = ", ".join(f"{path} {stalls.get(path)} {'-' if g is None else f'{g:.1f}s'}"
                     for path, g in site.log)
    print(f"  slow: exit {code} in {seconds:.0f}s; stalled requests: {held or 'none reached'}",
          flush=True)
    world.check(label, [("run", code, out, err, killed)], digests)
    for path, gone_after in list(site.log):
        if gone_after is None or gone_after > REQUEST_TIMEOUT + DEADLINE_SLACK:
            world.fail(label, f"deadline: {stalls.get(path)} {path} held "
                              f"{'to the end' if gone_after is None else f'{gone_after:.1f}s'} "
                              f"(--request_timeout {REQUEST_TIMEOUT}; run {seconds:.0f}s)")
    both_feeds_stall = "/s0.xml" in stalls and "/s1.xml" in stalls
    expected = 3 if both_feeds_stall else 0
    if code != expected and code != 75:
        world.fail(label, f"run: exit {code}, documented {expected} (stalled: "
                          f"{sorted(stalls)}): {err.strip()[-300:]}")
    if code != 0:
        return
    articles = world.rows(("articles",), "url")
    stalled_pages = {site.page_url(int(p[2:])) for p in stalls if p.startswith("/p")}
    if stalled_pages & (set(articles) - before):
        world.fail(label, "a stalled page became an article")
    readable = [n for o, ns in feeds.items() if f"/{o}.xml" not in stalls for n in ns]
    good = [n for n in readable if "/robots.txt" not in stalls
            and site.page_url(n) not in stalled_pages]
    present = set(world.rows(("articles", "duplicates", "rejected"), "url"))
    missing = [n for n in good if site.page_url(n) not in present]
    if missing:
        world.fail(label, f"good page(s) of a readable feed missing: {missing} "
                          f"(stalled: {sorted(stalls)})")


def scenario(world: World, kind: str, rng: random.Random, label: str) -> None:
    if kind == "slow":
        return slow(world, rng, label)
    numbers = rng.sample(range(LINES), rng.randint(2, 5))
    if kind == "badfile":
        damage(world, rng)
        if rng.random() < 0.25:
            digests = world.expected_inputs_digest()
            code, out, err, killed = finish(world.compact())
            world.check(label, [("compact", code, out, err, killed)], digests)
            # a partition it would merge (2+ files) that holds a damaged file is left alone,
            # and the output names a damaged file of it
            for folder in {p.parent for p in world.damaged if p.exists()}:
                if code == 0 and len(list(folder.glob("*.parquet"))) >= 2 and not any(
                        p.name in out + err for p in world.damaged if p.parent == folder):
                    world.fail(label, f"compact: no damaged file of {folder.relative_to(world.out)}"
                                      f" named: {(out + err)[-300:]}")
            return
        kind = "backfill"
    if kind == "backfill" or kind == "corrupt":
        hostile = kind == "corrupt" and rng.random() < 0.7
        if kind == "corrupt" and not hostile:   # a damaged lock file left by someone
            world.out.mkdir(exist_ok=True)
            (world.out / ".cfnews.lock").write_bytes(os.urandom(40))
        manifest, digests = world.manifest(numbers, hostile=hostile)
        code, out, err, killed = finish(world.backfill(manifest))
        world.check(label, [("backfill", code, out, err, killed)], digests,
                    expect_present=numbers if code == 0 else ())
        if hostile and code == 0:
            if any("SECRET" in (text or "") for text in world.rows(("articles",), "text")):
                world.fail(label, "a file outside the manifest's folder was read")
    elif kind == "kill":
        manifest, digests = world.manifest(numbers)
        if rng.random() < 0.3:
            code, out, err, killed = finish(world.backfill(manifest, crash_at="mid_write"))
            killed = True
        else:
            code, out, err, killed = finish(world.backfill(manifest),
                                            kill_after=rng.uniform(0.3, 7.0))
        world.check(label, [("backfill", code, out, err, killed)], digests,
                    expect_present=numbers if code == 0 else ())
    elif kind == "compact":
        digests = world.expected_inputs_digest()
        point = rng.choice([None, "compact_staged", "compact_swapped", "compact_rescued"])
        code, out, err, killed = finish(world.compact(crash_at=point))
        world.check(label, [("compact", code, out, err, killed or point is not None)], digests)
    elif kind == "pair":
        manifest, digests = world.manifest(numbers)
        first = world.backfill(manifest)
        time.sleep(rng.uniform(0.0, 1.5))
        first_running = first.poll() is None
        if rng.random() < 0.5:
            second_name, second = "backfill", world.backfill(world.manifest(
                rng.sample(range(LINES), 3))[0])
            digests = world.expected_inputs_digest()
        else:
            second_name, second = "compact", world.compact()
        a = finish(first)
        b = finish(second)
        world.check(label, [("backfill", *a), (second_name, *b)], digests,
                    expect_present=numbers if a[0] == 0 else ())
        if first_running and a[0] == 0 and b[0] == 0 and second_name == "backfill" \
                and "took over" in b[2]:
            world.fail(label, "the second writer took over a live writer's lock")


def run_world(base: Path, world_no: int, kinds: list, first: int, seed: int, started: float):
    """One world: its scenarios in order, then the final clean backfill. Returns (kinds run,
    failures). Its own random stream, so worlds run side by side (--jobs) stay reproducible."""
    rng = random.Random(f"{seed}-{world_no}")
    world = World(base / f"world{world_no}", rng)
    ran = collections.Counter()
    for offset, kind in enumerate(kinds):
        label = f"world {world_no} #{first + offset} {kind}"
        before = len(world.failures)
        try:
            scenario(world, kind, rng, label)
        except Exception as exc:  # the benchmark's own error: counted, the run goes on
            world.fail(label, f"chaos.py error: {type(exc).__name__}: {exc}")
        ran[kind] += 1
        print(f"{label}: {time.monotonic() - started:.0f}s", flush=True)
        for _, message in world.failures[before:]:
            print(f"  FAILURE {message[:400]}", flush=True)
    # the end of a world: one clean run of every line; nothing may be lost
    before = len(world.failures)
    manifest, digests = world.manifest(range(LINES))
    code, out, err, killed = finish(world.backfill(manifest))
    world.check(f"world {world_no} final", [("backfill", code, out, err, killed)],
                digests, expect_present=range(LINES))
    if code != 0:
        world.fail(f"world {world_no} final", f"exit {code}: {err[-300:]}")
    print(f"world {world_no} final: exit {code}: {time.monotonic() - started:.0f}s", flush=True)
    for _, message in world.failures[before:]:
        print(f"  FAILURE {message[:400]}", flush=True)
    if world.site is not None:
        world.site.stop()
    return ran, world.failures


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenarios", type=int, default=200)
    parser.add_argument("--per-world", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=1,
                        help="worlds run side by side (each its own output folder)")
    parser.add_argument("--kinds", default="", help="only these kinds, comma-separated "
                        "(to try one kind quickly); default: the whole weighted mix")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    kinds = (["kill"] * 4 + ["pair"] * 2 + ["compact"] * 2 + ["corrupt"] + ["backfill"]
             + ["badfile"] * 2 + ["slow"] * 2)
    if args.kinds:
        kinds = [k for k in kinds if k in args.kinds.split(",")]
    plan = [rng.choice(kinds) for _ in range(args.scenarios)]
    worlds = [plan[i:i + args.per_world] for i in range(0, len(plan), args.per_world)]
    started = time.monotonic()
    ran = collections.Counter()
    failures = []
    tmp = tempfile.mkdtemp(prefix="cfnews-chaos-")   # kept when something failed
    if True:
        import concurrent.futures
        with concurrent.futures.ProcessPoolExecutor(max_workers=args.jobs) as pool:
            futures = [pool.submit(run_world, Path(tmp), n + 1, world_kinds,
                                   n * args.per_world + 1, args.seed, started)
                       for n, world_kinds in enumerate(worlds)]
            for future in futures:
                world_ran, world_failures = future.result()
                ran += world_ran
                failures += world_failures
    if not failures:
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print(f"worlds kept for inspection in {tmp}")
    elapsed = time.monotonic() - started
    print(f"\nscenarios run: {sum(ran.values())} ({', '.join(f'{k} {n}' for k, n in sorted(ran.items()))}) "
          f"in {len(worlds)} worlds ({args.jobs} at a time), {elapsed:.0f}s")
    by_message = collections.Counter(message.split(":")[0] if ":" in message else message
                                     for _, message in failures)
    print(f"failures: {len(failures)}")
    for key, n in by_message.most_common():
        example = next((s, m) for s, m in failures if m.startswith(key))
        print(f"  {n:4d}  {key}   e.g. [{example[0]}] {example[1][:400]}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
