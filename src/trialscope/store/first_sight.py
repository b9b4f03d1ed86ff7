"""A batch of studies the store has never seen, written a table at a time.

A first import is nothing but such batches: each record becomes a study's first version.
Written record by record that is five statements each (the look-up of stored versions,
the version, the two marks, the study); here it is one look-up per few hundred studies
and one ``executemany`` per table, in the records' order, so every row, rowid and id is
what the record-by-record path writes. Anything else (a study already stored, the same
study twice in a batch) goes the record-by-record way.
"""

from __future__ import annotations

from collections.abc import Sequence

from trialscope.store.dbapi import Connection
from trialscope.store.types import IncomingVersion, Outcome

#: NCT ids per ``IN (...)`` look-up (well under SQLite's and PostgreSQL's limits)
_LOOKUP = 500

_INSERT_VERSION = (
    "INSERT INTO versions (nct_id, content_hash, source, source_format,"
    " last_update_post_date, snapshot_date, is_partial, first_seen, last_seen, data,"
    " original) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
# the statements BaseStore._set_current writes a version with (first_seen = now for a
# first one), shared so the two paths cannot drift
INSERT_SEARCH_MARK = "INSERT INTO search_dirty (nct_id) VALUES (?) ON CONFLICT DO NOTHING"
INSERT_DERIVE_MARK = (
    "INSERT INTO derive_dirty (nct_id, version_id) VALUES (?, ?)"
    " ON CONFLICT (nct_id) DO UPDATE SET version_id = excluded.version_id"
)
INSERT_STUDY = (
    "INSERT INTO studies (nct_id, current_version_id, brief_title, overall_status,"
    " phases, study_type, lead_sponsor, last_update_post_date, source_format,"
    " is_partial, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (nct_id) DO UPDATE SET current_version_id = excluded.current_version_id,"
    " brief_title = excluded.brief_title, overall_status = excluded.overall_status,"
    " phases = excluded.phases, study_type = excluded.study_type,"
    " lead_sponsor = excluded.lead_sponsor,"
    " last_update_post_date = excluded.last_update_post_date,"
    " source_format = excluded.source_format, is_partial = excluded.is_partial,"
    " last_seen = excluded.last_seen"
)


def _in_chunks(ids: Sequence[str]) -> list[Sequence[str]]:
    return [ids[at : at + _LOOKUP] for at in range(0, len(ids), _LOOKUP)]


def write_first_sightings(
    db: Connection, records: Sequence[IncomingVersion], now: str
) -> list[Outcome] | None:
    """Store ``records`` as new studies when every one is a study with no stored version,
    each once; None (nothing written) otherwise. Called inside the batch's transaction,
    after its studies are locked."""
    ids = [r.nct_id for r in records]
    if not ids or len(set(ids)) != len(ids):
        return None
    for chunk in _in_chunks(ids):
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT 1 FROM versions WHERE nct_id IN ({marks}) LIMIT 1"
        if db.execute(sql, list(chunk)).fetchone() is not None:
            return None
    db.executemany(
        _INSERT_VERSION,
        [
            (
                r.nct_id,
                r.content_hash,
                r.source,
                r.source_format,
                r.last_update_post_date,
                r.snapshot_date,
                int(r.is_partial),
                now,
                now,
                r.data,
                r.original,
            )
            for r in records
        ],
    )
    version_of: dict[str, int] = {}
    for chunk in _in_chunks(ids):
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT nct_id, id FROM versions WHERE nct_id IN ({marks})"
        version_of.update((str(n), int(v)) for n, v in db.execute(sql, list(chunk)))
    # per study in the records' order, as the record-by-record path: search mark, derive
    # mark, study (their rowids, and so the order later stages take them in, are the same)
    db.executemany(INSERT_SEARCH_MARK, [(n,) for n in ids])
    db.executemany(INSERT_DERIVE_MARK, [(n, version_of[n]) for n in ids])
    db.executemany(
        INSERT_STUDY,
        [
            (
                r.nct_id,
                version_of[r.nct_id],
                r.brief_title,
                r.overall_status,
                r.phases,
                r.study_type,
                r.lead_sponsor,
                r.last_update_post_date,
                r.source_format,
                int(r.is_partial),
                now,
                now,
            )
            for r in records
        ],
    )
    return [Outcome.NEW] * len(records)
