"""The number agreement of tests/benchmarks/dedup_numbers.py (issue 15) on hand-written texts:
what the study's figures rest on (number tokens, dates kept apart, and the conflict veto)."""
from tests.benchmarks.dedup_numbers import Veto, conflicts, numbers_of, sketch_of, zh_value

TALLY_5 = ("（法新社巴黎5日电） 法新社汇整官方数据显示，截至格林威治标准时间5日11时（台湾5日晚间7时），"
           "全球至少228万5334人死于2019冠状病毒疾病，至少1亿484万8470例确诊。\n"
           "美国是死亡人数最多的国家，共45万6136人死亡，2672万2850例确诊，"
           "其次是巴西22万7563人死亡，印度15万4823人死亡。")
TALLY_6 = ("（法新社巴黎6日电） 法新社汇整官方数据显示，截至格林威治标准时间6日11时（台湾6日晚间7时），"
           "全球至少229万9637人死于2019冠状病毒疾病，至少1亿535万590例确诊。\n"
           "美国是死亡人数最多的国家，共46万1473人死亡，2681万3734例确诊，"
           "其次是巴西22万9848人死亡，印度15万4918人死亡。")
# TALLY_5 republished by another outlet: a new first line, one figure's sentence cut
COPY_OF_5 = ("本台综合报道。\n" + TALLY_5.replace("，印度15万4823人死亡", ""))


def test_numbers_are_figures_or_dates():
    n = numbers_of("截至台北时间12月5日10:30，全球累计1,234,567例，死亡3.5万人，美国有二十三个州。\n"
                   "Reuters said on Aug 12, 2020 that 45% of 3,000 people agreed at 10:30 am.")
    assert n.figures == ("1234567", "3.5万", "23", "45", "3000")
    assert n.dates == ("12", "5", "10", "30", "12", "2020", "10", "30")


def test_chinese_numerals_written_out():
    assert (zh_value("三十五"), zh_value("一百二十"), zh_value("两万三千"), zh_value("十二")) == (35, 120, 23000, 12)
    assert zh_value("一一") is None          # no unit: a word, not a number
    assert numbers_of("他们一起统一了看法，这是一些人的意见。").figures == ()


def test_next_editions_figures_conflict_a_copys_agree():
    veto = Veto(0.5, 3)
    t5, t6, c5 = (sketch_of(numbers_of(t), 0) for t in (TALLY_5, TALLY_6, COPY_OF_5))
    shared, bad = conflicts(t6, t5)
    assert shared >= 6 and bad >= 6          # the same contexts, the next day's figures
    assert veto.vetoes(t6, t5)
    assert conflicts(c5, t5)[1] == 0         # the copy keeps every figure it keeps
    assert not veto.vetoes(c5, t5)


def test_an_extended_copy_adds_numbers_without_conflict():
    extended = TALLY_5 + "\n欧洲方面，英国共11万2092人死亡，法国7万8603人死亡。"
    assert not Veto(0.5, 3).vetoes(sketch_of(numbers_of(extended), 0), sketch_of(numbers_of(TALLY_5), 0))


def test_few_conflicts_do_not_veto():
    a = "警方说，周一的抗议有3人受伤，12人被捕。这是本周第二次大规模示威活动。"
    b = "警方说，周一的抗议有5人受伤，12人被捕。这是本周第二次大规模示威活动。"   # one figure corrected
    sa, sb = sketch_of(numbers_of(a), 0), sketch_of(numbers_of(b), 0)
    assert conflicts(sb, sa) == (2, 1)
    assert not Veto(0.5, 3).vetoes(sb, sa)
