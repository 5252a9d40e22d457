"""What the demo site serves: outlets and articles (from data/*.yaml), with the expected fate of
each article, and the functions that render them as HTML pages and RSS/Atom feeds."""
from __future__ import annotations

import dataclasses
import datetime as dt
import html
import json
import re
from email.utils import format_datetime
from functools import lru_cache
from importlib import resources
from string import Template
from typing import Sequence

import yaml
from lxml import etree

from cfnews.schemas import FeedSource, Reason

EXPECTS = ("article", "duplicate", "not_relevant", "rejected")
PAGES = ("full", "stub", "missing")
FIGURE_SRC = "/static/figure.svg"
FEED_TYPES = {"rss": "application/rss+xml", "atom": "application/atom+xml"}
ATOM_NS = "http://www.w3.org/2005/Atom"
DC_NS = "http://purl.org/dc/elements/1.1/"
XML_NS = "http://www.w3.org/XML/1998/namespace"


@dataclasses.dataclass(frozen=True)
class DemoOutlet:
    id: str
    name: str
    language: str
    country: str
    feed: str                         # 'rss' | 'atom'
    template: str                     # data/templates/<template>.html
    path: str                         # article path pattern, see outlets.yaml
    state_affiliated: bool = False
    section: str = ""
    description: str = ""
    comments: tuple = ()              # ((user, text), ...) under every article

    @property
    def feed_path(self) -> str:
        return f"/{self.id}/{'atom.xml' if self.feed == 'atom' else 'rss.xml'}"

    @property
    def feed_content_type(self) -> str:
        return FEED_TYPES[self.feed]

    def feed_source(self, base_url: str) -> FeedSource:
        return FeedSource(outlet=self.id, url=base_url + self.feed_path, language=self.language,
                          country=self.country, name=self.name,
                          state_affiliated=self.state_affiliated, section=self.section)


@dataclasses.dataclass(frozen=True)
class DemoArticle:
    id: str
    outlet: str
    title: str
    author: str
    published: dt.datetime            # timezone-aware
    language: str
    body: tuple                       # paragraphs; '## ' subheading, '* ' list item
    expect: str                       # one of EXPECTS
    path: str                         # where the site serves it
    duplicate_of: str = ""            # expect == 'duplicate': id of the original
    reason: str = ""                  # expect == 'rejected': a schemas.Reason value
    section: str = ""
    figure: str = ""                  # figure caption
    page: str = "full"                # one of PAGES
    seed: str = ""                    # seed file the text was copied from

    def url(self, base_url: str) -> str:
        return base_url + self.path

    @property
    def paragraphs(self) -> list[str]:
        """Body paragraphs as plain text (markup prefixes removed)."""
        return [re.sub(r"^(## |\* )", "", p) for p in self.body]

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)

    @property
    def summary(self) -> str:
        """First sentence of the first real paragraph: what the feed entry carries."""
        first = next((p for p in self.body if not p.startswith("## ")), self.body[0])
        match = re.match(r".+?(?:[.!?](?=\s|$)|[。！？])", first)
        return match.group(0) if match else first


def _data(name: str) -> str:
    return resources.files(__package__).joinpath("data", name).read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def _outlets() -> tuple:
    outlets = []
    for raw in yaml.safe_load(_data("outlets.yaml")):
        comments = tuple(tuple(c) for c in raw.pop("comments", ()))
        outlets.append(DemoOutlet(comments=comments, **raw))
    return tuple(outlets)


def load_outlets() -> list[DemoOutlet]:
    return list(_outlets())


@lru_cache(maxsize=None)
def _catalog() -> tuple:
    outlets = {o.id: o for o in _outlets()}
    articles = []
    for raw in yaml.safe_load(_data("articles.yaml")):
        published = dt.datetime.fromisoformat(raw.pop("published"))
        body = tuple(p.strip() for p in re.split(r"\n\s*\n", raw.pop("body")) if p.strip())
        o = outlets[raw["outlet"]]
        path = o.path.format(outlet=o.id, id=raw["id"], y=f"{published:%Y}",
                             m=f"{published:%m}", d=f"{published:%d}")
        articles.append(DemoArticle(published=published, body=body, path=path, **raw))
    _check(articles)
    return tuple(sorted(articles, key=lambda a: (a.published, a.id)))


def _check(articles: list[DemoArticle]) -> None:
    # The data files are hand-edited: fail loudly on an inconsistent expectation.
    def require(ok, message):
        if not ok:
            raise ValueError(f"demo articles.yaml: {message}")

    by_id = {a.id: a for a in articles}
    reasons = {r.value for r in Reason}
    require(len(by_id) == len(articles), "duplicate article id")
    require(len({a.path for a in articles}) == len(articles), "two articles share a path")
    for a in articles:
        require(a.published.tzinfo is not None, f"{a.id}: published needs a UTC offset")
        require(a.expect in EXPECTS and a.page in PAGES, f"{a.id}: bad expect or page")
        if a.expect == "duplicate":
            original = by_id.get(a.duplicate_of)
            require(original and original.published < a.published,
                    f"{a.id}: duplicate_of must name an earlier article")
        if a.expect == "rejected":
            require(a.reason in reasons, f"{a.id}: reason must be a schemas.Reason value")


def load_catalog() -> list[DemoArticle]:
    """Every demo article, oldest first, with its expected fate in the pipeline."""
    return list(_catalog())


# ---------------------------------------------------------------- pages

_FR_MONTHS = ("janvier février mars avril mai juin juillet août septembre octobre "
              "novembre décembre").split()


def human_date(d: dt.datetime, language: str) -> str:
    """The date as the outlet's readers see it on the page."""
    if language == "fr":
        return f"{d.day} {_FR_MONTHS[d.month - 1]} {d.year} à {d:%H}h{d:%M}"
    if language == "zh":
        return f"{d.year}年{d.month:02d}月{d.day:02d}日{d:%H:%M}"
    offset = d.strftime("%z")
    return f"{d:%B} {d.day}, {d.year}, {d:%H:%M} (UTC{offset[:3]}:{offset[3:]})"


def _body_html(body: Sequence[str]) -> str:
    out, items = [], []
    for p in list(body) + [""]:
        if p.startswith("* "):
            items.append(f"<li>{html.escape(p[2:])}</li>")
            continue
        if items:  # close a run of list items
            out.append("<ul>" + "".join(items) + "</ul>")
            items = []
        if p.startswith("## "):
            out.append(f"<h2>{html.escape(p[3:])}</h2>")
        elif p:
            out.append(f"<p>{html.escape(p)}</p>")
    return "\n".join(out)


def _stub_page(article: DemoArticle) -> str:
    title = html.escape(article.title)
    return (f'<!DOCTYPE html>\n<html lang="{article.language}"><head><meta charset="utf-8">'
            f"<title>{title}</title></head>\n<body><h1>{title}</h1>\n"
            f"<p>{html.escape(article.body[0])}</p></body></html>\n")


def render_page(article: DemoArticle, outlet: DemoOutlet, *, base_url: str = "",
                related: Sequence[DemoArticle] = ()) -> str:
    """The article's HTML page in its outlet's template. `related` fills the related-links
    list; with `base_url`, the page declares its absolute canonical URL."""
    if article.page == "stub":
        return _stub_page(article)
    esc = html.escape
    canonical = article.url(base_url) if base_url else ""
    jsonld = json.dumps({
        "@context": "https://schema.org", "@type": "NewsArticle", "headline": article.title,
        "datePublished": article.published.isoformat(), "inLanguage": article.language,
        "author": {"@type": "Person", "name": article.author},
        "publisher": {"@type": "Organization", "name": outlet.name},
        **({"mainEntityOfPage": canonical} if canonical else {}),
    }, ensure_ascii=False).replace("</", "<\\/")  # keep the script element closed where we say
    comment_date = human_date(article.published + dt.timedelta(hours=3), outlet.language)
    fields = {
        "lang": article.language, "title": esc(article.title), "site_name": esc(outlet.name),
        "home": f"/{outlet.id}/", "summary": esc(article.summary), "author": esc(article.author),
        "section": esc(article.section or outlet.section),
        "published_iso": article.published.isoformat(),
        "date_human": esc(human_date(article.published, outlet.language)),
        "canonical_link": f'<link rel="canonical" href="{esc(canonical)}">' if canonical else "",
        "figure_src": FIGURE_SRC, "figure_caption": esc(article.figure),
        "body": _body_html(article.body), "jsonld": jsonld,
        "related": "\n".join(f'<li><a href="{esc(r.path)}">{esc(r.title)}</a></li>'
                             for r in related if r.id != article.id),
        "comments": "\n".join(
            f'<li class="comment"><div class="comment-meta"><b class="comment-author">{esc(user)}</b> '
            f'<span class="comment-date">{esc(comment_date)}</span></div><p>{esc(text)}</p></li>'
            for user, text in outlet.comments),
    }
    return Template(_data(f"templates/{outlet.template}.html")).substitute(fields)


# ---------------------------------------------------------------- feeds

def _sub(parent, tag: str, text: str = None, **attrs):
    el = etree.SubElement(parent, tag, attrs)
    if text is not None:
        el.text = text
    return el


def _entry_id(outlet: DemoOutlet, article: DemoArticle) -> str:
    return f"tag:cfnews-demo.invalid,2025:{outlet.id}/{article.id}"


def render_feed(outlet: DemoOutlet, articles: Sequence[DemoArticle], base_url: str) -> bytes:
    """The outlet's feed (RSS 2.0 or Atom, per outlet.feed) over its articles, newest first."""
    mine = sorted((a for a in articles if a.outlet == outlet.id),
                  key=lambda a: a.published, reverse=True)
    home, self_url = f"{base_url}/{outlet.id}/", base_url + outlet.feed_path
    updated = max((a.published for a in mine),
                  default=dt.datetime(2025, 12, 1, tzinfo=dt.timezone.utc))
    if outlet.feed == "atom":
        root = etree.Element(f"{{{ATOM_NS}}}feed", {f"{{{XML_NS}}}lang": outlet.language},
                             nsmap={None: ATOM_NS})
        atom = lambda parent, tag, text=None, **kw: _sub(parent, f"{{{ATOM_NS}}}{tag}", text, **kw)
        atom(root, "title", outlet.name)
        atom(root, "subtitle", outlet.description)
        atom(root, "id", f"tag:cfnews-demo.invalid,2025:{outlet.id}")
        atom(root, "updated", updated.isoformat())
        atom(root, "link", rel="self", type=outlet.feed_content_type, href=self_url)
        atom(root, "link", rel="alternate", type="text/html", href=home)
        for art in mine:
            entry = atom(root, "entry")
            atom(entry, "title", art.title)
            atom(entry, "id", _entry_id(outlet, art))
            atom(entry, "link", rel="alternate", type="text/html", href=art.url(base_url))
            atom(entry, "published", art.published.isoformat())
            atom(entry, "updated", art.published.isoformat())
            atom(atom(entry, "author"), "name", art.author)
            atom(entry, "summary", art.summary, type="text")
            if art.section:
                atom(entry, "category", term=art.section)
    else:
        root = etree.Element("rss", {"version": "2.0"}, nsmap={"atom": ATOM_NS, "dc": DC_NS})
        channel = _sub(root, "channel")
        _sub(channel, "title", outlet.name)
        _sub(channel, "link", home)
        _sub(channel, "description", outlet.description)
        _sub(channel, "language", outlet.language)
        _sub(channel, "lastBuildDate", format_datetime(updated))
        _sub(channel, f"{{{ATOM_NS}}}link", rel="self", type=outlet.feed_content_type, href=self_url)
        for art in mine:
            item = _sub(channel, "item")
            _sub(item, "title", art.title)
            _sub(item, "link", art.url(base_url))
            _sub(item, "guid", _entry_id(outlet, art), isPermaLink="false")
            _sub(item, "description", art.summary)
            _sub(item, "pubDate", format_datetime(art.published))
            _sub(item, f"{{{DC_NS}}}creator", art.author)
            if art.section:
                _sub(item, "category", art.section)
    return etree.tostring(root, encoding="utf-8", xml_declaration=True, pretty_print=True)
