"""Streaming dedup (keyed state + timers) on TestStream: expiry, order, and agreement with the
batch transform. TestStream runs on the BundleBasedDirectRunner."""
import datetime as dt

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.testing.test_stream import TestStream as BeamTestStream
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms.window import TimestampedValue

from tests.test_dedup import T0, article, entry, seed_articles, words
from cfnews.transforms.dedup import DeduplicateArticles, DedupParams, dedup_in_memory, micros
from cfnews.transforms.dedup_stream import DEFAULT_HOLD, StreamingDedupEntries, StreamingDeduplicate

DAY = dt.timedelta(days=1)


def seconds(when: dt.datetime) -> float:
    return micros(when) / 1e6


def stream(batches):
    """batches: [(watermark before the batch, items)]; an item is an element, stamped with its
    event time, or (arrival time, element). After each batch the watermark moves just past
    its decisions: the direct runner does not hold the watermark for pending upstream
    timers, so one long jump could fire a downstream timer before an upstream one."""
    ts = BeamTestStream()
    last = T0 - DAY
    for i, (watermark, items) in enumerate(batches):
        last = max(last, watermark)
        ts = ts.advance_watermark_to(seconds(last))
        stamped = []
        for item in items:
            when, element = item if isinstance(item, tuple) else (_event_time(item), item)
            stamped.append(TimestampedValue(element, seconds(when)))
        ts = ts.add_elements(stamped)
        settled = max([v.timestamp.micros / 1e6 for v in stamped] + [seconds(last)]) + \
            2 * DEFAULT_HOLD.total_seconds()
        following = seconds(batches[i + 1][0]) if i + 1 < len(batches) else float("inf")
        if seconds(last) < settled < following:
            ts = ts.advance_watermark_to(settled)
            last = dt.datetime.fromtimestamp(settled, dt.timezone.utc)
    ts = ts.advance_watermark_to(seconds(last + DAY))
    return ts.advance_watermark_to_infinity()


def _event_time(element):
    return element.event_time if hasattr(element, "event_time") else (
        element.published_at or element.discovered_at)


def run_streaming(batches, transform, check):
    options = PipelineOptions([])
    options.view_as(StandardOptions).streaming = True
    pipeline = beam.Pipeline(runner="BundleBasedDirectRunner", options=options)
    kept, dups = pipeline | stream(batches) | transform
    check(kept, dups)
    result = pipeline.run()
    result.wait_until_finish()
    return result


def ids(kept, dups):
    return (kept | "kept" >> beam.Map(lambda a: (a.article_id, a.cluster_id)),
            dups | "dups" >> beam.Map(lambda d: (d.article.article_id, d.canonical_id, d.matched_id)))


def test_copies_within_the_expiry_merge_and_later_ones_do_not(seeds):
    x1, x2 = article("x1", seeds["002"], 0), article("x2", seeds["004"], 24 * 13)
    y1, y2 = article("y1", words(200, 240), 0), article("y2", words(200, 230), 24 * 15 + 2)
    # z2 was published a day after z1 but arrives after z1's index entries expired
    z1, z2 = article("z1", words(400, 440), 0), article("z2", words(400, 430), 24)
    late_arrival = T0 + 15 * DAY + dt.timedelta(hours=2)
    batches = [(T0 - DAY, [x1, y1, z1]), (T0 + 13 * DAY - DAY, [x2]),
               (T0 + 15 * DAY + dt.timedelta(hours=1), [y2, (late_arrival, z2)])]

    def check(kept, dups):
        k, d = ids(kept, dups)
        assert_that(k, equal_to([(i, i) for i in ("x1", "y1", "z1", "y2", "z2")]), label="kept")
        assert_that(d, equal_to([("x2", "x1", "x1")]), label="dups")
    run_streaming(batches, StreamingDeduplicate(expiry=14 * DAY), check)
    # the same copies in batch: only the publication times count there
    kept, dups = dedup_in_memory([x1, x2, y1, y2, z1, z2], DedupParams(expiry=14 * DAY))
    assert sorted(d.article.article_id for d in dups) == ["x2", "z2"]


def test_the_first_copy_seen_stays_canonical(seeds):
    arrival = T0 + dt.timedelta(minutes=5)
    a = article("a", seeds["002"], 0)
    # published earlier than a and seen in the same minute: it comes first
    earlier = article("earlier", seeds["004"], -0.5)
    # published earlier still, but seen an hour later: a copy of what was seen first
    old = article("old", seeds["002"], -2)
    batches = [(T0, [(arrival, a), (arrival + dt.timedelta(seconds=20), earlier)]),
               (T0 + dt.timedelta(hours=1), [(T0 + dt.timedelta(hours=1, minutes=5), old)])]

    def check(kept, dups):
        k, d = ids(kept, dups)
        assert_that(k, equal_to([("earlier", "earlier")]), label="kept")
        # old is a's text: its match is a (1.0; `earlier` is a trimmed copy, further than
        # COPY_NEAR_BEST below), its canonical_id still the first copy seen
        assert_that(d, equal_to([("a", "earlier", "earlier"), ("old", "earlier", "a")]),
                    label="dups")
    run_streaming(batches, StreamingDeduplicate(), check)


def test_outputs_keep_arrival_time_not_publication_time(seeds):
    """Feed items are often published days before they are polled: the outputs must be on
    time for the windows downstream, so they carry the arrival slot's end."""
    arrival = T0 + dt.timedelta(days=3, seconds=10)
    a, b = article("a", seeds["002"], -48), article("b", seeds["004"], -47)
    batches = [(T0 + dt.timedelta(days=3), [(arrival, a), (arrival, b)])]

    def check(kept, dups):
        stamps = ((kept, dups) | "all" >> beam.Flatten()
                  | "stamps" >> beam.Map(lambda r, ts=beam.DoFn.TimestampParam: ts.micros))
        slot_end = micros(arrival.replace(second=0) + DEFAULT_HOLD)
        assert_that(stamps, equal_to([slot_end, slot_end]), label="stamps")
        k, d = ids(kept, dups)
        assert_that(d, equal_to([("b", "a", "a")]), label="dups")
    run_streaming(batches, StreamingDeduplicate(), check)


def test_streaming_and_batch_agree_in_event_time_order(seeds):
    arts = seed_articles(seeds) + [
        article("a", words(0, 40), 10), article("b", words(20, 60), 11),     # a chain
        article("c", words(30, 80), 12),
        article("t", "\n".join(seeds["002"].splitlines()[:6]), 13),         # trimmed 002
        article("same-outlet", words(0, 20) + "\n" + words(100, 120), 14, outlet="outlet-a"),
        article("late-story", words(0, 40), 24 * 20)]                       # after the expiry
    expected_kept, expected_dups = dedup_in_memory(arts)
    assert sorted(d.article.article_id for d in expected_dups) == ["b", "c", "s004", "t"]

    assert_batch_gives(arts, expected_kept, expected_dups)

    ordered = sorted(arts, key=lambda a: (a.event_time, a.article_id))
    batches = [(a.event_time - dt.timedelta(minutes=5), [a]) for a in ordered]

    def check(kept, dups):
        assert_that(kept, equal_to(expected_kept), label="stream_kept")
        assert_that(dups, equal_to(expected_dups), label="stream_dups")
    run_streaming(batches, StreamingDeduplicate(), check)


def test_streaming_entries_keep_the_first_per_url_and_per_guid():
    first = entry("a", "guid-1", "https://e.com/story", 1)
    same_url = entry("b", "other", "https://e.com/story?utm_source=x", 2)
    moved = entry("a", "guid-1", "https://e.com/story-updated", 3)
    fresh = entry("a", "guid-2", "https://e.com/another", 4)
    batches = [(T0, [first]), (T0 + dt.timedelta(hours=1, minutes=30), [same_url, moved, fresh])]

    def check(kept, dups):
        assert_that(kept | beam.Map(lambda e: e.url), equal_to([first.url, fresh.url]), label="kept")
        assert_that(dups | beam.Map(lambda d: (d.article.url, d.method, d.canonical_id)),
                    equal_to([(same_url.url, "canonical_url", first.article_id),
                              (moved.url, "feed_guid", first.article_id)]), label="dups")
    run_streaming(batches, StreamingDedupEntries(), check)


def test_furniture_rule_agrees_in_batch_and_streaming():
    """Rewrites sharing a furniture paragraph stay articles, a trimmed copy that keeps it is a
    duplicate: the same rows in memory, in the batch transform and in streaming."""
    from tests.test_dedup import REPORT, TRIMMED_A, TRIMMED_B, furniture_background
    lines = REPORT.splitlines()
    copy = "\n".join(["PARIS (AFP) - " + lines[1], lines[2], lines[3]])
    arts = furniture_background() + [article("a", TRIMMED_A, 0, "ledger"),
                                     article("b", TRIMMED_B, 1, "courier"),
                                     article("report", REPORT, 2, "ledger"),
                                     article("copy", copy, 3, "herald")]
    expected_kept, expected_dups = dedup_in_memory(arts)
    assert [(d.article.article_id, d.canonical_id) for d in expected_dups] == [("copy", "report")]

    assert_batch_gives(arts, expected_kept, expected_dups)

    # streaming follows one story link (the copy takes the report's story, not the quote's
    # first article): the rows are compared on what the rule decides
    assert_streaming_gives(arts, expected_kept, [("copy", "report", "report")])


def test_a_story_paragraph_reused_by_a_few_unrelated_texts_agrees_in_batch_and_streaming():
    """The story's copies outnumber the unrelated texts that reuse its background paragraph:
    the later trimmed copy is a duplicate in memory, in the batch transform and in
    streaming."""
    from tests.test_dedup import wuhan_articles
    arts = wuhan_articles(3)
    expected_kept, expected_dups = dedup_in_memory(arts)
    expected = sorted((d.article.article_id, d.canonical_id, d.matched_id) for d in expected_dups)
    assert expected == [(c, "story", "story") for c in ("c0", "c1", "c2", "copy")]

    assert_batch_gives(arts, expected_kept, expected_dups)

    assert_streaming_gives(arts, expected_kept, expected)


def assert_batch_gives(arts, expected_kept, expected_dups):
    """The batch transform on `arts` yields exactly the in-memory rows."""
    with beam.Pipeline(runner="FnApiRunner") as p:
        kept, dups = p | beam.Create(arts) | DeduplicateArticles()
        assert_that(kept, equal_to(expected_kept), label="batch_kept")
        assert_that(dups, equal_to(expected_dups), label="batch_dups")


def assert_streaming_gives(arts, expected_kept, expected_dups, one_batch=False):
    """Streaming `arts` one per batch in event-time order (`one_batch`: all in one batch, in
    reverse order) yields the in-memory kept rows (id, cluster) and `expected_dups` (id,
    canonical, matched)."""
    ordered = sorted(arts, key=lambda a: (a.event_time, a.article_id))
    batches = ([(ordered[0].event_time - dt.timedelta(minutes=5), ordered[::-1])] if one_batch
               else [(a.event_time - dt.timedelta(minutes=5), [a]) for a in ordered])
    kept_ids = [(a.article_id, a.cluster_id) for a in expected_kept]

    def check(kept, dups):
        k, d = ids(kept, dups)
        assert_that(k, equal_to(kept_ids), label="stream_kept")
        assert_that(d, equal_to(expected_dups), label="stream_dups")
    run_streaming(batches, StreamingDeduplicate(), check)


def test_a_quote_heavy_copy_is_a_copy_in_batch_and_streaming():
    """The copy_containment rule (a quote-heavy copy sharing most of the text and a fifth of
    its plain part) decides alike in memory, in the batch transform and in streaming; the
    rewrite of the same announcement stays an article."""
    from tests.test_dedup import WINE, WINE_COPY, WINE_REWRITE
    arts = [article("wire", WINE, 0, "wire"), article("copy", WINE_COPY, 1, "courier"),
            article("rewrite", WINE_REWRITE, 2, "gazette")]
    expected_kept, expected_dups = dedup_in_memory(arts)
    assert [(d.article.article_id, d.canonical_id) for d in expected_dups] == [("copy", "wire")]
    assert_batch_gives(arts, expected_kept, expected_dups)
    assert_streaming_gives(arts, expected_kept, [("copy", "wire", "wire")])


def test_the_run_veto_agrees_in_batch_and_streaming():
    """A report that reuses a release's phrases in sentences of its own stays an article, and
    a datelined copy is a duplicate, whichever text the index holds first: in memory, in the
    batch transform and in streaming (where a later-published text can arrive first and the
    stored entry is the later one)."""
    from tests.test_dedup import COGNAC_A, COGNAC_B
    copy = "JARNAC (AFP) - " + COGNAC_A.replace("announced on Tuesday", "said on Tuesday")
    arts = [article("a", COGNAC_A, 0, "ledger"), article("b", COGNAC_B, 1, "courier"),
            article("copy", copy, 2, "herald")]
    expected_kept, expected_dups = dedup_in_memory(arts)
    assert [(d.article.article_id, d.canonical_id) for d in expected_dups] == [("copy", "a")]
    assert_batch_gives(arts, expected_kept, expected_dups)
    assert_streaming_gives(arts, expected_kept, [("copy", "a", "a")])
    # all three in one batch of the stream: the index meets the later texts first
    assert_streaming_gives(arts, expected_kept, [("copy", "a", "a")], one_batch=True)


def test_one_outlet_more_than_36_hours_apart_is_not_a_copy_in_batch_and_streaming():
    """One outlet's identical texts two days apart stay two articles, hours apart they are a
    copy, another outlet's copy days later is a copy; just inside / just outside 36 h: the
    same rows in memory, in the batch transform and in streaming."""
    minute = 1 / 60
    text, inside, outside = words(0, 40), words(100, 140), words(200, 240)
    arts = [article("mon", text, 0, "daily"), article("mon2", text, 2, "daily"),
            article("wed", text, 48, "daily"), article("thu", text, 72, "paper"),
            article("in0", inside, 1, "daily"), article("in1", inside, 37 - minute, "daily"),
            article("out0", outside, 3, "daily"), article("out1", outside, 39 + minute, "daily")]
    expected_kept, expected_dups = dedup_in_memory(arts)
    expected = sorted((d.article.article_id, d.canonical_id, d.matched_id) for d in expected_dups)
    assert expected == [("in1", "in0", "in0"), ("mon2", "mon", "mon"), ("thu", "mon", "mon")]
    assert {a.article_id: a.story_id for a in expected_kept}["wed"] == "wed"

    assert_batch_gives(arts, expected_kept, expected_dups)
    assert_streaming_gives(arts, expected_kept, expected)


def test_the_number_veto_agrees_in_batch_and_streaming():
    """A daily tally's next edition (another outlet, a day later) is neither copy nor story;
    the earlier edition's copy is a copy: the same rows in memory, in the batch transform and
    in streaming, where the sketches travel in the index state (`encode_member`)."""
    from tests.test_dedup_numbers import COPY_OF_5, FIXING_1, FIXING_2, TALLY_5, TALLY_6
    arts = [article("t5", TALLY_5, 0, "afp"), article("copy", COPY_OF_5, 2, "rfi"),
            article("t6", TALLY_6, 24, "zaobao"),
            article("f1", FIXING_1, 1, "reuters"), article("f2", FIXING_2, 25, "wire")]
    expected_kept, expected_dups = dedup_in_memory(arts)
    expected = sorted((d.article.article_id, d.canonical_id, d.matched_id) for d in expected_dups)
    assert expected == [("copy", "t5", "t5")]
    assert {a.article_id: a.story_id for a in expected_kept} == {
        "t5": "t5", "t6": "t6", "f1": "f1", "f2": "f2"}
    _, unvetoed = dedup_in_memory(arts, DedupParams(number_conflicts=10 ** 6))
    assert sorted(d.article.article_id for d in unvetoed) == ["copy", "f2", "t6"]

    assert_batch_gives(arts, expected_kept, expected_dups)
    assert_streaming_gives(arts, expected_kept, expected)
