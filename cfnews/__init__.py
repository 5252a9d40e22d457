"""cfnews: China–France news ingestion on Apache Beam.

The installed package is one namespace: `cfnews.pipeline` (options, graph assembly, CLI),
`cfnews.transforms` (one module per stage) and `cfnews.schemas` (Arrow schemas and records);
in the repository they are the top-level folders `pipeline/`, `transforms/` and `schemas/`.

The names below are the public API, for use in your own Beam pipeline (README, "Use the stages
in your own Beam pipeline"). They load on first use, so `import cfnews` stays cheap.
"""
from __future__ import annotations

from importlib import import_module as _import_module
from importlib import metadata as _metadata

try:  # one source: the installed distribution's metadata (pyproject.toml's version)
    __version__ = _metadata.version("cfnews")
except _metadata.PackageNotFoundError:  # a source tree that is not installed
    __version__ = "0+unknown"

_PUBLIC = {
    # the ingest composite and what it needs
    "IngestEntries": "cfnews.transforms.ingest",
    "BatchDedup": "cfnews.transforms.ingest",
    "StreamingDedup": "cfnews.transforms.ingest",
    "entry_for_page": "cfnews.transforms.ingest",
    # sources and sink
    "ReadFeeds": "cfnews.transforms.feeds",
    "ReadManifest": "cfnews.transforms.manifest",
    "WriteDatasets": "cfnews.transforms.write",
    # the stages one by one
    "FetchPages": "cfnews.transforms.fetch",
    "ExtractArticles": "cfnews.transforms.extract",
    "DetectLanguage": "cfnews.transforms.language",
    "ScoreRelevance": "cfnews.transforms.relevance",
    "DeduplicateArticles": "cfnews.transforms.dedup",
    "EnrichEntities": "cfnews.transforms.entities",
    # records and schemas
    "FeedEntry": "cfnews.schemas",
    "Article": "cfnews.schemas",
    "Duplicate": "cfnews.schemas",
    "Rejected": "cfnews.schemas",
    "Entity": "cfnews.schemas",
    "to_row": "cfnews.schemas",
    "ARTICLES_SCHEMA": "cfnews.schemas",
    "DUPLICATES_SCHEMA": "cfnews.schemas",
    "REJECTED_SCHEMA": "cfnews.schemas",
    "PARTITIONING_SCHEMA": "cfnews.schemas",
    "SCHEMA_VERSION": "cfnews.schemas",
}

__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str):
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'cfnews' has no attribute {name!r}")
    value = getattr(_import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__():
    return sorted(__all__)
