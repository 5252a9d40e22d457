"""Everything that becomes a path is validated or confined: manifest html_file stays in the
manifest's folder (or --manifest-root), only regular files are read and never waited on, ids
fullmatch a bounded pattern, and no operator value makes cfnews create or delete anything
outside --out."""
import json
import os

import duckdb
import pytest

from cfnews.pipeline.feeds_file import FeedsFileError, parse_feeds
from cfnews.schemas import Rejected, check_path_parts
from cfnews.transforms.manifest import parse_manifest_line
from cfnews.transforms.write import remove_staging, write_partition
from tests.cli import cfnews
from tests.test_exit_status import small_manifest

PAGE = ("<html><head><title>Paris and Beijing</title></head><body><article>"
        + "".join(f"<p>Paragraph {i}: France and China signed trade agreement number {i} on "
                  f"aircraft, cognac and nuclear energy in Paris, officials said on day {i}.</p>"
                  for i in range(8))
        + "</article></body></html>")


def tree(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def manifest_with_html_files(folder, names):
    (folder / "pages").mkdir(exist_ok=True)
    lines = [json.dumps({"url": f"https://e.org/{i}", "outlet": "o", "html_file": name})
             for i, name in enumerate(names)]
    path = folder / "pages" / "m.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def hostile(tmp_path):
    """A manifest folder whose lines name files outside it in every way, and a FIFO."""
    (tmp_path / "secret.html").write_text(PAGE.replace("Paris", "SECRET"))
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "good.html").write_text(PAGE)
    os.symlink(tmp_path / "secret.html", pages / "link.html")
    os.mkfifo(pages / "pipe.html")
    names = ["good.html", "../secret.html", str(tmp_path / "secret.html"), "link.html",
             "pipe.html", "sub/../../secret.html", "file:///etc/hostname"]
    return tmp_path, manifest_with_html_files(tmp_path, names)


def test_html_files_outside_the_manifest_folder_and_fifos_are_refused(hostile):
    folder, manifest = hostile
    results = [parse_manifest_line(str(manifest), n, line)
               for n, line in enumerate(manifest.read_text().splitlines(), start=1)]
    assert not isinstance(results[0], Rejected) and "Paris" in results[0].html
    for result in results[1:]:
        assert isinstance(result, Rejected), result
        assert result.reason == "manifest_file_refused", result.error
        assert result.outlet == "o" and result.article_id
    assert "not a regular file" in results[4].error


def test_manifest_root_names_another_root_explicitly(hostile):
    folder, manifest = hostile
    lines = manifest.read_text().splitlines()
    root = str(folder)
    for n in (2, 3, 4, 6):  # ../, absolute, symlink out, sub/../..: inside the named root
        result = parse_manifest_line(str(manifest), n, lines[n - 1], root=root)
        assert not isinstance(result, Rejected), result
        assert "SECRET" in result.html
    assert isinstance(parse_manifest_line(str(manifest), 5, lines[4], root=root), Rejected)
    elsewhere = parse_manifest_line(str(manifest), 2, lines[1], root=str(folder / "pages"))
    assert elsewhere.reason == "manifest_file_refused"


def test_backfill_cli_refuses_outside_files_without_blocking_on_a_fifo(hostile):
    folder, manifest = hostile
    out = folder / "out"
    done = cfnews("backfill", "--manifest", str(manifest), "--out", str(out), "--all-topics",
               timeout=240)  # a FIFO opened for reading would block forever
    assert done.returncode == 0, done.stdout + done.stderr
    assert "(adds up)" in done.stdout
    reasons = duckdb.sql(f"SELECT reason, count(*) FROM read_parquet('{out}/rejected/**/*.parquet')"
                         " GROUP BY reason").fetchall()
    assert dict(reasons) == {"manifest_file_refused": 6}
    texts = duckdb.sql(f"SELECT text FROM read_parquet('{out}/articles/**/*.parquet')").fetchall()
    assert len(texts) == 1 and "SECRET" not in texts[0][0]

    out2 = folder / "out2"
    done = cfnews("backfill", "--manifest", str(manifest), "--out", str(out2), "--all-topics",
               "--manifest-root", str(folder), timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    refused = duckdb.sql(f"SELECT count(*) FROM read_parquet('{out2}/rejected/**/*.parquet') "
                         "WHERE reason = 'manifest_file_refused'").fetchall()[0][0]
    assert refused == 2  # the FIFO, and file:// (a URL outside the named root)


@pytest.mark.parametrize("run_id", ["../victim", "../../victim", "a/b", "x" * 65, "ok\n",
                                   ".hidden", ""])
def test_a_run_id_that_is_not_a_bounded_id_is_a_usage_error(tmp_path, run_id):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("keep")
    manifest = small_manifest(tmp_path)
    outside_before = tree(tmp_path)
    done = cfnews("backfill", "--manifest", str(manifest), "--out", str(tmp_path / "out"),
               "--all-topics", f"--run_id={run_id}")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "--run_id" in done.stderr
    assert (victim / "keep.txt").read_text() == "keep"
    assert [p for p in tree(tmp_path) if not p.startswith("out")] == \
        [p for p in outside_before if not p.startswith("out")]


def test_staging_cleanup_and_writes_refuse_unsafe_parts(tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("keep")
    out = tmp_path / "out"
    for run_id in ("../../victim", "..", "a/../../victim"):
        with pytest.raises(ValueError):
            remove_staging(str(out), run_id)
    for parts in (("../x", "2025-01-01", "o"), ("r", "2025-01-01/..", "o"),
                  ("r", "2025-01-01", "../../victim"), ("r", "2025-01-01", "o\n")):
        with pytest.raises(ValueError):
            check_path_parts(*parts)
        with pytest.raises(ValueError):
            write_partition(str(out), parts[0], "rejected", parts[1], parts[2], [])
    assert (victim / "keep.txt").read_text() == "keep" and not out.exists()


def feeds_yaml(outlet):
    return ("version: 1\nfeeds:\n  - outlet: " + json.dumps(outlet)
            + "\n    url: https://e.org/feed.xml\n    language: en\n    country: FR\n")


@pytest.mark.parametrize("outlet", ["o" * 65, "o" * 300, "abc\n", "le-monde\n"])
def test_outlet_ids_fullmatch_a_bounded_pattern(outlet):
    with pytest.raises(FeedsFileError, match="outlet"):
        parse_feeds(feeds_yaml(outlet))
    line = json.dumps({"url": "https://e.org/a", "outlet": outlet, "text": "t" * 500})
    result = parse_manifest_line("m.jsonl", 1, line)
    assert isinstance(result, Rejected) and result.reason == "manifest_bad_line"
    assert result.outlet == "_unknown"
    assert parse_feeds(feeds_yaml("o" * 64))[0].outlet == "o" * 64


def test_language_and_country_reject_a_trailing_newline():
    text = feeds_yaml("o").replace("language: en", 'language: "en\\n"')
    with pytest.raises(FeedsFileError, match="language"):
        parse_feeds(text)
    text = feeds_yaml("o").replace("country: FR", 'country: "FR\\n"')
    with pytest.raises(FeedsFileError, match="country"):
        parse_feeds(text)


def test_a_300_character_outlet_in_a_manifest_is_one_rejected_row_not_a_failed_run(tmp_path):
    lines = [json.dumps({"url": "https://e.org/long", "outlet": "o" * 300, "text": "x " * 300}),
             json.dumps({"url": "https://e.org/ok", "outlet": "o",
                         "text": "France and China trade aircraft and cognac. " * 10})]
    manifest = tmp_path / "m.jsonl"
    manifest.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    for _ in range(2):  # every rerun as well
        done = cfnews("backfill", "--manifest", str(manifest), "--out", str(out), "--all-topics")
        assert done.returncode == 0, done.stdout + done.stderr
    assert duckdb.sql(f"SELECT count(*) FROM read_parquet('{out}/articles/**/*.parquet')"
                      ).fetchall()[0][0] == 1
