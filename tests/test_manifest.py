"""Backfill manifest lines: every shape of line, good and bad."""
import gzip
import json

from cfnews.schemas import FeedEntry, Rejected
from cfnews.transforms.manifest import parse_manifest_line, read_manifest_lines


def test_html_file_text_and_inline_html_lines(tmp_path):
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "a.html.gz").write_bytes(gzip.compress("<html><p>Pékin</p></html>".encode()))
    manifest = tmp_path / "m.jsonl"
    lines = [
        {"url": "https://e.com/a", "outlet": "lemonde", "html_file": "pages/a.html.gz",
         "published": "2025-12-04T08:00:00+01:00"},
        {"url": "https://e.com/b", "outlet": "lemonde", "text": "Plain text.", "title": "B"},
        {"url": "https://e.com/c", "outlet": "lemonde", "html": "<p>inline</p>"},
    ]
    manifest.write_text("\n".join(json.dumps(x) for x in lines) + "\n\n")
    got = [parse_manifest_line(str(manifest), n, line)
           for _, n, line in read_manifest_lines(str(manifest))]
    assert all(isinstance(g, FeedEntry) for g in got)
    a, b, c = got
    assert "Pékin" in a.html and a.published_at.isoformat() == "2025-12-04T07:00:00+00:00"
    assert b.text == "Plain text." and b.title == "B" and b.html is None
    assert c.html == "<p>inline</p>"
    assert a.entry_id.endswith("#L1") and c.entry_id.endswith("#L3")


def test_bad_lines_are_rejected_with_their_line_number(tmp_path):
    cases = {
        "not json": "not JSON",
        "[1, 2]": "not a JSON object",
        json.dumps({"outlet": "x", "text": "t"}): "missing 'url'",
        json.dumps({"url": "https://e.com/x", "outlet": "Bad Outlet!", "text": "t"}): "outlet",
        json.dumps({"url": "ftp://e.com/x", "outlet": "x", "text": "t"}): "http",
        json.dumps({"url": "https://e.com/x", "outlet": "x"}): "exactly one of",
        json.dumps({"url": "https://e.com/x", "outlet": "x", "text": "t", "html": "h"}): "exactly one of",
        json.dumps({"url": "https://e.com/x", "outlet": "x", "text": "t", "published": "yesterday"}): "ISO 8601",
        json.dumps({"url": "https://e.com/x", "outlet": "x", "text": "t", "colour": "red"}): "unknown keys",
        json.dumps({"url": "https://e.com/x", "outlet": "x", "text": "t", "language": 42}):
            "'language' must be a string",
        json.dumps({"url": "https://e.com/x", "outlet": "x", "text": "\x00\x01\x02\x03 t"}):
            "'text' is not text",
        json.dumps({"url": "https://e.com/x", "outlet": "x", "html": "<p>\ufffd\ufffd</p>"}):
            "'html' is not text",
    }
    for n, (line, message) in enumerate(cases.items(), start=7):
        result = parse_manifest_line("m.jsonl", n, line)
        assert isinstance(result, Rejected), line
        assert result.stage == "manifest" and result.reason == "manifest_bad_line"
        assert result.error.startswith(f"line {n}:") and message in result.error, result.error


def test_missing_html_file_is_its_own_reason(tmp_path):
    line = json.dumps({"url": "https://e.com/x", "outlet": "x", "html_file": "nowhere.html"})
    result = parse_manifest_line(str(tmp_path / "m.jsonl"), 3, line)
    assert result.reason == "manifest_file_unreadable" and result.outlet == "x"
    assert result.url == "https://e.com/x"


def test_a_binary_file_named_as_a_page_is_refused_not_extracted(tmp_path):
    """Random bytes saved as page.html decode to garbage extraction would keep as an article."""
    import random
    (tmp_path / "page.html").write_bytes(random.Random(3).randbytes(8_000))
    line = json.dumps({"url": "https://e.com/x", "outlet": "x", "html_file": "page.html"})
    result = parse_manifest_line(str(tmp_path / "m.jsonl"), 2, line)
    assert isinstance(result, Rejected) and result.reason == "manifest_file_unreadable"
    assert "page.html: not text: " in result.error and "control or undecodable" in result.error
