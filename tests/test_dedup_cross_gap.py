"""The cross-outlet gap study's helpers (tests/benchmarks/dedup_cross_gap.py), on hand-written
texts: which script a text is written in, the pairs it lists, and the candidate bar it
measures (put in place of `containment_threshold` only inside its block)."""
import datetime as dt

from cfnews.transforms import dedup
from cfnews.transforms.dedup import containment_threshold, dedup_in_memory
from tests.benchmarks.dedup_cross_gap import band, cross_pairs, far_bar, script_of
from tests.benchmarks.dedup_titles import Doc, production_articles
from tests.test_dedup import words

T0 = dt.datetime(2021, 4, 2, 8, tzinfo=dt.timezone.utc)
STORY = words(0, 40)
# keeps 30 of the 40 sentences and adds 10: containment 0.75 on the shorter text
EDITED = words(0, 30) + "\n" + words(300, 310)


def doc(outlet: str, days: float, text: str, title: str) -> Doc:
    return Doc("t", outlet, T0 + dt.timedelta(days=days), title, f"https://{outlet}/{title}", text)


def test_script_of_tells_the_two_scripts_and_no_han_apart():
    assert script_of("國務院發言人說，兩岸關係與經濟發展。") == "T"
    assert script_of("国务院发言人说，两岸关系与经济发展。") == "S"
    assert script_of("The spokesman said relations were stable.") == "L"


def test_bands():
    assert [band(d) for d in (0.2, 1.0, 1.01, 3.0, 6.9, 7.5, 13.9)] == \
        ["<=1d", "<=1d", "1-3d", "1-3d", "3-7d", "7-14d", "7-14d"]


def test_cross_pairs_lists_only_two_outlets_pairs_with_their_time_apart():
    docs = [doc("cna", 0, STORY, "a"), doc("rfi", 5, EDITED, "b"), doc("cna", 0.5, STORY, "c")]
    _, dups = dedup_in_memory(production_articles(docs))
    pairs = cross_pairs("t", docs, dups)
    # c (cna, 12 h later) copies a within one outlet; b (rfi) copies a across outlets
    assert {(p.later, p.earlier) for p in pairs} == {(1, 0)}
    (p,) = pairs
    assert abs(p.days - 5) < 1e-9 and p.scripts == "L>L"


def test_far_bar_holds_only_two_outlets_far_apart_and_is_undone():
    def filed(docs):
        return {int(d.article.article_id, 16) for d in dedup_in_memory(production_articles(docs))[1]}
    near = [doc("cna", 0, STORY, "a"), doc("rfi", 1, EDITED, "b")]
    far = [doc("cna", 0, STORY, "a"), doc("rfi", 5, EDITED, "b")]
    assert filed(near) == filed(far) == {1}
    with far_bar(3, 0.8):               # containment 0.75 < 0.8: only the far pair fails
        assert filed(near) == {1} and filed(far) == set()
    with far_bar(3, 0.6):
        assert filed(far) == {1}
    assert dedup.containment_threshold is containment_threshold and filed(far) == {1}
