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
  backfill  a plain backfill (the control).

Checked after every scenario: no article id doubled across the datasets, every exit status
one the README documents (0, 75 for a writer that met the lock, -9 where we killed), a 0 only
with "(adds up)", the files beside --out (a sentinel folder and the manifest's folder)
untouched, and every line of a backfill that exited 0 present. At the end of each world one
clean backfill of every line must exit 0 and leave every line exactly once (nothing lost).

    python tests/benchmarks/chaos.py [--scenarios 200] [--per-world 10] [--seed 1]

Prints scenarios run, failures by kind (with their first messages), and time."""
from __future__ import annotations

import argparse
import collections
import datetime as dt
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402

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
    from transforms.urls import article_id_for, canonical_url
    return {article_id_for(canonical_url(manifest_line(n)["url"])) for n in numbers}


def tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(str(path.relative_to(folder)).encode())
        if path.is_file() and not path.is_symlink():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def cfnews(*args, crash_at=None):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("CFNEWS_CRASH_AT", None)
    if crash_at:
        env["CFNEWS_CRASH_AT"] = crash_at
    return subprocess.Popen([sys.executable, "-m", "pipeline", *args], cwd=ROOT, env=env,
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

    def rows(self):
        ids = []
        for dataset in ("articles", "duplicates", "rejected"):
            if (self.out / dataset).exists() and list((self.out / dataset).rglob("*.parquet")):
                ids += [r[0] for r in duckdb.sql(
                    f"SELECT article_id FROM read_parquet('{self.out}/{dataset}/**/*.parquet', "
                    "union_by_name=true)").fetchall()]
        return ids

    def check(self, scenario, results, digests, expect_present=()):
        """results: [(name, returncode, stdout, stderr, killed_by_us)]."""
        for name, code, stdout, stderr, killed in results:
            allowed = {0, 75} | ({-signal.SIGKILL} if killed else set())
            if code not in allowed:
                self.fail(scenario, f"{name}: exit {code}: {stderr.strip()[-300:]}")
            if code == 0 and name == "backfill" and "(adds up)" not in stdout:
                self.fail(scenario, f"{name}: exit 0 without '(adds up)': {stdout[-300:]}")
            if code == 75 and "being written by another cfnews run" not in stderr:
                self.fail(scenario, f"{name}: exit 75 without the lock message")
        try:
            ids = self.rows()
        except Exception as exc:  # a reader must always be able to read the datasets
            self.fail(scenario, f"read: {type(exc).__name__}: {str(exc)[:300]}")
            return
        doubled = [i for i, n in collections.Counter(ids).items() if n > 1]
        if doubled:
            self.fail(scenario, f"{len(doubled)} article id(s) doubled")
        missing = url_ids(expect_present) - set(ids)
        if missing:
            self.fail(scenario, f"{len(missing)} line(s) of a successful backfill missing")
        if self.expected_inputs_digest() != digests:
            self.fail(scenario, "files outside --out changed")
        if (self.base / "secret.html").read_text().find("SECRET") < 0:
            self.fail(scenario, "secret.html changed")


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


def scenario(world: World, kind: str, rng: random.Random, label: str) -> None:
    numbers = rng.sample(range(LINES), rng.randint(2, 5))
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
            text = duckdb.sql(f"SELECT count(*) FROM read_parquet('{world.out}/articles/**/*"
                              ".parquet') WHERE text LIKE '%SECRET%'").fetchall()[0][0]
            if text:
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


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenarios", type=int, default=200)
    parser.add_argument("--per-world", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    kinds = ["kill"] * 4 + ["pair"] * 2 + ["compact"] * 2 + ["corrupt"] + ["backfill"]
    started = time.monotonic()
    ran = collections.Counter()
    failures = []
    with tempfile.TemporaryDirectory(prefix="cfnews-chaos-") as tmp:
        done = 0
        world_no = 0
        while done < args.scenarios:
            world_no += 1
            world = World(Path(tmp) / f"world{world_no}", rng)
            for _ in range(min(args.per_world, args.scenarios - done)):
                kind = rng.choice(kinds)
                label = f"world {world_no} #{done + 1} {kind}"
                before = len(world.failures)
                scenario(world, kind, rng, label)
                ran[kind] += 1
                done += 1
                print(f"{label}: {time.monotonic() - started:.0f}s", flush=True)
                for _, message in world.failures[before:]:
                    print(f"  FAILURE {message[:400]}", flush=True)
            # the end of a world: one clean run of every line; nothing may be lost
            manifest, digests = world.manifest(range(LINES))
            code, out, err, killed = finish(world.backfill(manifest))
            world.check(f"world {world_no} final", [("backfill", code, out, err, killed)],
                        digests, expect_present=range(LINES))
            if code != 0:
                world.fail(f"world {world_no} final", f"exit {code}: {err[-300:]}")
            print(f"world {world_no} final: exit {code}", flush=True)
            failures += world.failures
    elapsed = time.monotonic() - started
    print(f"\nscenarios run: {sum(ran.values())} ({', '.join(f'{k} {n}' for k, n in sorted(ran.items()))}) "
          f"in {world_no} worlds, {elapsed:.0f}s")
    by_message = collections.Counter(message.split(":")[0] if ":" in message else message
                                     for _, message in failures)
    print(f"failures: {len(failures)}")
    for key, n in by_message.most_common():
        example = next((s, m) for s, m in failures if m.startswith(key))
        print(f"  {n:4d}  {key}   e.g. [{example[0]}] {example[1][:400]}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
