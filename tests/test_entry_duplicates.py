"""Entries never fetched (same URL or feed guid as an earlier entry) name the row in
`articles`: their canonical_id, cluster_id and story_id follow their first entry's fate, in
batch and in streaming, through the one ingest transform."""
import datetime as dt

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.testing.test_stream import TestStream as BeamTestStream
from apache_beam.transforms.window import TimestampedValue

from cfnews.schemas import Article, Duplicate, FeedEntry, Rejected
from cfnews.transforms.dedup import Outcome, link_entry_duplicate, outcome_of
from cfnews.transforms.ingest import BatchDedup, IngestEntries, StreamingDedup
from cfnews.transforms.urls import article_id_for, canonical_url

T0 = dt.datetime(2025, 12, 4, 8, tzinfo=dt.timezone.utc)


def _article(article_id, story_id=""):
    return Article(article_id=article_id, url=f"https://e.com/{article_id}",
                   canonical_url=f"https://e.com/{article_id}", outlet="o", feed_url="f",
                   entry_id=article_id, title="t", text="x", discovered_at=T0,
                   cluster_id=article_id, story_id=story_id)


def _entry_duplicate(article_id, first_id, method="canonical_url"):
    return Duplicate(article=_article(article_id), canonical_id=first_id, cluster_id=first_id,
                     method=method, matched_id=first_id, containment=1.0, jaccard=1.0,
                     shared_fingerprints=0)


# ---------------------------------------------------------------- the rule, without Beam

def test_a_duplicate_of_an_entry_that_became_a_copy_points_at_the_row_in_articles():
    near = Duplicate(article=_article("b", story_id="s0"), canonical_id="a", cluster_id="a",
                     method="near_duplicate", matched_id="a", containment=0.9, jaccard=0.5,
                     shared_fingerprints=40)
    assert outcome_of(near) == ("b", Outcome("a", "s0"))
    linked = link_entry_duplicate(_entry_duplicate("b2", "b"), outcome_of(near)[1])
    assert (linked.canonical_id, linked.cluster_id, linked.matched_id) == ("a", "a", "b")
    assert (linked.article.cluster_id, linked.article.story_id) == ("a", "s0")


def test_a_duplicate_of_a_kept_rewrite_takes_its_story():
    rewrite = _article("r", story_id="s1")
    linked = link_entry_duplicate(_entry_duplicate("r2", "r"), outcome_of(rewrite)[1])
    assert (linked.canonical_id, linked.article.story_id) == ("r", "s1")


def test_a_duplicate_of_a_rejected_or_unknown_entry_keeps_pointing_at_it():
    rejected = Rejected(stage="relevance", reason="not_relevant", outlet="o",
                        url="https://e.com/w", article_id="w")
    assert outcome_of(rejected) == ("w", Outcome("", ""))
    for outcome in (outcome_of(rejected)[1], None):
        dup = _entry_duplicate("w2", "w")
        assert link_entry_duplicate(dup, outcome) == dup


# ---------------------------------------------------------------- through IngestEntries

def _html(body: str) -> str:
    return ("<html><head><title>t</title></head><body><article>"
            + "".join(f"<p>{p}</p>" for p in body.split("\n") if p.strip())
            + "</article></body></html>")


def _entry(url, outlet, body, minutes, guid=None, feed="main"):
    canonical = canonical_url(url)
    return FeedEntry(outlet=outlet, feed_url=f"https://{outlet}.example/{feed}.xml",
                     entry_id=guid or url, url=url, article_id=article_id_for(canonical),
                     canonical_url=canonical, title="", html=_html(body),
                     published_at=T0 + dt.timedelta(minutes=minutes),
                     discovered_at=T0 + dt.timedelta(minutes=minutes))


def _entries(seeds):
    weather = "Sunny in Lyon today, with a light breeze from the west. " * 40
    return [
        _entry("https://wire.example/macron-xi", "wire", seeds["002"], 0),
        # the ledger's copy of the wire story, reached through two of its feeds
        _entry("https://ledger.example/copy", "ledger", seeds["004"], 60),
        _entry("https://ledger.example/copy", "ledger", seeds["004"], 70, guid="world-7",
               feed="world"),
        # one item under two URLs (same guid), the second URL also in another feed
        _entry("https://post.example/a", "post", seeds["004"], 80, guid="g-1"),
        _entry("https://post.example/b", "post", seeds["004"], 90, guid="g-1"),
        _entry("https://post.example/b", "post", seeds["004"], 95, guid="g-2", feed="asia"),
        # off topic, twice: the second names the rejected first
        _entry("https://wire.example/weather", "wire", weather, 5),
        _entry("https://wire.example/weather", "wire", weather, 6, guid="w-2", feed="fr"),
    ]


def _fates(records):
    """url -> (dataset, canonical_id, cluster_id, matched_id, story_id) of every record."""
    fates = {}
    for r in records:
        if isinstance(r, Duplicate):
            fate = ("duplicates", r.canonical_id, r.cluster_id, r.matched_id,
                    r.article.story_id or r.cluster_id, r.method)
            fates.setdefault(r.article.url, []).append(fate)
        elif isinstance(r, Article):
            fates.setdefault(r.url, []).append(("articles", r.article_id, r.cluster_id, "",
                                                r.story_id or r.article_id, ""))
        else:
            fates.setdefault(r.url, []).append(("rejected", r.reason))
    return {url: sorted(v) for url, v in fates.items()}


def _expected(entries):
    wire, copy, _, post_a, post_b, _, weather, _ = [e.article_id for e in entries]
    return {
        "https://wire.example/macron-xi": [("articles", wire, wire, "", wire, "")],
        "https://ledger.example/copy": sorted([
            ("duplicates", wire, wire, wire, wire, "near_duplicate"),
            # the same URL through a second feed: never fetched, and names the wire story's
            # row in `articles`, not the ledger's copy (which is in `duplicates`)
            ("duplicates", wire, wire, copy, wire, "canonical_url")]),
        # the ledger's copy holds post a's text whole: a is matched to it (the closest copy),
        # and still names the wire story's row
        "https://post.example/a": [("duplicates", wire, wire, copy, wire, "near_duplicate")],
        # b shares a's guid; b's second entry shares b's URL: two links to follow
        "https://post.example/b": sorted([
            ("duplicates", wire, wire, post_a, wire, "feed_guid"),
            ("duplicates", wire, wire, post_b, wire, "canonical_url")]),
        "https://wire.example/weather": sorted([
            ("rejected", "not_relevant"),
            ("duplicates", weather, weather, weather, weather, "canonical_url")]),
    }


class _Collect(beam.DoFn):
    """Gathers the records in a list the test reads after the run (one process)."""
    found = []

    def process(self, element):
        _Collect.found.append(element)


@pytest.fixture
def collected():
    _Collect.found = []
    yield _Collect.found
    _Collect.found = []


def test_batch_entry_duplicates_name_the_row_in_articles(seeds, collected):
    entries = _entries(seeds)
    with beam.Pipeline(runner="FnApiRunner") as p:
        (p | beam.Create(entries) | IngestEntries(BatchDedup()) | beam.ParDo(_Collect()))
    assert _fates(collected) == _expected(entries)


def _run_streaming(ticks):
    options = PipelineOptions([])
    options.view_as(StandardOptions).streaming = True
    with beam.Pipeline(runner="BundleBasedDirectRunner", options=options) as p:
        (p | ticks | IngestEntries(StreamingDedup()) | beam.ParDo(_Collect()))


def test_streaming_entry_duplicates_name_the_row_in_articles_as_in_batch(seeds, collected):
    entries = _entries(seeds)
    base = T0.timestamp()
    ticks = (BeamTestStream().advance_watermark_to(base - 60)
             .add_elements([TimestampedValue(e, base) for e in entries[:2] + entries[3:5]
                            + entries[6:7]])
             .advance_watermark_to(base + 300)
             # the second feeds' entries arrive at the next poll, after their firsts' fate
             .add_elements([TimestampedValue(e, base + 600) for e in (entries[2], entries[5],
                                                                      entries[7])])
             .advance_watermark_to(base + 900)
             .advance_watermark_to_infinity())
    _run_streaming(ticks)
    assert _fates(collected) == _expected(entries)


def test_streaming_duplicates_arriving_with_their_first_wait_for_its_fate(seeds, collected):
    entries = _entries(seeds)
    base = T0.timestamp()
    ticks = (BeamTestStream().advance_watermark_to(base - 60)
             .add_elements([TimestampedValue(e, base) for e in entries])
             .advance_watermark_to(base + 900)
             .advance_watermark_to_infinity())
    _run_streaming(ticks)
    assert _fates(collected) == _expected(entries)
