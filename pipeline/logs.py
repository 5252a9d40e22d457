"""Log lines: UTC timestamps always; `--log-format json` writes one JSON object per line
for log shippers (Loki, Elasticsearch, Cloud Logging agents)."""
from __future__ import annotations

import datetime as dt
import json
import logging
import sys


def _utc_iso(record: logging.LogRecord) -> str:
    stamp = dt.datetime.fromtimestamp(record.created, dt.timezone.utc)
    return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = f"{_utc_iso(record)} {record.levelname} {record.name}: {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    # attributes every LogRecord has; anything else was passed with `extra=` and is kept
    _STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        data = {"ts": _utc_iso(record), "level": record.levelname, "logger": record.name,
                "message": record.getMessage()}
        data.update({k: v for k, v in vars(record).items() if k not in self._STANDARD})
        if record.exc_info:
            data["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str, ensure_ascii=False)


def configure_logging(verbose: bool = False, quiet: bool = False, json_lines: bool = False,
                      stream=None) -> None:
    """Root logging for the command: INFO with -v, ERROR with -q, else WARNING; on stderr."""
    level = logging.ERROR if quiet else logging.INFO if verbose else logging.WARNING
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if json_lines else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # the progress line off a terminal is information, not a warning (log alerting counts
    # warnings): INFO, shown at the default level all the same; -q silences it with the rest
    logging.getLogger("cfnews.progress").setLevel(level if quiet else logging.INFO)
