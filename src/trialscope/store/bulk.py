"""Tables bulk-filled with their secondary indexes set aside (SQLite), made again after.

Filling a table row by row keeps each of its indexes up to date with a B-tree insert per
row in random key order; making an index once over the filled table is one sort. A fill
may also change settings for its duration (an FTS5 table's merging). What a fill owes
(each dropped index's CREATE statement, each setting's undo, a closing statement) is
recorded in ``bulk_undo`` in the transaction that drops or changes it, and removed in the
one that runs it, so a process killed mid-fill leaves a record: the next open of the
store runs it. A filling process holds an exclusive lock on ``<store>.bulk`` for as long
as it fills (the kernel drops it when the process dies), so an open beside a live fill
leaves its tables alone.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trialscope.store.sqlite import SQLiteStore

#: a setting changed for a fill: (name, statement changing it, statement undoing it)
Setting = tuple[str, str, str]


def _lock(store: SQLiteStore) -> int | None:
    """An open descriptor holding the fill lock, or None when another process holds it."""
    fd = os.open(Path(f"{store.path}.bulk"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def owed(store: SQLiteStore) -> list[str]:
    """The names of what a fill (alive or killed) still owes: indexes, settings."""
    return [str(r[0]) for r in store.conn.execute("SELECT name FROM bulk_undo ORDER BY name")]


def settle(store: SQLiteStore) -> int:
    """Run everything owed (indexes first, then settings, then closing statements), one
    transaction each; returns how many statements ran."""
    done = 0
    rows = store.conn.execute("SELECT name, sql FROM bulk_undo ORDER BY name").fetchall()
    for name, sql in rows:
        with store.transaction() as db:
            db.execute(sql)
            db.execute("DELETE FROM bulk_undo WHERE name = ?", (name,))
        done += 1
    return done


def settle_if_abandoned(store: SQLiteStore) -> int:
    """On opening a store: settle what a killed fill left owed (nothing while the fill
    that owes it is alive)."""
    if not store.conn.execute("SELECT EXISTS (SELECT 1 FROM bulk_undo)").fetchone()[0]:
        return 0
    fd = _lock(store)
    if fd is None:
        return 0
    try:
        return settle(store)
    finally:
        os.close(fd)


@contextmanager
def filling(
    store: SQLiteStore,
    tables: Sequence[str],
    settings: Sequence[Setting] = (),
    closing: str | None = None,
) -> Iterator[bool]:
    """While the block fills ``tables``: their secondary indexes dropped and ``settings``
    changed; when it ends (well or not) the indexes made again, the settings undone and
    ``closing`` run. Yields False, changing nothing, when another process is filling."""
    fd = _lock(store)
    if fd is None:
        yield False
        return
    try:
        marks = ",".join("?" * len(tables))
        with store.transaction() as db:
            # sql IS NULL: the indexes of PRIMARY KEY and UNIQUE constraints, which stay
            found = db.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index'"
                f" AND sql IS NOT NULL AND tbl_name IN ({marks})",
                list(tables),
            ).fetchall()
            undo = [(f"1 index {name}", sql) for name, sql in found]
            undo += [(f"2 setting {name}", back) for name, _, back in settings]
            if closing is not None:
                undo.append(("3 closing", closing))
            db.executemany("INSERT OR IGNORE INTO bulk_undo (name, sql) VALUES (?, ?)", undo)
            for name, _ in found:
                db.execute(f'DROP INDEX "{name}"')
            for _, change, _ in settings:
                db.execute(change)
        try:
            yield True
        finally:
            settle(store)
    finally:
        os.close(fd)
