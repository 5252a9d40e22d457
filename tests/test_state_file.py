"""A hand-edited or damaged DIR/_state/state.json is rebuilt from the datasets with a warning,
whatever is wrong in it (right keys with wrong types included), and the run goes on: nothing
doubled, exit 0. Runs are real `cfnews run --every` subprocesses."""
import json

import pytest

from tests.test_crash_safety import GrowingFeed, all_rows, cfnews

pytestmark = pytest.mark.e2e

DAMAGES = {
    "feeds_a_list": lambda s: {**s, "feeds": []},
    "seen_time_a_number": lambda s: {**s, "seen": {k: 5 for k in s["seen"]}},
    "interval_a_string": lambda s: {**s, "feeds": {u: {**f, "interval": "soon"}
                                                   for u, f in s["feeds"].items()}},
    "polls_a_boolean": lambda s: {**s, "feeds": {u: {**f, "polls": True}
                                                 for u, f in s["feeds"].items()}},
    "pending_junk": lambda s: {**s, "pending": [{"article_id": 1}]},
    "naive_time": lambda s: {**s, "seen": {k: "2026-01-01T00:00:00" for k in s["seen"]}},
    "not_utf8": None,
}


def run_once(tmp_path, server):
    proc = cfnews(tmp_path, server, max_cycles=1)
    output, _ = proc.communicate(timeout=300)
    return proc.returncode, output


def test_hand_edited_state_files_are_rebuilt_with_a_warning(tmp_path, server):
    GrowingFeed(server)
    code, output = run_once(tmp_path, server)
    assert code == 0, output[-3000:]
    path = tmp_path / "out" / "_state" / "state.json"
    for name, damage in DAMAGES.items():
        good = json.loads(path.read_text())
        if damage is None:
            path.write_bytes(b"\xff\xfe{\x00")
        else:
            path.write_text(json.dumps(damage(good)))
        code, output = run_once(tmp_path, server)
        assert code == 0, (name, output[-3000:])
        assert "state file unusable" in output and "rebuilt from the datasets" in output, name
        json.loads(path.read_text())  # saved again, whole
    entries = [entry_id for _, entry_id, _ in all_rows(tmp_path / "out")]
    assert entries and len(entries) == len(set(entries))  # nothing written twice


def test_a_pending_entry_keeps_its_feed_authors_and_older_journals_still_load():
    import datetime as dt
    from cfnews.pipeline.state import entry_from_json, entry_to_json
    from cfnews.schemas import FeedEntry
    entry = FeedEntry(outlet="o", feed_url="f", entry_id="e", url="https://e.com/a",
                      article_id="a", canonical_url="https://e.com/a",
                      discovered_at=dt.datetime(2026, 12, 5, tzinfo=dt.timezone.utc),
                      authors=("Jane Roe", "Vinson, V."))
    data = json.loads(json.dumps(entry_to_json(entry)))   # as the journal file holds it
    assert entry_from_json(data) == entry
    del data["authors"]                                     # a journal written before them
    assert entry_from_json(data).authors == ()
    with pytest.raises(TypeError):
        entry_from_json(dict(data, authors="Jane Roe"))
