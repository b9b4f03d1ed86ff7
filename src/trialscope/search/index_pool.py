"""The search index refresh with its rows built in worker processes (import, sync).

A batch is claimed and written by this process exactly as :meth:`IndexWriter.refresh`
does (one transaction: claim, delete, insert, log), so a kill loses at most the batch in
hand. Only the rows are built elsewhere: the workers validate each study, place its
sites and make its engine document, from the compressed version bytes the parent read.

While a batch is written, the workers already build the next one: inside the claim the
parent reads the studies the next claim will most likely take (with their current
version ids) and sends them off. The next claim keeps a row built ahead only for a study
it did claim and whose current version is still the one read; any other is built again
then (a sync that changed the study meanwhile, another process that claimed it), so a
row is always built from the version current when its batch commits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.pool import AsyncResult, Pool
from typing import TYPE_CHECKING

from trialscope.errors import TrialscopeError
from trialscope.forkpool import parts
from trialscope.record import Study
from trialscope.search.rows import IndexRows, Placer, engine_doc, rows_for
from trialscope.store.codec import decompress
from trialscope.store.dbapi import Connection

if TYPE_CHECKING:
    from trialscope.search.index import IndexWriter

#: studies per task sent to a worker
PART = 50
#: a built study: NCT id, the version it was built from, its rows and engine document
#: (None, None: unreadable, it just leaves the index)
Built = tuple[str, int, IndexRows | None, bytes | None]

_PLACE: Placer | None = None


def _build_part(part: list[tuple[str, int, bytes]]) -> list[Built]:
    """Runs in a worker: the rows of each (NCT id, version id, compressed version)."""
    global _PLACE
    if _PLACE is None:
        from trialscope.search.index import cached_placer

        _PLACE = cached_placer()  # one per worker: every batch meets the same cities
    out: list[Built] = []
    for nct_id, version_id, blob in part:
        try:
            row = rows_for(Study.from_json(decompress(blob)), _PLACE)
        except TrialscopeError:
            out.append((nct_id, version_id, None, None))
            continue
        out.append((nct_id, version_id, row, engine_doc(row)))
    return out


def _current(db: Connection, nct_ids: Sequence[str], data: bool) -> list[tuple[str, int, bytes]]:
    """(NCT id, current version id, its compressed bytes or b"") of the studies that exist."""
    marks = ",".join("?" * len(nct_ids))
    if not data:
        return [
            (str(n), int(v), b"")
            for n, v in db.execute(
                f"SELECT nct_id, current_version_id FROM studies WHERE nct_id IN ({marks})",
                list(nct_ids),
            )
        ]
    return [
        (str(n), int(v), bytes(b))
        for n, v, b in db.execute(
            "SELECT s.nct_id, s.current_version_id, v.data FROM studies s"
            f" JOIN versions v ON v.id = s.current_version_id WHERE s.nct_id IN ({marks})",
            list(nct_ids),
        )
    ]


@dataclass
class _Ahead:
    """Rows being built for the batch the next claim is expected to take."""

    result: AsyncResult[list[list[Built]]]


def refresh_pooled(
    writer: IndexWriter, pool: Pool, batch: int, on_progress: Callable[[int], None] | None
) -> int:
    """Index every queued study, rows built in ``pool``; returns how many were indexed."""
    done = 0
    ahead: _Ahead | None = None
    while True:
        with writer.dialect.claim(writer.store, batch) as (db, nct_ids):
            if not nct_ids:
                return done
            rows, docs = _rows(db, pool, nct_ids, ahead)
            ahead = _read_ahead(db, pool, nct_ids, batch)
            writer.write(db, nct_ids, rows, docs)
        done += len(rows)
        if on_progress:
            on_progress(done)


def _rows(
    db: Connection, pool: Pool, nct_ids: list[str], ahead: _Ahead | None
) -> tuple[list[IndexRows], dict[str, bytes]]:
    """The claimed studies' rows in claim order: built ahead when still current, else now."""
    current = {n: v for n, v, _ in _current(db, nct_ids, data=False)}
    built: dict[str, Built] = {}
    if ahead is not None:
        for found in ahead.result.get():
            for one in found:
                if current.get(one[0]) == one[1]:
                    built[one[0]] = one
    missing = [n for n in nct_ids if n in current and n not in built]
    if missing:
        for found in pool.map(_build_part, parts(_current(db, missing, data=True), PART)):
            built.update((one[0], one) for one in found)
    rows: list[IndexRows] = []
    docs: dict[str, bytes] = {}
    for nct_id in nct_ids:
        _, _, row, doc = built.get(nct_id) or (nct_id, 0, None, None)
        if row is not None and doc is not None:
            rows.append(row)
            docs[nct_id] = doc
    return rows, docs


def _read_ahead(db: Connection, pool: Pool, claimed: list[str], batch: int) -> _Ahead | None:
    """Send the studies the next claim will probably take to be built."""
    taken = set(claimed)
    queued = [
        str(r[0])
        for r in db.execute("SELECT nct_id FROM search_dirty LIMIT ?", (batch + len(taken),))
    ]
    following = [n for n in queued if n not in taken][:batch]
    if not following:
        return None
    work = parts(_current(db, following, data=True), PART)
    return _Ahead(pool.map_async(_build_part, work))
