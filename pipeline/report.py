"""`cfnews report`: one self-contained HTML page about an output folder.

    cfnews report --out DIR --html report.html [--since YYYY-MM-DD | --since 30d]

Charts: articles per day (or week, or month) by outlet, share by language, top people /
organisations / places over time, and the wire-copy graph (which outlets carried which story,
who first). The figures are aggregated by DuckDB scanning the Parquet files (bounded memory at
any lake size); the page needs no network: they are embedded as JSON and drawn as inline SVG by a
small script in the page itself. DIR may be local or any filesystem pyarrow opens (gs://, s3://).
"""
from __future__ import annotations

import datetime as dt
import html
import json
import logging
import os
import posixpath
from pathlib import Path
from typing import Dict, List, Optional

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs

from cfnews.schemas import PARTITIONING_SCHEMA
from cfnews.schemas.arrow import schema_for

log = logging.getLogger(__name__)

ENTITY_KINDS = (("people", "People"), ("organizations", "Organisations"), ("places", "Places"))
TOP_ENTITIES = 10
MAX_STORIES = 40
DAILY_UP_TO_DAYS = 62  # longer spans are bucketed by ISO week
WEEKLY_UP_TO_WEEKS = 260  # longer ones by month: a chart never has more than a few hundred bars
# Partitions dated outside these bounds (written before publication dates were checked, or by
# hand) are counted but not charted: one year-1 row must not make 100,000 empty buckets.
EARLIEST_CHARTED = dt.date(1990, 1, 1)

# The columns the report reads: everything else (texts, entity structs) stays on disk.
# article_id and run_id pick each article id's current rows (below).
COLUMNS = {
    "articles": ["article_id", "cluster_id", "title", "language", "published_at",
                 "discovered_at", "people", "organizations", "places", "date", "outlet",
                 "run_id"],
    "duplicates": ["article_id", "cluster_id", "canonical_id", "published_at", "discovered_at",
                   "method", "containment", "outlet", "run_id"],
    "rejected": ["stage", "reason", "article_id", "run_id"],
}

# The current version of each article id, as the views of pipeline/duckdb_views.sql define
# it (`_cfnews_current`): the rows of the last run (greatest run_id) that wrote the id, in
# whichever dataset. `--reprocess` adds rows beside the old ones; the report counts each
# article once. Feed-level rejections (no article id) all count.
_CURRENT = """
    CREATE TEMP TABLE _current AS
    SELECT article_id, max(run_id) AS run_id
    FROM (SELECT article_id, run_id FROM _articles_all
          UNION ALL SELECT article_id, run_id FROM _duplicates_all
          UNION ALL SELECT article_id, run_id FROM _rejected_all
                    WHERE coalesce(article_id, '') <> '')
    GROUP BY article_id
"""


def _dataset(out_dir: str, name: str) -> ds.Dataset:
    """One dataset as a lazy pyarrow dataset with the current schema (columns a file lacks
    read as NULL); an empty table when the folder does not exist yet."""
    full = pa.schema(list(schema_for(name)) + list(PARTITIONING_SCHEMA))
    # no Beam filesystem here: the report starts without importing Beam
    path = posixpath.join(out_dir, name) if "://" in out_dir else os.path.join(out_dir, name)
    if "://" in path:
        filesystem, root = pafs.FileSystem.from_uri(path)
    else:
        filesystem, root = pafs.LocalFileSystem(), path
    if filesystem.get_file_info(root).type != pafs.FileType.Directory:
        return ds.dataset(full.empty_table())
    return ds.dataset(root, schema=full, filesystem=filesystem, format="parquet",
                      exclude_invalid_files=True,
                      partitioning=ds.partitioning(PARTITIONING_SCHEMA, flavor="hive"))


def _local_parquet(out_dir: str, name: str) -> Optional[str]:
    """DuckDB's own reader for a local dataset with files (it reads them in parallel and
    prunes columns in each file); None for remote folders or an empty dataset."""
    if "://" in out_dir:
        return None
    folder = Path(out_dir) / name
    if not folder.is_dir() or next(folder.rglob("*.parquet"), None) is None:
        return None
    pattern = str(folder / "**" / "*.parquet").replace("'", "''")
    # Columns are matched by name in every file; the report reads only columns that every
    # schema_version has, so no union_by_name (it reads each file's schema first: slower).
    return (f"read_parquet('{pattern}', hive_partitioning = true, "
            f"hive_types = {{'date': 'DATE', 'outlet': 'VARCHAR'}})")


def _read_window(con, out_dir: str, since: dt.date) -> None:
    """The report's tables of the partitions dated `since` or later, chosen from one listing
    of the lake (the files of other days are never opened), and `_current` from the versions
    cache, brought up to date from the same listing."""
    from cfnews.pipeline.sql import dataset_sources
    from cfnews.pipeline.versions import article_runs, list_files
    filesystem, root, listed = list_files(out_dir)
    first = f"date={since.isoformat()}"
    # dataset/date=YYYY-MM-DD/outlet=…/part-….parquet: ISO dates sort as text
    window = [f for f in listed if f.split("/")[1] >= first]
    for name, source in dataset_sources(filesystem, root, window).items():
        con.register(f"_{name}_files", source)
        con.sql(f"CREATE TABLE _{name}_all AS SELECT {', '.join(COLUMNS[name])} "
                f"FROM _{name}_files")
        con.unregister(f"_{name}_files")
    pairs, note = article_runs(out_dir, listed, filesystem, root)
    log.info("article versions: %s", note)
    con.register("_versions", pairs)
    con.sql("CREATE TEMP TABLE _current AS SELECT article_id, max(run_id) AS run_id "
            "FROM _versions GROUP BY article_id")
    con.unregister("_versions")


def connect(out_dir: str, since: Optional[dt.date] = None) -> duckdb.DuckDBPyConnection:
    """DuckDB with the report's columns of the three datasets, read once: each dataset is
    scanned a single time (a local lake by DuckDB's Parquet reader, a remote one through
    pyarrow's filesystems), and every figure is an aggregate over those narrow tables.
    `since`: only the date partitions from that day on are read; which run wrote each id
    last then comes from the versions cache (pipeline/versions.py), which knows every
    partition, so the cost follows the window, not the lake."""
    con = duckdb.connect(config={"threads": 2, "memory_limit": "600MB",
                                 "preserve_insertion_order": False})
    con.sql("SET enable_progress_bar = false")
    if since is None:
        for name, columns in COLUMNS.items():
            source = _local_parquet(out_dir, name)
            if source is None:
                con.register(f"_{name}_files", _dataset(out_dir, name))
                source = f"_{name}_files"
            con.sql(f"CREATE TABLE _{name}_all AS SELECT {', '.join(columns)} FROM {source}")
        con.sql(_CURRENT)
    else:
        _read_window(con, out_dir, since)
    for name in COLUMNS:
        keep = "coalesce(article_id, '') = '' OR " if name == "rejected" else ""
        con.sql(f"CREATE TABLE {name} AS SELECT * FROM _{name}_all WHERE {keep}"
                "(article_id, run_id) IN (SELECT (article_id, run_id) FROM _current)")
        con.sql(f"DROP TABLE _{name}_all")
    return con


# When an article or copy appeared: published if known, else discovered (epoch microseconds).
_WHEN = "epoch_us(coalesce(published_at, discovered_at))"


def _iso(micros: Optional[int]) -> Optional[str]:
    if micros is None:
        return None
    return (_EPOCH + dt.timedelta(microseconds=micros)).isoformat()


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def buckets_for(dates: List[dt.date]):
    """(unit, ordered bucket labels, date -> label): days for short spans, else ISO weeks,
    with empty buckets kept so gaps show."""
    if not dates:
        return "day", [], lambda d: d.isoformat()
    first, last = min(dates), max(dates)
    if (last - first).days < DAILY_UP_TO_DAYS:
        labels = [(first + dt.timedelta(days=i)).isoformat()
                  for i in range((last - first).days + 1)]
        return "day", labels, lambda d: d.isoformat()

    def monday(d):
        return d - dt.timedelta(days=d.weekday())
    start, end = monday(first), monday(last)
    if (end - start).days // 7 < WEEKLY_UP_TO_WEEKS:
        labels = [(start + dt.timedelta(weeks=i)).isoformat()
                  for i in range((end - start).days // 7 + 1)]
        return "week", labels, lambda d: monday(d).isoformat()
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    labels = [f"{first.year + (first.month - 1 + i) // 12:04d}-{(first.month - 1 + i) % 12 + 1:02d}"
              for i in range(months)]
    return "month", labels, lambda d: f"{d.year:04d}-{d.month:02d}"


def per_bucket_by_outlet(con, outlets, labels, bucket_of) -> List[List[int]]:
    index = {label: i for i, label in enumerate(labels)}
    counts = {o: [0] * len(labels) for o in outlets}
    for date, outlet, n in con.sql("SELECT date, outlet, count(*) FROM charted "
                                   "GROUP BY ALL").fetchall():
        counts[outlet][index[bucket_of(date)]] += n
    return [counts[o] for o in outlets]


def top_entities(con, column, labels, bucket_of, top=TOP_ENTITIES) -> List[dict]:
    """The `top` names of one entity column by articles mentioning them, with counts per
    bucket (a name counts once per article: the flat columns hold each name once)."""
    ranked = con.sql(f"SELECT name, count(*) AS n FROM (SELECT unnest({column}) AS name "
                     f"FROM articles) GROUP BY name ORDER BY n DESC, name LIMIT {int(top)}"
                     ).fetchall()
    if not ranked:
        return []
    index = {label: i for i, label in enumerate(labels)}
    series: Dict[str, List[int]] = {name: [0] * len(labels) for name, _ in ranked}
    rows = con.sql(f"SELECT date, name, count(*) FROM (SELECT date, unnest({column}) AS name "
                   f"FROM charted) WHERE list_contains($names, name) GROUP BY ALL",
                   params={"names": [name for name, _ in ranked]}).fetchall()
    for date, name, n in rows:
        series[name][index[bucket_of(date)]] += n
    return [{"name": name, "total": total, "counts": series[name]} for name, total in ranked]


def wire_stories(con, max_stories=MAX_STORIES):
    """Stories carried by more than one outlet: the first copy (in `articles`) and the later
    ones (in `duplicates`, same cluster_id), most-carried first; plus outlet -> outlet edges."""
    con.sql(f"""
        CREATE OR REPLACE TEMP VIEW wire AS
        WITH firsts AS (
            SELECT coalesce(cluster_id, article_id) AS cluster, outlet, title, {_WHEN} AS first_at
            FROM articles
            QUALIFY row_number() OVER (PARTITION BY cluster ORDER BY article_id) = 1),
        copies AS (
            SELECT coalesce(cluster_id, canonical_id) AS cluster, outlet, method, containment,
                   {_WHEN} AS when_us, article_id
            FROM duplicates)
        SELECT c.cluster, f.outlet AS first_outlet, f.title, f.first_at,
               c.outlet, c.method, c.containment, c.when_us, c.article_id
        FROM copies c JOIN firsts f USING (cluster)""")
    edges = con.sql("SELECT first_outlet, outlet, count(*) FROM wire GROUP BY ALL "
                    "ORDER BY 1, 2").fetchall()
    top = con.sql(f"""
        SELECT cluster, any_value(first_outlet), any_value(title), any_value(first_at),
               list({{'outlet': outlet, 'when_us': when_us, 'method': method, 'containment': containment}}
                    ORDER BY when_us IS NULL, when_us, article_id)
        FROM wire GROUP BY cluster
        ORDER BY count(*) DESC, coalesce(strftime(make_timestamp(any_value(first_at)),
                 '%Y-%m-%dT%H:%M:%S.%f'), ''), cluster
        LIMIT {int(max_stories)}""").fetchall()
    stories = [{
        "cluster_id": cluster, "title": title or "",
        "first": {"outlet": first_outlet, "at": _iso(first_at)},
        "copies": [{"outlet": c["outlet"], "at": _iso(c["when_us"]), "method": c["method"],
                    "containment": c["containment"]} for c in copies],
    } for cluster, first_outlet, title, first_at, copies in top]
    return stories, [{"from": a, "to": b, "n": n} for a, b, n in edges]


def report_data(out_dir: str, since: Optional[dt.date] = None) -> dict:
    """The report's figures; with `since`, of the articles, copies and rejections dated from
    that day on (their partition date)."""
    con = connect(out_dir, since)
    try:
        data = _report_data(con, out_dir)
    finally:
        con.close()
    data["since"] = since.isoformat() if since else None
    return data


def _report_data(con, out_dir: str) -> dict:
    latest = dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=2)
    # Charts cover trusted dates only: one year-1 row must not make 100,000 empty buckets.
    con.sql(f"CREATE OR REPLACE TEMP VIEW charted AS SELECT * FROM articles WHERE date BETWEEN "
            f"DATE '{EARLIEST_CHARTED.isoformat()}' AND DATE '{latest.isoformat()}'")
    per_outlet = con.sql("SELECT outlet, count(*) AS n FROM articles GROUP BY outlet "
                         "ORDER BY n DESC, outlet").fetchall()
    outlets = [o for o, _ in per_outlet]
    outlets += [o for (o,) in con.sql("SELECT DISTINCT outlet FROM duplicates ORDER BY 1"
                                      ).fetchall() if o not in set(outlets)]
    n_articles = sum(n for _, n in per_outlet)
    first_date, last_date = con.sql("SELECT min(date), max(date) FROM charted").fetchall()[0]
    outside_range = n_articles - con.sql("SELECT count(*) FROM charted").fetchall()[0][0]
    unit, labels, bucket_of = buckets_for([d for d in (first_date, last_date) if d])
    languages = con.sql("SELECT coalesce(language, 'und') AS language, count(*) AS n "
                        "FROM articles GROUP BY 1 ORDER BY n DESC, language").fetchall()
    stories, edges = wire_stories(con)
    reasons = con.sql("SELECT stage || '.' || reason AS reason, count(*) AS n FROM rejected "
                      "GROUP BY 1 ORDER BY n DESC, reason").fetchall()
    return {
        "out": out_dir,
        "generated_at": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "totals": {"articles": n_articles,
                   "duplicates": con.sql("SELECT count(*) FROM duplicates").fetchall()[0][0],
                   "rejected": sum(n for _, n in reasons), "outlets": len(outlets),
                   "outside_date_range": outside_range,
                   "first_date": first_date.isoformat() if first_date else None,
                   "last_date": last_date.isoformat() if last_date else None},
        "outlets": outlets,
        "unit": unit,
        "buckets": labels,
        "per_bucket": per_bucket_by_outlet(con, outlets, labels, bucket_of),
        "languages": [[lang, n] for lang, n in languages],
        "entities": {column: top_entities(con, column, labels, bucket_of)
                     for column, _ in ENTITY_KINDS},
        "entity_titles": dict(ENTITY_KINDS),
        "stories": stories,
        "edges": edges,
        "rejected": [[reason, n] for reason, n in reasons],
    }


def render_html(data: dict) -> str:
    # No "<" at all in the data block: a title holding </script> or <!-- cannot end it early.
    payload = json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")
    title = f"cfnews report: {data['out']}"
    return (_PAGE.replace("__TITLE__", html.escape(title))
            .replace("__DATA__", payload)
            .replace("__SCRIPT__", _SCRIPT)
            .replace("__STYLE__", _STYLE))


def write_report(out_dir: str, html_path: str, since: Optional[dt.date] = None) -> dict:
    data = report_data(out_dir, since)
    with open(html_path, "w", encoding="utf-8") as handle:
        handle.write(render_html(data))
    return data


_STYLE = """
:root { --ink:#1d2430; --muted:#667085; --line:#e4e7ec; --bg:#fbfbfd; }
* { box-sizing:border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;
       color:var(--ink); background:var(--bg); }
header { padding:28px 36px 12px; }
h1 { margin:0 0 4px; font-size:24px; }
h2 { margin:0 0 4px; font-size:17px; }
.sub { color:var(--muted); margin:0; }
.totals { display:flex; flex-wrap:wrap; gap:12px; padding:8px 36px 4px; }
.total { background:#fff; border:1px solid var(--line); border-radius:10px; padding:10px 16px;
         min-width:120px; }
.total b { display:block; font-size:22px; }
.total span { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.04em; }
main { display:grid; grid-template-columns:repeat(auto-fit,minmax(520px,1fr)); gap:18px;
       padding:18px 36px 36px; }
figure { margin:0; background:#fff; border:1px solid var(--line); border-radius:12px;
         padding:16px 18px; min-width:0; }
figure.wide { grid-column:1 / -1; }
figcaption { color:var(--muted); margin-bottom:10px; }
svg { display:block; max-width:100%; height:auto; font:11px system-ui,sans-serif; }
svg text { fill:var(--ink); }
.axis { stroke:#98a2b3; stroke-width:1; }
.grid { stroke:var(--line); stroke-width:1; }
.legend { display:flex; flex-wrap:wrap; gap:6px 14px; margin-top:10px; font-size:12px; }
.legend i { display:inline-block; width:11px; height:11px; border-radius:3px; margin-right:5px;
            vertical-align:-1px; }
.mark:hover, .node:hover { opacity:.75; }
.empty { color:var(--muted); font-style:italic; padding:24px 0; }
.small-multiples { display:grid; grid-template-columns:repeat(auto-fit,minmax(300px,1fr));
                   gap:16px; }
.small-multiples h3 { font-size:13px; margin:0 0 6px; }
table { border-collapse:collapse; font-size:13px; }
td { padding:3px 12px 3px 0; border-bottom:1px solid var(--line); }
td.n { text-align:right; font-variant-numeric:tabular-nums; }
footer { color:var(--muted); padding:0 36px 28px; font-size:12px; }
"""

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>__TITLE__</title>
<style>__STYLE__</style>
</head>
<body>
<header>
  <h1>China–France news</h1>
  <p class="sub" id="subtitle"></p>
</header>
<section class="totals" id="totals"></section>
<main>
  <figure class="wide chart" id="chart-per-day">
    <h2>Articles per <span class="unit">day</span> by outlet</h2>
    <figcaption>Stories kept in <code>articles</code> (later copies of a story are in the
    wire-copy graph below), by publication date in UTC.</figcaption>
  </figure>
  <figure class="chart" id="chart-languages">
    <h2>Share by language</h2>
    <figcaption>Articles by detected language.</figcaption>
  </figure>
  <figure class="chart" id="chart-rejected">
    <h2>What was dropped, and why</h2>
    <figcaption>Rows in <code>rejected</code> by stage and reason.</figcaption>
  </figure>
  <figure class="wide chart" id="chart-entities">
    <h2>Top entities over time</h2>
    <figcaption>Articles mentioning each name, per <span class="unit">day</span>: the most
    mentioned people, organisations and places.</figcaption>
  </figure>
  <figure class="wide chart" id="chart-wire">
    <h2>Wire copy: who carried which story, who first</h2>
    <figcaption>Each row is a story published by several outlets: the filled dot is the first
    publication, the rings are later copies, placed by hours after the first.</figcaption>
  </figure>
  <figure class="wide chart" id="chart-wire-graph">
    <h2>Who copies whom</h2>
    <figcaption>An arrow from the outlet that published a story first to each outlet that
    carried it later; thicker means more stories.</figcaption>
  </figure>
</main>
<footer id="footer"></footer>
<noscript><p class="empty">The charts are drawn by a script inside this page: allow JavaScript
to see them.</p></noscript>
<script type="application/json" id="cfnews-data">__DATA__</script>
<script>__SCRIPT__</script>
</body>
</html>
"""

_SCRIPT = r"""
(function () {
  "use strict";
  window.addEventListener("error", function (e) {
    document.body.setAttribute("data-error", String(e.message || e));
  });
  var NS = "http://www.w3.org/2000/svg";
  var D = JSON.parse(document.getElementById("cfnews-data").textContent);
  var PALETTE = ["#2f6fdf", "#e4572e", "#17a398", "#f3a712", "#8f4fd1", "#d1495b",
                 "#4c9f38", "#6c757d", "#00a6ed", "#b5651d", "#ff7eb6", "#3d405b"];
  var colourOf = {};
  D.outlets.forEach(function (o, i) { colourOf[o] = PALETTE[i % PALETTE.length]; });

  function node(tag, attrs, parent, text) {
    var n = document.createElementNS(NS, tag);
    Object.keys(attrs || {}).forEach(function (k) { n.setAttribute(k, attrs[k]); });
    if (text !== undefined) n.textContent = text;
    if (parent) parent.appendChild(n);
    return n;
  }
  function canvas(fig, w, h) {
    return node("svg", {viewBox: "0 0 " + w + " " + h, width: w, role: "img"}, fig);
  }
  function tip(n, text) { node("title", {}, n, text); return n; }
  function html(tag, cls, parent, text) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text !== undefined) n.textContent = text;
    parent.appendChild(n);
    return n;
  }
  function legend(fig, items) {
    var box = html("div", "legend", fig);
    items.forEach(function (it) {
      var s = html("span", "", box);
      html("i", "", s).style.background = it[1];
      s.appendChild(document.createTextNode(it[0]));
    });
  }
  function finish(fig, marks) {
    fig.setAttribute("data-drawn", "true");
    fig.setAttribute("data-marks", String(marks));
  }
  function empty(fig, text) { html("p", "empty", fig, text); finish(fig, 0); }
  function niceMax(v) {
    if (v <= 5) return Math.max(Math.ceil(v), 1);
    var p = Math.pow(10, Math.floor(Math.log10(v))), m = v / p;
    return (m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
  }
  function shortDate(s) {
    return D.unit === "week" ? "wk " + s.slice(5) : D.unit === "month" ? s : s.slice(5);
  }
  function clip(s, n) { return s.length > n ? s.slice(0, n - 1) + "…" : s; }

  function header() {
    var t = D.totals;
    document.getElementById("subtitle").textContent = (t.first_date
      ? t.first_date + " to " + t.last_date + " · " + D.out : D.out)
      + (D.since ? " · dated from " + D.since + " on" : "");
    if (t.outside_date_range) {
      document.getElementById("subtitle").textContent += " · " + t.outside_date_range +
        " article(s) dated before 1990 or in the future, not charted";
    }
    var box = document.getElementById("totals");
    [["articles", t.articles], ["wire copies", t.duplicates], ["rejected", t.rejected],
     ["outlets", t.outlets], ["languages", D.languages.length]].forEach(function (kv) {
      var c = html("div", "total", box);
      html("b", "", c, String(kv[1]));
      html("span", "", c, kv[0]);
    });
    Array.prototype.forEach.call(document.querySelectorAll(".unit"), function (n) {
      n.textContent = D.unit;
    });
    document.getElementById("footer").textContent =
      "Generated by cfnews report at " + D.generated_at + " from " + D.out + ".";
  }

  function perDay() {
    var fig = document.getElementById("chart-per-day");
    if (!D.buckets.length) return empty(fig, "No articles yet.");
    var W = 1100, H = 300, L = 40, R = 10, T = 10, B = 40;
    var totals = D.buckets.map(function (_, i) {
      return D.per_bucket.reduce(function (s, row) { return s + row[i]; }, 0);
    });
    var max = niceMax(Math.max.apply(null, totals));
    var svg = canvas(fig, W, H), bw = (W - L - R) / D.buckets.length;
    var y = function (v) { return T + (H - T - B) * (1 - v / max); };
    var ticks = max < 4 ? max : 4;
    for (var k = 0; k <= ticks; k++) {
      var v = max * k / ticks, yy = y(v);
      node("line", {x1: L, x2: W - R, y1: yy, y2: yy, "class": "grid"}, svg);
      node("text", {x: L - 6, y: yy + 4, "text-anchor": "end"}, svg,
           String(Math.round(v * 10) / 10));
    }
    var marks = 0, every = Math.ceil(D.buckets.length / 16);
    D.buckets.forEach(function (b, i) {
      var base = 0, x = L + i * bw + bw * 0.12;
      D.outlets.forEach(function (o, j) {
        var n = D.per_bucket[j][i];
        if (!n) return;
        tip(node("rect", {x: x, y: y(base + n), width: bw * 0.76, height: y(base) - y(base + n),
                          fill: colourOf[o], "class": "mark", "data-outlet": o}, svg),
            b + " · " + o + ": " + n);
        base += n; marks++;
      });
      if (i % every === 0)
        node("text", {x: L + i * bw + bw / 2, y: H - B + 16, "text-anchor": "middle"}, svg,
             shortDate(b));
    });
    node("line", {x1: L, x2: W - R, y1: y(0), y2: y(0), "class": "axis"}, svg);
    legend(fig, D.outlets.filter(function (o, j) {
      return D.per_bucket[j].some(function (n) { return n > 0; });
    }).map(function (o) { return [o, colourOf[o]]; }));
    finish(fig, marks);
  }

  function languages() {
    var fig = document.getElementById("chart-languages");
    if (!D.languages.length) return empty(fig, "No articles yet.");
    var total = D.languages.reduce(function (s, kv) { return s + kv[1]; }, 0);
    var svg = canvas(fig, 420, 240), cx = 120, cy = 120, r = 100, ri = 58, a0 = -Math.PI / 2;
    var colours = ["#2f6fdf", "#e4572e", "#17a398", "#f3a712", "#8f4fd1", "#6c757d"];
    var items = [];
    D.languages.forEach(function (kv, i) {
      var share = kv[1] / total, colour = colours[i % colours.length];
      var label = kv[0] + " " + Math.round(share * 1000) / 10 + "% (" + kv[1] + ")";
      items.push([label, colour]);
      if (share >= 0.9999) {
        tip(node("circle", {cx: cx, cy: cy, r: (r + ri) / 2, fill: "none", stroke: colour,
                            "stroke-width": r - ri, "class": "mark"}, svg), label);
        return;
      }
      var a1 = a0 + share * 2 * Math.PI, big = share > 0.5 ? 1 : 0;
      function pt(rad, a) { return (cx + rad * Math.cos(a)) + " " + (cy + rad * Math.sin(a)); }
      var d = "M " + pt(r, a0) + " A " + r + " " + r + " 0 " + big + " 1 " + pt(r, a1) +
              " L " + pt(ri, a1) + " A " + ri + " " + ri + " 0 " + big + " 0 " + pt(ri, a0) + " Z";
      tip(node("path", {d: d, fill: colour, "class": "mark"}, svg), label);
      a0 = a1;
    });
    node("text", {x: cx, y: cy + 6, "text-anchor": "middle", "font-size": 20}, svg, String(total));
    items.forEach(function (it, i) {
      node("rect", {x: 250, y: 40 + i * 22, width: 12, height: 12, rx: 3, fill: it[1]}, svg);
      node("text", {x: 268, y: 50 + i * 22}, svg, it[0]);
    });
    finish(fig, D.languages.length);
  }

  function rejected() {
    var fig = document.getElementById("chart-rejected");
    if (!D.rejected.length) return empty(fig, "Nothing was rejected.");
    var max = D.rejected[0][1], svg = canvas(fig, 460, 22 * D.rejected.length + 6);
    D.rejected.forEach(function (kv, i) {
      var w = 180 * kv[1] / max;
      node("text", {x: 0, y: 15 + i * 22}, svg, clip(kv[0], 34));
      tip(node("rect", {x: 230, y: 4 + i * 22, width: Math.max(w, 2), height: 14, rx: 3,
                        fill: "#98a2b3", "class": "mark"}, svg), kv[0] + ": " + kv[1]);
      node("text", {x: 236 + w, y: 15 + i * 22}, svg, String(kv[1]));
    });
    finish(fig, D.rejected.length);
  }

  function entities() {
    var fig = document.getElementById("chart-entities");
    var grid = html("div", "small-multiples", fig), marks = 0, drawn = 0;
    Object.keys(D.entity_titles).forEach(function (col) {
      var rows = D.entities[col], cell = html("div", "", grid);
      html("h3", "", cell, D.entity_titles[col]);
      if (!rows.length) { html("p", "empty", cell, "None found."); return; }
      drawn++;
      var n = D.buckets.length, cw = Math.max(8, Math.min(26, 220 / n)), ch = 18, L = 150;
      var svg = canvas(cell, L + n * cw + 40, rows.length * ch + 24);
      var max = Math.max.apply(null, rows.map(function (r) { return Math.max.apply(null, r.counts); }));
      rows.forEach(function (r, i) {
        tip(node("text", {x: 0, y: i * ch + 13}, svg, clip(r.name, 24)), r.name + ": " + r.total);
        r.counts.forEach(function (c, j) {
          var attrs = {x: L + j * cw, y: i * ch + 2, width: cw - 2, height: ch - 4, rx: 2};
          if (!c) { attrs.fill = "#f2f4f7"; node("rect", attrs, svg); return; }
          attrs.fill = "#2f6fdf"; attrs["fill-opacity"] = 0.25 + 0.75 * c / max;
          attrs["class"] = "mark";
          tip(node("rect", attrs, svg), r.name + " · " + D.buckets[j] + ": " + c);
          marks++;
        });
        node("text", {x: L + n * cw + 6, y: i * ch + 13, fill: "#667085"}, svg, String(r.total));
      });
      node("text", {x: L, y: rows.length * ch + 18, fill: "#667085"}, svg, shortDate(D.buckets[0]));
      if (n > 1) node("text", {x: L + n * cw - 2, y: rows.length * ch + 18, fill: "#667085",
                               "text-anchor": "end"}, svg, shortDate(D.buckets[n - 1]));
    });
    if (!drawn) { fig.removeChild(grid); return empty(fig, "No entities yet."); }
    finish(fig, marks);
  }

  function hoursAfter(a, b) { return (Date.parse(b) - Date.parse(a)) / 3600000; }

  function wire() {
    var fig = document.getElementById("chart-wire");
    if (!D.stories.length) return empty(fig, "No story was carried by more than one outlet.");
    var maxH = 1;
    D.stories.forEach(function (s) {
      s.copies.forEach(function (c) {
        if (s.first.at && c.at) maxH = Math.max(maxH, hoursAfter(s.first.at, c.at));
      });
    });
    maxH = niceMax(maxH);
    var W = 1100, L = 360, R = 30, rowH = 44, T = 26;
    var svg = canvas(fig, W, T + D.stories.length * rowH + 10);
    var x = function (h) { return L + (W - L - R) * Math.max(0, h) / maxH; };
    for (var k = 0; k <= 4; k++) {
      var hh = maxH * k / 4;
      node("line", {x1: x(hh), x2: x(hh), y1: T - 6, y2: T + D.stories.length * rowH,
                    "class": "grid"}, svg);
      node("text", {x: x(hh), y: T - 10, "text-anchor": "middle", fill: "#667085"}, svg,
           "+" + Math.round(hh * 10) / 10 + " h");
    }
    var marks = 0;
    D.stories.forEach(function (s, i) {
      var cy = T + i * rowH + rowH / 2;
      tip(node("text", {x: 0, y: cy - 3}, svg, clip(s.title || s.cluster_id, 56)),
          s.title + " (" + (s.copies.length + 1) + " outlets)");
      node("text", {x: 0, y: cy + 12, fill: "#667085"}, svg,
           clip([s.first.outlet].concat(s.copies.map(function (c) { return c.outlet; }))
                .join(" → "), 64));
      s.copies.forEach(function (c) {
        var h = s.first.at && c.at ? hoursAfter(s.first.at, c.at) : 0;
        node("line", {x1: x(0), y1: cy, x2: x(h), y2: cy, stroke: "#c0c6d0",
                      "stroke-width": 2}, svg);
      });
      tip(node("circle", {cx: x(0), cy: cy, r: 7, fill: colourOf[s.first.outlet],
                          "class": "mark first", "data-outlet": s.first.outlet}, svg),
          "first: " + s.first.outlet + " at " + s.first.at);
      marks++;
      s.copies.forEach(function (c) {
        var h = s.first.at && c.at ? hoursAfter(s.first.at, c.at) : 0;
        tip(node("circle", {cx: x(h), cy: cy, r: 6, fill: "#fff", stroke: colourOf[c.outlet],
                            "stroke-width": 3, "class": "mark copy", "data-outlet": c.outlet},
                 svg),
            c.outlet + " +" + Math.round(h * 10) / 10 + " h (" + c.method +
            (c.containment != null ? ", " + Math.round(c.containment * 100) + "% shared" : "") +
            ")");
        marks++;
      });
    });
    var seen = {};
    D.stories.forEach(function (s) {
      seen[s.first.outlet] = 1;
      s.copies.forEach(function (c) { seen[c.outlet] = 1; });
    });
    legend(fig, D.outlets.filter(function (o) { return seen[o]; })
                  .map(function (o) { return [o, colourOf[o]]; }));
    finish(fig, marks);
  }

  function wireGraph() {
    var fig = document.getElementById("chart-wire-graph");
    if (!D.edges.length) return empty(fig, "No copies yet.");
    var names = [];
    D.edges.forEach(function (e) {
      [e.from, e.to].forEach(function (o) { if (names.indexOf(o) < 0) names.push(o); });
    });
    names.sort(function (a, b) { return D.outlets.indexOf(a) - D.outlets.indexOf(b); });
    var W = 1100, H = names.length > 2 ? 380 : 150, cx = W / 2, cy = H / 2 - 10;
    var r = Math.min(150, 40 * names.length);
    var svg = canvas(fig, W, H), pos = {};
    var defs = node("defs", {}, svg);
    var m = node("marker", {id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5,
                            markerUnits: "userSpaceOnUse", markerWidth: 12, markerHeight: 12,
                            orient: "auto-start-reverse"}, defs);
    node("path", {d: "M 0 0 L 10 5 L 0 10 z", fill: "#667085"}, m);
    names.forEach(function (o, i) {
      var a = Math.PI + 2 * Math.PI * i / names.length;  // first outlet on the left
      pos[o] = [cx + r * Math.cos(a) * 1.8, cy + r * Math.sin(a)];
    });
    var maxN = Math.max.apply(null, D.edges.map(function (e) { return e.n; }));
    D.edges.forEach(function (e) {
      var a = pos[e.from], b = pos[e.to];
      if (e.from === e.to) {
        tip(node("path", {d: "M " + (a[0] - 8) + " " + (a[1] - 14) + " C " + (a[0] - 40) + " " +
                          (a[1] - 70) + " " + (a[0] + 40) + " " + (a[1] - 70) + " " + (a[0] + 8) +
                          " " + (a[1] - 14), fill: "none", stroke: "#667085",
                          "stroke-width": 1 + 5 * e.n / maxN, "marker-end": "url(#arrow)",
                          "class": "edge"}, svg), e.from + " → itself: " + e.n);
        return;
      }
      var dx = b[0] - a[0], dy = b[1] - a[1], len = Math.sqrt(dx * dx + dy * dy) || 1;
      var sx = a[0] + dx / len * 16, sy = a[1] + dy / len * 16;
      var ex = b[0] - dx / len * 18, ey = b[1] - dy / len * 18;
      var bend = 0.15, mx = (sx + ex) / 2 - dy * bend, my = (sy + ey) / 2 + dx * bend;
      tip(node("path", {d: "M " + sx + " " + sy + " Q " + mx + " " + my + " " + ex + " " + ey,
                        fill: "none", stroke: "#667085", "stroke-width": 1 + 5 * e.n / maxN,
                        "marker-end": "url(#arrow)", "class": "edge"}, svg),
          e.from + " → " + e.to + ": " + e.n + (e.n > 1 ? " stories" : " story"));
    });
    names.forEach(function (o) {
      var p = pos[o];
      tip(node("circle", {cx: p[0], cy: p[1], r: 14, fill: colourOf[o], "class": "node"}, svg), o);
      node("text", {x: p[0], y: p[1] + 30, "text-anchor": "middle"}, svg, o);
    });
    finish(fig, D.edges.length);
  }

  header();
  [perDay, languages, rejected, entities, wire, wireGraph].forEach(function (draw) { draw(); });
  document.body.setAttribute("data-ready", "true");
})();
"""
