"""Progress while a job runs: on a terminal a live line (run under a pseudo-terminal here),
off a terminal a log line every N seconds, nothing with -q; in_memory and multi_processing."""
from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# e2e; its redraw bound (every 2 s) is wall-clock: it runs in the test command's serial pass
pytestmark = [pytest.mark.e2e, pytest.mark.timing]

SENTENCES = [
    "President Emmanuel Macron received Chinese leader Xi Jinping in Paris on Monday.",
    "The two governments signed agreements on aviation, nuclear energy and farm exports.",
    "Officials in Beijing said trade between China and France grew by a tenth last year.",
    "French cognac makers hope the talks will end an anti-dumping inquiry by Chinese regulators.",
]
LINES = 160


def manifest(folder: Path, n: int = LINES) -> Path:
    path = folder / "pages.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for i in range(n):
            text = "\n\n".join(f"{s} (Report {i * 7919 % 100003}, paragraph {j}, item {i}.)"
                               for j, s in enumerate(SENTENCES * 2))
            handle.write(json.dumps({"url": f"https://news.example.org/story/{i}", "outlet": "wire",
                                     "published": "2026-11-30T10:00:00Z", "title": f"Story {i}",
                                     "text": text}) + "\n")
    return path


def run_in_pty(args, columns=200):
    """(exit status, [(seconds since start, text)]) of `python -m cfnews args` on a pty."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: the CLI with the pty as its terminal
        os.chdir(ROOT)
        os.environ["COLUMNS"] = str(columns)  # else a width inherited from the test runner
        os.execv(sys.executable, [sys.executable, "-m", "cfnews", *map(str, args)])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    start, chunks = time.monotonic(), []
    deadline = start + 600
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if not ready:
            continue
        try:
            data = os.read(fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append((time.monotonic() - start, data.decode("utf-8", "replace")))
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), chunks


PROGRESS = re.compile(r"discovered (\d+) \| fetched (\d+) \| extracted (\d+) \| written (\d+) \| "
                      r"rejected (\d+) \| ([\d.]+)/s \| (\d+:\d\d) \| (\d+)/(\d+) done, ETA "
                      r"(\d+:\d\d|--:--)")


@pytest.mark.parametrize("mode", ["in_memory", "multi_processing"])
def test_a_terminal_gets_a_live_line_while_the_job_runs(tmp_path, mode):
    status, chunks = run_in_pty(["backfill", "--manifest", manifest(tmp_path), "--out",
                                 tmp_path / "out", "--all-topics",
                                 f"--direct_running_mode={mode}", "--direct_num_workers=2"])
    text = "".join(c for _, c in chunks)
    assert status == 0, text[-3000:]
    summary_at = next(t for t, c in chunks if "accounting" in c)
    updates = [(t, m.groups()) for t, c in chunks if t < summary_at
               for m in PROGRESS.finditer(c)]
    assert updates, text[-3000:]
    # the line changes while the job runs, not only at its end ...
    distinct = {}
    for t, groups in updates:
        distinct.setdefault(groups[:5] + groups[7:8], t)
    assert len(distinct) >= 3, sorted(distinct.items(), key=lambda kv: kv[1])
    # ... and is redrawn at least every 2 s from the first update to the summary
    times = [t for t, _ in updates]
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert max(gaps) <= 2.0, gaps
    first_done = [t for t, g in updates if int(g[7]) > 0]
    assert first_done and first_done[0] < summary_at - 1.0, "entries counted only at the end"
    # the last line agrees with the summary: all entries done, the manifest's size as total
    last = updates[-1][1]
    assert last[8] == str(LINES) and last[7] == str(LINES), last
    assert re.search(rf"articles written\s+{LINES}\b", text)
    assert any(g[9] not in ("--:--",) for _, g in updates), "no ETA was ever shown"


def test_off_a_terminal_a_log_line_every_n_seconds_and_nothing_with_quiet(tmp_path):
    path = manifest(tmp_path, 60)
    logged = subprocess.run([sys.executable, "-m", "cfnews", "backfill", "--manifest", path,
                             "--out", tmp_path / "a", "--all-topics", "--progress-every=1s"],
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert logged.returncode == 0, logged.stderr
    lines = [l for l in logged.stderr.splitlines() if "progress: discovered" in l]
    assert len(lines) >= 2, logged.stderr
    # INFO, not WARNING (log alerting counts warnings), yet shown without -v
    assert all(re.match(r"\d{4}-\d\d-\d\dT[\d:.]+Z INFO cfnews.progress: ", l) for l in lines)
    assert "WARNING" not in logged.stderr and "INFO cfnews." not in logged.stderr.replace(
        "INFO cfnews.progress", ""), "only the progress lines are raised to INFO"
    assert "\x1b[" not in logged.stderr, "terminal control codes in a log"
    quiet = subprocess.run([sys.executable, "-m", "cfnews", "backfill", "--manifest", path,
                            "--out", tmp_path / "b", "--all-topics", "--progress-every=1s", "-q"],
                           cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert quiet.returncode == 0 and "(adds up)" in quiet.stdout
    assert "progress" not in quiet.stderr


def test_stages_report_beam_distributions_for_distributed_runners(tmp_path):
    """Dataflow shows Beam metrics while a job runs: per-stage time per element and the
    extracted text length, beside the counters."""
    import apache_beam as beam
    from apache_beam.metrics.metric import MetricsFilter
    from cfnews.transforms.extract import ExtractArticles
    from cfnews.transforms.fetch import FetchPages
    from cfnews.transforms.http import HttpConfig
    from cfnews.transforms.manifest import ReadManifest
    path = manifest(tmp_path, 5)
    pipeline = beam.Pipeline(runner="FnApiRunner")
    entries, _ = pipeline | beam.Create([str(path)]) | ReadManifest()
    pages, _ = entries | FetchPages(HttpConfig())
    articles, _ = pages | ExtractArticles()
    result = pipeline.run()
    result.wait_until_finish()

    def distributions(namespace):
        query = result.metrics().query(MetricsFilter().with_namespace(namespace))
        return {d.key.metric.name: d.committed for d in query["distributions"]}
    stage_ms = distributions("cfnews.stage_ms")
    assert set(stage_ms) >= {"manifest", "fetch", "extract"}
    assert all(d.count == 5 and d.min >= 0 for d in stage_ms.values()), stage_ms
    text = distributions("cfnews.extract")["text_chars"]
    assert text.count == 5 and 500 < text.min <= text.max < 2000
