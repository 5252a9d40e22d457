"""Backfill source: web archives (WARC files, `.warc` or `.warc.gz`), read with warcio.

Each `response` record of an HTTP 200 HTML page becomes a FeedEntry carrying its HTML, like a
manifest line (transforms/manifest.py): url = WARC-Target-URI, discovered_at = WARC-Date (the
capture), no `published_at` (the extract stage takes the page's own date, else the capture's).
Everything else is accounted for:

* a `revisit` record of the identical-payload-digest profile (a deduplicating crawler's: the
  payload is an earlier capture's, of this URL or another) -> an entry of its own URL and
  WARC-Date carrying its original's page, when the original is a response in any file of the
  backfill (ResolveRevisits: a join on the names a revisit gives its original, then a read
  of the original at its offset); else a `warc_original_missing` row naming the original;
* a `response` or `revisit` whose archived status is not 200, a `server-not-modified` revisit
  (a 304: no payload) or a revisit of another profile -> a `rejected` row, `warc_not_page`;
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

Records are streamed: a file is never loaded whole, a body is read up to MAX_HTML_BYTES + 1;
no page is held for a revisit to come (responses hand on their names only). warcio's own
warnings (it writes them to stderr) become log lines naming the file and record."""
from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import logging
import re
import sys
import threading
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


def _page_or_problem(record, headers=None):
    """The HTML text of a record's payload, or raises _RecordProblem. `headers` (a revisit's
    HTTP headers) decide the status and content type when given, else the record's own do;
    the payload's encodings (Transfer-, Content-Encoding, the charset when `headers` name
    none) and WARC-Truncated are the record's: they describe the bytes it holds."""
    from cfnews.transforms.fetch import looks_like_html
    from cfnews.transforms.http import decode_html, not_text_problem
    stored = record.http_headers
    headers = headers if headers is not None else stored
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
    if stored is None or not stored.get_statuscode():
        raise _RecordProblem(Reason.WARC_UNREADABLE, "response record without HTTP headers")
    truncated = record.rec_headers.get_header("WARC-Truncated")
    if truncated:  # the crawler stopped reading the page (length, time, disconnect)
        raise _RecordProblem(Reason.WARC_UNREADABLE, "payload truncated by the crawler "
                             f"(WARC-Truncated: {truncated})", status)
    content_type_header = (headers.get_header("content-type")
                           or stored.get_header("content-type") or "")
    content_type = content_type_header.split(";", 1)[0].strip().lower()
    if content_type not in _HTML_TYPES and content_type not in (
            "", "text/plain", "application/octet-stream"):
        raise _RecordProblem(Reason.NOT_HTML, f"content type {content_type}", status)
    body = _decoded(_read_raw(record), stored)
    if content_type not in _HTML_TYPES and not looks_like_html(body):
        raise _RecordProblem(Reason.NOT_HTML, f"content type {content_type or 'missing'}", status)
    if "charset" not in content_type_header.lower():  # a revisit's that names none
        content_type_header = stored.get_header("content-type") or content_type_header
    html = decode_html(body, content_type_header)
    problem = not_text_problem(html)
    if problem:
        raise _RecordProblem(Reason.NOT_HTML, f"body is {problem}", status)
    return html


def record_item(record, path: str, offset: int, rule: OutletRule = OutletRule()
                ) -> Union[FeedEntry, Rejected, Skipped, "Revisit"]:
    """One WARC record -> a FeedEntry with its HTML, a Rejected row, Skipped, or (a revisit
    record that names its original) a Revisit waiting for that original's payload."""
    rec_type = (record.rec_type or "").lower()
    url = _target_uri(record)
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if rec_type in NOT_PAGE_TYPES or rec_type not in ("response", "revisit"):
        return Skipped(path, offset, rec_type or "untyped")
    if scheme and scheme not in ("http", "https"):  # Heritrix's dns:, ftp:, ...: no pages
        return Skipped(path, offset, f"{rec_type} {scheme}:")
    captured = utc_from_iso(record.rec_headers.get_header("WARC-Date"))
    # as written (with its <>): the id of its rows, the same in every version
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
        if rec_type == "revisit":
            return _revisit(record, path, offset, url, canonical, (outlet, language, item_id),
                            record_id, captured)
        html = _page_or_problem(record)
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


# ---------------------------------------------------------------- revisits
# A crawler that deduplicates writes a `revisit` record instead of a response when a payload is
# identical to one it archived before (profile identical-payload-digest): the record holds the
# new capture's headers, not the page. Its original is named by WARC-Refers-To (a record id),
# WARC-Refers-To-Target-URI + WARC-Refers-To-Date, and WARC-Payload-Digest; it may be in any
# file of the backfill. The reader gives every response's OriginalRef (where it is and those
# names: no payload) and every revisit's Revisit; a join on the names picks each revisit's
# original (`choose_original`), and `resolve_revisits` reads that original's payload again, at
# its offset, for the revisit's own URL. No page is held for a revisit that may come later.

_IDENTICAL_PAYLOAD = "identical-payload-digest"  # also uri-agnostic-identical-payload-digest
_NOT_MODIFIED = "server-not-modified"


def _record_id(value) -> str:
    return (value or "").strip().strip("<>").strip()


def _warc_time(value) -> str:
    """A WARC-Date or WARC-Refers-To-Date as one spelling (ISO 8601, UTC)."""
    parsed = utc_from_iso(value)
    return parsed.isoformat() if parsed else (value or "").strip()


def _digest(value) -> str:
    """A payload digest as one spelling: `sha1:` + base32 (some tools write hex)."""
    algorithm, _, encoded = (value or "").strip().partition(":")
    if not encoded:
        return ""
    algorithm, encoded = algorithm.strip().lower(), encoded.strip()
    if re.fullmatch(r"[0-9a-fA-F]{40}|[0-9a-fA-F]{64}", encoded):
        encoded = base64.b32encode(bytes.fromhex(encoded)).decode("ascii")
    return f"{algorithm}:{encoded.upper()}"


class OriginalRef(NamedTuple):
    """A response record a revisit may name: where it is and its names, not its payload.
    Ordered earliest capture first (then file, offset)."""
    date: str         # WARC-Date, ISO UTC
    path: str
    offset: int
    uri: str          # WARC-Target-URI as written
    record_id: str
    digest: str       # WARC-Payload-Digest, one spelling


def original_ref(record, path: str, offset: int) -> OriginalRef:
    headers = record.rec_headers
    return OriginalRef(_warc_time(headers.get_header("WARC-Date")), path, offset,
                       _target_uri(record), _record_id(headers.get_header("WARC-Record-ID")),
                       _digest(headers.get_header("WARC-Payload-Digest")))


def _keys(record_id: str, uri: str, date: str, digest: str) -> list:
    """The join keys of a record's names, most specific first."""
    return ([f"id\x1f{record_id}"] if record_id else []) + (
        [f"at\x1f{uri}\x1f{date}"] if uri and date else []) + (
        [f"digest\x1f{digest}"] if digest else [])


def original_keys(ref: OriginalRef) -> list:
    return _keys(ref.record_id, ref.uri, ref.date, ref.digest)


def earliest(refs) -> Optional[OriginalRef]:
    """Of the responses one name matches (a digest: every capture of that payload), the one a
    revisit takes: the earliest capture. Associative: a Beam combiner."""
    return min((r for r in refs if r is not None), default=None,
               key=lambda r: (r.date or "9999", r.path, r.offset))


@dataclasses.dataclass(frozen=True)
class Revisit:
    """A revisit record waiting for its original: its own URL, time and HTTP headers (what the
    entry keeps) and the names of the original (what the join looks for)."""
    path: str
    offset: int
    url: str
    canonical: str
    outlet: str
    language: str
    item_id: str
    record_id: str
    captured: Optional[dt.datetime]
    profile: str
    refers_to_id: str = ""
    refers_to_uri: str = ""
    refers_to_date: str = ""
    digest: str = ""
    # the revisit's HTTP headers: (status line, protocol, ((name, value), ...)), or None
    http: Optional[Tuple[str, str, Tuple[Tuple[str, str], ...]]] = None

    @property
    def where(self) -> str:
        return f"{self.path}#{self.offset}"

    def keys(self) -> list:
        return _keys(self.refers_to_id, self.refers_to_uri, self.refers_to_date, self.digest)

    def names(self) -> str:
        """The original as this record names it, for a row's error."""
        parts = []
        if self.refers_to_uri or self.refers_to_date:
            parts.append(f"the capture of {self.refers_to_uri or '?'} at "
                         f"{self.refers_to_date or '?'}")
        if self.refers_to_id:
            parts.append(f"record {self.refers_to_id}")
        if self.digest:
            parts.append(f"payload digest {self.digest}")
        return ", ".join(parts) or "nothing"

    def rejected(self, reason: Reason, message: str, status: Optional[int] = None) -> Rejected:
        return rejected_record(self.path, self.offset, reason, message, record_id=self.record_id,
                               url=self.url, outlet=self.outlet, status=status,
                               discovered_at=self.captured, rec_type="revisit")


def _revisit(record, path, offset, url, canonical, assigned, record_id, captured):
    """A revisit record -> Revisit, or raises _RecordProblem: a server-not-modified revisit
    (no payload: the server sent none), another profile, or one that names no original."""
    headers = record.rec_headers
    profile = (headers.get_header("WARC-Profile") or "").strip()
    name = profile.rsplit("/", 1)[-1] or "no profile"
    http = record.http_headers
    status = None
    if http is not None and http.get_statuscode():
        try:
            status = int(http.get_statuscode())
        except ValueError:
            status = None
    refers_uri = (headers.get_header("WARC-Refers-To-Target-URI") or "").strip().strip("<>")
    refers_date = headers.get_header("WARC-Refers-To-Date") or ""
    if name == _NOT_MODIFIED:
        raise _RecordProblem(
            Reason.WARC_NOT_PAGE,
            f"revisit record ({name}): the server answered "
            f"{http.statusline.strip() if status else 'not modified'} and sent no page; the page "
            f"is the earlier capture of {refers_uri or url} at {refers_date or '?'}", status)
    if status is not None and status != 200:  # no page, whatever its original holds
        location = http.get_header("location")
        raise _RecordProblem(Reason.WARC_NOT_PAGE,
                             f"revisit record ({name}): archived HTTP status "
                             f"{http.statusline.strip()}"
                             + (f" (Location: {location})" if location else ""), status)
    if not name.endswith(_IDENTICAL_PAYLOAD):
        raise _RecordProblem(Reason.WARC_NOT_PAGE,
                             f"revisit record ({name}): not an identical-payload revisit, the "
                             "only kind whose page can be taken from its original", status)
    outlet, language, item_id = assigned
    revisit = Revisit(
        path=path, offset=offset, url=url, canonical=canonical, outlet=outlet,
        language=language, item_id=item_id, record_id=record_id, captured=captured,
        profile=name, refers_to_id=_record_id(headers.get_header("WARC-Refers-To")),
        refers_to_uri=refers_uri, refers_to_date=_warc_time(refers_date),
        digest=_digest(headers.get_header("WARC-Payload-Digest")),
        http=((http.statusline, http.protocol, tuple(map(tuple, http.headers)))
              if status is not None else None))
    if not revisit.keys():
        raise _RecordProblem(Reason.WARC_ORIGINAL_MISSING,
                             f"revisit record ({name}) that names no original (no "
                             "WARC-Refers-To, WARC-Refers-To-Target-URI and -Date, or "
                             "WARC-Payload-Digest)", status)
    return revisit


def choose_original(revisit: Revisit, matches) -> Tuple[Optional[OriginalRef], str]:
    """(the original a revisit takes its payload from, '') or (None, why none): `matches` maps
    each of revisit.keys() to the earliest response it names, or None. A record id first,
    then the URI and date, then the digest; a response named by id or URI and date whose
    digest is not the revisit's holds another payload and is passed over."""
    conflicts = []
    for key in revisit.keys():
        ref = matches.get(key)
        if ref is None:
            continue
        if revisit.digest and ref.digest and ref.digest != revisit.digest:
            conflicts.append(f"{ref.path}#{ref.offset} (payload digest {ref.digest})")
            continue
        return ref, ""
    why = (f"its original ({revisit.names()}) is in none of this backfill's WARC files: "
           "give the file that holds it to the same run")
    if conflicts:
        why += "; the capture it names holds another payload: " + ", ".join(conflicts)
    return None, why


def unresolved(revisit: Revisit, why: str) -> Rejected:
    return revisit.rejected(Reason.WARC_ORIGINAL_MISSING,
                            f"revisit record ({revisit.profile}): {why}",
                            _status_of(revisit.http))


def _status_of(http) -> Optional[int]:
    try:
        return int(http[0].split(None, 1)[0]) if http else None
    except (ValueError, IndexError):
        return None


def revisit_entry(revisit: Revisit, ref: OriginalRef, record) -> Union[FeedEntry, Rejected]:
    """The revisit's own entry, its page the original's payload (`record`, read at `ref`):
    its URL, its WARC-Date, its HTTP status and content type (else the original's)."""
    from warcio.statusandheaders import StatusAndHeaders
    headers = None
    if revisit.http is not None:
        statusline, protocol, fields = revisit.http
        headers = StatusAndHeaders(statusline, list(fields), protocol=protocol)
    try:
        html = _page_or_problem(record, headers)
    except _RecordProblem as problem:
        return revisit.rejected(problem.reason, f"revisit record ({revisit.profile}), payload "
                                f"from {ref.path}#{ref.offset}: {problem}", problem.status)
    return FeedEntry(outlet=revisit.outlet, feed_url=revisit.path, entry_id=revisit.where,
                     url=revisit.url, article_id=article_id_for(revisit.canonical),
                     canonical_url=revisit.canonical,
                     discovered_at=revisit.captured or utc_now(),
                     language_hint=revisit.language, html=html, item_id=revisit.item_id)


def resolve_revisits(path: str, pairs) -> Iterator[Union[FeedEntry, Rejected]]:
    """Revisits whose originals are all in file `path`: [(Revisit, OriginalRef)] -> each
    revisit's entry or row. The file is opened once; each original is read at its offset."""
    from warcio.archiveiterator import ArchiveIterator
    _route_warcio_messages()
    try:
        handle = open_warc(path)
    except Exception as exc:
        for revisit, ref in pairs:
            yield revisit.rejected(Reason.WARC_UNREADABLE, f"revisit record: its original's "
                                   f"file {path} cannot be opened: {type(exc).__name__}: "
                                   f"{str(exc)[:300]}")
        return
    with handle:
        for revisit, ref in pairs:
            try:
                handle.seek(ref.offset)
                record = next(iter(ArchiveIterator(handle)))
                if _record_id(record.rec_headers.get_header("WARC-Record-ID")) != ref.record_id:
                    raise ValueError("another record is there now (was the file changed?)")
                item = revisit_entry(revisit, ref, record)
            except Exception as exc:  # warcio, zlib: the original's bytes
                item = revisit.rejected(
                    Reason.WARC_UNREADABLE, f"revisit record: its original at "
                    f"{ref.path}#{ref.offset} cannot be read again: {type(exc).__name__}: "
                    f"{_printable(str(exc).strip()[:300])}")
            _drain_warcio_messages(path)
            yield item


def read_warcs(paths: Sequence[str], rule: OutletRule = OutletRule()
               ) -> Iterator[Union[FeedEntry, Rejected, Skipped]]:
    """Several WARC files as one backfill, without Beam (ReadWarc does the same with a join):
    every file's items, then each revisit's entry or row. The responses' names are held in
    memory (no payload); revisits are resolved once every file has been read."""
    offers, waiting = {}, []
    for path in paths:
        for item, ref in read_records(path, rule):
            if ref is not None:
                for key in original_keys(ref):
                    offers[key] = earliest((offers.get(key), ref))
            if isinstance(item, Revisit):
                waiting.append(item)
            else:
                yield item
    by_file = {}
    for revisit in waiting:
        ref, why = choose_original(revisit, {k: offers.get(k) for k in revisit.keys()})
        if ref is None:
            yield unresolved(revisit, why)
        else:
            by_file.setdefault(ref.path, []).append((revisit, ref))
    for path, pairs in by_file.items():
        yield from resolve_revisits(path, pairs)


# ---------------------------------------------------------------- warcio's own messages
# warcio writes some warnings to sys.stderr itself (a record not followed by the blank line its
# Content-Length promises; a gzip member that stops decompressing). They would interleave raw,
# multi-line text with the command's log lines (and break --log-format json): they are
# collected per thread instead, and the reader logs them with the file's name.

_WARCIO_MESSAGES = threading.local()
_MAX_PENDING = 100


class _WarcioStderr:
    def write(self, text) -> int:
        pending = getattr(_WARCIO_MESSAGES, "pending", None)
        if pending is None:
            pending = _WARCIO_MESSAGES.pending = []
        if len(pending) < _MAX_PENDING:
            pending.append(str(text))
        return len(text)

    def flush(self) -> None:
        pass


class _SysForWarcio:
    """The `sys` warcio's reading modules see: the real one, but for stderr."""
    stderr = _WarcioStderr()

    def __getattr__(self, name):
        return getattr(sys, name)


def _route_warcio_messages() -> None:
    import warcio.archiveiterator
    import warcio.bufferedreaders
    for module in (warcio.archiveiterator, warcio.bufferedreaders):
        if not isinstance(getattr(module, "sys", None), _SysForWarcio):
            module.sys = _SysForWarcio()


_NOT_FOLLOWED = re.compile(r"Record not followed by newline.*?Offset:\s*(\d+)", re.S)


def _drain_warcio_messages(path: Optional[str], previous=None) -> None:
    """Log what warcio wrote since the last call, naming `path` and, when known, `previous`
    (the offset and URI of the record read before); None: drop it (the reader probing for the
    next record). A record not followed by its blank line is a warning: its Content-Length may
    be wrong, so its payload (already an entry, or a row) may be cut or hold extra bytes, and
    no row may say so. Anything else warcio writes (a gzip member that stops decompressing) is
    said by the `warc_unreadable` row of that record: debug."""
    pending = getattr(_WARCIO_MESSAGES, "pending", None)
    if not pending:
        return
    _WARCIO_MESSAGES.pending = []
    if path is None:
        return
    for text in pending:
        if not text.strip():
            continue
        found = _NOT_FOLLOWED.search(text)
        if found:
            record = (f"the record at offset {previous[0]} ({previous[1] or 'no target URI'})"
                      if previous else "a record")
            log.warning("%s: warcio: %s is not followed by the blank line its Content-Length "
                        "promises (found at offset %s): that length may be wrong, and its "
                        "payload cut or longer than read", path, record, found.group(1))
        else:
            log.debug("%s: warcio: %s", path, _printable(" ".join(text.split()))[:300])


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
              ) -> Iterator[Union[FeedEntry, Rejected, Skipped, Revisit]]:
    """Every record of one WARC file, in order, as `record_item` sees it; unreadable stretches
    become one `warc_unreadable` row each and reading resumes at the next record. A revisit
    is a Revisit here: `read_warcs` or ReadWarc resolve it."""
    for item, _ in read_records(path, rule):
        yield item


def read_records(path: str, rule: OutletRule = OutletRule()) -> Iterator[
        Tuple[Union[FeedEntry, Rejected, Skipped, Revisit], Optional[OriginalRef]]]:
    """read_warc's items, each with the OriginalRef of its record when it is an http(s)
    response (what a revisit may name), else None."""
    from warcio.archiveiterator import ArchiveIterator
    try:
        handle = open_warc(path)
    except Exception as exc:
        yield rejected_record(path, 0, Reason.WARC_UNREADABLE,
                              f"cannot open: {type(exc).__name__}: {str(exc)[:300]}"), None
        return
    _route_warcio_messages()
    with handle:
        head = handle.read(len(_GZIP_MAGIC))
        gzipped = head == _GZIP_MAGIC
        position = 0
        while position is not None:
            handle.seek(position)
            records = ArchiveIterator(handle)
            record, previous = None, None
            try:
                for record in records:
                    _drain_warcio_messages(path, previous)
                    if record.format != "warc" or not record.rec_type:
                        # warcio falls back to the old ARC format on bytes that are no WARC
                        # header, and reads junk (a stray newline first) as an untyped record:
                        # damage, not a record
                        record = None
                        raise ValueError("no WARC record here (bytes that are no WARC header)")
                    item = record_item(record, path, records.offset, rule)
                    ref = (original_ref(record, path, records.offset)
                           if record.rec_type == "response" and not isinstance(item, Skipped)
                           else None)
                    yield item, ref
                    previous = (records.offset, _target_uri(record))
                    record = None  # done with it: a failure now is in the next one's bytes
                _drain_warcio_messages(path, previous)
                return
            except Exception as exc:  # warcio, zlib, a cut file: this stretch is lost
                bad_at = records.offset
                message = f"{type(exc).__name__}: {_printable(str(exc).strip()[:300])}"
            _drain_warcio_messages(path, previous)
            # the next record that parses; the bytes before it are one unreadable stretch
            position, resumed = bad_at, None
            while True:
                position = _next_start(handle, position + 1, gzipped)
                if position is None:
                    break
                if _parses_at(handle, position):
                    resumed = position
                    break
            _drain_warcio_messages(None)  # probing: what warcio says there is no news
            tail = (f"; resumed at offset {resumed}" if resumed is not None
                    else "; nothing readable after it")
            details = {}
            if record is not None:  # it broke while its payload was read: name it
                details = dict(record_id=(record.rec_headers.get_header("WARC-Record-ID") or ""),
                               url=_target_uri(record), rec_type=record.rec_type or "")
            yield rejected_record(path, bad_at, Reason.WARC_UNREADABLE,
                                  f"corrupt or truncated: {message}{tail}", **details), None
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

REVISITS = "revisits"
ORIGINALS = "originals"


def _output(item):
    """A final entry or row, counted: what every WARC step hands on."""
    count("cfnews.entries", "seen")
    if isinstance(item, Rejected):
        count("cfnews.rejected", f"{item.stage}.{item.reason}")
        return TaggedOutput(REJECTED, item)
    count("cfnews.stage_out", Stage.WARC.value)
    return item


def _bug_row(where: str, exc: BaseException, article_id: str, entry_id: str) -> Rejected:
    row = internal_error_row(where, Stage.WARC, exc)
    return dataclasses.replace(row, feed_url=where.split("#", 1)[0], source="backfill",
                               article_id=article_id, entry_id=entry_id,
                               error=f"{where}: {row.error}")


class _ReadWarcFn(beam.DoFn):
    """One WARC file -> its entries (main), rejected rows (REJECTED), revisits waiting for
    their originals (REVISITS) and its responses' OriginalRefs (ORIGINALS), yielded as read (a
    file is never held in memory). Counts: cfnews.entries/seen for every entry and row,
    cfnews.warc/skipped.<type> for records that are no pages, cfnews.warc/revisits,
    cfnews.warc/files and files_unreadable (a file of which no record could be read)."""

    def __init__(self, rule: OutletRule):
        self.rule = rule

    def process(self, path: str):
        count("cfnews.warc", "files")
        readable = False
        try:
            for item, ref in read_records(path, self.rule):
                if ref is not None:
                    yield TaggedOutput(ORIGINALS, ref)
                if isinstance(item, Skipped):
                    count("cfnews.warc", f"skipped.{item.rec_type}")
                    readable = True
                elif isinstance(item, Revisit):
                    count("cfnews.warc", "revisits")
                    readable = True
                    yield TaggedOutput(REVISITS, item)
                else:
                    readable = readable or not (isinstance(item, Rejected)
                                                and item.reason == Reason.WARC_UNREADABLE.value)
                    yield _output(item)
        except Exception as exc:  # a bug, not the file: a row, and the run goes on
            yield _output(_bug_row(path, exc, record_article_id(path, -1), f"{path}#?"))
        if not readable:
            count("cfnews.warc", "files_unreadable")


def _offers_per_revisit(element):
    """(join key, {"revisit": [Revisit], "original": [earliest OriginalRef]}) -> for each
    revisit that names the key: (its place, (Revisit, key, OriginalRef or None))."""
    key, grouped = element
    originals = list(grouped["original"])
    ref = originals[0] if originals else None
    for revisit in grouped["revisit"]:
        yield revisit.where, (revisit, key, ref)


def _choose(element):
    """(a revisit's place, its keys' matches) -> (the original's file, (Revisit, OriginalRef)),
    or its warc_original_missing row (REJECTED)."""
    _, matches = element
    matches = list(matches)
    revisit = matches[0][0]
    ref, why = choose_original(revisit, {key: ref for _, key, ref in matches})
    if ref is None:
        count("cfnews.warc", "revisits_unresolved")
        yield _output(unresolved(revisit, why))
    else:
        yield ref.path, (revisit, ref)


class _ResolveFn(beam.DoFn):
    """(a file, [(Revisit, OriginalRef)] of originals in it) -> the revisits' entries and rows."""

    def process(self, element):
        path, pairs = element   # iterated, never held: a file may be the original of many
        try:
            for item in resolve_revisits(path, pairs):
                if isinstance(item, FeedEntry):
                    count("cfnews.warc", "revisits_resolved")
                yield _output(item)
        except Exception as exc:  # a bug (each revisit's own failure is its row): a row
            yield _output(_bug_row(f"{path}#?", exc, record_article_id(path, -2),
                                   f"{path}#?"))


@dataclasses.dataclass
class ResolveRevisits(beam.PTransform):
    """(Revisits, OriginalRefs) -> (entries, rejected). Each name of a response (record id,
    URI + date, payload digest) keeps its earliest capture (a combiner: one ref per name, never
    a page); a join on the names gives each revisit its candidates, `choose_original` picks
    one; revisits are then grouped by their original's file, which is opened once and read at
    each original's offset (`resolve_revisits`). Revisits of one file may have originals in
    any file."""

    def expand(self, inputs):
        revisits, originals = inputs
        offers = (originals
                  | "NamesOfResponses" >> beam.FlatMap(lambda ref: [(k, ref)
                                                                   for k in original_keys(ref)])
                  | "EarliestPerName" >> beam.CombinePerKey(earliest))
        wanted = revisits | "NamesOfOriginals" >> beam.FlatMap(
            lambda revisit: [(k, revisit) for k in revisit.keys()])
        chosen = ({"revisit": wanted, "original": offers}
                  | "JoinOnNames" >> beam.CoGroupByKey()
                  | "PerRevisit" >> beam.FlatMap(_offers_per_revisit)
                  | "MatchesOfRevisit" >> beam.GroupByKey()
                  | "ChooseOriginal" >> beam.FlatMap(_choose).with_outputs(REJECTED, main=MAIN))
        resolved = (chosen[MAIN]
                    | "ByOriginalFile" >> beam.GroupByKey()
                    | "ReadOriginals" >> beam.ParDo(_ResolveFn()).with_outputs(REJECTED,
                                                                                main=MAIN))
        rejected = ((chosen[REJECTED], resolved[REJECTED])
                    | "RevisitRows" >> beam.Flatten())
        return resolved[MAIN], rejected


@dataclasses.dataclass
class ReadWarc(beam.PTransform):
    """[WARC paths or globs] -> (FeedEntry with html, Rejected). Each file is read by one
    worker, record by record; revisits are resolved against the responses of every file
    (ResolveRevisits); the entries are then spread over the workers."""
    rule: OutletRule = dataclasses.field(default_factory=OutletRule)

    def expand(self, patterns):
        """`patterns`: a PCollection of one element, the list of paths or globs."""
        files = (patterns
                 | "MatchWarc" >> beam.FlatMap(match_warcs)   # each file once
                 | "SpreadFiles" >> beam.Reshuffle())
        read = files | "ReadRecords" >> beam.ParDo(_ReadWarcFn(self.rule)).with_outputs(
            REJECTED, REVISITS, ORIGINALS, main=MAIN)
        revisit_entries, revisit_rows = ((read[REVISITS], read[ORIGINALS])
                                         | "ResolveRevisits" >> ResolveRevisits())
        entries = ((read[MAIN], revisit_entries) | "AllWarcEntries" >> beam.Flatten()
                   | "SpreadEntries" >> beam.Reshuffle())
        rejected = (read[REJECTED], revisit_rows) | "AllWarcRows" >> beam.Flatten()
        return entries, rejected
