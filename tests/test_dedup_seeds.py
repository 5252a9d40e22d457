"""The statistics of tests/benchmarks/dedup_seeds.py, on hand-worked cases."""
import pytest

from tests.benchmarks.common import seed_range
from tests.benchmarks.dedup_seeds import (binomial_tail, most_misses_allowed, story_bootstrap,
                                          wilson)


def test_wilson_interval_matches_hand_worked_values():
    low, high = wilson(0, 10)             # p = 0: [0, (z^2/n) / (1 + z^2/n)]
    assert low == pytest.approx(0.0, abs=1e-12)
    assert high == pytest.approx(0.2775, abs=1e-4)
    low, high = wilson(95, 100)           # the textbook 95/100 case
    assert low == pytest.approx(0.8882, abs=1e-4) and high == pytest.approx(0.9785, abs=1e-4)


def test_binomial_tail_and_the_misses_a_seed_may_have():
    assert binomial_tail(4, 0.5, 3) == pytest.approx(5 / 16)
    assert binomial_tail(10, 0.3, 0) == 1.0
    assert most_misses_allowed(403, 0.99) == 4      # 399/403 = 0.9901
    assert most_misses_allowed(400, 0.99) == 4      # exactly 0.99 counts as reaching it
    assert most_misses_allowed(399, 0.99) == 3      # 395/399 = 0.98997


def test_story_bootstrap_is_wider_when_misses_cluster_in_one_story():
    # 400 copy pairs, 40 missed: spread over 10 stories, or all copies of one story
    spread = [("syndicated", f"s{i}", j >= 4) for i in range(10) for j in range(40)]
    clustered = [("syndicated", f"s{i}", i != 0) for i in range(10) for _ in range(40)]
    s_low, s_high = story_bootstrap(spread, rounds=500)
    c_low, c_high = story_bootstrap(clustered, rounds=500)
    assert s_high - s_low == pytest.approx(0.0)     # every story has the same recall
    assert c_low < 0.9 - 0.05 and c_high == 1.0      # ten draws of one story decide it
    w_low, w_high = wilson(360, 400)
    assert c_high - c_low > 2 * (w_high - w_low)
    assert story_bootstrap(clustered, rounds=500) == (c_low, c_high)   # seeded: the same twice


def test_seed_ranges_are_read_as_written():
    assert seed_range("41-43") == [41, 42, 43]
    assert seed_range("1-2,7,9-10") == [1, 2, 7, 9, 10]
