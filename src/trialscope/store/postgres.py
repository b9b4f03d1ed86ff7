"""The PostgreSQL backend (psycopg 3): many readers and writers share one database.

The store's SQL is shared with SQLite (``?`` placeholders, rewritten here for
psycopg). What differs is concurrency: several ``trialscope serve`` workers,
importers and syncs may write at once, so a batch first takes a transaction-scoped
advisory lock on each of its studies (in one sorted order, so two batches never
deadlock), and the version chain of a study is only ever read and extended under
its lock. ``UNIQUE (nct_id, content_hash)`` backs that up. Every psycopg error is
turned into a StoreError at this boundary.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import psycopg

from trialscope.errors import StoreConflict, StoreError
from trialscope.store.base import BaseStore, migrations, utc_now
from trialscope.store.bulk import settle_if_abandoned

#: advisory lock classes (the first key of pg_advisory_xact_lock(int, int))
LOCK_STUDY = 7401
LOCK_MIGRATE = 7402


@lru_cache(maxsize=1024)
def to_psycopg(sql: str) -> str:
    """``?`` placeholders → ``%s``; a literal ``%`` (``LIKE '%|x|%'``) doubled."""
    return sql.replace("%", "%%").replace("?", "%s")


def glob_to_like(pattern: str) -> str:
    """A shell pattern (``status.*``) as a LIKE pattern with ``\\`` escapes."""
    escaped = re.sub(r"([%_\\])", r"\\\1", pattern)
    return escaped.replace("*", "%").replace("?", "_")


def _describe(exc: psycopg.Error) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _connect(url: str) -> psycopg.Connection[Any]:
    return psycopg.connect(url, autocommit=True, application_name="trialscope")


class PgConnection:
    """A psycopg connection that speaks the store's SQL and raises StoreError.

    A connection lost outside a transaction (the server restarted, an idle connection
    was dropped) is reopened once, so a long-lived web worker recovers by itself.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.raw = _connect(url)
        self._depth = 0

    def execute(self, sql: str, parameters: Any = (), /) -> psycopg.Cursor[Any]:
        query = to_psycopg(sql)
        try:
            return self.raw.execute(query, parameters)
        except psycopg.OperationalError as exc:
            if not self.raw.broken or self._in_transaction:
                raise _translated(exc, "Database error") from exc
            lost = exc
        except psycopg.Error as exc:
            raise _translated(exc, "Database error") from exc
        try:
            self.raw = _connect(self.url)
            return self.raw.execute(query, parameters)
        except psycopg.Error as exc:
            raise StoreError(f"Database connection lost: {_describe(lost)}") from exc

    @property
    def _in_transaction(self) -> bool:
        # statements already sent in this transaction are gone with the connection
        return self._depth > 0

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self._depth += 1
        try:
            with self.raw.transaction():
                yield
        except psycopg.Error as exc:  # BEGIN or COMMIT (a serialisation failure, ...)
            raise _translated(exc, "Database transaction failed") from exc
        finally:
            self._depth -= 1

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> None:
        rows = list(parameters)
        if not rows:
            return
        try:
            with self.raw.cursor() as cur:
                cur.executemany(to_psycopg(sql), rows)
        except psycopg.Error as exc:
            raise _translated(exc, "Database error") from exc


#: SQLSTATEs of a transaction another one crossed: deadlock, serialisation failure
_CONFLICTS = frozenset({"40P01", "40001"})


def _translated(exc: psycopg.Error, what: str) -> StoreError:
    if exc.sqlstate in _CONFLICTS:
        return StoreConflict(f"{what}: {_describe(exc)}")
    return StoreError(f"{what}: {_describe(exc)}")


class PostgresStore(BaseStore):
    """Versioned study store in a PostgreSQL database (``postgresql://...``)."""

    dialect = "postgres"
    conn: PgConnection

    def __init__(self, url: str, *, now: Any = utc_now) -> None:
        self.url = url
        self.location = _redacted(url)
        self._now = now
        try:
            self.conn = PgConnection(url)
        except psycopg.Error as exc:
            raise StoreError(
                f"Cannot connect to the database at {self.location}: {_describe(exc)}",
                hint="Check the URL given by --db or TRIALSCOPE_DB, and that PostgreSQL runs"
                " and lets this user in (see docs/deployment.md).",
            ) from exc
        try:
            self._migrate()
            settle_if_abandoned(self)  # what a killed bulk fill left undone
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        self.conn.raw.close()

    @contextmanager
    def transaction(self) -> Iterator[PgConnection]:
        with self.conn.transaction():
            yield self.conn

    def _lock_studies(self, db: Any, nct_ids: Sequence[str]) -> None:
        if nct_ids:
            # sorted keys: two batches sharing studies wait for each other, never deadlock
            db.execute(
                "SELECT count(pg_advisory_xact_lock(?, k)) FROM"
                " (SELECT DISTINCT hashtext(n) AS k FROM unnest(?::text[]) AS n ORDER BY k) AS s",
                (LOCK_STUDY, sorted(set(nct_ids))),
            ).fetchone()

    def _glob(self, column: str, pattern: str) -> tuple[str, str]:
        return f"{column} LIKE ? ESCAPE '\\'", glob_to_like(pattern)

    def _migrate(self) -> None:
        scripts = migrations("postgres")
        if self._applied() >= scripts[-1][0]:
            return  # the common case, every time a worker thread connects: no lock taken
        # Workers starting together: one migrates, the others wait and find it done.
        with self.transaction() as db:
            db.execute("SELECT pg_advisory_xact_lock(?, 0)", (LOCK_MIGRATE,))
            db.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations"
                " (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
            )
            current = self.schema_version
            for number, script in scripts:
                if number > current:
                    try:
                        self.conn.raw.execute(script.encode())
                    except psycopg.Error as exc:
                        raise StoreError(
                            f"Migration {number} failed on {self.location}: {_describe(exc)}"
                        ) from exc
                    db.execute(
                        "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                        (number, self._now()),
                    )

    def _applied(self) -> int:
        found = self.conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL")
        return self.schema_version if found.fetchall()[0][0] else 0

    @property
    def schema_version(self) -> int:
        found = self.conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations")
        return int(found.fetchall()[0][0])


def _redacted(url: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)
