"""The demo's entity columns as a user reads them after `python -m cfnews demo --out DIR`:
no page furniture (headings, labels, Title-Case phrases) among the names."""
import os
import subprocess
import sys

import duckdb
import pytest

pytestmark = pytest.mark.e2e

# Seen in the demo output before headings were told apart from running text.
FURNITURE = {"Global Governance", "Strategic Autonomy", "Key Takeaways",
             "AI & Data Ethics: French", "Produire"}
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def articles(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo-entities") / "out"
    done = subprocess.run([sys.executable, "-m", "cfnews", "demo", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    path = os.path.join(out, "articles", "**", "*.parquet")
    rows = duckdb.sql(f"SELECT text, entities FROM read_parquet('{path}', hive_partitioning=true)")
    return [dict(zip(("text", "entities"), r)) for r in rows.fetchall()]


def test_no_heading_is_taken_for_a_name(articles):
    assert articles
    names = {(e["text"], e["label"]) for a in articles for e in a["entities"]
             if e["label"] in ("PERSON", "ORG", "GPE", "LOC")}
    assert not {t for t, _ in names} & FURNITURE
    for article in articles:
        lines = {line.strip() for line in article["text"].split("\n")}
        for e in article["entities"]:
            # a whole short line taken as a name is a heading, unless the KB knows it
            if e["text"] in lines and not e["kb_id"] and e["label"] in ("PERSON", "ORG", "GPE", "LOC"):
                pytest.fail(f"heading taken as {e['label']}: {e['text']!r}")
    assert any(t == "Emmanuel Macron" for t, _ in names)  # real names are still there
