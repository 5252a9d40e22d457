"""Output on a non-local filesystem: the writer, the run history and the summary work on
s3:// through Beam's S3 filesystem and pyarrow's, against an S3-compatible server (moto)
that this test starts on 127.0.0.1. Nothing leaves the machine: the endpoint, the
credentials and the region are all given, so neither client looks anything up elsewhere."""
from __future__ import annotations

import datetime as dt
import logging

import numpy as np
import pytest

moto_server = pytest.importorskip(
    "moto.server", reason="needs moto[s3], flask and flask-cors (test extra)")
boto3 = pytest.importorskip("boto3", reason="needs apache-beam[aws] (test extra)")

import pyarrow.dataset as ds  # noqa: E402
import pyarrow.fs as pafs  # noqa: E402
from apache_beam.io.filesystems import FileSystems  # noqa: E402
from apache_beam.options.pipeline_options import PipelineOptions  # noqa: E402

from cfnews.pipeline.demo.catalog import load_catalog  # noqa: E402
from cfnews.pipeline.demo.site import DemoSite  # noqa: E402
from cfnews.pipeline.runner import make_options, run_job  # noqa: E402
from cfnews.schemas import PARTITIONING_SCHEMA, Rejected  # noqa: E402
from cfnews.transforms.write import STAGING, remove_stale_staging, write_partition  # noqa: E402

BUCKET = "cfnews-test"


@pytest.fixture(scope="module")
def s3():
    """A loopback S3 server; both S3 clients pointed at it. Yields the Beam options for it."""
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    with pytest.MonkeyPatch.context() as env:
        for key, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                           "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
                           "AWS_ENDPOINT_URL": endpoint, "AWS_EC2_METADATA_DISABLED": "true",
                           "AWS_CONFIG_FILE": "/dev/null",
                           "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}.items():
            env.setenv(key, value)
        boto3.client("s3").create_bucket(Bucket=BUCKET)
        beam_args = [f"--s3_endpoint_url={endpoint}", "--s3_access_key_id=test",
                     "--s3_secret_access_key=test", "--s3_region_name=us-east-1"]
        FileSystems.set_options(PipelineOptions(beam_args))
        yield beam_args
    server.stop()


def keys(prefix: str):
    listing = boto3.client("s3").list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return sorted(o["Key"] for o in listing.get("Contents", []))


def read_s3(path: str):
    filesystem, root = pafs.FileSystem.from_uri(path)
    return ds.dataset(root, filesystem=filesystem, format="parquet",
                      partitioning=ds.partitioning(PARTITIONING_SCHEMA, flavor="hive")).to_table()


def rejected(n: int):
    at = dt.datetime(2026, 3, 1, 12, tzinfo=dt.timezone.utc)
    return [Rejected(stage="fetch", reason="timeout", outlet="le-monde",
                     url=f"https://example.com/{i}", article_id=f"{i:016x}", at=at)
            for i in range(n)]


def test_writer_puts_complete_files_into_partitions_on_s3(s3):
    out = f"s3://{BUCKET}/writer"
    written = write_partition(out, "run1", "rejected", "2026-03-01", "le-monde", rejected(3))
    assert [rows for _, rows in written] == [3]
    final = written[0][0]
    assert final.startswith(f"{out}/rejected/date=2026-03-01/outlet=le-monde/part-run1-")
    assert keys("writer/") == [final[len(f"s3://{BUCKET}/"):]]  # nothing left in _staging
    # A retried bundle (same rows) replaces its file instead of adding a second one.
    again = write_partition(out, "run1", "rejected", "2026-03-01", "le-monde", rejected(3))
    assert again[0][0] == final and len(keys("writer/rejected/")) == 1
    table = read_s3(f"{out}/rejected")
    assert table.num_rows == 3
    assert set(table.column("outlet").to_pylist()) == {"le-monde"}
    assert str(table.schema.field("date").type) == "date32[day]"


def test_stale_staging_files_are_removed_on_s3(s3):
    out = f"s3://{BUCKET}/stale"
    with FileSystems.create(f"{out}/{STAGING}/deadrun/0123.parquet") as handle:
        handle.write(b"partial")
    remove_stale_staging(out)
    assert keys(f"stale/{STAGING}/") == []


@pytest.mark.e2e
def test_demo_pipeline_writes_and_remembers_on_s3(s3):
    out = f"s3://{BUCKET}/demo"
    with DemoSite() as site:
        options = make_options(["--runner=FnApiRunner"] + s3, out=out,
                               allow_hosts=site.allow_hosts, min_host_delay=0.0)
        first = run_job(options, feeds=site.feeds)
        assert first.adds_up, first.render()
        assert first.entries_seen == len(load_catalog())
        for dataset in ("articles", "duplicates", "rejected"):
            assert read_s3(f"{out}/{dataset}").num_rows == first.written.get(dataset, 0), dataset
        assert f"s3://{BUCKET}/demo/articles" in first.render()
        # The second run reads the history back from s3:// and has nothing new to do.
        second = run_job(make_options(["--runner=FnApiRunner"] + s3, out=out,
                                      allow_hosts=site.allow_hosts, min_host_delay=0.0),
                         feeds=site.feeds)
    assert second.new_entries == 0 and sum(second.written.values()) == 0, second.render()
    assert all("/_staging/" not in k for k in keys("demo/"))


def test_feeds_file_is_read_from_object_storage(s3):
    from pathlib import Path
    from cfnews.pipeline.feeds_file import FeedsFileError, load_feeds
    local = Path(__file__).resolve().parents[1] / "feeds.yaml"
    boto3.client("s3").put_object(Bucket=BUCKET, Key="conf/feeds.yaml", Body=local.read_bytes())
    assert load_feeds(f"s3://{BUCKET}/conf/feeds.yaml") == load_feeds(local)
    with pytest.raises(FeedsFileError, match="cannot read"):
        load_feeds(f"s3://{BUCKET}/conf/missing.yaml")


@pytest.mark.e2e
def test_cfnews_sql_answers_every_view_on_s3(s3, tmp_path, monkeypatch):
    """`cfnews sql --out s3://…` reads the datasets through pyarrow's S3 filesystem (DuckDB's
    httpfs extension is not installed and would be downloaded: it cannot be here), with the
    current-row rule: a year of runs with reprocessed entries written to s3 gives the answers
    computed in plain Python, as a local folder does. Which runs wrote each id is cached on
    the reader's machine (CFNEWS_CACHE_DIR), brought up to date from the files written since,
    rebuilt when damaged, and never written into the bucket."""
    import json
    from pathlib import Path

    import pyarrow.parquet as pq

    from cfnews.pipeline.versions import _META_KEY, cache_path
    from tests.test_lake_views import (RUNS, assert_views_right, expected_answers, make_older,
                                       write_run, year_of_runs)
    monkeypatch.setenv("CFNEWS_CACHE_DIR", str(tmp_path / "cache"))
    out = f"s3://{BUCKET}/year"
    runs = year_of_runs()
    # written as cfnews writes (the writer on s3 is tested above), then uploaded: what is
    # tested here is the reading
    local = tmp_path / "lake"
    client = boto3.client("s3")

    def upload():
        for path in local.rglob("*.parquet"):
            client.upload_file(str(path), BUCKET, f"year/{path.relative_to(local)}")
    for run_id, records in zip(RUNS[:2], runs[:2]):
        write_run(str(local), run_id, records)
    make_older(str(local), RUNS[0])   # run 0's files as schema version 2 (no story_id, ...)
    upload()
    assert_views_right(out, expected_answers(runs[:2]))

    cache = Path(cache_path(out))
    assert cache.parent.parent == tmp_path / "cache"

    def cached_files():
        return set(json.loads(pq.read_schema(cache).metadata[_META_KEY])["files"])

    def data_files():
        return {k[len("year/"):] for k in keys("year/") if k.endswith(".parquet")}
    assert cached_files() == data_files()
    write_run(str(local), RUNS[2], runs[2])       # reprocesses ids of both earlier runs
    upload()
    assert_views_right(out, expected_answers(runs))
    assert cached_files() == data_files() and any(RUNS[2] in f for f in cached_files())
    cache.write_bytes(b"not parquet")      # damaged: rebuilt, the answer unchanged
    assert_views_right(out, expected_answers(runs))
    assert cached_files() == data_files()
    assert not [k for k in keys("year/") if "_index" in k]   # a reader writes nothing there
    # another lake in the same bucket has a cache of its own
    assert cache_path(f"s3://{BUCKET}/other") != cache_path(out)


@pytest.mark.e2e
def test_a_page_its_feed_no_longer_lists_is_fetched_again_on_s3(s3, server):
    """The in-job graph's retries (history.RetryUnlisted) read the `rejected` rows back from
    s3:// as from a local folder: a page that answered 503 and then left its feed is fetched
    by the next run and written as an article."""
    from tests.test_retry_e2e import busy_once, list_feed
    from cfnews.schemas import FeedSource
    out = f"s3://{BUCKET}/retries"
    page_id = busy_once(server, "/s/gone", 1)
    list_feed(server, "/feed.xml", ["gone"])
    feeds = [FeedSource(outlet="wire", url=server.url("/feed.xml"), language="en", country="FR")]

    def run():
        options = make_options(["--runner=FnApiRunner", "--max_retries=0", "--retry_wait=0"] + s3,
                               out=out, allow_hosts=[server.host_port], min_host_delay=0.0,
                               all_topics=True)
        summary = run_job(options, feeds=feeds)
        assert summary.adds_up, summary.render()
        return summary
    first = run()
    assert first.written.get("rejected") == 1 and server.hits["/s/gone"] == 1
    list_feed(server, "/feed.xml", [])
    second = run()
    assert server.hits["/s/gone"] == 2 and second.written.get("articles") == 1, second.render()
    assert read_s3(f"{out}/articles").column("article_id").to_pylist() == [page_id]


@pytest.fixture
def request_log():
    """The S3 server's requests as (method, path), in order."""
    werkzeug = logging.getLogger("werkzeug")
    from tests.benchmarks.sql_object_store import Requests
    handler, level = Requests(), werkzeug.level
    werkzeug.addHandler(handler)
    werkzeug.setLevel(logging.INFO)
    yield handler
    werkzeug.removeHandler(handler)
    werkzeug.setLevel(level)


def upload_small_lake(local, prefix):
    from tests.lake import write_lake
    write_lake(str(local), articles=120, days=4, outlets=3, end=dt.date(2026, 3, 20))
    client = boto3.client("s3")
    for path in local.rglob("*.parquet"):
        client.upload_file(str(path), BUCKET, f"{prefix}/{path.relative_to(local)}")
    return f"s3://{BUCKET}/{prefix}"


def test_cfnews_index_brings_an_s3_lakes_index_up_to_date_before_a_job(s3, tmp_path,
                                                                      request_log):
    """`cfnews index --out s3://…` (a subprocess, credentials and endpoint from the
    environment) packs every file's summary and every date's store, so a job's workers read
    no data file; a second call finds nothing to do."""
    import subprocess
    import sys
    from pathlib import Path
    from cfnews.transforms.history import load_history
    out = upload_small_lake(tmp_path / "lake", "indexed")

    def index():
        return subprocess.run([sys.executable, "-m", "cfnews", "index", "--out", out],
                              cwd=Path(__file__).resolve().parents[1], capture_output=True,
                              text=True, timeout=300)
    first = index()
    assert first.returncode == 0, first.stderr
    # 36 files for the ids, the 12 `articles` files again for the 4 dates' stores
    assert "36 data file(s), 4 date(s) of articles; 48 file read(s)" in first.stdout, first.stdout
    second = index()
    assert second.returncode == 0 and "; 0 file read(s)" in second.stdout, second.stdout
    request_log.requests.clear()
    history = load_history(out)
    for date in history.dates:
        assert history._load_date(date) is not None
    assert not [p for _, p in request_log.requests if p.split("?")[0].endswith(".parquet")]


def test_the_history_on_s3_reads_its_packs_not_the_lake_after_the_first_open(s3, tmp_path,
                                                                            request_log):
    """transforms/history_remote.py on s3://: the first open reads every data file and packs
    their summaries into the bucket; later opens list the datasets and read the packs alone,
    with the same answers as the local index of the same files."""
    from pathlib import Path
    from cfnews.transforms.history import LocalIndex, load_history
    local = tmp_path / "lake"
    out = upload_small_lake(local, "packed")
    request_log.requests.clear()
    first = load_history(out)
    read = {p for m, p in request_log.requests if m == "GET" and p.endswith(".parquet")}
    assert len(read) == 36                              # every file once
    assert [k for k in keys("packed/_index/") if k.endswith(".npz")]
    request_log.requests.clear()
    second = load_history(out)
    date = second.dates[-1]
    store = second._load_date(date)          # the dedup's date store: its files read once
    request_log.requests.clear()
    third = load_history(out)
    assert third._load_date(date)[0].tobytes() == store[0].tobytes()
    assert not [p for _, p in request_log.requests if p.split("?")[0].endswith(".parquet")]
    # 3 LISTs of the datasets; for the ids and the date store: a LIST, a HEAD and a GET each
    assert len(request_log.requests) == 9, request_log.requests
    index = LocalIndex(str(local))
    index.refresh()
    expected = index.open()
    for history in (first, second, third):
        assert np.array_equal(np.asarray(expected.ids), np.asarray(history.ids))
        assert history.dates == expected.dates
    assert Path(local, "_index").is_dir()


def test_before_a_managed_runners_job_the_launcher_packs_the_history_once(s3, tmp_path,
                                                                           request_log):
    """pipeline/runner.py `pack_history`: a Dataflow job's many workers would each read what no
    pack covers (the whole lake, for the first job after an upgrade); the process launching it
    packs it first: every file's ids and the stores of the dates within the dedup expiry.
    Before a local runner's job nothing is done there (its workers are that process)."""
    from cfnews.pipeline.runner import pack_history
    from cfnews.transforms.history import load_history
    from tests.test_history import article
    out = upload_small_lake(tmp_path / "lake", "managed")    # dates 2026-03-17 to 20
    today = dt.date(2026, 3, 22)

    def wrote(run_id, day):      # a job's article of 2026-03-<day>
        at = dt.datetime(2026, 3, day, 12, tzinfo=dt.timezone.utc)
        write_partition(out, run_id, "articles", f"2026-03-{day}", "wire",
                        [article(f"{day:016x}", "Paris and Beijing signed a trade accord. " * 20,
                                 when=at)])

    def parquet_reads(*dates):
        request_log.requests.clear()
        history = load_history(out)
        for date in dates:
            assert history._load_date(date) is not None, date
        return [p for m, p in request_log.requests if m == "GET" and p.endswith(".parquet")]
    wrote("20260321T120000Z-aaaaaa", 21)
    pack_history(make_options(["--runner=FnApiRunner"] + s3, out=out), today=today)
    assert len(parquet_reads()) == 37                    # nothing packed: every file read
    wrote("20260322T120000Z-bbbbbb", 22)
    options = make_options(["--runner=DataflowRunner"] + s3, out=out, dedup_expiry_days=2.0)
    pack_history(options, today=today)
    # the ids of every file, and the dates from 4 days before on (expiry + 2): no file read
    assert parquet_reads("2026-03-18", "2026-03-20", "2026-03-22") == []
    assert len(parquet_reads("2026-03-17")) == 3         # older: packed when first needed
