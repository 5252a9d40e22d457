"""`cfnews report`: its figures agree with independent DuckDB queries over the demo output, and
headless Chromium draws every chart of the page offline (a screenshot is kept under
artifacts/)."""
from __future__ import annotations

import datetime as dt
import html.parser
import os
import shutil
import subprocess
from collections import Counter, defaultdict
from pathlib import Path

import duckdb
import pytest

from tests.conftest import cli
from cfnews.pipeline.report import buckets_for, render_html, report_data

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts"
CHARTS = ("chart-per-day", "chart-languages", "chart-rejected", "chart-entities", "chart-wire",
          "chart-wire-graph")


def sql(out, query):
    """Run `query` with {articles}, {duplicates}, {rejected} bound to the demo datasets."""
    tables = {d: f"read_parquet('{os.path.join(out, d, '**', '*.parquet')}', "
                 f"hive_partitioning = true)" for d in ("articles", "duplicates", "rejected")}
    return duckdb.sql(query.format(**tables)).fetchall()


@pytest.fixture(scope="module")
def truth(demo_output):
    """What the report must show, computed by DuckDB straight from the Parquet files."""
    out = demo_output.out
    per_day = {(d.isoformat(), o): n for d, o, n in sql(
        out, "SELECT date, outlet, count(*) FROM {articles} GROUP BY ALL")}
    languages = dict(sql(out, "SELECT coalesce(language, 'und'), count(*) FROM {articles} "
                              "GROUP BY 1"))
    entities = {}
    cells = 0
    for column in ("people", "organizations", "places"):
        top = sql(out, f"SELECT name, count(*) AS n FROM (SELECT unnest({column}) AS name "
                       f"FROM {{articles}}) GROUP BY 1 ORDER BY n DESC, name LIMIT 10")
        entities[column] = top
        names = [name for name, _ in top]
        if names:
            cells += sql(out, f"SELECT count(DISTINCT (name, date)) FROM (SELECT date, "
                              f"unnest({column}) AS name FROM {{articles}}) "
                              f"WHERE list_contains({names!r}::VARCHAR[], name)")[0][0]
    wire = sql(out, "SELECT a.cluster_id, a.outlet, d.outlet FROM {articles} a "
                    "JOIN {duplicates} d ON d.cluster_id = a.cluster_id")
    rejected = dict(sql(out, "SELECT stage || '.' || reason, count(*) FROM {rejected} "
                             "GROUP BY 1"))
    return dict(per_day=per_day, languages=languages, entities=entities, entity_cells=cells,
                wire=wire, rejected=rejected)


def test_figures_agree_with_duckdb(demo_output, truth):
    data = report_data(demo_output.out)
    drawn = {(bucket, outlet): data["per_bucket"][j][i]
             for j, outlet in enumerate(data["outlets"])
             for i, bucket in enumerate(data["buckets"]) if data["per_bucket"][j][i]}
    assert data["unit"] == "day" and drawn == truth["per_day"]
    assert dict(map(tuple, data["languages"])) == truth["languages"]
    for column, top in truth["entities"].items():
        assert [(e["name"], e["total"]) for e in data["entities"][column]] == top, column
        for e in data["entities"][column]:
            assert sum(e["counts"]) == e["total"]
    assert truth["wire"], "the demo should contain at least one wire copy"
    carried = {(s["cluster_id"], s["first"]["outlet"], c["outlet"])
               for s in data["stories"] for c in s["copies"]}
    assert carried == set(truth["wire"])
    edges = Counter((first, copy) for _, first, copy in truth["wire"])
    assert {(e["from"], e["to"]): e["n"] for e in data["edges"]} == dict(edges)
    for story in data["stories"]:  # "who first": the original precedes every copy
        assert all(c["at"] >= story["first"]["at"] for c in story["copies"])
    assert dict(map(tuple, data["rejected"])) == truth["rejected"]
    assert data["totals"]["articles"] == sum(truth["per_day"].values())


def test_long_spans_are_bucketed_by_week_with_gaps_kept():
    start = dt.date(2026, 1, 7)  # a Wednesday
    unit, labels, bucket_of = buckets_for([start, start + dt.timedelta(days=100)])
    assert unit == "week"
    assert labels[0] == "2026-01-05" and len(labels) == 15  # Mondays, none skipped
    assert bucket_of(dt.date(2026, 1, 11)) == "2026-01-05"
    assert bucket_of(dt.date(2026, 1, 12)) == "2026-01-12"
    unit, labels, _ = buckets_for([start, start + dt.timedelta(days=3)])
    assert unit == "day" and labels == ["2026-01-07", "2026-01-08", "2026-01-09", "2026-01-10"]


def test_a_hostile_title_cannot_break_out_of_the_page(demo_output):
    data = report_data(demo_output.out)
    data["stories"][0]["title"] = "</script><script>document.title='pwned'</script>"
    page = render_html(data)
    assert page.count("</script>") == 2  # the data block's and the drawing script's own


class _Marks(html.parser.HTMLParser):
    """Per chart <figure>: its attributes and how many elements inside carry class `mark`."""

    def __init__(self):
        super().__init__()
        self.figures, self.marks, self.body = {}, defaultdict(int), {}
        self._stack = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "body":
            self.body = attrs
        if tag == "figure" and attrs.get("id"):
            self.figures[attrs["id"]] = attrs
            self._stack.append(attrs["id"])
        elif self._stack and "mark" in (attrs.get("class") or "").split():
            self.marks[self._stack[-1]] += 1

    def handle_endtag(self, tag):
        if tag == "figure" and self._stack:
            self._stack.pop()


def chromium_binary():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("Chromium is not installed (apt-get install -y chromium; CI installs it)")


def chromium(binary, profile, *args):
    command = [binary, "--headless", "--no-sandbox", "--disable-gpu",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--no-first-run", "--disable-extensions", "--disable-default-apps",
               # even so, Chromium asked the resolver for clients2.google.com and
               # update.googleapis.com: no name resolves, and anything that connects
               # goes to a closed loopback port (the page is a file:// one)
               "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
               f"--user-data-dir={profile}", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_cli_report_draws_every_chart_in_headless_chromium(demo_output, truth, tmp_path):
    page = tmp_path / "report.html"
    done = cli("report", "--out", demo_output.out, "--html", str(page))
    assert done.returncode == 0, done.stderr
    assert "http://" not in page.read_text(encoding="utf-8").replace(
        'xmlns="http://www.w3.org/2000/svg"', "").replace("http://www.w3.org/2000/svg", "")
    binary = chromium_binary()
    dom = chromium(binary, tmp_path / "profile", "--dump-dom", page.as_uri())
    parsed = _Marks()
    parsed.feed(dom)
    assert parsed.body.get("data-ready") == "true", "the drawing script did not finish"
    assert "data-error" not in parsed.body, parsed.body.get("data-error")
    for chart in CHARTS:
        assert parsed.figures[chart].get("data-drawn") == "true", chart
    expected = {
        "chart-per-day": len(truth["per_day"]),
        "chart-languages": len(truth["languages"]),
        "chart-rejected": len(truth["rejected"]),
        "chart-entities": truth["entity_cells"],
        "chart-wire": len({c for c, _, _ in truth["wire"]}) + len(truth["wire"]),
    }
    for chart, count in expected.items():
        assert parsed.marks[chart] == count, chart
        assert parsed.figures[chart]["data-marks"] == str(count), chart
    assert parsed.figures["chart-wire-graph"]["data-marks"] == str(
        len({(a, b) for _, a, b in truth["wire"]}))

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report.png"
    shot.unlink(missing_ok=True)
    chromium(binary, tmp_path / "profile", "--hide-scrollbars", "--window-size=1400,2000",
             f"--screenshot={shot}", page.as_uri())
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 30_000
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(shot) as image:
        colours = {rgb for _, rgb in image.convert("RGB").getcolors(maxcolors=1 << 20)}
    assert (0x2F, 0x6F, 0xDF) in colours  # the first outlet's bars are on screen
    assert len(colours) > 50
