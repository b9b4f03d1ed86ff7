"""Import record files into the store: read, detect, map, validate, version.

Each batch of records is written in one transaction, so an import killed at any
moment leaves whole batches behind, and running it again converges on the same
store (a record seen twice adds no version). Bad records are quarantined with
their reason and bytes; the run goes on.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trialscope.derived import refresh_derived
from trialscope.formats.sources import Skipped, SourceReader
from trialscope.pipeline import Prepared, PreparePool, grouped, lenient_gc
from trialscope.store import IncomingVersion, Outcome, QuarantinedRecord, Store


@dataclass
class ImportProgress:
    """How far an import is: ``records`` done in ``stage`` ("storing", then "criteria")."""

    records: int
    bytes_done: int
    total_bytes: int
    stage: str = "storing"
    #: records the stage will handle, when known (criteria); storing only estimates it
    total_records: int | None = None

    @property
    def expected_records(self) -> int | None:
        """The stage's total: known, or while storing projected from the bytes read."""
        if self.total_records is not None:
            return self.total_records
        if self.bytes_done <= 0 or self.total_bytes <= 0:
            return None
        if self.bytes_done >= self.total_bytes:
            return self.records
        return max(self.records, round(self.records * self.total_bytes / self.bytes_done))


@dataclass
class ImportSummary:
    run_id: int
    counts: Counter[str] = field(default_factory=Counter)
    by_format: Counter[str] = field(default_factory=Counter)
    files: int = 0
    missing: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    status: str = "completed"

    @property
    def records_read(self) -> int:
        return sum(self.counts[o.value] for o in Outcome)

    @property
    def nothing_read(self) -> bool:
        return self.records_read == 0

    @property
    def records_per_second(self) -> float:
        return self.records_read / self.elapsed if self.elapsed > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "status": self.status,
            "files": self.files,
            "records": self.records_read,
            "new": self.counts["new"],
            "changed": self.counts["changed"],
            "history": self.counts["history"],
            "unchanged": self.counts["unchanged"],
            "quarantined": self.counts["quarantined"],
            "skipped_files": self.skipped,
            "missing_paths": self.missing,
            "by_format": dict(self.by_format),
            "elapsed_seconds": round(self.elapsed, 3),
            "records_per_second": round(self.records_per_second, 1),
        }


#: below this much input a process pool costs more than it saves
POOL_MIN_BYTES = 4 * 1024 * 1024


def _batches(
    reader: SourceReader, summary: ImportSummary, batch_size: int, workers: int
) -> Iterator[tuple[list[IncomingVersion], list[QuarantinedRecord]]]:
    processes = workers if reader.total_bytes >= POOL_MIN_BYTES else 1
    with PreparePool(processes) as pool:
        yield from _collect(pool.map(grouped(reader)), summary, batch_size)


def _collect(
    groups: Iterable[list[Prepared]], summary: ImportSummary, batch_size: int
) -> Iterator[tuple[list[IncomingVersion], list[QuarantinedRecord]]]:
    records: list[IncomingVersion] = []
    problems: list[QuarantinedRecord] = []
    for group in groups:
        for prepared in group:
            if isinstance(prepared, Skipped):
                summary.skipped.append(f"{prepared.source}: {prepared.reason}")
            elif isinstance(prepared, QuarantinedRecord):
                problems.append(prepared)
            else:
                records.append(prepared)
                summary.by_format[prepared.source_format] += 1
            if len(records) + len(problems) >= batch_size:
                yield records, problems
                records, problems = [], []
    if records or problems:
        yield records, problems


def import_paths(
    store: Store,
    paths: Iterable[str | Path],
    *,
    batch_size: int = 500,
    workers: int = 1,
    on_progress: Callable[[ImportProgress], None] | None = None,
) -> ImportSummary:
    """Import every record found under ``paths``; see the module docstring."""
    path_list: Sequence[str | Path] = list(paths)
    reader = SourceReader.expand(path_list)
    run_id = store.begin_run([str(p) for p in path_list])
    summary = ImportSummary(run_id=run_id, files=len(reader.paths), missing=reader.missing)
    total_bytes = reader.total_bytes
    started = time.perf_counter()
    try:
        with lenient_gc():
            for records, problems in _batches(reader, summary, batch_size, workers):
                outcomes = store.write_batch(records, problems, run_id=run_id)
                summary.counts.update(o.value for o in outcomes)
                summary.counts["quarantined"] += len(problems)
                if on_progress:
                    done, total = summary.records_read, reader.bytes_done
                    on_progress(ImportProgress(done, total, total_bytes))
    except KeyboardInterrupt:
        summary.status = "interrupted"
        raise
    except BaseException:
        summary.status = "failed"
        raise
    finally:
        summary.elapsed = time.perf_counter() - started
        if summary.status == "completed" and summary.nothing_read:
            summary.status = "nothing_read"
        store.finish_run(run_id, summary.status, summary.as_dict())

    def criteria_progress(done: int, total: int) -> None:
        if on_progress:
            on_progress(ImportProgress(done, 0, 0, stage="criteria", total_records=total))

    # criteria of the versions that became current, then what matching reads of them
    refresh_derived(store, workers=workers, on_progress=criteria_progress)
    return summary
