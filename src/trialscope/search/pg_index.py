"""The search index on PostgreSQL: the same rows as on SQLite, full text as tsvectors.

Each study's fields go into one weighted vector for ranking (A: title, acronym,
conditions; B: interventions, official title, keywords; C: summary, sponsors; D:
outcomes, eligibility text, locations) and one plain vector per field group for
scoped searches. Several processes may refresh at once: each claims its batch of
dirty studies with ``FOR UPDATE SKIP LOCKED`` and indexes it in the same
transaction, so no study is indexed twice at the same time and none is lost.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence

from trialscope.search.index import BATCH, IndexRows, Placer, build_rows, write_side_tables
from trialscope.store import Store
from trialscope.store.dbapi import Connection

CONFIG = "english"
#: fields (positions in IndexRows.text) per weight, A first
WEIGHTED = ((0, 2, 4), (6, 1, 5), (3, 9), (7, 10, 8))
#: fields per scoped vector, in column order
SCOPED = {
    "cond_tsv": (4, 5),
    "intr_tsv": (6,),
    "titles_tsv": (0, 1, 2),
    "locn_tsv": (10,),
    "sponsor_tsv": (9,),
}


def fold(text: str) -> str:
    """Accents off (café → cafe), as SQLite's remove_diacritics does; case is to_tsvector's."""
    if text.isascii():  # most registry text: nothing to fold, and this runs per character
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _joined(text: Sequence[str], fields: Sequence[int]) -> str:
    return fold("\n".join(text[i] for i in fields if text[i]))


_VECTOR = f"to_tsvector('{CONFIG}', ?)"
_WEIGHTED = " || ".join(f"setweight({_VECTOR}, '{w}')" for w in "ABCD")
_INSERT_DOC = (
    "INSERT INTO search_docs (rowid, nct_id, overall_status, phases, study_type,"
    " intervention_types, min_age_years, max_age_years, sex, healthy_volunteers, start_date,"
    f" last_update, has_results, title, tsv, {', '.join(SCOPED)}) VALUES"
    f" ({', '.join('?' * 14)}, {_WEIGHTED}, {', '.join([_VECTOR] * len(SCOPED))})"
)


def write(db: Connection, nct_ids: list[str], rows: list[IndexRows]) -> None:
    """Replace the index rows of ``nct_ids`` (their cards, places, sites and terms too)."""
    old = "SELECT rowid FROM search_docs WHERE nct_id = ANY(?)"
    db.execute(f"DELETE FROM search_cards WHERE rowid IN ({old})", (nct_ids,))
    db.execute(f"DELETE FROM search_places WHERE doc IN ({old})", (nct_ids,))
    for table in ("search_docs", "search_sites", "search_terms"):
        db.execute(f"DELETE FROM {table} WHERE nct_id = ANY(?)", (nct_ids,))
    if not rows:
        return
    rowids = [
        int(r[0])
        for r in db.execute(
            "SELECT nextval(pg_get_serial_sequence('search_docs', 'rowid'))"
            " FROM generate_series(1, ?)",
            (len(rows),),
        )
    ]
    db.executemany(
        _INSERT_DOC,
        [
            (
                rowid,
                *row.doc,
                row.text[0],
                *(_joined(row.text, fields) for fields in WEIGHTED),
                *(_joined(row.text, fields) for fields in SCOPED.values()),
            )
            for rowid, row in zip(rowids, rows, strict=True)
        ],
    )
    write_side_tables(db, rowids, rows)


def refresh(store: Store, place: Placer, on_progress: Callable[[int], None] | None) -> int:
    # every search calls this: nothing queued must cost one read, not a write transaction
    if store.conn.execute("SELECT NOT EXISTS (SELECT 1 FROM search_dirty)").fetchone()[0]:
        return 0
    done = 0
    while True:
        with store.transaction() as db:
            nct_ids = [
                str(r[0])
                for r in db.execute(
                    "DELETE FROM search_dirty WHERE nct_id IN (SELECT nct_id FROM search_dirty"
                    " LIMIT ? FOR UPDATE SKIP LOCKED) RETURNING nct_id",
                    (BATCH,),
                )
            ]
            if not nct_ids:
                return done
            rows = build_rows(store, nct_ids, place)
            write(db, nct_ids, rows)
            # every worker's cached totals and facets are keyed on this
            db.execute("UPDATE search_state SET generation = generation + 1")
        done += len(rows)
        if on_progress:
            on_progress(done)
