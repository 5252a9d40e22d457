"""Id patterns: every id that becomes part of a path (outlet ids name partition folders, run
ids name files and staging folders) fullmatches a bounded pattern of safe characters. Always
`fullmatch`: `$` in `re.match` also matches before a trailing newline."""
from __future__ import annotations

import re

MAX_ID_LENGTH = 64
# lowercase letters, digits, '-' and '_', starting with a letter or digit; no '.', no '/'
OUTLET_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
# the outlet of rows no outlet could be given to (an unparseable manifest line)
UNKNOWN_OUTLET = "_unknown"
# run ids: new_run_id()'s 20261203T112000Z-1a2b3c, or an operator's --run_id
RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
PARTITION_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def is_outlet_id(value) -> bool:
    return isinstance(value, str) and OUTLET_ID.fullmatch(value) is not None


def is_run_id(value) -> bool:
    return isinstance(value, str) and RUN_ID.fullmatch(value) is not None


def check_path_parts(run_id: str, date: str, outlet: str) -> None:
    """The last guard before a partition path is built: ValueError on anything unsafe."""
    if not is_run_id(run_id):
        raise ValueError(f"unsafe run id {run_id!r}: must fullmatch {RUN_ID.pattern}")
    if not (isinstance(date, str) and PARTITION_DATE.fullmatch(date)):
        raise ValueError(f"unsafe partition date {date!r}")
    if outlet != UNKNOWN_OUTLET and not is_outlet_id(outlet):
        raise ValueError(f"unsafe outlet id {outlet!r}: must fullmatch {OUTLET_ID.pattern}")
