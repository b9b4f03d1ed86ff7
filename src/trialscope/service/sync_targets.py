"""What a sync request means: which profiles to run, with which selections, and where a
bulk download goes."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from trialscope.config import default_db_path
from trialscope.errors import UsageError
from trialscope.store import Store, is_postgres_url
from trialscope.sync import Selection


class SyncTarget(NamedTuple):
    profile: str
    selection: Selection


def selection_from(
    *,
    cond: str | None = None,
    term: str | None = None,
    intr: str | None = None,
    locn: str | None = None,
    status: Iterable[str] = (),
    nct: Iterable[str] = (),
    everything: bool = False,
) -> Selection | None:
    """The selection these options make, or None when they select nothing."""
    statuses = tuple(s.strip().upper() for s in status)
    nct_ids = tuple(n.strip().upper() for n in nct)
    if not (cond or term or intr or locn or statuses or nct_ids or everything):
        return None
    return Selection(
        cond=cond,
        term=term,
        intr=intr,
        locn=locn,
        status=statuses,
        nct_ids=nct_ids,
        everything=everything,
    )


def _saved(store: Store, profile: str) -> Selection:
    saved = store.profile(profile)
    if saved is None:
        raise UsageError(
            f"No sync profile named {profile!r}.",
            hint="Create it with a selection, e.g. "
            f"`trialscope sync --profile {profile} --cond 'liver metastases'`.",
        )
    return Selection.from_json(saved.selection)


def sync_targets(
    store: Store, profile: str | None, selection: Selection | None, *, resume: bool = False
) -> list[SyncTarget]:
    """The profiles to run: a named profile (with a new selection, or its saved one), a
    selection under the name it describes, or every unfinished sync when resuming."""
    if profile and selection:
        return [SyncTarget(profile, selection)]
    if profile:
        return [SyncTarget(profile, _saved(store, profile))]
    if selection:
        return [SyncTarget(selection.describe(), selection)]
    if resume:
        pending = store.checkpoints()
        if not pending:
            raise UsageError("There is no unfinished sync to resume.")
        return [SyncTarget(cp.profile, _saved(store, cp.profile)) for cp in pending]
    raise UsageError(
        "Nothing selected to sync.",
        hint="Give --cond/--term/--intr/--locn/--status, --nct ID, --all, --profile NAME,"
        " --resume or --bulk. See `trialscope sync --help`.",
    )


def downloads_folder(db: str) -> Path:
    """Where bulk downloads go: beside an SQLite file; a PostgreSQL database has no
    folder, so the user data folder."""
    if is_postgres_url(db):
        return default_db_path().parent / "downloads"
    return Path(db.removeprefix("sqlite:///")).expanduser().resolve().parent / "downloads"
