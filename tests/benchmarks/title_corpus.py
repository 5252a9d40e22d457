"""Pages with hand-checked titles for the extraction benchmark (tests/benchmarks/extraction_eval.py).

Two sets, gold in tests/benchmarks/data/titles/ (see the README there for sources, licences and
how the titles were read):
  * `shared`: the 181 pages of ../shared/corpora/extraction-benchmark (Zyte article-extraction-
    benchmark, MIT) with our titles beside its gold bodies;
  * `public`: 58 real news pages from two extractors' public test fixtures (goose3, Apache-2.0;
    newspaper4k, MIT). The HTML is not committed: it is read from the repositories' snapshots,
    fetched once (the search tool's `fetch`) into /work/.mirror or a folder given by
    CFNEWS_TITLE_PAGES_MIRROR, at the commits pinned below.

Each page is (id, html str, url, gold title, gold body or None, split)."""
from __future__ import annotations

import gzip
import json
import os
import subprocess
from pathlib import Path
from typing import Iterator, NamedTuple, Optional

from tests.benchmarks.common import BENCH, gold_bodies

DATA = Path(__file__).resolve().parent / "data" / "titles"
MIRROR = Path(os.environ.get("CFNEWS_TITLE_PAGES_MIRROR", "/work/.mirror"))
SNAPSHOTS = {  # source -> (mirror folder, commit the gold was read from)
    "goose3": ("goose3+goose3", "c5a8902eed0c4592a1ff5ec51a0277cf73a3aca7"),
    "newspaper4k": ("AndyTheFactory+newspaper4k", "540bff3e8344cb8291c4829fafd98860f30d9692"),
}


class TitledPage(NamedTuple):
    page_id: str
    html: str
    url: str
    title: str
    body: Optional[str]
    split: str


def shared_pages() -> Iterator[TitledPage]:
    titles = json.loads((DATA / "extraction_benchmark_titles.json").read_text(encoding="utf-8"))
    truth = json.loads((BENCH / "ground-truth.json").read_text(encoding="utf-8"))
    bodies = gold_bodies()
    for page_id, gold in sorted(titles.items()):
        raw = gzip.decompress((BENCH / "html" / f"{page_id}.html.gz").read_bytes())
        yield TitledPage(page_id, raw.decode("utf-8", "replace"), truth[page_id]["url"],
                         gold["title"], bodies[page_id], gold["split"])


def public_pages_available() -> bool:
    return all((MIRROR / folder / "repo").exists() for folder, _ in SNAPSHOTS.values())


def public_pages() -> Iterator[TitledPage]:
    gold = json.loads((DATA / "public_test_pages_titles.json").read_text(encoding="utf-8"))
    for page_id, item in sorted(gold.items()):
        folder, commit = SNAPSHOTS[item["repo"]]
        html = subprocess.run(["git", "-C", str(MIRROR / folder / "repo"), "show",
                               f"{commit}:{item['path']}"], capture_output=True, check=True).stdout
        yield TitledPage(page_id, html.decode("utf-8"), item["url"] or "", item["title"], None,
                         item["split"])
