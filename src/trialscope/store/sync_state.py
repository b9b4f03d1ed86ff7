"""Sync bookkeeping in the store: profiles, checkpoints, aliases, fetched history."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import orjson

from trialscope.store.dbapi import Connection


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    selection: dict[str, Any]
    base_url: str
    watermark: str | None
    last_run: int | None
    created_at: str
    updated_at: str


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """Where an unfinished sync stands: the request, and the token of the next page."""

    profile: str
    run_id: int | None
    request: dict[str, Any]
    next_page_token: str | None
    pages: int = 0
    records: int = 0
    total: int | None = None
    max_update: str | None = None


class SyncStateMixin:
    """Methods the store gains for sync; they share its connection."""

    conn: Connection
    _now: Callable[[], str]

    def transaction(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    # -- profiles -------------------------------------------------------------------

    def profile(self, name: str) -> Profile | None:
        row = self.conn.execute(
            "SELECT name, selection, base_url, watermark, last_run, created_at, updated_at"
            " FROM sync_profiles WHERE name = ?",
            (name,),
        ).fetchone()
        return None if row is None else _profile(row)

    def profiles(self) -> list[Profile]:
        rows = self.conn.execute(
            "SELECT name, selection, base_url, watermark, last_run, created_at, updated_at"
            " FROM sync_profiles ORDER BY name"
        )
        return [_profile(row) for row in rows]

    def save_profile(self, name: str, selection: dict[str, Any], base_url: str) -> Profile:
        now = self._now()
        with self.transaction() as db:
            db.execute(
                "INSERT INTO sync_profiles (name, selection, base_url, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET"
                " selection = excluded.selection, base_url = excluded.base_url,"
                " updated_at = excluded.updated_at",
                (name, orjson.dumps(selection).decode(), base_url, now, now),
            )
        found = self.profile(name)
        assert found is not None
        return found

    # -- checkpoints ----------------------------------------------------------------

    def checkpoint(self, profile: str) -> Checkpoint | None:
        row = self.conn.execute(
            "SELECT profile, run_id, request, next_page_token, pages, records, total, max_update"
            " FROM sync_checkpoints WHERE profile = ?",
            (profile,),
        ).fetchone()
        return None if row is None else _checkpoint(row)

    def checkpoints(self) -> list[Checkpoint]:
        rows = self.conn.execute(
            "SELECT profile, run_id, request, next_page_token, pages, records, total, max_update"
            " FROM sync_checkpoints ORDER BY updated_at DESC"
        )
        return [_checkpoint(row) for row in rows]

    def _save_checkpoint(self, db: Connection, cp: Checkpoint) -> None:
        db.execute(
            "INSERT INTO sync_checkpoints (profile, run_id, request, next_page_token, pages,"
            " records, total, max_update, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (profile) DO UPDATE SET run_id = excluded.run_id,"
            " request = excluded.request, next_page_token = excluded.next_page_token,"
            " pages = excluded.pages, records = excluded.records, total = excluded.total,"
            " max_update = excluded.max_update, updated_at = excluded.updated_at",
            (
                cp.profile,
                cp.run_id,
                orjson.dumps(cp.request).decode(),
                cp.next_page_token,
                cp.pages,
                cp.records,
                cp.total,
                cp.max_update,
                self._now(),
            ),
        )

    def start_checkpoint(self, cp: Checkpoint) -> None:
        with self.transaction() as db:
            self._save_checkpoint(db, cp)

    def finish_sync(self, profile: str, run_id: int, watermark: str | None) -> None:
        """Close a profile's run: drop its checkpoint, move the watermark forward only."""
        with self.transaction() as db:
            db.execute("DELETE FROM sync_checkpoints WHERE profile = ?", (profile,))
            db.execute(
                "UPDATE sync_profiles SET last_run = ?, updated_at = ?,"
                " watermark = CASE WHEN watermark IS NULL OR watermark < ? THEN ?"
                " ELSE watermark END WHERE name = ?",
                (run_id, self._now(), watermark, watermark, profile),
            )

    def drop_checkpoint(self, profile: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM sync_checkpoints WHERE profile = ?", (profile,))

    # -- aliases and history ----------------------------------------------------------

    def record_alias(self, alias: str, nct_id: str) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO nct_aliases (alias, nct_id, seen_at) VALUES (?, ?, ?)"
                " ON CONFLICT (alias) DO UPDATE SET nct_id = excluded.nct_id,"
                " seen_at = excluded.seen_at",
                (alias, nct_id, self._now()),
            )

    def resolve_alias(self, nct_id: str) -> str:
        row = self.conn.execute(
            "SELECT nct_id FROM nct_aliases WHERE alias = ?", (nct_id,)
        ).fetchone()
        return str(row[0]) if row else nct_id

    def history_fetched(self, nct_id: str) -> set[int]:
        rows = self.conn.execute("SELECT version FROM history_fetched WHERE nct_id = ?", (nct_id,))
        return {int(r[0]) for r in rows}

    def _mark_history(self, db: Connection, nct_id: str, version: int, day: str | None) -> None:
        db.execute(
            "INSERT INTO history_fetched (nct_id, version, version_date, fetched_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (nct_id, version) DO UPDATE SET"
            " version_date = excluded.version_date, fetched_at = excluded.fetched_at",
            (nct_id, version, day, self._now()),
        )

    def changed_fields_since(self, since: str, limit: int = 10) -> list[tuple[str, int]]:
        """Most frequent changed fields since a time; keyed items count under their list."""
        rows = self.conn.execute(
            "SELECT path FROM changes WHERE detected_at >= ?", (since,)
        ).fetchall()
        counts: dict[str, int] = {}
        for (path,) in rows:
            field = _field_of(path)
            counts[field] = counts.get(field, 0) + 1
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]


def _field_of(path: str) -> str:
    """``locations.<key>`` → ``locations``; ``outcomes.secondary.<k>`` → ``outcomes.secondary``."""
    head, _, rest = path.partition(".")
    if head == "locations":
        return head
    second = rest.split(".", 1)[0]
    return f"{head}.{second}" if second else head


def _profile(row: tuple[Any, ...]) -> Profile:
    return Profile(row[0], orjson.loads(row[1]), row[2], row[3], row[4], row[5], row[6])


def _checkpoint(row: tuple[Any, ...]) -> Checkpoint:
    return Checkpoint(row[0], row[1], orjson.loads(row[2]), row[3], row[4], row[5], row[6], row[7])
