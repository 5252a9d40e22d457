"""Many small objects read, listed, written and deleted through Beam's filesystems, at the cost
of the requests alone.

`FileSystems.open` builds a new storage client for every file it opens on s3:// and gs://
(Beam 2.77: `S3IO`/`GcsIO` are made per call): ~0.12 s of CPU each for boto3, which loads its
service models again, so that reading 1,000 small files cost two minutes of CPU before any
byte moved. Here one client per thread serves every read, and reads run on a few threads
because an object store's cost is its latency. Other filesystems (local paths, hdfs://) go
through `FileSystems` as they are.
"""
from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Dict, Iterable, Iterator, List, Optional, Tuple, Union

from apache_beam.io.filesystems import FileSystems

READ_THREADS = 8

_local = threading.local()


def _client(path: str):
    """This thread's Beam client of `path`'s store (`S3IO`, `GcsIO`), made again when the
    filesystems' options change (another job, another endpoint); None for other schemes, or
    when this Beam's internals differ (its own per-call path then still works)."""
    scheme = FileSystems.get_scheme(path)
    if scheme not in ("s3", "gs"):
        return None
    filesystem = FileSystems.get_filesystem(path)
    options = getattr(filesystem, "_options", getattr(filesystem, "_pipeline_options", None))
    clients: Dict[str, tuple] = _local.__dict__.setdefault("clients", {})
    kept = clients.get(scheme)
    if kept is not None and kept[0] is options:
        return kept[1]
    try:
        if scheme == "s3":
            from apache_beam.io.aws import s3io
            client = s3io.S3IO(options=options)
        else:
            from apache_beam.io.gcp import gcsio
            client = gcsio.GcsIO(pipeline_options=options)
    except Exception:
        client = None
    clients[scheme] = (options, client)
    return client


def _opener(path: str) -> Callable[[str], object]:
    """A function opening paths of `path`'s scheme for reading, with this thread's client."""
    client = _client(path)
    return FileSystems.open if client is None else (lambda p: client.open(p, "r"))


_pool: Optional[ThreadPoolExecutor] = None
_pool_lock = threading.Lock()


def _threads() -> ThreadPoolExecutor:
    """One pool per process: its threads keep their clients from one call to the next."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=READ_THREADS, thread_name_prefix="cfnews-read")
        return _pool


def read_bytes(path: str) -> bytes:
    with _opener(path)(path) as handle:
        return handle.read()


def read_many(paths: Iterable[str]) -> Iterator[Tuple[str, Union[bytes, Exception]]]:
    """(path, its bytes, or the exception reading it raised) for every path, in order."""
    paths = list(paths)
    if len(paths) <= 1 or "://" not in paths[0]:
        for path in paths:
            yield path, _read_or_error(path)
        return
    step = 4 * READ_THREADS   # a few files ahead of the caller, not the whole list in memory
    for start in range(0, len(paths), step):
        chunk = paths[start:start + step]
        yield from zip(chunk, _threads().map(_read_or_error, chunk))


def _read_or_error(path: str) -> Union[bytes, Exception]:
    try:
        return read_bytes(path)
    except Exception:   # once more through Beam's own per-file path, then the caller names it
        try:
            with FileSystems.open(path) as handle:
                return handle.read()
        except Exception as exc:
            return exc


def list_paths(pattern: str) -> List[str]:
    """The paths matching a glob; none when nothing is there yet."""
    try:
        return [m.path for m in FileSystems.match([pattern])[0].metadata_list]
    except Exception:   # Beam raises for a prefix with nothing under it on some stores
        return []


def list_sized(pattern: str) -> Dict[str, int]:
    """{path: size in bytes} of the paths matching a glob; none when nothing is there yet."""
    try:
        return {m.path: m.size_in_bytes for m in FileSystems.match([pattern])[0].metadata_list}
    except Exception:   # as list_paths
        return {}


def write_bytes(path: str, data: bytes) -> None:
    """One object, whole: object stores show it complete or not at all; a local file is
    written beside and renamed."""
    if "://" in path:
        client = _client(path)
        with (FileSystems.create(path) if client is None else client.open(path, "w")) as handle:
            handle.write(data)
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    temp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
    with open(temp, "wb") as handle:
        handle.write(data)
    os.replace(temp, path)


def delete_paths(paths: Iterable[str]) -> None:
    """Deletes the objects (one batch request per 1,000 on S3, per 100 on GCS); an object
    already gone is no error. Raises OSError naming what could not be deleted."""
    paths = list(paths)
    if not paths:
        return
    client = _client(paths[0])
    if client is None or any(FileSystems.get_scheme(p) != FileSystems.get_scheme(paths[0])
                             for p in paths):
        FileSystems.delete(paths)
        return
    if hasattr(client, "delete_paths"):    # S3IO: {path: exception or None}
        failed = [(p, e) for p, e in client.delete_paths(paths).items() if e is not None]
    else:                                  # GcsIO: [(path, HTTP status or None)]
        failed = [(p, e) for p, e in client.delete_batch(paths) if e is not None]
    if failed:
        raise OSError(f"could not delete {len(failed)} object(s), first {failed[0][0]}: "
                      f"{failed[0][1]}")
