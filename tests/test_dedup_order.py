"""The ordered-evidence study's features (tests/benchmarks/dedup_order.py), on hand-written
texts whose overlaps and order are known."""
from tests.benchmarks.dedup_order import (POSITIONS, features, longest_nondecreasing,
                                          order_agreement, ordered, plain_sentences,
                                          sampled_positions)
from tests.test_dedup import QUOTE, REPORT, TRIMMED_A, TRIMMED_B, words


def test_longest_nondecreasing_run():
    assert longest_nondecreasing([]) == 0
    assert longest_nondecreasing([1, 3, 2, 4]) == 3            # 1 3 4 (or 1 2 4)
    assert longest_nondecreasing([5, 4, 3, 2]) == 1
    assert longest_nondecreasing([2, 2, 2, 3]) == 4            # ties continue a run


def test_positions_are_first_occurrences_scaled_to_one_byte():
    text = words(0, 40)
    fp, alone = sampled_positions(text)
    assert alone and set(alone.values()) <= set(range(POSITIONS))
    # the same sentences followed by as many others: every position about halves
    _, first_half = sampled_positions(text + "\n" + words(100, 140))
    for key, p in alone.items():
        if key in first_half:
            assert abs(first_half[key] - p / 2) <= 2
    # a repeated text keeps its first occurrence (the repeat is not a second position)
    _, twice = sampled_positions(text + "\n" + text.replace(".", " again."))
    shared = alone.keys() & twice.keys()
    assert shared and all(twice[k] < POSITIONS // 2 + 2 for k in shared)


def test_a_copy_keeps_the_order_and_a_reordered_text_does_not():
    story = words(0, 40)
    copy = "Local headline of the paper today\n" + words(0, 30) + "\n" + words(200, 206)
    f = features(ordered(copy), ordered(story))
    assert f["order"] == 1.0
    # the two halves swapped: the shared hashes run in two blocks, only the larger one in order
    swapped = words(20, 40) + "\n" + words(0, 20)
    pa, pb = sampled_positions(story)[1], sampled_positions(swapped)[1]
    assert 0.4 <= order_agreement(pa, pb) <= 0.65


def test_a_shared_paragraph_is_in_order_but_not_spread_and_a_copy_is_spread():
    """Order cannot tell a shared block from a copy: a paragraph shared by two different
    stories runs in order in both. Where it lies can: in one place of the smaller text."""
    block = words(500, 506)
    a = words(0, 30) + "\n" + block
    b = words(100, 130) + "\n" + block
    f = features(ordered(b), ordered(a))
    assert f["order"] == 1.0 and f["spread"] <= 0.3
    copy = features(ordered(words(0, 26) + "\n" + block), ordered(a))
    assert copy["order"] == 1.0 and copy["spread"] == 1.0


def test_plain_sentences_leave_quoted_sentences_out_and_ignore_a_dateline():
    keys = plain_sentences(REPORT)
    assert len(keys) == 3                                      # two sentences and the letters
    assert not any(b"engineers and our partners" in k for k in keys)     # the quoted sentence
    copy = "PARIS (AFP) - " + REPORT
    assert plain_sentences(copy) == keys


def test_rewrites_sharing_a_quote_and_a_paragraph_share_half_their_plain_sentences():
    """The furniture-bug pair (quote + letters paragraph) by hand: TRIMMED_B's plain sentences
    are its headline and the letters paragraph, and only the letters are in the report: 1/2,
    while every plain sentence of a copy of the report is found (1.0). Its position features
    are those of a copy (the quote and the paragraph run in order over the whole text)."""
    rewrite = features(ordered(TRIMMED_B), ordered(REPORT))
    assert rewrite["sentences"] == 0.5
    assert rewrite["order"] == 1.0 and rewrite["spread"] == 1.0
    assert features(ordered(TRIMMED_B), ordered(TRIMMED_A))["sentences"] == 0.5
    lines = REPORT.splitlines()
    copy = "\n".join(["PARIS (AFP) - " + lines[1], lines[2], lines[3]])
    assert features(ordered(copy), ordered(REPORT))["sentences"] == 1.0
    assert QUOTE[1:30].lower() not in b" ".join(plain_sentences(TRIMMED_B)).decode()
