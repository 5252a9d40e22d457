"""Writing real WARC files with warcio for the tests and the benchmark: responses, requests,
revisits, metadata, as crawlers (wget --warc-file, Heritrix, Browsertrix) write them."""
from __future__ import annotations

import gzip
import io
import zlib
from typing import Optional

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter


class Warc:
    """A WARC file being written: `with Warc(path) as w: w.response(...)`; `offsets` holds
    each record's start offset, in order."""

    def __init__(self, path, gzip_records: Optional[bool] = None):
        self.path = str(path)
        self.gzip = self.path.endswith(".gz") if gzip_records is None else gzip_records
        self.handle = open(self.path, "wb")
        self.writer = WARCWriter(self.handle, gzip=self.gzip)
        self.offsets = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.handle.close()

    def _write(self, record):
        self.offsets.append(self.handle.tell())
        self.writer.write_record(record)
        return record

    def warcinfo(self):
        return self._write(self.writer.create_warcinfo_record(
            "crawl.warc.gz", {"software": "cfnews-tests", "format": "WARC File Format 1.1"}))

    def response(self, url: str, body, status: str = "200 OK",
                 content_type: Optional[str] = "text/html; charset=utf-8",
                 date: str = "2024-03-05T08:30:00Z", headers=(), encoding: str = "",
                 warc_headers=None):
        body = body.encode("utf-8") if isinstance(body, str) else body
        if encoding == "gzip":
            body = gzip.compress(body)
        elif encoding == "deflate":
            body = zlib.compress(body)
        http = [("Content-Type", content_type)] if content_type else []
        if encoding:
            http.append(("Content-Encoding", encoding))
        http += [("Content-Length", str(len(body)))] + list(headers)
        record = self.writer.create_warc_record(
            url, "response", payload=io.BytesIO(body),
            http_headers=StatusAndHeaders(status, http, protocol="HTTP/1.1"),
            warc_headers_dict={"WARC-Date": date, **(warc_headers or {})})
        return self._write(record)

    def request(self, url: str, date: str = "2024-03-05T08:30:00Z"):
        http = StatusAndHeaders(f"GET {url.split('/', 3)[-1] and '/' + url.split('/', 3)[-1]} "
                                "HTTP/1.1", [("Host", url.split("/")[2])], is_http_request=True)
        return self._write(self.writer.create_warc_record(
            url, "request", payload=io.BytesIO(b""), http_headers=http,
            warc_headers_dict={"WARC-Date": date}))

    def metadata(self, url: str):
        return self._write(self.writer.create_warc_record(
            url, "metadata", payload=io.BytesIO(b"outlinks: none\n"),
            warc_content_type="application/warc-fields"))

    def revisit(self, url: str, original, date: str = "2024-03-06T08:30:00Z",
                status: Optional[str] = "200 OK", headers=(("Content-Type", "text/html"),),
                refers_to: bool = True, warc_headers=None):
        """An identical-payload revisit of `original` (a record written before, or a
        (uri, date, digest) tuple for one in no file), as Heritrix and pywb write it: the new
        capture's HTTP headers (none when `status` is None), WARC-Payload-Digest, and with
        `refers_to` WARC-Refers-To-Target-URI + WARC-Refers-To-Date."""
        if isinstance(original, tuple):
            refers_uri, refers_date, digest = original
        else:
            refers_uri = original.rec_headers.get_header("WARC-Target-URI")
            refers_date = original.rec_headers.get_header("WARC-Date")
            digest = original.rec_headers.get_header("WARC-Payload-Digest")
        record = self.writer.create_revisit_record(
            url, digest=digest, refers_to_uri=refers_uri, refers_to_date=refers_date,
            http_headers=(StatusAndHeaders(status, list(headers), protocol="HTTP/1.1")
                          if status else None),
            warc_headers_dict={"WARC-Date": date, **(warc_headers or {})})
        if not refers_to:
            record.rec_headers.remove_header("WARC-Refers-To-Target-URI")
            record.rec_headers.remove_header("WARC-Refers-To-Date")
        return self._write(record)

    def not_modified(self, url: str, original, date: str = "2024-03-06T08:30:00Z"):
        """A server-not-modified revisit: the server answered 304, no payload."""
        record = self.writer.create_warc_record(
            url, "revisit", http_headers=StatusAndHeaders("304 Not Modified", [],
                                                          protocol="HTTP/1.1"),
            warc_headers_dict={
                "WARC-Date": date,
                "WARC-Profile": "http://netpreserve.org/warc/1.1/revisit/server-not-modified",
                "WARC-Refers-To-Target-URI": original.rec_headers.get_header("WARC-Target-URI"),
                "WARC-Refers-To-Date": original.rec_headers.get_header("WARC-Date")})
        return self._write(record)

    def dns(self, host: str):
        return self._write(self.writer.create_warc_record(
            f"dns:{host}", "response", payload=io.BytesIO(b"20240305083000\n" + host.encode()
                                                           + b". 300 IN A 192.0.2.1\n"),
            warc_content_type="text/dns"))


def article_html(title: str, paragraphs, published: str = "2024-03-04") -> str:
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>"
            f"<meta property=\"article:published_time\" content=\"{published}T09:00:00+00:00\">"
            f"</head><body><header><nav><a href=\"/\">Home</a></nav></header><article>"
            f"<h1>{title}</h1><time datetime=\"{published}T09:00:00+00:00\">{published}</time>"
            f"{body}</article><footer>Contact us</footer></body></html>")
