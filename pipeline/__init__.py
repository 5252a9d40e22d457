"""cfnews: China–France news ingestion on Apache Beam."""
from __future__ import annotations

from importlib import metadata as _metadata

try:  # one source: the installed distribution's metadata (pyproject.toml's version)
    __version__ = _metadata.version("cfnews")
except _metadata.PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"
