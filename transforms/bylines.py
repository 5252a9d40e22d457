"""Bylines as names: an author field (a page's byline, as trafilatura reads it, or a feed item's
dc:creator / <author>) split into its people, each without the furniture bylines carry. Plain
functions, shared by extraction (transforms/extract.py) and the feed reader
(transforms/feeds.py)."""
from __future__ import annotations

import re
from typing import Iterable, Optional

# Byline furniture around a name (trafilatura's author field keeps what the byline's element
# holds): a credit word before it ("Analysis by", "Текст"), a bio after it ("is a reporter"),
# the date line run into it ("Jeff Foust Monday", "November", "... Published"), the agency
# after a name ("ERIC TUCKER Associated Press") and a job title standing alone or after it
# ("AP National Political Writer", "Staff writer", "Tom Gillespie News reporter").
_BYLINE_PREFIX = re.compile(
    r"^(?:(?:analysis|opinion|commentary|review|story|report|reporting|words|text|photos?|"
    r"texte|текст|фото)\s*:?\s+)?(?:(?:written\s+)?by|par|von|por)\s*:?\s+"
    r"|^(?:text|texte|текст|фото)\s*:?\s+", re.IGNORECASE)
_BIO = re.compile(r"\s+(?:is|was)\s+an?\s+.*$", re.IGNORECASE)
# month names that are not also common given names or surnames (April, May, June, August)
_DATE_WORD = re.compile(
    r"\s*\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|"
    r"september|october|november|december|published|updated|posted)\s*$", re.IGNORECASE)
_AGENCY = re.compile(r"\s+(?:the\s+)?(?:associated\s+press|reuters|afp|agence\s+france-presse)$",
                     re.IGNORECASE)
_ROLE = re.compile(
    r"(?:^|\s+)(?:(?:ap|staff|senior|chief|news|sports|political|national|security|business|"
    r"foreign|auto|contributing|special|white\s+house|cnn|diplomatic|economics|technology|"
    r"science|health|environment|education|culture|media|legal|defen[cs]e|home|world|"
    r"europe|asia|africa|china|americas|latin\s+america|middle\s+east|us|uk)\s+){0,3}"
    r"(?:writer|reporter|correspondent|columnist|contributor|editor(?:-at-large)?)s?$",
    re.IGNORECASE)
# where the writer filed from ("Oliver Holmes in Jerusalem", "David Smith in Washington")
_DATELINE = re.compile(r"\s+in\s+[A-Z][\w'.-]*(?:\s+[A-Z][\w'.-]*)*$")
_NOT_A_NAME = re.compile(r"@|https?:|www\.|^\W*$|^(?:staff|admin|editor|editors)$", re.IGNORECASE)
# where from, after a comma ("Jean Dupont, à Pékin", "Jane Roe, in Beijing")
# ("Correspondance à Cognac", "envoyé spécial à Pékin": a dispatch's origin, no name at all)
_PLACE_PART = re.compile(r"^(?:(?:correspondance|envoyée?\s+spéciale?)\s+)?"
                         r"(?:à|au|aux|en|in|at|from|depuis|desde|aus)\s", re.IGNORECASE)
# Chinese credit words around the names ("本报记者 张三", "记者：李四 通讯员 王五", "文/張三"):
# separators, never names; Chinese names in a byline are parted by spaces
_ZH_CREDIT = re.compile(r"(?:(?:本[报報]|特约|特約|实习|實習)?(?:记者|記者|通讯员|通訊員|责任编辑|責任編輯|"
                        r"编辑|編輯|实习生|實習生)|(?:图文|圖文|[文图圖])\s*[:：/／])\s*[:：/／]?")
_HAN_NAMES = re.compile(r"[\u3400-\u9fff\u00b7\u30fb]+(?:\s+[\u3400-\u9fff\u00b7\u30fb]+)+")


# Name case for a byline set in capitals ("STEVE PEOPLES" beside "Steve Peoples" on the next
# page). Particles stay lower case after the first word ("Ludwig van Beethoven", "Charles de
# Gaulle"); "Le"/"La" stay capitalised, as French surnames write them ("Jean-Yves Le Drian").
# A general name parser (nameparser) lower-cases "Le" and reads "MACHADO" as "MacHado", so
# the few rules that matter here are kept here.
_PARTICLES = frozenset("de du des d' van von der den da di del della dos das bin ibn al el".split())
_CASED_PIECE = re.compile(r"[^\W\d_]+|[\W\d_]+")


def _name_word(word: str, first: bool) -> str:
    low = word.lower()
    if not first and low in _PARTICLES:
        return low
    if low.startswith("d'") and len(low) > 2 and not first:       # "Giscard d'Estaing"
        return "d'" + low[2:].capitalize()
    pieces = [p.capitalize() for p in _CASED_PIECE.findall(low)]   # O'Neill, Jean-Pierre
    out = "".join(pieces)
    if len(out) > 3 and out.startswith("Mc"):                      # McDonald
        out = "Mc" + out[2:].capitalize()
    return out


def name_case(name: str, min_words: int = 2) -> str:
    """A name of `min_words` or more words written all in capitals, in name case; anything
    else as written (in a byline, one word in capitals is more often an agency or initials:
    "CNN", "AS")."""
    words = name.split()
    if len(words) < min_words or name != name.upper() or name == name.lower():
        return name
    return " ".join(_name_word(w, i == 0) for i, w in enumerate(words))


def clean_author(name: str) -> str:
    """One byline entry without its furniture (above), or "" when nothing of a name is left."""
    name = " ".join(name.split())
    unprefixed = _BYLINE_PREFIX.sub("", name)
    if not (name[:4].lower() == "von " and len(unprefixed.split()) < 2):   # "Von Miller"
        name = unprefixed
    name = _BIO.sub("", name)
    name = _DATELINE.sub("", name)
    while True:
        trimmed = _DATE_WORD.sub("", name)
        if trimmed == name:
            break
        name = trimmed
    agency = _AGENCY.search(name)
    if agency and len(name[:agency.start()].split()) >= 2:   # not "The Associated Press"
        name = name[:agency.start()]
    role = _ROLE.search(name)
    if role:   # a job title alone is no name; a name before one keeps at least two words
        name = name[:role.start()] if len(name[:role.start()].split()) >= 2 else ""
    name = name.strip(" ,;:|-–—")
    return "" if _NOT_A_NAME.search(name) or _PLACE_PART.match(name) else name_case(name)


def split_authors(value: Optional[str]) -> tuple:
    if not value:
        return ()
    # a parenthesis is the place or desk ("Jean Dupont (Pékin, correspondance)"), not a name
    value = re.sub(r"\s*\([^()]*\)", " ", value)
    value = _ZH_CREDIT.sub(";", value)
    parts = re.split(r"\s*(?:;|\band\b|\bet\b|&|、|，|；)\s*", value)
    parts = [q for p in parts for q in (p.split() if _HAN_NAMES.fullmatch(p.strip()) else [p])]
    # a comma parts names ("Jane Roe, John Doe"), or a surname from its initials or given name
    # ("Vinson, V.", the style of journals' feeds): split only where every part is two words
    parts = [q for p in parts
             for q in (re.split(r"\s*,\s*", p)
                       if all(len(c.split()) >= 2 for c in p.split(",") if c.strip()) else [p])]
    seen = []
    for part in (clean_author(p) for p in parts):
        if part and part not in seen:
            seen.append(part)
    return tuple(seen)


def feed_authors(names: Iterable[str]) -> tuple:
    """A feed item's author names (feedparser's `authors`: one per dc:creator or <author>, each
    maybe a whole byline), cleaned as a byline is, each once whatever its case."""
    out, seen = [], set()
    for name in (n for value in names for n in split_authors(value)):
        if name.casefold() not in seen:
            seen.add(name.casefold())
            out.append(name)
    return tuple(out)

