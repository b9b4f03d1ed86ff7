"""Versioned study store (SQLite by default) with a field-level change log."""

from trialscope.store.types import ChangeKind, FieldChange, VersionInfo

__all__ = ["ChangeKind", "FieldChange", "VersionInfo"]
