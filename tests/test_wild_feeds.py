"""Feeds as they come in the wild, served on loopback, read by `cfnews run --once` as a
subprocess: every item ends as an article, a duplicate or a rejected row with a reason."""
from __future__ import annotations

import json
import random

import duckdb
import pytest

from cfnews.pipeline import exit_codes
from tests.test_interrupts import WORDS
from tests.test_operator_cli import cfnews, feeds_file

pytestmark = pytest.mark.e2e


def page(n: int) -> str:
    rng = random.Random(n)
    body = "".join(f"<p>Story {n}: {' '.join(rng.choice(WORDS) for _ in range(80))}.</p>"
                   for _ in range(5))
    return (f"<html><head><title>Story {n}</title></head><body><article><h1>Story {n}</h1>"
            f"{body}</article></body></html>")


def rss(server, items) -> str:
    body = "".join(f"<item><title>Story {n}</title><link>{server.url(f'/s/{n}')}</link>"
                   f"<guid isPermaLink='false'>{guid}</guid></item>" for n, guid in items)
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>{body}</channel></rss>"


def test_a_feed_stamping_one_guid_on_every_item_loses_none_of_them(tmp_path, server):
    """Some CMSs give every item the same guid (the site's name or address). Each such item
    but the first was rejected as `duplicate_entry` under its own page's id, so the pages were
    never fetched, and stayed "handled" when the feed later gave them proper guids."""
    for n in (1, 2, 3):
        server.add(f"/s/{n}", page(n))
    feed = server.add("/feed.xml", rss(server, [(n, "our-site") for n in (1, 2, 3)]),
                      content_type="application/rss+xml")
    out = tmp_path / "out"
    args = ("run", "--feeds", feeds_file(tmp_path, [feed]), "--out", out, "--once",
            "--all-topics", f"--allow-hosts={server.host_port}", "--min-host-delay=0", "-q")
    done = cfnews(*args)
    assert done.returncode == exit_codes.OK, done.stdout + done.stderr
    assert "3 + 0 + 0 = 3 of 3" in done.stdout, done.stdout
    # the same item listed twice is one entry (the repeat is counted, not a row)
    server.add("/feed.xml", rss(server, [(4, "g-4"), (4, "g-4")]),
               content_type="application/rss+xml")
    server.add("/s/4", page(4))
    done = cfnews(*args)
    assert done.returncode == exit_codes.OK, done.stdout + done.stderr
    urls = duckdb.sql(f"SELECT url FROM read_parquet('{out}/articles/**/*.parquet') "
                      "ORDER BY url").fetchall()
    assert [u for (u,) in urls] == [server.url(f"/s/{n}") for n in (1, 2, 3, 4)]
    assert "1 listed again in the same feed" in done.stdout, done.stdout


def test_a_feed_whose_server_says_retry_after_an_hour_is_not_asked_again_before(tmp_path, server):
    """A 429 with "Retry-After: 3600" is longer than a fetch waits, so the poll fails; the next
    `run --once` (a cron job ten minutes later) asked again all the same, and `--every` after
    its own backoff. The time is kept in the state and held by every poll; the other feeds are
    read."""
    server.add("/s/1", page(1))
    busy = server.add("/busy.xml", "slow down", status=429, content_type="text/plain",
                      headers={"Retry-After": "3600"})
    fine = server.add("/feed.xml", rss(server, [(1, "g-1")]), content_type="application/rss+xml")
    out = tmp_path / "out"
    args = ("run", "--feeds", feeds_file(tmp_path, [busy, fine]), "--out", out, "--once",
            "--all-topics", f"--allow-hosts={server.host_port}", "--min-host-delay=0",
            "--summary-json", tmp_path / "s.json")
    first = cfnews(*args)
    assert first.returncode == exit_codes.OK, first.stdout + first.stderr
    assert server.hits["/busy.xml"] == 1 and "failed 1" in first.stdout, first.stdout
    second = cfnews(*args)
    assert second.returncode == exit_codes.OK, second.stdout + second.stderr
    assert server.hits["/busy.xml"] == 1, "asked again before its Retry-After"
    assert server.hits["/feed.xml"] == 2
    assert f"feed {busy} not polled: its server asked (Retry-After) not before" in second.stderr
    assert "held 1" in second.stdout, second.stdout
    report = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert report["feeds"] == {"polled": 1, "failed": 0, "not_modified": 0, "read": 1,
                               "held": 1}
