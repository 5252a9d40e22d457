"""The hand-written story families of the dedup evaluation (tests/benchmarks/data/
story_families.jsonl): the structure its labels rely on (see STORY_FAMILIES.md)."""
import collections
import json
import re
from pathlib import Path

FAMILIES = Path(__file__).parent / "benchmarks" / "data" / "story_families.jsonl"
_QUOTE = re.compile(r'"([^"]+)"|\u00ab\s*([^\u00bb]+?)\s*\u00bb')


def _texts():
    return [json.loads(line) for line in FAMILIES.read_text("utf-8").splitlines() if line.strip()]


def _quotes(text):
    return {a or b for a, b in _QUOTE.findall(text)}


def test_every_family_has_a_release_four_rewrites_and_one_other_story():
    texts = _texts()
    assert len({t["doc_id"] for t in texts}) == len(texts)
    roles = collections.defaultdict(collections.Counter)
    for t in texts:
        assert t["language"] in ("en", "fr") and t["text"].strip() and t["outlet"]
        roles[t["family"]][t["role"]] += 1
    assert len(roles) == 6
    for family, counts in roles.items():
        assert counts == {"release": 1, "rewrite": 4, "other_story": 1}, family


def test_rewrites_share_the_release_quote_and_other_stories_do_not():
    by_family = collections.defaultdict(list)
    for t in _texts():
        by_family[t["family"]].append(t)
    for family, texts in by_family.items():
        release = next(t for t in texts if t["role"] == "release")
        quote = max(_quotes(release["text"]), key=len)
        rewrites = [t for t in texts if t["role"] == "rewrite"]
        assert sum(quote in t["text"] for t in rewrites) >= 2, family
        other = next(t for t in texts if t["role"] == "other_story")
        assert quote not in other["text"], family
        # a rewrite is not the release with edits: most of its sentences are its own
        release_sentences = set(re.split(r"(?<=[.!?])\s+", release["text"]))
        for t in rewrites:
            own = [s for s in re.split(r"(?<=[.!?])\s+", t["text"]) if s not in release_sentences]
            assert len(own) >= 2, (family, t["doc_id"])
