"""One writer per output folder: a second run on a locked --out exits 75 with a message naming
the holder and writes nothing; a lock left by a killed run is taken over with a warning.
Every run here is a real `python -m cfnews` subprocess."""
import json
import os
import signal
import subprocess
import sys
import time

import duckdb
import pytest

from cfnews.pipeline.lock import EXIT_LOCKED, LOCK_FILE
from tests.test_crash_safety import ROOT, GrowingFeed, cfnews
from tests.test_exit_status import small_manifest

pytestmark = pytest.mark.e2e


def cli(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "cfnews", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


def start(*args):
    return subprocess.Popen([sys.executable, "-m", "cfnews", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def article_ids(out):
    rows = []
    for dataset in ("articles", "duplicates", "rejected"):
        if (out / dataset).exists():
            rows += [r[0] for r in duckdb.sql(
                f"SELECT article_id FROM read_parquet('{out}/{dataset}/**/*.parquet')").fetchall()]
    return rows


def first_cycle_done(out):
    try:
        state = json.loads((out / "_state" / "state.json").read_text())
    except (OSError, ValueError):
        return False
    return bool(state["seen"]) and not state["pending"]


def test_two_simultaneous_backfills_one_writes_the_other_exits_75(tmp_path):
    manifest = small_manifest(tmp_path)
    out = tmp_path / "out"
    args = ("backfill", "--manifest", str(manifest), "--out", str(out), "--all-topics")
    procs = [start(*args), start(*args)]
    results = [(p.wait(timeout=300), *p.communicate()) for p in procs]
    statuses = sorted(code for code, _, _ in results)
    assert statuses == [0, EXIT_LOCKED], results
    _, _, stderr = next(r for r in results if r[0] == EXIT_LOCKED)
    assert "being written by another cfnews run" in stderr
    assert "pid " in stderr and "backfill" in stderr
    ids = article_ids(out)
    assert len(ids) == 3 and len(set(ids)) == 3  # written once, not twice
    assert (out / LOCK_FILE).read_text() == ""    # released: an unheld lock is empty


def test_a_running_loop_locks_every_other_writer_and_a_dead_ones_lock_is_taken_over(
        tmp_path, server):
    GrowingFeed(server)
    first = cfnews(tmp_path, server, every="1h")  # one cycle, then waits an hour
    out = tmp_path / "out"
    lock = out / LOCK_FILE
    deadline = time.time() + 180
    while time.time() < deadline and not first_cycle_done(out):
        assert first.poll() is None, first.communicate()[0][-3000:]
        time.sleep(0.5)
    holder = json.loads(lock.read_text())
    assert holder["pid"] == first.pid and holder["command"] == "run"
    rows_before = article_ids(out)
    assert rows_before

    manifest = small_manifest(tmp_path)
    for args in (("backfill", "--manifest", str(manifest), "--out", str(out), "--all-topics"),
                 ("compact", "--out", str(out), "--before", "2100-01-01"),
                 ("demo", "--out", str(out))):
        done = cli(*args)
        assert done.returncode == EXIT_LOCKED, (args, done.stdout, done.stderr)
        assert f"pid {first.pid}" in done.stderr, done.stderr
    assert sorted(article_ids(out)) == sorted(rows_before)  # the refused runs wrote nothing

    first.send_signal(signal.SIGKILL)
    first.wait(timeout=60)
    assert json.loads(lock.read_text())["pid"] == first.pid  # left behind by the killed run
    done = cli("backfill", "--manifest", str(manifest), "--out", str(out), "--all-topics")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"took over the lock of pid {first.pid}" in done.stderr
    assert "(adds up)" in done.stdout
    assert lock.read_text() == ""


def test_the_lock_file_cannot_be_redirected_by_a_symlink(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    os.symlink(victim, out / LOCK_FILE)
    done = cli("compact", "--out", str(out))
    assert done.returncode != 0
    assert victim.read_text() == "keep me"
