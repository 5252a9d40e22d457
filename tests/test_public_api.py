"""README's "Use the stages in your own Beam pipeline" example, run as written: your own
Parquet of pages -> IngestEntries -> your own sink."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.e2e


def readme_example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- example: own-pipeline -->\s*```python\n(.*?)```", text, re.S)
    assert block, "README lost its example"
    return block.group(1)


def test_the_readme_example_runs_on_your_own_pages(tmp_path, seeds, monkeypatch):
    pages = [("https://wire.example/macron-xi", "wire", seeds["002"]),
             ("https://ledger.example/copy", "ledger", seeds["004"]),
             ("https://wire.example/weather", "wire", "Sunny in Lyon today. " * 40)]
    html = [f"<html><head><title>{u}</title><meta property='article:published_time' "
            f"content='2025-12-04T08:00:00Z'></head><body><article>"
            + "".join(f"<p>{p}</p>" for p in body.split("\n") if p.strip())
            + "</article></body></html>" for u, _, body in pages]
    pq.write_table(pa.table({"url": [u for u, _, _ in pages], "outlet": [o for _, o, _ in pages],
                             "html": html}), tmp_path / "my_pages.parquet")
    monkeypatch.chdir(tmp_path)
    exec(compile(readme_example(), "README example", "exec"), {})
    [output] = list(tmp_path.glob("my_articles*.jsonl"))
    rows = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    by_url = {r["url"]: r for r in rows}
    # the two edits of one wire story: one article and its duplicate; the weather is off topic
    assert set(by_url) == {"https://wire.example/macron-xi", "https://ledger.example/copy"}
    assert len(rows) == 2, [(r["url"], r.get("method"), r.get("cluster_id")) for r in rows]
    [copy] = [r for r in rows if "canonical_id" in r]
    [original] = [r for r in rows if "canonical_id" not in r]
    assert copy["canonical_id"] == original["article_id"] and copy["method"] == "near_duplicate"
    assert "Emmanuel Macron" in original["people"]
