"""Cost of the DuckDB views on a lake: files read per scan (EXPLAIN ANALYZE) and median time
of filtered and unfiltered queries through `cfnews sql`'s views, current rows against all versions.

    .venv/bin/python -c "import datetime as d; from tests.lake import write_lake; \
        write_lake('/tmp/big', articles=73000, days=365, outlets=10, end=d.date(2026, 11, 30))"
    .venv/bin/python tests/benchmarks/views_pruning.py /tmp/big

`connect` is what every `cfnews sql` call pays before its query: on a local folder, listing
the datasets' files and reading the versions cache (pipeline/versions.py), or building it
(the first call; delete DIR/_index/versions.parquet to time that again).
"""
import sys, time, statistics, re
from cfnews.pipeline.sql import connect
started = time.perf_counter()
con = connect(sys.argv[1])   # on a local folder: brings the versions cache up to date
print(f"{'connect (views defined)':40s} {time.perf_counter() - started:.3f}s")
con.execute("SET threads = 2")
qs = {
 "articles_all_versions day+outlet": "SELECT count(*) FROM articles_all_versions WHERE date = DATE '2026-06-01' AND outlet = 'outlet-03'",
 "articles day+outlet": "SELECT count(*) FROM articles WHERE date = DATE '2026-06-01' AND outlet = 'outlet-03'",
 "stories_per_day day": "SELECT * FROM stories_per_day WHERE date = DATE '2026-06-01'",
 "articles all": "SELECT count(*) FROM articles",
 "articles_all_versions all": "SELECT count(*) FROM articles_all_versions",
}
for name, q in qs.items():
    times = []
    for _ in range(3):
        t = time.perf_counter(); con.sql(q).fetchall(); times.append(time.perf_counter() - t)
    plan = con.sql("EXPLAIN ANALYZE " + q).fetchall()[0][1]
    files = re.findall(r"Total Files Read: *(\d+)", plan)
    print(f"{name:40s} median {statistics.median(times):.3f}s files read per scan {files}")
