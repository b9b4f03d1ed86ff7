"""Versioned study store (SQLite by default, PostgreSQL by URL) with a field-level change log."""

from __future__ import annotations

from pathlib import Path

from trialscope.errors import ConfigError
from trialscope.store.base import BaseStore
from trialscope.store.sqlite import SQLiteStore
from trialscope.store.types import (
    ChangeKind,
    FieldChange,
    IncomingVersion,
    Outcome,
    QuarantinedRecord,
    QuarantineEntry,
    VersionInfo,
)

Store = BaseStore

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres_url(location: str | Path) -> bool:
    return str(location).startswith(POSTGRES_SCHEMES)


def open_store(location: str | Path) -> Store:
    """Open the store at a file path, a ``sqlite:///path`` or a ``postgresql://`` URL."""
    text = str(location)
    if is_postgres_url(text):
        # imported here: psycopg loads libpq, which SQLite users never need
        from trialscope.store.postgres import PostgresStore

        return PostgresStore(text)
    if text.startswith("sqlite:///"):
        text = text.removeprefix("sqlite:///")
    elif "://" in text:
        scheme = text.split("://", 1)[0]
        raise ConfigError(
            f"Unsupported database URL scheme {scheme!r}.",
            hint="Give a file path, sqlite:///path or postgresql://user@host/dbname.",
        )
    return SQLiteStore(text)


__all__ = [
    "BaseStore",
    "ChangeKind",
    "FieldChange",
    "IncomingVersion",
    "Outcome",
    "QuarantineEntry",
    "QuarantinedRecord",
    "SQLiteStore",
    "Store",
    "VersionInfo",
    "is_postgres_url",
    "open_store",
]
