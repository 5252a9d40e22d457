"""Streaming semantics with TestStream (BundleBasedDirectRunner): polling across ticks with
keyed state and seen-id expiry, windowed file finalisation, late data."""
import datetime as dt
import os

import apache_beam as beam
import pytest
import pyarrow.parquet as pq
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.testing.test_stream import TestStream as BeamTestStream
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms.window import TimestampedValue

from cfnews.pipeline.graph import output_windowing
from cfnews.pipeline.runner import make_options
from cfnews.schemas import Article, FeedSource
from cfnews.transforms.feeds import PollFeedsStateful
from cfnews.transforms.write import WriteDatasets
from tests.conftest import respond
from tests.test_crash_safety import GrowingFeed

T0 = dt.datetime(2025, 12, 4, tzinfo=dt.timezone.utc)


def streaming_pipeline():
    options = PipelineOptions(["--runner=BundleBasedDirectRunner"])
    options.view_as(StandardOptions).streaming = True
    return beam.Pipeline(options=options)


def test_polling_across_ticks_emits_only_new_entries_and_forgets_after_expiry(server):
    GrowingFeed(server, per_request=2)
    source = FeedSource(outlet="growing", url=server.url("/feed.xml"), language="en", country="FR")
    ticks = (BeamTestStream()
             .advance_watermark_to(0).add_elements([TimestampedValue("tick", 0)])
             .advance_watermark_to(60).add_elements([TimestampedValue("tick", 60)])
             .advance_watermark_to(500).add_elements([TimestampedValue("tick", 500)])
             .advance_watermark_to_infinity())
    with streaming_pipeline() as p:
        entries, rejected = (p | ticks
                             | beam.Map(lambda _: (source.url, source))
                             | PollFeedsStateful(server.config(), seen_ttl=100))
        got = entries | beam.Map(lambda e, ts=beam.DoFn.TimestampParam: (int(ts), e.entry_id))
        expected = ([(0, f"story-{n}") for n in (1, 2)] + [(60, f"story-{n}") for n in (3, 4)]
                    # at 500 everything seen at 0 and 60 has expired: the whole feed is new again
                    + [(500, f"story-{n}") for n in range(1, 7)])
        assert_that(got, equal_to(expected))
        assert_that(rejected, equal_to([]), label="no rejections")


def article(n: int, minute: int) -> Article:
    return Article(article_id=f"a{n}", url=f"https://e.com/{n}", canonical_url=f"https://e.com/{n}",
                   outlet="o", feed_url="f", entry_id=f"e{n}", title="t", text="text " * 50,
                   discovered_at=T0, published_at=T0 + dt.timedelta(minutes=minute))


def window_tags(out):
    folder = os.path.join(out, "articles", "date=2025-12-04", "outlet=o")
    if not os.path.isdir(folder):
        return []
    return sorted({name.split("-")[2] for name in os.listdir(folder)})


class _Probe(beam.DoFn):
    """Records which windows already have files when an element passes."""

    def __init__(self, out):
        self.out = out

    def process(self, element):
        yield element.article_id, tuple(window_tags(self.out))


def test_window_files_are_final_before_the_next_window_and_late_rows_get_their_own(tmp_path):
    out = str(tmp_path / "out")
    options = make_options([], out=out, window_seconds=60, allowed_lateness=3600)
    base = T0.timestamp()
    stream = (BeamTestStream()
              .advance_watermark_to(base)
              .add_elements([TimestampedValue(article(1, 0), base + 10),
                             TimestampedValue(article(2, 0), base + 20)])
              .advance_watermark_to(base + 61)               # window [0, 60) closes
              .add_elements([TimestampedValue(article(3, 1), base + 70)])
              .advance_watermark_to(base + 121)              # window [60, 120) closes
              .add_elements([TimestampedValue(article(4, 0), base + 30)])  # late, for [0, 60)
              .advance_watermark_to_infinity())
    with streaming_pipeline() as p:
        records = p | stream
        _ = records | output_windowing(options) | WriteDatasets(out_dir=out, run_id="s1")
        probes = records | beam.ParDo(_Probe(out))
        assert_that(probes | beam.Filter(lambda kv: kv[0] == "a3"),
                    equal_to([("a3", ("w20251204T000000",))]), label="window 0 final before 1")
    folder = os.path.join(out, "articles", "date=2025-12-04", "outlet=o")
    files = sorted(os.listdir(folder))
    rows = {}
    for name in files:
        for article_id in pq.read_table(os.path.join(folder, name)).column("article_id").to_pylist():
            rows.setdefault(article_id, []).append(name)
    assert sorted(rows) == ["a1", "a2", "a3", "a4"]
    assert all(len(v) == 1 for v in rows.values())            # nothing written twice
    assert rows["a4"][0] != rows["a1"][0]                     # the late pane has its own file
    assert rows["a4"][0].split("-")[2] == "w20251204T000000"  # ... in the window it belongs to
    assert len(files) == 3


def test_streaming_graph_writes_what_the_batch_graph_writes(tmp_path):
    """The whole unbounded graph (ticks instead of PeriodicImpulse) and a batch run over the
    same demo feeds end with the same rows in the same datasets."""
    import duckdb
    from cfnews.pipeline.demo.site import DemoSite
    from cfnews.pipeline.graph import build_streaming
    from cfnews.pipeline.runner import run_job

    def fates(out):
        result = {}
        for dataset in ("articles", "duplicates", "rejected"):
            if (out / dataset).exists():
                cluster = "''" if dataset == "rejected" else "cluster_id"
                rel = duckdb.sql(f"SELECT url, {cluster} FROM read_parquet('{out}/{dataset}/**/"
                                 "*.parquet', hive_partitioning=true)")
                for url, cluster in rel.fetchall():
                    result[url] = (dataset, cluster)
        return result

    with DemoSite() as site:
        common = dict(allow_hosts=site.allow_hosts, min_host_delay=0.0)
        batch_out, stream_out = tmp_path / "batch", tmp_path / "stream"
        run_job(make_options(["--runner=FnApiRunner"], out=str(batch_out), **common),
                feeds=site.feeds)
        options = make_options(["--runner=BundleBasedDirectRunner", "--streaming"],
                               out=str(stream_out), **common)
        base = T0.timestamp()
        ticks = (BeamTestStream().advance_watermark_to(base)
                 .add_elements([TimestampedValue("tick", base)])
                 .advance_watermark_to(base + 600)
                 .add_elements([TimestampedValue("tick", base + 600)])  # nothing new: all seen
                 .advance_watermark_to_infinity())
        with beam.Pipeline(options=options) as p:
            build_streaming(p, options, "stream", site.feeds, ticks=p | ticks)
    # every row sits in the window of the tick that found it (a batching stage once stamped
    # articles at the end of the global window, so their window never closed before the end)
    tags = {name.split("-")[2] for _root, _dirs, files in os.walk(stream_out)
            for name in files if name.endswith(".parquet")}
    assert tags == {"w20251204T000000"}
    batch, stream = fates(batch_out), fates(stream_out)
    assert stream.keys() == batch.keys() and len(batch) == 14
    assert {u: d for u, (d, _) in stream.items()} == {u: d for u, (d, _) in batch.items()}
    # same clusters: the copy points at the same original in both
    assert ({u: c for u, (d, c) in stream.items() if d != "rejected"}
            == {u: c for u, (d, c) in batch.items() if d != "rejected"})


@pytest.mark.timing  # README's latency target: the serial pass
def test_streaming_graph_in_real_time_writes_each_window_as_the_clock_passes_it(tmp_path, server,
                                                                             monkeypatch):
    """The whole unbounded graph on wall-clock ticks (a TestStream fed by a loopback
    TestStream service): a feed that grows at every poll, 4-second windows. Each window's
    files are on disk while the stream is still running, each entry ends in one dataset, and
    written_at - discovered_at stays within the window + 30 s target."""
    import pyarrow.dataset as ds
    from cfnews.pipeline.demo.site import DemoSite
    from cfnews.pipeline.graph import build_streaming
    from tests.wallclock_ticks import FileArrivals, WallClockTicks

    # gRPC would send the runner's call to the loopback TestStream service through a proxy
    # named in the environment, if any
    monkeypatch.setenv("no_grpc_proxy", "127.0.0.1,localhost")
    growing = GrowingFeed(server, per_request=1)
    live = FeedSource(outlet="growing", url=server.url("/feed.xml"), language="en", country="FR")
    out = tmp_path / "out"
    with DemoSite() as demo, FileArrivals(out) as files:
        options = make_options(["--runner=BundleBasedDirectRunner", "--streaming"], out=str(out),
                               all_topics=True, allow_hosts=demo.allow_hosts + [server.host_port],
                               min_host_delay=0.0, window_seconds=4, poll_interval=2)
        def an_article_file_arrived():
            return any(os.path.relpath(path, out).startswith("articles")
                       for path in list(files.arrivals))

        # 20 s of ticks; on a loaded machine, more (up to 90 s) until the first window's file
        # is written: with the windowing bug none is written before the stream ends
        with WallClockTicks(interval=2, duration=20, until=an_article_file_arrived,
                            longest=90) as clock:
            with beam.Pipeline(options=options) as p:
                build_streaming(p, options, "rt", demo.feeds + [live], ticks=p | clock.source())
            assert clock.was_read, "the runner never read the TestStream service's ticks"
            last_tick = max(clock.ticks)

    articles = ds.dataset(out / "articles", format="parquet", partitioning="hive").to_table(
        columns=["url", "discovered_at", "written_at"]).to_pylist()
    latency = [(r["written_at"] - r["discovered_at"]).total_seconds() for r in articles]
    assert max(latency) <= 4 + 30
    # windows closed by the clock, not by the end of the stream
    article_files = {path: at for path, at in files.arrivals.items()
                     if os.path.relpath(path, out).startswith("articles")}
    windows = {os.path.basename(path).split("-")[2] for path in article_files}
    early = {os.path.basename(path).split("-")[2] for path, at in article_files.items()
             if at < last_tick}
    # (the local runner may fall behind the clock on a loaded machine, so only the first
    # window is required to close before the end, which the clock waits for; with the
    # windowing bug none did)
    assert len(windows) >= 3 and len(early) >= 1
    # no loss, no double write: each growing-feed story served is one row somewhere
    urls = []
    for dataset in ("articles", "duplicates", "rejected"):
        if (out / dataset).exists():
            urls += ds.dataset(out / dataset, format="parquet", partitioning="hive").to_table(
                columns=["url"]).column("url").to_pylist()
    stories = [u for u in urls if "/story/" in u]
    assert len(stories) == len(set(stories))
    assert {int(u.rsplit("/", 1)[1]) for u in stories} == growing.served


def _rss(host, feed: int, n_items: int) -> bytes:
    items = "".join(f"<item><title>Story {i}</title><link>{host.url(f'/story/{feed}/{i}')}</link>"
                    f"<guid isPermaLink='false'>{host.address}-{feed}-{i}</guid></item>"
                    for i in range(n_items))
    return (f"<?xml version='1.0'?><rss version='2.0'><channel><title>{host.address}</title>"
            f"{items}</channel></rss>").encode()


def test_a_ticks_feeds_are_polled_concurrently_and_304s_emit_nothing_new():
    """Six feeds on three loopback hosts, each answering after 1 s: one tick polls them all
    at once (one at a time took 6 s), per-host limits held; the next tick's conditional polls
    are answered 304 and emit nothing; every entry once, with its tick's timestamp."""
    from tests.loopback_hosts import start_hosts
    from cfnews.transforms.http import HttpConfig
    from cfnews.transforms.robots import ROBOTS
    hosts = start_hosts(3, latency=1.0, first=20)
    conditional = []
    try:
        sources = []
        for h, host in enumerate(hosts):
            for f in range(2):
                body = _rss(host, f, 2)
                etag = f'"{host.address}-{f}"'

                def feed(handler, body=body, etag=etag):
                    if handler.headers.get("If-None-Match") == etag:
                        conditional.append(etag)
                        respond(handler, 304, {"ETag": etag})
                    else:
                        respond(handler, 200, {"Content-Type": "application/rss+xml",
                                               "ETag": etag}, body)
                host.handlers[f"/feed-{f}.xml"] = feed
                sources.append(FeedSource(outlet=f"o{h}{f}", url=host.url(f"/feed-{f}.xml"),
                                          language="en", country="FR"))
        config = HttpConfig(allow_hosts=tuple(h.host_port for h in hosts), min_host_delay=0.0,
                            respect_robots=False, per_host_concurrency=2, max_retries=0)
        ticks = (BeamTestStream()
                 .advance_watermark_to(0).add_elements([TimestampedValue("tick", 0)])
                 .advance_watermark_to(60).add_elements([TimestampedValue("tick", 60)])
                 .advance_watermark_to_infinity())
        with streaming_pipeline() as p:
            entries, rejected = (p | ticks
                                 | beam.FlatMap(lambda _: [(s.url, s) for s in sources])
                                 | PollFeedsStateful(config, seen_ttl=1000))
            got = entries | beam.Map(lambda e, ts=beam.DoFn.TimestampParam: (int(ts), e.entry_id))
            assert_that(got, equal_to([(0, f"{h.address}-{f}-{i}") for h in hosts for f in range(2)
                                       for i in range(2)]))
            assert_that(rejected, equal_to([]), label="no rejections")
    finally:
        for host in hosts:
            host.stop()
        ROBOTS.clear()
    assert sorted(conditional) == sorted(f'"{h.address}-{f}"' for h in hosts for f in range(2))
    first_tick = sorted(t for h in hosts for t in h.starts)[:6]
    # concurrent: the six first polls all reached their hosts within one answer's time
    assert first_tick[-1] - first_tick[0] < 1.0, [round(t - first_tick[0], 2) for t in first_tick]
    assert all(h.peak <= 2 for h in hosts)


class _EmitOnTimer(beam.DoFn):
    """Keeps each value until an event-time timer 5 s after it, then emits it: the shape of
    the dedup's decision stage (transforms/dedup_stream.py), reduced to one timer."""
    VALUES = beam.transforms.userstate.BagStateSpec("values", beam.coders.StrUtf8Coder())
    DUE = beam.transforms.userstate.TimerSpec("due", beam.TimeDomain.WATERMARK)

    def process(self, element, timestamp=beam.DoFn.TimestampParam,
                values=beam.DoFn.StateParam(VALUES), due=beam.DoFn.TimerParam(DUE)):
        values.add(element[1])
        due.set(timestamp + 5)

    @beam.transforms.userstate.on_timer(DUE)
    def emit(self, values=beam.DoFn.StateParam(VALUES)):
        yield from values.read()
        values.clear()


def _timer_output_through_windows(last_watermark: int) -> None:
    """One value at t=10 through _EmitOnTimer (due at 15), a 60-s fixed window with an hour's
    lateness and a GroupByKey; the stream's watermark stops at `last_watermark`, then ends."""
    stream = (BeamTestStream()
              .advance_watermark_to(0)
              .add_elements([TimestampedValue(("k", "story"), 10)])
              .advance_watermark_to(last_watermark)
              .advance_watermark_to_infinity())
    with streaming_pipeline() as p:
        grouped = (p | stream | beam.ParDo(_EmitOnTimer())
                   | beam.WindowInto(beam.window.FixedWindows(60), allowed_lateness=3600)
                   | beam.Map(lambda value: ("all", value)) | beam.GroupByKey()
                   | beam.MapTuple(lambda _key, values: sorted(values)))
        assert_that(grouped, equal_to([["story"]]))


@pytest.mark.xfail(strict=True, reason=(
    "the BundleBasedDirectRunner holds no watermark for pending event-time timers "
    "(apache/beam#20705): a timer that fires only because the stream ended emits behind the final "
    "watermark and a windowed GroupByKey drops it as late. README, 'Streaming', says how the "
    "tests work around it (ending the stream an interval after the last poll). When this "
    "passes, the runner holds the watermark and the workaround can go."))
def test_what_a_timer_emits_as_the_stream_ends_reaches_the_windowed_output():
    _timer_output_through_windows(last_watermark=12)     # the timer (due at 15) has not fired


def test_what_a_timer_emits_before_the_stream_ends_reaches_the_windowed_output():
    """The workaround's premise: the same stage, its timer fired by the watermark while the
    stream runs, loses nothing."""
    _timer_output_through_windows(last_watermark=16)     # the timer fires inside the stream
