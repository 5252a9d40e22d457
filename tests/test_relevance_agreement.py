"""The relevance labels' blind second reading (tests/benchmarks/relevance_agreement.py): it covers
the whole test split, and the labels now disagree with it only where the second reader called it
borderline; labels changed by adjudicating the two readings say so."""
import pytest

from tests.benchmarks import relevance_agreement as agreement_mod


def test_kappa_is_agreement_beyond_chance():
    # 10 articles, 5 positive in each reading, 8 agreements: chance 0.5, kappa (0.8 - 0.5) / 0.5
    pairs = [(True, True)] * 4 + [(False, False)] * 4 + [(True, False), (False, True)]
    n, same, kappa, first, second, both = agreement_mod.agreement(pairs)
    assert (n, first, second, both) == (10, 5, 5, 4)
    assert same == pytest.approx(0.8) and kappa == pytest.approx(0.6)
    # a second reading that keeps everything agrees by chance only where the first does
    assert agreement_mod.agreement([(True, True), (False, True)])[2] == pytest.approx(0.0)


def test_the_second_reading_covers_the_test_split_with_labels_and_notes():
    split, second = agreement_mod.test_split(), agreement_mod.second_reading()
    assert set(second) == set(split) and len(split) == 315
    assert all(label in ("positive", "negative") and note.strip() for label, note in second.values())


def test_the_labels_differ_from_the_second_reading_only_on_its_borderline_calls():
    split, second = agreement_mod.test_split(), agreement_mod.second_reading()
    differ = {i for i, (label, _) in second.items() if split[i][1] != label}
    assert differ and all(second[i][1].startswith("borderline:") for i in differ)
    # the adjudicated labels: first reading and second disagreed, and the label now is the second's
    adjudicated = {i for i, (_, now, first) in split.items() if first != now}
    assert adjudicated == {"nbw/2021-03-24#0-7d31a957", "nbw/2020-10-03#0-d13e5ef1"}
    assert all(split[i][1] == second[i][0] for i in adjudicated)
