"""Backfill source: a JSONL manifest of saved pages, one entry per line.

Each line: {"url", "outlet", "published"?: ISO 8601, and one of "html_file" (path, relative
to the manifest, may end in .gz), "html", or "text" (+ optional "title")}. A bad line becomes
a `rejected` row naming its line number; it never stops the run.

`html_file` is confined: it resolves relative to the manifest's folder and must stay inside it
(after `..` and symlinks are resolved); absolute paths and URLs are refused, unless the
operator names another root (--manifest-root), inside which they may then point. Only regular
files are read, opened without blocking (a FIFO or device is refused, never waited on).

Every line's rows have a stable article id: the canonical URL's for a good line, one from the
line's position and content for a rejected line, so a rerun of the same manifest skips what an
earlier run wrote (`seen_ids`)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import posixpath
import stat
import zlib
from typing import Iterator, Optional, Union

import apache_beam as beam
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from cfnews.schemas import UNKNOWN_OUTLET, FeedEntry, Reason, Rejected, Stage, is_outlet_id, utc_now
from cfnews.transforms.common import count, run_stage, StageDoFn
from cfnews.transforms.urls import article_id_for, canonical_url

_KNOWN_KEYS = {"url", "outlet", "published", "html_file", "html", "text", "title", "language"}
MAX_HTML_BYTES = 20 * 1024 * 1024


class ManifestLineError(ValueError):
    def __init__(self, reason: Reason, message: str):
        super().__init__(message)
        self.reason = reason


def _dirname(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else "."


def _refuse(message: str) -> ManifestLineError:
    return ManifestLineError(Reason.MANIFEST_FILE_REFUSED, message)


def resolve_html_file(manifest_path: str, value: str, root: Optional[str] = None) -> str:
    """The file a line's `html_file` names, confined to the manifest's folder, or to `root`
    when the operator gave one; ManifestLineError(MANIFEST_FILE_REFUSED) otherwise."""
    if not value or "\x00" in value:
        raise _refuse("empty html_file, or a NUL byte in it")
    if "://" in manifest_path or "://" in value or (root and "://" in root):
        base = _dirname(manifest_path)
        if "://" in value or value.startswith("/"):
            if not root:
                raise _refuse(f"{value!r}: absolute paths and URLs need --manifest-root")
            candidate = value
        else:
            candidate = posixpath.join(base, value)
        scheme, _, rest = candidate.partition("://")
        candidate = f"{scheme}://{posixpath.normpath(rest)}" if rest else posixpath.normpath(scheme)
        allowed = (root or base).rstrip("/") + "/"
        if not candidate.startswith(allowed):
            raise _refuse(f"{value!r} resolves to {candidate}, outside {allowed}")
        return candidate
    base = os.path.dirname(os.path.abspath(manifest_path))
    if os.path.isabs(value) and not root:
        raise _refuse(f"{value!r}: absolute paths need --manifest-root")
    allowed = os.path.realpath(root or base)
    real = os.path.realpath(os.path.join(base, value))  # symlinks and '..' resolved
    if os.path.commonpath([real, allowed]) != allowed:
        raise _refuse(f"{value!r} resolves to {real}, outside {allowed}"
                      + ("" if root else " (the manifest's folder; see --manifest-root)"))
    return real


def _read_local(path: str) -> bytes:
    # O_NONBLOCK: opening a FIFO must not wait for a writer; O_NOFOLLOW: the path was
    # resolved already, a symlink swapped in since is refused
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if os.path.islink(path):
            raise _refuse(f"{path}: became a symlink") from None
        raise ManifestLineError(Reason.MANIFEST_FILE_UNREADABLE,
                                f"{path}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise _refuse(f"{path}: not a regular file")
        os.set_blocking(fd, True)
        return handle.read(MAX_HTML_BYTES + 1)


def read_html_file(path: str) -> str:
    if "://" in path:
        with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
            data = handle.read(MAX_HTML_BYTES + 1)
    else:
        data = _read_local(path)
    if path.endswith(".gz"):
        # bounded: a small .gz must not inflate into gigabytes
        data = zlib.decompressobj(wbits=31).decompress(data, MAX_HTML_BYTES + 1)
    if len(data) > MAX_HTML_BYTES:
        raise ManifestLineError(Reason.MANIFEST_FILE_UNREADABLE,
                                f"{path}: larger than {MAX_HTML_BYTES} bytes")
    from cfnews.transforms.http import decode_html  # local: keeps manifest import light
    return decode_html(data)


def line_article_id(line_no: int, line: str) -> str:
    """The stable id of a rejected manifest line: its position and content."""
    digest = hashlib.sha256(f"manifest-line\x1f{line_no}\x1f{line}".encode("utf-8"))
    return digest.hexdigest()[:16]


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
                        discovered_at: dt.datetime | None = None,
                        root: Optional[str] = None) -> Union[FeedEntry, Rejected]:
    """A FeedEntry, or a Rejected row; `root` is the operator's --manifest-root."""
    discovered_at = discovered_at or utc_now()
    entry_id = f"{manifest_path}#L{line_no}"
    line_id = line_article_id(line_no, line)
    try:
        record = json.loads(line)
    except (json.JSONDecodeError, RecursionError) as exc:
        return _bad(entry_id, line_no, line_id, Reason.MANIFEST_BAD_LINE, f"not JSON: {exc}",
                    discovered_at)
    if not isinstance(record, dict):
        return _bad(entry_id, line_no, line_id, Reason.MANIFEST_BAD_LINE, "not a JSON object",
                    discovered_at)
    url, outlet = record.get("url"), record.get("outlet")
    try:
        unknown = sorted(set(record) - _KNOWN_KEYS)
        if unknown:
            raise ManifestLineError(Reason.MANIFEST_BAD_LINE, f"unknown keys {unknown}")
        if not isinstance(url, str) or not url:
            raise ManifestLineError(Reason.MANIFEST_BAD_LINE, "missing 'url'")
        if not is_outlet_id(outlet):
            raise ManifestLineError(Reason.MANIFEST_BAD_LINE,
                                    "missing or invalid 'outlet' (lowercase id [a-z0-9_-], "
                                    "at most 64 characters)")
        try:
            canonical = canonical_url(url)
        except ValueError as exc:
            raise ManifestLineError(Reason.MANIFEST_BAD_LINE, str(exc)) from None
        sources = [k for k in ("html_file", "html", "text") if record.get(k) is not None]
        if len(sources) != 1:
            raise ManifestLineError(Reason.MANIFEST_BAD_LINE,
                                    "exactly one of 'html_file', 'html', 'text' is required")
        for key in ("html_file", "html", "text", "title", "language"):
            if record.get(key) is not None and not isinstance(record[key], str):
                raise ManifestLineError(Reason.MANIFEST_BAD_LINE, f"'{key}' must be a string")
        published = _published(record.get("published"))
        from cfnews.transforms.http import not_text_problem  # local: keeps manifest import light
        html = record.get("html")
        if sources[0] == "html_file":
            path = resolve_html_file(manifest_path, record["html_file"], root)
            try:
                html = read_html_file(path)
            except ManifestLineError:
                raise
            except Exception as exc:
                raise ManifestLineError(Reason.MANIFEST_FILE_UNREADABLE,
                                        f"{path}: {type(exc).__name__}: {exc}") from None
            problem = not_text_problem(html)
            if problem:  # a binary file named as a page
                raise ManifestLineError(Reason.MANIFEST_FILE_UNREADABLE, f"{path}: {problem}")
        for key in ("html", "text"):
            problem = not_text_problem(record.get(key) or "")
            if problem:
                raise ManifestLineError(Reason.MANIFEST_BAD_LINE, f"'{key}' is {problem}")
    except ManifestLineError as exc:
        return _bad(entry_id, line_no, line_id, exc.reason, str(exc), discovered_at,
                    url=url if isinstance(url, str) else "",
                    outlet=outlet if is_outlet_id(outlet) else UNKNOWN_OUTLET)
    return FeedEntry(outlet=outlet, feed_url=manifest_path, entry_id=entry_id, url=url,
                     article_id=article_id_for(canonical), canonical_url=canonical,
                     title=(record.get("title") or "").strip(), published_at=published,
                     discovered_at=discovered_at, language_hint=record.get("language") or "",
                     html=html if html is not None else None,
                     text=record.get("text"))


def _bad(entry_id, line_no, line_id, reason, message, discovered_at, url="",
         outlet=UNKNOWN_OUTLET):
    return Rejected(stage=Stage.MANIFEST.value, reason=reason.value, outlet=outlet, url=url,
                    feed_url=entry_id.rsplit("#", 1)[0], entry_id=entry_id, article_id=line_id,
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

    def __init__(self, root: Optional[str] = None):
        self.root = root

    def handle(self, item):
        manifest_path, line_no, line = item
        count("cfnews.entries", "seen")
        yield parse_manifest_line(manifest_path, line_no, line, root=self.root)


@dataclasses.dataclass
class ReadManifest(beam.PTransform):
    """manifest path -> (FeedEntry with html/text, Rejected). `root`: where html_file may
    point (default: the manifest's folder; else the pipeline option --manifest_root).
    Every line, good or rejected, carries a stable article id: the graph's history check
    (transforms/history.py) drops those an earlier run wrote, so a rerun adds nothing."""
    root: Optional[str] = None

    def expand(self, paths):
        root = self.root
        if root is None:
            root = paths.pipeline.options.get_all_options().get("manifest_root")
        lines = (paths
                 | "ReadLines" >> beam.FlatMap(read_manifest_lines)
                 | "SpreadLines" >> beam.Reshuffle())
        return run_stage(lines, "ParseManifestLine", _ParseLineFn(root))
