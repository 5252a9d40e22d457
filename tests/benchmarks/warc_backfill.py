"""Backfill from web archives: how fast the WARC reader is, and what a whole backfill from a WARC
costs beside the same pages from a JSONL manifest.

    .venv/bin/python tests/benchmarks/warc_backfill.py [--reader-pages 3000] [--revisit-pages 1000]
        [--backfill-pages 200]

1. The reader alone (transforms/warc.py: read_warc, in this process): a generated .warc.gz of
   `--reader-pages` HTTP 200 responses, each after its request record (as wget and Heritrix
   write them), read end to end: records/s, MB/s of the compressed file. Medians of 3.
2. Revisits (read_warcs, in this process): a second .warc.gz of an identical-payload revisit
   of each of the first `--revisit-pages` pages (half at the same URL, half at another),
   read with the pages' file: each revisit found in the other file and its original read
   again at its offset. Time beside read_warc of the pages' file alone, medians of 3.
3. The whole backfill (`cfnews backfill ... --all-topics -q`, a subprocess each, a fresh --out
   each): `--warc` over a .warc.gz of `--backfill-pages` pages beside `--manifest` over a JSONL
   manifest of the same pages (`html` inline), alternating, medians of 3 rounds.

Pages: the 181 real pages of ../shared/corpora/extraction-benchmark when present (cycled
under distinct URLs for the reader), else generated article pages."""
from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.benchmarks.common import BENCH, benchmark_pages, median  # noqa: E402
from tests.warc_files import Warc, article_html  # noqa: E402

WORDS = ("France China Paris Beijing trade minister president talks agreement export cognac "
         "aviation Airbus energy nuclear climate visit delegation tariffs investment summit "
         "Macron Xi Jinping Wang Yi foreign affairs European Union market industry students "
         "culture museum exhibition wine pork dairy electric vehicles batteries").split()


def generated_pages(n: int, seed: int = 7):
    rng = random.Random(seed)
    pages = []
    for i in range(n):
        paragraphs = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(40, 80))) + "."
                      for _ in range(rng.randint(4, 9))]
        title = " ".join(rng.choice(WORDS) for _ in range(8)).capitalize()
        day = f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}"
        pages.append(article_html(f"{title} ({i})", paragraphs, published=day).encode("utf-8"))
    return pages


def load_pages(n: int):
    """(source, [html bytes] * n)."""
    if BENCH.exists():
        real = list(benchmark_pages().values())
        return f"{len(real)} extraction-benchmark pages", [real[i % len(real)] for i in range(n)]
    return "generated pages (../shared absent)", generated_pages(n)


def write_warc(path: Path, pages, with_requests: bool = True) -> int:
    """A .warc.gz of the pages; returns the number of records."""
    with Warc(str(path)) as w:
        w.warcinfo()
        for i, html in enumerate(pages):
            url = f"https://news{i % 7}.example/2024/story-{i}.html"
            if with_requests:
                w.request(url)
            w.response(url, html, date="2024-06-01T12:00:00Z")
    return len(w.offsets)


def write_revisits(pages_path: Path, path: Path, n: int) -> int:
    """A .warc.gz of a revisit of each of the first n responses of `pages_path` (even ones at
    the same URL, named by URI and date; odd ones at another URL, by payload digest)."""
    from warcio.archiveiterator import ArchiveIterator
    written = 0
    with open(pages_path, "rb") as handle, Warc(str(path)) as w:
        for record in ArchiveIterator(handle):
            if record.rec_type != "response":
                continue
            url = record.rec_headers.get_header("WARC-Target-URI")
            same = written % 2 == 0
            w.revisit(url if same else url.replace("/2024/", "/mirror/2024/"), record,
                      date="2024-06-08T12:00:00Z", refers_to=same)
            written += 1
            if written == n:
                break
    return written


def time_revisits(pages: Path, revisits: Path) -> tuple:
    from cfnews.transforms.warc import read_warcs
    started = time.perf_counter()
    items = list(read_warcs([str(revisits), str(pages)]))
    return items, time.perf_counter() - started


def write_manifest(path: Path, pages) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for i, html in enumerate(pages):
            handle.write(json.dumps({"url": f"https://news{i % 7}.example/2024/story-{i}.html",
                                     "outlet": f"news{i % 7}-example",
                                     "html": html.decode("utf-8", "replace")}) + "\n")


def time_reader(path: Path) -> tuple:
    from cfnews.transforms.warc import read_warc
    started = time.perf_counter()
    records = sum(1 for _ in read_warc(str(path)))
    return records, time.perf_counter() - started


def time_backfill(args, out: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "cfnews", "backfill", *args, "--out", str(out),
                           "--all-topics", "-q", "--runner=FnApiRunner"], cwd=ROOT,
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0 or "(adds up)" not in done.stdout:
        raise SystemExit(f"backfill failed ({done.returncode}):\n{done.stdout}\n{done.stderr[-3000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reader-pages", type=int, default=3000)
    parser.add_argument("--revisit-pages", type=int, default=1000)
    parser.add_argument("--backfill-pages", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    source, pages = load_pages(options.reader_pages)
    with tempfile.TemporaryDirectory(prefix="cfnews-warc-bench-") as tmp:
        tmp = Path(tmp)
        big = tmp / "reader.warc.gz"
        records = write_warc(big, pages)
        size_mb = big.stat().st_size / 1e6
        times = []
        for _ in range(options.rounds):
            n, seconds = time_reader(big)
            assert n == records, (n, records)
            times.append(seconds)
        t = median(times)
        print(f"pages: {source}")
        print(f"reader alone: {records} records ({len(pages)} pages + their requests + warcinfo), "
              f"{size_mb:.1f} MB gzip: median {t:.2f} s -> {records / t:,.0f} records/s, "
              f"{len(pages) / t:,.0f} pages/s, {size_mb / t:.1f} MB/s "
              f"(runs: {', '.join(f'{x:.2f}' for x in times)})")

        revisit_pages = min(options.revisit_pages, len(pages))
        if revisit_pages:
            part = tmp / "part.warc.gz"
            write_warc(part, pages[:revisit_pages])
            revisits = tmp / "revisits.warc.gz"
            n = write_revisits(part, revisits, revisit_pages)
            alone, both = [], []
            for _ in range(options.rounds):
                alone.append(time_reader(part)[1])
                items, seconds = time_revisits(part, revisits)
                both.append(seconds)
            from cfnews.schemas import FeedEntry
            entries = sum(isinstance(i, FeedEntry) for i in items)
            assert entries == 2 * revisit_pages, (entries, revisit_pages)
            a, b = median(alone), median(both)
            print(f"revisits: {revisit_pages} pages alone (read_warc) median {a:.2f} s; with a "
                  f"file of {n} revisits (read_warcs, each resolved to an entry) {b:.2f} s -> "
                  f"{n / (b - a):,.0f} revisits/s beyond the pages "
                  f"(runs: {', '.join(f'{x:.2f}' for x in alone)} / "
                  f"{', '.join(f'{x:.2f}' for x in both)})")

        small = pages[:options.backfill_pages] if not BENCH.exists() else \
            load_pages(options.backfill_pages)[1]
        warc, manifest = tmp / "pages.warc.gz", tmp / "pages.jsonl"
        write_warc(warc, small)
        write_manifest(manifest, small)
        results = {"warc": [], "manifest": []}
        for round_no in range(options.rounds):
            order = ("warc", "manifest") if round_no % 2 == 0 else ("manifest", "warc")
            for kind in order:
                out = tmp / f"out-{kind}-{round_no}"
                args = ["--warc", str(warc)] if kind == "warc" else ["--manifest", str(manifest)]
                results[kind].append(time_backfill(args, out))
        w, m = median(results["warc"]), median(results["manifest"])
        print(f"whole backfill of {len(small)} pages (cfnews backfill --all-topics, fresh --out, "
              f"subprocess, FnApiRunner in_memory), medians of {options.rounds}:")
        print(f"  --warc      {w:6.1f} s  {len(small) / w:5.1f} pages/s  "
              f"(runs: {', '.join(f'{x:.1f}' for x in results['warc'])})")
        print(f"  --manifest  {m:6.1f} s  {len(small) / m:5.1f} pages/s  "
              f"(runs: {', '.join(f'{x:.1f}' for x in results['manifest'])})")
        print(f"  warc / manifest wall time: {w / m:.2f}")


if __name__ == "__main__":
    main()
