"""Body choice by agreement (trafilatura vs readability) and boilerplate rules: the plain
functions of transforms/bodies.py, and through extract_article on real trafilatura."""
import lxml.html

from cfnews.schemas import Article
from cfnews.transforms.bodies import choose_body, drop_boilerplate, is_boilerplate, readability_text
from cfnews.transforms.extract import extract_article
from tests.test_extract import PARAS, page

STORY = [
    "French and Chinese negotiators met in Paris on Tuesday to discuss cognac tariffs, "
    "aircraft orders and access to the Chinese market for French pork producers.",
    "The talks lasted six hours and ended without a joint statement, officials said, though "
    "both sides described the exchanges as frank and constructive.",
    "A second round is planned in Beijing next month, before the state visit expected in spring.",
    "Analysts said the tariff question would decide whether the visit produces any agreement.",
]


def test_edge_lines_the_second_extractor_lacks_are_trimmed_middle_ones_kept():
    tweet = "Delhi has turned into a gas chamber pic.twitter.com/abc"
    primary = "\n".join(["By Jane Roe, staff reporter", STORY[0], STORY[1], tweet, STORY[2],
                         STORY[3], "Cannes film festival opens with record crowds"])
    second = "\n".join([STORY[0], STORY[1], STORY[2], STORY[3]])
    assert choose_body(primary, second) == "\n".join(STORY[:2] + [tweet] + STORY[2:])


def test_nothing_is_trimmed_when_the_extractors_disagree_on_most_of_the_text():
    primary = "\n".join(STORY)
    assert choose_body(primary, "Subscribe to our newsletter\n" + STORY[3]) == primary
    assert choose_body(primary, "") == primary


def test_readability_is_the_fallback_when_trafilatura_finds_nothing():
    assert choose_body("", "\n".join(STORY)) == "\n".join(STORY)


def test_the_longer_text_wins_when_it_holds_the_shorter_and_much_more_prose():
    more = [f"Paragraph {i} of the article goes on with several more sentences of reporting "
            f"about the negotiations and what each side asked for." for i in range(10)]
    second = "\n".join(STORY[:1] + more + STORY[1:])
    assert choose_body(STORY[0], second) == second
    # ... but not when what it adds is short lines (captions, teasers, table debris)
    debris = "\n".join(STORY[:1] + [f"Photo {i}: AFP" for i in range(40)])
    assert choose_body(STORY[0], debris) == STORY[0]


def test_boilerplate_lines_and_the_lists_they_introduce_are_dropped():
    text = "\n".join([STORY[0], "READ MORE: China plague outbreak confirmed", STORY[1],
                      "Related: Stars in pictures", "- 15 Amazing Images of Stars",
                      "- Facts About Our Milky Way", STORY[2],
                      "Sign up for our daily newsletter to get the news in your inbox.",
                      "Email Jane Roe at jroe@example.com or follow her @janeroe.",
                      "Lakers vs Nets: NBA makes final decision [VIDEO]", STORY[3]])
    assert drop_boilerplate(text) == "\n".join(STORY)


def test_lists_and_long_paragraphs_of_the_article_stay():
    facts = "\n".join([STORY[0], "- England (Group A): 10th appearance",
                       "- Spain (Group F): 11th appearance", STORY[1]])
    assert drop_boilerplate(facts) == facts
    long_one = ("Readers who subscribe to the newsletter, the minister said, " + STORY[1]) * 3
    assert not is_boilerplate(long_one)


def test_readability_text_gives_one_line_per_block():
    html = ("<html><body><nav><a href='/'>Home</a></nav><div class='story'>"
            + "".join(f"<p>{p}</p>" for p in STORY) + "</div></body></html>")
    assert readability_text(lxml.html.fromstring(html)).splitlines() == STORY
    assert readability_text(lxml.html.fromstring("<html><body></body></html>")) == ""


def _page(body_html: str) -> str:
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>Tariff talks</title></head>"
            f"<body><article><h1>Tariff talks</h1>{body_html}</article>"
            "<footer>Copyright Example News</footer></body></html>")


def test_extracted_article_keeps_tables_and_drops_teasers():
    table = ("<table><tr><th>Product</th><th>Tariff</th></tr>"
             "<tr><td>Cognac</td><td>34.8%</td></tr><tr><td>Pork</td><td>62.4%</td></tr></table>")
    body = "".join(f"<p>{p}</p>" for p in STORY[:2]) + table + \
        "<p>Related: Macron's visit in pictures</p><ul><li>Ten photos of the state visit</li>" \
        "<li>What the EU decided on cars</li></ul>" + "".join(f"<p>{p}</p>" for p in STORY[2:])
    result = extract_article(page(_page(body)))
    assert isinstance(result, Article)
    assert "Cognac" in result.text and "62.4%" in result.text
    assert "Related" not in result.text and "Ten photos" not in result.text
    assert all(p in result.text for p in STORY)


def test_extracted_article_without_furniture_is_unchanged():
    result = extract_article(page(_page("".join(f"<p>{p}</p>" for p in PARAS))))
    assert result.text == "\n".join(PARAS)
