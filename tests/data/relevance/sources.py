"""Rebuild the texts of the relevance evaluation set from public repository snapshots.

The labels (labels.tsv) are ours; the texts belong to their publishers, so they are not committed:
this module reads them from the snapshots the search tool's `fetch` brings under
/work/.mirror (or $CFNEWS_MIRROR) and yields (article_id, source, title, text). Every id is
stable: snapshot file + position + a hash of the title, so a changed snapshot is detected.
"""
from __future__ import annotations

import hashlib
import html
import os
import re
import subprocess
import threading
from pathlib import Path
from typing import Iterator, NamedTuple, Tuple

MIRROR = Path(os.environ.get("CFNEWS_MIRROR", "/work/.mirror"))

# snapshot -> the files read from it (git paths inside the newest commit)
GILETS_JAUNES = "feryah+gilets_jaunes"        # github.com/feryah/gilets_jaunes (student corpora)
GJ_FILES = {
    # path: (language, how its outlet is named)
    "Chinois_CN/corpus/corpus_zh_cn.xml": ("zh-Hans", "id"),
    "Chinois_CN/corpus/corpus_contrast_zh_cn.xml": ("zh-Hans", "id"),
    "Francais/Belgique/DH.xml": ("fr", "dh.be"),
    "Francais/Belgique/DH_CONTRAST.xml": ("fr", "dh.be"),
    "Francais/Belgique/LaLibre.xml": ("fr", "lalibre.be"),
    "Francais/Belgique/LaLibreContrast.xml": ("fr", "lalibre.be"),
    "Francais/Corpus/JDQ.xml": ("fr", "url"),
    "Francais/Corpus/fr_CA_corpus.xml": ("fr", "url"),
    "Francais/Corpus/fr_CA_corpus_contraste.xml": ("fr", "url"),
    "Francais/Corpus/fr_CH_corpus.xml": ("fr", "url"),
    "Francais/Corpus/fr_CH_corpus_contraste.xml": ("fr", "url"),
    "Francais_DZ/gilets_jaunes.xml": ("fr", "dz-press"),
    "Francais_DZ/contrast_gilets.xml": ("fr", "dz-press"),
    "Anglais/Anglais_GB/corpus/Guardian_original.xml": ("en", "theguardian.com"),
    "Anglais/Anglais_GB/corpus/Guardian_contraste.xml": ("en", "theguardian.com"),
    "Anglais/Anglais_IE/corpus/IT_original.xml": ("en", "irishtimes.com"),
    "Anglais/Anglais_IE/corpus/IT_contraste.xml": ("en", "irishtimes.com"),
    "Anglais/Anglais_US/CNN_original.xml": ("en", "cnn.com"),
    "Anglais/Anglais_US/CNN_contraste.xml": ("en", "cnn.com"),
}
OPED2 = "NodeBE4+oped2"                        # github.com/NodeBE4/oped2 (archived Chinese posts)
NEWS_BEYOND_WALL = "NodeBE4+news-beyond-wall"  # github.com/NodeBE4/news-beyond-wall (news archive)


class Item(NamedTuple):
    article_id: str
    lang: str
    source: str
    title: str
    text: str


class SnapshotMissing(RuntimeError):
    pass


def _git(snapshot: str, *args: str) -> bytes:
    repo = MIRROR / snapshot / "repo"
    if not repo.exists():
        raise SnapshotMissing(f"{repo} is absent: fetch github:{snapshot.replace('+', '/')} first")
    return subprocess.run(["git", "--git-dir", str(repo), *args], check=True,
                          capture_output=True).stdout


_TAG = re.compile(r"<[^>]+>")
_BLANKS = re.compile(r"[ \t\u3000\xa0]+")   # no line break among them: one pass over the text


def _clean(text: str) -> str:
    text = _BLANKS.sub(" ", html.unescape(_TAG.sub("\n", text)))
    lines = [line.strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def _id(where: str, n: int, title: str) -> str:
    return f"{where}#{n}-{hashlib.sha1(title.encode('utf-8')).hexdigest()[:8]}"


_ATTR = re.compile(r'(\w+)\s*=\s*"([^"]*)"')
_DOC = re.compile(r"<(doc|text|article)\b([^>]*)>(.*?)</\1>", re.S)
_DOC_OPEN = re.compile(r"<doc url=(\S+)\s*>", re.S)


def _outlet(url: str) -> str:
    host = re.sub(r"^https?://(www\.|m\.)?", "", url).split("/")[0]
    return host or "unknown"


def gilets_jaunes() -> Iterator[Item]:
    for path, (lang, naming) in GJ_FILES.items():
        raw = _git(GILETS_JAUNES, "show", f"HEAD:{path}").decode("utf-8", "replace")
        short = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        if "<doc url=" in raw:   # fr_CA/fr_CH/JDQ: <doc url=URL> text </doc>, no title
            parts = _DOC_OPEN.split(raw)[1:]
            docs = [(url, body.split("</doc>")[0]) for url, body in zip(parts[::2], parts[1::2])]
            for n, (url, body) in enumerate(docs):
                text = _clean(body)
                title, _, rest = text.partition("\n")
                if not rest.strip():      # one unbroken block: no title line to split off
                    title, rest = "", text
                yield Item(_id(short, n, text[:200]), lang, _outlet(url), title, rest)
            continue
        for n, match in enumerate(_DOC.finditer(raw)):
            attrs = dict(_ATTR.findall(match.group(2)))
            body = match.group(3)
            title = html.unescape(attrs.get("title", ""))
            inner_title = re.search(r"<title>(.*?)</title>", body, re.S)
            if inner_title:
                title = _clean(inner_title.group(1))
                body = body.replace(inner_title.group(0), "")
            title = re.sub(r"\s*\|.*$| - CNN$", "", title).strip()
            if naming == "id":
                source = attrs.get("id", "unknown").split("_")[0]
            elif naming == "url":
                source = _outlet(attrs.get("source", ""))
            else:
                source = naming
            yield Item(_id(short, n, title), lang, source, title, _clean(body))


_TRAD = set("國們與這說時會對為發經還來後個開關當體點問應戰過黨區實現義歐華總於權")
_SIMP = set("国们与这说时会对为发经还来后个开关当体点问应战过党区实现义欧华总于权")


def chinese_script(text: str) -> str:
    trad = sum(map(text.count, _TRAD))   # str.count per marker: the text is read in C
    simp = sum(map(text.count, _SIMP))
    return "zh-Hant" if trad > simp else "zh-Hans"


def _jekyll_post(path: str) -> bool:
    return path.endswith(".md") and (path.startswith("_posts/") or path.startswith("archived/"))


def _posts(snapshot: str, keep=_jekyll_post, commit: str = "HEAD",
           under: Tuple[str, ...] = ()) -> Iterator[Tuple[str, str]]:
    """(path, text) of every file of the snapshot's `commit` (its newest by default), or of the
    folders `under` it, whose path `keep` accepts (by default, the Jekyll posts), in path order,
    read through one `git cat-file --batch`."""
    listing = _git(snapshot, "ls-tree", "-r", "-z", commit, *under).decode("utf-8").split("\0")
    posts = sorted((path, meta.split()[2]) for meta, _, path in (e.partition("\t") for e in listing)
                   if path and keep(path))
    repo = MIRROR / snapshot / "repo"
    with subprocess.Popen(["git", "--git-dir", str(repo), "cat-file", "--batch"],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE) as proc:
        feeder = threading.Thread(target=_feed, args=(proc.stdin, [sha for _, sha in posts]))
        feeder.start()
        for path, _ in posts:
            header = proc.stdout.readline().split()
            if header[1] == b"missing":
                continue
            data = proc.stdout.read(int(header[2]))
            proc.stdout.read(1)
            yield path, data.decode("utf-8", "replace")
        feeder.join()


def _feed(pipe, shas):
    try:
        pipe.write("".join(sha + "\n" for sha in shas).encode())
        pipe.close()
    except BrokenPipeError:   # the reader stopped early (a caller took only the first posts)
        pass


def _post_items(snapshot: str, prefix: str) -> Iterator[Item]:
    for name, raw in _posts(snapshot):
        yield post_item(prefix, name, raw)


def post_item(prefix: str, name: str, raw: str) -> Item:
    """One Jekyll post (its git path and raw text) as an Item."""
    head, _, body = raw.partition("\n---\n")
    title = re.search(r'^title:\s*"?(.*?)"?\s*$', head, re.M)
    outlet = re.search(r"^categories:\s*\[\s*(.*?)\s*\]", head, re.M)
    body = re.sub(r"^<!--\d+-->\s*\[.*?\]\(.*?\)\s*-+\s*", "", body.strip(), flags=re.S)
    text = _clean(body)
    title = title.group(1) if title else ""
    title = re.sub(r"\s+[–-]\s+法国国际广播电台.*$", "", title)
    outlet = outlet.group(1) if outlet else "unknown"
    lang = "en" if outlet.endswith("en") else chinese_script(title + text)
    return Item(_id(prefix + name.rsplit("/", 1)[-1][:10], 0, title), lang, outlet, title, text)


BLIND_FOLDERS = ("aj", "rthk", "nhk", "kyodo")   # agora0/pen outlets in neither split
PEN_DEV_FOLDERS = ("cna",)   # agora0/pen outlets of the dev split (Taiwan's CNA; the --pen-dev round)


def blind_items() -> Iterator[Item]:
    """The agora0/pen posts of the blind batch's outlets (split `blind`; SOURCES.md), as Items."""
    from tests.data.zh_names import pen   # (pen reads its posts with this module's helpers)
    for path, raw in pen.posts(set(BLIND_FOLDERS)):
        yield pen.pen_item(path, raw)


def pen_items() -> Iterator[Item]:
    """Every agora0/pen post labelled in the set: the blind batch's outlets and the dev outlets
    (PEN_DEV_FOLDERS) whose posts were drawn for dev (`draw_candidates.py --pen-dev`)."""
    from tests.data.zh_names import pen
    for path, raw in pen.posts(set(BLIND_FOLDERS + PEN_DEV_FOLDERS)):
        yield pen.pen_item(path, raw)


# English Wikinews (en.wikinews.org; the articles are CC BY 2.5, those before 25 September 2005 in the
# public domain): the only snapshots found here that hold Wikinews article texts (SOURCES.md). Each is
# read at a pinned commit: WikinewsSum's sample was removed from its newest commit.
WIKINEWS_PREFIX = "wikinews/"
WIKINEWS_SOURCE = "en.wikinews.org"
WIKINEWS_FILES = (
    # (snapshot, commit, path): github.com/<snapshot with "/" for "+">
    ("vanatteveldt+wikinews", "347254178bf343f3801aac1d03c41cc09c35decb", "data/wikinews_2019.csv"),
    ("vanatteveldt+wikinews", "347254178bf343f3801aac1d03c41cc09c35decb", "data/wikinews_2020.csv"),
    ("airKlizz+WikinewsSum", "1d985031625909c908766812e8a18d0c88116ec8", "endataset.json"),
    ("dimitrakatseli+Wikinews", "06264e6a462ecc27ecd28aa0185be9a70fa0393c", "data/english.json"),
)
# the end of a Wikinews article's body: its sources, "have your say", categories
_WIKI_TAIL = re.compile(r"\{\{haveyoursay\}\}|==\s*Sources\s*==|\{?\{(?:publish|archived?)\}\}|\[\[Category:"
                        r"|\bCategory:", re.I)


def wikitext(text: str) -> str:
    """Plain text of a Wikinews article's wikitext: its body up to the sources, links as their
    label, templates, files and markup dropped."""
    text = _WIKI_TAIL.split(text, 1)[0]
    text = re.sub(r"\{\{w\|(?:[^|{}]*\|)?([^|{}]*)\}\}", r"\1", text)          # {{w|target|label}}
    text = re.sub(r"\[\[(?:File|Image):[^\[\]]*(?:\[\[[^\[\]]*\]\][^\[\]]*)*\]\]", "", text, flags=re.I)
    text = re.sub(r"\[\[(?:[^|\[\]]*\|)?([^|\[\]]*)\]\]", r"\1", text)       # [[target|label]]
    text = re.sub(r"\[https?://\S+ ([^\]]*)\]", r"\1", text)
    while re.search(r"\{\{[^{}]*\}\}", text):
        text = re.sub(r"\{\{[^{}]*\}\}", "", text)
    text = re.sub(r"\{\{[^{}|\n]*\|[a-z]*", "", text)     # a template left open by the snapshot
    text = re.sub(r"'{2,}", "", text)
    return _clean(text)


def wikinews_items() -> Iterator[Item]:
    """Every article of the English Wikinews snapshots (WIKINEWS_FILES), once per title, in file
    order. Ids: wikinews/<file>#<position>-<hash of the title>."""
    import csv
    import io
    import json
    csv.field_size_limit(1 << 30)
    seen = set()
    for snapshot, commit, path in WIKINEWS_FILES:
        raw = _git(snapshot, "show", f"{commit}:{path}").decode("utf-8")
        short = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        if path.endswith(".csv"):                        # url, date, title, text (plain)
            articles = [(row["title"], _clean(row["text"])) for row in csv.DictReader(io.StringIO(raw))]
        elif raw.lstrip().startswith("["):               # [{bestTitle, content}] (flattened wikitext)
            articles = [(row["bestTitle"], wikitext(row["content"])) for row in json.loads(raw)]
        else:                                            # one {title, text: [wikitext parts]} a line
            articles = [(row["title"], wikitext("\n\n".join(row["text"])))
                        for row in map(json.loads, filter(str.strip, raw.splitlines()))]
        for n, (title, text) in enumerate(articles):
            title = title.strip()
            if title in seen or not text:
                continue
            seen.add(title)
            yield Item(_id(WIKINEWS_PREFIX + short, n, title), "en", WIKINEWS_SOURCE, title, text)


# Reuters-21578, Distribution 1.0 (the Reuters newswire of 1987; "the copyright for the text of newswire
# articles and Reuters annotations in the Reuters-21578 collection resides with Reuters Ltd. Reuters Ltd. and
# Carnegie Group, Inc. have agreed to allow the free distribution of this data *for research purposes only*"):
# its 22 SGML files, from a snapshot pinned at its only commit. reut2-003.sgm there is cut short (157
# stories); its whole copy is reut2-003-full.sgm. reut2-000.sgm (stories 1-1000) is never read: those texts
# are the news texts of colibri17/TextCategorization, a reserved set (SOURCES.md).
REUTERS_PREFIX = "reuters21578/"
REUTERS_SOURCE = "Reuters"
REUTERS_SNAPSHOT = ("loki86+ksr_zadanie1V2", "d16457fd9d6d2b623fffc163746092b89a6e2fef")
REUTERS_FILES = tuple((f"reut2-{n:03d}", f"reut2-{n:03d}-full.sgm" if n == 3 else f"reut2-{n:03d}.sgm")
                      for n in range(1, 22))
REUTERS_RESERVED = "reut2-000.sgm"
_STORY = re.compile(r"<REUTERS\b[^>]*\bNEWID=\"(\d+)\"[^>]*>(.*?)</REUTERS>", re.S)


def _sgml(field: str, story: str) -> str:
    found = re.search(rf"<{field}>(.*?)</{field}>", story, re.S)
    return found.group(1) if found else ""


def _reuters_story(story: str) -> Tuple[str, str]:
    """(title, text) of one Reuters-21578 story: the text is its dateline and body; a story without
    a body (TYPE="BRIEF" or "UNPROC") is the rest of its TEXT element."""
    text = _sgml("TEXT", story) or re.sub(r"^.*?<TEXT[^>]*>", "", story, flags=re.S).split("</TEXT>")[0]
    title = _clean(_sgml("TITLE", text))
    body = _sgml("BODY", text)
    if not body:
        body = re.sub(r"<(TITLE|AUTHOR|DATELINE)>.*?</\1>", "", text, flags=re.S)
    dateline = _clean(_sgml("DATELINE", text)).rstrip(" -")
    # wire copy is wrapped at about 70 columns, a paragraph starting indented: join the wrapped lines
    body = re.sub(r"\n(?![ \t]{2})", " ", re.sub(r"&#\d+;", "", body))
    body = re.sub(r"\s*Reuter\s*$", "", _clean(body), flags=re.I)   # the sign-off
    return title, (dateline + " - " + body if dateline else body)


def reuters_items() -> Iterator[Item]:
    """Every story of Reuters-21578 but those of reut2-000.sgm (and any story repeating one of them
    word for word), in NEWID order. Ids: reuters21578/reut2-NNN#<NEWID>-<hash of the title>."""
    snapshot, commit = REUTERS_SNAPSHOT
    def stories(path):
        raw = _git(snapshot, "show", f"{commit}:{path}").decode("latin-1")
        return [(int(newid), _reuters_story(story)) for newid, story in _STORY.findall(raw)]
    reserved = {story for _, story in stories(REUTERS_RESERVED)}
    for short, path in REUTERS_FILES:
        for newid, (title, text) in stories(path):
            if (title, text) not in reserved and (title or text):
                yield Item(_id(REUTERS_PREFIX + short, newid, title), "en", REUTERS_SOURCE, title, text)


# Libération (liberation.fr), 2020-2022: a student's corpus of its articles on Covid-19 and vaccines (CheckNews
# fact-checks, daily round-ups, live pages, reports), one text file of "title, lead, date, body" blocks, in a
# snapshot pinned at its newest commit. No licence stated; the articles belong to Libération.
LIBERATION_PREFIX = "liberation/"
LIBERATION_SOURCE = "liberation.fr"
LIBERATION_SNAPSHOT = ("TitouanCiSaMe+Data_Base", "32a4a771ffce44238de0a5a4d791eefbdefeac6b",
                       "projects/algorithmes_python/original/liberation_01012020_31122022(1).txt")
# an article starts with its title line, a blank line, its lead (one line, maybe empty), a blank line,
# its date (YYYY-MM-DD) and a blank line; its body runs to the next article's title
_LIBE_HEAD = re.compile(r"(?m)^([^\n]+)\n\n([^\n]*)\n\n(\d{4}-\d{2}-\d{2})\n\n")


def liberation_items() -> Iterator[Item]:
    """Every article of the Libération corpus file, in file order; the text is the lead and the
    body. Ids: liberation/<file>#<position>-<hash of the title>."""
    snapshot, commit, path = LIBERATION_SNAPSHOT
    raw = _git(snapshot, "show", f"{commit}:{path}").decode("utf-8").replace("\r\n", "\n")
    heads = list(_LIBE_HEAD.finditer(raw))
    short = "liberation_2020_2022"
    for n, head in enumerate(heads):
        end = heads[n + 1].start() if n + 1 < len(heads) else len(raw)
        title, lead = head.group(1).strip(), head.group(2).strip()
        text = _clean(html.escape(lead + "\n" + raw[head.end():end], quote=False))
        yield Item(_id(LIBERATION_PREFIX + short, n, title), "fr", LIBERATION_SOURCE, title, text)


ECONOMIST_SOURCE = "经济学人en"   # The Economist (English) in news-beyond-wall, a dev outlet


def economist_items() -> Iterator[Item]:
    """Every news-beyond-wall post of The Economist (outlet ECONOMIST_SOURCE), once per id, in path
    order: the posts `draw_candidates.py --economist` draws from (they are among all_items())."""
    seen = set()
    for name, raw in _posts(NEWS_BEYOND_WALL):
        if ECONOMIST_SOURCE not in raw:   # its outlet is read from the raw text: not one of its posts
            continue
        item = post_item("nbw/", name, raw)
        if item.source == ECONOMIST_SOURCE and item.article_id not in seen:
            seen.add(item.article_id)
            yield item


def all_items() -> Iterator[Item]:
    seen = set()
    for items in (gilets_jaunes(), _post_items(OPED2, "oped2/"),
                  _post_items(NEWS_BEYOND_WALL, "nbw/")):
        for item in items:
            if item.article_id not in seen:
                seen.add(item.article_id)
                yield item


# AllSides (github.com/ramybaly/Article-Bias-Prediction, "We Can Detect Your Bias", EMNLP 2020): 37,554
# English articles of 2012-2020 crawled from allsides.com, one JSON file each (data/jsons/<ID>.json: title,
# source, source_url, url, date, content_original as newspaper3k returned it), from about 70 US and British
# outlets; read at a pinned commit. The repository is Apache-2.0; the articles belong to their publishers.
ALLSIDES_PREFIX = "allsides/"
ALLSIDES_SNAPSHOT = ("ramybaly+Article-Bias-Prediction", "ced8111a720948e6a410e52031ace99c4e53f096")
# an outlet another snapshot already holds keeps that outlet's name here, so that one outlet never spans
# two splits nor two cross-validation folds (BBC, The New York Times, Reuters: their Chinese services or
# Reuters-21578 are test outlets; The Economist and The Epoch Times are dev outlets); any other outlet is
# the host of its home page (AllSides's `source_url`), columnists and guest writers under their host
ALLSIDES_OUTLETS = {"cnn.com": "cnn.com", "money.cnn.com": "cnn.com", "theguardian.com": "theguardian.com",
                    "bbc.com": "BBC", "bbc.co.uk": "BBC", "nytimes.com": "纽约时报", "reuters.com": "Reuters",
                    "economist.com": "经济学人en", "theepochtimes.com": "大纪元",
                    "aljazeera.com": "半島電視台"}


def allsides_outlet(source_url: str) -> str:
    host = re.sub(r"^(https?://)?(www\d?\.|m\.)?", "", source_url or "").split("/")[0]
    return ALLSIDES_OUTLETS.get(host, host or "unknown")


def allsides_records() -> Iterator[dict]:
    """Every article of the AllSides snapshot as its JSON record, in file (ID) order."""
    import json
    snapshot, commit = ALLSIDES_SNAPSHOT
    keep = lambda path: path.startswith("data/jsons/") and path.endswith(".json")  # noqa: E731
    for _, raw in _posts(snapshot, keep, commit, ("data/jsons/",)):
        yield json.loads(raw)


def allsides_items() -> Iterator[Item]:
    """Every article of the AllSides snapshot, in file (ID) order: title, the text as crawled
    (`content_original`), the outlet (allsides_outlet). Ids: allsides/<ID>#0-<hash of the title>."""
    for doc in allsides_records():
        title = _clean(html.escape(doc.get("title") or "", quote=False))
        text = _clean(html.escape(doc.get("content_original") or "", quote=False))
        yield Item(_id(ALLSIDES_PREFIX + doc["ID"], 0, title), "en",
                   allsides_outlet(doc.get("source_url", "")), title, text)


# OrangeSum (github.com/Tixierae/OrangeSum, "BARThez", Kamal Eddine, Tixier and Vazirgiannis, 2020): French news
# articles scraped from Orange Actu (actu.orange.fr; France, world, politics, society; most of them AFP wire copy),
# February 2011 - September 2020, one JSON file each (data/docs/parsed/<n>.json: title, heading (the lead), date,
# article), read at a pinned commit. The repository is CC BY-SA 4.0; the articles belong to their publishers.
ORANGESUM_PREFIX = "orangesum/"
ORANGESUM_SOURCE = "actu.orange.fr"
ORANGESUM_SNAPSHOT = ("Tixierae+OrangeSum", "e6f8a6e3b71006ad62b450bedbb5e88e2236657b")


def orangesum_items() -> Iterator[Item]:
    """Every parsed article of the OrangeSum snapshot, in path order: title, the text (the lead, then
    the body). Ids: orangesum/<n>#0-<hash of the title>."""
    import json
    snapshot, commit = ORANGESUM_SNAPSHOT
    keep = lambda path: path.startswith("data/docs/parsed/") and path.endswith(".json")  # noqa: E731
    for path, raw in _posts(snapshot, keep, commit, ("data/docs/parsed/",)):
        doc = json.loads(raw)
        number = path.rsplit("/", 1)[-1][:-len(".json")]
        title = _clean(html.escape(doc.get("title") or "", quote=False))
        text = _clean(html.escape((doc.get("heading") or "") + "\n" + (doc.get("article") or ""), quote=False))
        yield Item(_id(ORANGESUM_PREFIX + number, 0, title), "fr", ORANGESUM_SOURCE, title, text)
