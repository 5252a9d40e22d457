"""Helpers shared by the benchmarks: ../shared discovery, a loopback server of the
extraction-benchmark pages, medians."""
from __future__ import annotations

import gzip
import json
import statistics
import sys
from pathlib import Path
from typing import Dict, List

SHARED = Path(__file__).resolve().parents[3] / "shared"
BENCH = SHARED / "corpora" / "extraction-benchmark"


def require_shared(path: Path = BENCH) -> None:
    if not path.exists():
        print(f"SKIPPED: {path} is absent (benchmarks need ../shared beside the repository)")
        sys.exit(0)


def benchmark_pages() -> Dict[str, bytes]:
    """id -> raw HTML bytes of the 181 real pages."""
    return {p.name.split(".")[0]: gzip.decompress(p.read_bytes())
            for p in sorted((BENCH / "html").glob("*.html.gz"))}


def gold_bodies() -> Dict[str, str]:
    return {k: v["articleBody"] for k, v in json.loads((BENCH / "ground-truth.json").read_text()).items()}


def median(values: List[float]) -> float:
    return statistics.median(values)
