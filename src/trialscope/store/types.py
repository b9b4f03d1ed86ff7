"""Plain value types the store hands out; the render and CLI layers read these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


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
