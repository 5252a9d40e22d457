"""feeds.yaml: the list of feeds to poll, validated up front so a typo fails at load time,
not as a half-empty run. Format:

    version: 1
    feeds:
      - {outlet: le-monde, url: https://..., language: fr, country: FR,
         name: Le Monde, state_affiliated: false, section: International}
      - {outlet: dw-zh, url: https://..., language: zh, country: DE,
         item_id: '(?:/|%2F)a-(\\d+)(?:[?=&]|$)'}

`item_id` (optional) is a regular expression with exactly one capture group, searched in an
entry's canonical URL: what it captures is the outlet's item id, which stays when the outlet
re-posts an item under a new URL; articles of one outlet and item id are one story
(transforms/dedup.py: item_key). Every feed of one outlet gives the same rule, or none does:
the key is (outlet, item id).
"""
from __future__ import annotations

import re
from os import PathLike
from typing import Iterable, Union
from urllib.parse import urlsplit

import yaml

from cfnews.schemas import OUTLET_ID, FeedSource, is_outlet_id

VERSION = 1
REQUIRED = ("outlet", "url", "language", "country")
OPTIONAL = ("name", "state_affiliated", "section", "item_id")
FIELDS = REQUIRED + OPTIONAL

# The outlet id becomes a Hive partition folder name: safe path characters, bounded length
# (schemas/ids.py). Every pattern is used with fullmatch: `$` matches before a trailing "\n".
OUTLET_RE = OUTLET_ID
LANGUAGE_RE = re.compile(r"[a-z]{2}")      # ISO 639-1; script variants (zh-Hant) fold to zh
COUNTRY_RE = re.compile(r"[A-Z]{2}")       # ISO 3166-1 alpha-2


class FeedsFileError(ValueError):
    """feeds.yaml is unreadable or invalid. `errors` lists every problem found, not just the first."""

    def __init__(self, source: str, errors: Iterable[str]):
        self.source = source
        self.errors = list(errors)
        lines = "\n".join(f"  - {e}" for e in self.errors)
        super().__init__(f"{source}: {len(self.errors)} error(s) in feeds file:\n{lines}")


def _url_key(url: str) -> str:
    # Scheme and host are case-insensitive; compare on that form to catch near-identical URLs.
    parts = urlsplit(url)
    return parts._replace(scheme=parts.scheme.lower(), netloc=parts.netloc.lower(), fragment="").geturl()


def _check_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and bool(parts.hostname) and not re.search(r"\s", url)
    except ValueError:  # e.g. a malformed IPv6 host
        return False


def _check_entry(i: int, raw, errors: list) -> FeedSource | None:
    where = f"feeds[{i}]"
    if not isinstance(raw, dict):
        errors.append(f"{where}: must be a mapping of fields, got {type(raw).__name__}")
        return None
    before = len(errors)
    for key in sorted(set(raw) - set(FIELDS), key=str):
        errors.append(f"{where}: unknown key {key!r} (allowed: {', '.join(FIELDS)})")
    for key in REQUIRED:
        if key not in raw or raw[key] in (None, ""):
            errors.append(f"{where}.{key}: missing (required)")
    for key in ("outlet", "url", "language", "country", "name", "section", "item_id"):
        if raw.get(key) is not None and not isinstance(raw[key], str):
            errors.append(f"{where}.{key}: must be a string, got {type(raw[key]).__name__}")
    if len(errors) > before:
        return None

    outlet, url, language, country = (raw[k] for k in REQUIRED)
    if not is_outlet_id(outlet):
        errors.append(f"{where}.outlet: {outlet[:80]!r} must match {OUTLET_RE.pattern} "
                      "(lowercase letters, digits, '-' or '_', at most 64 characters; it "
                      "names a partition folder)")
    if not _check_url(url):
        errors.append(f"{where}.url: {url!r} is not an http(s) URL with a host")
    if not LANGUAGE_RE.fullmatch(language):
        errors.append(f"{where}.language: {language!r} must be a 2-letter lowercase ISO 639-1 code "
                      "(en, fr, zh, ...)")
    if not COUNTRY_RE.fullmatch(country):
        errors.append(f"{where}.country: {country!r} must be a 2-letter uppercase ISO 3166-1 code "
                      "(FR, CN, GB, ...)")
    state = raw.get("state_affiliated", False)
    if not isinstance(state, bool):
        errors.append(f"{where}.state_affiliated: must be true or false, got {state!r}")
    rule = raw.get("item_id") or ""
    if rule:
        problem = item_id_rule_problem(rule)
        if problem:
            errors.append(f"{where}.item_id: {rule[:200]!r} {problem}")
    if len(errors) > before:
        return None
    return FeedSource(outlet=outlet, url=url, language=language, country=country,
                      name=raw.get("name") or "", state_affiliated=state,
                      section=raw.get("section") or "", item_id_rule=rule)


def item_id_rule_problem(rule: str) -> str:
    """Why `rule` cannot be an item_id rule ("" when it can): it must compile, with exactly
    one capture group (named or not), and not match the empty string."""
    try:
        compiled = re.compile(rule)
    except re.error as exc:
        return f"is not a valid regular expression ({exc})"
    if compiled.groups != 1:
        return (f"must have exactly one capture group (the item id), has {compiled.groups}; "
                "write other groups as (?:...)")
    if compiled.search("") is not None:
        return "matches an empty URL: it must require the item id"
    return ""


def parse_feeds(text: str, source: str = "<feeds>") -> list[FeedSource]:
    """Parse and validate feeds YAML text; raise one FeedsFileError listing every problem."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise FeedsFileError(source, [f"not valid YAML: {exc}"]) from None
    if not isinstance(doc, dict):
        raise FeedsFileError(source, ["top level must be a mapping with 'version' and 'feeds'"])

    errors: list[str] = []
    for key in sorted(set(doc) - {"version", "feeds"}, key=str):
        errors.append(f"unknown top-level key {key!r} (allowed: version, feeds)")
    if doc.get("version") != VERSION:
        errors.append(f"version: must be {VERSION}, got {doc.get('version')!r}")
    raw_feeds = doc.get("feeds")
    if not isinstance(raw_feeds, list) or not raw_feeds:
        errors.append("feeds: must be a non-empty list of feeds")
        raise FeedsFileError(source, errors)

    feeds: list[FeedSource] = []
    places: list[int] = []              # each kept feed's index in the file
    seen: dict[str, int] = {}
    for i, raw in enumerate(raw_feeds):
        feed = _check_entry(i, raw, errors)
        if feed is None:
            continue
        key = _url_key(feed.url)
        if key in seen:
            j = seen[key]
            other = raw_feeds[j]["outlet"]
            what = "duplicate feed: same (outlet, url)" if other == feed.outlet else \
                f"duplicate url: already used by outlet {other!r}"
            errors.append(f"feeds[{i}].url: {what} as feeds[{j}]")
            continue
        seen[key] = i
        feeds.append(feed)
        places.append(i)
    # the item key is (outlet, item id): one rule per outlet, given by all its feeds or none
    first_of: dict[str, tuple] = {}
    for i, feed in zip(places, feeds):
        j, first = first_of.setdefault(feed.outlet, (i, feed))
        if first.item_id_rule != feed.item_id_rule:
            errors.append(f"feeds[{i}].item_id: outlet {feed.outlet!r} has item_id "
                          f"{first.item_id_rule or None!r} in feeds[{j}] and "
                          f"{feed.item_id_rule or None!r} here: every feed of an outlet gives "
                          "the same item_id, or none does")
    if errors:
        raise FeedsFileError(source, errors)
    return feeds


def load_feeds(path: Union[str, PathLike]) -> list[FeedSource]:
    """Read and validate a feeds.yaml file: a local path or any Beam filesystem URI
    (gs://, s3://, ...), read like the backfill manifest."""
    from apache_beam.io.filesystem import CompressionTypes
    from apache_beam.io.filesystems import FileSystems
    try:
        with FileSystems.open(str(path), compression_type=CompressionTypes.UNCOMPRESSED) as handle:
            text = handle.read().decode("utf-8")
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        # ValueError: a URI scheme that no installed Beam filesystem handles
        raise FeedsFileError(str(path), [f"cannot read: {exc}"]) from None
    return parse_feeds(text, source=str(path))


def dump_feeds(feeds: Iterable[FeedSource]) -> str:
    """Feeds as feeds.yaml text (round-trips through parse_feeds); empty optional fields omitted."""
    rows = []
    for f in feeds:
        row = {"outlet": f.outlet, "url": f.url, "language": f.language, "country": f.country}
        if f.name:
            row["name"] = f.name
        row["state_affiliated"] = bool(f.state_affiliated)
        if f.section:
            row["section"] = f.section
        if f.item_id_rule:
            row["item_id"] = f.item_id_rule
        rows.append(row)
    return yaml.safe_dump({"version": VERSION, "feeds": rows}, sort_keys=False,
                          allow_unicode=True, width=120)
