import csv
from pathlib import Path

import pytest

from cfnews.pipeline.feeds_file import FeedsFileError, dump_feeds, load_feeds, parse_feeds
from cfnews.schemas import FeedSource

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[2] / "shared"

VALID = """\
version: 1
feeds:
  - outlet: le-monde
    url: https://www.lemonde.fr/international/rss_full.xml
    language: fr
    country: FR
    name: Le Monde
    section: International
  - outlet: le-monde
    url: https://www.lemonde.fr/asie-pacifique/rss_full.xml
    language: fr
    country: FR
  - outlet: cgtn
    url: https://www.cgtn.com/subscribe/rss/section/world.xml
    language: en
    country: CN
    state_affiliated: true
"""


def one_feed(**fields) -> str:
    """A one-feed file; a field set to None is left out."""
    feed = {"outlet": "rfi_zh", "url": "https://www.rfi.fr/cn/rss", "language": "zh",
            "country": "FR", **fields}
    lines = "".join(f"    {k}: {v}\n" for k, v in feed.items() if v is not None)
    return "version: 1\nfeeds:\n  -\n" + lines


def errors_of(text: str) -> list[str]:
    with pytest.raises(FeedsFileError) as info:
        parse_feeds(text, source="test.yaml")
    assert str(info.value).startswith("test.yaml: ")
    return info.value.errors


def test_valid_file_loads(tmp_path):
    path = tmp_path / "feeds.yaml"
    path.write_text(VALID, encoding="utf-8")
    feeds = load_feeds(path)
    assert feeds[0] == FeedSource(
        outlet="le-monde", url="https://www.lemonde.fr/international/rss_full.xml", language="fr",
        country="FR", name="Le Monde", section="International")
    assert feeds[1].name == "" and feeds[1].state_affiliated is False   # defaults
    assert feeds[2].state_affiliated is True
    assert [f.outlet for f in feeds] == ["le-monde", "le-monde", "cgtn"]  # several feeds per outlet


def test_dump_round_trips():
    feeds = parse_feeds(VALID)
    assert parse_feeds(dump_feeds(feeds)) == feeds


@pytest.mark.parametrize("fields, expected", [
    ({"langauge": "fr"}, "feeds[0]: unknown key 'langauge'"),
    ({"outlet": None}, "feeds[0].outlet: missing"),
    ({"url": None}, "feeds[0].url: missing"),
    ({"language": None}, "feeds[0].language: missing"),
    ({"country": None}, "feeds[0].country: missing"),
    ({"url": "ftp://example.org/rss"}, "feeds[0].url: 'ftp://example.org/rss' is not an http(s) URL"),
    ({"url": "'https:///rss.xml'"}, "feeds[0].url: 'https:///rss.xml' is not an http(s) URL"),
    ({"url": "www.example.org/rss"}, "feeds[0].url: 'www.example.org/rss' is not an http(s) URL"),
    ({"outlet": "Le Monde"}, "feeds[0].outlet: 'Le Monde' must match"),
    ({"outlet": "-rfi"}, "feeds[0].outlet: '-rfi' must match"),
    ({"outlet": "rfi/zh"}, "feeds[0].outlet: 'rfi/zh' must match"),
    ({"language": "fra"}, "feeds[0].language: 'fra' must be a 2-letter"),
    ({"language": "zh-Hans"}, "feeds[0].language: 'zh-Hans' must be a 2-letter"),
    ({"language": "FR"}, "feeds[0].language: 'FR' must be a 2-letter"),
    ({"country": "fr"}, "feeds[0].country: 'fr' must be a 2-letter uppercase"),
    ({"country": "FRA"}, "feeds[0].country: 'FRA' must be a 2-letter uppercase"),
    ({"state_affiliated": "'yes'"}, "feeds[0].state_affiliated: must be true or false"),
    ({"name": "[a, b]"}, "feeds[0].name: must be a string"),
    ({"item_id": "'/a-(\\d+'"}, "feeds[0].item_id: '/a-(\\\\d+' is not a valid regular expression"),
    ({"item_id": "'/a-\\d+$'"}, "feeds[0].item_id: '/a-\\\\d+$' must have exactly one capture group"),
    ({"item_id": "'/(a)-(\\d+)$'"}, "feeds[0].item_id: '/(a)-(\\\\d+)$' must have exactly one capture group"),
    ({"item_id": "'(\\d*)'"}, "feeds[0].item_id: '(\\\\d*)' matches an empty URL"),
    ({"item_id": "42"}, "feeds[0].item_id: must be a string"),
])
def test_each_field_error_is_named(fields, expected):
    errors = errors_of(one_feed(**fields))
    assert len(errors) == 1, errors
    assert errors[0].startswith(expected), errors


def test_item_id_is_compiled_at_load_and_round_trips():
    [feed] = parse_feeds(one_feed(item_id="'/a-(\\d+)(?:\\?|$)'"))
    assert feed.item_id_rule == r"/a-(\d+)(?:\?|$)"
    assert parse_feeds(dump_feeds([feed])) == [feed]
    [plain] = parse_feeds(one_feed())
    assert plain.item_id_rule == "" and "item_id" not in dump_feeds([plain])


def test_every_feed_of_an_outlet_gives_the_same_item_id_or_none_does():
    text = VALID.replace("    country: FR\n    name: Le Monde\n",
                         "    country: FR\n    item_id: '_(\\d+)_\\d+\\.html$'\n    name: Le Monde\n")
    errors = errors_of(text)
    rule = r"_(\d+)_\d+\.html$"
    assert errors == [f"feeds[1].item_id: outlet 'le-monde' has item_id {rule!r} in feeds[0] "
                      "and None here: every feed of an outlet gives the same item_id, or none "
                      "does"], errors
    same = text.replace("    country: FR\n  - outlet: cgtn",
                        "    country: FR\n    item_id: '_(\\d+)_\\d+\\.html$'\n  - outlet: cgtn")
    assert {f.outlet: f.item_id_rule for f in parse_feeds(same)} == {"le-monde": rule, "cgtn": ""}


def test_duplicates():
    pair = VALID + """\
  - outlet: cgtn
    url: https://www.cgtn.com/subscribe/rss/section/world.xml
    language: en
    country: CN
"""
    assert errors_of(pair) == ["feeds[3].url: duplicate feed: same (outlet, url) as feeds[2]"]
    other_outlet = VALID + """\
  - outlet: cgtn-copy
    url: HTTPS://WWW.CGTN.COM/subscribe/rss/section/world.xml
    language: en
    country: CN
"""
    assert errors_of(other_outlet) == [
        "feeds[3].url: duplicate url: already used by outlet 'cgtn' as feeds[2]"]


def test_all_errors_are_collected_with_their_index():
    text = VALID + """\
  - outlet: Bad Outlet
    url: https://example.org/a.xml
    language: fr
    country: FR
  - outlet: ok
    url: mailto:someone@example.org
    language: french
    country: FR
"""
    errors = errors_of(text)
    assert [e.split(":")[0] for e in errors] == ["feeds[3].outlet", "feeds[4].url", "feeds[4].language"]


@pytest.mark.parametrize("text, expected", [
    ("feeds: [\n", "not valid YAML"),
    ("- a\n- b\n", "top level must be a mapping"),
    ("version: 2\nfeeds: [{outlet: a, url: 'http://a.org/', language: en, country: GB}]\n",
     "version: must be 1, got 2"),
    ("version: 1\nfeeds: []\n", "feeds: must be a non-empty list"),
    ("version: 1\n", "feeds: must be a non-empty list"),
    ("version: 1\nfeed: []\nfeeds: [{outlet: a, url: 'http://a.org/', language: en, country: GB}]\n",
     "unknown top-level key 'feed'"),
    ("version: 1\nfeeds: [just-a-string]\n", "feeds[0]: must be a mapping"),
])
def test_file_level_errors(text, expected):
    assert any(e.startswith(expected) for e in errors_of(text))


def test_unreadable_file(tmp_path):
    with pytest.raises(FeedsFileError, match="cannot read"):
        load_feeds(tmp_path / "nope.yaml")


def test_uri_with_no_filesystem_is_a_clear_error():
    with pytest.raises(FeedsFileError, match="cannot read") as info:
        load_feeds("nosuchscheme://bucket/feeds.yaml")
    assert "nosuchscheme://bucket/feeds.yaml" in str(info.value)


def test_error_message_lists_every_problem():
    with pytest.raises(FeedsFileError) as info:
        parse_feeds(one_feed(language="fra", country="fr"), source="x.yaml")
    message = str(info.value)
    assert "2 error(s)" in message and "feeds[0].language" in message and "feeds[0].country" in message
    assert isinstance(info.value, ValueError)


def test_shipped_feeds_yaml_loads():
    feeds = load_feeds(ROOT / "feeds.yaml")
    assert 20 <= len(feeds) <= 40
    assert {f.language for f in feeds} >= {"en", "fr", "zh"}
    assert any(f.state_affiliated for f in feeds) and not all(f.state_affiliated for f in feeds)
    assert all(f.name for f in feeds)
    # no third-party RSSHub routes or search-query feeds
    assert not any("rsshub" in f.url or "news.google" in f.url or "bing.com" in f.url for f in feeds)


def test_shipped_feeds_come_from_the_reference_list():
    reference = SHARED / "reference"
    if not reference.is_dir():
        pytest.skip("../shared/reference is absent (the project is checked out alone)")
    read = lambda name: list(csv.DictReader(open(reference / name, encoding="utf-8"), delimiter="\t"))
    candidates = {r["url"]: r for r in read("feeds-candidates.tsv")}
    dead = {r["url"] for r in read("feeds-dead.tsv")}
    for feed in load_feeds(ROOT / "feeds.yaml"):
        assert feed.url not in dead
        assert feed.url in candidates, feed.url
        row = candidates[feed.url]
        assert row["evidence"].startswith(("LIVE", "LISTED")), feed.url
        assert feed.state_affiliated == (row["state_affiliated"] == "yes"), feed.url
        assert feed.country == row["country"] and row["language"].startswith(feed.language)
