import pytest

from transforms.urls import article_id_for, canonical_url


@pytest.mark.parametrize("variant", [
    "https://www.example.com/world/story-1",
    "http://example.com/world/story-1/",
    "https://m.example.com/world/story-1?utm_source=rss&utm_medium=feed",
    "https://amp.example.com/world/story-1/amp",
    "https://EXAMPLE.com:443/world//story-1#comments",
    "https://example.com/world/story-1?fbclid=abc&gclid=x",
])
def test_variants_of_one_article_share_canonical_url_and_id(variant):
    assert canonical_url(variant) == "https://example.com/world/story-1"
    assert article_id_for(canonical_url(variant)) == article_id_for("https://example.com/world/story-1")


def test_meaningful_query_parameters_are_kept_and_sorted():
    assert canonical_url("https://e.com/a?id=2&page=1") == "https://e.com/a?id=2&page=1"
    assert canonical_url("https://e.com/a?page=1&id=2") == "https://e.com/a?id=2&page=1"
    assert canonical_url("https://e.com/a?id=2") != canonical_url("https://e.com/a?id=3")


def test_non_default_port_is_kept():
    assert canonical_url("http://127.0.0.1:8123/x") == "https://127.0.0.1:8123/x"


@pytest.mark.parametrize("bad", ["", "ftp://e.com/a", "/relative/path", "mailto:a@b.c", "http://"])
def test_non_http_urls_are_refused(bad):
    with pytest.raises(ValueError):
        canonical_url(bad)


def test_article_id_is_stable_hex():
    assert article_id_for("https://e.com/a") == article_id_for("https://e.com/a")
    assert len(article_id_for("https://e.com/a")) == 16
    int(article_id_for("https://e.com/a"), 16)
