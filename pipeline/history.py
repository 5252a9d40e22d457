"""What earlier runs already wrote: the datasets themselves are the record of what was seen,
so a `--once` run processes only new entries without any separate state to lose."""
from __future__ import annotations

import logging

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.fs as pafs

from schemas import Reason
from transforms.write import join

log = logging.getLogger(__name__)

# Rejections worth another try on the next poll: the server or the network may recover.
RETRYABLE_REASONS = (Reason.TIMEOUT.value, Reason.CONNECTION_ERROR.value)


def _dataset(path: str):
    filesystem, root = pafs.FileSystem.from_uri(path) if "://" in path else (
        pafs.LocalFileSystem(), path)
    info = filesystem.get_file_info(root)
    if info.type != pafs.FileType.Directory:
        return None
    return ds.dataset(root, filesystem=filesystem, format="parquet",
                      exclude_invalid_files=True)


def seen_article_ids(out_dir: str) -> frozenset:
    """Article ids already in `articles`, `duplicates` or (finally) `rejected` under out_dir."""
    seen = set()
    for name in ("articles", "duplicates"):
        dataset = _dataset(join(out_dir, name))
        if dataset is not None:
            seen.update(dataset.to_table(columns=["article_id"]).column(0).to_pylist())
    rejected = _dataset(join(out_dir, "rejected"))
    if rejected is not None:
        table = rejected.to_table(columns=["article_id", "reason", "http_status"])
        status = table.column("http_status")
        retryable = pc.or_kleene(
            pc.is_in(table.column("reason"), value_set=pa.array(RETRYABLE_REASONS)),
            pc.and_(pc.equal(table.column("reason"), Reason.HTTP_ERROR.value),
                    pc.fill_null(pc.or_(pc.greater_equal(status, 500), pc.equal(status, 429)), False)))
        final = table.filter(pc.invert(pc.fill_null(retryable, False)))
        seen.update(final.column("article_id").to_pylist())
    seen.discard(None)
    seen.discard("")
    log.info("%d article ids already in %s", len(seen), out_dir)
    return frozenset(seen)
