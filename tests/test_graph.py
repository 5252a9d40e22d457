"""The graphs every mode submits: one ingest composite, every stage's rejected output
reaching the writer, a job whose size does not depend on the lake, and a near-duplicate
shuffle spread over enough keys for a distributed runner."""
from __future__ import annotations

import collections
import datetime as dt

import apache_beam as beam
import pytest

from cfnews.pipeline.graph import build, build_streaming
from cfnews.pipeline.runner import job_pipeline, make_options
from cfnews.schemas import FeedEntry, FeedSource, Rejected
from cfnews.transforms.common import REJECTED, run_stage, StageDoFn
from cfnews.transforms.dedup import BATCH_BUCKET_BITS, _postings_by_bucket, prepare
from cfnews.schemas import Article, Stage

FEEDS = [FeedSource(outlet="le-monde", url="https://www.example.com/rss.xml", language="fr",
                    country="FR")]
ENTRY = FeedEntry(outlet="wire", feed_url="https://wire.example/rss", entry_id="e1",
                  url="https://wire.example/a", article_id="00000000000000a1",
                  canonical_url="https://wire.example/a")
POLL_REJECTED = Rejected(stage="feed", reason="feed_unreachable", outlet="wire",
                         url="https://wire.example/rss")
RUN_ID = "20260101T000000Z-abc123"


def options(out="/tmp/cfnews-graph-test", *extra):
    return make_options(["--runner=FnApiRunner", *extra], out=out)


def rejected_outputs_not_written(pipeline: beam.Pipeline):
    """Labels of leaf transforms whose `rejected` output never reaches the Write transform."""
    proto = pipeline.to_runner_api()
    transforms = proto.components.transforms
    leaves = {tid: t for tid, t in transforms.items() if not t.subtransforms}
    consumers = collections.defaultdict(list)
    for tid, t in leaves.items():
        for pcoll in t.inputs.values():
            consumers[pcoll].append(tid)
    lost = []
    for tid, t in leaves.items():
        for tag, pcoll in t.outputs.items():
            if tag != REJECTED:
                continue
            seen, frontier, reached = set(), [pcoll], False
            while frontier and not reached:
                current = frontier.pop()
                for consumer in consumers[current]:
                    name = leaves[consumer].unique_name
                    if name == "Write" or name.startswith("Write/"):
                        reached = True
                        break
                    for out in leaves[consumer].outputs.values():
                        if out not in seen:
                            seen.add(out)
                            frontier.append(out)
            if not reached:
                lost.append(t.unique_name)
    return lost


def mode_graphs():
    """(mode, pipeline) for every way cfnews builds a job."""
    def batch(**sources):
        p = beam.Pipeline(options=options())
        build(p, options(), RUN_ID, **sources)
        return p

    def streaming():
        p = beam.Pipeline(options=options("/tmp/cfnews-graph-test", "--streaming"))
        ticks = p | "Ticks" >> beam.Create([0])
        build_streaming(p, options(), RUN_ID, FEEDS, ticks=ticks)
        return p

    yield "demo / run --once on a managed runner / template (feeds read in the job)", batch(feeds=FEEDS)
    yield "backfill", batch(manifest="/tmp/pages.jsonl")
    yield "run --once / --every (entries polled by the loop)", batch(
        entries=[ENTRY], extra_records=[POLL_REJECTED])
    yield "template with feeds and a manifest", batch(feeds=FEEDS, manifest="/tmp/pages.jsonl")
    yield "streaming", streaming()


@pytest.mark.parametrize("mode,pipeline", list(mode_graphs()), ids=lambda v: v if isinstance(v, str) else "")
def test_every_rejected_output_reaches_the_writer(mode, pipeline):
    labels = {t.unique_name for t in pipeline.to_runner_api().components.transforms.values()}
    stages = ("Ingest/Fetch", "Ingest/Extract", "Ingest/Language", "Ingest/Relevance",
              "Ingest/Dedup", "Ingest/Entities")
    for stage in stages:   # the one composite, in every mode
        assert any(label.startswith(stage) for label in labels), (mode, stage)
    assert rejected_outputs_not_written(pipeline) == [], mode


class _AlwaysRejects(StageDoFn):
    stage = Stage.EXTRACT

    def handle(self, element):
        raise ValueError("boom")


def test_the_check_finds_a_rejected_output_that_is_dropped():
    p = beam.Pipeline(options=options())
    kept, dropped = run_stage(p | beam.Create([1]), "Lossy", _AlwaysRejects())
    kept | "Write" >> beam.Map(print)
    [lost] = rejected_outputs_not_written(p)
    assert lost.startswith("Lossy/")


def test_the_job_does_not_grow_with_the_lake(tmp_path):
    from tests.lake import write_lake
    empty, lake = tmp_path / "lake-a", tmp_path / "lake-b"   # same path length
    empty.mkdir()
    counts = write_lake(str(lake), articles=100_000, days=14, outlets=10)
    assert counts["articles"] == 100_000
    sizes = {}
    for name, out in (("empty", empty), ("lake", lake)):
        for command, sources in (("backfill", {"manifest": "/tmp/pages.jsonl"}),
                                 ("run", {"feeds": FEEDS})):
            p = job_pipeline(options(str(out)), RUN_ID, **sources)
            sizes[name, command] = len(p.to_runner_api().SerializeToString())
    for command in ("backfill", "run"):
        empty_size, lake_size = sizes["empty", command], sizes["lake", command]
        assert abs(lake_size - empty_size) <= 0.01 * empty_size, (command, sizes)
        assert lake_size < 1_000_000, sizes   # far below Dataflow's job-graph limit


def test_the_near_duplicate_shuffle_spreads_over_many_keys(seeds):
    assert BATCH_BUCKET_BITS >= 10   # 1,024 keys
    keys = set()
    for number in ("001", "002", "003", "004"):
        a = Article(article_id=number, url="u", canonical_url="u", outlet="o", feed_url="",
                    entry_id=number, title="", text=seeds[number],
                    discovered_at=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
        keys.update(bucket for bucket, _ in _postings_by_bucket(prepare(a), BATCH_BUCKET_BITS))
    assert len(keys) > 100, len(keys)   # 8 buckets before: at most 8 keys, whatever the input
