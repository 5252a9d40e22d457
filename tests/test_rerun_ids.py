"""Reruns are idempotent: every rejected manifest line has a stable article id (its position
and content), and the history check drops lines whose id an earlier run wrote."""
import json
import subprocess
import sys

import duckdb

from cfnews.schemas import Rejected
from cfnews.transforms.manifest import line_article_id, parse_manifest_line
from tests.test_crash_safety import ROOT

TEXT = "France and China signed trade agreements on aircraft and cognac in Paris. " * 10
LINES = [
    "not json at all",
    json.dumps({"url": "https://e.org/bad-outlet", "outlet": "Bad Outlet", "text": TEXT}),
    json.dumps({"url": "https://e.org/missing", "outlet": "o", "html_file": "nowhere.html"}),
    json.dumps({"url": "https://e.org/good", "outlet": "o", "text": TEXT}),
]


def write_manifest(folder):
    path = folder / "m.jsonl"
    path.write_text("\n".join(LINES) + "\n")
    return path


def test_every_rejected_line_has_an_id_from_its_position_and_content(tmp_path):
    manifest = str(write_manifest(tmp_path))
    first = [parse_manifest_line(manifest, n, line) for n, line in enumerate(LINES[:3], 1)]
    again = [parse_manifest_line(manifest, n, line) for n, line in enumerate(LINES[:3], 1)]
    assert all(isinstance(r, Rejected) and len(r.article_id) == 16 for r in first)
    assert [r.article_id for r in first] == [r.article_id for r in again]
    assert len({r.article_id for r in first}) == 3
    assert first[0].article_id == line_article_id(1, LINES[0])
    assert line_article_id(2, LINES[0]) != line_article_id(1, LINES[0])      # position counts
    assert line_article_id(1, LINES[0] + " ") != line_article_id(1, LINES[0])  # content counts


def test_a_rerun_of_the_same_manifest_writes_nothing_twice(tmp_path):
    manifest = write_manifest(tmp_path)
    out = tmp_path / "out"
    for _ in range(2):
        done = subprocess.run([sys.executable, "-m", "cfnews", "backfill", "--manifest",
                               str(manifest), "--out", str(out), "--all-topics"], cwd=ROOT,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
    rows = duckdb.sql(f"SELECT article_id FROM read_parquet('{out}/*/**/*.parquet', "
                      "union_by_name=true)").fetchall()
    assert len(rows) == 4 and len({r[0] for r in rows}) == 4
