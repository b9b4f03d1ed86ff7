"""Saved searches: add, list, remove, and run them against the mirror (migration 0006).

A watch keeps its search as typed (:class:`SearchRequest`) and the result set of its last
run, each trial with the version it had then. A run searches again and records an event
for every trial that is new to the result set and every member whose current version
changed, with the field-level changes the store logged since the previous run. Adding a
watch takes the first snapshot, so runs report only what happened after it was saved.
The events are what ``trialscope watch run`` prints and what the Atom feed serves.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson

from trialscope.errors import NotFoundError, UsageError
from trialscope.search import SearchEngine
from trialscope.search.request import SearchRequest
from trialscope.timewindow import iso_utc

if TYPE_CHECKING:
    from trialscope.store import Store

#: a watch follows at most this many trials; broader searches are refused when saved
MAX_MEMBERS = 5000
#: names go into URLs (/feeds/NAME.atom) and shell commands as they are
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
_NAME = re.compile(NAME_PATTERN)
_PAGE = 1000
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class Watch:
    name: str
    request: SearchRequest
    created_at: str
    last_run_at: str
    runs: int
    members: int

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "search": self.request.to_json(),
            "description": self.request.describe(),
            "created_at": self.created_at,
            "last_run_at": self.last_run_at,
            "runs": self.runs,
            "members": self.members,
            "feed": f"/feeds/{self.name}.atom",
        }


@dataclass(frozen=True, slots=True)
class WatchEvent:
    """A trial that joined the result set (``new``) or a member that changed."""

    watch: str
    nct_id: str
    version_id: int
    content_hash: str
    kind: str
    title: str | None
    status: str | None
    changes: list[dict[str, Any]]
    #: when this mirror first saw the trial's version (the feed entry's date)
    updated: str
    found_at: str

    def to_json(self) -> dict[str, Any]:
        return {
            "nct_id": self.nct_id,
            "kind": self.kind,
            "title": self.title,
            "status": self.status,
            "version_id": self.version_id,
            "updated": self.updated,
            "found_at": self.found_at,
            "changes": self.changes,
        }


@dataclass(frozen=True, slots=True)
class WatchRun:
    watch: str
    since: str
    ran_at: str
    total: int
    events: list[WatchEvent]
    #: members the search no longer finds
    left: list[str]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.watch,
            "since": self.since,
            "ran_at": self.ran_at,
            "total": self.total,
            "new": [e.to_json() for e in self.events if e.kind == "new"],
            "changed": [e.to_json() for e in self.events if e.kind == "changed"],
            "left": self.left,
        }


def _now() -> str:
    return iso_utc(datetime.now(UTC))


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise UsageError(
            f"{name!r} cannot name a saved search.",
            hint="Use up to 64 letters, digits, '-' or '_', starting with a letter or digit.",
        )
    return name


class Watches:
    """The saved searches of one store."""

    def __init__(self, store: Store, engine: SearchEngine | None = None) -> None:
        self.store = store
        self._engine = engine

    @property
    def engine(self) -> SearchEngine:
        if self._engine is None:
            self._engine = SearchEngine(self.store)
        return self._engine

    # -- reading -------------------------------------------------------------------

    def get(self, name: str) -> Watch:
        row = self.store.conn.execute(
            "SELECT w.name, w.options, w.created_at, w.last_run_at, w.runs,"
            " (SELECT count(*) FROM watch_members m WHERE m.watch = w.name)"
            " FROM watches w WHERE w.name = ?",
            (name,),
        ).fetchone()
        if row is None:
            raise NotFoundError(
                f"No saved search named {name!r}.",
                hint="List them with `trialscope watch list` (or GET /api/v1/watches).",
            )
        return _watch(row)

    def all(self) -> list[Watch]:
        rows = self.store.conn.execute(
            "SELECT w.name, w.options, w.created_at, w.last_run_at, w.runs,"
            " (SELECT count(*) FROM watch_members m WHERE m.watch = w.name)"
            " FROM watches w ORDER BY w.name"
        ).fetchall()
        return [_watch(r) for r in rows]

    def events(self, name: str, limit: int = 100) -> list[WatchEvent]:
        """What runs of this watch found, newest first."""
        self.get(name)
        rows = self.store.conn.execute(
            "SELECT watch, nct_id, version_id, content_hash, kind, title, status, changes,"
            " updated, found_at FROM watch_events WHERE watch = ?"
            " ORDER BY found_at DESC, id DESC LIMIT ?",
            (name, limit),
        ).fetchall()
        return [_event(r) for r in rows]

    # -- changing ------------------------------------------------------------------

    def add(self, name: str, request: SearchRequest) -> Watch:
        """Save a search and take its first snapshot."""
        check_name(name)
        exists = self.store.conn.execute("SELECT 1 FROM watches WHERE name = ?", (name,)).fetchone()
        if exists:
            raise UsageError(
                f"A saved search named {name!r} exists already.",
                hint=f"Pick another name, or `trialscope watch remove {name}` first.",
            )
        members = self._members(request)
        now = _now()
        with self.store.transaction() as db:
            db.execute(
                "INSERT INTO watches (name, options, created_at, last_run_at, runs)"
                " VALUES (?, ?, ?, ?, 0)",
                (name, orjson.dumps(request.to_json()).decode(), now, now),
            )
            _put_members(db, name, members)
        return self.get(name)

    def remove(self, name: str) -> None:
        self.get(name)
        with self.store.transaction() as db:
            db.execute("DELETE FROM watch_events WHERE watch = ?", (name,))
            db.execute("DELETE FROM watch_members WHERE watch = ?", (name,))
            db.execute("DELETE FROM watches WHERE name = ?", (name,))

    def run(self, name: str) -> WatchRun:
        """Search again; record trials new to the result set and members that changed."""
        watch = self.get(name)
        previous = dict(
            self.store.conn.execute(
                "SELECT nct_id, version_id FROM watch_members WHERE watch = ?", (name,)
            ).fetchall()
        )
        current = self._members(watch.request)
        now = _now()
        events: list[WatchEvent] = []
        for nct_id, version_id in current.items():
            before = previous.get(nct_id)
            if before == version_id:
                continue
            kind = "new" if before is None else "changed"
            events.append(self._event(watch, nct_id, kind, now))
        left = sorted(set(previous) - set(current))
        with self.store.transaction() as db:
            for e in events:
                db.execute(
                    "INSERT INTO watch_events (watch, nct_id, version_id, content_hash, kind,"
                    " title, status, changes, updated, found_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (watch, nct_id, version_id) DO NOTHING",
                    (
                        name,
                        e.nct_id,
                        e.version_id,
                        e.content_hash,
                        e.kind,
                        e.title,
                        e.status,
                        orjson.dumps(e.changes).decode(),
                        e.updated,
                        e.found_at,
                    ),
                )
            db.execute("DELETE FROM watch_members WHERE watch = ?", (name,))
            _put_members(db, name, current)
            db.execute(
                "UPDATE watches SET last_run_at = ?, runs = runs + 1 WHERE name = ?", (now, name)
            )
        return WatchRun(name, watch.last_run_at, now, len(current), events, left)

    # -- helpers -------------------------------------------------------------------

    def _members(self, request: SearchRequest) -> dict[str, int]:
        """Every trial the search finds now → its current version id."""
        found: list[str] = []
        cursor: str | None = None
        while True:
            query = request.to_query(limit=_PAGE, cursor=cursor, with_facets=False)
            result = self.engine.search(query)
            if result.total > MAX_MEMBERS:
                raise UsageError(
                    f"This search finds {result.total:,} trials; a saved search follows at"
                    f" most {MAX_MEMBERS:,}.",
                    hint="Narrow it: a condition, a status, a phase or a place.",
                )
            found += [h.nct_id for h in result.hits]
            cursor = result.next_cursor
            if not cursor or not result.hits:
                return self._current_versions(found)

    def _current_versions(self, nct_ids: Sequence[str]) -> dict[str, int]:
        versions: dict[str, int] = {}
        for start in range(0, len(nct_ids), _CHUNK):
            chunk = list(nct_ids[start : start + _CHUNK])
            rows = self.store.conn.execute(
                "SELECT nct_id, current_version_id FROM studies"
                f" WHERE nct_id IN ({','.join('?' * len(chunk))})",
                chunk,
            ).fetchall()
            versions.update({str(r[0]): int(r[1]) for r in rows})
        return versions

    def _event(self, watch: Watch, nct_id: str, kind: str, now: str) -> WatchEvent:
        info = self.store.current_version(nct_id)
        card = self.store.conn.execute(
            "SELECT brief_title, overall_status FROM studies WHERE nct_id = ?", (nct_id,)
        ).fetchone()
        changes = self.store.changes([nct_id], since=watch.last_run_at, include_first_sight=False)
        return WatchEvent(
            watch=watch.name,
            nct_id=nct_id,
            version_id=info.version_id,
            content_hash=info.content_hash,
            kind=kind,
            title=card[0] if card else None,
            status=card[1] if card else None,
            changes=[c.to_json() for c in changes],
            updated=iso_utc(info.first_seen),
            found_at=now,
        )


def _put_members(db: Any, name: str, members: dict[str, int]) -> None:
    db.executemany(
        "INSERT INTO watch_members (watch, nct_id, version_id) VALUES (?, ?, ?)",
        [(name, nct, version) for nct, version in members.items()],
    )


def _watch(row: Sequence[Any]) -> Watch:
    request = SearchRequest.from_json(orjson.loads(row[1]))
    return Watch(str(row[0]), request, str(row[2]), str(row[3]), int(row[4]), int(row[5]))


def _event(row: Sequence[Any]) -> WatchEvent:
    return WatchEvent(
        watch=row[0],
        nct_id=row[1],
        version_id=int(row[2]),
        content_hash=row[3],
        kind=row[4],
        title=row[5],
        status=row[6],
        changes=orjson.loads(row[7]),
        updated=row[8],
        found_at=row[9],
    )


def run_all(watches: Watches, names: Iterable[str] = ()) -> list[WatchRun]:
    chosen = list(names) or [w.name for w in watches.all()]
    return [watches.run(name) for name in chosen]
