"""Exit statuses as a scheduler sees them: the CLI run as a subprocess, many times over.

A run that wrote everything and printed a summary that adds up must exit 0, every time:
before `pipeline.cli.entry`, about one run in four aborted at interpreter exit (SIGABRT, 134)
when a daemon thread of a C++ library was unwound during finalisation."""
from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[1]
RUNS = 20


def small_manifest(folder: Path) -> Path:
    sentences = [
        "President Emmanuel Macron received Chinese leader Xi Jinping in Paris on Monday.",
        "The two governments signed agreements on aviation, nuclear energy and farm exports.",
        "Officials in Beijing said trade between China and France grew by a tenth last year.",
        "French cognac makers hope the talks will end an anti-dumping inquiry by Chinese regulators.",
    ]
    lines = []
    for i in range(3):
        text = "\n\n".join(f"{s} (Report {i}, paragraph {j}.)" for j, s in enumerate(sentences * 2))
        lines.append(json.dumps({"url": f"https://news.example.org/story/{i}", "outlet": "wire",
                                 "published": "2026-11-30T10:00:00Z", "title": f"Story {i}",
                                 "text": text}))
    manifest = folder / "pages.jsonl"
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return manifest


def test_successful_runs_exit_zero_every_time(tmp_path):
    manifest = small_manifest(tmp_path)

    def backfill(i: int) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "cfnews", "backfill", "--manifest", str(manifest),
             "--out", str(tmp_path / f"out{i}"), "--all-topics"],
            cwd=ROOT, capture_output=True, text=True, timeout=300)

    # a few at once: the abort came from a thread's teardown at exit, which a busy machine
    # makes no less likely, and the runs take a third of the time
    with ThreadPoolExecutor(max_workers=3) as pool:
        runs = list(pool.map(backfill, range(RUNS)))
    for done in runs:
        assert "(adds up)" in done.stdout, done.stdout + done.stderr
    statuses = [done.returncode for done in runs]
    assert statuses == [0] * RUNS, f"exit statuses of {RUNS} successful runs: {statuses}"


def test_usage_error_exits_two(tmp_path):
    done = subprocess.run([sys.executable, "-m", "cfnews", "backfill", "--out", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "--manifest" in done.stderr
