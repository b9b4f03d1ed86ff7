"""Versioned study store (SQLite by default) with a field-level change log."""

from __future__ import annotations

from pathlib import Path

from trialscope.errors import ConfigError
from trialscope.store.sqlite import (
    IncomingVersion,
    Outcome,
    QuarantinedRecord,
    QuarantineEntry,
    SQLiteStore,
)
from trialscope.store.types import ChangeKind, FieldChange, VersionInfo

Store = SQLiteStore


def open_store(location: str | Path) -> Store:
    """Open the store at a file path or ``sqlite:///path`` URL."""
    text = str(location)
    if text.startswith("sqlite:///"):
        text = text.removeprefix("sqlite:///")
    elif "://" in text:
        scheme = text.split("://", 1)[0]
        raise ConfigError(
            f"Unsupported database URL scheme {scheme!r}.",
            hint="Give a file path or sqlite:///path (PostgreSQL support is planned).",
        )
    return SQLiteStore(text)


__all__ = [
    "ChangeKind",
    "FieldChange",
    "IncomingVersion",
    "Outcome",
    "QuarantineEntry",
    "QuarantinedRecord",
    "SQLiteStore",
    "Store",
    "VersionInfo",
    "open_store",
]
