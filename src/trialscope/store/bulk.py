"""Tables bulk-filled with their secondary indexes set aside, made again after.

Filling a table row by row keeps each of its indexes up to date with a B-tree insert per
row in random key order; making an index once over the filled table is one sort. A fill
may also change settings for its duration (an FTS5 table's merging). What a fill owes
(each dropped index's CREATE statement, each setting's undo, a closing statement) is
recorded in ``bulk_undo`` in the transaction that drops or changes it, and removed in the
one that runs it, so a process killed mid-fill leaves a record: the next open of the
store runs it. A filling process holds the fill lock exclusively for as long as it fills
(SQLite: ``flock`` on ``<store>.bulk``; PostgreSQL: a session advisory lock), which the
kernel or the server drops when the process dies, so an open beside a live fill leaves
its tables alone. A writer that needs the indexes (:func:`beside_fills`) holds the same
lock shared: it waits for a live fill to end, and no fill starts while it writes.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trialscope.store import Store

#: a setting changed for a fill: (name, statement changing it, statement undoing it)
Setting = tuple[str, str, str]
#: the PostgreSQL advisory lock of fills (the first key; postgres.LOCK_* are the others)
LOCK_BULK = 7403

Release = Callable[[], None]


def _lock(store: Store, *, shared: bool = False) -> Release | None:
    """Take the fill lock (exclusive: at once or None; ``shared``: waiting for a fill
    to end); returns what releases it."""
    if store.dialect == "postgres":
        if shared:
            store.conn.execute("SELECT pg_advisory_lock_shared(?, 0)", (LOCK_BULK,)).fetchone()
            return lambda: _pg_unlock(store, "pg_advisory_unlock_shared")
        row = store.conn.execute("SELECT pg_try_advisory_lock(?, 0)", (LOCK_BULK,)).fetchone()
        return (lambda: _pg_unlock(store, "pg_advisory_unlock")) if row[0] else None
    from trialscope.store.sqlite import SQLiteStore  # it imports this module

    assert isinstance(store, SQLiteStore)
    if str(store.path) == ":memory:":
        return lambda: None  # no other process sees it
    fd = os.open(Path(f"{store.path}.bulk"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return lambda: os.close(fd)


def _pg_unlock(store: Store, function: str) -> None:
    store.conn.execute(f"SELECT {function}(?, 0)", (LOCK_BULK,)).fetchone()


def _owes(store: Store) -> bool:
    return bool(store.conn.execute("SELECT EXISTS (SELECT 1 FROM bulk_undo)").fetchone()[0])


def owed(store: Store) -> list[str]:
    """The names of what a fill (alive or killed) still owes: indexes, settings."""
    return [str(r[0]) for r in store.conn.execute("SELECT name FROM bulk_undo ORDER BY name")]


def settle(store: Store) -> int:
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


def settle_if_abandoned(store: Store) -> int:
    """On opening a store: settle what a killed fill left owed (nothing while the fill
    that owes it is alive)."""
    if not _owes(store):
        return 0
    release = _lock(store)
    if release is None:
        return 0
    try:
        return settle(store)
    finally:
        release()


@contextmanager
def beside_fills(store: Store) -> Iterator[None]:
    """While the block writes tables a fill may set indexes aside of: no fill alive (one
    alive is waited for, what a killed one owes is settled first) and none started."""
    while True:
        release = _lock(store, shared=True)
        assert release is not None
        if not _owes(store):
            break
        release()  # a killed fill's debts (or a fill that just ended): settle, look again
        settle_if_abandoned(store)
    try:
        yield
    finally:
        release()


def _indexes(store: Store, tables: Sequence[str]) -> list[tuple[str, str]]:
    """Each secondary index of ``tables`` and the statement that makes it (not those of
    PRIMARY KEY and UNIQUE constraints, which stay)."""
    marks = ",".join("?" * len(tables))
    if store.dialect == "postgres":
        query = (
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
            f" AND tablename IN ({marks})"
            " AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        )
    else:  # sql IS NULL: the indexes of PRIMARY KEY and UNIQUE constraints
        query = (
            "SELECT name, sql FROM sqlite_master WHERE type = 'index'"
            f" AND sql IS NOT NULL AND tbl_name IN ({marks})"
        )
    return [(str(n), str(s)) for n, s in store.conn.execute(query, list(tables)).fetchall()]


@contextmanager
def filling(
    store: Store,
    tables: Sequence[str],
    settings: Sequence[Setting] = (),
    closing: str | None = None,
    when: Callable[[], bool] | None = None,
) -> Iterator[bool]:
    """While the block fills ``tables``: their secondary indexes dropped and ``settings``
    changed; when it ends (well or not) the indexes made again, the settings undone and
    ``closing`` run. Yields False, changing nothing, when another process is filling or
    writing beside fills, or ``when`` (asked under the lock) says no."""
    release = _lock(store)
    if release is not None and when is not None and not when():
        release()
        release = None
    if release is None:
        yield False
        return
    try:
        with store.transaction() as db:
            found = _indexes(store, tables)
            undo = [(f"1 index {name}", sql) for name, sql in found]
            undo += [(f"2 setting {name}", back) for name, _, back in settings]
            if closing is not None:
                undo.append(("3 closing", closing))
            db.executemany(
                "INSERT INTO bulk_undo (name, sql) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                undo,
            )
            for name, _ in found:
                db.execute(f'DROP INDEX "{name}"')
            for _, change, _ in settings:
                db.execute(change)
        try:
            yield True
        finally:
            settle(store)
    finally:
        release()
