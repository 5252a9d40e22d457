"""Headline choice among a page's title candidates (transforms/titles.py), on small pages
written to show one rule each, and through extract_article."""
import datetime as dt

from cfnews.schemas import Article, FeedEntry, Page
from cfnews.transforms.extract import extract_article
from cfnews.transforms.titles import title_from_html

PARAS = "".join(
    f"<p>Paragraph {i}: French and Chinese officials met in Paris on Tuesday to discuss trade, "
    f"aviation and agriculture, and agreed to meet again before the end of the year.</p>"
    for i in range(4))


def page(head: str = "", h1: str = "", title: str = "") -> str:
    heading = f"<article><h1>{h1}</h1>{PARAS}</article>" if h1 else f"<article>{PARAS}</article>"
    return (f"<html><head><meta charset='utf-8'><title>{title}</title>{head}</head>"
            f"<body><header><a href='/'>Home</a></header>{heading}</body></html>")


def og(text: str) -> str:
    return f"<meta property='og:title' content='{text}'>"


def test_site_name_and_date_suffixes_go_when_the_heading_agrees():
    html = page(og("Macron lands in Beijing | DW | 28.04.2023"), "Macron lands in Beijing",
                "Macron lands in Beijing | DW | 28.04.2023")
    assert title_from_html(html, url="https://www.dw.com/en/x") == "Macron lands in Beijing"


def test_declared_site_name_is_stripped_without_an_h1():
    head = og("Airbus wins order - Taipei Times") + \
        "<meta property='og:site_name' content='Taipei Times'>"
    html = page(head, "", "Airbus wins order - Taipei Times")
    assert title_from_html(html, url="https://www.taipeitimes.com/a") == "Airbus wins order"


def test_domain_names_the_site_when_nothing_is_declared():
    html = page("", "", "Airbus wins order - Seznam Zprávy")
    assert title_from_html(html, url="https://www.seznamzpravy.cz/clanek/1") == "Airbus wins order"


def test_section_prefix_goes_when_the_heading_lacks_it():
    html = page(og("Vierschanzentournee | Kobayashi wins in Oberstdorf"),
                "Kobayashi wins in Oberstdorf", "Vierschanzentournee | Kobayashi wins in Oberstdorf")
    assert title_from_html(html, url="https://example.de/a") == "Kobayashi wins in Oberstdorf"


def test_the_visible_headline_beats_the_seo_title():
    html = page(og("Prison guards charged over Epstein death"),
                "Two officers charged with falsifying records before Epstein suicide",
                "Prison guards charged over Epstein death - USA Today")
    assert title_from_html(html, url="https://www.usatoday.com/s") == \
        "Two officers charged with falsifying records before Epstein suicide"


def test_an_h1_naming_the_site_is_not_the_headline():
    head = og("Jangan Membenci Satu Kaum | Kabar Islam") + \
        "<meta property='og:site_name' content='Kabar Islam'>"
    html = page(head, "Kabar Islam", "Jangan Membenci Satu Kaum | Kabar Islam")
    assert title_from_html(html, url="https://kabarislam.example/a") == "Jangan Membenci Satu Kaum"


def test_publisher_spaces_are_kept_as_written():
    nbsp = "New Year, new laws: pot, guns and\u00a0drones"
    assert title_from_html(page(og("New Year, new laws: pot, guns and drones"), nbsp),
                           url="https://fox13now.com/a") == nbsp
    ideographic = "米朝首脳直通電話\u3000習氏に挑むトランプ戦術の成否"
    html = page(og(ideographic), "", ideographic + "：日本経済新聞")
    assert title_from_html(html, url="https://www.nikkei.com/a") == ideographic


def test_fullwidth_bar_and_hyphenated_words():
    html = page("", "", "中法签署航空合作协议｜联合早报")
    assert title_from_html(html, url="https://www.zaobao.com.sg/a", outlet="联合早报") == \
        "中法签署航空合作协议"
    html = page(og("China-France trade talks resume"), "China-France trade talks resume")
    assert title_from_html(html, url="https://e.com/a") == "China-France trade talks resume"


def test_a_truncated_twitter_title_does_not_cut_the_headline():
    head = og("Governor defends anti-drug campaign | TheHill") + \
        "<meta name='twitter:title' content='Governor defends anti-drug'>"
    html = page(head, "", "Governor defends anti-drug campaign | TheHill")
    assert title_from_html(html, url="https://thehill.com/a") == "Governor defends anti-drug campaign"


def test_json_ld_headline_counts():
    head = ("<script type='application/ld+json'>{\"@type\": \"NewsArticle\", "
            "\"headline\": \"Rafale deal signed\"}</script>")
    html = page(head, "", "Rafale deal signed :: Le Monde diplomatique")
    assert title_from_html(html, url="https://mondediplo.com/a", outlet="Le Monde diplomatique") == \
        "Rafale deal signed"


def entry(title: str) -> FeedEntry:
    return FeedEntry(outlet="dw", feed_url="f", entry_id="e", url="https://www.dw.com/en/a",
                     article_id="a", canonical_url="https://www.dw.com/en/a", title=title,
                     discovered_at=dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc))


def test_extract_article_uses_the_agreed_title_for_feed_entries_and_backfills():
    html = page(og("Macron lands in Beijing | DW | 28.04.2023"), "Macron lands in Beijing",
                "Macron lands in Beijing | DW | 28.04.2023")
    for feed_title in ("Macron lands in Beijing | DW", ""):  # a backfill has no feed title
        result = extract_article(Page(entry=entry(feed_title), html=html,
                                      final_url="https://www.dw.com/en/a", http_status=200))
        assert isinstance(result, Article)
        assert result.title == "Macron lands in Beijing"
        assert not result.text.startswith("Macron lands")  # the body does not repeat it


def test_a_page_without_any_title_keeps_the_feed_title():
    result = extract_article(Page(entry=entry("Feed headline"), html=page(),
                                  final_url="https://www.dw.com/en/a", http_status=200))
    assert isinstance(result, Article) and result.title == "Feed headline"


def test_site_name_is_the_name_without_a_url_or_tagline_around_it():
    """What pages declare as og:site_name in the shared benchmark: a URL
    ("https://www.hawaiinewsnow.com"), a name and its tagline ("LinkNaija | Nigeria's popular
    news platform"). `site_name` gives the name; a name that is a domain stays as written."""
    cases = {"https://www.hawaiinewsnow.com": "hawaiinewsnow.com",
             "LinkNaija | Nigeria&#39;s popular news platform": "LinkNaija",
             "Autoracing | F1 | Indy | MotoGP": "Autoracing",
             "Deutsche Welle – DW": "Deutsche Welle",
             "Smithsonian.com": "Smithsonian.com", "Ouest-France": "Ouest-France",
             "Le Monde.fr": "Le Monde.fr", "新华网": "新华网"}
    for declared, expected in cases.items():
        head = og("Airbus wins order") + f"<meta property='og:site_name' content='{declared}'>"
        result = extract_article(Page(entry=entry(""), html=page(head, "Airbus wins order"),
                                      final_url="https://www.dw.com/en/a", http_status=200))
        assert isinstance(result, Article) and result.site_name == expected, declared
