"""The near-in-time study's helpers (tests/benchmarks/dedup_near_time.py), on hand-written texts
whose overlap is known: a later text keeping 21 of an earlier one's 40 sentences and adding 19
of its own, a containment between the candidate same-outlet bar (0.45 + 5/n) and the
production one (0.50 + 5/n)."""
import datetime as dt

from cfnews.schemas import Article
from cfnews.transforms import dedup
from cfnews.transforms.dedup import (DedupParams, containment_threshold, dedup_in_memory,
                                     with_fingerprint)
from tests.benchmarks.dedup_near_time import near_bar, new_pairs, read_labels
from tests.benchmarks.dedup_titles import Doc, pairs_of
from tests.test_dedup import words

T0 = dt.datetime(2021, 4, 2, 8, tzinfo=dt.timezone.utc)
EARLIER = words(0, 40)
UPDATED = words(0, 21) + "\n" + words(200, 219)


def article(i: int, outlet: str, hours: float, text: str) -> Article:
    when = T0 + dt.timedelta(hours=hours)
    return with_fingerprint(Article(article_id=f"{i:016x}", url=f"https://x/{i}",
                                    canonical_url=f"https://x/{i}", outlet=outlet, feed_url="",
                                    entry_id=str(i), title="", text=text, discovered_at=when,
                                    published_at=when))


def duplicates(articles) -> set:
    return {d.article.article_id for d in dedup_in_memory(articles)[1]}


def test_the_pair_lies_between_the_two_bars():
    (p,) = pairs_of([Doc("t", "dw", T0, "a", "https://x/1", EARLIER),
                     Doc("t", "dw", T0 + dt.timedelta(hours=1), "b", "https://x/2", UPDATED)],
                    DedupParams())
    assert p.plain_ok and 0.45 + 5 / p.n <= p.containment < p.same_bar


def test_the_candidate_bar_files_one_outlets_update_only_when_close_in_time():
    one_hour = [article(0, "dw", 0, EARLIER), article(1, "dw", 1, UPDATED)]
    twenty_hours = [article(0, "dw", 0, EARLIER), article(1, "dw", 20, UPDATED)]
    two_outlets = [article(0, "dw", 0, EARLIER), article(1, "voa", 1, UPDATED)]
    assert duplicates(one_hour) == set() and duplicates(twenty_hours) == set()
    assert duplicates(two_outlets) == {f"{1:016x}"}
    with near_bar(0.45, 12):
        assert duplicates(one_hour) == {f"{1:016x}"}
        assert duplicates(twenty_hours) == set()
        assert duplicates(two_outlets) == {f"{1:016x}"}
    # the production rule is back after the block
    assert dedup.containment_threshold is containment_threshold and duplicates(one_hour) == set()


def test_new_pairs_are_counted_within_the_bound_only():
    docs = [Doc("t", "dw", T0, "a", "https://x/1", EARLIER),
            Doc("t", "dw", T0 + dt.timedelta(hours=1), "b", "https://x/2", UPDATED),
            Doc("t", "dw", T0 + dt.timedelta(hours=30), "c", "https://x/3", UPDATED + "\n" + words(400, 401))]
    pairs = pairs_of(docs, DedupParams())
    new = {(p.later, p.earlier) for p in new_pairs(docs, pairs, 0.45, 12)}
    assert (1, 0) in new and (2, 0) not in new
    assert new_pairs(docs, pairs, 0.45, 0.5) == []


def test_the_read_pairs_file_has_one_verdict_per_pair():
    labels = read_labels()
    assert len(labels) == 38
    assert {v[0] for v in labels.values()} == {"update", "different"}
    assert {v[1] for v in labels.values()} <= {"update", "follow-up", "companion", "template", "other"}
    assert all((v[0] == "update") == (v[1] == "update") for v in labels.values())
    assert sum(v[0] == "update" for v in labels.values()) == 8
    assert all(len(k) == 6 and k[0] in ("nbw", "pen", "stand", "q3") for k in labels)
