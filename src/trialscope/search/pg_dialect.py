"""Search on PostgreSQL: weighted tsvectors, one statement for totals and facets, distance
in SQL, and index batches claimed with ``SKIP LOCKED``.

- **Ranking**: ``ts_rank_cd`` (cover density: how many query words and how close
  together) over a weighted tsvector (A: title, acronym, conditions; B:
  interventions, official title, keywords; C: summary, sponsors; D: outcomes,
  eligibility, locations), length-normalised. It is not BM25: no inverse document
  frequency, so a rare word counts no more than a common one. Orders agree at the
  top for typical queries (a title or condition hit first), not score for score.
- **Words**: the ``english`` configuration stems (Snowball) and drops stop words,
  so a query of only stop words ("the", a lone "OR") matches nothing, where FTS5
  looks them up.
- **Distance**: the radius's bounding box on the point index, then haversine in SQL.
- **One match set per search** without temporary tables (they would bloat: autovacuum
  never visits them): totals and facets come from one statement over a materialised
  CTE, and the page from a second one with LIMIT.
- **Index writes**: several processes may refresh at once: each claims its batch of
  dirty studies with ``FOR UPDATE SKIP LOCKED`` and indexes it in the same
  transaction, so no study is indexed twice at the same time and none is lost. Each
  study's fields go into one weighted vector for ranking and one plain vector per field
  group for scoped searches.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from trialscope.search.plan import (
    TOKENS,
    WORDS,
    Plan,
    TextMatch,
    facet_tests,
    shape_facets,
)
from trialscope.search.rows import DocRow, IndexRows, TextRow
from trialscope.search.types import GeoFilter, SearchQuery
from trialscope.store import Store
from trialscope.store.dbapi import Connection

CONFIG = "english"
#: ts_rank_cd weights of D, C, B, A
RANK_WEIGHTS = "{0.05, 0.2, 0.4, 1.0}"
#: normalisation 1: rank divided by 1 + log(document length), as BM25 damps long texts
NORMALISE = 1
#: SearchQuery text field → the tsvector column it searches
VECTORS = {
    "text": "tsv",
    "cond": "cond_tsv",
    "intr": "intr_tsv",
    "titles": "titles_tsv",
    "locn": "locn_tsv",
    "sponsor": "sponsor_tsv",
}
#: text fields per weight of ``tsv``, A first
WEIGHTED: tuple[tuple[str, ...], ...] = (
    ("title", "acronym", "conditions"),
    ("interventions", "official_title", "keywords"),
    ("summary", "sponsor"),
    ("outcomes", "locations", "eligibility"),
)
#: text fields per scoped vector, in column order
SCOPED: dict[str, tuple[str, ...]] = {
    "cond_tsv": ("conditions", "keywords"),
    "intr_tsv": ("interventions",),
    "titles_tsv": ("title", "official_title", "acronym"),
    "locn_tsv": ("locations",),
    "sponsor_tsv": ("sponsor",),
}
assert {f for group in WEIGHTED for f in group} == set(TextRow._fields)
_KM = (
    "2 * 6371.0088 * asin(least(1.0, sqrt(power(sin(radians(s.lat - g.lat) / 2), 2)"
    " + cos(radians(g.lat)) * cos(radians(s.lat)) * power(sin(radians(s.lon - g.lon) / 2), 2))))"
)
_VECTOR = f"to_tsvector('{CONFIG}', ?)"
_WEIGHTED = " || ".join(f"setweight({_VECTOR}, '{w}')" for w in "ABCD")
_INSERT_DOC = (
    f"INSERT INTO search_docs (rowid, {', '.join(DocRow._fields)}, title, tsv,"
    f" {', '.join(SCOPED)}) VALUES ({', '.join('?' * (len(DocRow._fields) + 2))},"
    f" {_WEIGHTED}, {', '.join([_VECTOR] * len(SCOPED))})"
)


def fold(text: str) -> str:
    """Accents off (café → cafe), as SQLite's remove_diacritics does; case is to_tsvector's."""
    if text.isascii():  # most registry text: nothing to fold, and this runs per character
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _joined(text: TextRow, fields: Sequence[str]) -> str:
    return fold("\n".join(value for f in fields if (value := getattr(text, f))))


def tsquery_text(text: str) -> str | None:
    """User text → to_tsquery input: words ANDed, ``"phrases"`` as ``<->``, ``OR`` kept.

    As in FTS5, OR binds tighter than the implicit AND: ``a b OR c`` = a & (b | c).
    Only ``\\w+`` words are quoted in, so no user text is read as tsquery syntax.
    """
    groups: list[list[str]] = []
    after_or = False
    for token in TOKENS.findall(fold(text)):
        if token == "OR" and groups and not after_or:
            after_or = True
            continue
        words = WORDS.findall(token)
        if not words:
            continue
        term = " <-> ".join(f"'{w}'" for w in words)
        term = f"({term})" if len(words) > 1 else term
        if after_or:
            groups[-1].append(term)
        else:
            groups.append([term])
        after_or = False
    parts = [g[0] if len(g) == 1 else f"({' | '.join(g)})" for g in groups]
    return " & ".join(parts) or None


class PostgresDialect:
    """The SQL only PostgreSQL runs, for the search engine and the index writer."""

    name = "postgres"

    # -- searching ------------------------------------------------------------------

    def prepare(self, db: Any) -> None:
        """Nothing per connection: no functions to register, no temporary tables."""

    @contextmanager
    def snapshot(self, db: Any) -> Iterator[Any]:
        # one snapshot: the total, the facets and the page see the same index state
        with db.transaction():
            db.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield db

    def stamp(self, db: Any) -> object:
        # bumped by every refresh, in any worker (SQLite's data_version has no equivalent)
        return db.execute("SELECT generation FROM search_state").fetchone()[0]

    def run(self, db: Any, statement: tuple[str, list[Any]]) -> Any:
        return db.execute(*statement)  # user text only reaches SQL as tsquery parameters

    def text_match(self, texts: list[tuple[str, str]]) -> TextMatch | None:
        found = [(VECTORS[name], q) for name, value in texts if (q := tsquery_text(value))]
        if not found:
            return None
        queries = ", ".join(f"to_tsquery('{CONFIG}', ?) AS q{i}" for i in range(len(found)))
        where = " AND ".join(f"d.{column} @@ tq.q{i}" for i, (column, _) in enumerate(found))
        ranks = " + ".join(
            f"ts_rank_cd('{RANK_WEIGHTS}', d.{column}, tq.q{i}, {NORMALISE})"
            for i, (column, _) in enumerate(found)
        )
        # negated: the shared ORDER BY sorts ascending, as for bm25
        return TextMatch(
            f"search_docs d CROSS JOIN (SELECT {queries}) AS tq",
            where,
            [q for _, q in found],
            f"-({ranks})",
        )

    def same_text(self, column: str) -> str:
        return f"lower({column}) = lower(?)"  # served by the lower(country) index

    def near(
        self, db: Any, geo: GeoFilter, where: list[str], params: list[Any]
    ) -> tuple[str, list[Any], str]:
        """A WITH clause: studies with a matching site within the radius, nearest km."""
        head = (
            "WITH near AS (SELECT nct_id, min(km) AS km FROM (SELECT s.nct_id, "
            f"{_KM} AS km FROM search_sites s CROSS JOIN (SELECT ?::float8 AS lat,"
            f" ?::float8 AS lon) AS g WHERE {' AND '.join(where)}) AS x WHERE km <= ?"
            " GROUP BY nct_id) "
        )
        return head, [geo.lat, geo.lon, *params, geo.radius_km], "near"

    def first_page(
        self, db: Any, plan: Plan, query: SearchQuery, limit: int, offset: int
    ) -> tuple[list[Any], int, dict[str, dict[str, int]]]:
        matches = f"SELECT d.rowid FROM {plan.source} WHERE {plan.where}"
        if not query.with_facets:
            row = db.execute(f"{plan.head}SELECT count(*) FROM ({matches}) AS m", plan.params)
            total, facets = int(row.fetchone()[0]), dict[str, dict[str, int]]()
        else:
            total, facets = self._totals_and_facets(db, plan)
        rows: list[Any] = []
        if total > offset:
            page_sql, page_params = plan.page_direct(query.sort)
            rows = db.execute(page_sql, [*page_params, limit, offset]).fetchall()
        return rows, total, facets

    def _totals_and_facets(self, db: Any, plan: Plan) -> tuple[int, dict[str, dict[str, int]]]:
        """Every match once (a materialised CTE), counted and grouped in one statement."""
        head = plan.head.rstrip() + "," if plan.head else "WITH"
        counts = ", ".join(f"count(*) FILTER (WHERE {test})" for test in facet_tests())

        def grouped(column: str) -> str:
            return (
                '(SELECT json_agg(json_build_array(k, n) ORDER BY n DESC, k COLLATE "C")'
                f" FROM (SELECT coalesce({column}, '(none)') AS k, count(*) AS n FROM m"
                " GROUP BY 1) AS x)"
            )

        row = db.execute(
            f"{head} m AS MATERIALIZED (SELECT d.rowid, d.overall_status AS status,"
            " d.study_type, d.phases, d.intervention_types AS itypes, d.has_results AS results"
            f" FROM {plan.source} WHERE {plan.where})"
            f" SELECT (SELECT count(*) FROM m), {grouped('status')}, {grouped('study_type')},"
            f" (SELECT json_build_array({counts}) FROM m),"
            " (SELECT json_agg(json_build_array(kind, value, n)"
            ' ORDER BY n DESC, value COLLATE "C") FROM (SELECT p.kind, p.value, count(*) AS n'
            " FROM m JOIN search_places p ON p.doc = m.rowid GROUP BY 1, 2) AS x)",
            plan.params,
        ).fetchone()
        total, statuses, types, sums, places = row
        facets = shape_facets(statuses or [], types or [], sums, places or [])
        return int(total), facets

    # -- writing the index ----------------------------------------------------------

    @contextmanager
    def claim(self, store: Store, size: int) -> Iterator[tuple[Connection, list[str]]]:
        """A batch of queued studies no other process holds, dequeued in the transaction
        that indexes them; every worker's cached totals are keyed on the generation, which
        the writer bumps (:func:`trialscope.search.index.log_changes`)."""
        with store.transaction() as db:
            nct_ids = [
                str(r[0])
                for r in db.execute(
                    "DELETE FROM search_dirty WHERE nct_id IN (SELECT nct_id FROM search_dirty"
                    " LIMIT ? FOR UPDATE SKIP LOCKED) RETURNING nct_id",
                    (size,),
                )
            ]
            yield db, nct_ids  # the batch's write bumps the generation (index.log_changes)

    def delete_text(self, db: Connection, old_rowids: str, nct_ids: list[str]) -> None:
        """Nothing: the vectors live in the ``search_docs`` rows themselves."""

    def new_rowids(self, db: Connection, count: int) -> Sequence[int]:
        return [
            int(r[0])
            for r in db.execute(
                "SELECT nextval(pg_get_serial_sequence('search_docs', 'rowid'))"
                " FROM generate_series(1, ?)",
                (count,),
            )
        ]

    def insert_docs(self, db: Connection, rowids: Sequence[int], rows: list[IndexRows]) -> None:
        db.executemany(
            _INSERT_DOC,
            [
                (
                    rowid,
                    *row.doc,
                    row.text.title,
                    *(_joined(row.text, fields) for fields in WEIGHTED),
                    *(_joined(row.text, fields) for fields in SCOPED.values()),
                )
                for rowid, row in zip(rowids, rows, strict=True)
            ],
        )

    def first_build(self, store: Store) -> AbstractContextManager[bool]:
        """Nothing set aside: several writers may fill a PostgreSQL index at once."""
        return nullcontext(False)
