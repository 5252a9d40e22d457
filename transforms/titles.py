"""The headline as the publisher wrote it, chosen among the page's title candidates.

A page states its title several times: og:title, twitter:title, the JSON-LD headline, the <h1>
the reader sees, <title>, and the feed gives one more. Most of them carry site furniture
(" | DW | 28.04.2023", " - Taipei Times", "Section | ..."). The headline is the text the
candidates agree on: a candidate, or a run of its separator-delimited segments, that the other
candidates also contain. Segments naming the site (the name the page declares, its domain, the
outlet) or holding only a date are furniture wherever they appear at an edge.

Comparisons ignore case and spacing; the text returned keeps the publisher's characters
(no-break and ideographic spaces as written), only trimmed and with line breaks folded."""
from __future__ import annotations

import json
import re
import unicodedata
from typing import Dict, Iterable, List, Optional, Sequence, Tuple
from urllib.parse import urlsplit

# Separators between a headline and site furniture. Spaced hyphens and dashes only: a hyphen
# inside a word ("China-France") is part of the headline.
SEPARATORS = re.compile(r"\s+(?:--|::)\s+|\s+[|\-–—:·•»«/]\s+|\s*[｜|_：]\s*|\s+::\s+|\s*[–—]\s+|\s+[–—]\s*")
_DATE = re.compile(r"^[\d\s./\-:年月日]+$|^\d{1,2}\s+\w+\s+\d{4}$|^\w+\s+\d{1,2},?\s+\d{4}$")
_FOLD = re.compile(r"[\W_]+", re.UNICODE)
_BREAKS = re.compile(r"[ \t\r\n\f\v]*[\r\n]+[ \t\r\n\f\v]*|[ \t]{2,}")
# Generic host labels that say nothing about the outlet.
_GENERIC_HOST = {"www", "m", "amp", "news", "com", "org", "net", "co", "uk", "fr", "cn", "de",
                 "edition", "en", "english", "mobile", "web", "article", "articles", "html"}
MAX_TITLE = 400
# Where each candidate comes from, most trusted first on ties.
SOURCES = ("h1", "jsonld", "og", "twitter", "feed", "title")


def fold(text: str) -> str:
    """Comparison key: case, accents, width forms, spacing and punctuation ignored."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return _FOLD.sub("", "".join(c for c in decomposed if not unicodedata.combining(c)))


def tidy(text: Optional[str]) -> str:
    """Trim and fold line breaks; keep no-break and ideographic spaces as written."""
    if not text:
        return ""
    return _BREAKS.sub(" ", text).strip()


def _segments(text: str) -> List[str]:
    return [s for s in SEPARATORS.split(text) if s.strip()]


def _spans(text: str) -> List[Tuple[int, int]]:
    """Character spans of the separator-delimited segments of `text`."""
    spans, start = [], 0
    for match in SEPARATORS.finditer(text):
        if match.start() > start:
            spans.append((start, match.start()))
        start = match.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def site_names(doc=None, url: str = "", outlet: str = "", site_name: str = "") -> List[str]:
    """The names the page declares for its site, its domain labels and the outlet's name."""
    names = [outlet, site_name]
    if doc is not None:
        for key in ("og:site_name", "application-name", "apple-mobile-web-app-title",
                    "twitter:site", "publisher", "copyright"):
            names += doc.xpath(f'//meta[@property="{key}" or @name="{key}"]/@content')
        for data in _json_ld(doc):
            for key in ("publisher", "sourceOrganization"):
                value = data.get(key)
                if isinstance(value, dict) and isinstance(value.get("name"), str):
                    names.append(value["name"])
            if data.get("@type") == "WebSite" and isinstance(data.get("name"), str):
                names.append(data["name"])
    host = urlsplit(url).hostname or ""
    names += [label for label in host.split(".") if label not in _GENERIC_HOST and len(label) > 1]
    keys = []
    for name in names:
        key = fold((name or "").lstrip("@"))
        if len(key) >= 2 and key not in keys:
            keys.append(key)
    return keys


_SITE_URL = re.compile(r"^(?:https?://)?(?:www\.)?([^\s/]+\.[a-z]{2,})/?$", re.IGNORECASE)
_SITE_TAGLINE = re.compile(r"\s+[|–—-]\s+|\s*｜\s*")


def tidy_site_name(name: Optional[str]) -> str:
    """The site's name as `site_name` gives it: the page's declared name without a URL's
    scheme and "www." ("https://www.hawaiinewsnow.com" → "hawaiinewsnow.com") and without a
    tagline or section list after a separator ("LinkNaija | Nigeria's popular news platform",
    "Autoracing | F1 | Indy | MotoGP")."""
    name = tidy(name)
    url = _SITE_URL.match(name)
    if url:
        return url.group(1)
    first = _SITE_TAGLINE.split(name, 1)[0].strip()
    return first if len(first) >= 2 else name


def is_furniture(segment: str, sites: Sequence[str]) -> bool:
    """A segment that names the site or holds only a date."""
    key = fold(segment)
    if not key:
        return True
    if _DATE.match(segment.strip()):
        return True
    for site in sites:
        if key == site:
            return True
        # Containment only between names long enough not to match by chance ("br" in "brexit").
        if min(len(key), len(site)) >= 4 and (key in site or site in key) and \
                len(key) <= len(site) + 12:
            return True
    return False


def strip_furniture(title: str, sites: Sequence[str]) -> str:
    """Drop site-naming and date segments at either edge of a title (never all of it)."""
    spans = _spans(title)
    while len(spans) > 1 and is_furniture(title[slice(*spans[-1])], sites):
        spans.pop()
    while len(spans) > 1 and is_furniture(title[slice(*spans[0])], sites):
        spans.pop(0)
    return title[spans[0][0]:spans[-1][1]].strip() if spans else title


def _json_ld(doc) -> Iterable[dict]:
    for node in doc.xpath('//script[@type="application/ld+json"]/text()'):
        try:
            data = json.loads(node)
        except ValueError:
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                yield item
                if "@graph" in item:
                    stack.append(item["@graph"])
                if isinstance(item.get("mainEntity"), (dict, list)):
                    stack.append(item["mainEntity"])


def _article_h1s(doc) -> List[str]:
    """<h1> texts, those inside <article> or <main> first."""
    inner = doc.xpath("//article//h1 | //main//h1 | //*[@itemprop='headline']")
    rest = doc.xpath("//h1")
    seen, out = set(), []
    for node in inner + rest:
        if id(node) in seen:
            continue
        seen.add(id(node))
        text = tidy(node.text_content())
        if text and len(text) <= MAX_TITLE and text not in out:
            out.append(text)
    return out[:3]


def page_candidates(doc, feed_title: str = "") -> Dict[str, List[str]]:
    """Source -> candidate titles found on the page (and in the feed)."""
    def meta(key):
        return [tidy(v) for v in doc.xpath(f'//meta[@property="{key}" or @name="{key}"]/@content')
                if tidy(v)][:1]
    headlines = []
    for data in _json_ld(doc):
        value = data.get("headline")
        if isinstance(value, str) and tidy(value):
            headlines.append(tidy(value))
    title = [tidy(t.text_content()) for t in doc.xpath("//head/title | //title")][:1]
    found = {"h1": _article_h1s(doc), "jsonld": headlines[:1], "og": meta("og:title"),
             "twitter": meta("twitter:title"), "feed": [tidy(feed_title)] if tidy(feed_title) else [],
             "title": [t for t in title if t]}
    return {k: v for k, v in found.items() if v}


def choose_title(candidates: Dict[str, List[str]], sites: Sequence[str]) -> str:
    """The headline the candidates agree on, with site furniture removed.

    The <h1> is what the reader sees: it wins when the page's other statements agree with it (it
    is part of one of them, or they share its opening words), or when it is the page's only
    headline-like <h1>. Otherwise the meta titles vote among themselves."""
    metas = [text for src in SOURCES[1:] for text in candidates.get(src, [])]
    headings = [h for h in candidates.get("h1", [])
                if _headline_like(h, 4) and not is_furniture(h, sites)]
    for heading in headings:
        agreed = _agreement_with(heading, metas, sites)
        if agreed:
            return strip_furniture(agreed, sites)
    credible = [h for h in headings if _headline_like(h, 12)]
    if len(credible) == 1 or (credible and not metas):
        return strip_furniture(credible[0], sites)
    return _vote(metas, sites) if metas else ""


def _agreement_with(heading: str, metas: Sequence[str], sites: Sequence[str]) -> str:
    """`heading` (or its opening that the meta titles repeat) if they agree with it, else ''."""
    key = fold(heading)
    for meta in metas:
        other = fold(meta)
        if (key in other and _aligned(key, other)) or key == fold(strip_furniture(meta, sites)):
            return heading
    for meta in metas:
        cleaned = strip_furniture(meta, sites)
        other = fold(cleaned)
        if len(other) >= 12 and other in key:
            # The heading adds something (a byline, the site's name): keep what the page shares.
            cut = _prefix_in_original(heading, _common_prefix(key, other))
            rest = heading[cut:]
            if cut and (not fold(rest) or rest[:1].isspace() or is_furniture(rest, sites)):
                return heading[:cut].strip()
        prefix = _common_prefix(key, other)
        if len(prefix) >= 12 and len(prefix) >= 0.75 * len(key):
            cut = _prefix_in_original(heading, prefix)
            rest = heading[cut:]
            if rest[:1].isspace() or not fold(rest):
                return heading[:cut].strip()
    return ""


def _common_prefix(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def _prefix_in_original(text: str, folded_prefix: str) -> int:
    """Index in `text` just after the characters whose fold is `folded_prefix`."""
    if not folded_prefix:
        return 0
    for end in range(1, len(text) + 1):
        if len(fold(text[:end])) >= len(folded_prefix):
            return end
    return len(text)


def _vote(metas: Sequence[str], sites: Sequence[str]) -> str:
    """The run of segments of a meta title that most other meta titles hold as a run of their
    own segments; a shorter copy that is a prefix of it (a truncated title) counts half."""
    runs = [{fold(text[a[0]:b[1]]) for n, a in enumerate(_spans(text)) for b in _spans(text)[n:]}
            | {fold(text)} for text in metas]
    folded = [fold(text) for text in metas]
    best, best_score = "", None
    for rank, text in enumerate(metas):
        spans = _spans(text) or [(0, len(text))]
        for i in range(len(spans)):
            for j in range(i, len(spans)):
                option = text[spans[i][0]:spans[j][1]].strip()
                key = fold(option)
                if len(key) < 2:
                    continue
                support = sum(1.0 if key in runs[n] else 0.5 for n, other in enumerate(folded)
                              if n != rank and (key in runs[n] or (
                                  len(other) >= 0.5 * len(key) and key.startswith(other))))
                furniture = any(is_furniture(text[slice(*spans[k])], sites) for k in range(i, j + 1))
                score = (not furniture, support, len(key), -rank)
                if best_score is None or score > best_score:
                    best, best_score = option, score
    return strip_furniture(best, sites)


def _aligned(key: str, other: str) -> bool:
    """`key` covers a long enough share of `other` to be the same headline, not a word of it."""
    return len(key) >= 12 or len(key) * 2 >= len(other)


def _headline_like(text: str, minimum: int) -> bool:
    return len(fold(text)) >= minimum


def title_from_html(html, url: str = "", feed_title: str = "", outlet: str = "",
                    site_name: str = "") -> str:
    """Choose the headline of `html` (str, bytes, or a tree lxml.html parsed, read only); ''
    when the page states none."""
    import lxml.html
    if isinstance(html, lxml.html.HtmlElement):
        doc = html
    else:
        try:
            doc = lxml.html.fromstring(html)
        except (ValueError, lxml.etree.ParserError):
            return tidy(feed_title)
    return choose_title(page_candidates(doc, feed_title),
                        site_names(doc, url, outlet, site_name))
