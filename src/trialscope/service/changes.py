"""Field-level changes of stored trials over a time window: ``trialscope changes``,
``GET /api/v2/studies/{nct}/changes`` and the MCP tool ``trial_changes``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from trialscope.store import FieldChange, Store
from trialscope.timewindow import iso_utc, parse_since


class ChangeList(NamedTuple):
    #: the start of the window as ISO UTC, None for every change
    since: str | None
    #: newest first, all of them (each shell shows its own number)
    changes: list[FieldChange]


def field_changes(
    store: Store,
    nct_ids: Iterable[str] = (),
    *,
    since: str | None = None,
    field: str | None = None,
    first_sight: bool = True,
) -> ChangeList:
    """Changes between consecutive versions of these trials (each must be stored: a
    StudyNotFound names it otherwise) or of every trial; ``since`` is ``30d``, ``12h``,
    ``2w``, ``3m`` or a date, ``field`` a shell pattern over change paths, and
    ``first_sight`` lists a trial's first version as its watched fields added."""
    ids = [n.strip().upper() for n in nct_ids if n.strip()]
    for nct_id in ids:
        store.current_version(nct_id)
    since_ts = iso_utc(parse_since(since)) if since else None
    found = store.changes(ids, since=since_ts, path_glob=field, include_first_sight=first_sight)
    return ChangeList(since_ts, found)
