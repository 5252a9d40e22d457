"""The CAP study's helpers (tests/benchmarks/common.set_cap and set_threshold, used by
dedup_eval.py --cap / --threshold and dedup_cap.py): they change what the production path
uses for the process, and the production values come back when reset."""
import datetime as dt

from cfnews.schemas import Article
from cfnews.transforms import dedup, fingerprint as fp
from tests.benchmarks.common import set_cap, set_threshold
from tests.benchmarks.dedup_cap import sentence_share
from tests.test_dedup import words

T0 = dt.datetime(2021, 4, 2, 8, tzinfo=dt.timezone.utc)


def article(i: int, outlet: str, text: str) -> Article:
    when = T0 + dt.timedelta(minutes=i)
    return Article(article_id=f"{i:016x}", url=f"https://x/{i}", canonical_url=f"https://x/{i}",
                   outlet=outlet, feed_url="", entry_id=str(i), title="", text=text,
                   discovered_at=when, published_at=when)


def test_set_cap_reaches_the_fingerprints_the_dedup_takes():
    text = words(0, 400)
    assert fp.CAP == 96 and len(dedup.article_fingerprint(article(0, "a", text)).hashes) <= 96
    try:
        set_cap(192)
        taken = dedup.article_fingerprint(article(0, "a", text))
        assert 96 < len(taken.hashes) <= 192
        assert taken == fp.fingerprint(text, cap=192)
    finally:
        set_cap(96)
    assert dedup.article_fingerprint(article(0, "a", text)) == fp.fingerprint(text, cap=96)


def test_set_threshold_reaches_the_in_memory_dedup():
    """A trimmed copy sharing 21 of the earlier text's 40 sentences and adding 19: filed at
    the production two-outlet base (0.27), not at a base above its containment."""
    earlier, later = words(0, 40), words(0, 21) + "\n" + words(200, 219)
    pair = [article(0, "a", earlier), article(1, "b", later)]
    assert [d.article.article_id for d in dedup.dedup_in_memory(pair)[1]] == [f"{1:016x}"]
    try:
        set_threshold(0.9)
        assert dedup.DedupParams().threshold == 0.9
        assert dedup.DedupParams().same_outlet_threshold == dedup.SAME_OUTLET_THRESHOLD
        assert dedup.dedup_in_memory(pair)[1] == []
    finally:
        set_threshold(dedup.CONTAINMENT_THRESHOLD)
    assert dedup.DedupParams() == dedup.dedup_in_memory.__defaults__[0]
    assert dedup.DedupParams().threshold == 0.27


def test_sentence_share_counts_the_shorter_texts_sentences_found_verbatim():
    long_ = "First sentence of the wire story. Second sentence of the wire story. A third one here."
    short = "Second sentence of the wire story. An editor's own closing line."
    assert sentence_share(long_, short) == 0.5
    assert sentence_share(short, long_) == 0.5
    assert sentence_share("Nothing shared at all here.", long_) == 0.0
