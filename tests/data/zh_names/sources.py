"""Rebuild the texts of the Chinese names gold set (gold.json) from public repository snapshots.

The labels are ours; the texts belong to their publishers, so only their location is committed:
snapshot + git path of the post, the article id of the relevance set (file date + a hash of the
title) and a hash of the annotated excerpt, so a changed snapshot is detected rather than scored.
The annotated text of an article is its lede: whole paragraphs up to EXCERPT_CHARS characters
(see GUIDELINES.md).

    python -m tests.data.zh_names.sources locate ID...   # git paths of relevance-set ids
"""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
import functools
from typing import Callable, Dict, Iterator, List, Tuple

from tests.data.relevance.sources import Item, MIRROR, SnapshotMissing, _git, post_item
from tests.data.zh_names import inmedia, pen, pq, rthk25, stand, vocus

GOLD = Path(__file__).resolve().parent / "gold.json"
EXCERPT_CHARS = 700
PREFIX = {"NodeBE4+news-beyond-wall": "nbw/", "NodeBE4+oped2": "oped2/", pen.SNAPSHOT: pen.PREFIX,
          rthk25.SNAPSHOT: rthk25.PREFIX, **{snapshot: stand.PREFIX for snapshot in stand.SNAPSHOTS},
          **{snapshot: pq.PREFIX for snapshot in pq.SNAPSHOTS}}
TYPES = ("PERSON", "PLACE", "ORG")
# (path, raw page) -> item, per snapshot (news-beyond-wall and oped2: the plain Jekyll reader)
READERS: Dict[str, Callable[[str, str], Item]] = {
    **{snapshot: functools.partial(post_item, PREFIX[snapshot])
       for snapshot in ("NodeBE4+news-beyond-wall", "NodeBE4+oped2")},
    pen.SNAPSHOT: pen.pen_item, rthk25.SNAPSHOT: rthk25.rthk_item,
    **{snapshot: functools.partial(stand.stand_item, snapshot=snapshot)
       for snapshot in stand.SNAPSHOTS},
    **{snapshot: pq.pq_item for snapshot in pq.SNAPSHOTS}}
_STAND_21Q4 = READERS[inmedia.SNAPSHOT]


def _read_21q4(path: str, raw: str) -> Item:
    """agora0/21q4 also holds 獨立媒體 (In-Media) posts: the reader is picked by the post's path."""
    return (inmedia.inmedia_item if inmedia.is_post(path) else _STAND_21Q4)(path, raw)


READERS[inmedia.SNAPSHOT] = _read_21q4


def _read_quarter(path: str, raw: str) -> Item:
    """The quarterly snapshots of 報呱 also hold Vocus 方格子 posts: the reader is picked by the
    post's path."""
    return (vocus.vocus_item if vocus.is_post(path) else pq.pq_item)(path, raw)


for _snapshot in vocus.SNAPSHOTS:
    READERS[_snapshot] = _read_quarter


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """Whole lines (paragraphs) while they fit in `limit`; a first paragraph longer than that is
    cut after its last full stop within the limit."""
    kept: List[str] = []
    size = 0
    for line in text.split("\n"):
        if kept and size + len(line) > limit:
            break
        if not kept and len(line) > limit:
            stop = line.rfind("。", 0, limit)
            line = line[:stop + 1] if stop > 0 else line[:limit]
        kept.append(line)
        size += len(line) + 1
    return "\n".join(kept)


def digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def load_gold() -> List[Dict]:
    return json.loads(GOLD.read_text(encoding="utf-8"))["articles"]


def articles() -> Iterator[Tuple[Dict, str]]:
    """(gold entry, annotated text) for every article; SnapshotMissing when a snapshot is absent,
    ValueError when a post no longer is the one annotated."""
    for entry in load_gold():
        raw = _git(entry["snapshot"], "show", f"HEAD:{entry['path']}").decode("utf-8", "replace")
        item = READERS[entry["snapshot"]](entry["path"], raw)
        text = excerpt(item.text)
        if item.article_id != entry["id"] or digest(text) != entry["sha1"]:
            raise ValueError(f"{entry['id']}: the snapshot's post differs from the one annotated")
        yield entry, text


def locate(snapshot: str, article_ids: List[str]) -> Dict[str, str]:
    """Git paths of relevance-set article ids (their prefix names the post's date)."""
    repo = MIRROR / snapshot / "repo"
    if not repo.exists():
        raise SnapshotMissing(f"{repo} is absent")
    listing = subprocess.run(["git", "--git-dir", str(repo), "ls-tree", "-r", "-z", "--name-only",
                              "HEAD"], check=True, capture_output=True).stdout.decode().split("\0")
    found = {}
    for article_id in article_ids:
        date = article_id.split("/", 1)[1][:10]
        for path in listing:
            if path.endswith(".md") and path.rsplit("/", 1)[-1].startswith(date):
                raw = _git(snapshot, "show", f"HEAD:{path}").decode("utf-8", "replace")
                if post_item(PREFIX[snapshot], path, raw).article_id == article_id:
                    found[article_id] = path
                    break
    return found


if __name__ == "__main__":
    if sys.argv[1:2] == ["locate"]:
        for snap in ("NodeBE4+news-beyond-wall", "NodeBE4+oped2"):
            ids = [i for i in sys.argv[2:] if i.startswith(PREFIX[snap])]
            if ids:
                print(json.dumps(locate(snap, ids), ensure_ascii=False, indent=1))
