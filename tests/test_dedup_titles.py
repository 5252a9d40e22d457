"""The title/URL evidence study's helpers (tests/benchmarks/dedup_titles.py), on hand-written
titles, URLs and texts whose relations are known."""
import datetime as dt

from tests.benchmarks.dedup_titles import (_IT_DOC, Doc, dice, item_id, norm_title, pairs_of,
                                           read_labels, slug, veto_outcomes)
from cfnews.transforms.dedup import DedupParams
from tests.test_dedup import words

T0 = dt.datetime(2021, 4, 2, 8, tzinfo=dt.timezone.utc)


def test_titles_are_compared_without_the_outlet_suffix_punctuation_or_case():
    assert norm_title("Taiwan train crash: 50 dead - DW") == norm_title("TAIWAN TRAIN CRASH, 50 dead")
    assert norm_title("Taiwan train crash: 50 dead") != norm_title("Taiwan train crash: 51 dead")
    assert norm_title("通膨忧虑 港股开低 – 法国国际广播电台 - RFI") == norm_title("通膨忧虑：港股开低")
    assert norm_title("") == ""


def test_near_titles_share_most_character_bigrams():
    assert dice("abcdef", "abcdef") == 1.0
    assert dice("abcdef", "uvwxyz") == 0.0
    assert dice("", "abc") == 0.0
    # one word changed in a long headline is near; a daily template with other figures, too
    # (which is why near titles alone cannot tell an update from the next day's report)
    update = (norm_title("特朗普计划签行政命令，提供疫情纾困救助"),
              norm_title("特朗普将签行政命令，提供疫情纾困救助"))
    template = (norm_title("中國新增8例確診 都是境外移入"), norm_title("中國新增17例確診 都是境外移入"))
    assert dice(*update) >= 0.8 and dice(*template) >= 0.8
    assert dice(norm_title("Police clash with protesters in Paris"),
                norm_title("Macron meets the mayors of France")) < 0.3


def test_url_slugs_and_item_ids():
    dw_a = "https://www.dw.com/zh/台湾火车出轨意外 4死36人无生命迹象/a-57084199"
    dw_b = "https://www.dw.com/zh/台湾火车出轨意外 50人罹难/a-57084199"
    assert slug(dw_a) == slug(dw_b) == "a-57084199"
    assert item_id(dw_a) == item_id(dw_b) == "dw.com:a-57084199"
    cna_a = "https://www.cna.com.tw/news/firstnews/202009285002.aspx"
    cna_b = "https://www.cna.com.tw/news/afe/202009285002.aspx"
    assert item_id(cna_a) == item_id(cna_b) != ""
    # a query is part of the slug: two Solidot stories are not one
    assert slug("https://www.solidot.org/story?sid=66316") != slug("https://www.solidot.org/story?sid=66339")
    # no id at the end: a headline slug, a dated path
    assert item_id("https://www.economist.com/britain/2021/03/16/britain-is-adding-nukes") == ""
    assert item_id("http://www.rfi.fr/cn/中国/20200905-与白俄接壤边界紧张升高") == ""


def test_the_irish_times_records_are_read_with_their_attributes():
    raw = ('<corpus><doc url="https://www.irishtimes.com/news/a-1.3784171" title="Deputy PM meets '
           'protesters" date = "Wed, Feb 6, 2019, 14:34">  Text of the story. </doc></corpus>')
    assert _IT_DOC.findall(raw) == [("https://www.irishtimes.com/news/a-1.3784171",
                                     "Deputy PM meets protesters", "Wed, Feb 6, 2019, 14:34",
                                     "  Text of the story. ")]


def test_pairs_are_one_outlets_with_the_production_bars_and_their_title_and_url_relation():
    story = words(0, 40)
    docs = [
        Doc("t", "dw", T0, "Train crash: 4 dead", "https://dw.com/zh/x/a-1000001", story),
        # the same item re-posted under a new headline (and a new URL holding it), extended
        Doc("t", "dw", T0 + dt.timedelta(hours=3), "Fifty killed as express derails",
            "https://dw.com/zh/y/a-1000001", story + "\n" + words(100, 140)),
        # another outlet's copy: not a same-outlet pair
        Doc("t", "voa", T0 + dt.timedelta(hours=1), "Train crash: 4 dead", "https://voa/1", story),
        # the outlet's unrelated story
        Doc("t", "dw", T0 + dt.timedelta(hours=4), "Train crash: 4 dead", "https://dw.com/z/a-1000002",
            words(300, 340)),
    ]
    pairs = pairs_of(docs, DedupParams())
    assert [(p.later, p.earlier) for p in pairs] == [(1, 0)]
    (p,) = pairs
    assert p.containment == 1.0 and p.containment >= p.same_bar > p.two_bar and p.plain_ok
    assert p.title == "diff" and p.url == "slug"


def test_the_read_pairs_file_has_one_verdict_per_pair():
    labels = read_labels()
    assert len(labels) == 166
    assert {v for v, _ in labels.values()} == {"update", "different"}
    sets = {"zone_title", "pass_sample", "pass_12_36h", "pass_over_36h"}
    assert {s for _, s in labels.values()} == sets
    assert sum(v == "update" for v, s in labels.values() if s == "zone_title") == 26
    assert all(len(k) == 6 and k[0] in ("nbw", "pen", "stand", "q3", "it") for k in labels)


def test_veto_mode_counts_what_the_production_bound_frees(capsys):
    """--veto runs the production path with the bound off and on: one outlet's re-post of the
    same item (URL id) 48 h later leaves duplicates and is counted as a re-post lost; its
    copy 2 h later and another outlet's copy 3 days later stay duplicates."""
    story = words(0, 40)
    hours = dt.timedelta(hours=1)
    docs = [Doc("t", "dw", T0, "Crash", "https://dw.com/zh/x/a-1000001", story),
            Doc("t", "dw", T0 + 2 * hours, "Crash", "https://dw.com/zh/x/a-1000002", story),
            Doc("t", "dw", T0 + 48 * hours, "Crash", "https://dw.com/zh/y/a-1000001", story),
            Doc("t", "voa", T0 + 72 * hours, "Crash", "https://voa/1", story)]
    veto_outcomes(docs, hours=(1,))
    out = capsys.readouterr().out
    assert "3 articles in duplicates without it" in out
    assert "H = 36 h (production): 2 in duplicates; 1 freed (33.3%), of them 1 with" in out
    assert "H = 1 h: 1 in duplicates; 2 freed (66.7%), of them 1 with" in out
