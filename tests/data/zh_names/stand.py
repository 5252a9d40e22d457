"""Posts of 立場新聞 (Stand News, Hong Kong, closed December 2021) in the agora0/21q2 snapshot
(github.com/agora0/21q2: "零博客 2021.Q2", a Jekyll site republishing several Chinese-language
publications, April-June 2021) as relevance-set style items.

Each post is one file `_posts/YYYY-MM-DD-STAND-<slug>.html`: a YAML front matter (title, date,
link, categories, author) and the article as HTML paragraphs. Its text is those paragraphs, one
line per paragraph, without the headline. `author` is the byline field: 立場報道 marks the
newsroom's own reports (the rest are columns, readers' letters and reposts of other outlets)."""
from __future__ import annotations

import re
import subprocess
from typing import Iterator, Tuple

from tests.data.relevance.sources import MIRROR, Item, _clean, _git, _id, chinese_script

SNAPSHOT = "agora0+21q2"
PREFIX = "stand/"
OUTLET = "立場新聞"
NEWSROOM = "立場報道"
_PATH = re.compile(r"^_posts/(\d{4}-\d{2}-\d{2})-STAND-.+\.html$")
_FIELD = re.compile(r"^(\w+):[ \t]*(.*?)[ \t]*$", re.M)


def front_matter(raw: str) -> Tuple[dict, str]:
    """(fields, body) of a post: the fields of its front matter between the two `---` lines."""
    if not raw.startswith("---\n"):
        raise ValueError("no front matter")
    head, sep, body = raw[4:].partition("\n---\n")
    if not sep:
        raise ValueError("front matter not closed")
    fields = {key: value.strip('"') for key, value in _FIELD.findall(head)}
    return fields, body


def stand_item(path: str, raw: str) -> Item:
    match = _PATH.match(path)
    if not match:
        raise ValueError(f"{path}: not a Stand News post of the snapshot")
    fields, body = front_matter(raw)
    title = _clean(fields.get("title", ""))
    text = _clean(re.sub(r"</p>", "</p>\n", body))
    return Item(_id(f"{PREFIX}{match.group(1)}", 0, title), chinese_script(title + text), OUTLET,
                title, text)


def author(raw: str) -> str:
    return front_matter(raw)[0].get("author", "")


def posts() -> Iterator[Tuple[str, str]]:
    """(path, raw page) of the snapshot's Stand News posts, in path order."""
    listing = _git(SNAPSHOT, "ls-tree", "-r", "-z", "HEAD", "_posts").decode("utf-8").split("\0")
    wanted = sorted((path, meta.split()[2]) for meta, _, path in (e.partition("\t") for e in listing)
                    if _PATH.match(path))
    repo = MIRROR / SNAPSHOT / "repo"
    query = "".join(sha + "\n" for _, sha in wanted).encode()
    out = subprocess.run(["git", "--git-dir", str(repo), "cat-file", "--batch"], input=query,
                         check=True, capture_output=True).stdout
    at = 0
    for path, _ in wanted:
        end = out.index(b"\n", at)
        size = int(out[at:end].split()[2])
        yield path, out[end + 1:end + 1 + size].decode("utf-8", "replace")
        at = end + 1 + size + 1
