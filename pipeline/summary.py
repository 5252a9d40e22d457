"""The end-of-run summary: counts from the job's metrics, checked to add up."""
from __future__ import annotations

import collections
import dataclasses
from typing import Dict, List

from apache_beam.metrics.metric import MetricsFilter

from transforms.feeds import FEED_LEVEL_REASONS
from transforms.write import join


@dataclasses.dataclass
class RunSummary:
    run_id: str
    out_dir: str
    feeds_polled: int = 0
    entries_seen: int = 0
    already_seen: int = 0
    written: Dict[str, int] = dataclasses.field(default_factory=dict)
    files: Dict[str, int] = dataclasses.field(default_factory=dict)
    rejected_by_reason: Dict[str, int] = dataclasses.field(default_factory=dict)
    latency: Dict[str, float] = dataclasses.field(default_factory=dict)  # written - discovered
    dry_run: bool = False        # translated for the runner only: nothing ran

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

    def render(self) -> str:
        if self.dry_run:
            return (f"cfnews run {self.run_id}: dry run, the job graph was translated and "
                    f"validated; nothing was submitted, read or written ({self.out_dir})")
        w = self.written
        lines = [
            f"cfnews run {self.run_id}",
            f"  feeds polled      {self.feeds_polled}",
            f"  entries seen      {self.entries_seen}  (already written by earlier runs: "
            f"{self.already_seen}; new: {self.new_entries})",
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
        lines.append(f"    duckdb -c \"{duckdb_query(self.out_dir)}\"")
        return "\n".join(lines)


def duckdb_query(out_dir: str) -> str:
    path = join(out_dir, "articles", "**", "*.parquet")
    return ("SELECT date, outlet, language, count(*) AS articles, "
            "count(DISTINCT cluster_id) AS stories "
            f"FROM read_parquet('{path}', hive_partitioning=true) "
            "GROUP BY ALL ORDER BY date, outlet")


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
    pattern = join(out_dir, "articles", "*", "*", f"part-{run_id}-*.parquet")
    values: List[float] = []
    for match in FileSystems.match([pattern])[0].metadata_list:
        # Whole file into memory, then one-threaded Arrow read: an Arrow reader over a Python
        # file object can still be tearing down its threads at interpreter exit (SIGABRT).
        with FileSystems.open(match.path) as handle:
            data = handle.read()
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
    return RunSummary(
        run_id=run_id, out_dir=out_dir,
        feeds_polled=_counters(result, "cfnews.feeds").get("polled", 0),
        entries_seen=entries.get("seen", 0), already_seen=entries.get("already_seen", 0),
        written=_counters(result, "cfnews.written"),
        files=_counters(result, "cfnews.files"),
        rejected_by_reason=_counters(result, "cfnews.written_rejected"),
        latency=run_latency(out_dir, run_id))
