"""Search on SQLite: FTS5 with BM25, a temporary table of matches, a Python distance.

- **Ranking**: FTS5's BM25 with per-column weights (a title or condition hit counts far
  more than one deep in the eligibility text).
- **One match set per search**: matches are gathered into ``temp.hits`` once, so the
  page, the total and every facet are computed over the same set without re-running the
  full-text query. Temporary tables are private to the connection: no write lock.
- **Distance**: haversine in SQL (SQLite's math functions; else ``geo_km``, registered
  per connection) over the radius's bounding box, into ``temp.near``.
- **Index writes**: one writer at a time (SQLite's own lock); the documents' full text
  goes into the ``search_fts`` virtual table under the same rowids.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from trialscope.errors import UsageError
from trialscope.search.gazetteer import distance_km
from trialscope.search.plan import (
    ORDER,
    Plan,
    TextMatch,
    facet_tests,
    query_phrases,
    shape_facets,
)
from trialscope.search.rows import DocRow, IndexRows, TextRow
from trialscope.search.types import GeoFilter, SearchQuery, SortOrder
from trialscope.store import SQLiteStore, Store
from trialscope.store.bulk import Setting, filling
from trialscope.store.dbapi import Connection

#: BM25 weight of each full-text column (``TextRow``'s fields, the FTS table's columns)
WEIGHTS = {
    "title": 10.0,
    "official_title": 4.0,
    "acronym": 8.0,
    "summary": 2.0,
    "conditions": 8.0,
    "keywords": 4.0,
    "interventions": 5.0,
    "outcomes": 1.0,
    "eligibility": 0.3,
    "sponsor": 2.0,
    "locations": 0.5,
}
COLUMNS = TextRow._fields
#: the index tables a first build fills with their secondary indexes set aside
BULK_TABLES = ("search_docs", "search_places", "search_sites", "search_terms", "search_log")


def _fts(option: str, value: int) -> str:
    return f"INSERT INTO search_fts (search_fts, rank) VALUES ('{option}', {value})"


#: FTS5 during a first build: each batch's terms go to disk as one segment (a 64 MB hash
#: instead of 1 MB) and no segments are merged as it goes (automerge 0, crisismerge at
#: its bound); one optimize at the end merges them all at once. Undone: the defaults.
BULK_FTS: tuple[Setting, ...] = (
    ("fts automerge", _fts("automerge", 0), _fts("automerge", 4)),
    ("fts crisismerge", _fts("crisismerge", 1999), _fts("crisismerge", 16)),
    ("fts hashsize", _fts("hashsize", 64 << 20), _fts("hashsize", 1 << 20)),
)
BULK_CLOSING = "INSERT INTO search_fts (search_fts) VALUES ('optimize')"
#: SearchQuery text field → the FTS5 column filter it searches (None: every column)
TEXT_SCOPES = {
    "text": None,
    "cond": "{conditions keywords}",
    "intr": "{interventions}",
    "titles": "{title official_title acronym}",
    "locn": "{locations}",
    "sponsor": "{sponsor}",
}
# Copied into temp.hits while matching, so sorting and facets never go back to the docs.
_HIT_COLUMNS = (
    "rowid INTEGER PRIMARY KEY, score REAL NOT NULL, km REAL, updated TEXT, started TEXT,"
    " status TEXT, study_type TEXT, phases TEXT, itypes TEXT, results INTEGER"
)
_INSERT_DOC = (
    f"INSERT INTO search_docs (rowid, {', '.join(DocRow._fields)})"
    f" VALUES ({', '.join('?' * (1 + len(DocRow._fields)))})"
)
_INSERT_TEXT = (
    f"INSERT INTO search_fts (rowid, {', '.join(COLUMNS)})"
    f" VALUES ({', '.join('?' * (1 + len(COLUMNS)))})"
)


def fts_expression(text: str, scope: str | None) -> str | None:
    """User text → a safe FTS5 query: quoted phrases and words, AND by default, OR kept."""
    parts = query_phrases(text)
    if not parts:
        return None
    expression = " ".join(parts)
    return f"{scope} : ({expression})" if scope else f"({expression})"


def _into_hits(plan: Plan) -> tuple[str, list[Any]]:
    return (
        "INSERT INTO temp.hits (rowid, score, km, updated, started, status, study_type,"
        f" phases, itypes, results) SELECT d.rowid, {plan.score}, {plan.km},"
        " d.last_update, d.start_date, d.overall_status, d.study_type, d.phases,"
        f" d.intervention_types, d.has_results FROM {plan.source} WHERE {plan.where}",
        plan.params,
    )


#: haversine (as gazetteer.distance_km) in SQL: SQLite's math functions, where it has them,
#: run ~5x faster than a Python function called per site (site point first, then g.lat, g.lon)
_KM = (
    "2 * 6371.0088 * asin(min(1.0, sqrt(power(sin((radians(?) - radians(s.lat)) / 2), 2)"
    " + cos(radians(s.lat)) * cos(radians(?)) * power(sin(radians(? - s.lon) / 2), 2))))"
)


def _page_from_hits(sort: SortOrder) -> str:
    inner = ORDER[sort].format(
        score="score", km="km", updated="updated", started="started", row="rowid"
    )
    outer = ORDER[sort].format(
        score="p.score", km="p.km", updated="p.updated", started="p.started", row="p.rowid"
    )
    return (
        "SELECT d.nct_id, p.score, c.card FROM (SELECT rowid, score, km, updated, started"
        f" FROM temp.hits ORDER BY {inner} LIMIT ? OFFSET ?) p"
        " JOIN search_docs d ON d.rowid = p.rowid JOIN search_cards c ON c.rowid = p.rowid"
        f" ORDER BY {outer}"
    )


class SqliteDialect:
    """The SQL only SQLite runs, for the search engine and the index writer."""

    name = "sqlite"
    #: the distance expression over ``search_sites s`` (set per connection by prepare)
    _km = "geo_km(s.lat, s.lon, ?, ?)"

    # -- searching ------------------------------------------------------------------

    def prepare(self, db: Any) -> None:
        """Per connection: the distance function and the temporary match table."""
        assert isinstance(db, sqlite3.Connection)
        db.create_function("geo_km", 4, distance_km, deterministic=True)
        try:
            db.execute("SELECT asin(sqrt(power(sin(radians(1.0)), 2)))")
            self._km = _KM
        except sqlite3.OperationalError:  # built without SQLITE_ENABLE_MATH_FUNCTIONS
            self._km = "geo_km(s.lat, s.lon, ?, ?)"
        db.execute("PRAGMA temp_store = MEMORY")
        db.execute("DROP TABLE IF EXISTS temp.hits")
        db.execute(f"CREATE TEMP TABLE hits ({_HIT_COLUMNS})")

    @contextmanager
    def snapshot(self, db: Any) -> Iterator[Any]:
        """One read snapshot for the whole search; temp tables are private to this
        connection, so no write lock is taken."""
        db.execute("BEGIN DEFERRED")
        try:
            yield db
        finally:
            db.execute("COMMIT")

    def stamp(self, db: Any) -> object:
        """What changes when the index does: data_version moves when another connection
        commits, the index generation when this one refreshed it (through any engine)."""
        version = db.execute("PRAGMA data_version").fetchone()[0]
        return version, db.execute("SELECT generation FROM search_state").fetchone()[0]

    def run(self, db: Any, statement: tuple[str, list[Any]]) -> Any:
        try:
            return db.execute(*statement)
        except sqlite3.OperationalError as exc:  # FTS5 syntax errors surface here
            raise UsageError(f"Cannot run this search: {exc}") from exc

    def text_match(self, texts: list[tuple[str, str]]) -> TextMatch | None:
        expressions = [
            e for name, value in texts if (e := fts_expression(value, TEXT_SCOPES[name]))
        ]
        if not expressions:
            return None
        weights = ", ".join(str(WEIGHTS[column]) for column in COLUMNS)
        # CROSS JOIN keeps the full-text match as the outer loop: run once, not per row
        return TextMatch(
            "search_fts CROSS JOIN search_docs d ON d.rowid = search_fts.rowid",
            "search_fts MATCH ?",
            [" AND ".join(expressions)],
            f"bm25(search_fts, {weights})",
        )

    def same_text(self, column: str) -> str:
        """Case-insensitive equality with one parameter."""
        return f"{column} = ? COLLATE NOCASE"

    def near(
        self, db: Any, geo: GeoFilter, where: list[str], params: list[Any]
    ) -> tuple[str, list[Any], str]:
        """temp.near: studies with a matching site within the radius, and the nearest
        one's km. Returns no WITH clause, no parameters, and the table to join."""
        db.execute("DROP TABLE IF EXISTS temp.near")
        point = [geo.lat, geo.lat, geo.lon] if self._km == _KM else [geo.lat, geo.lon]
        db.execute(
            f"CREATE TEMP TABLE near AS SELECT s.nct_id, min({self._km}) AS km"
            f" FROM search_sites s WHERE {' AND '.join(where)} GROUP BY s.nct_id HAVING km <= ?",
            [*point, *params, geo.radius_km],
        )
        db.execute("CREATE INDEX temp.near_study ON near (nct_id)")
        return "", [], "temp.near"

    def first_page(
        self, db: Any, plan: Plan, query: SearchQuery, limit: int, offset: int
    ) -> tuple[list[Any], int, dict[str, dict[str, int]]]:
        """The page, the total and the facets, gathering every match once into temp.hits."""
        db.execute("DELETE FROM temp.hits")
        self.run(db, _into_hits(plan))
        total = int(db.execute("SELECT count(*) FROM temp.hits").fetchone()[0])
        facets = self._facets(db) if query.with_facets else {}
        rows = self.run(db, (_page_from_hits(query.sort), [limit, offset])).fetchall()
        return rows, total, facets

    def _facets(self, db: Any) -> dict[str, dict[str, int]]:
        """Counts over every match, from temp.hits and the per-study places only."""

        def grouped(column: str) -> list[Any]:
            rows: list[Any] = db.execute(
                f"SELECT coalesce({column}, '(none)'), count(*) FROM temp.hits"
                " GROUP BY 1 ORDER BY 2 DESC, 1"
            ).fetchall()
            return rows

        sums = ", ".join(f"sum({test})" for test in facet_tests())
        values = db.execute(f"SELECT {sums} FROM temp.hits").fetchone()
        # CROSS JOIN fixes the order: from the hits to their few places, never a scan
        places = db.execute(
            "SELECT p.kind, p.value, count(*) FROM temp.hits h"
            " CROSS JOIN search_places p ON p.doc = h.rowid GROUP BY 1, 2 ORDER BY 3 DESC, 2"
        ).fetchall()
        return shape_facets(grouped("status"), grouped("study_type"), values, places)

    # -- writing the index ----------------------------------------------------------

    @contextmanager
    def claim(self, store: Store, size: int) -> Iterator[tuple[Connection, list[str]]]:
        """A batch of queued studies in a write transaction; dequeued when it commits.
        One writer at a time is SQLite's own rule, so nothing else can claim them."""
        with store.transaction() as db:
            nct_ids = [
                str(r[0]) for r in db.execute("SELECT nct_id FROM search_dirty LIMIT ?", (size,))
            ]
            yield db, nct_ids
            if nct_ids:
                marks = ",".join("?" * len(nct_ids))
                db.execute(f"DELETE FROM search_dirty WHERE nct_id IN ({marks})", nct_ids)

    def delete_text(self, db: Connection, old_rowids: str, nct_ids: list[str]) -> None:
        """The full text of the documents ``old_rowids`` selects (before they go)."""
        old = [(r[0],) for r in db.execute(old_rowids, nct_ids)]
        # FTS5 deletes by rowid equality; an IN (subquery) would scan the table
        db.executemany("DELETE FROM search_fts WHERE rowid = ?", old)

    def new_rowids(self, db: Connection, count: int) -> Sequence[int]:
        # Explicit rowids let documents and their full text go in as two bulk statements.
        first = int(db.execute("SELECT coalesce(max(rowid), 0) + 1 FROM search_docs").fetchone()[0])
        return range(first, first + count)

    def insert_docs(self, db: Connection, rowids: Sequence[int], rows: list[IndexRows]) -> None:
        pairs = list(zip(rowids, rows, strict=True))
        db.executemany(_INSERT_DOC, [(rowid, *row.doc) for rowid, row in pairs])
        db.executemany(_INSERT_TEXT, [(rowid, *row.text) for rowid, row in pairs])

    def first_build(self, store: Store) -> AbstractContextManager[bool]:
        assert isinstance(store, SQLiteStore)
        return filling(store, BULK_TABLES, BULK_FTS, BULK_CLOSING)
