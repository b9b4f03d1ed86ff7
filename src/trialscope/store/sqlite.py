"""The SQLite backend: one file, WAL, one writer (``BEGIN IMMEDIATE``) at a time."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from trialscope.errors import StoreError
from trialscope.store.base import BaseStore, migrations, parse_timestamp, utc_now
from trialscope.store.bulk import settle_if_abandoned
from trialscope.store.types import IncomingVersion, Outcome, QuarantinedRecord, QuarantineEntry

__all__ = [
    "IncomingVersion",
    "Outcome",
    "QuarantineEntry",
    "QuarantinedRecord",
    "SQLiteStore",
    "migrations",
    "parse_timestamp",
    "utc_now",
]


class SQLiteStore(BaseStore):
    """Versioned study store in one SQLite file."""

    conn: sqlite3.Connection

    def __init__(self, path: str | Path, *, now: Any = utc_now) -> None:
        self.path = Path(path)
        self.location = str(self.path)
        self._now = now
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            # index maintenance (versions, search) touches many pages per batch
            self.conn.execute("PRAGMA cache_size=-65536")
            self._migrate()
            settle_if_abandoned(self)  # what a killed bulk fill left undone
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(
                f"Cannot open the database at {self.path}: {exc}",
                hint="Check the path given by --db or TRIALSCOPE_DB.",
            ) from exc

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise StoreError(f"Database write failed: {exc}") from exc

    def _migrate(self) -> None:
        current = self.conn.execute("PRAGMA user_version").fetchone()[0]
        for number, script in migrations():
            if number > current:
                self.conn.executescript(
                    f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;"
                )

    @property
    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])
