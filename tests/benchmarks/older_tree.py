"""Another version of this repository's code, side by side with this tree's: a commit extracted
with `git archive`, whose `cfnews` packages are then imported from that folder (pyproject.toml's
package-dir) instead of the installed tree. Used by the Chinese names benchmarks to time or
replay an older tagger (`zh_names_eval.py --compare`, `zh_names_replay.py`)."""
from __future__ import annotations

import contextlib
import importlib
import importlib.machinery
import importlib.util
import os
import subprocess
import sys
import tempfile
from typing import Callable, Iterator

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Where each cfnews package lives in a tree (pyproject.toml's package-dir).
PACKAGES = {"cfnews": "cfnews", "cfnews.pipeline": "pipeline", "cfnews.schemas": "schemas",
            "cfnews.transforms": "transforms"}


class TreeFinder:
    """A meta-path finder that serves `cfnews` and its modules from `tree`."""

    def __init__(self, tree: str):
        self.tree = tree

    def find_spec(self, name, path=None, target=None):
        if name in PACKAGES:
            folder = os.path.join(self.tree, PACKAGES[name])
            return importlib.util.spec_from_file_location(
                name, os.path.join(folder, "__init__.py"), submodule_search_locations=[folder])
        parent = name.rpartition(".")[0]
        if parent in PACKAGES:
            return importlib.machinery.PathFinder.find_spec(name, [os.path.join(self.tree, PACKAGES[parent])])
        return None


@contextlib.contextmanager
def extracted(commit: str) -> Iterator[str]:
    """A temporary folder holding this repository's files at `commit`."""
    with tempfile.TemporaryDirectory() as tree:
        archive = subprocess.run(["git", "-C", ROOT, "archive", commit], check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", tree], input=archive, check=True)
        yield tree


def _ours(name: str) -> bool:
    return name == "cfnews" or name.startswith("cfnews.")


def function_of(tree: str, module: str, function: str, warm_up: Callable = None) -> Callable:
    """`module.function` as `tree` has it, in this process beside this tree's own modules. The
    tree's modules are imported under their usual names and then taken out of `sys.modules`
    again, so later imports get this tree's. `warm_up(f)` runs while the tree is in place, so
    that what `f` imports or loads on its first call (lexicons, lazy imports) is the tree's."""
    saved = {name: sys.modules.pop(name) for name in [n for n in sys.modules if _ours(n)]}
    finder = TreeFinder(tree)
    sys.meta_path.insert(0, finder)
    try:
        loaded = importlib.import_module(module)
        if not os.path.abspath(loaded.__file__).startswith(os.path.abspath(tree)):
            raise RuntimeError(f"{module} came from {loaded.__file__}, not from {tree}")
        found = getattr(loaded, function)
        if warm_up is not None:
            warm_up(found)
        return found
    finally:
        sys.meta_path.remove(finder)
        for name in [n for n in sys.modules if _ours(n)]:
            del sys.modules[name]
        sys.modules.update(saved)
