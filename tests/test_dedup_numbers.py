"""The number veto (issue 15; transforms/numbers.py, `dedup.decide`) on hand-written texts:
`duplicates` holds copies of ONE text; a recurring template's next edition (a daily tally whose
figures changed) stays in `articles`, while a copy that keeps its figures, or corrects one, is
still filed. Batch, streaming and the history lookup decide alike."""
import dataclasses
import datetime as dt

import pytest

from cfnews.schemas import Article
from cfnews.transforms.dedup import DedupParams, dedup_in_memory, with_fingerprint
from cfnews.transforms.fingerprint import fingerprint
from cfnews.transforms.numbers import conflicts, numbers_of, sketch, vetoes

# AFP's daily world tally (Chinese), two editions: the same wording, the next day's figures
TALLY_5 = ("（法新社巴黎5日电） 法新社汇整官方数据显示，截至格林威治标准时间5日11时（台湾5日晚间7时），"
           "全球至少228万5334人死于2019冠状病毒疾病，至少1亿484万8470例确诊。\n"
           "美国是死亡人数最多的国家，共45万6136人死亡，2672万2850例确诊，"
           "其次是巴西22万7563人死亡，印度15万4823人死亡。\n"
           "法新社统计的数据来自各国卫生当局及世界卫生组织，由于许多国家检测能力有限，实际病例可能更多。")
TALLY_6 = ("（法新社巴黎6日电） 法新社汇整官方数据显示，截至格林威治标准时间6日11时（台湾6日晚间7时），"
           "全球至少229万9637人死于2019冠状病毒疾病，至少1亿535万590例确诊。\n"
           "美国是死亡人数最多的国家，共46万1473人死亡，2681万3734例确诊，"
           "其次是巴西22万9848人死亡，印度15万4918人死亡。\n"
           "法新社统计的数据来自各国卫生当局及世界卫生组织，由于许多国家检测能力有限，实际病例可能更多。")
# TALLY_5 republished by another outlet: a line of its own first, one figure's clause cut
COPY_OF_5 = "本台综合报道，以下为法新社最新统计。\n" + TALLY_5.replace("，印度15万4823人死亡", "")

# A daily fixing notice (English), two editions
FIXING_1 = ("The People's Bank of China set the yuan midpoint at 6.4512 per dollar on Monday, "
            "weaker than the previous fix of 6.4478, Reuters calculations showed. "
            "The central bank injected 10 billion yuan through 7-day reverse repos at 2.20 percent "
            "and 5 billion yuan through 14-day reverse repos at 2.35 percent, "
            "leaving net liquidity of 5 billion yuan for the day after 10 billion yuan matured.\n"
            "Traders said the spot market opened at 6.4530 and was changing hands at 6.4541 at midday, "
            "46 pips weaker than the previous late session close.")
FIXING_2 = ("The People's Bank of China set the yuan midpoint at 6.4390 per dollar on Monday, "
            "weaker than the previous fix of 6.4312, Reuters calculations showed. "
            "The central bank injected 20 billion yuan through 7-day reverse repos at 2.20 percent "
            "and 8 billion yuan through 14-day reverse repos at 2.35 percent, "
            "leaving net liquidity of 18 billion yuan for the day after 10 billion yuan matured.\n"
            "Traders said the spot market opened at 6.4402 and was changing hands at 6.4417 at midday, "
            "21 pips weaker than the previous late session close.")
# FIXING_1 corrected: one figure changed (a typo in the spot quote)
FIXING_1_CORRECTED = FIXING_1.replace("changing hands at 6.4541", "changing hands at 6.4547")

T = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.timezone.utc)


def article(aid: str, text: str, outlet: str, hours: float = 0.0) -> Article:
    when = T + dt.timedelta(hours=hours)
    return Article(article_id=aid, url=f"https://{outlet}.example/{aid}", canonical_url=None,
                   outlet=outlet, feed_url=None, entry_id=None, title="", text=text, summary="",
                   discovered_at=when, published_at=when)


def numbers(text):
    return fingerprint(text).numbers


def test_a_number_is_an_ascii_digit_token_with_its_context():
    n = numbers_of("截至台北时间12月5日，全球累计1,234,567例，死亡3.5万人。\n"
                   "Reuters said on Aug 12, 2020 that 45% of 3,000 people agreed.")
    # 1,234,567例: the fingerprint's normalisation drops a thousands separator only before a
    # word boundary, so the CJK text keeps the last comma; 3.5 is two tokens
    assert n.figures == ("1234", "567", "3", "5", "45", "3000")
    assert n.dates == ("12", "5", "12", "2020")
    assert n.contexts[(("死", "亡", "#"), ("万",))] == {"5"}
    assert n.contexts[(("#", "percent", "of"), ("people",))] == {"3000"}
    assert numbers_of("他们一起统一了看法，这是一些人的意见，二十三个州同意。").figures == ()


def test_traditional_numerals_and_full_width_digits_are_the_simplified_ascii_ones():
    simplified = numbers("美国共45万6136人死亡，2672万2850例确诊，其次是巴西22万7563人死亡。")
    traditional = numbers("美國共４５萬６１３６人死亡，２６７２萬２８５０例確診，其次是巴西２２萬７５６３人死亡。")
    assert simplified and simplified == traditional


def test_the_sketch_keeps_whole_contexts_and_at_most_k_entries():
    fp = fingerprint(TALLY_5)
    assert 0 < len(fp.numbers) <= 16 and list(fp.numbers) == sorted(set(fp.numbers))
    exact = numbers_of(TALLY_5).contexts
    assert len(exact) > 16                                   # the sketch is a sample here
    assert len({e >> 8 for e in fp.numbers}) <= 16
    assert numbers("No figure in this sentence at all, only words and more words here.") == ()


def test_next_editions_conflict_a_copy_agrees():
    t5, t6, c5 = numbers(TALLY_5), numbers(TALLY_6), numbers(COPY_OF_5)
    shared, bad = conflicts(t6, t5)
    assert shared >= 6 and bad >= 3 and bad >= shared / 2
    assert vetoes(t6, t5)
    assert conflicts(c5, t5)[1] == 0 and not vetoes(c5, t5)
    f1, f2, f1c = numbers(FIXING_1), numbers(FIXING_2), numbers(FIXING_1_CORRECTED)
    assert vetoes(f2, f1)
    assert conflicts(f1c, f1)[1] <= 2 and not vetoes(f1c, f1)


def test_few_conflicts_do_not_veto():
    a = "警方说，周一的抗议有3人受伤，12人被捕。这是本周第二次大规模示威活动，市中心多条道路封闭。"
    b = "警方说，周一的抗议有5人受伤，12人被捕。这是本周第二次大规模示威活动，市中心多条道路封闭。"
    assert conflicts(numbers(b), numbers(a))[1] == 1 and not vetoes(numbers(b), numbers(a))
    assert not vetoes((), numbers(a)) and not vetoes(numbers(a), ())   # no sketch: no veto


@pytest.mark.parametrize("earlier, later", [(TALLY_5, TALLY_6), (FIXING_1, FIXING_2)])
@pytest.mark.parametrize("outlets", [("afp", "afp"), ("afp", "rfi")])
def test_a_recurring_templates_next_edition_is_not_a_copy(earlier, later, outlets):
    """Without the veto the pair is filed as a copy (the containment rule alone); with it
    both texts stay in `articles`, unlinked."""
    arts = [article("a1", earlier, outlets[0]), article("a2", later, outlets[1], hours=20)]
    no_veto = DedupParams(number_conflicts=10 ** 6)
    _, dups = dedup_in_memory(arts, no_veto)
    assert [d.article.article_id for d in dups] == ["a2"]           # fails without the veto
    kept, dups = dedup_in_memory(arts)
    assert dups == [] and {a.story_id for a in kept} == {"a1", "a2"}


@pytest.mark.parametrize("earlier, later", [(TALLY_5, COPY_OF_5), (FIXING_1, FIXING_1),
                                            (FIXING_1, FIXING_1_CORRECTED)])
def test_a_copy_keeping_or_correcting_its_figures_is_still_a_copy(earlier, later):
    arts = [article("a1", earlier, "afp"), article("a2", later, "rfi", hours=2)]
    _, dups = dedup_in_memory(arts)
    assert [(d.article.article_id, d.matched_id) for d in dups] == [("a2", "a1")]


def test_a_member_without_numbers_never_vetoes():
    """An article fingerprinted before sketches (its stored fingerprint has 3 parts) is
    compared on its text alone: the next edition is then a copy, as before the veto."""
    old = with_fingerprint(article("a1", TALLY_5, "afp"))
    old = dataclasses.replace(old, fingerprint=tuple(old.fingerprint)[:3])
    _, dups = dedup_in_memory([old, article("a2", TALLY_6, "afp", hours=20)])
    assert [d.article.article_id for d in dups] == ["a2"]


def test_sketch_of_no_number_is_empty():
    import numpy as np
    assert sketch(np.zeros(3, dtype=np.uint64), []) == ()


def test_number_positions_through_the_hash_filter_are_exact():
    """The fingerprint finds its number tokens through a filter on their hashes, then tests
    the candidates exactly: the same positions as testing every token."""
    from cfnews.transforms.fingerprint import story_lines, token_hash_array
    from cfnews.transforms.numbers import number_positions
    words = [w for _line, ws in story_lines("On May 12 covid19 killed 3 people in 2020, 3rd wave.")
             for w in ws]
    assert number_positions(words, token_hash_array(words)) == number_positions(words) == [2, 5, 8]
