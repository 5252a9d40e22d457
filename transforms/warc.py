"""Backfill source: web archives (WARC files, `.warc` or `.warc.gz`), read with warcio.

Each `response` record of an HTTP 200 HTML page becomes a FeedEntry carrying its HTML, like a
manifest line (transforms/manifest.py): url = WARC-Target-URI, discovered_at = WARC-Date (the
capture), no `published_at` (the extract stage takes the page's own date, else the capture's).
Everything else is accounted for:

* a `response` (http/https) whose archived status is not 200, or a `revisit` record (its payload
  is an earlier capture's) -> a `rejected` row, `warc_not_page`;
* a body that is not HTML -> `not_html`; over MAX_HTML_BYTES -> `too_large`; a Content-Encoding
  that does not decode -> `bad_encoding`; a target URI that is no http(s) URL -> `bad_url`;
* a truncated or corrupt record or gzip member, a payload the crawler cut (WARC-Truncated), a
  file that cannot be opened -> `warc_unreadable`;
  the reader then looks for the next record (the next gzip member, or the next `WARC/1.` line of
  an uncompressed file) and goes on: one row per unreadable stretch, never a crash;
* request, metadata, warcinfo, resource, conversion records and responses of other protocols
  (Heritrix's `dns:`) are no pages at all: counted (`Skipped`), no rows.

Every row names the file and the record's offset (`entry_id` `PATH#OFFSET` for entries; `error`
`PATH at offset N: ...` for rejections). Ids: an entry's is its canonical URL's, so a rerun of the
same WARC adds nothing and two captures of one URL are one article (the later one a
`canonical_url` duplicate); a rejected record's id comes from its WARC-Record-ID (else the file
and offset), so it is stable across runs and never claims the URL of a page fetched later.

Records are streamed: a file is never loaded whole, a body is read up to MAX_HTML_BYTES + 1."""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import re
import zlib
from typing import Iterator, NamedTuple, Optional, Sequence, Tuple, Union
from urllib.parse import urlsplit

import apache_beam as beam
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.pvalue import TaggedOutput

from cfnews.schemas import (UNKNOWN_OUTLET, FeedEntry, FeedSource, Reason, Rejected, Stage,
                            is_outlet_id, utc_from_iso, utc_now)
from cfnews.transforms.common import MAIN, REJECTED, count, internal_error_row
from cfnews.transforms.manifest import MAX_HTML_BYTES
from cfnews.transforms.urls import article_id_for, canonical_url, item_id_of

log = logging.getLogger(__name__)

# records that hold no page and are no failure: counted, never rows
NOT_PAGE_TYPES = frozenset({"request", "metadata", "warcinfo", "resource", "conversion",
                            "continuation"})
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_SCAN_CHUNK = 1 << 20
_GZIP_MAGIC = b"\x1f\x8b\x08"
_WARC_MAGIC = b"WARC/1."


class Skipped(NamedTuple):
    """A record that is not a page (request, metadata, warcinfo, ...): counted, not a row."""
    path: str
    offset: int
    rec_type: str


# ---------------------------------------------------------------- outlets

# prefixes that name no outlet: a feed at rss.example.com and pages at www.example.com match
_FEED_PREFIXES = ("www.", "m.", "amp.", "feeds.", "feed.", "rss.")
_PAGE_PREFIXES = ("www.", "m.", "amp.")


def _strip(host: str, prefixes) -> str:
    host = host.lower().rstrip(".")
    for prefix in prefixes:
        if host.startswith(prefix) and host.count(".") > 1:
            return host[len(prefix):]
    return host


def outlet_from_host(host: str) -> str:
    """An outlet id derived from a host: `www.lemonde.fr` -> `lemonde-fr`."""
    ident = re.sub(r"[^a-z0-9]+", "-", _strip(host, _PAGE_PREFIXES)).strip("-")[:64].rstrip("-")
    return ident if is_outlet_id(ident) else UNKNOWN_OUTLET


@dataclasses.dataclass(frozen=True)
class OutletRule:
    """How a record's outlet is chosen: `outlet` for every record when given; else the outlet of
    the feed (from a feeds file) whose host is the record's host or a parent of it (`www.`,
    `m.`, `amp.`, and for feeds `feeds.`, `feed.`, `rss.` ignored; the longest host wins, then
    the first feed of the file), with that feed's language hint and item-id rule; else an id
    derived from the host (`outlet_from_host`)."""
    outlet: str = ""
    hosts: Tuple[Tuple[str, str, str, str], ...] = ()  # (host, outlet, language, item_id rule)

    def __post_init__(self):
        if self.outlet and not is_outlet_id(self.outlet):
            raise ValueError(f"invalid outlet id {self.outlet!r} (lowercase [a-z0-9_-], "
                             "at most 64 characters)")

    @staticmethod
    def from_feeds(feeds: Sequence[FeedSource], outlet: str = "") -> "OutletRule":
        hosts, seen = [], set()
        for feed in feeds:
            try:
                host = _strip(urlsplit(canonical_url(feed.url)).hostname or "", _FEED_PREFIXES)
            except ValueError:
                continue
            if host and host not in seen:
                seen.add(host)
                hosts.append((host, feed.outlet, feed.language, feed.item_id_rule))
        hosts.sort(key=lambda h: -len(h[0]))  # stable: the file's order among equal lengths
        return OutletRule(outlet=outlet, hosts=tuple(hosts))

    def assign(self, canonical: str) -> Tuple[str, str, str]:
        """(outlet, language hint, item id) of a record's canonical URL."""
        if self.outlet:
            return self.outlet, "", ""
        host = _strip(urlsplit(canonical).hostname or "", _PAGE_PREFIXES)
        for feed_host, outlet, language, rule in self.hosts:
            if host == feed_host or host.endswith("." + feed_host):
                return outlet, language, item_id_of(rule, canonical)
        return outlet_from_host(host), "", ""


# ---------------------------------------------------------------- records

class _RecordProblem(Exception):
    def __init__(self, reason: Reason, message: str, status: Optional[int] = None):
        super().__init__(message)
        self.reason = reason
        self.status = status


def record_article_id(path: str, offset: int, record_id: str = "") -> str:
    """The stable id of a rejected record: its WARC-Record-ID, else its file and offset."""
    key = f"warc-record\x1f{record_id}" if record_id else f"warc-offset\x1f{path}\x1f{offset}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def _target_uri(record) -> str:
    return (record.rec_headers.get_header("WARC-Target-URI") or "").strip().strip("<>")


def _read_raw(record) -> bytes:
    """The record's payload as stored, at most MAX_HTML_BYTES + 1 bytes; _RecordProblem when
    the record is shorter than its Content-Length (a cut file); what warcio or zlib raise
    about the file's own bytes goes up as it is (read_warc then resumes further on)."""
    stream = record.raw_stream
    parts, size = [], 0
    while size <= MAX_HTML_BYTES:
        chunk = stream.read(min(1 << 16, MAX_HTML_BYTES + 1 - size))
        if not chunk:
            break
        parts.append(chunk)
        size += len(chunk)
    if size > MAX_HTML_BYTES:
        raise _RecordProblem(Reason.TOO_LARGE, f"body larger than {MAX_HTML_BYTES} bytes")
    missing = getattr(stream, "limit", 0)
    if missing:
        raise _RecordProblem(Reason.WARC_UNREADABLE,
                             f"truncated record: {missing} bytes of its Content-Length missing")
    return b"".join(parts)


def _decoded(raw: bytes, headers) -> bytes:
    """The payload with its Transfer-Encoding (chunked) and Content-Encoding (gzip, deflate)
    undone, bounded like the raw read; _RecordProblem(BAD_ENCODING) when they do not decode."""
    import io
    if (headers.get_header("transfer-encoding") or "").lower() == "chunked":
        from warcio.bufferedreaders import ChunkedDataReader
        try:
            raw = ChunkedDataReader(io.BytesIO(raw), raise_exceptions=True).read()
        except Exception as exc:
            raise _RecordProblem(Reason.BAD_ENCODING,
                                 f"Transfer-Encoding chunked: {type(exc).__name__}: {exc}") from None
    encoding = (headers.get_header("content-encoding") or "").strip().lower()
    if encoding in ("", "identity"):
        return raw
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise _RecordProblem(Reason.BAD_ENCODING, f"Content-Encoding {encoding} not supported")
    for wbits in ((47,) if encoding != "deflate" else (15, -15)):  # 47: gzip or zlib header
        try:
            body = zlib.decompressobj(wbits=wbits).decompress(raw, MAX_HTML_BYTES + 1)
        except zlib.error as exc:
            problem = exc
            continue
        if len(body) > MAX_HTML_BYTES:
            raise _RecordProblem(Reason.TOO_LARGE,
                                 f"body larger than {MAX_HTML_BYTES} bytes once decoded")
        return body
    raise _RecordProblem(Reason.BAD_ENCODING, f"Content-Encoding {encoding}: {problem}")


def _page_or_problem(record, url: str):
    """The HTML text of a response record, or raises _RecordProblem."""
    from cfnews.transforms.fetch import looks_like_html
    from cfnews.transforms.http import decode_html, not_text_problem
    if record.rec_type == "revisit":
        profile = (record.rec_headers.get_header("WARC-Profile") or "").rsplit("/", 1)[-1]
        refers = (record.rec_headers.get_header("WARC-Refers-To-Target-URI") or url).strip("<>")
        when = record.rec_headers.get_header("WARC-Refers-To-Date") or "an earlier capture"
        raise _RecordProblem(Reason.WARC_NOT_PAGE,
                             f"revisit record ({profile or 'no profile'}): the payload is not in "
                             f"this record but in the capture of {refers} at {when}")
    headers = record.http_headers
    if headers is None or not headers.get_statuscode():
        raise _RecordProblem(Reason.WARC_UNREADABLE, "response record without HTTP headers")
    try:
        status = int(headers.get_statuscode())
    except ValueError:
        raise _RecordProblem(Reason.WARC_UNREADABLE,
                             f"unparseable HTTP status line {headers.statusline!r}") from None
    if status != 200:
        location = headers.get_header("location")
        raise _RecordProblem(Reason.WARC_NOT_PAGE,
                             f"archived HTTP status {headers.statusline.strip()}"
                             + (f" (Location: {location})" if location else ""), status)
    truncated = record.rec_headers.get_header("WARC-Truncated")
    if truncated:  # the crawler stopped reading the page (length, time, disconnect)
        raise _RecordProblem(Reason.WARC_UNREADABLE, "payload truncated by the crawler "
                             f"(WARC-Truncated: {truncated})", status)
    content_type_header = headers.get_header("content-type") or ""
    content_type = content_type_header.split(";", 1)[0].strip().lower()
    if content_type not in _HTML_TYPES and content_type not in (
            "", "text/plain", "application/octet-stream"):
        raise _RecordProblem(Reason.NOT_HTML, f"content type {content_type}", status)
    body = _decoded(_read_raw(record), headers)
    if content_type not in _HTML_TYPES and not looks_like_html(body):
        raise _RecordProblem(Reason.NOT_HTML, f"content type {content_type or 'missing'}", status)
    html = decode_html(body, content_type_header)
    problem = not_text_problem(html)
    if problem:
        raise _RecordProblem(Reason.NOT_HTML, f"body is {problem}", status)
    return html


def record_item(record, path: str, offset: int, rule: OutletRule = OutletRule()
                ) -> Union[FeedEntry, Rejected, Skipped]:
    """One WARC record -> a FeedEntry with its HTML, a Rejected row, or Skipped."""
    rec_type = (record.rec_type or "").lower()
    url = _target_uri(record)
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if rec_type in NOT_PAGE_TYPES or rec_type not in ("response", "revisit"):
        return Skipped(path, offset, rec_type or "untyped")
    if scheme and scheme not in ("http", "https"):  # Heritrix's dns:, ftp:, ...: no pages
        return Skipped(path, offset, f"{rec_type} {scheme}:")
    captured = utc_from_iso(record.rec_headers.get_header("WARC-Date"))
    record_id = (record.rec_headers.get_header("WARC-Record-ID") or "").strip()
    where = f"{path}#{offset}"
    outlet, language, item_id = UNKNOWN_OUTLET, "", ""
    try:
        if not url:
            raise _RecordProblem(Reason.WARC_UNREADABLE, f"{rec_type} record without WARC-Target-URI")
        try:
            canonical = canonical_url(url)
        except ValueError as exc:
            raise _RecordProblem(Reason.BAD_URL, str(exc)) from None
        outlet, language, item_id = rule.assign(canonical)
        html = _page_or_problem(record, url)
    except _RecordProblem as problem:
        return rejected_record(path, offset, problem.reason, str(problem), record_id=record_id,
                               url=url, outlet=outlet, status=problem.status,
                               discovered_at=captured, rec_type=rec_type)
    return FeedEntry(outlet=outlet, feed_url=path, entry_id=where, url=url,
                     article_id=article_id_for(canonical), canonical_url=canonical,
                     discovered_at=captured or utc_now(), language_hint=language, html=html,
                     item_id=item_id)


def rejected_record(path: str, offset: int, reason: Reason, message: str, record_id: str = "",
                    url: str = "", outlet: str = UNKNOWN_OUTLET, status: Optional[int] = None,
                    discovered_at: Optional[dt.datetime] = None, rec_type: str = "") -> Rejected:
    what = f"{rec_type} record {record_id}".strip() if (rec_type or record_id) else "record"
    return Rejected(stage=Stage.WARC.value, reason=reason.value,
                    outlet=outlet if is_outlet_id(outlet) else UNKNOWN_OUTLET, url=url,
                    feed_url=path, entry_id=f"{path}#{offset}",
                    article_id=record_article_id(path, offset, record_id), http_status=status,
                    error=f"{path} at offset {offset} ({what}): {message}"[:2000],
                    discovered_at=discovered_at, source="backfill")


# ---------------------------------------------------------------- files

def open_warc(path: str):
    """A binary, seekable handle on the file as stored (warcio undoes the gzip itself)."""
    if "://" in path:
        return FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED)
    return open(path, "rb")


def _next_start(handle, start: int, gzipped: bool) -> Optional[int]:
    """The offset of the next possible record at or after `start`: a gzip member's magic, or a
    `WARC/1.` version line; None at the end of the file."""
    magic = _GZIP_MAGIC if gzipped else _WARC_MAGIC
    position = start
    while True:
        handle.seek(position)
        chunk = handle.read(_SCAN_CHUNK + len(magic))
        if len(chunk) < len(magic):
            return None
        index = chunk.find(magic)
        if index >= 0:
            return position + index
        position += _SCAN_CHUNK


def read_warc(path: str, rule: OutletRule = OutletRule()
              ) -> Iterator[Union[FeedEntry, Rejected, Skipped]]:
    """Every record of one WARC file, in order, as `record_item` sees it; unreadable stretches
    become one `warc_unreadable` row each and reading resumes at the next record."""
    from warcio.archiveiterator import ArchiveIterator
    try:
        handle = open_warc(path)
    except Exception as exc:
        yield rejected_record(path, 0, Reason.WARC_UNREADABLE,
                              f"cannot open: {type(exc).__name__}: {str(exc)[:300]}")
        return
    with handle:
        head = handle.read(len(_GZIP_MAGIC))
        gzipped = head == _GZIP_MAGIC
        position = 0
        while position is not None:
            handle.seek(position)
            records = ArchiveIterator(handle)
            record = None
            try:
                for record in records:
                    if record.format != "warc" or not record.rec_type:
                        # warcio falls back to the old ARC format on bytes that are no WARC
                        # header, and reads junk (a stray newline first) as an untyped record:
                        # damage, not a record
                        record = None
                        raise ValueError("no WARC record here (bytes that are no WARC header)")
                    yield record_item(record, path, records.offset, rule)
                    record = None  # done with it: a failure now is in the next one's bytes
                return
            except Exception as exc:  # warcio, zlib, a cut file: this stretch is lost
                bad_at = records.offset
                message = f"{type(exc).__name__}: {_printable(str(exc).strip()[:300])}"
            # the next record that parses; the bytes before it are one unreadable stretch
            position, resumed = bad_at, None
            while True:
                position = _next_start(handle, position + 1, gzipped)
                if position is None:
                    break
                if _parses_at(handle, position):
                    resumed = position
                    break
            tail = (f"; resumed at offset {resumed}" if resumed is not None
                    else "; nothing readable after it")
            details = {}
            if record is not None:  # it broke while its payload was read: name it
                details = dict(record_id=(record.rec_headers.get_header("WARC-Record-ID") or ""),
                               url=_target_uri(record), rec_type=record.rec_type or "")
            yield rejected_record(path, bad_at, Reason.WARC_UNREADABLE,
                                  f"corrupt or truncated: {message}{tail}", **details)
            position = resumed


def _printable(text: str) -> str:
    """warcio quotes the bytes it could not parse: binary garbage, not for a log or a row."""
    return "".join(c if c.isprintable() else "?" for c in text)


def _parses_at(handle, position: int) -> bool:
    from warcio.archiveiterator import ArchiveIterator
    handle.seek(position)
    try:
        records = ArchiveIterator(handle)
        record = next(iter(records))
        return bool(record.rec_type) and record.format == "warc"
    except StopIteration:
        return False
    except Exception:
        return False


def match_warcs(patterns: Sequence[str]) -> list:
    """The files the --warc paths or globs name, each once, sorted."""
    return sorted({path for pattern in patterns for path in match_warc(pattern)})


def match_warc(pattern: str) -> list:
    """The files a --warc path or glob names (local, gs://, s3://), sorted; [] when none."""
    try:
        result = FileSystems.match([pattern])[0]
    except Exception as exc:
        log.warning("--warc %s: %s", pattern, exc)
        return []
    return sorted(m.path for m in result.metadata_list)


# ---------------------------------------------------------------- Beam wiring

class _ReadWarcFn(beam.DoFn):
    """One WARC file -> its entries (main) and rejected rows (REJECTED), yielded as read (a
    file is never held in memory). Counts: cfnews.entries/seen for every entry and row,
    cfnews.warc/skipped.<type> for records that are no pages, cfnews.warc/files and
    files_unreadable (a file of which no record could be read)."""

    def __init__(self, rule: OutletRule):
        self.rule = rule

    def process(self, path: str):
        count("cfnews.warc", "files")
        readable = False
        try:
            for item in read_warc(path, self.rule):
                if isinstance(item, Skipped):
                    count("cfnews.warc", f"skipped.{item.rec_type}")
                    readable = True
                    continue
                count("cfnews.entries", "seen")
                if isinstance(item, Rejected):
                    readable = readable or item.reason != Reason.WARC_UNREADABLE.value
                    count("cfnews.rejected", f"{item.stage}.{item.reason}")
                    yield TaggedOutput(REJECTED, item)
                else:
                    readable = True
                    count("cfnews.stage_out", Stage.WARC.value)
                    yield item
        except Exception as exc:  # a bug, not the file: a row, and the run goes on
            count("cfnews.entries", "seen")
            row = internal_error_row(path, Stage.WARC, exc)
            row = dataclasses.replace(row, feed_url=path, source="backfill",
                                      article_id=record_article_id(path, -1),
                                      entry_id=f"{path}#?", error=f"{path}: {row.error}")
            count("cfnews.rejected", f"{row.stage}.{row.reason}")
            yield TaggedOutput(REJECTED, row)
        if not readable:
            count("cfnews.warc", "files_unreadable")


@dataclasses.dataclass
class ReadWarc(beam.PTransform):
    """[WARC paths or globs] -> (FeedEntry with html, Rejected). Each file is read by one
    worker, record by record; the entries are then spread over the workers."""
    rule: OutletRule = dataclasses.field(default_factory=OutletRule)

    def expand(self, patterns):
        """`patterns`: a PCollection of one element, the list of paths or globs."""
        files = (patterns
                 | "MatchWarc" >> beam.FlatMap(match_warcs)   # each file once
                 | "SpreadFiles" >> beam.Reshuffle())
        read = files | "ReadRecords" >> beam.ParDo(_ReadWarcFn(self.rule)).with_outputs(
            REJECTED, main=MAIN)
        return read[MAIN] | "SpreadEntries" >> beam.Reshuffle(), read[REJECTED]
