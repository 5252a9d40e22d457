"""What two cores give on this workload, outside Beam: the plain loop of throughput.py
(fetch -> trafilatura -> langdetect -> spaCy NER over the 181 benchmark pages), one process
alone, then two processes at once. The throughput gain of two (2 x alone / slowest of two)
is the ceiling any two-worker run can reach here; compare throughput.py's multi_processing
speed-up with it.

    python tests/benchmarks/core_scaling.py [--rounds 3]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from tests.benchmarks.common import benchmark_pages, median, require_shared  # noqa: E402
from tests.benchmarks.throughput import child_command, child_result, serve  # noqa: E402


def loops_at_once(n: int, server, urls_file: str) -> list:
    command = child_command("loop", server.base_url, server.host_port, urls_file)
    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                  text=True) for _ in range(n)]
    return [child_result(p.communicate()[0]) for p in processes]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    require_shared()
    pages = benchmark_pages()
    server = serve(pages)
    gains = []
    try:
        with tempfile.NamedTemporaryFile("w", suffix=".txt") as urls_file:
            urls_file.write("\n".join(server.url(f"/p/{k}.html") for k in sorted(pages)))
            urls_file.flush()
            for r in range(args.rounds):
                [alone] = loops_at_once(1, server, urls_file.name)
                pair = loops_at_once(2, server, urls_file.name)
                gains.append(2 * alone["seconds"] / max(p["seconds"] for p in pair))
                print(f"round {r + 1}: one loop alone {alone['seconds']:.1f}s "
                      f"({alone['cpu']:.1f} CPU-s); two at once "
                      f"{' / '.join(format(p['seconds'], '.1f') for p in pair)}s; "
                      f"throughput of two processes {gains[-1]:.2f}x", flush=True)
    finally:
        server.stop()
    print(f"median throughput gain of two processes over one: {median(gains):.2f}x")


if __name__ == "__main__":
    main()
