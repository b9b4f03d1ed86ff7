"""Import record files into the store: read, detect, map, validate, version.

Each batch of records is written in one transaction, so an import killed at any
moment leaves whole batches behind, and running it again converges on the same
store (a record seen twice adds no version). Bad records are quarantined with
their reason and bytes; the run goes on.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from trialscope.errors import RecordError
from trialscope.formats.detect import MappedRecord, nct_id_of, records_in_chunk
from trialscope.formats.sources import Chunk, Item, Problem, Skipped, SourceReader
from trialscope.record import Study
from trialscope.store import IncomingVersion, Outcome, QuarantinedRecord, Store
from trialscope.store.fingerprint import content_hash


@dataclass
class ImportProgress:
    records: int
    bytes_done: int
    total_bytes: int


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


def _summary_phases(study: Study) -> str | None:
    return "|".join(study.phases) if study.phases else None


def to_incoming(record: MappedRecord, source: str) -> IncomingVersion:
    """Validate one mapped record against the model and prepare it for the store."""
    nct_id = nct_id_of(record.study)
    try:
        model = Study.model_validate(record.study)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise RecordError(f"invalid {where}: {first['msg']}") from exc
    data = record.verbatim.strip() if record.verbatim else orjson.dumps(record.study)
    return IncomingVersion.build(
        nct_id=nct_id,
        data=data,
        content_hash=content_hash(record.study),
        source=source,
        source_format=record.format.value,
        original=record.original,
        last_update_post_date=model.last_update_post_date,
        snapshot_date=record.snapshot_date,
        is_partial=model.is_partial,
        brief_title=model.brief_title,
        overall_status=_str_or_none(model.overall_status),
        phases=_summary_phases(model),
        study_type=_str_or_none(model.study_type),
        lead_sponsor=model.lead_sponsor,
    )


def _str_or_none(value: object) -> str | None:
    return None if value is None else str(value)


def prepare_chunk(chunk: Chunk) -> list[IncomingVersion | QuarantinedRecord]:
    """Every storable record in a chunk, and a quarantine entry for each bad one."""
    out: list[IncomingVersion | QuarantinedRecord] = []
    for found in records_in_chunk(chunk.raw):
        if isinstance(found, RecordError):
            out.append(QuarantinedRecord(chunk.source, chunk.position, found.message, chunk.raw))
            continue
        position = chunk.position + found.position
        try:
            out.append(to_incoming(found, f"{chunk.source}#{position}"))
        except RecordError as exc:
            out.append(QuarantinedRecord(chunk.source, position, exc.message, chunk.raw))
    return out


Prepared = IncomingVersion | QuarantinedRecord | Skipped
#: chunks per unit of work sent to a worker process
GROUP_SIZE = 64
#: below this much input a process pool costs more than it saves
POOL_MIN_BYTES = 4 * 1024 * 1024


def _prepare_group(items: list[Item]) -> list[Prepared]:
    out: list[Prepared] = []
    for item in items:
        if isinstance(item, Chunk):
            out.extend(prepare_chunk(item))
        elif isinstance(item, Problem):
            out.append(QuarantinedRecord(item.source, item.position, item.reason, item.raw))
        else:
            out.append(item)
    return out


def _groups(reader: SourceReader) -> Iterator[list[Item]]:
    group: list[Item] = []
    for item in reader:
        group.append(item)
        if len(group) >= GROUP_SIZE:
            yield group
            group = []
    if group:
        yield group


@contextmanager
def _lenient_gc() -> Iterator[None]:
    """Bulk parsing allocates millions of short-lived objects; full collections of the
    long-lived ones (schemas, modules) are wasted work, so freeze those and collect less."""
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def _worker_start() -> None:
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)


def _prepared_groups(reader: SourceReader, workers: int) -> Iterator[list[Prepared]]:
    """Prepared records in input order, mapped in ``workers`` processes when worth it."""
    if workers <= 1 or reader.total_bytes < POOL_MIN_BYTES:
        for group in _groups(reader):
            yield _prepare_group(group)
        return
    context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_start)
    window: deque[Future[list[Prepared]]] = deque()
    try:
        for group in _groups(reader):
            window.append(pool.submit(_prepare_group, group))
            # A bounded window keeps memory flat whatever the input size.
            if len(window) >= 3 * workers:
                yield window.popleft().result()
        while window:
            yield window.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _batches(
    reader: SourceReader, summary: ImportSummary, batch_size: int, workers: int
) -> Iterator[tuple[list[IncomingVersion], list[QuarantinedRecord]]]:
    records: list[IncomingVersion] = []
    problems: list[QuarantinedRecord] = []
    for group in _prepared_groups(reader, workers):
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
        with _lenient_gc():
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
    return summary
