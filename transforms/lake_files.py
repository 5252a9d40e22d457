"""The data files of an output folder, listed without Beam (`cfnews sql` starts faster without
it): the three datasets' Parquet files by name, and the folder the derived indexes live in."""
from __future__ import annotations

import os
from typing import Dict

from cfnews.schemas.arrow import DATASETS

INDEX_DIR = "_index"   # derived data (history index, versions cache): always safe to delete


def local_data_files(out_dir: str) -> Dict[str, int]:
    """{dataset-relative path: 0} of every Parquet file of the three datasets. Names are
    enough to tell files apart: a name carries a digest of its rows (a rewrite with other
    rows gets another name), so no file is stat'ed (a year of partitions is ~11,000 files)."""
    files = {}

    def walk(folder: str, rel: str, depth: int) -> None:
        try:
            entries = list(os.scandir(folder))
        except (FileNotFoundError, NotADirectoryError):
            return
        for entry in entries:
            name = entry.name
            if depth < 2:
                if name.startswith(("date=", "outlet=")) and entry.is_dir(follow_symlinks=False):
                    walk(entry.path, f"{rel}/{name}", depth + 1)
            elif name.endswith(".parquet") and not name.startswith("."):
                files[f"{rel}/{name}"] = 0
    for dataset in DATASETS:
        walk(os.path.join(out_dir, dataset), dataset, 0)
    return files
