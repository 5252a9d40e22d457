"""Helpers shared by the benchmarks: ../shared discovery, a loopback server of the
extraction-benchmark pages, medians."""
from __future__ import annotations

import gzip
import json
import pickle
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


def read_pairs_tsv(path, key_columns: int) -> Dict[tuple, List[str]]:
    """A read-pairs file (`data/*_read.tsv`: '#' comment lines, one header row, tab-separated):
    the first `key_columns` cells of each row -> the rest; {} when the file is absent."""
    if not Path(path).exists():
        return {}
    with open(path, encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t") for line in f if not line.startswith("#")]
    return {tuple(row[:key_columns]): row[key_columns:] for row in rows[1:]}


def load_dump(path: str) -> dict:
    """A study's `--dump` pickle (the readers' documents, articles and matches per source),
    or {} when no path is given: what `--load` reuses instead of running the sources again."""
    if not path:
        return {}
    with open(path, "rb") as handle:
        return pickle.load(handle)


def save_dump(path: str, dump) -> None:
    """Write a study's `--dump` pickle (read back by `load_dump`)."""
    with open(path, "wb") as handle:
        pickle.dump(dump, handle)


def median(values: List[float]) -> float:
    return statistics.median(values)


class PublishingSite:
    """A loopback news site whose RSS feed gains a story every `period` seconds (real article
    text: the extraction benchmark's gold bodies), keeping the newest 50 items, as a live feed
    does. `appeared[n]` is when story n was first in the feed."""

    def __init__(self, period: float, outlet: str = "live"):
        import threading
        from tests.conftest import LocalServer
        self.period, self.outlet = period, outlet
        self.bodies = [b for b in gold_bodies().values() if len(b) > 800]
        self.server = LocalServer()
        self.server.routes["/feed.xml"] = self._feed
        self.published: List[int] = []
        self.appeared: Dict[int, float] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._publish_forever, daemon=True)

    @property
    def host_port(self) -> str:
        return self.server.host_port

    def feed_source(self):
        from cfnews.schemas import FeedSource
        return FeedSource(outlet=self.outlet, url=self.server.url("/feed.xml"), language="en",
                          country="US")

    def start(self) -> "PublishingSite":
        self._thread.start()
        return self

    def stop_publishing(self) -> None:
        self._stop.set()

    def close(self) -> None:
        self._stop.set()
        self.server.stop()

    def story_number(self, url: str) -> int:
        return int(url.rsplit("/", 1)[1])

    def _publish(self, n: int) -> None:
        import time
        body = self.bodies[n % len(self.bodies)]
        paragraphs = "".join(f"<p>{p}</p>" for p in body.split("\n") if p.strip())
        self.server.add(f"/a/{n}", f"<html><body><article><h1>Story {n}</h1>{paragraphs}"
                                   "</article></body></html>")
        with self._lock:
            self.published.append(n)
            self.appeared[n] = time.time()

    def _publish_forever(self) -> None:  # stories appear continuously, not just before polls
        n = 0
        while not self._stop.is_set():
            self._publish(n)
            n += 1
            self._stop.wait(self.period)

    def _feed(self, handler) -> None:
        from tests.conftest import respond
        with self._lock:
            numbers = self.published[-50:]
        items = "".join(f"<item><title>Story {n}</title><link>{self.server.url(f'/a/{n}')}</link>"
                        f"<guid isPermaLink='false'>s{n}</guid></item>" for n in numbers)
        body = f"<rss version='2.0'><channel><title>t</title>{items}</channel></rss>".encode()
        respond(handler, 200, {"Content-Type": "application/rss+xml"}, body)


def percentile(sorted_values: List[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    return sorted_values[min(len(sorted_values) - 1, round(fraction * (len(sorted_values) - 1)))]


def set_cap(cap: int) -> None:
    """Study a fingerprint CAP other than transforms/fingerprint.CAP, for this process only:
    the constant and the defaults of `sample` and `fingerprint` (bound when they were
    defined), which every caller (dedup.article_fingerprint, the history's re-fingerprinting)
    goes through."""
    from cfnews.transforms import fingerprint as fp
    fp.CAP = cap
    fp.sample.__defaults__ = (fp.BASE_RATE, cap)
    fp.fingerprint.__defaults__ = (fp.SHINGLE_WORDS, fp.BASE_RATE, cap)


def set_threshold(threshold: float = 0.0, same_outlet: float = 0.0) -> None:
    """Study other containment bases (dedup.CONTAINMENT_THRESHOLD, SAME_OUTLET_THRESHOLD; 0:
    unchanged) for this process only: the defaults of DedupParams and the DedupParams() that
    dedup_in_memory binds as its default."""
    import dataclasses
    from cfnews.transforms import dedup
    names = [f.name for f in dataclasses.fields(dedup.DedupParams) if f.init]
    defaults = list(dedup.DedupParams.__init__.__defaults__)
    if threshold:
        defaults[names.index("threshold")] = threshold
    if same_outlet:
        defaults[names.index("same_outlet_threshold")] = same_outlet
    dedup.DedupParams.__init__.__defaults__ = tuple(defaults)
    dedup.dedup_in_memory.__defaults__ = (dedup.DedupParams(),) + dedup.dedup_in_memory.__defaults__[1:]


def seed_range(text: str) -> List[int]:
    """Seeds written as ranges and single numbers: "1-15", "16-40,45"."""
    seeds = []
    for part in text.split(","):
        first, _, last = part.partition("-")
        seeds += list(range(int(first), int(last or first) + 1))
    return seeds
