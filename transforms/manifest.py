"""Backfill source: a JSONL manifest of saved pages, one entry per line.

Each line: {"url", "outlet", "published"?: ISO 8601, and one of "html_file" (path, relative
to the manifest, may end in .gz), "html", or "text" (+ optional "title")}. A bad line becomes
a `rejected` row naming its line number; it never stops the run."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import zlib
from typing import Iterator, Union

import apache_beam as beam
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from schemas import FeedEntry, Reason, Rejected, Stage, utc_now
from transforms.common import count, run_stage, StageDoFn
from transforms.urls import article_id_for, canonical_url
from transforms.write import join

_OUTLET = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_KNOWN_KEYS = {"url", "outlet", "published", "html_file", "html", "text", "title", "language"}
MAX_HTML_BYTES = 20 * 1024 * 1024


class ManifestLineError(ValueError):
    def __init__(self, reason: Reason, message: str):
        super().__init__(message)
        self.reason = reason


def _dirname(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else "."


def read_html_file(path: str) -> str:
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
        data = handle.read(MAX_HTML_BYTES + 1)
    if path.endswith(".gz"):
        # bounded: a small .gz must not inflate into gigabytes
        data = zlib.decompressobj(wbits=31).decompress(data, MAX_HTML_BYTES + 1)
    if len(data) > MAX_HTML_BYTES:
        raise ManifestLineError(Reason.MANIFEST_FILE_UNREADABLE,
                                f"{path}: larger than {MAX_HTML_BYTES} bytes")
    from transforms.http import decode_html  # local: keeps manifest import light
    return decode_html(data)


def _published(value) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ManifestLineError(Reason.MANIFEST_BAD_LINE, "'published' must be an ISO 8601 string")
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ManifestLineError(Reason.MANIFEST_BAD_LINE,
                                f"'published' is not ISO 8601: {value!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.astimezone(dt.timezone.utc)


def parse_manifest_line(manifest_path: str, line_no: int, line: str,
                        discovered_at: dt.datetime | None = None) -> Union[FeedEntry, Rejected]:
    discovered_at = discovered_at or utc_now()
    entry_id = f"{manifest_path}#L{line_no}"
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        return _bad(entry_id, line_no, Reason.MANIFEST_BAD_LINE, f"not JSON: {exc}", discovered_at)
    if not isinstance(record, dict):
        return _bad(entry_id, line_no, Reason.MANIFEST_BAD_LINE, "not a JSON object", discovered_at)
    url, outlet = record.get("url"), record.get("outlet")
    try:
        unknown = sorted(set(record) - _KNOWN_KEYS)
        if unknown:
            raise ManifestLineError(Reason.MANIFEST_BAD_LINE, f"unknown keys {unknown}")
        if not isinstance(url, str) or not url:
            raise ManifestLineError(Reason.MANIFEST_BAD_LINE, "missing 'url'")
        if not isinstance(outlet, str) or not _OUTLET.match(outlet):
            raise ManifestLineError(Reason.MANIFEST_BAD_LINE,
                                    "missing or invalid 'outlet' (lowercase id [a-z0-9_-])")
        try:
            canonical = canonical_url(url)
        except ValueError as exc:
            raise ManifestLineError(Reason.MANIFEST_BAD_LINE, str(exc)) from None
        sources = [k for k in ("html_file", "html", "text") if record.get(k) is not None]
        if len(sources) != 1:
            raise ManifestLineError(Reason.MANIFEST_BAD_LINE,
                                    "exactly one of 'html_file', 'html', 'text' is required")
        for key in ("html_file", "html", "text", "title"):
            if record.get(key) is not None and not isinstance(record[key], str):
                raise ManifestLineError(Reason.MANIFEST_BAD_LINE, f"'{key}' must be a string")
        published = _published(record.get("published"))
        html = record.get("html")
        if sources[0] == "html_file":
            path = record["html_file"]
            if not (path.startswith("/") or "://" in path):
                path = join(_dirname(manifest_path), path)
            try:
                html = read_html_file(path)
            except ManifestLineError:
                raise
            except Exception as exc:
                raise ManifestLineError(Reason.MANIFEST_FILE_UNREADABLE,
                                        f"{path}: {type(exc).__name__}: {exc}") from None
    except ManifestLineError as exc:
        return _bad(entry_id, line_no, exc.reason, str(exc), discovered_at,
                    url=url if isinstance(url, str) else "",
                    outlet=outlet if isinstance(outlet, str) and _OUTLET.match(outlet) else "_unknown")
    return FeedEntry(outlet=outlet, feed_url=manifest_path, entry_id=entry_id, url=url,
                     article_id=article_id_for(canonical), canonical_url=canonical,
                     title=(record.get("title") or "").strip(), published_at=published,
                     discovered_at=discovered_at, language_hint=record.get("language") or "",
                     html=html if html is not None else None,
                     text=record.get("text"))


def _bad(entry_id, line_no, reason, message, discovered_at, url="", outlet="_unknown"):
    return Rejected(stage=Stage.MANIFEST.value, reason=reason.value, outlet=outlet, url=url,
                    feed_url=entry_id.rsplit("#", 1)[0], entry_id=entry_id,
                    error=f"line {line_no}: {message}", discovered_at=discovered_at,
                    source="backfill")


def read_manifest_lines(manifest_path: str) -> Iterator[tuple]:
    """(manifest_path, line_no, line) for every non-blank line."""
    with FileSystems.open(manifest_path) as handle:
        for line_no, raw in enumerate(handle, start=1):
            line = raw.decode("utf-8", errors="replace").strip()
            if line:
                yield manifest_path, line_no, line


class _ParseLineFn(StageDoFn):
    stage = Stage.MANIFEST

    def handle(self, item):
        manifest_path, line_no, line = item
        count("cfnews.entries", "seen")
        yield parse_manifest_line(manifest_path, line_no, line)


@dataclasses.dataclass
class ReadManifest(beam.PTransform):
    """manifest path -> (FeedEntry with html/text, Rejected)."""

    def expand(self, paths):
        lines = (paths
                 | "ReadLines" >> beam.FlatMap(read_manifest_lines)
                 | "SpreadLines" >> beam.Reshuffle())
        return run_stage(lines, "ParseManifestLine", _ParseLineFn())
