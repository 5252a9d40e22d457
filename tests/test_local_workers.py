"""Local multi_processing: workers forked from the warm zygote, or spawned fresh; the demo
gives the same rows either way as in memory; no worker or zygote outlives its job."""
import ast
import os
import signal
import socket
import subprocess
import sys
import time

import apache_beam as beam
import duckdb
import pytest

from cfnews.pipeline import local_workers
from tests.conftest import cli
from cfnews.pipeline.local_runner import LocalProcessesRunner, runner_for
from cfnews.pipeline.runner import make_options

needs_fork = pytest.mark.skipif(not local_workers.fork_supported(),
                                reason="the zygote forks: Linux only")
MP = ["--runner=FnApiRunner", "--direct_running_mode=multi_processing", "--direct_num_workers=2"]


def alive(pid: int) -> bool:
    """Running (a zombie, exited but not yet reaped by its parent, counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def wait_until(condition, seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def children(pid: int):
    with open(f"/proc/{pid}/task/{pid}/children") as handle:
        return [int(p) for p in handle.read().split()]


def describe_worker(x):
    """Runs in a worker: its parent, and whether the English model was there before any
    element needed it (the zygote preloads it; nothing in this pipeline loads it)."""
    import cfnews.transforms.entities
    main_module = sys.modules["__main__"].__spec__.name
    return x, os.getppid(), "en" in cfnews.transforms.entities._models, main_module


def run_small_job(runner, out_prefix, fn=describe_worker):
    options = make_options(MP)
    with beam.Pipeline(runner=runner, options=options) as p:
        (p | beam.Create(range(40)) | beam.Reshuffle() | beam.Map(fn)
           | beam.Map(repr) | beam.io.WriteToText(str(out_prefix)))
    return [ast.literal_eval(line)
            for path in sorted(out_prefix.parent.glob(out_prefix.name + "*"))
            for line in path.read_text().splitlines() if line]


@needs_fork
def test_workers_are_forked_from_a_zygote_that_preloaded_the_models(tmp_path):
    zygote = local_workers.Zygote(fork=False)      # a fresh interpreter (this one has threads)
    records = run_small_job(LocalProcessesRunner(zygote), tmp_path / "out")
    assert sorted(r[0] for r in records) == list(range(40))
    assert {parent for _, parent, _, _ in records} == {zygote.pid}
    assert all(preloaded for _, _, preloaded, _ in records)
    assert not alive(zygote.pid), "the zygote must stop with its job"
    assert not os.path.exists(zygote.socket_path)


def test_spawned_workers_run_cfnews_entry_point(tmp_path):
    records = run_small_job(LocalProcessesRunner(None), tmp_path / "out")
    assert sorted(r[0] for r in records) == list(range(40))
    assert {main for _, _, _, main in records} == {local_workers.MODULE}
    assert not any(preloaded for _, _, preloaded, _ in records)


def test_runner_for_picks_the_local_runner_only_for_fnapi_multi_processing():
    assert runner_for(make_options(["--runner=FnApiRunner"])) is None
    assert runner_for(make_options(["--runner=DataflowRunner",
                                    "--direct_running_mode=multi_processing"])) is None
    spawned = runner_for(make_options(MP + ["--local_worker_start=spawn"]))
    assert isinstance(spawned, LocalProcessesRunner) and spawned._zygote is None
    forked = runner_for(make_options(MP))
    assert isinstance(forked, LocalProcessesRunner)
    if local_workers.fork_supported():
        assert forked._zygote is not None
        forked._zygote.close()
        assert not alive(forked._zygote.pid)


def fail_on_seven(x):
    if x == 7:
        raise ValueError("seven is not allowed")
    return x, os.getppid(), True, ""


@needs_fork
def test_a_failing_job_raises_and_leaves_no_process_behind(tmp_path):
    zygote = local_workers.Zygote()
    with pytest.raises(Exception, match="seven is not allowed"):
        run_small_job(LocalProcessesRunner(zygote), tmp_path / "out", fn=fail_on_seven)
    assert wait_until(lambda: not alive(zygote.pid))


@needs_fork
def test_without_a_reachable_zygote_workers_start_fresh(tmp_path):
    zygote = local_workers.Zygote()
    zygote.close()                       # the socket is gone: every client runs its worker
    records = run_small_job(LocalProcessesRunner(zygote), tmp_path / "out")
    assert sorted(r[0] for r in records) == list(range(40))
    assert zygote.pid not in {parent for _, parent, _, _ in records}
    assert not any(preloaded for _, _, preloaded, _ in records)


JOBS_IN_ONE_PROCESS = """
import gc, sys
import apache_beam as beam
from cfnews.pipeline import local_workers
from cfnews.pipeline.local_runner import LocalProcessesRunner
from cfnews.pipeline.runner import make_options
MP = %r

def job(runner, options):
    with beam.Pipeline(runner=runner, options=make_options(options)) as p:
        p | beam.Create(range(20)) | beam.Reshuffle() | beam.Map(lambda x: x * 2)

for step in ("pristine", "after a job"):
    zygote = local_workers.Zygote()
    print(step, "forked from this process:", zygote.forked, flush=True)
    job(LocalProcessesRunner(zygote), MP)
    gc.collect()                  # gRPC's own threads stop; Beam's idle pool threads stay
    job(None, ["--runner=FnApiRunner"])
print("done", flush=True)
"""


@needs_fork
def test_the_zygote_is_forked_from_a_pristine_process_only():
    """A fresh process forks it (Beam and cfnews already imported); after a job has left
    threads behind, forking would hang the workers (Beam's shared pool), so it is spawned."""
    done = subprocess.run([sys.executable, "-c", JOBS_IN_ONE_PROCESS % MP], capture_output=True,
                          text=True, timeout=300, cwd=os.path.dirname(os.path.dirname(__file__)))
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split("\n")[:3] == ["pristine forked from this process: True",
                                           "after a job forked from this process: False", "done"]


def client(socket_path, environment):
    return subprocess.Popen([sys.executable, "-m", local_workers.MODULE, "fork", socket_path],
                            env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


@needs_fork
def test_a_worker_that_cannot_start_reports_its_failure_to_the_client(capfd):
    zygote = local_workers.Zygote()      # its workers write to its stderr, as Beam's do
    try:
        environment = {k: v for k, v in os.environ.items()
                       if k not in ("CONTROL_API_SERVICE_DESCRIPTOR", "PIPELINE_OPTIONS")}
        done = client(zygote.socket_path, environment)
        done.communicate(timeout=120)
        assert done.returncode == 1
        assert "KeyError: 'CONTROL_API_SERVICE_DESCRIPTOR'" in capfd.readouterr().err
        assert alive(zygote.pid), "one failed worker must not stop the zygote"
    finally:
        zygote.close()


@needs_fork
def test_a_killed_client_takes_its_worker_down(tmp_path):
    # a control endpoint on loopback that accepts and never answers: the worker waits on it
    silent = socket.create_server(("127.0.0.1", 0))
    zygote = local_workers.Zygote()
    try:
        environment = dict(os.environ, PIPELINE_OPTIONS="{}", WORKER_ID="w-test",
                           CONTROL_API_SERVICE_DESCRIPTOR=f"url: 'localhost:{silent.getsockname()[1]}'")
        environment.pop("LOGGING_API_SERVICE_DESCRIPTOR", None)
        waiting = client(zygote.socket_path, environment)
        assert wait_until(lambda: children(zygote.pid), seconds=120), "no worker was forked"
        (worker,) = children(zygote.pid)
        waiting.send_signal(signal.SIGKILL)
        waiting.wait()
        assert wait_until(lambda: not alive(worker)), "the worker outlived its client"
        assert alive(zygote.pid)
    finally:
        zygote.close()
        silent.close()
    assert not alive(zygote.pid)


@needs_fork
def test_the_zygote_exits_when_its_parent_dies():
    script = ("import os, sys; from pipeline.local_workers import Zygote; z = Zygote(); "
              "print(z.pid, z.socket_path, flush=True); os._exit(0)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, check=True)
    zygote_pid, socket_path = done.stdout.split()
    assert wait_until(lambda: not alive(int(zygote_pid)), seconds=120)
    assert not os.path.exists(os.path.dirname(socket_path)), "the orphan left its socket behind"


STABLE = {  # columns that do not depend on the demo server's port or the run's clock
    "articles": "title, text, authors, language, language_confidence, relevance, published_at, "
                "entities, people, organizations, places, topics",
    "duplicates": "title, language, method, containment, jaccard, shared_fingerprints",
}


def dataset_rows(out, dataset):
    """Rows by outlet and URL path (each demo run serves on its own port)."""
    return sorted(duckdb.sql(
        f"SELECT outlet, regexp_replace(url, '^https?://[^/]+', '') AS path, {STABLE[dataset]} "
        f"FROM read_parquet('{out}/{dataset}/**/*.parquet', hive_partitioning=true)").fetchall(),
        key=repr)


@pytest.mark.e2e
def test_demo_on_two_worker_processes_writes_what_in_memory_writes(tmp_path):
    """--direct_running_mode=multi_processing passes through the CLI and changes nothing
    in the output."""
    in_memory, processes = tmp_path / "in_memory", tmp_path / "processes"
    first = cli("demo", "--out", str(in_memory), "--runner=FnApiRunner")
    second = cli("demo", "--out", str(processes), *MP)
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert "adds up" in first.stdout and "adds up" in second.stdout
    for dataset in ("articles", "duplicates"):
        assert dataset_rows(processes, dataset) == dataset_rows(in_memory, dataset)
    assert dataset_rows(processes, "articles")
