"""What earlier runs already wrote: the datasets themselves are the record of what was seen,
so a `--once` run processes only new entries without any separate state to lose."""
from __future__ import annotations

import logging

import pyarrow.dataset as ds
import pyarrow.fs as pafs

from transforms.write import join

log = logging.getLogger(__name__)



def _dataset(path: str):
    filesystem, root = pafs.FileSystem.from_uri(path) if "://" in path else (
        pafs.LocalFileSystem(), path)
    info = filesystem.get_file_info(root)
    if info.type != pafs.FileType.Directory:
        return None
    return ds.dataset(root, filesystem=filesystem, format="parquet",
                      exclude_invalid_files=True)


def written_ids(out_dir: str) -> frozenset:
    """Every article id with a row in any dataset (retryable rejections included)."""
    ids = set()
    for name in ("articles", "duplicates", "rejected"):
        dataset = _dataset(join(out_dir, name))
        if dataset is not None:
            ids.update(dataset.to_table(columns=["article_id"]).column(0).to_pylist())
    ids.discard(None)
    ids.discard("")
    return frozenset(ids)


def seen_article_ids(out_dir: str) -> frozenset:
    """Ids an earlier run already wrote: every entry is handled once (transient failures are
    retried within the fetch, with backoff, not across runs), so each entry ends in exactly
    one dataset."""
    seen = written_ids(out_dir)
    log.info("%d article ids already in %s", len(seen), out_dir)
    return seen


def recent_articles(out_dir: str, since) -> list:
    """Articles already written whose event time is at or after `since`: the near-duplicate
    index of earlier runs, rebuilt from the datasets (so it can never disagree with them)."""
    import pyarrow.compute as pc
    from schemas import Article
    dataset = _dataset(join(out_dir, "articles"))
    if dataset is None:
        return []
    columns = ["article_id", "url", "canonical_url", "feed_url", "entry_id", "title", "text",
               "published_at", "discovered_at", "cluster_id"]
    articles = []
    for fragment in dataset.get_fragments():
        outlet = fragment.path.split("outlet=", 1)[1].split("/", 1)[0] if "outlet=" in fragment.path else ""
        part = fragment.to_table(columns=columns)
        ev = pc.coalesce(part.column("published_at"), part.column("discovered_at"))
        for row in part.filter(pc.greater_equal(ev, since)).to_pylist():
            articles.append(Article(outlet=outlet, **{k: row[k] for k in columns}))
    return articles
