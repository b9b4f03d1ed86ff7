"""Ranked, filtered, faceted search over the index, and related trials.

Ranking is SQLite FTS5's BM25 with per-column weights (a title or condition hit
counts far more than one deep in the eligibility text). Matches are gathered into
a temporary table once per search, so the page, the total and every facet are
computed over the same set without re-running the full-text query. On PostgreSQL
the engine is trialscope.search.pg_engine: the filters and the flow are these,
the full text, distance and facets its own SQL.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from typing import Any

import orjson

from trialscope.errors import UsageError
from trialscope.search import index
from trialscope.search.gazetteer import distance_km
from trialscope.search.types import Hit, NearestSite, SearchQuery, SearchResult, SortOrder
from trialscope.store import Store
from trialscope.vocab import InterventionType, Phase

# FTS columns, in table order, and their BM25 weights.
COLUMNS = (
    "title", "official_title", "acronym", "summary", "conditions", "keywords",
    "interventions", "outcomes", "eligibility", "sponsor", "locations",
)  # fmt: skip
WEIGHTS = (10.0, 4.0, 8.0, 2.0, 8.0, 4.0, 5.0, 1.0, 0.3, 2.0, 0.5)
TEXT_SCOPES = {
    "text": None,
    "cond": "{conditions keywords}",
    "intr": "{interventions}",
    "titles": "{title official_title acronym}",
    "locn": "{locations}",
    "sponsor": "{sponsor}",
}
MAX_LIMIT = 1000
#: (query, index state) → (total, facets) kept per engine; broad queries repeat
TOTALS_CACHE = 256
_ORDER = {
    SortOrder.RELEVANCE: "{score}, {updated} DESC, {row}",
    SortOrder.DISTANCE: "{km}, {score}, {row}",
    SortOrder.LAST_UPDATE: "{updated} IS NULL, {updated} DESC, {row}",
    SortOrder.START_DATE: "{started} IS NULL, {started} DESC, {row}",
}
# Copied into temp.hits while matching, so sorting and facets never go back to the docs.
_HIT_COLUMNS = (
    "rowid INTEGER PRIMARY KEY, score REAL NOT NULL, km REAL, updated TEXT, started TEXT,"
    " status TEXT, study_type TEXT, phases TEXT, itypes TEXT, results INTEGER"
)
_TOKENS = re.compile(r'"[^"]*"|\S+')
_WORDS = re.compile(r"\w+", re.UNICODE)


def fts_expression(text: str, scope: str | None) -> str | None:
    """User text → a safe FTS5 query: quoted phrases and words, AND by default, OR kept."""
    parts: list[str] = []
    for token in _TOKENS.findall(text):
        if token == "OR" and parts and parts[-1] != "OR":
            parts.append("OR")
            continue
        words = _WORDS.findall(token)
        if words:
            parts.append('"' + " ".join(words) + '"')
    while parts and parts[-1] == "OR":
        parts.pop()
    if not parts:
        return None
    expression = " ".join(parts)
    return f"{scope} : ({expression})" if scope else f"({expression})"


def _query_key(query: SearchQuery) -> str:
    data = asdict(replace(query, cursor=None, limit=0, with_facets=False))
    return hashlib.sha1(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()[:12]


def encode_cursor(query: SearchQuery, offset: int) -> str:
    raw = orjson.dumps({"o": offset, "q": _query_key(query)})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(query: SearchQuery) -> int:
    if not query.cursor:
        return 0
    try:
        padded = query.cursor + "=" * (-len(query.cursor) % 4)
        data = orjson.loads(base64.urlsafe_b64decode(padded))
        offset, key = int(data["o"]), str(data["q"])
    except (ValueError, KeyError, TypeError, orjson.JSONDecodeError):
        raise UsageError("The cursor is not one this server gave out.") from None
    if key != _query_key(query) or offset < 0:
        raise UsageError(
            "The cursor belongs to a different search.",
            hint="Repeat every other parameter unchanged when following a cursor.",
        )
    return offset


@dataclass(frozen=True, slots=True)
class _Plan:
    source: str
    where: str
    params: list[Any]
    score: str
    km: str
    #: a WITH clause the statements start with (its parameters lead ``params``)
    head: str = ""

    def into_hits(self) -> tuple[str, list[Any]]:
        return (
            "INSERT INTO temp.hits (rowid, score, km, updated, started, status, study_type,"
            f" phases, itypes, results) SELECT d.rowid, {self.score}, {self.km},"
            " d.last_update, d.start_date, d.overall_status, d.study_type, d.phases,"
            f" d.intervention_types, d.has_results FROM {self.source} WHERE {self.where}",
            self.params,
        )

    def page_from_hits(self, sort: SortOrder) -> tuple[str, list[Any]]:
        inner = _ORDER[sort].format(
            score="score", km="km", updated="updated", started="started", row="rowid"
        )
        outer = _ORDER[sort].format(
            score="p.score", km="p.km", updated="p.updated", started="p.started", row="p.rowid"
        )
        return (
            "SELECT d.nct_id, p.score, c.card FROM (SELECT rowid, score, km, updated, started"
            f" FROM temp.hits ORDER BY {inner} LIMIT ? OFFSET ?) p"
            " JOIN search_docs d ON d.rowid = p.rowid JOIN search_cards c ON c.rowid = p.rowid"
            f" ORDER BY {outer}",
            [],
        )

    def page_direct(self, sort: SortOrder) -> tuple[str, list[Any]]:
        order = _ORDER[sort].format(
            score="score", km="km", updated="d.last_update", started="d.start_date", row="d.rowid"
        )
        outer = _ORDER[sort].format(
            score="p.score", km="p.km", updated="p.updated", started="p.started", row="p.rowid"
        )
        if self.score == "0.0":
            # No text: drop the constant score so the date indexes can serve the order.
            order = order.removeprefix("score, ")
        # Cards are read for the page's rows only, after the limit.
        return (
            f"{self.head}SELECT p.nct_id, p.score, c.card FROM"
            f" (SELECT d.rowid AS rowid, d.nct_id AS nct_id, {self.score} AS score,"
            f" {self.km} AS km, d.last_update AS updated, d.start_date AS started"
            f" FROM {self.source} WHERE {self.where} ORDER BY {order} LIMIT ? OFFSET ?) p"
            f" JOIN search_cards c ON c.rowid = p.rowid ORDER BY {outer}",
            self.params,
        )


def _in(column: str, values: tuple[str, ...]) -> tuple[str, list[Any]]:
    return f"{column} IN ({','.join('?' * len(values))})", list(values)


def _any_bar(column: str, values: tuple[str, ...]) -> tuple[str, list[Any]]:
    clause = " OR ".join(f"{column} LIKE ?" for _ in values)
    return f"({clause})", [f"%|{v}|%" for v in values]


class SearchEngine:
    """Search the studies of one store; the index catches up with the store first.

    ``SearchEngine(store)`` gives the PostgreSQL engine for a PostgreSQL store.
    """

    def __new__(cls, store: Store) -> SearchEngine:
        if cls is SearchEngine and store.dialect == "postgres":
            from trialscope.search.pg_engine import PostgresSearchEngine

            return super().__new__(PostgresSearchEngine)
        return super().__new__(cls)

    def __init__(self, store: Store) -> None:
        self.store = store
        self.db = store.conn
        self._totals: dict[tuple[Any, ...], tuple[int, dict[str, dict[str, int]]]] = {}
        self._generation = 0
        self._setup()

    def _setup(self) -> None:
        assert isinstance(self.db, sqlite3.Connection)
        self.db.create_function("geo_km", 4, distance_km, deterministic=True)
        self.db.execute("PRAGMA temp_store = MEMORY")
        self.db.execute("DROP TABLE IF EXISTS temp.hits")
        self.db.execute(f"CREATE TEMP TABLE hits ({_HIT_COLUMNS})")

    def refresh(self) -> int:
        done = index.refresh(self.store)
        if done:
            self._generation += 1
        return done

    # -- searching -----------------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchResult:
        if query.sort is SortOrder.DISTANCE and query.geo is None:
            raise UsageError("Sorting by distance needs a place.", hint="Add --near PLACE.")
        limit = max(1, min(query.limit, MAX_LIMIT))
        offset = decode_cursor(query)
        self.refresh()
        with self._snapshot() as db:
            plan = self._plan(db, query)
            key = (_query_key(query), query.with_facets, self._stamp(db), self._generation)
            known = self._totals.get(key)
            if known is None:
                rows, total, facets = self._first_page(db, plan, query, limit, offset)
                self._remember(key, (total, facets))
            else:
                # Totals and facets are known for this index state: fetch only the page.
                total, facets = known
                page_sql, page_params = plan.page_direct(query.sort)
                rows = self._run(db, (page_sql, [*page_params, limit, offset])).fetchall()
            nearest = self._nearest(db, [r[0] for r in rows], query)
        # bm25 is lower-is-better and negative; a Hit's score is higher-is-better
        hits = [_hit(row[0], -row[1], row[2], nearest.get(row[0])) for row in rows]
        following = offset + len(rows)
        cursor = encode_cursor(query, following) if following < total else None
        return SearchResult(hits=hits, total=total, facets=facets, next_cursor=cursor)

    @contextmanager
    def _snapshot(self) -> Iterator[Any]:
        """One read snapshot for the whole search; temp tables are private to this
        connection, so no write lock is taken."""
        self.db.execute("BEGIN DEFERRED")
        try:
            yield self.db
        finally:
            self.db.execute("COMMIT")

    def _stamp(self, db: Any) -> object:
        """What changes when the index does: data_version moves when another connection
        commits (our own refreshes move ``_generation``)."""
        return db.execute("PRAGMA data_version").fetchone()[0]

    def _first_page(
        self, db: Any, plan: _Plan, query: SearchQuery, limit: int, offset: int
    ) -> tuple[list[Any], int, dict[str, dict[str, int]]]:
        """The page, the total and the facets, gathering every match once into temp.hits."""
        db.execute("DELETE FROM temp.hits")
        self._run(db, plan.into_hits())
        total = int(db.execute("SELECT count(*) FROM temp.hits").fetchone()[0])
        facets = self._facets(db) if query.with_facets else {}
        page_sql, page_params = plan.page_from_hits(query.sort)
        rows = self._run(db, (page_sql, [*page_params, limit, offset])).fetchall()
        return rows, total, facets

    def _remember(self, key: tuple[Any, ...], value: tuple[int, dict[str, dict[str, int]]]) -> None:
        self._totals[key] = value
        while len(self._totals) > TOTALS_CACHE:
            self._totals.pop(next(iter(self._totals)))

    @staticmethod
    def _run(db: Any, statement: tuple[str, list[Any]]) -> Any:
        try:
            return db.execute(*statement)
        except sqlite3.OperationalError as exc:  # FTS5 syntax errors surface here
            raise UsageError(f"Cannot run this search: {exc}") from exc

    def _plan(self, db: Any, q: SearchQuery) -> _Plan:
        """The FROM, WHERE, score and distance of a search (temp.near built if geo)."""
        where: list[str] = []
        params: list[Any] = []
        source = "search_docs d"
        score = "0.0"
        match = self._text_match([(n, v) for n in TEXT_SCOPES if (v := getattr(q, n))])
        if match is not None:  # first: its parameters come first in both dialects
            source, clause, values, score = match
            where.append(clause)
            params.extend(values)
        for clause, values in self._filters(q):
            where.append(clause)
            params.extend(values)
        km = "NULL"
        head, head_params = "", list[Any]()
        if q.geo is not None:
            head, head_params, table = self._near(db, q)
            source += f" JOIN {table} n ON n.nct_id = d.nct_id"
            km = "n.km"
        where_sql = " AND ".join(where) or "1 = 1"
        return _Plan(source, where_sql, [*head_params, *params], score, km, head)

    def _text_match(self, texts: list[tuple[str, str]]) -> tuple[str, str, list[Any], str] | None:
        """FROM, WHERE clause, parameters and score of the full-text part, if any."""
        expressions = [
            e for name, value in texts if (e := fts_expression(value, TEXT_SCOPES[name]))
        ]
        if not expressions:
            return None
        # CROSS JOIN keeps the full-text match as the outer loop: run once, not per row
        return (
            "search_fts CROSS JOIN search_docs d ON d.rowid = search_fts.rowid",
            "search_fts MATCH ?",
            [" AND ".join(expressions)],
            f"bm25(search_fts, {', '.join(map(str, WEIGHTS))})",
        )

    @staticmethod
    def _same_text(column: str) -> str:
        """Case-insensitive equality with one parameter."""
        return f"{column} = ? COLLATE NOCASE"

    def _filters(self, q: SearchQuery) -> list[tuple[str, list[Any]]]:
        found: list[tuple[str, list[Any]]] = []
        if q.statuses:
            found.append(_in("d.overall_status", q.statuses))
        if q.study_types:
            found.append(_in("d.study_type", q.study_types))
        if q.phases:
            found.append(_any_bar("d.phases", q.phases))
        if q.intervention_types:
            found.append(_any_bar("d.intervention_types", q.intervention_types))
        if q.nct_ids:
            found.append(_in("d.nct_id", tuple(n.upper() for n in q.nct_ids)))
        if q.age_years is not None:
            found.append(
                (
                    "(d.min_age_years IS NULL OR d.min_age_years <= ?)"
                    " AND (d.max_age_years IS NULL OR d.max_age_years >= ?)",
                    [q.age_years, q.age_years],
                )
            )
        if q.sex:
            found.append(("(d.sex IS NULL OR d.sex IN ('ALL', ?))", [q.sex.upper()]))
        if q.healthy_volunteers is not None:
            found.append(("d.healthy_volunteers = ?", [int(q.healthy_volunteers)]))
        if q.has_results is not None:
            found.append(("coalesce(d.has_results, 0) = ?", [int(q.has_results)]))
        for column, low, high in (
            ("d.start_date", q.start_from, q.start_to),
            ("d.last_update", q.updated_from, q.updated_to),
        ):
            if low:
                found.append((f"{column} >= ?", [low]))
            if high:
                # a partial date ("2020-04") sorts before the days of its month
                found.append((f"{column} <= ?", [high + "~"]))
        site = self._site_conditions(q)
        if site is not None and q.geo is None:
            inner, values = site
            found.append(
                (f"d.nct_id IN (SELECT s.nct_id FROM search_sites s WHERE {inner})", values)
            )
        return found

    def _site_conditions(self, q: SearchQuery) -> tuple[str, list[Any]] | None:
        """Conditions on a site (place and its own status), over ``search_sites s``."""
        parts: list[str] = []
        params: list[Any] = []
        for column, value in (("country", q.country), ("state", q.state), ("city", q.city)):
            if value:
                parts.append(self._same_text(f"s.{column}"))
                params.append(value)
        if q.site_statuses:
            clause, values = _in("s.status", q.site_statuses)
            parts.append(clause)
            params.extend(values)
        return (" AND ".join(parts), params) if parts else None

    def _near(self, db: Any, q: SearchQuery) -> tuple[str, list[Any], str]:
        """temp.near: studies with a matching site within the radius, and the nearest one's km.

        Returns a WITH clause, its parameters and the table to join (none, on SQLite).
        """
        assert q.geo is not None
        geo = q.geo
        where, params = self._near_sites(q)
        db.execute("DROP TABLE IF EXISTS temp.near")
        db.execute(
            "CREATE TEMP TABLE near AS SELECT s.nct_id, min(geo_km(s.lat, s.lon, ?, ?)) AS km"
            f" FROM search_sites s WHERE {' AND '.join(where)} GROUP BY s.nct_id HAVING km <= ?",
            [geo.lat, geo.lon, *params, geo.radius_km],
        )
        db.execute("CREATE INDEX temp.near_study ON near (nct_id)")
        return "", [], "temp.near"

    def _near_sites(self, q: SearchQuery) -> tuple[list[str], list[Any]]:
        """Conditions on ``search_sites s`` for a geo search: the bounding box of the
        radius (served by the point index), and the site's place and status."""
        assert q.geo is not None
        geo = q.geo
        dlat = geo.radius_km / 111.0
        dlon = geo.radius_km / (111.320 * max(0.01, math.cos(math.radians(geo.lat))))
        where = ["s.lat BETWEEN ? AND ?", "s.lon BETWEEN ? AND ?"]
        params: list[Any] = [geo.lat - dlat, geo.lat + dlat, geo.lon - dlon, geo.lon + dlon]
        site = self._site_conditions(q)
        if site is not None:
            where.append(site[0])
            params.extend(site[1])
        return where, params

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

    def _nearest(self, db: Any, nct_ids: list[str], q: SearchQuery) -> dict[str, NearestSite]:
        if q.geo is None or not nct_ids:
            return {}
        marks = ",".join("?" * len(nct_ids))
        params: list[Any] = list(nct_ids)
        status = ""
        if q.site_statuses:
            status = f" AND status IN ({','.join('?' * len(q.site_statuses))})"
            params.extend(q.site_statuses)
        best: dict[str, NearestSite] = {}
        for nct, facility, city, state, country, site_status, lat, lon in db.execute(
            "SELECT nct_id, facility, city, state, country, status, lat, lon FROM search_sites"
            f" WHERE nct_id IN ({marks}) AND lat IS NOT NULL{status}",
            params,
        ):
            km = distance_km(q.geo.lat, q.geo.lon, lat, lon)
            if nct not in best or km < best[nct].distance_km:
                best[nct] = NearestSite(facility, city, state, country, site_status, round(km, 1))
        return best

    # -- related trials --------------------------------------------------------------------

    def related(self, nct_id: str, k: int = 5) -> list[Hit]:
        """Trials sharing the most informative conditions, MeSH terms and interventions,
        plus title words, weighted by how rare each is (IDF)."""
        self.refresh()
        nct_id = nct_id.upper()
        own = self.db.execute(
            "SELECT kind, term FROM search_terms WHERE nct_id = ?", (nct_id,)
        ).fetchall()
        total = max(1, self._doc_count())
        scores: dict[str, float] = {}
        kind_weight = {"condition": 1.0, "mesh": 1.0, "intervention": 0.6, "intervention_mesh": 0.6}
        for kind, term in own:
            others = [
                r[0]
                for r in self.db.execute(
                    "SELECT DISTINCT nct_id FROM search_terms WHERE kind = ? AND term = ?"
                    " AND nct_id != ? LIMIT 5000",
                    (kind, term, nct_id),
                )
            ]
            if not others:
                continue
            weight = kind_weight.get(kind, 0.5) * math.log(1 + total / len(others))
            for other in others:
                scores[other] = scores.get(other, 0.0) + weight
        for other, bonus in self._title_neighbours(nct_id):
            scores[other] = scores.get(other, 0.0) + bonus
        best = sorted(scores, key=lambda n: (-scores[n], n))[:k]
        if not best:
            return []
        marks = ",".join("?" * len(best))
        cards = dict(
            self.db.execute(
                "SELECT d.nct_id, c.card FROM search_docs d JOIN search_cards c"
                f" ON c.rowid = d.rowid WHERE d.nct_id IN ({marks})",
                best,
            )
        )
        return [_hit(n, scores[n], cards[n], None) for n in best if n in cards]

    def _doc_count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM search_docs").fetchone()[0])

    def _title_neighbours(self, nct_id: str) -> list[tuple[str, float]]:
        """Up to 50 trials whose titles share the study's title words, each with a bonus
        of at most 3 (about one rare shared term)."""
        title = self.db.execute(
            "SELECT f.title FROM search_fts f JOIN search_docs d ON d.rowid = f.rowid"
            " WHERE d.nct_id = ?",
            (nct_id,),
        ).fetchone()
        words = title_words(title[0] if title else "")
        if not words:
            return []
        expression = "{title official_title} : (" + " OR ".join(f'"{w}"' for w in words) + ")"
        return [
            (other, min(3.0, -float(rank) / 4))
            for other, rank in self.db.execute(
                "SELECT d.nct_id, bm25(search_fts) FROM search_fts"
                " JOIN search_docs d ON d.rowid = search_fts.rowid"
                " WHERE search_fts MATCH ? AND d.nct_id != ? ORDER BY 2 LIMIT 50",
                (expression, nct_id),
            )
        ]


def facet_tests() -> list[str]:
    """Conditions over a hit's columns, one per phase, intervention type, then results."""
    return (
        [f"phases LIKE '%|{p.value}|%'" for p in Phase]
        + [f"itypes LIKE '%|{k.value}|%'" for k in InterventionType]
        + ["results = 1"]
    )


def shape_facets(
    statuses: list[Any], types: list[Any], counts: Sequence[Any], places: list[Any]
) -> dict[str, dict[str, int]]:
    """The facets dict from (value, count) rows, the facet_tests() counts and
    (kind, value, count) place rows, all most frequent first."""
    phases = [p.value for p in Phase]
    kinds = [t.value for t in InterventionType]
    values = [int(v or 0) for v in counts]
    facets = {
        "overall_status": {str(k): int(v) for k, v in statuses},
        "study_type": {str(k): int(v) for k, v in types},
        "phase": {p: n for p, n in zip(phases, values, strict=False) if n},
        "intervention_type": {
            k: n for k, n in zip(kinds, values[len(phases) :], strict=False) if n
        },
        "has_results": {"true": values[-1]} if values[-1] else {},
    }
    facets["country"], facets["site_status"] = {}, {}
    for kind, value, count in places:
        bucket = facets["country" if kind == "country" else "site_status"]
        if len(bucket) < 30:
            bucket[str(value)] = int(count)
    return facets


def title_words(title: str) -> list[str]:
    return [w for w in _WORDS.findall(title) if len(w) > 3][:12]


def _hit(nct_id: str, score: float, card_json: str, nearest: NearestSite | None) -> Hit:
    card = orjson.loads(card_json)
    return Hit(
        nct_id=nct_id,
        score=round(float(score), 4),
        brief_title=card.get("brief_title"),
        overall_status=card.get("overall_status"),
        phases=tuple(card.get("phases") or ()),
        study_type=card.get("study_type"),
        conditions=tuple(card.get("conditions") or ()),
        interventions=tuple(card.get("interventions") or ()),
        lead_sponsor=card.get("lead_sponsor"),
        last_update_post_date=card.get("last_update_post_date"),
        start_date=card.get("start_date"),
        nearest_site=nearest,
    )
