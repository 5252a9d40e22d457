"""Backfill from web archives: the WARC reader (transforms/warc.py) on real WARC files written
with warcio, and `cfnews backfill --warc` end to end as a subprocess."""
from __future__ import annotations

import datetime as dt
import json
import random
import re

import duckdb
import pytest

from cfnews.pipeline.demo.catalog import load_catalog, load_outlets, render_page
from cfnews.pipeline.feeds_file import dump_feeds
from cfnews.schemas import FeedEntry, FeedSource, Rejected
from cfnews.transforms import warc as warc_module
from cfnews.transforms.urls import article_id_for, canonical_url
from cfnews.transforms.warc import (OutletRule, Skipped, outlet_from_host, read_warc,
                                    read_warcs)
from tests.conftest import cli
from tests.warc_files import Warc, article_html

PAGE = article_html("Macron and Xi sign aviation deals in Beijing",
                    ["France and China signed aviation and energy agreements on Tuesday. " * 8,
                     "The French president met Xi Jinping at the Great Hall of the People. " * 6])


def kinds(items):
    return [type(i).__name__ + (f":{i.reason}" if isinstance(i, Rejected) else "")
            for i in items]


# ---------------------------------------------------------------- the reader

def test_a_200_html_response_is_an_entry_with_its_capture_time_and_a_url_id(tmp_path):
    path = str(tmp_path / "crawl.warc.gz")
    with Warc(path) as w:
        w.response("https://www.lemonde.fr/international/article/2024/03/05/macron-xi.html?utm_source=rss",
                   PAGE, date="2024-03-05T08:30:00Z")
    [entry] = read_warc(path)
    assert isinstance(entry, FeedEntry)
    canonical = canonical_url(entry.url)
    assert entry.article_id == article_id_for(canonical) and "utm_source" not in canonical
    assert entry.discovered_at == dt.datetime(2024, 3, 5, 8, 30, tzinfo=dt.timezone.utc)
    assert entry.published_at is None          # the extract stage reads the page's own date
    assert entry.html == PAGE and entry.text is None
    assert entry.entry_id == f"{path}#{w.offsets[0]}" and entry.feed_url == path
    assert entry.outlet == "lemonde-fr"


def test_non_200_and_non_html_records_are_rejected_rows_naming_file_and_offset(tmp_path):
    path = str(tmp_path / "crawl.warc.gz")
    with Warc(path) as w:
        w.response("https://example.com/a", PAGE)
        w.response("https://example.com/gone", "<html>not here</html>", status="404 Not Found")
        w.response("http://example.com/a", "", status="301 Moved Permanently",
                   headers=[("Location", "https://example.com/a")])
        w.response("https://example.com/r.pdf", b"%PDF-1.7 binary", content_type="application/pdf")
        w.response("https://example.com/bin", bytes(range(256)) * 40)  # binary under text/html
    items = list(read_warc(path))
    assert kinds(items) == ["FeedEntry", "Rejected:warc_not_page", "Rejected:warc_not_page",
                            "Rejected:not_html", "Rejected:not_html"]
    gone, moved, pdf, binary = items[1:]
    assert gone.http_status == 404 and moved.http_status == 301
    assert "Location: https://example.com/a" in moved.error
    assert "application/pdf" in pdf.error and "not text" in binary.error
    for row, offset in zip(items[1:], w.offsets[1:]):
        assert row.stage == "warc" and row.source == "backfill"
        assert row.error.startswith(f"{path} at offset {offset} ")
        assert row.entry_id == f"{path}#{offset}"
        # a record's own id, never its URL's: a page fetched or captured later is not claimed
        assert row.article_id != article_id_for(canonical_url(row.url))
    again = [i for i in read_warc(path) if isinstance(i, Rejected)]
    assert [r.article_id for r in again] == [r.article_id for r in items[1:]]
    assert len({r.article_id for r in again}) == len(again)


# ---------------------------------------------------------------- revisits

OTHER = article_html("Airbus opens a second line in Tianjin",
                     ["Airbus will build a second assembly line in Tianjin, China. " * 8])


def test_revisits_take_their_originals_page_from_any_file_for_their_own_url(tmp_path):
    """Originals in the second file, revisits in the first (a file read before its originals,
    as one worker per file may): each revisit is an entry of its own URL and capture time
    carrying its original's page, whichever name finds the original."""
    revisits, originals = str(tmp_path / "a-revisits.warc"), str(tmp_path / "b-crawl.warc.gz")
    with Warc(originals) as o:
        first = o.response("https://www.lemonde.fr/a.html", PAGE, date="2024-03-05T08:30:00Z",
                           encoding="gzip")           # stored gzip-encoded
        other = o.response("https://example.com/airbus", OTHER, date="2024-03-05T09:00:00Z")
    with Warc(revisits) as r:
        # the same URL, named by URI and date; its headers say nothing of the gzip
        r.revisit("https://www.lemonde.fr/a.html", first, date="2024-03-06T08:30:00.500Z")
        # another URL, named by its payload digest alone, no HTTP headers of its own
        r.revisit("https://mirror.example.org/lemonde-a", first, date="2024-03-07T00:00:00Z",
                  refers_to=False, status=None)
        # as wget --warc-dedup writes it: WARC-Refers-To (a record id), WARC-Truncated: length
        r.revisit("https://example.com/airbus?copy=1", other, date="2024-03-08T00:00:00Z",
                  refers_to=False, warc_headers={
                      "WARC-Refers-To": other.rec_headers.get_header("WARC-Record-ID"),
                      "WARC-Truncated": "length"})
        # its original is in no file of the backfill
        r.revisit("https://example.com/gone", ("https://example.com/gone", "2023-12-01T00:00:00Z",
                                               "sha1:AAAABBBBCCCCDDDDEEEEFFFFGGGGHHHH"))

    assert kinds(read_warc(revisits)) == ["Revisit"] * 4   # one file alone: still waiting
    items = list(read_warcs([revisits, originals]))
    entries = {(i.url, i.entry_id): i for i in items if isinstance(i, FeedEntry)}
    assert set(entries) == {
        ("https://www.lemonde.fr/a.html", f"{originals}#{o.offsets[0]}"),
        ("https://example.com/airbus", f"{originals}#{o.offsets[1]}"),
        ("https://www.lemonde.fr/a.html", f"{revisits}#{r.offsets[0]}"),
        ("https://mirror.example.org/lemonde-a", f"{revisits}#{r.offsets[1]}"),
        ("https://example.com/airbus?copy=1", f"{revisits}#{r.offsets[2]}")}
    same = entries[("https://www.lemonde.fr/a.html", f"{revisits}#{r.offsets[0]}")]
    mirror = entries[("https://mirror.example.org/lemonde-a", f"{revisits}#{r.offsets[1]}")]
    copy = entries[("https://example.com/airbus?copy=1", f"{revisits}#{r.offsets[2]}")]
    assert same.html == PAGE and mirror.html == PAGE and copy.html == OTHER
    assert same.discovered_at == dt.datetime(2024, 3, 6, 8, 30, 0, 500000, tzinfo=dt.timezone.utc)
    assert mirror.discovered_at == dt.datetime(2024, 3, 7, tzinfo=dt.timezone.utc)
    assert same.article_id == article_id_for(canonical_url("https://www.lemonde.fr/a.html"))
    assert mirror.article_id == article_id_for(canonical_url(mirror.url))
    assert mirror.outlet == "mirror-example-org" and same.outlet == "lemonde-fr"
    assert same.feed_url == revisits
    [missing] = [i for i in items if isinstance(i, Rejected)]
    assert missing.reason == "warc_original_missing" and missing.url == "https://example.com/gone"
    assert missing.error.startswith(f"{revisits} at offset {r.offsets[3]} (revisit record ")
    for named in ("https://example.com/gone", "2023-12-01", "sha1:AAAABBBBCCCCDDDDEEEEFFFFGGGGHHHH",
                  "in none of this backfill's WARC files"):
        assert named in missing.error
    assert missing.article_id != article_id_for(canonical_url(missing.url))
    assert missing.discovered_at == dt.datetime(2024, 3, 6, 8, 30, tzinfo=dt.timezone.utc)


def test_a_revisit_reads_its_originals_bytes_as_the_original_says(tmp_path):
    """The bytes are the original's: its Content-Encoding and charset decode them when the
    revisit's own headers (text/html, nothing more) do not say."""
    russian = "<html><body><p>Париж и Пекин подписали соглашение</p></body></html>"
    path = str(tmp_path / "crawl.warc.gz")
    with Warc(path) as w:
        original = w.response("https://example.ru/a", russian.encode("koi8-r"), encoding="gzip",
                              content_type="text/html; charset=koi8-r")
        w.revisit("https://example.ru/b", original)
    entries = [i for i in read_warcs([path]) if isinstance(i, FeedEntry)]
    assert [(e.url, e.html) for e in entries] == [("https://example.ru/a", russian),
                                                  ("https://example.ru/b", russian)]


def test_revisits_that_hold_no_page_are_rejected_with_what_they_are(tmp_path):
    path = str(tmp_path / "crawl.warc.gz")
    with Warc(path) as w:
        original = w.response("https://example.com/a", PAGE, date="2024-03-05T08:30:00Z")
        w.response("https://example.com/b", OTHER, date="2024-03-05T09:00:00Z")
        w.not_modified("https://example.com/a", original)           # 304: no payload
        w.revisit("https://example.com/a", original, status="404 Not Found")
        w.revisit("https://example.com/a", original, headers=[("Content-Type", "application/pdf")])
        w.revisit("https://example.com/x", original, warc_headers={
            "WARC-Profile": "http://example.org/revisit/some-other-profile"})
        # names /b's capture by URI and date, with a digest that is not /b's (nor any response's)
        w.revisit("https://example.com/b", ("https://example.com/b", "2024-03-05T09:00:00Z",
                                            "sha1:ZZZZBBBBCCCCDDDDEEEEFFFFGGGGHHHH"))
    items = list(read_warcs([path]))
    assert kinds(items) == ["FeedEntry", "FeedEntry", "Rejected:warc_not_page",
                            "Rejected:warc_not_page", "Rejected:warc_not_page",
                            "Rejected:warc_original_missing", "Rejected:not_html"]
    not_modified, gone, profile, stray_row, pdf = items[2:]
    assert not_modified.http_status == 304 and "server-not-modified" in not_modified.error
    assert "sent no page" in not_modified.error and "https://example.com/a" in not_modified.error
    assert gone.http_status == 404 and "404 Not Found" in gone.error
    assert "some-other-profile" in profile.error
    assert "another payload" in stray_row.error and f"{path}#{w.offsets[1]}" in stray_row.error
    assert pdf.http_status == 200 and "application/pdf" in pdf.error
    assert f"payload from {path}#{w.offsets[0]}" in pdf.error
    assert pdf.error.startswith(f"{path} at offset {w.offsets[4]} (revisit record ")


def test_records_that_are_no_pages_are_skipped_not_rows(tmp_path):
    path = str(tmp_path / "crawl.warc")
    with Warc(path) as w:
        w.warcinfo()
        w.dns("example.com")
        w.request("https://example.com/a")
        w.response("https://example.com/a", PAGE)
        w.metadata("https://example.com/a")
    items = list(read_warc(path))
    assert kinds(items) == ["Skipped", "Skipped", "Skipped", "FeedEntry", "Skipped"]
    assert [i.rec_type for i in items if isinstance(i, Skipped)] == [
        "warcinfo", "response dns:", "request", "metadata"]


def test_content_encodings_are_undone_and_a_broken_one_is_bad_encoding(tmp_path):
    path = str(tmp_path / "crawl.warc.gz")
    with Warc(path) as w:
        w.response("https://example.com/gz", PAGE, encoding="gzip")
        w.response("https://example.com/deflate", PAGE, encoding="deflate")
        w.response("https://example.com/sniffed", PAGE, content_type="application/octet-stream")
        raw = PAGE.encode("utf-8")  # as wget stores an HTTP/1.1 chunked body
        chunked = b"".join(b"%x\r\n%s\r\n" % (len(raw[i:i + 500]), raw[i:i + 500])
                           for i in range(0, len(raw), 500)) + b"0\r\n\r\n"
        w.response("https://example.com/chunked", chunked,
                   headers=[("Transfer-Encoding", "chunked")])
        w.response("https://example.com/broken", b"\x1f\x8b\x08\x00 not gzip at all",
                   headers=[("Content-Encoding", "gzip")])
    items = list(read_warc(path))
    assert kinds(items) == ["FeedEntry"] * 4 + ["Rejected:bad_encoding"]
    assert all(i.html == PAGE for i in items[:4])


def test_a_body_over_the_cap_is_too_large_and_the_next_record_is_still_read(tmp_path, monkeypatch):
    monkeypatch.setattr(warc_module, "MAX_HTML_BYTES", 4096)
    path = str(tmp_path / "crawl.warc.gz")
    with Warc(path) as w:
        w.response("https://example.com/big", "<html><body>" + "x" * 50_000 + "</body></html>")
        w.response("https://example.com/a", PAGE[:4000])
    assert kinds(read_warc(path)) == ["Rejected:too_large", "FeedEntry"]


def test_a_payload_the_crawler_cut_is_unreadable_not_a_partial_page(tmp_path):
    path = str(tmp_path / "crawl.warc.gz")
    with Warc(path) as w:
        w.response("https://example.com/cut", PAGE[:900], warc_headers={"WARC-Truncated": "length"})
    [row] = read_warc(path)
    assert row.reason == "warc_unreadable" and "WARC-Truncated: length" in row.error


def _three_pages(path):
    with Warc(path) as w:
        for n in range(3):
            w.response(f"https://example.com/{n}", PAGE)
    return w.offsets


def test_a_truncated_gzip_warc_gives_its_records_then_one_unreadable_row(tmp_path):
    whole = tmp_path / "whole.warc.gz"
    offsets = _three_pages(str(whole))
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(whole.read_bytes()[:-150])
    items = list(read_warc(str(cut)))
    assert kinds(items) == ["FeedEntry", "FeedEntry", "Rejected:warc_unreadable"]
    row = items[-1]
    assert row.error.startswith(f"{cut} at offset {offsets[2]} ") and "truncated" in row.error
    assert row.url == "https://example.com/2"


@pytest.mark.parametrize("suffix", [".warc.gz", ".warc"])
def test_a_corrupt_record_is_one_row_and_reading_resumes_at_the_next_record(tmp_path, suffix):
    whole = tmp_path / f"whole{suffix}"
    offsets = _three_pages(str(whole))
    data = bytearray(whole.read_bytes())
    data[offsets[1] + 5:offsets[1] + 45] = b"\x00corrupt" * 5
    bad = tmp_path / f"bad{suffix}"
    bad.write_bytes(bytes(data))
    items = list(read_warc(str(bad)))
    assert kinds(items) == ["FeedEntry", "Rejected:warc_unreadable", "FeedEntry"]
    assert items[1].error.startswith(f"{bad} at offset {offsets[1]} ")
    assert f"resumed at offset {offsets[2]}" in items[1].error
    assert items[2].url == "https://example.com/2"


def garbage_bytes(seed: int, size: int) -> bytes:
    """Random bytes, the same every run: a failure names an input that can be replayed."""
    return random.Random(seed).randbytes(size)


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_a_file_of_garbage_or_missing_is_one_unreadable_row_not_a_crash(tmp_path, seed):
    garbage = tmp_path / "garbage.warc.gz"
    garbage.write_bytes(garbage_bytes(seed, 20_000))
    [row] = read_warc(str(garbage))
    assert row.reason == "warc_unreadable" and row.error.startswith(f"{garbage} at offset 0 ")
    assert row.error.isprintable()
    [row] = read_warc(str(tmp_path / "absent.warc.gz"))
    assert row.reason == "warc_unreadable" and "cannot open" in row.error


def test_outlets_come_from_the_flag_else_a_feed_host_else_the_host(tmp_path):
    feeds = [FeedSource(outlet="le-monde", url="https://rss.lemonde.fr/international/rss.xml",
                        language="fr", country="FR"),
             FeedSource(outlet="dw-zh", url="https://rss.dw.com/xml/rss-chi-all", language="zh",
                        country="DE", item_id_rule=r"/a-(\d+)$")]
    rule = OutletRule.from_feeds(feeds)
    assert rule.assign(canonical_url("https://www.lemonde.fr/a.html")) == ("le-monde", "fr", "")
    assert rule.assign(canonical_url("https://www.dw.com/zh/x/a-74582227")) == (
        "dw-zh", "zh", "74582227")
    assert rule.assign(canonical_url("https://english.news.cn/x.htm"))[0] == "english-news-cn"
    assert OutletRule.from_feeds(feeds, outlet="archive").assign(
        canonical_url("https://www.lemonde.fr/a.html")) == ("archive", "", "")
    assert outlet_from_host("WWW.Le-Figaro.FR") == "le-figaro-fr"
    with pytest.raises(ValueError):
        OutletRule(outlet="Not An Id")


# ---------------------------------------------------------------- the command

def rows(out, dataset):
    files = list((out / dataset).rglob("*.parquet"))
    if not files:
        return []
    rel = duckdb.sql(f"SELECT * FROM read_parquet('{out}/{dataset}/**/*.parquet', "
                     "hive_partitioning=true)")
    return [dict(zip(rel.columns, r)) for r in rel.fetchall()]


HOSTS = {"gazette-paris-demo": "https://www.gazette-paris.example",
         "cgtn-demo": "https://news.cgtn.example",
         "pacific-review-demo": "https://pacific.example"}


def china_france_warc(path):
    """Three China–France pages of the demo outlets (each with its request and metadata), a
    second capture of one, a 404, a PDF, a revisit of that page (a third capture) and a DNS
    lookup."""
    catalog = {a.id: a for a in load_catalog()}
    outlets = {o.id: o for o in load_outlets()}
    urls = []
    with Warc(path) as w:
        w.warcinfo()
        for article_id in ("fr-airbus-tianjin", "seed-000", "seed-001"):
            a = catalog[article_id]
            url = a.url(HOSTS[a.outlet])
            w.request(url)
            first = w.response(url, render_page(a, outlets[a.outlet]), date="2025-12-06T10:00:00Z")
            w.metadata(url)
            urls.append(url)
        w.response(url, render_page(a, outlets[a.outlet]), date="2025-12-07T10:00:00Z")
        w.response("https://www.gazette-paris.example/missing", "nope", status="404 Not Found")
        w.response("https://www.gazette-paris.example/x.pdf", b"%PDF-1.4",
                   content_type="application/pdf")
        w.revisit(url, first, date="2025-12-08T10:00:00Z")
        w.dns("pacific.example")
    return urls


def crawl_and_feeds(tmp_path):
    """(crawl folder holding china_france_warc's file, its URLs, a feeds file whose one feed
    is on a parent host of the first page's: feeds.gazette-paris.example)."""
    crawl = tmp_path / "crawl"
    crawl.mkdir()
    urls = china_france_warc(str(crawl / "news-00.warc.gz"))
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(dump_feeds([FeedSource(outlet="gazette-paris", language="fr", country="FR",
                                            url="https://feeds.gazette-paris.example/rss.xml")]))
    return crawl, urls, feeds


def test_backfill_from_a_warc_writes_pages_rows_and_adds_up_and_a_rerun_adds_nothing(tmp_path):
    crawl, urls, feeds = crawl_and_feeds(tmp_path)
    out, summary = tmp_path / "out", tmp_path / "summary.json"
    # a file named twice (a glob and its path) is read once
    args = ["backfill", "--warc", str(crawl / "*.warc.gz"), "--warc", str(crawl / "news-00.warc.gz"),
            "--feeds", str(feeds),
            "--out", str(out), "--runner=FnApiRunner", "--summary-json", str(summary)]
    done = cli(*args)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert "(adds up)" in done.stdout
    figures = json.loads(summary.read_text())
    assert figures["entries"]["new"] == 7 and figures["adds_up"]
    assert figures["written"] == {"articles": 3, "duplicates": 2, "rejected_entries": 2,
                                  "rejected_feed_level": 0}
    assert figures["warc"] == {"files": 1, "files_unreadable": 0, "skipped": {
        "metadata": 3, "request": 3, "response dns:": 1, "warcinfo": 1},
        "revisits": 1, "revisits_resolved": 1}

    articles = rows(out, "articles")
    assert sorted(a["url"] for a in articles) == sorted(urls)
    by_url = {a["url"]: a for a in articles}
    assert by_url[urls[0]]["outlet"] == "gazette-paris"          # its host is the feed's
    assert by_url[urls[1]]["outlet"] == "news-cgtn-example"      # derived from the host
    assert all(a["source"] == "backfill" and a["text"] for a in articles)
    assert all(a["discovered_at"] == dt.datetime(2025, 12, 6, 10, tzinfo=dt.timezone.utc)
               for a in articles)
    assert all(a["published_at"] and a["published_at"].date() < dt.date(2025, 12, 6)
               for a in articles)  # the page's own date, the partition's too
    assert all(str(a["date"]) == str(a["published_at"].date()) for a in articles)
    # the second capture and the revisit (a third, its page the first's): the first's copies
    captures = rows(out, "duplicates")
    assert sorted(str(d["discovered_at"].date()) for d in captures) == ["2025-12-07", "2025-12-08"]
    assert all(d["url"] == urls[2] and d["method"] == "canonical_url"
               and d["canonical_id"] == by_url[urls[2]]["article_id"] for d in captures)
    rejected = rows(out, "rejected")
    assert sorted(((r["stage"], r["reason"], r["http_status"] or 0) for r in rejected)) == [
        ("warc", "not_html", 200), ("warc", "warc_not_page", 404)]
    assert all(str(crawl / "news-00.warc.gz") + " at offset " in r["error"] for r in rejected)

    files = sorted(out.rglob("*.parquet"))
    again = cli(*args)
    assert again.returncode == 0, again.stdout + again.stderr[-3000:]
    assert sorted(out.rglob("*.parquet")) == files
    figures = json.loads(summary.read_text())
    assert figures["entries"] == dict(figures["entries"], seen=7, already_seen=7, new=0)


def test_backfill_resolves_revisits_across_files_read_in_parallel(tmp_path):
    """Two WARC files, each read by its own worker: the originals in one, in the other (read
    first) a revisit of the same URL, a revisit at another URL (one article served at two
    addresses) and a revisit whose original is in neither file."""
    catalog = {a.id: a for a in load_catalog()}
    outlets = {o.id: o for o in load_outlets()}
    crawl = tmp_path / "crawl"
    crawl.mkdir()
    pages = [catalog[i] for i in ("fr-airbus-tianjin", "seed-000")]
    urls = [a.url(HOSTS[a.outlet]) for a in pages]
    mirror = "https://www.mirror-news.example/world/2025/airbus-tianjin.html"
    with Warc(crawl / "b-crawl.warc.gz") as o:
        first, _ = [o.response(url, render_page(a, outlets[a.outlet]), date="2025-12-06T10:00:00Z")
                    for url, a in zip(urls, pages)]
    with Warc(crawl / "a-dedup.warc.gz") as r:
        r.revisit(urls[0], first, date="2025-12-08T10:00:00Z")
        r.revisit(mirror, first, date="2025-12-09T10:00:00Z", refers_to=False)
        r.revisit("https://news.cgtn.example/gone.html", (
            "https://news.cgtn.example/gone.html", "2025-11-30T10:00:00Z",
            "sha1:AAAABBBBCCCCDDDDEEEEFFFFGGGGHHHH"))
    out, summary = tmp_path / "out", tmp_path / "summary.json"
    args = ["backfill", "--warc", str(crawl / "*.warc.gz"), "--out", str(out),
            "--runner=FnApiRunner", "--summary-json", str(summary)]
    done = cli(*args)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    figures = json.loads(summary.read_text())
    assert figures["entries"]["new"] == 5 and figures["adds_up"]
    assert figures["written"] == {"articles": 2, "duplicates": 2, "rejected_entries": 1,
                                  "rejected_feed_level": 0}
    assert (figures["warc"]["revisits"], figures["warc"]["revisits_resolved"]) == (3, 2)
    assert "revisits 3 (2 with their original's page)" in done.stdout

    articles = {a["url"]: a for a in rows(out, "articles")}
    assert sorted(articles) == sorted(urls)
    assert articles[urls[0]]["discovered_at"] == dt.datetime(2025, 12, 6, 10,
                                                             tzinfo=dt.timezone.utc)
    copies = {d["url"]: d for d in rows(out, "duplicates")}
    assert sorted(copies) == sorted([urls[0], mirror])
    assert copies[urls[0]]["method"] == "canonical_url"       # a later capture of the URL
    assert copies[mirror]["method"] == "near_duplicate"       # the same page elsewhere
    assert all(d["canonical_id"] == articles[urls[0]]["article_id"] for d in copies.values())
    assert copies[mirror]["discovered_at"] == dt.datetime(2025, 12, 9, 10, tzinfo=dt.timezone.utc)
    assert copies[mirror]["entry_id"].startswith(str(crawl / "a-dedup.warc.gz") + "#")
    [missing] = rows(out, "rejected")
    assert missing["stage"] == "warc" and missing["reason"] == "warc_original_missing"
    assert missing["url"] == "https://news.cgtn.example/gone.html"
    assert missing["error"].startswith(str(crawl / "a-dedup.warc.gz") + " at offset ")
    assert "the capture of https://news.cgtn.example/gone.html at 2025-11-30" in missing["error"]

    files = sorted(out.rglob("*.parquet"))
    again = cli(*args)                        # the revisits' ids are as stable as the pages'
    assert again.returncode == 0, again.stdout + again.stderr[-3000:]
    assert sorted(out.rglob("*.parquet")) == files


def test_a_corrupt_warc_gives_rejected_rows_and_status_3_when_nothing_is_readable(tmp_path):
    garbage = tmp_path / "garbage.warc.gz"
    garbage.write_bytes(garbage_bytes(7, 30_000))
    out = tmp_path / "out"
    done = cli("backfill", "--warc", str(garbage), "--out", str(out), "--runner=FnApiRunner")
    assert done.returncode == 3, done.stdout + done.stderr[-3000:]
    assert "nothing could be read" in done.stderr and "(adds up)" in done.stdout
    [row] = rows(out, "rejected")
    assert row["reason"] == "warc_unreadable" and row["error"].startswith(f"{garbage} at offset 0")


def test_a_partly_corrupt_warc_is_read_around_its_damage_and_exits_0(tmp_path):
    whole = tmp_path / "whole.warc.gz"
    china_france_warc(str(whole))
    cut = tmp_path / "crawl" / "cut.warc.gz"
    cut.parent.mkdir()
    cut.write_bytes(whole.read_bytes()[:-900])   # ends inside the revisit/dns records
    out = tmp_path / "out"
    done = cli("backfill", "--warc", str(cut), "--out", str(out), "--runner=FnApiRunner",
               "--all-topics")
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert "(adds up)" in done.stdout
    assert len(rows(out, "articles")) == 3
    assert any(r["reason"] == "warc_unreadable" for r in rows(out, "rejected"))


def test_warcios_own_warnings_are_our_log_lines_naming_the_file_and_record(tmp_path):
    """warcio writes some warnings to stderr itself (here: a record whose Content-Length is 7
    bytes short, so 7 bytes of its page stand where the blank line should be); they come out
    as the command's log lines, JSON ones with --log-format json, naming file and record."""
    whole = tmp_path / "whole.warc"
    offsets = _three_pages(str(whole))
    data = whole.read_bytes()
    record = data[offsets[1]:offsets[2]]
    length = re.search(rb"Content-Length: (\d+)", record)
    short = (record[:length.start(1)] + str(int(length.group(1)) - 7).encode()
             + record[length.end(1):])
    crawl = tmp_path / "crawl"
    crawl.mkdir()
    bad = crawl / "short.warc"
    bad.write_bytes(data[:offsets[1]] + short + data[offsets[2]:])
    out = tmp_path / "out"
    done = cli("--log-format", "json", "backfill", "--warc", str(bad), "--out", str(out),
               "--runner=FnApiRunner", "--all-topics")
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.strip()]
    [warning] = [line for line in lines if "warcio" in line["message"]]
    assert warning["level"] == "WARNING" and warning["logger"] == "cfnews.transforms.warc"
    assert warning["message"].startswith(f"{bad}: warcio: the record at offset {offsets[1]} "
                                         "(https://example.com/1) is not followed by")
    assert "(adds up)" in done.stdout
    assert len(rows(out, "articles")) + len(rows(out, "duplicates")) == 3   # one page, thrice


def test_backfill_warc_usage_errors_write_nothing(tmp_path):
    out = tmp_path / "out"
    none = cli("backfill", "--warc", str(tmp_path / "nothing-*.warc.gz"), "--out", str(out))
    assert none.returncode == 3 and "no file matches" in none.stderr
    warc = tmp_path / "a.warc.gz"
    _three_pages(str(warc))
    bad = cli("backfill", "--warc", str(warc), "--outlet", "Le Monde", "--out", str(out))
    assert bad.returncode == 2 and "--outlet" in bad.stderr
    manifest = tmp_path / "m.jsonl"
    manifest.write_text("")
    both = cli("backfill", "--manifest", str(manifest), "--outlet", "x", "--out", str(out))
    assert both.returncode == 2
    assert not any(out.rglob("*.parquet"))


def test_warc_files_are_matched_and_read_on_s3_by_glob(tmp_path, monkeypatch):
    """s3:// through Beam's filesystem, against a loopback S3 server (moto) this test starts:
    a glob names the files, and a damaged one is read around its damage (seeks on S3)."""
    moto_server = pytest.importorskip("moto.server", reason="needs moto[s3] (test extra)")
    boto3 = pytest.importorskip("boto3", reason="needs apache-beam[aws] (test extra)")
    from apache_beam.io.filesystems import FileSystems
    from apache_beam.options.pipeline_options import PipelineOptions
    from cfnews.transforms.warc import match_warcs
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        for key, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                           "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": endpoint,
                           "AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": "/dev/null",
                           "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}.items():
            monkeypatch.setenv(key, value)
        client = boto3.client("s3")
        client.create_bucket(Bucket="archives")
        FileSystems.set_options(PipelineOptions([
            f"--s3_endpoint_url={endpoint}", "--s3_access_key_id=test",
            "--s3_secret_access_key=test", "--s3_region_name=us-east-1"]))
        good = tmp_path / "good.warc.gz"
        offsets = _three_pages(str(good))
        damaged = bytearray(good.read_bytes())
        damaged[offsets[1] + 5:offsets[1] + 45] = b"\x00corrupt" * 5
        client.put_object(Bucket="archives", Key="crawl/a.warc.gz", Body=good.read_bytes())
        client.put_object(Bucket="archives", Key="crawl/b.warc.gz", Body=bytes(damaged))
        client.put_object(Bucket="archives", Key="crawl/notes.txt", Body=b"not a warc")
        files = match_warcs(["s3://archives/crawl/*.warc.gz", "s3://archives/crawl/a.warc.gz"])
        assert files == ["s3://archives/crawl/a.warc.gz", "s3://archives/crawl/b.warc.gz"]
        assert kinds(read_warc(files[0])) == ["FeedEntry"] * 3
        items = list(read_warc(files[1]))
        assert kinds(items) == ["FeedEntry", "Rejected:warc_unreadable", "FeedEntry"]
        assert items[1].error.startswith(f"s3://archives/crawl/b.warc.gz at offset {offsets[1]} ")
    finally:
        FileSystems.set_options(PipelineOptions([]))
        server.stop()
