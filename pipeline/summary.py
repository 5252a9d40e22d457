"""The end-of-run summary: counts from the job's metrics, checked to add up."""
from __future__ import annotations

import collections
import dataclasses
import json
import os
import tempfile
from typing import Dict, List, Optional

from apache_beam.metrics.metric import MetricsFilter

from cfnews.pipeline import exit_codes
from cfnews.schemas import Reason
from cfnews.transforms import object_store
from cfnews.transforms.feeds import FEED_LEVEL_REASONS
from cfnews.transforms.write import join

# A feed that answered with no entries was read; these mean it could not be.
FEED_FAILURE_REASONS = FEED_LEVEL_REASONS - {Reason.FEED_EMPTY.value}


@dataclasses.dataclass
class RunSummary:
    run_id: str
    out_dir: str
    feeds_polled: int = 0          # feeds attempted, failed ones included
    feeds_failed: int = 0          # unreachable, HTTP error or unparseable
    feeds_not_modified: int = 0    # answered 304 (run --once)
    feeds_held: int = 0            # not polled: their server's Retry-After has not passed
    entries_seen: int = 0
    already_seen: int = 0
    entries_repeated: int = 0      # items a feed document listed again: one entry, not counted
    entries_retried: int = 0       # new entries fetched again: an earlier run's failure was
    # transient (schemas/reasons.py is_transient); counted among the new entries
    written: Dict[str, int] = dataclasses.field(default_factory=dict)
    files: Dict[str, int] = dataclasses.field(default_factory=dict)
    rejected_by_reason: Dict[str, int] = dataclasses.field(default_factory=dict)
    latency: Dict[str, float] = dataclasses.field(default_factory=dict)  # written - discovered
    dry_run: bool = False        # translated for the runner only: nothing ran
    warc_files: int = 0            # backfill --warc: files read
    warc_files_unreadable: int = 0  # of which no record could be read
    warc_skipped: Dict[str, int] = dataclasses.field(default_factory=dict)  # records that are
    # no pages (request, metadata, warcinfo, ...) by type: counted here, not entries
    warc_revisits: int = 0            # identical-payload revisit records read (each an entry
    warc_revisits_resolved: int = 0   # when its original was found, else a rejected row)

    @property
    def new_entries(self) -> int:
        return self.entries_seen - self.already_seen

    @property
    def feed_level_rejected(self) -> int:
        return sum(n for key, n in self.rejected_by_reason.items()
                   if key.split(".", 1)[-1] in FEED_LEVEL_REASONS)

    @property
    def entry_rejected(self) -> int:
        return self.written.get("rejected", 0) - self.feed_level_rejected

    @property
    def accounted(self) -> int:
        return (self.written.get("articles", 0) + self.written.get("duplicates", 0)
                + self.entry_rejected)

    @property
    def adds_up(self) -> bool:
        return self.accounted == self.new_entries

    @property
    def feeds_read(self) -> int:
        """Feeds that answered with a feed: polled = failed + not modified + read."""
        return self.feeds_polled - self.feeds_failed - self.feeds_not_modified

    def exit_status(self) -> int:
        """0 ok (some feeds or WARC files may have failed), 3 when every feed polled failed or
        no WARC file held a readable record, 1 when the accounting does not add up."""
        if self.feeds_polled and self.feeds_failed >= self.feeds_polled:
            return exit_codes.NOTHING_READ
        if self.warc_files and self.warc_files_unreadable >= self.warc_files:
            return exit_codes.NOTHING_READ
        return exit_codes.OK if self.adds_up else exit_codes.RUN_FAILED

    def to_dict(self) -> dict:
        """The summary's figures, as --summary-json writes them."""
        return {
            "run_id": self.run_id, "out": self.out_dir,
            "feeds": {"polled": self.feeds_polled, "failed": self.feeds_failed,
                      "not_modified": self.feeds_not_modified,
                      "read": self.feeds_read, "held": self.feeds_held},
            "entries": {"seen": self.entries_seen, "already_seen": self.already_seen,
                        "new": self.new_entries, "repeated": self.entries_repeated,
                        "retried": self.entries_retried},
            "written": {"articles": self.written.get("articles", 0),
                        "duplicates": self.written.get("duplicates", 0),
                        "rejected_entries": self.entry_rejected,
                        "rejected_feed_level": self.feed_level_rejected},
            "accounted": self.accounted, "adds_up": self.adds_up,
            "rejected_by_reason": dict(sorted(self.rejected_by_reason.items())),
            "files": {d: self.files.get(d, 0) for d in ("articles", "duplicates", "rejected")},
            "latency_seconds": dict(self.latency),
            **({"warc": {"files": self.warc_files, "files_unreadable": self.warc_files_unreadable,
                         "skipped": dict(sorted(self.warc_skipped.items())),
                         "revisits": self.warc_revisits,
                         "revisits_resolved": self.warc_revisits_resolved}}
               if self.warc_files else {}),
        }

    def render(self) -> str:
        if self.dry_run:
            return (f"cfnews run {self.run_id}: dry run, the job graph was translated and "
                    f"validated; nothing was submitted, read or written ({self.out_dir})")
        w = self.written
        feeds = f"  feeds polled      {self.feeds_polled}"
        if self.feeds_failed or self.feeds_not_modified:
            feeds += (f"  (failed {self.feeds_failed}, not modified {self.feeds_not_modified}, "
                      f"read {self.feeds_read})")
        if self.feeds_held:
            feeds += f"  held {self.feeds_held} (their servers' Retry-After has not passed)"
        lines = [
            f"cfnews run {self.run_id}",
            *([feeds] if self.feeds_polled or not self.warc_files else []),
            *([f"  warc files        {self.warc_files}"
               + (f"  ({self.warc_files_unreadable} with no readable record)"
                  if self.warc_files_unreadable else "")
               + f"; records that are no pages, skipped: {sum(self.warc_skipped.values())}"
               + (" (" + ", ".join(f"{k} {n}" for k, n in sorted(self.warc_skipped.items()))
                  + ")" if self.warc_skipped else "")
               + (f"; revisits {self.warc_revisits} ({self.warc_revisits_resolved} with their "
                  "original's page)" if self.warc_revisits else "")] if self.warc_files else []),
            f"  entries seen      {self.entries_seen}  (already written by earlier runs: "
            f"{self.already_seen}; new: {self.new_entries})"
            + (f"  + {self.entries_repeated} listed again in the same feed (one entry each)"
               if self.entries_repeated else ""),
            *([f"  retried           {self.entries_retried} of the new entries failed "
               "transiently in an earlier run and were fetched again"] if self.entries_retried
              else []),
            f"  articles written  {w.get('articles', 0)}",
            f"  duplicates found  {w.get('duplicates', 0)}",
            f"  rejected          {self.entry_rejected} entries"
            + (f" + {self.feed_level_rejected} feed-level" if self.feed_level_rejected else ""),
            f"  accounting        {w.get('articles', 0)} + {w.get('duplicates', 0)} + "
            f"{self.entry_rejected} = {self.accounted} of {self.new_entries} new entries "
            + ("(adds up)" if self.adds_up else "(DOES NOT ADD UP)"),
        ]
        if self.latency:
            lines.append(f"  latency           p50 {self.latency['p50']:.1f}s, p95 "
                         f"{self.latency['p95']:.1f}s from discovery to written "
                         f"({int(self.latency['n'])} articles)")
        if self.rejected_by_reason:
            lines.append("  rejected by reason (stage.reason):")
            for key, n in sorted(self.rejected_by_reason.items(), key=lambda kv: (-kv[1], kv[0])):
                lines.append(f"    {key:<36} {n}")
        lines.append("  output:")
        for dataset in ("articles", "duplicates", "rejected"):
            lines.append(f"    {join(self.out_dir, dataset):<60} "
                         f"{self.files.get(dataset, 0)} new file(s)")
        lines.append("  try:")
        lines.append(f"    cfnews sql --out {self.out_dir} \"{SUMMARY_QUERY}\"")
        return "\n".join(lines)


# Over the views `cfnews sql` defines (deploy/duckdb/views.sql).
SUMMARY_QUERY = ("SELECT date, outlet, language, count(*) AS articles, "
                 "count(DISTINCT coalesce(story_id, article_id)) AS stories "
                 "FROM articles "
                 "GROUP BY ALL ORDER BY date, outlet")


def write_summary_json(summary: RunSummary, path: str, exit_status: int,
                       error: str = "", cycle: Optional[int] = None) -> None:
    """Atomically: a scheduler polling the file never reads half of it. `cycle`: the
    `run --every` cycle the figures are of (the file is rewritten after each one)."""
    data = dict(summary.to_dict(), exit_status=exit_status)
    if cycle is not None:
        data["cycle"] = cycle
    if error:
        data["error"] = error
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".summary-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, sort_keys=False)
        handle.write("\n")
    os.replace(tmp, path)


def manifest_problem(path: str) -> str:
    """Why a backfill manifest cannot be read ('' when it can)."""
    from apache_beam.io.filesystems import FileSystems
    try:
        with FileSystems.open(path) as handle:
            handle.read(1)
    except Exception as exc:  # missing, a folder, no permission, bad scheme...
        return f"manifest {path}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    return ""


def warc_problem(patterns) -> str:
    """Why `backfill --warc` has nothing to read ('' when some path or glob names a file)."""
    from cfnews.transforms.warc import match_warc
    if any(match_warc(pattern) for pattern in patterns):
        return ""
    return "no file matches --warc " + " ".join(patterns)


def _counters(result, namespace: str) -> Dict[str, int]:
    out: Dict[str, int] = collections.Counter()
    query = result.metrics().query(MetricsFilter().with_namespace(namespace))
    for counter in query["counters"]:
        value = counter.committed if counter.committed is not None else counter.attempted
        out[counter.key.metric.name] += int(value or 0)
    return dict(out)


def run_latency(out_dir: str, run_id: str) -> Dict[str, float]:
    """p50/p95 seconds from discovery to written, over this run's article files."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from apache_beam.io.filesystems import FileSystems
    # one pattern per output, the run picked out by name: a pattern naming the run would be
    # compiled anew (and kept in `re`'s cache, evicting others) by every run of `run --every`
    pattern = join(out_dir, "articles", "*", "*", "part-*.parquet")
    prefix = f"part-{run_id}-"
    values: List[float] = []
    paths = [m.path for m in FileSystems.match([pattern])[0].metadata_list
             if m.path.rsplit("/", 1)[-1].startswith(prefix)]
    # Whole file into memory, then one-threaded Arrow read: an Arrow reader over a Python
    # file object can still be tearing down its threads at interpreter exit (SIGABRT).
    for path, data in object_store.read_many(paths):
        if isinstance(data, Exception):
            raise data
        table = pq.read_table(pa.BufferReader(data), columns=["discovered_at", "written_at"],
                              use_threads=False)
        for discovered, written in zip(*(c.to_pylist() for c in table.columns)):
            if discovered and written:
                values.append((written - discovered).total_seconds())
    if not values:
        return {}
    values.sort()
    return {"n": len(values), "p50": values[len(values) // 2] if len(values) % 2 else
            (values[len(values) // 2 - 1] + values[len(values) // 2]) / 2,
            "p95": values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]}


def summarise(result, run_id: str, out_dir: str) -> RunSummary:
    entries = _counters(result, "cfnews.entries")
    written_rejected = _counters(result, "cfnews.written_rejected")
    warc = _counters(result, "cfnews.warc")
    return RunSummary(
        run_id=run_id, out_dir=out_dir,
        feeds_polled=_counters(result, "cfnews.feeds").get("polled", 0),
        feeds_failed=sum(n for key, n in written_rejected.items()
                         if key.split(".", 1)[-1] in FEED_FAILURE_REASONS),
        entries_seen=entries.get("seen", 0), already_seen=entries.get("already_seen", 0),
        entries_repeated=entries.get("repeated", 0), entries_retried=entries.get("retried", 0),
        written=_counters(result, "cfnews.written"),
        files=_counters(result, "cfnews.files"),
        rejected_by_reason=written_rejected,
        # from discovery to written means nothing for pages captured long ago (WARC-Date)
        latency={} if warc.get("files") else run_latency(out_dir, run_id),
        warc_files=warc.get("files", 0), warc_files_unreadable=warc.get("files_unreadable", 0),
        warc_skipped={k.split(".", 1)[1]: n for k, n in warc.items() if k.startswith("skipped.")},
        warc_revisits=warc.get("revisits", 0),
        warc_revisits_resolved=warc.get("revisits_resolved", 0))
