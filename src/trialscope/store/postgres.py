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

from trialscope.errors import StoreError
from trialscope.store.base import BaseStore, migrations, utc_now

#: advisory lock classes (the first key of pg_advisory_xact_lock(int, int))
LOCK_STUDY = 7401
LOCK_MIGRATE = 7402
LOCK_INDEX = 7403


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


class PgConnection:
    """A psycopg connection that speaks the store's SQL and raises StoreError."""

    def __init__(self, raw: psycopg.Connection[Any]) -> None:
        self.raw = raw

    def execute(self, sql: str, parameters: Any = (), /) -> psycopg.Cursor[Any]:
        try:
            return self.raw.execute(to_psycopg(sql), parameters)  # type: ignore[arg-type]
        except psycopg.Error as exc:
            raise StoreError(f"Database error: {_describe(exc)}") from exc

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> None:
        rows = list(parameters)
        if not rows:
            return
        try:
            with self.raw.cursor() as cur:
                cur.executemany(to_psycopg(sql), rows)  # type: ignore[arg-type]
        except psycopg.Error as exc:
            raise StoreError(f"Database error: {_describe(exc)}") from exc


class PostgresStore(BaseStore):
    """Versioned study store in a PostgreSQL database (``postgresql://...``)."""

    dialect = "postgres"
    conn: PgConnection

    def __init__(self, url: str, *, now: Any = utc_now) -> None:
        self.url = url
        self.location = _redacted(url)
        self._now = now
        try:
            raw = psycopg.connect(url, autocommit=True, application_name="trialscope")
        except psycopg.Error as exc:
            raise StoreError(
                f"Cannot connect to the database at {self.location}: {_describe(exc)}",
                hint="Check the URL given by --db or TRIALSCOPE_DB, and that PostgreSQL runs"
                " and lets this user in (see docs/deployment.md).",
            ) from exc
        self.conn = PgConnection(raw)
        try:
            self._migrate()
        except BaseException:
            raw.close()
            raise

    def close(self) -> None:
        self.conn.raw.close()

    @contextmanager
    def transaction(self) -> Iterator[PgConnection]:
        try:
            with self.conn.raw.transaction():
                yield self.conn
        except psycopg.Error as exc:  # the COMMIT itself (a serialisation failure, ...)
            raise StoreError(f"Database write failed: {_describe(exc)}") from exc

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
        # Workers starting together: one migrates, the others wait and find it done.
        with self.transaction() as db:
            db.execute("SELECT pg_advisory_xact_lock(?, 0)", (LOCK_MIGRATE,))
            db.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations"
                " (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
            )
            current = self.schema_version
            for number, script in migrations("postgres"):
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

    @property
    def schema_version(self) -> int:
        found = self.conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations")
        return int(found.fetchall()[0][0])


def _redacted(url: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)
