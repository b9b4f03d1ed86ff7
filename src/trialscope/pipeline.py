"""Turn raw chunks into store-ready records: detect, map, validate, hash, compress.

The work is pure, so it runs in worker processes (``PreparePool``) while the one
writer stores what comes back, in input order. Only bytes cross the process
boundary: raw chunks out, compressed records back.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from types import TracebackType

import orjson
from pydantic import ValidationError

from trialscope.errors import RecordError
from trialscope.formats.detect import MappedRecord, nct_id_of, records_in_chunk
from trialscope.formats.sources import Chunk, Item, Problem, Skipped
from trialscope.record import Study
from trialscope.store import IncomingVersion, QuarantinedRecord
from trialscope.store.fingerprint import content_hash


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
#: groups in flight per worker (about 1 MB of raw records each)
WINDOW = 8


def prepare_group(items: list[Item]) -> list[Prepared]:
    out: list[Prepared] = []
    for item in items:
        if isinstance(item, Chunk):
            out.extend(prepare_chunk(item))
        elif isinstance(item, Problem):
            out.append(QuarantinedRecord(item.source, item.position, item.reason, item.raw))
        else:
            out.append(item)
    return out


def grouped(items: Iterable[Item], size: int = GROUP_SIZE) -> Iterator[list[Item]]:
    group: list[Item] = []
    for item in items:
        group.append(item)
        if len(group) >= size:
            yield group
            group = []
    if group:
        yield group


@contextmanager
def lenient_gc() -> Iterator[None]:
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
    _exit_with_parent()


def _exit_with_parent() -> None:
    """End this worker if the importing process dies (SIGKILL, OOM...).

    Forked workers share the task pipe, so none of them ever sees it close; without
    this they would wait forever as orphans.
    """
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


class PreparePool:
    """Prepare groups of items in ``workers`` processes (in this one when 1), in order.

    Used as a context manager so one pool serves a whole import or sync run.
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> PreparePool:
        if self.workers > 1:
            context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=context, initializer=_worker_start
            )
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def map(self, groups: Iterable[list[Item]]) -> Iterator[list[Prepared]]:
        if self._pool is None:
            for group in groups:
                yield prepare_group(group)
            return
        window: deque[Future[list[Prepared]]] = deque()
        for group in groups:
            window.append(self._pool.submit(prepare_group, group))
            # A bounded window keeps memory flat whatever the input size; it is wide enough
            # that the workers stay busy while this process writes a batch (a commit with
            # its WAL checkpoint can take longer than 3 groups a worker took to prepare).
            if len(window) >= WINDOW * self.workers:
                yield window.popleft().result()
        while window:
            yield window.popleft().result()
