"""The store logic both backends share.

Versions of a study form a chain ordered by CT.gov's last update post date
(partial, field-restricted records sort before full ones of the same date, then
arrival order). Field-level changes are kept between consecutive links; when a
version lands in the middle of the chain (an older record imported late) the
link it splits is re-diffed, so the log always describes the chain as it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from importlib import resources
from typing import Any, Self

import orjson

from trialscope.errors import NotFoundError, StudyNotFound
from trialscope.store.codec import compress, decompress
from trialscope.store.dbapi import Connection
from trialscope.store.diff import Difference, diff_studies, first_sight, same_meaning
from trialscope.store.first_sight import (
    INSERT_DERIVE_MARK,
    INSERT_SEARCH_MARK,
    INSERT_STUDY,
    write_first_sightings,
)
from trialscope.store.sync_state import Checkpoint, SyncStateMixin
from trialscope.store.types import (
    ChangeKind,
    FieldChange,
    IncomingVersion,
    Outcome,
    QuarantinedRecord,
    QuarantineEntry,
    VersionInfo,
)
from trialscope.timewindow import iso_utc


def utc_now() -> str:
    return iso_utc(datetime.now(UTC))


def parse_timestamp(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def migrations(dialect: str = "sqlite") -> list[tuple[int, str]]:
    """Numbered SQL scripts: ``migrations/*.sql`` (SQLite), ``migrations/postgres/*.sql``."""
    folder = resources.files("trialscope.store") / "migrations"
    if dialect != "sqlite":
        folder = folder / dialect
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            found.append((int(entry.name.split("_", 1)[0]), entry.read_text("utf-8")))
    return sorted(found)


def _json_text(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


_VERSION_COLUMNS = (
    "id, nct_id, content_hash, source, source_format, last_update_post_date,"
    " first_seen, last_seen, is_partial"
)
# Chain order: CT.gov date, then full records after partial ones, then the date
# the snapshot was taken (CT.gov changes some fields, like an overdue status
# becoming UNKNOWN, without a new update post), then arrival.
_CHAIN_ORDER = (
    "coalesce(last_update_post_date, ''), is_partial DESC, coalesce(snapshot_date, ''), id"
)


#: where a change sits in its study's history: (0 for a first sighting, else 1, then the
#: newer version's chain key, then minus the change's own position), larger is newer
_ChainPlace = tuple[int, str, int, str, int, int]


def _in_version_order(ranked: Iterable[tuple[_ChainPlace, FieldChange]]) -> list[FieldChange]:
    """Each study's changes newest version first; studies most recently changed first."""
    by_study: dict[str, list[tuple[_ChainPlace, FieldChange]]] = {}
    for place, change in ranked:
        by_study.setdefault(change.nct_id, []).append((place, change))
    oldest = datetime.min.replace(tzinfo=UTC)

    def latest(nct_id: str) -> datetime:
        return max(c.detected_at or oldest for _, c in by_study[nct_id])

    ordered: list[FieldChange] = []
    for nct_id in sorted(by_study, key=lambda n: (latest(n), n), reverse=True):
        found = sorted(by_study[nct_id], key=lambda pair: pair[0], reverse=True)
        ordered.extend(change for _, change in found)
    return ordered


class BaseStore(SyncStateMixin):
    """What both backends share: the version chain, change log, runs, quarantine, stats.

    A backend provides ``conn`` (SQL with ``?`` placeholders), ``transaction()``,
    migrations and, where writers run concurrently, ``_lock_studies``.
    """

    conn: Connection
    dialect: str = "sqlite"
    #: the database's location, for messages
    location: str

    # -- lifecycle -----------------------------------------------------------------

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _lock_studies(self, db: Connection, nct_ids: Sequence[str]) -> None:
        """Serialise writers of the same studies (a no-op where there is one writer)."""

    def _glob(self, column: str, pattern: str) -> tuple[str, str]:
        """A shell-pattern match on a column, as SQL and its parameter."""
        return f"{column} GLOB ?", pattern

    # -- import runs ---------------------------------------------------------------

    def begin_run(self, sources: Sequence[str], kind: str = "import") -> int:
        with self.transaction() as db:
            row = db.execute(
                "INSERT INTO import_runs (kind, started_at, sources) VALUES (?, ?, ?) RETURNING id",
                (kind, self._now(), _json_text(list(sources))),
            ).fetchone()
        return int(row[0])

    def finish_run(self, run_id: int, status: str, counts: dict[str, Any]) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE import_runs SET finished_at = ?, status = ?, counts = ? WHERE id = ?",
                (self._now(), status, _json_text(counts), run_id),
            )

    def runs(self, limit: int = 20) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT id, kind, started_at, finished_at, status, sources, counts"
            " FROM import_runs ORDER BY id DESC LIMIT ?",
            (limit,),
        ).fetchall()
        return [
            {
                "id": r[0],
                "kind": r[1],
                "started_at": r[2],
                "finished_at": r[3],
                "status": r[4],
                "sources": orjson.loads(r[5]),
                "counts": orjson.loads(r[6]),
            }
            for r in rows
        ]

    # -- writing -------------------------------------------------------------------

    def write_batch(
        self,
        records: Iterable[IncomingVersion],
        quarantined: Iterable[QuarantinedRecord] = (),
        run_id: int | None = None,
        *,
        checkpoint: Checkpoint | None = None,
        history_marks: Iterable[tuple[str, int, str | None]] = (),
    ) -> list[Outcome]:
        """Store a batch in one transaction; a crash loses at most this batch.

        A sync passes its ``checkpoint`` (and the history versions it fetched) so
        they are committed with the records they describe, or not at all.
        """
        now = self._now()
        records = list(records)
        with self.transaction() as db:
            self._lock_studies(db, [r.nct_id for r in records])
            outcomes = write_first_sightings(db, records, now)
            if outcomes is None:
                outcomes = [self._upsert(db, record, now) for record in records]
            if checkpoint is not None:
                self._save_checkpoint(db, checkpoint)
            for nct_id, version, day in history_marks:
                self._mark_history(db, nct_id, version, day)
            db.executemany(
                "INSERT INTO quarantine (run_id, source, position, reason, raw, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (
                        run_id,
                        q.source,
                        q.position,
                        q.reason,
                        None if q.raw is None else compress(q.raw),
                        now,
                    )
                    for q in quarantined
                ],
            )
        return outcomes

    def _upsert(self, db: Connection, rec: IncomingVersion, now: str) -> Outcome:
        stored = db.execute(
            "SELECT id, content_hash FROM versions WHERE nct_id = ?", (rec.nct_id,)
        ).fetchall()
        for version_id, content_hash in stored:
            if content_hash == rec.content_hash:
                db.execute("UPDATE versions SET last_seen = ? WHERE id = ?", (now, version_id))
                db.execute("UPDATE studies SET last_seen = ? WHERE nct_id = ?", (now, rec.nct_id))
                return Outcome.UNCHANGED

        new_id = db.execute(
            "INSERT INTO versions (nct_id, content_hash, source, source_format,"
            " last_update_post_date, snapshot_date, is_partial, first_seen, last_seen, data,"
            " original) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                rec.nct_id,
                rec.content_hash,
                rec.source,
                rec.source_format,
                rec.last_update_post_date,
                rec.snapshot_date,
                int(rec.is_partial),
                now,
                now,
                rec.data,
                rec.original,
            ),
        ).fetchone()[0]
        if not stored:
            self._set_current(db, rec, new_id, now, first_seen=now)
            return Outcome.NEW
        chain = [
            row[0]
            for row in db.execute(
                f"SELECT id FROM versions WHERE nct_id = ? ORDER BY {_CHAIN_ORDER}",
                (rec.nct_id,),
            )
        ]
        study = rec.study()
        at = chain.index(new_id)
        before = chain[at - 1] if at > 0 else None
        after = chain[at + 1] if at + 1 < len(chain) else None
        if before is not None and after is not None:
            db.execute(
                "DELETE FROM changes WHERE from_version_id = ? AND to_version_id = ?",
                (before, after),
            )
        if before is not None:
            earlier = self._load(db, before)
            self._insert_changes(
                db,
                rec.nct_id,
                before,
                new_id,
                diff_studies(earlier, study),
                now,
                rec.last_update_post_date,
            )
        if after is not None:
            later = self._load(db, after)
            later_date = db.execute(
                "SELECT last_update_post_date FROM versions WHERE id = ?", (after,)
            ).fetchone()[0]
            self._insert_changes(
                db, rec.nct_id, new_id, after, diff_studies(study, later), now, later_date
            )
            db.execute("UPDATE studies SET last_seen = ? WHERE nct_id = ?", (now, rec.nct_id))
            return Outcome.HISTORY
        self._set_current(db, rec, new_id, now, first_seen=None)
        return Outcome.CHANGED

    def _insert_changes(
        self,
        db: Connection,
        nct_id: str,
        from_id: int,
        to_id: int,
        diffs: Sequence[Difference],
        now: str,
        ct_date: str | None,
    ) -> None:
        db.executemany(
            "INSERT INTO changes (nct_id, from_version_id, to_version_id, path, kind,"
            " old_value, new_value, detected_at, ct_date) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (nct_id, from_id, to_id, path, kind, _json_text(o), _json_text(n), now, ct_date)
                for path, kind, o, n in diffs
            ],
        )

    def _set_current(
        self,
        db: Connection,
        rec: IncomingVersion,
        version_id: int,
        now: str,
        first_seen: str | None,
    ) -> None:
        # The search index catches up on these in one batch (trialscope.search).
        db.execute(INSERT_SEARCH_MARK, (rec.nct_id,))
        # ... and its criteria parse and match view (trialscope.derived), from this version
        db.execute(INSERT_DERIVE_MARK, (rec.nct_id, version_id))
        db.execute(
            INSERT_STUDY,
            (
                rec.nct_id,
                version_id,
                rec.brief_title,
                rec.overall_status,
                rec.phases,
                rec.study_type,
                rec.lead_sponsor,
                rec.last_update_post_date,
                rec.source_format,
                int(rec.is_partial),
                first_seen or now,
                now,
            ),
        )

    def _load(self, db: Connection, version_id: int) -> dict[str, Any]:
        blob = db.execute("SELECT data FROM versions WHERE id = ?", (version_id,)).fetchone()[0]
        loaded: dict[str, Any] = orjson.loads(decompress(blob))
        return loaded

    # -- reading -------------------------------------------------------------------

    def count_studies(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM studies").fetchone()[0])

    def nct_ids(self, statuses: tuple[str, ...] = ()) -> list[str]:
        """Every study's NCT id, or those whose overall status is one of ``statuses``."""
        if not statuses:
            return [r[0] for r in self.conn.execute("SELECT nct_id FROM studies ORDER BY nct_id")]
        marks = ", ".join("?" * len(statuses))
        sql = f"SELECT nct_id FROM studies WHERE overall_status IN ({marks}) ORDER BY nct_id"
        return [r[0] for r in self.conn.execute(sql, tuple(statuses))]

    def study_json(self, nct_id: str) -> dict[str, Any]:
        """The current v2 JSON of a study, exactly as stored."""
        row = self.conn.execute(
            "SELECT current_version_id FROM studies WHERE nct_id = ?", (nct_id.upper(),)
        ).fetchone()
        if row is None:
            raise StudyNotFound(nct_id.upper())
        return self._load(self.conn, row[0])

    def study_bytes(self, nct_id: str) -> bytes:
        row = self.conn.execute(
            "SELECT v.data FROM studies s JOIN versions v ON v.id = s.current_version_id"
            " WHERE s.nct_id = ?",
            (nct_id.upper(),),
        ).fetchone()
        if row is None:
            raise StudyNotFound(nct_id.upper())
        data: bytes = decompress(row[0])
        return data

    def version_json(self, version_id: int) -> dict[str, Any]:
        return self._load(self.conn, version_id)

    def version_original(self, version_id: int) -> bytes | None:
        row = self.conn.execute(
            "SELECT original FROM versions WHERE id = ?", (version_id,)
        ).fetchone()
        return None if row is None or row[0] is None else bytes(decompress(row[0]))

    def _version_info(self, row: Sequence[Any]) -> VersionInfo:
        return VersionInfo(
            version_id=row[0],
            nct_id=row[1],
            content_hash=row[2],
            source=row[3],
            source_format=row[4],
            last_update_post_date=row[5],
            first_seen=parse_timestamp(row[6]),
            last_seen=parse_timestamp(row[7]),
            is_partial=bool(row[8]),
        )

    def versions(self, nct_id: str) -> list[VersionInfo]:
        """Every stored version of a study, oldest first; the last one is current."""
        rows = self.conn.execute(
            f"SELECT {_VERSION_COLUMNS} FROM versions WHERE nct_id = ? ORDER BY {_CHAIN_ORDER}",
            (nct_id.upper(),),
        ).fetchall()
        if not rows:
            raise StudyNotFound(nct_id.upper())
        return [self._version_info(r) for r in rows]

    def current_version(self, nct_id: str) -> VersionInfo:
        row = self.conn.execute(
            f"SELECT {_VERSION_COLUMNS} FROM versions WHERE id ="
            " (SELECT current_version_id FROM studies WHERE nct_id = ?)",
            (nct_id.upper(),),
        ).fetchone()
        if row is None:
            raise StudyNotFound(nct_id.upper())
        return self._version_info(row)

    def changes(
        self,
        nct_ids: Sequence[str] = (),
        since: str | None = None,
        path_glob: str | None = None,
        include_first_sight: bool = True,
    ) -> list[FieldChange]:
        """Field-level changes, newest version first.

        Within a study the order is the version chain's, newest link first, never the
        order the links were stored in: an older version imported late splits a link
        into two stored at the same moment, and only the chain knows which is newer.
        Studies come most recently changed first. ``since`` is an ISO timestamp
        compared with when the change was detected; ``path_glob`` uses shell
        wildcards (``status.*``). A study's first version is reported as its watched
        fields ``added``, as seed 000 shows, after all its later changes.
        """
        where: list[str] = []
        params: list[Any] = []
        ids = [n.upper() for n in nct_ids]
        if ids:
            where.append(f"c.nct_id IN ({','.join('?' * len(ids))})")
            params.extend(ids)
        if since:
            where.append("c.detected_at >= ?")
            params.append(since)
        if path_glob:
            clause, pattern = self._glob("c.path", path_glob)
            where.append(clause)
            params.append(pattern)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        rows = self.conn.execute(
            "SELECT c.nct_id, c.path, c.kind, c.old_value, c.new_value, c.detected_at,"
            " c.ct_date, c.id, coalesce(v.last_update_post_date, ''), v.is_partial,"
            " coalesce(v.snapshot_date, ''), v.id"
            f" FROM changes c JOIN versions v ON v.id = c.to_version_id{clause}",
            params,
        ).fetchall()
        ranked: list[tuple[_ChainPlace, FieldChange]] = []
        for r in rows:
            change = FieldChange(
                nct_id=r[0],
                path=r[1],
                kind=ChangeKind(r[2]),
                old=None if r[3] is None else orjson.loads(r[3]),
                new=None if r[4] is None else orjson.loads(r[4]),
                detected_at=parse_timestamp(r[5]),
                ct_date=r[6],
            )
            if change.kind is ChangeKind.CHANGED and same_meaning(change.old, change.new):
                continue  # stored by an older diff that counted a relabelled date as a change
            # The link's place: its newer version's chain key, then the diff's own order.
            ranked.append(((1, r[8], -int(r[9]), r[10], int(r[11]), -int(r[7])), change))
        if include_first_sight:
            ranked.extend(
                ((0, "", 0, "", 0, -n), change)
                for n, change in enumerate(self._first_sightings(ids, since, path_glob))
            )
        return _in_version_order(ranked)

    def _first_sightings(
        self, ids: Sequence[str], since: str | None, path_glob: str | None
    ) -> Iterator[FieldChange]:
        where: list[str] = []
        params: list[Any] = []
        if ids:
            where.append(f"v.nct_id IN ({','.join('?' * len(ids))})")
            params.extend(ids)
        if since:
            where.append("v.first_seen >= ?")
            params.append(since)
        clause = f" AND {' AND '.join(where)}" if where else ""
        # The first link of each chain: no earlier version of the same study. The study
        # in the NOT EXISTS lets SQLite search its changes by study, not scan them all
        # (it has no index on to_version_id alone): a page's recent changes read a few
        # rows however large the change log grows.
        rows = self.conn.execute(
            "SELECT v.id, v.nct_id, v.first_seen, v.last_update_post_date FROM versions v"
            " WHERE NOT EXISTS (SELECT 1 FROM changes c"
            " WHERE c.nct_id = v.nct_id AND c.to_version_id = v.id)"
            " AND v.id = (SELECT id FROM versions w WHERE w.nct_id = v.nct_id"
            f" ORDER BY {_CHAIN_ORDER} LIMIT 1){clause}",
            params,
        ).fetchall()
        for version_id, nct_id, first_seen, ct_date in rows:
            for path, kind, old, new in first_sight(self._load(self.conn, version_id)):
                if path_glob and not fnmatchcase(path, path_glob):
                    continue
                yield FieldChange(
                    nct_id, path, kind, old, new, parse_timestamp(first_seen), ct_date
                )

    def stats(self) -> dict[str, Any]:
        def count_by(column: str) -> dict[str, int]:
            rows = self.conn.execute(
                f"SELECT coalesce({column}, '(none)'), count(*) FROM studies"
                f" GROUP BY 1 ORDER BY 2 DESC, 1"
            )
            return {str(k): int(v) for k, v in rows}

        one = self.conn.execute
        return {
            "studies": self.count_studies(),
            "versions": int(one("SELECT count(*) FROM versions").fetchone()[0]),
            "changes": int(one("SELECT count(*) FROM changes").fetchone()[0]),
            "quarantined": int(one("SELECT count(*) FROM quarantine").fetchone()[0]),
            "partial": int(one("SELECT count(*) FROM studies WHERE is_partial <> 0").fetchone()[0]),
            "by_status": count_by("overall_status"),
            "by_phase": count_by("phases"),
            "by_study_type": count_by("study_type"),
            "by_source_format": count_by("source_format"),
        }

    # -- quarantine ----------------------------------------------------------------

    def quarantine(self, limit: int = 100, run_id: int | None = None) -> list[QuarantineEntry]:
        params: list[Any] = [] if run_id is None else [run_id]
        clause = "" if run_id is None else "WHERE run_id = ?"
        rows = self.conn.execute(
            "SELECT id, run_id, source, position, reason, created_at FROM quarantine"
            f" {clause} ORDER BY id DESC LIMIT ?",
            [*params, limit],
        ).fetchall()
        return [QuarantineEntry(*row) for row in rows]

    def quarantine_entry(self, entry_id: int) -> QuarantineEntry:
        row = self.conn.execute(
            "SELECT id, run_id, source, position, reason, created_at, raw FROM quarantine"
            " WHERE id = ?",
            (entry_id,),
        ).fetchone()
        if row is None:
            raise NotFoundError(
                f"No quarantine entry {entry_id}.", hint="List them: trialscope quarantine list"
            )
        raw = None if row[6] is None else bytes(decompress(row[6]))
        return QuarantineEntry(row[0], row[1], row[2], row[3], row[4], row[5], raw=raw)
