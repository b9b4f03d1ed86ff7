"""Keep the search index up to date with the store: the backend-neutral index writer.

The store marks a study dirty whenever its current version changes; ``refresh``
re-indexes the dirty ones in batches (one transaction each), so the index
follows imports and syncs without slowing their writes. How a batch is claimed and how
documents get their rowids and full text is the dialect's
(:mod:`~trialscope.search.dialect`); the deletes and the rows beside each document
(card, places, sites, terms) are written here, the same on both backends, with column
lists taken from the named rows of :mod:`~trialscope.search.rows`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import nullcontext

from trialscope.errors import TrialscopeError
from trialscope.forkpool import can_fork, fork_pool
from trialscope.record import Study
from trialscope.search import gazetteer, related
from trialscope.search.dialect import SearchDialect, dialect_for
from trialscope.search.gazetteer import locate_site
from trialscope.search.index_pool import refresh_pooled
from trialscope.search.rows import (
    IndexRows,
    Placer,
    SiteRow,
    TermRow,
    engine_doc,
    places_of,
    rows_for,
)
from trialscope.store import Store
from trialscope.store.dbapi import Connection

BATCH = 500
#: below this many queued studies a process pool costs more than it saves
POOL_MIN = 2000
#: a first build of at least this many studies sets the secondary indexes aside
BULK_MIN = 2000


def _insert(table: str, columns: Sequence[str]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


_INSERT_SITE = _insert("search_sites", SiteRow._fields)
_INSERT_TERM = _insert("search_terms", TermRow._fields)


def cached_placer() -> Placer:
    seen: dict[tuple[str | None, str | None, str | None], tuple[float, float] | None] = {}

    def place(
        city: str | None, state: str | None, country: str | None
    ) -> tuple[float, float] | None:
        key = (city, state, country)
        if key not in seen:
            seen[key] = locate_site(city, state, country)
        return seen[key]

    return place


def build_rows(store: Store, nct_ids: Sequence[str], place: Placer) -> list[IndexRows]:
    rows = []
    for nct_id in nct_ids:
        try:
            rows.append(rows_for(Study.from_json(store.study_bytes(nct_id)), place))
        except TrialscopeError:  # a study gone or unreadable just leaves the index
            continue
    return rows


def write_side_tables(db: Connection, rowids: Sequence[int], rows: list[IndexRows]) -> None:
    """The rows beside each document, the same on both backends: its result card, its
    distinct places (facets), its sites (distance) and its terms (related trials)."""
    db.executemany(
        "INSERT INTO search_cards (rowid, card) VALUES (?, ?)",
        [(rowid, row.card) for rowid, row in zip(rowids, rows, strict=True)],
    )
    db.executemany(
        "INSERT INTO search_places (doc, kind, value) VALUES (?, ?, ?)",
        [
            (rowid, kind, value)
            for rowid, row in zip(rowids, rows, strict=True)
            for kind, value in places_of(row.sites)
        ],
    )
    db.executemany(_INSERT_SITE, [site for row in rows for site in row.sites])
    db.executemany(_INSERT_TERM, [term for row in rows for term in row.terms])


def log_changes(
    db: Connection,
    nct_ids: list[str],
    rows: list[IndexRows],
    docs: dict[str, bytes] | None = None,
) -> None:
    """The batch's generation and each study's engine document (NULL: gone) in the change
    log that top-k indexes replay (``docs``: the documents, when already made). The
    generation's row lock is held until this transaction commits, so batches commit in
    generation order on every backend and a reader that sees generation G has every batch
    up to G."""
    generation = db.execute(
        "UPDATE search_state SET generation = generation + 1 RETURNING generation"
    ).fetchone()[0]
    if docs is None:
        docs = {row.nct_id: engine_doc(row) for row in rows}
    db.executemany(
        "INSERT INTO search_log (nct_id, seq, doc) VALUES (?, ?, ?) ON CONFLICT (nct_id)"
        " DO UPDATE SET seq = excluded.seq, doc = excluded.doc",
        [(n, generation, docs.get(n)) for n in nct_ids],
    )


class IndexWriter:
    """Index the studies waiting in ``search_dirty`` of one store."""

    def __init__(self, store: Store, dialect: SearchDialect | None = None) -> None:
        self.store = store
        self.dialect = dialect or dialect_for(store)

    def pending(self) -> int:
        return int(self.store.conn.execute("SELECT count(*) FROM search_dirty").fetchone()[0])

    def refresh(self, on_progress: Callable[[int], None] | None = None, workers: int = 1) -> int:
        """Index every queued study; returns how many were indexed. ``workers`` > 1 builds
        the rows in that many forked processes when at least POOL_MIN are queued."""
        # every search calls this: nothing queued must cost one read, not a write transaction
        queued = "SELECT EXISTS (SELECT 1 FROM search_dirty)"
        if not self.store.conn.execute(queued).fetchone()[0]:
            return 0
        queued_count = self.pending()
        with self.dialect.first_build(self.store) if self._first(queued_count) else nullcontext():
            return self._refresh(queued_count, on_progress, workers)

    def _first(self, queued: int) -> bool:
        """Whether this is (mostly) a first build: many studies queued, none of them indexed,
        no more indexed than queued. Its side tables then fill faster with their indexes
        set aside and made once at the end than kept up row by row."""
        if queued < BULK_MIN:
            return False
        db = self.store.conn
        if int(db.execute("SELECT count(*) FROM search_docs").fetchone()[0]) > queued:
            return False  # making the indexes again would cost more than it saves
        both = "SELECT EXISTS (SELECT 1 FROM search_dirty q JOIN search_docs d USING (nct_id))"
        return not db.execute(both).fetchone()[0]

    def _refresh(self, queued: int, on_progress: Callable[[int], None] | None, workers: int) -> int:
        if workers > 1 and can_fork() and queued >= POOL_MIN:
            gazetteer.warm_up()  # before the fork: the workers inherit the tables
            with fork_pool(workers) as pool:
                assert pool is not None
                return refresh_pooled(self, pool, BATCH, on_progress)
        place = cached_placer()
        done = 0
        while True:
            with self.dialect.claim(self.store, BATCH) as (db, nct_ids):
                if not nct_ids:
                    return done
                rows = build_rows(self.store, nct_ids, place)
                self.write(db, nct_ids, rows)
            done += len(rows)
            if on_progress:
                on_progress(done)

    def write(
        self,
        db: Connection,
        nct_ids: list[str],
        rows: list[IndexRows],
        docs: dict[str, bytes] | None = None,
    ) -> None:
        """Replace the index rows of ``nct_ids`` with ``rows`` (fewer if some are gone;
        ``docs``: their engine documents, when already made)."""
        marks = ",".join("?" * len(nct_ids))
        # a study has side rows only with its document (written and deleted together):
        # the deletes are for the indexed ones only, so a first build (its side tables'
        # indexes set aside) never scans them
        known = f"SELECT nct_id FROM search_docs WHERE nct_id IN ({marks})"
        indexed = [str(r[0]) for r in db.execute(known, nct_ids)]
        if indexed:
            marks = ",".join("?" * len(indexed))
            old = f"SELECT rowid FROM search_docs WHERE nct_id IN ({marks})"
            self.dialect.delete_text(db, old, indexed)
            db.execute(f"DELETE FROM search_cards WHERE rowid IN ({old})", indexed)
            db.execute(f"DELETE FROM search_places WHERE doc IN ({old})", indexed)
            for table in ("search_docs", "search_sites", "search_terms"):
                db.execute(f"DELETE FROM {table} WHERE nct_id IN ({marks})", indexed)
        related.mark_dirty(db, nct_ids)  # its related trials follow, in the same transaction
        if rows:
            rowids = self.dialect.new_rowids(db, len(rows))
            self.dialect.insert_docs(db, rowids, rows)
            write_side_tables(db, rowids, rows)
        # last: the generation's row is every writer's hot spot; a batch that holds it then
        # waits for nothing but its own commit, so concurrent writers can never deadlock on it
        log_changes(db, nct_ids, rows, docs)


def refresh(
    store: Store, on_progress: Callable[[int], None] | None = None, workers: int = 1
) -> int:
    """Index every study waiting in ``search_dirty``; returns how many were indexed
    (rows built in ``workers`` processes when many are waiting)."""
    return IndexWriter(store).refresh(on_progress, workers)


def pending(store: Store) -> int:
    return IndexWriter(store).pending()
