"""Plain value types the store hands out; the render and CLI layers read these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import orjson

from trialscope.store.codec import compress, decompress
from trialscope.timewindow import iso_utc


class ChangeKind(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field-level difference between two consecutive versions of a study.

    ``path`` uses the short notation of the seed pages: ``status.overallStatus``,
    ``eligibility.criteria``, ``locations.<facility|city|state|country>`` ...
    """

    nct_id: str
    path: str
    kind: ChangeKind
    old: Any = None
    new: Any = None
    #: when this mirror first saw the newer version (UTC)
    detected_at: datetime | None = None
    #: CT.gov last update post date of the newer version, when known (YYYY-MM-DD)
    ct_date: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The one JSON form: CLI ``--json``, the API, MCP and saved-search events."""
        return {
            "nct_id": self.nct_id,
            "path": self.path,
            "kind": str(self.kind),
            "old": self.old,
            "new": self.new,
            "detected_at": iso_utc(self.detected_at) if self.detected_at else None,
            "ct_date": self.ct_date,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], nct_id: str | None = None) -> FieldChange:
        """A change back from :meth:`to_json` (``nct_id`` for forms stored without one)."""
        detected = data.get("detected_at")
        return cls(
            nct_id=str(data.get("nct_id") or nct_id),
            path=data["path"],
            kind=ChangeKind(data["kind"]),
            old=data.get("old"),
            new=data.get("new"),
            detected_at=datetime.fromisoformat(detected.replace("Z", "+00:00"))
            if detected
            else None,
            ct_date=data.get("ct_date"),
        )


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """Bookkeeping about one stored version of a study."""

    version_id: int
    nct_id: str
    content_hash: str
    source: str
    source_format: str
    last_update_post_date: str | None
    first_seen: datetime
    last_seen: datetime
    is_partial: bool = False

    def to_json(self) -> dict[str, Any]:
        """The one JSON form: CLI ``--json`` and the API."""
        return {
            "nct_id": self.nct_id,
            "version_id": self.version_id,
            "ct_last_update_post_date": self.last_update_post_date,
            "source_format": self.source_format,
            "source": self.source,
            "content_hash": self.content_hash,
            "first_seen": iso_utc(self.first_seen),
            "last_seen": iso_utc(self.last_seen),
            "partial": self.is_partial,
        }


class Outcome(StrEnum):
    NEW = "new"
    CHANGED = "changed"
    HISTORY = "history"
    UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class IncomingVersion:
    """One record ready to store: its compressed v2 JSON plus what the store indexes.

    Only compressed bytes travel (between processes, in batches): a parsed study
    dict costs several times its JSON size, and is needed only to diff a changed
    study. Build one with :meth:`build`.
    """

    nct_id: str
    #: zstd-compressed v2 JSON (see trialscope.store.codec)
    data: bytes
    content_hash: str
    source: str
    source_format: str
    #: zstd-compressed source bytes, when the source format was not v2
    original: bytes | None = None
    last_update_post_date: str | None = None
    snapshot_date: str | None = None
    is_partial: bool = False
    brief_title: str | None = None
    overall_status: str | None = None
    phases: str | None = None
    study_type: str | None = None
    lead_sponsor: str | None = None

    @classmethod
    def build(cls, *, data: bytes, original: bytes | None = None, **fields: Any) -> IncomingVersion:
        """From uncompressed JSON (and source) bytes."""
        return cls(
            data=compress(data),
            original=None if original is None else compress(original),
            **fields,
        )

    def study(self) -> dict[str, Any]:
        parsed: dict[str, Any] = orjson.loads(decompress(self.data))
        return parsed


@dataclass(frozen=True, slots=True)
class QuarantinedRecord:
    source: str
    position: str
    reason: str
    raw: bytes | None = None


@dataclass(frozen=True, slots=True)
class QuarantineEntry:
    id: int
    run_id: int | None
    source: str
    position: str
    reason: str
    created_at: str
    raw: bytes | None = None
