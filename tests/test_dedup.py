"""Dedup: plain functions on the seeds, and the Beam transforms agreeing with them."""
import dataclasses
import datetime as dt

import apache_beam as beam
from apache_beam.testing.util import assert_that, equal_to

from schemas import Article, Duplicate, FeedEntry
from transforms.dedup import (DedupEntriesByUrl, DeduplicateArticles, dedup_in_memory,
                              fingerprint, normalised_paragraphs, similarity, url_duplicates)

T0 = dt.datetime(2025, 12, 4, 8, tzinfo=dt.timezone.utc)


def article(aid: str, text: str, hours: int = 0, outlet: str = "o") -> Article:
    return Article(article_id=aid, url=f"https://e.com/{aid}", canonical_url=f"https://e.com/{aid}",
                   outlet=outlet, feed_url="", entry_id=aid, title=aid, text=text,
                   discovered_at=T0, published_at=T0 + dt.timedelta(hours=hours))


def seed_articles(seeds):
    # 004 is published after 002, so 002 is the first copy
    return [article(f"s{k}", seeds[k], hours=i) for i, k in enumerate(sorted(seeds))]


def test_normalisation_unifies_typography_and_drops_repeats():
    a = normalised_paragraphs("“U.S.-led” plan — Macron’s\u00a0visit\nSame para.\nSame para.")
    assert a == ['us led plan macron s visit', 'same para']


def test_seed_wire_copies_merge_and_other_stories_stay_apart(seeds):
    kept, dups = dedup_in_memory(seed_articles(seeds))
    assert sorted(a.article_id for a in kept) == ["s000", "s001", "s002", "s003"]
    [dup] = dups
    assert (dup.article.article_id, dup.canonical_id, dup.cluster_id) == ("s004", "s002", "s002")
    assert dup.method == "near_duplicate"
    assert 0.5 <= dup.containment <= 1.0 and dup.jaccard < dup.containment
    assert all(a.cluster_id == a.article_id for a in kept)


def test_order_decides_which_copy_is_canonical(seeds):
    early_004 = [article("s002", seeds["002"], hours=5), article("s004", seeds["004"], hours=1)]
    kept, [dup] = dedup_in_memory(early_004)
    assert kept[0].article_id == "s004" and dup.canonical_id == "s004"


def test_chains_resolve_to_the_cluster_root():
    words = [f"w{i}" for i in range(400)]
    a = " ".join(words[:200])
    b = " ".join(words[100:300])   # half of a
    c = " ".join(words[150:400])   # more of b than of a
    kept, dups = dedup_in_memory([article("a", a, 0), article("b", b, 1), article("c", c, 2)])
    assert [k.article_id for k in kept] == ["a"]
    by_id = {d.article.article_id: d for d in dups}
    assert by_id["b"].canonical_id == "a"
    assert by_id["c"].canonical_id == "a" and by_id["c"].cluster_id == "a"


def test_short_texts_need_enough_shared_fingerprints():
    kept, dups = dedup_in_memory([article("a", "Macron met Xi.", 0), article("b", "Macron met Xi.", 1)])
    assert len(kept) == 2 and not dups


def test_similarity_figures():
    assert similarity(100, 50, 40) == (0.8, 40 / 110)
    assert fingerprint("") == ()


def _run(pipeline_fn):
    with beam.Pipeline(runner="FnApiRunner") as p:
        pipeline_fn(p)


def test_beam_transform_agrees_with_in_memory(seeds):
    arts = seed_articles(seeds)
    expected_kept, expected_dups = dedup_in_memory(arts)

    def check(p):
        kept, dups = p | beam.Create(arts) | DeduplicateArticles()
        assert_that(kept | "ids" >> beam.Map(lambda a: (a.article_id, a.cluster_id)),
                    equal_to([(a.article_id, a.cluster_id) for a in expected_kept]), label="kept")
        assert_that(dups, equal_to(expected_dups), label="dups")
    _run(check)


def test_same_url_entries_collapse_before_fetching():
    base = FeedEntry(outlet="a", feed_url="f", entry_id="1", url="https://e.com/x?utm_source=a",
                     article_id="id-x", canonical_url="https://e.com/x", title="t",
                     published_at=T0 + dt.timedelta(hours=2), discovered_at=T0)
    other_outlet = dataclasses.replace(base, outlet="b", entry_id="9",
                                       published_at=T0 + dt.timedelta(hours=1))
    first, dup = list(url_duplicates([base, other_outlet]))
    assert first.outlet == "b"
    assert isinstance(dup, Duplicate) and dup.method == "canonical_url"
    assert dup.canonical_id == "id-x" and dup.article.outlet == "a" and dup.article.text == ""

    def check(p):
        entries, dups = p | beam.Create([base, other_outlet]) | DedupEntriesByUrl()
        assert_that(entries | beam.Map(lambda e: e.outlet), equal_to(["b"]), label="entries")
        assert_that(dups | beam.Map(lambda d: d.article.outlet), equal_to(["a"]), label="dups")
    _run(check)
