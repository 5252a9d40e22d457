"""Of several earlier articles a text copies, it is filed under the earliest of those within
COPY_NEAR_BEST of the highest containment (issue 15): a far text it shares a part with does
not take it from the text it copies. Hand-written texts; in memory, in the batch transform and
in streaming alike (`decide` is shared)."""
from cfnews.transforms.dedup import COPY_NEAR_BEST, DedupParams, choose_copy, dedup_in_memory
from tests.test_dedup import article, words
from tests.test_dedup_stream import assert_batch_gives, assert_streaming_gives

# A: an older text (a template, a follow-up's background). C, days later: another story that
# reuses 10 of A's 40 sentences (a quarter of A: below the copy bar, C stays an article).
# B, an hour after C: C trimmed to 25 sentences; those hold the 10 of A's, so B passes the copy
# rule against A too (10 of its 25: 0.4), but it copies C whole (1.0).
A = words(0, 40)
C = words(30, 40) + "\n" + words(500, 540)
B = words(30, 40) + "\n" + words(500, 515)


def rows(kept, dups):
    return (sorted((a.article_id, a.cluster_id, a.story_id) for a in kept),
            sorted((d.article.article_id, d.matched_id, d.canonical_id, d.cluster_id,
                    d.article.story_id) for d in dups))


def test_a_copy_is_filed_under_the_text_it_copies_not_a_far_earlier_partial_match():
    arts = [article("A", A, 0, "agency"), article("C", C, 120, "paper"),
            article("B", B, 121, "portal")]
    kept, dups = dedup_in_memory(arts)
    assert rows(kept, dups) == (
        [("A", "A", "A"), ("C", "C", "C")],
        [("B", "C", "C", "C", "C")])            # before: matched, canonical, cluster, story A
    d = dups[0]
    assert d.containment == 1.0
    assert_batch_gives(arts, kept, dups)
    assert_streaming_gives(arts, kept, [("B", "C", "C")])


def test_within_the_tolerance_the_earliest_copy_still_wins():
    """B copies C whole (1.0) and A, the earliest, all but its two own sentences (35 of 37):
    within COPY_NEAR_BEST of each other, so the first copy seen, A, stays canonical and is
    B's match (the highest containment alone would give C); C, a copy of A, points to it too."""
    c_text = words(0, 35) + "\n" + words(900, 905)
    b_text = words(0, 35) + "\n" + words(900, 902)
    arts = [article("A", A, 0, "agency"), article("C", c_text, 1, "paper"),
            article("B", b_text, 2, "portal")]
    kept, dups = dedup_in_memory(arts)
    assert rows(kept, dups) == ([("A", "A", "A")],
                                [("B", "A", "A", "A", "A"), ("C", "A", "A", "A", "A")])
    assert 1.0 - COPY_NEAR_BEST <= {d.article.article_id: d for d in dups}["B"].containment < 1.0
    assert_streaming_gives(arts, kept, [("B", "A", "A"), ("C", "A", "A")])


def test_a_chain_through_the_closer_copy_resolves_to_the_row_in_articles():
    """C is a copy of A (so both share A's cluster); B copies C whole and A only in part (0.47,
    above the bar): B's match is C (before: A), its canonical_id and cluster the row in
    `articles`, A."""
    c_text = words(0, 30) + "\n" + words(700, 730)      # 30 of A's 40: a copy of A (0.75)
    b_text = words(10, 30) + "\n" + words(700, 715)     # all of B in C; 20 of its 35 in A
    arts = [article("A", A, 0, "agency"), article("C", c_text, 1, "paper"),
            article("B", b_text, 2, "portal")]
    kept, dups = dedup_in_memory(arts)
    assert [a.article_id for a in kept] == ["A"]
    assert rows(kept, dups)[1] == [("B", "C", "A", "A", "A"), ("C", "A", "A", "A", "A")]
    assert_batch_gives(arts, kept, dups)
    assert_streaming_gives(arts, kept, [("B", "A", "C"), ("C", "A", "A")])


def test_choose_copy_takes_the_earliest_within_near_best_of_the_closest():
    """The choice alone, on hand-made candidates (order, -containment, match): A is earliest
    but shares 0.60, B shares 0.95, C (latest) 1.00."""
    candidates = [(1, -0.60, "A"), (2, -0.95, "B"), (3, -1.00, "C")]
    assert choose_copy(candidates, 0.1) == "B"          # within 0.1 of 1.00: B and C; B first
    assert choose_copy(candidates, 0.0) == "C"          # the closest only
    assert choose_copy(candidates, float("inf")) == "A"  # the earliest of all (the rule before)


def test_copy_near_best_is_a_dedup_parameter():
    """`DedupParams.copy_near_best` reaches `decide`: at infinity, B (the first test's texts)
    is filed under A, the earliest text it passes the rule against, as before COPY_NEAR_BEST."""
    assert DedupParams().copy_near_best == COPY_NEAR_BEST
    arts = [article("A", A, 0, "agency"), article("C", C, 120, "paper"),
            article("B", B, 121, "portal")]
    kept, dups = dedup_in_memory(arts, DedupParams(copy_near_best=float("inf")))
    assert rows(kept, dups) == ([("A", "A", "A"), ("C", "C", "C")],
                                [("B", "A", "A", "A", "A")])
