"""Ctrl-C and SIGTERM on a one-shot command, as an operator or a scheduler sends them, then
the same command again: the status the README's table gives, a one-line message, no
traceback, and every entry once in the datasets after the rerun, with no staging left.
Every run is a real `python -m cfnews` subprocess."""
from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from cfnews.pipeline import exit_codes

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[1]
WORDS = ("trade aircraft cognac tariff delegation ministry summit reactor investment export "
         "visit dialogue cooperation agreement market customs quota farmers luxury satellite "
         "treaty talks embassy port railway bank bond river school bridge harbour museum").split()


def pages_manifest(folder: Path, n: int) -> Path:
    """n saved pages (HTML, so every one is extracted), spread over several date partitions."""
    lines = []
    for k in range(n):
        rng = random.Random(k)
        body = "".join(f"<p>Story {k}: {' '.join(rng.choice(WORDS) for _ in range(80))}.</p>"
                       for _ in range(5))
        html = (f"<html><head><title>Story {k}</title></head><body><article><h1>Story {k}</h1>"
                f"{body}</article></body></html>")
        lines.append(json.dumps({"url": f"https://probe.example/story/{k}", "outlet": "probe",
                                 "published": f"2025-11-{1 + k % 9:02d}T10:00:00Z", "html": html}))
    path = folder / "pages.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def start(*args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "cfnews", *map(str, args)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def signal_mid_run(proc: subprocess.Popen, signum: int, timeout: float = 240):
    """Send `signum` once the progress log shows pages inside the stages (fetched or
    extracted, nothing written yet); returns (stdout, stderr)."""
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stderr), daemon=True)
    reader.start()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        busy = [l for l in list(lines) if re.search(r"progress: .*(fetched|extracted) [1-9]", l)
                and re.search(r"written 0\b", l)]
        if busy:
            proc.send_signal(signum)
            break
        time.sleep(0.05)
    else:
        pytest.fail("the run never showed progress: " + "".join(lines)[-3000:])
    stdout = proc.stdout.read()
    proc.wait(timeout=120)
    reader.join(timeout=30)
    return stdout, "".join(lines)


def rows(out: Path):
    found = []
    for dataset in ("articles", "duplicates", "rejected"):
        if (out / dataset).exists():
            found += [(dataset, r[0]) for r in duckdb.sql(
                f"SELECT url FROM read_parquet('{out}/{dataset}/**/*.parquet')").fetchall()]
    return found


def test_ctrl_c_inside_the_stages_exits_130_and_a_rerun_writes_everything_once(tmp_path):
    """A Ctrl-C that lands inside a stage used to end with status 1 and two tracebacks (Beam
    re-raises it as RuntimeError('KeyboardInterrupt [while running ...]')); and every run,
    interrupted or not, left its DIR/_staging/<run> folder behind for good."""
    manifest = pages_manifest(tmp_path, 40)
    out = tmp_path / "out"
    args = ("backfill", "--manifest", manifest, "--out", out, "--all-topics",
            "--progress-every", "0.2s")
    proc = start(*args)
    stdout, stderr = signal_mid_run(proc, signal.SIGINT)
    assert proc.returncode == exit_codes.INTERRUPTED, stderr[-3000:]
    assert "cfnews: interrupted" in stderr
    assert "Traceback" not in stderr and "RuntimeError" not in stderr, stderr[-3000:]

    again = start(*args[:-2], "-q")
    stdout, stderr = again.communicate(timeout=300)
    assert again.returncode == exit_codes.OK, stdout + stderr
    assert "(adds up)" in stdout
    written = rows(out)
    assert sorted(url for _, url in written) == sorted(
        f"https://probe.example/story/{k}" for k in range(40))     # each once, none lost
    assert os.listdir(out / "_staging") == []                      # no run's folder left


def test_a_backfill_removes_what_a_killed_run_left_in_staging(tmp_path):
    """Start-up clean-up of a killed run's half-written files was done by `run` only."""
    out = tmp_path / "out"
    dead = out / "_staging" / "20261201T000000Z-dead00"
    dead.mkdir(parents=True)
    (dead / "0123abcd.parquet").write_bytes(b"PAR1 half")
    done = subprocess.run([sys.executable, "-m", "cfnews", "backfill", "--manifest",
                           str(pages_manifest(tmp_path, 2)), "--out", str(out), "--all-topics",
                           "-q"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == exit_codes.OK, done.stdout + done.stderr
    assert os.listdir(out / "_staging") == []


def test_sigterm_stops_a_run_like_ctrl_c_and_the_summary_json_says_so(tmp_path):
    """SIGTERM (a scheduler's timeout, systemd's stop) used to kill a one-shot run without a
    word (status -15), leaving the previous run's --summary-json, exit_status 0, in place."""
    summary = tmp_path / "summary.json"
    summary.write_text(json.dumps({"run_id": "an-earlier-run", "exit_status": 0}))
    proc = start("backfill", "--manifest", pages_manifest(tmp_path, 30), "--out", tmp_path / "out",
                 "--all-topics", "--progress-every", "0.2s", "--summary-json", summary)
    stdout, stderr = signal_mid_run(proc, signal.SIGTERM)
    assert proc.returncode == exit_codes.TERMINATED == 143, stderr[-3000:]
    assert "cfnews: terminated (SIGTERM)" in stderr and "Traceback" not in stderr, stderr[-3000:]
    figures = json.loads(summary.read_text())
    assert figures["exit_status"] == 143 and figures["error"] == "terminated (SIGTERM)"
    assert figures["run_id"] != "an-earlier-run"
