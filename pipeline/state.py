"""Durable state of the local continuous mode, under DIR/_state/ (outside the datasets).

What it holds: per-feed HTTP validators (ETag / Last-Modified) and poll schedule, the ids of
entries already handled (with an expiry, so it stays bounded), and the *pending* journal: the
entries a cycle has discovered but not yet written for good (an entry whose page failed for
a transient reason stays, to run again: schemas/reasons.py `is_transient`). The journal is
saved before the pipeline runs, so an entry seen once is never lost, even if the feed drops
it while cfnews is down.

The datasets stay the source of truth: at start-up the state is reconciled with them (ids
already written are marked seen and leave the journal). A state file that is corrupt, or from
another version, is rebuilt from the datasets — with a warning, never silently.
Writes are atomic: a temp file beside the target, then a rename."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import uuid
from typing import Dict, List, Optional, Tuple

from apache_beam.io.filesystems import FileSystems

from cfnews.schemas import FeedEntry
from cfnews.transforms.write import join

log = logging.getLogger(__name__)

STATE_VERSION = 1
STATE_DIR = "_state"
STATE_FILE = "state.json"


def _iso(value: Optional[dt.datetime]) -> Optional[str]:
    return value.isoformat() if value else None


def _time(value: Optional[str]) -> Optional[dt.datetime]:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"a time must be an ISO 8601 string, got {type(value).__name__}")
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"time without a time zone: {value!r}")
    return parsed


# Field types a state file must hold, by annotation: a hand-edited file with the right keys
# but a wrong type must be caught at load (and rebuilt), not fail a later cycle.
_TYPES = {"str": (str,), "int": (int,), "float": (int, float), "bool": (bool,),
          "Optional[str]": (str, type(None))}


def _checked(cls, data) -> dict:
    """`data` as keyword arguments of dataclass `cls`, every known field type-checked."""
    if not isinstance(data, dict):
        raise TypeError(f"{cls.__name__}: expected an object, got {type(data).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ValueError(f"{cls.__name__}: unknown keys {unknown}")
    for name, value in data.items():
        allowed = _TYPES.get(str(fields[name].type))
        if allowed and (not isinstance(value, allowed)
                        or (isinstance(value, bool) and bool not in allowed)):
            raise TypeError(f"{cls.__name__}.{name}: {type(value).__name__} is not "
                            f"{fields[name].type}")
    return dict(data)


@dataclasses.dataclass
class FeedState:
    etag: str = ""
    last_modified: str = ""
    interval: float = 600.0                 # seconds between polls, adapted within bounds
    next_poll_at: Optional[dt.datetime] = None
    polls: int = 0
    polls_since_full: int = 0               # conditional polls since the last forced full fetch
    not_modified: int = 0                   # 304s answered
    stale_validators: int = 0               # full fetches that found new content behind a 304
    consecutive_failures: int = 0
    content_hash: str = ""
    # the feed's server asked (429/503 Retry-After) not to be asked again before this time:
    # held by every poll, `run --once` too (a state file without it holds nothing)
    not_before: Optional[dt.datetime] = None

    def to_json(self) -> dict:
        data = dataclasses.asdict(self)
        data["next_poll_at"] = _iso(self.next_poll_at)
        data["not_before"] = _iso(self.not_before)
        return data

    @staticmethod
    def from_json(data: dict) -> "FeedState":
        data = _checked(FeedState, data)
        data["next_poll_at"] = _time(data.get("next_poll_at"))
        data["not_before"] = _time(data.get("not_before"))
        return FeedState(**data)


def entry_to_json(entry: FeedEntry) -> dict:
    data = dataclasses.asdict(entry)
    for key in ("published_at", "discovered_at"):
        data[key] = _iso(data[key])
    return data


def entry_from_json(data: dict) -> FeedEntry:
    data = _checked(FeedEntry, data)
    for key in ("published_at", "discovered_at"):
        data[key] = _time(data[key])
    if data["discovered_at"] is None:
        raise ValueError("a pending entry without discovered_at")
    authors = data.get("authors", [])
    if not (isinstance(authors, list) and all(isinstance(a, str) for a in authors)):
        raise TypeError("FeedEntry.authors: expected a list of names")
    data["authors"] = tuple(authors)
    return FeedEntry(**data)


@dataclasses.dataclass
class State:
    feeds: Dict[str, FeedState] = dataclasses.field(default_factory=dict)
    seen: Dict[str, str] = dataclasses.field(default_factory=dict)   # article_id -> first seen (ISO)
    pending: List[FeedEntry] = dataclasses.field(default_factory=list)

    def feed(self, url: str, default_interval: float) -> FeedState:
        if url not in self.feeds:
            self.feeds[url] = FeedState(interval=default_interval)
        return self.feeds[url]

    def expire_seen(self, now: dt.datetime, ttl: dt.timedelta) -> int:
        cutoff = (now - ttl).isoformat()
        old = [k for k, when in self.seen.items() if when < cutoff]
        for key in old:
            del self.seen[key]
        return len(old)

    def to_json(self) -> dict:
        return {"version": STATE_VERSION,
                "feeds": {url: f.to_json() for url, f in sorted(self.feeds.items())},
                "seen": dict(sorted(self.seen.items())),
                "pending": [entry_to_json(e) for e in self.pending]}

    @staticmethod
    def from_json(data: dict) -> "State":
        if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
            found = data.get("version") if isinstance(data, dict) else type(data).__name__
            raise ValueError(f"state version {found!r}, expected {STATE_VERSION}")
        feeds, seen, pending = data["feeds"], data["seen"], data["pending"]
        if not (isinstance(feeds, dict) and isinstance(seen, dict) and isinstance(pending, list)):
            raise TypeError("feeds and seen must be objects, pending a list")
        for article_id, when in seen.items():
            _time(when)  # every seen time parses: expire_seen compares them
        return State(feeds={str(u): FeedState.from_json(f) for u, f in feeds.items()},
                     seen=dict(seen), pending=[entry_from_json(e) for e in pending])


def state_path(out_dir: str) -> str:
    return join(out_dir, STATE_DIR, STATE_FILE)


def load_state(out_dir: str) -> Tuple[State, str]:
    """The state, reconciled with the datasets; and a note saying how it was obtained."""
    path = state_path(out_dir)
    note = "loaded"
    state: Optional[State] = None
    if FileSystems.exists(path):
        try:
            with FileSystems.open(path) as handle:
                state = State.from_json(json.loads(handle.read().decode("utf-8")))
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError,
                OSError) as exc:  # anything a damaged or hand-edited file can raise
            note = f"state file unusable ({type(exc).__name__}: {exc}); rebuilt from the datasets"
            log.warning("%s: %s", path, note)
            state = None
    else:
        note = "no state yet; built from the datasets"
    if state is None:
        state = State()
    reconcile(state, out_dir)
    return state, note


def reconcile(state: State, out_dir: str) -> None:
    """Journal entries whose article is already written leave the journal (their run got as
    far as writing before it died); the rest run again. Looked up in the output's history
    index (transforms/history.py), never by reading the whole lake."""
    if not state.pending:
        return
    from cfnews.transforms.history import load_history
    history = load_history(out_dir)
    state.pending = [e for e in state.pending if not history.seen(e.article_id)]


def save_state(out_dir: str, state: State) -> None:
    folder = join(out_dir, STATE_DIR)
    try:
        FileSystems.mkdirs(folder)
    except (IOError, OSError):
        pass
    temp = join(folder, f".{STATE_FILE}.{uuid.uuid4().hex}.tmp")
    with FileSystems.create(temp) as handle:
        handle.write(json.dumps(state.to_json(), ensure_ascii=False).encode("utf-8"))
    if FileSystems.exists(state_path(out_dir)):
        _replace(temp, state_path(out_dir))
    else:
        FileSystems.rename([temp], [state_path(out_dir)])


def _replace(source: str, target: str) -> None:
    if "://" not in target:  # local: os.replace is atomic over an existing file
        import os
        os.replace(source, target)
    else:  # object stores: the new object replaces the old in one step
        FileSystems.delete([target])
        FileSystems.rename([source], [target])
