"""tests/benchmarks/older_tree.py: another commit's tagger, loaded beside this tree's, is that
commit's code, and this tree's modules are this tree's again afterwards."""
import subprocess
import sys

import pytest

from tests.benchmarks.older_tree import extracted, function_of

# The last commit before the Chinese name rules were split into modules by kind: its tagger is
# one file, zh_names.py.
SINGLE_FILE_TAGGER = "b8d8880"
TEXT = "法国总统马克龙4月访问北京，与中国国家主席习近平会谈。"


@pytest.fixture
def older_checkout():
    try:
        with extracted(SINGLE_FILE_TAGGER) as tree:
            yield tree
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"this checkout's history lacks {SINGLE_FILE_TAGGER} (a shallow clone?): {exc.stderr!r}")


def test_a_commit_s_tagger_runs_beside_this_tree_s_and_leaves_this_tree_s_modules_in_place(older_checkout):
    older = function_of(older_checkout, "cfnews.transforms.zh_names", "chinese_name_spans",
                        warm_up=lambda tag: tag(TEXT))
    assert older.__globals__["__file__"].startswith(older_checkout)
    assert older.__globals__["_organisation"].__module__ == "cfnews.transforms.zh_names"  # one file then
    from cfnews.transforms import zh_names
    assert zh_names.tag_chinese.__globals__["organisation"].__module__ == "cfnews.transforms.zh_bodies"
    assert not any(getattr(m, "__file__", None) and m.__file__.startswith(older_checkout)
                   for name, m in sys.modules.items() if name.startswith("cfnews"))
    assert {TEXT[s:e] for s, e, _ in older(TEXT)} >= {"马克龙", "北京", "习近平"}
    assert older(TEXT) == zh_names.chinese_name_spans(TEXT)   # the split changed no output
