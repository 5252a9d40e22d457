"""Local continuous mode: state, conditional GET, adaptive polling, Ctrl-C."""
import datetime as dt
import json
import signal
import threading
import time

import pytest

from cfnews.pipeline import exit_codes
from cfnews.pipeline.continuous import ContinuousIngest, Schedule, next_interval
from cfnews.pipeline.runner import make_options
from cfnews.pipeline.state import STATE_VERSION, load_state, save_state, state_path
from cfnews.schemas import FeedSource
from tests.conftest import slow_drip
from tests.test_crash_safety import GrowingFeed, all_rows, cfnews

pytestmark = pytest.mark.e2e


def ingest_for(tmp_path, server, **schedule):
    options = make_options(["--runner=FnApiRunner"], out=str(tmp_path / "out"), all_topics=True,
                           allow_hosts=[server.host_port], min_host_delay=0.0, max_retries=0)
    feeds = [FeedSource(outlet="growing", url=server.url("/feed.xml"), language="en", country="FR")]
    values = dict(every=1.0, min_interval=1.0, max_interval=8.0, full_fetch_every=3)
    values.update(schedule)
    return ContinuousIngest(options, feeds, Schedule(**values))


def test_conditional_get_304s_forced_full_fetches_and_state(tmp_path, server):
    feed = GrowingFeed(server, per_request=2)
    ingest = ingest_for(tmp_path, server)
    first = ingest.run_cycle(all_feeds=True)
    assert first.new_entries == 2 and first.summary.written["articles"] == 2
    feed.per_request = 0                                   # the feed stops changing
    reports = [ingest.run_cycle(all_feeds=True) for _ in range(4)]
    assert [r.not_modified for r in reports] == [1, 0, 1, 1]  # 3rd poll of the cycle is forced full
    state = ingest.state.feeds[server.url("/feed.xml")]
    assert state.not_modified == 3 and state.etag.startswith('"')
    saved = json.loads(open(state_path(str(tmp_path / "out"))).read())
    assert saved["version"] == STATE_VERSION and saved["pending"] == []
    assert len(saved["seen"]) == 2
    # conditional requests really carried the validator
    assert server.hits["/feed.xml"] == 5


def test_adaptive_intervals_within_bounds():
    s = Schedule(every=600, min_interval=300, max_interval=3600)
    assert next_interval(600, new_items=3, failures=0, schedule=s) == 300
    assert next_interval(300, new_items=3, failures=0, schedule=s) == 300
    assert next_interval(600, new_items=0, failures=0, schedule=s) == 900
    assert next_interval(3000, new_items=0, failures=0, schedule=s) == 3600
    assert next_interval(600, new_items=0, failures=2, schedule=s) == 1200
    assert next_interval(3600, new_items=0, failures=9, schedule=s) == 3600  # backs off, never dropped


def test_feeds_are_polled_only_when_due(tmp_path, server):
    GrowingFeed(server)
    ingest = ingest_for(tmp_path, server, every=60.0, min_interval=20.0)
    now = dt.datetime.now(dt.timezone.utc)
    assert ingest.run_cycle(now=now).feeds_due == 1
    assert ingest.run_cycle(now=now + dt.timedelta(seconds=5)).feeds_due == 0
    assert ingest.run_cycle(now=now + dt.timedelta(seconds=31)).feeds_due == 1  # new items: 30 s


@pytest.mark.parametrize("damage", ["garbage", "old_version"])
def test_unusable_state_is_rebuilt_from_the_datasets(tmp_path, server, damage, caplog):
    feed = GrowingFeed(server)
    ingest = ingest_for(tmp_path, server)
    ingest.run_cycle(all_feeds=True)
    written = sorted(r[2] for r in all_rows(tmp_path / "out"))
    assert written
    path = state_path(str(tmp_path / "out"))
    with open(path, "w") as handle:
        handle.write("{not json" if damage == "garbage" else json.dumps({"version": 0, "feeds": {}}))
    state, note = load_state(str(tmp_path / "out"))
    assert "rebuilt from the datasets" in note
    assert any("rebuilt" in r.getMessage() for r in caplog.records)
    # The datasets remember what the state forgot: the entries already written, still in
    # the feed, are not written again by a new process (nor is anything else).
    feed.per_request = 0
    again = ingest_for(tmp_path, server).run_cycle(all_feeds=True)
    assert again.new_entries == 0 and again.summary is None
    assert sorted(r[2] for r in all_rows(tmp_path / "out")) == written


def test_pending_entries_already_written_leave_the_journal(tmp_path, server):
    GrowingFeed(server)
    ingest = ingest_for(tmp_path, server)
    ingest.run_cycle(all_feeds=True)
    state, _ = load_state(str(tmp_path / "out"))
    from cfnews.pipeline.state import State
    from cfnews.schemas import FeedEntry
    written = sorted(r[2] for r in all_rows(tmp_path / "out"))
    assert len(written) == 2

    def entry(article_id):
        return FeedEntry(outlet="growing", feed_url=server.url("/feed.xml"), entry_id=article_id,
                         url=f"https://example.org/{article_id}", article_id=article_id,
                         canonical_url=f"https://example.org/{article_id}")
    unwritten = entry("00000000000000aa")
    # a journal as a run killed after writing leaves it: its entries already in the datasets
    stale = State(feeds=state.feeds, seen={}, pending=[entry(a) for a in written] + [unwritten])
    save_state(str(tmp_path / "out"), stale)
    rebuilt, _ = load_state(str(tmp_path / "out"))
    assert rebuilt.pending == [unwritten]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl_c", "sigterm"])
def test_ctrl_c_or_sigterm_stops_after_the_current_cycle_with_status_0(tmp_path, server, signum):
    """A service manager's stop (SIGTERM) is how `run --every` normally ends: like Ctrl-C, it
    finishes the cycle and exits 0 (README, exit statuses)."""
    GrowingFeed(server)
    proc = cfnews(tmp_path, server, every="1s")
    deadline = time.monotonic() + 120
    out = tmp_path / "out"
    while time.monotonic() < deadline and not (out / "articles").exists():
        time.sleep(0.5)
    proc.send_signal(signum)
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, output[-2000:]
    again = "SIGTERM again" if signum == signal.SIGTERM else "Ctrl-C again"
    assert f"stopping after the current cycle ({again} to stop now)" in output
    assert "cycle 1" in output
    assert json.loads(open(state_path(str(out))).read())["pending"] == []


def test_a_second_sigterm_stops_the_cycle_now_with_status_143(tmp_path, server):
    """The second signal stops at once, with the status of the signal that did it: a second
    SIGTERM used to end as an interrupt (130, "interrupted")."""
    server.routes["/robots.txt"] = (404, {"Content-Type": "text/plain"}, b"")
    server.routes["/feed.xml"] = (200, {"Content-Type": "application/rss+xml"}, (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>slow</title><item><title>Slow"
        f"</title><link>{server.url('/slow')}</link><guid isPermaLink='false'>slow-1</guid>"
        "</item></channel></rss>").encode())
    server.routes["/slow"] = slow_drip(chunks=400, delay=0.25)   # 100 s: the cycle is busy
    proc = cfnews(tmp_path, server, every="1s")
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not server.hits.get("/slow"):
        time.sleep(0.1)
    assert server.hits.get("/slow"), "".join(lines)[-2000:]
    proc.send_signal(signal.SIGTERM)
    while time.monotonic() < deadline and not any("stopping after" in l for l in lines):
        time.sleep(0.1)
    assert proc.poll() is None, "".join(lines)[-2000:]          # still in its cycle
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    reader.join(timeout=30)
    output = "".join(lines)
    assert proc.returncode == exit_codes.TERMINATED == 143, output[-2000:]
    assert "cfnews: terminated (SIGTERM)" in output and "Traceback" not in output, output[-2000:]


def test_latency_is_reported_from_written_and_discovered_times(tmp_path, server):
    GrowingFeed(server)
    ingest = ingest_for(tmp_path, server)
    figures = ingest.run_cycle(all_feeds=True).summary.latency
    assert figures["n"] == 2 and 0 <= figures["p50"] <= figures["p95"] < 120


def test_a_long_run_keeps_counts_not_every_cycles_report(tmp_path, server):
    """`run --every` runs for months in one process: run_forever kept every cycle's report
    (with its summary) in a list for the process's life, a little more memory each cycle.
    Each report is now let go once its cycle is over; what is kept is counts."""
    import gc
    import weakref
    GrowingFeed(server, per_request=2)
    ingest = ingest_for(tmp_path, server, every=0.0, min_interval=0.0)
    reports = []
    done = ingest.run_forever(max_cycles=3, echo=lambda line: None,
                              on_cycle=lambda report: reports.append(weakref.ref(report)))
    gc.collect()
    assert len(reports) == 3 and all(ref() is None for ref in reports)
    assert done.cycles == 3 and done.not_adding_up == []


def test_a_long_run_keeps_no_history_of_a_finished_cycle(tmp_path, server):
    """Each cycle opened three histories of the output (its poll's, its job's, its reckoning's),
    each holding the lake's file list, its loaded date stores and mapped arrays, and a
    process-wide table kept up to nine of them: in a process that runs for months, nine copies
    of what grows with the lake. A finished cycle now leaves none behind."""
    import gc
    from cfnews.transforms.history import History
    GrowingFeed(server, per_request=2)
    ingest = ingest_for(tmp_path, server, every=0.0, min_interval=0.0)
    gc.collect()
    earlier = {id(o) for o in gc.get_objects() if isinstance(o, History)}  # other tests' jobs
    done = ingest.run_forever(max_cycles=4, echo=lambda line: None)
    gc.collect()
    alive = [o for o in gc.get_objects() if isinstance(o, History) and id(o) not in earlier]
    assert done.cycles == 4 and ingest.state.seen  # the cycles ran and wrote
    assert alive == [], f"{len(alive)} histories outlived their cycles"


def test_a_long_run_compiles_no_pattern_per_cycle(tmp_path, server):
    """Every cycle's summary listed its files with a glob naming the run, which Beam compiles
    to a regular expression: one new pattern per cycle in `re`'s cache (at most 512, oldest
    out first), pushing out the patterns the stages use all the time."""
    import re
    GrowingFeed(server, per_request=2)
    ingest = ingest_for(tmp_path, server, every=0.0, min_interval=0.0)
    ingest.run_forever(max_cycles=3, echo=lambda line: None)   # every stage has run
    before = set(re._cache)
    ingest.run_forever(max_cycles=3, echo=lambda line: None)
    new = [key[1] for key in set(re._cache) - before]
    assert ingest.cycle == 6 and new == [], new
