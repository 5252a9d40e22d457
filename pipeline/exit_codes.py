"""The command's exit statuses: one table, imported by everything that decides one.
README.md ("Exit statuses") documents the same table."""
from __future__ import annotations

OK = 0                 # the run finished and its accounting adds up (some feeds may have failed)
RUN_FAILED = 1         # the accounting does not add up, or the run failed
USAGE = 2              # usage or configuration error (unknown flag, bad feeds file, ...)
NOTHING_READ = 3       # nothing could be read: every feed failed, or the manifest is unreadable
OUTPUT_LOCKED = 75     # the output folder is locked by another writer (EX_TEMPFAIL: try later)
INTERRUPTED = 130      # Ctrl-C / SIGINT
TERMINATED = 143       # SIGTERM (128 + 15): stopped by a scheduler, a service manager or kill


class Terminated(KeyboardInterrupt):
    """SIGTERM (a scheduler's or service manager's stop, `kill`): the command stops as on
    Ctrl-C, with its own status (TERMINATED), instead of dying without a word."""
