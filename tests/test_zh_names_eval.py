"""tests/benchmarks/zh_names_eval.py run as its users run it (a subprocess): a selection of the
gold with no article (the blind split between batches, a batch of another split) gives a clear
message and a non-zero status, not a division by zero in the cost figures."""
import os
import subprocess
import sys

from tests.data.zh_names import sources

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "tests", "benchmarks", "zh_names_eval.py")


def _run(*args):
    return subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True,
                          timeout=300, cwd=ROOT)


def test_a_batch_of_another_split_is_an_empty_selection_with_a_clear_message():
    gold = sources.load_gold()
    # batch 2026-12-04 (18 RTHK posts) is dev's: no test article carries its mark
    assert any(a.get("added") == "2026-12-04" for a in gold)
    assert not any(a.get("added") == "2026-12-04" and a["split"] == "test" for a in gold)
    done = _run("--split", "test", "--added", "2026-12-04")   # default rounds: the path that divided
    assert done.returncode == 2, done.stderr
    assert "no gold article in split test of batch 2026-12-04: nothing to score" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""

