"""Extraction with real trafilatura, and its protection against concurrent calls."""
import concurrent.futures
import datetime as dt

from cfnews.schemas import Article, FeedEntry, Page, Rejected
from cfnews.transforms.extract import extract_article, split_authors
from tests.conftest import article_html

PARAS = [
    "French President Emmanuel Macron arrived in Beijing on Wednesday for a three-day state visit, "
    "his fourth trip to China since taking office, with trade and Ukraine high on the agenda.",
    "Officials in Paris said the talks with Chinese President Xi Jinping would cover cognac tariffs, "
    "aircraft orders and market access for French agricultural products.",
    "The visit comes as the European Union weighs new measures against Chinese electric vehicles.",
]


def entry(**kw) -> FeedEntry:
    base = dict(outlet="o", feed_url="f", entry_id="e1", url="https://e.com/a", article_id="a1",
                canonical_url="https://e.com/a", title="Feed title",
                discovered_at=dt.datetime(2025, 12, 4, tzinfo=dt.timezone.utc))
    base.update(kw)
    return FeedEntry(**base)


def page(html: str, **kw) -> Page:
    return Page(entry=entry(**kw), html=html, final_url="https://e.com/a", http_status=200)


def test_article_text_without_chrome():
    html = article_html("Macron in Beijing", PARAS).replace(
        "<h1>", "<p class='byline'>By Jane Roe</p><h1>")
    result = extract_article(page(html))
    assert isinstance(result, Article)
    assert "three-day state visit" in result.text and "electric vehicles" in result.text
    assert "cookies" not in result.text and "Copyright Example" not in result.text
    # The page's headline (its <h1> and <title> agree) wins over a feed title they contradict.
    assert result.title == "Macron in Beijing"
    assert result.text.count("\n") == 2  # one line per paragraph


def test_metadata_date_fills_a_missing_publication_time():
    html = article_html("T", PARAS).replace(
        "<head>", "<head><meta property='article:published_time' content='2025-12-03T09:00:00+00:00'>")
    result = extract_article(page(html))
    assert result.published_at.date() == dt.date(2025, 12, 3)


def test_too_short_and_empty_pages_are_rejected_with_reasons():
    short = extract_article(page(article_html("T", ["Just one line."])))
    assert isinstance(short, Rejected) and short.reason in ("too_short", "extraction_failed")
    empty = extract_article(page(""))
    assert (empty.stage, empty.reason) == ("extract", "extraction_failed")
    js_shell = extract_article(page("<html><body><div id='app'></div><script>x()</script></body></html>"))
    assert isinstance(js_shell, Rejected)


def test_supplied_text_skips_trafilatura():
    result = extract_article(Page(entry=entry(text="\n\n".join(PARAS), title="Given"), html="",
                                  final_url="https://e.com/a"))
    assert isinstance(result, Article) and result.source == "backfill"
    assert result.text == "\n".join(PARAS) and result.title == "Given"


def test_authors_are_split():
    assert split_authors("Jane Roe; John Doe") == ("Jane Roe", "John Doe")
    assert split_authors("Jane Roe and John Doe") == ("Jane Roe", "John Doe")
    assert split_authors(None) == ()


def test_authors_hold_names_not_byline_furniture():
    """What trafilatura's author field carries around the names (seen on 19 of the shared
    benchmark's 181 pages): credit words, bios, the date line, the agency, job titles, a
    place in brackets, an address. Names, staff credits and agencies standing alone stay."""
    cases = {
        "Analysis by Chris Cillizza; CNN Editor-at-large": ("Chris Cillizza",),
        "By Jane Roe and John Doe": ("Jane Roe", "John Doe"),
        "Phil Helsel is a reporter": ("Phil Helsel",),
        "Mike Wuerthele; Malcolm Owen Monday; November": ("Mike Wuerthele", "Malcolm Owen"),
        "Carrie Arnold November": ("Carrie Arnold",),
        "Detroit News wire services Published": ("Detroit News wire services",),
        "DANICA KIRKA; JILL LAWLESS Associated Press": ("Danica Kirka", "Jill Lawless"),
        "STEVE PEOPLES; AP National Political Writer": ("Steve Peoples",),
        "Paul Takahashi; Staff writer": ("Paul Takahashi",),
        "Tom Gillespie News reporter": ("Tom Gillespie",),
        "Текст Лида Буслаева": ("Лида Буслаева",),
        "Par Jean Dupont (Pékin, correspondance)": ("Jean Dupont",),
        "jane.roe@example.com; https://example.com/jane": (),
        "Staff": (),
        # left alone
        "The Associated Press": ("The Associated Press",),
        "Theresa May; Brian June": ("Theresa May", "Brian June"),
        "Von Miller; Von Max Mustermann": ("Von Miller", "Max Mustermann"),
        "Pacific Tech Review Staff": ("Pacific Tech Review Staff",),
        "Reuters": ("Reuters",),
        # journals' "Surname, Initials" is one name; where the writer filed from is not a name
        "Vinson, V.": ("Vinson, V.",),
        "Smith, J. and Doe, A.": ("Smith, J.", "Doe, A."),
        "Jane Roe, John Doe": ("Jane Roe", "John Doe"),
        "Oliver Holmes in Jerusalem": ("Oliver Holmes",),
        "Par Jean Dupont, à Pékin": ("Jean Dupont",),
        "Jane Roe, in Beijing": ("Jane Roe",),
        "Jean Dupont, envoyé spécial à Pékin": ("Jean Dupont",),
        "Correspondance à Cognac": (),
        "本报记者": (),
        "本报记者 张三": ("张三",),
        "记者：李四、王五": ("李四", "王五"),
        "文/張三": ("張三",),
        "本报记者 张三 李四": ("张三", "李四"),
        "记者 王小明 通讯员 李华": ("王小明", "李华"),
        "文化部": ("文化部",),
        "Jason Burke Africa correspondent": ("Jason Burke",),
        "Patrick Wintour Diplomatic editor": ("Patrick Wintour",),
    }
    for raw, names in cases.items():
        assert split_authors(raw) == names, raw


def test_a_byline_in_capitals_is_written_as_a_name():
    """AP's pages set some bylines in capitals ("STEVE PEOPLES"), the same writers' other pages
    and feeds do not: one spelling per writer, so a count by author is one row. One word in
    capitals stays (an agency or initials), and so do scripts without case."""
    cases = {
        "MARY CLARE JALONICK and LISA MASCARO": ("Mary Clare Jalonick", "Lisa Mascaro"),
        "ROBERT MCDONALD": ("Robert McDonald",),
        "SEAN O'NEILL": ("Sean O'Neill",),
        "JEAN-YVES LE DRIAN": ("Jean-Yves Le Drian",),
        "CHARLES DE GAULLE": ("Charles de Gaulle",),
        "VALÉRY GISCARD D'ESTAING": ("Valéry Giscard d'Estaing",),
        "J.R.R. TOLKIEN": ("J.R.R. Tolkien",),
        "ANTONIO MACHADO": ("Antonio Machado",),
        "CNN; PTI; AS": ("CNN", "PTI", "AS"),
        "Jane McDonald-Roe": ("Jane McDonald-Roe",),
        "本报记者 张三": ("张三",),
    }
    for raw, names in cases.items():
        assert split_authors(raw) == names, raw


def test_concurrent_extraction_gives_the_same_results():
    pages = [page(article_html(f"T{i}", PARAS + [f"Paragraph number {i} is unique here."]))
             for i in range(24)]
    serial = [extract_article(p).text for p in pages]
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        parallel = [r.text for r in pool.map(extract_article, pages)]
    assert parallel == serial


YEAR_IN_TEXT = PARAS + ["China has provided strong diplomatic support to Russia since its 2022 "
                        "full-scale invasion of Ukraine, and France hosted talks in 2019."]


def test_a_year_mentioned_in_the_text_is_not_a_publication_date():
    """No date in the page's markup: the article keeps no guessed date (htmldate's extensive
    search would say 2022-01-01) and is filed under its discovery date."""
    from cfnews.schemas import partition_of
    result = extract_article(page(article_html("Macron in Beijing", YEAR_IN_TEXT)))
    assert isinstance(result, Article)
    assert result.published_at is None
    assert partition_of(result)[1] == "2025-12-04"  # entry(): discovered 2025-12-04


def test_dates_stated_by_the_feed_or_the_url_are_kept():
    html = article_html("Macron in Beijing", YEAR_IN_TEXT)
    fed = dt.datetime(2025, 12, 3, 9, tzinfo=dt.timezone.utc)
    assert extract_article(page(html, published_at=fed)).published_at == fed
    dated_url = Page(entry=entry(), html=html, http_status=200,
                     final_url="https://e.com/2025/12/03/macron-beijing")
    assert extract_article(dated_url).published_at.date() == dt.date(2025, 12, 3)


def test_the_pages_time_of_day_and_offset_are_kept():
    """A page stating 22:30 at UTC-5 on 18 November was published at 03:30 UTC on the 19th:
    its row says so and is filed under the 19th (htmldate's date-only output made it midnight
    UTC of the 18th, a day early, with the time lost). A date without a time stays midnight."""
    from cfnews.schemas import partition_of
    stated = "<head><meta property='article:published_time' content='2019-11-18T22:30:00-05:00'>"
    result = extract_article(page(article_html("T", PARAS).replace("<head>", stated)))
    assert result.published_at == dt.datetime(2019, 11, 19, 3, 30, tzinfo=dt.timezone.utc)
    assert partition_of(result)[1] == "2019-11-19"
    date_only = "<head><meta property='article:published_time' content='2019-11-18'>"
    result = extract_article(page(article_html("T", PARAS).replace("<head>", date_only)))
    assert result.published_at == dt.datetime(2019, 11, 18, tzinfo=dt.timezone.utc)


def test_a_page_without_a_byline_takes_the_feeds_author_credit():
    """Feeds credit their writers (dc:creator, <author>), pages do not always show a byline:
    `authors` was empty for such pages. A byline on the page still wins."""
    from cfnews.schemas import FeedSource
    from cfnews.transforms.feeds import parse_feed
    rss = (b"<?xml version='1.0'?><rss version='2.0' xmlns:dc='http://purl.org/dc/elements/1.1/'>"
           b"<channel><title>t</title>"
           b"<item><title>A</title><link>https://e.com/a</link><dc:creator>By Jane Roe</dc:creator>"
           b"<dc:creator>JANE ROE</dc:creator><dc:creator>Vinson, V.</dc:creator></item>"
           b"<item><title>B</title><link>https://e.com/b</link>"
           b"<author>jd@e.com (John Doe)</author></item></channel></rss>")
    source = FeedSource(outlet="o", url="https://e.com/feed", language="en", country="FR")
    first, second = parse_feed(source, rss)
    assert first.authors == ("Jane Roe", "Vinson, V.") and second.authors == ("John Doe",)
    html = article_html("Macron in Beijing", PARAS)
    bylineless = extract_article(Page(entry=first, html=html, final_url=first.url))
    assert isinstance(bylineless, Article) and bylineless.authors == ("Jane Roe", "Vinson, V.")
    signed = html.replace("<h1>", "<p class='byline'>By Ann Lee</p><h1>")
    assert extract_article(Page(entry=first, html=signed, final_url=first.url)).authors == \
        ("Ann Lee",)
