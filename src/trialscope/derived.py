"""What an import or a sync derives from the versions it made current: their criteria
parses (``criteria.store``), then what matching reads of the open trials (``match.views``).

The store marks a study in ``derive_dirty``, with its new current version, in the same
transaction that makes that version current (migration 0012). :func:`refresh_derived`
looks only at the marked studies, instead of scanning every study joined to its parse
and its view (3 s at 500k studies for a sync of 2,000), and unmarks a study once the
marked version's parse and, for an open trial, its view are written. A run killed
anywhere leaves its marks, so the next one finishes the work.

Marks only say what changed. When the parser or the matcher changes, every stored parse
or view is stale without any mark; ``derive_state`` therefore keeps the parse key and the
view key under which a refresh last looked at every study, and a refresh under another
key (a new parser, another install's matcher, a store from before migration 0012) scans
every study as before and records its key when the scan is complete.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from trialscope.criteria.parser import parse_key
from trialscope.criteria.store import parse_pending
from trialscope.forkpool import can_fork
from trialscope.match import views as views_module
from trialscope.match.views import OPEN_STATUSES, PROFILES, refresh_views, view_key
from trialscope.pipeline import _exit_with_parent
from trialscope.store import open_store
from trialscope.store.conflicts import again_on_conflict
from trialscope.store.sqlite import utc_now

if TYPE_CHECKING:
    from trialscope.store import Store

#: marks looked at (and unmarked) per query
PAGE = 5000
#: marked views built in a worker pool from this many (``match.views.POOL_MIN`` is 1,000)
VIEWS_POOL_MIN = 200


@dataclass(frozen=True, slots=True)
class Derived:
    parsed: int
    views: int
    #: whether the parses / views were looked for over every study (see the module doc)
    parses_scanned: bool
    views_scanned: bool


def refresh_derived(
    store: Store,
    *,
    workers: int = 1,
    on_progress: Callable[[int, int], None] | None = None,
    seconds: dict[str, float] | None = None,
    scan: bool = False,
    views: bool = True,
) -> Derived:
    """Parse the criteria, then store the match views, of what runs made current since the
    last refresh (of every study when a key changed, or ``scan``); ``seconds`` gets each
    part's wall time ("criteria", "match_views"). ``views=False`` leaves the views (and
    the marks) for :func:`refresh_marked_views`, or :func:`views_beside` a later stage."""
    timed = seconds if seconds is not None else {}
    recorded = store.conn.execute("SELECT parse_key FROM derive_state").fetchone()
    parses_scanned = scan or recorded is None or recorded[0] != parse_key()
    started = time.perf_counter()
    parsed = again_on_conflict(
        lambda: parse_pending(
            store, workers=workers, on_progress=on_progress, marked=not parses_scanned
        )
    )
    if parses_scanned:
        _record(store, "parse_key", parse_key())
    timed["criteria"] = time.perf_counter() - started
    if not views:
        return Derived(parsed, 0, parses_scanned, False)
    started = time.perf_counter()
    made, views_scanned = refresh_marked_views(store, workers=workers, scan=scan)
    timed["match_views"] = time.perf_counter() - started
    return Derived(parsed, made, parses_scanned, views_scanned)


def refresh_marked_views(store: Store, *, workers: int = 1, scan: bool = False) -> tuple[int, bool]:
    """The match views of the marked open trials (of every open trial when the view key
    changed, or ``scan``), then unmark what is done; returns (views made, scanned). Run
    after the parses (a missing parse is made on the way)."""
    recorded = store.conn.execute("SELECT view_key FROM derive_state").fetchone()
    scanned = scan or recorded is None or recorded[0] != view_key()
    if scanned:
        made = again_on_conflict(lambda: refresh_views(store, workers=workers))
        _record(store, "view_key", view_key())
    else:
        made = again_on_conflict(lambda: _marked_views(store, workers))
    again_on_conflict(lambda: unmark_done(store))
    return made, scanned


@contextlib.contextmanager
def views_beside(store: Store) -> Iterator[multiprocessing.process.BaseProcess | None]:
    """:func:`refresh_marked_views` in a forked process (one, no pool) while the block runs
    (the search index and related trials of a sync, which read nothing of the views).
    The caller runs :func:`refresh_marked_views` itself after the block: it finds nothing
    left when the child finished, and does the rest if the child failed or was killed (a
    view is written in batches, a mark removed only when its view is written)."""
    if not can_fork():
        yield None
        return
    where = str(getattr(store, "url", store.location))  # PostgreSQL's location is redacted
    child = multiprocessing.get_context("fork").Process(
        target=_views_child, args=(where,), name="match views"
    )
    child.start()
    try:
        yield child
    finally:
        child.join()


def _views_child(where: str) -> None:
    """In the child: its own connection (the parent's must not be used after a fork)."""
    _exit_with_parent()
    try:
        with open_store(where) as own:
            refresh_marked_views(own)
    except BaseException:  # the parent's own pass does it again, and says why
        os._exit(1)


def _marked_views(store: Store, workers: int) -> int:
    """The views of the marked open trials without an up-to-date one: what
    :func:`~trialscope.match.views.refresh_views` stores, found from the marks. (It lives
    here, not in ``match``: every file there is part of the stored views' key, and a
    change to one makes every stored view stale.)"""
    statuses = ",".join("?" * len(OPEN_STATUSES))
    todo = [
        (str(r[0]), int(r[1]))
        for r in store.conn.execute(
            "SELECT s.nct_id, s.current_version_id FROM derive_dirty d"
            " JOIN studies s ON s.nct_id = d.nct_id"
            " LEFT JOIN match_views m ON m.version_id = s.current_version_id"
            f" WHERE (m.version_id IS NULL OR m.view_key <> ?) AND s.overall_status IN ({statuses})"
            " ORDER BY s.current_version_id",
            [view_key(), *OPEN_STATUSES],
        )
    ]
    if workers > 1 and can_fork() and len(todo) >= VIEWS_POOL_MIN:
        return views_module._refresh_pooled(store, todo, PROFILES, workers, None)
    key = view_key()
    for at in range(0, len(todo), views_module.BATCH):
        rows = [
            (v, nct, key, utc_now(), views_module._view_data(store, nct, v, PROFILES))
            for nct, v in todo[at : at + views_module.BATCH]
        ]
        views_module._write(store, rows)
    return len(todo)


def _record(store: Store, column: str, key: str) -> None:
    """Every study not marked has an up-to-date ``column`` under ``key`` from now on."""
    with store.transaction() as db:
        db.execute(f"UPDATE derive_state SET {column} = ? WHERE id = 1", (key,))


def unmark_done(store: Store) -> int:
    """Unmark the studies whose marked version is current, parsed under the running key
    and, if the trial is open, has an up-to-date view; returns how many. A study marked
    again meanwhile (a newer version) keeps its mark: only (study, version) pairs that are
    done are deleted."""
    removed, after = 0, ""
    marks = ",".join("?" * len(OPEN_STATUSES))
    while True:
        page = [
            str(r[0])
            for r in store.conn.execute(
                "SELECT nct_id FROM derive_dirty WHERE nct_id > ? ORDER BY nct_id LIMIT ?",
                (after, PAGE),
            )
        ]
        if not page:
            return removed
        after = page[-1]
        ids = ",".join("?" * len(page))
        done = store.conn.execute(
            "SELECT d.nct_id, d.version_id FROM derive_dirty d"
            " JOIN studies s ON s.nct_id = d.nct_id AND s.current_version_id = d.version_id"
            " JOIN criteria_parses c ON c.version_id = d.version_id AND c.parse_key = ?"
            " LEFT JOIN match_views m ON m.version_id = d.version_id AND m.view_key = ?"
            f" WHERE d.nct_id IN ({ids}) AND (m.version_id IS NOT NULL"
            f" OR s.overall_status IS NULL OR s.overall_status NOT IN ({marks}))",
            [parse_key(), view_key(), *page, *OPEN_STATUSES],
        ).fetchall()
        if done:
            with store.transaction() as db:
                db.executemany(
                    "DELETE FROM derive_dirty WHERE nct_id = ? AND version_id = ?",
                    [(str(n), int(v)) for n, v in done],
                )
            removed += len(done)


def pending_marks(store: Store) -> int:
    """How many studies are marked (0 once every run's parses and views are written)."""
    return int(store.conn.execute("SELECT count(*) FROM derive_dirty").fetchone()[0])
