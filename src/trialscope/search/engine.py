"""Ranked, filtered, faceted search over the index, and related trials, on either backend.

Two engines answer the same :class:`SearchQuery` with the same filters, totals, facets
and cursors, chosen once in config (``TRIALSCOPE_SEARCH_ENGINE``,
:func:`trialscope.config.search_settings`):

- **tantivy** (the default where an index folder is known): text, document filters,
  the total, facets and the top k from the tantivy index beside the store
  (:mod:`~trialscope.search.tantivy_index`, :mod:`~trialscope.search.tantivy_search`);
  what is about one site (a radius, a site's status, city, state) is resolved here in
  SQL to a set of studies the index then filters by; cards and nearest sites from SQL.
- **sql**: everything in SQL. The filters, paging, caching, nearest sites and related
  trials are here, in SQL both backends run; the full text, distance, snapshots and
  facet statements are its dialect's (:mod:`~trialscope.search.dialect`, chosen once,
  when the engine is made).

``SearchEngine(store)`` works for an SQLite and a PostgreSQL store alike.
"""

from __future__ import annotations

import base64
import hashlib
import math
import threading
from collections import OrderedDict
from dataclasses import asdict, replace
from typing import Any

import orjson

from trialscope.config import SearchSettings
from trialscope.errors import UsageError
from trialscope.search import geo_cells, related
from trialscope.search import tantivy_search as top_k
from trialscope.search.dialect import SearchDialect, dialect_for
from trialscope.search.gazetteer import distance_km
from trialscope.search.index import IndexWriter
from trialscope.search.plan import Plan, any_bar, in_list
from trialscope.search.tantivy_index import TantivyIndex, top_index
from trialscope.search.types import Hit, NearestSite, SearchQuery, SearchResult, SortOrder
from trialscope.store import Store
from trialscope.store.dbapi import Connection

#: SearchQuery fields searched as full text, in the order their expressions combine
TEXT_FIELDS = ("text", "cond", "intr", "titles", "locn", "sponsor")
MAX_LIMIT = 1000
#: (query, index state) → (total, facets) kept per engine; broad queries repeat
TOTALS_CACHE = 256
#: (place and site conditions, index state) → (index filter, km per study)
SITES_CACHE = 16
# The tantivy engine's caches are the process's, shared by a server's threads (each has
# its own engine): their keys name the index state (build and watermark) they hold for.
_TOP_TOTALS: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_SITES: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_SHARED_LOCK = threading.Lock()


def _shared_get(cache: OrderedDict[tuple[Any, ...], Any], key: tuple[Any, ...]) -> Any:
    with _SHARED_LOCK:
        found = cache.get(key)
        if found is not None:
            cache.move_to_end(key)
        return found


def _shared_put(
    cache: OrderedDict[tuple[Any, ...], Any], key: tuple[Any, ...], value: Any, size: int
) -> None:
    with _SHARED_LOCK:
        cache[key] = value
        while len(cache) > size:
            cache.popitem(last=False)


def clear_caches() -> None:
    """Forget the process's cached totals, facets and site filters (benchmarks use it to
    measure searches computed in full)."""
    with _SHARED_LOCK:
        _TOP_TOTALS.clear()
        _SITES.clear()


def _query_key(query: SearchQuery) -> str:
    data = asdict(replace(query, cursor=None, limit=0, with_facets=False))
    return hashlib.sha1(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()[:12]


_NO_CRITERIA = _query_key(SearchQuery())


def _no_criteria(query: SearchQuery) -> bool:
    """A search of every study (in any order, a page of any size)."""
    return _query_key(replace(query, sort=SortOrder.RELEVANCE)) == _NO_CRITERIA


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


class SearchEngine:
    """Search the studies of one store; the index catches up with the store first.

    The store's backend picks the dialect once, here; pass ``dialect`` to choose it.
    The config picks the engine (``settings`` overrides it: ``SearchSettings("sql")``).
    """

    def __init__(
        self,
        store: Store,
        dialect: SearchDialect | None = None,
        settings: SearchSettings | None = None,
    ) -> None:
        self.store = store
        self.db = store.conn
        self.dialect = dialect or dialect_for(store)
        self.index = IndexWriter(store, self.dialect)
        #: the tantivy index that answers searches; None: the SQL engine does
        self.top: TantivyIndex | None = top_index(store, settings)
        self._totals: dict[tuple[Any, ...], tuple[int, dict[str, dict[str, int]]]] = {}
        self._generation = 0
        self.dialect.prepare(self.db)

    @property
    def engine_name(self) -> str:
        return "sql" if self.top is None else "tantivy"

    def refresh(self) -> int:
        done = self.index.refresh()
        if done:
            self._generation += 1
            related.refresh(self.store)
        return done

    # -- searching -----------------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchResult:
        if query.sort is SortOrder.DISTANCE and query.geo is None:
            raise UsageError("Sorting by distance needs a place.", hint="Add --near PLACE.")
        limit = max(1, min(query.limit, MAX_LIMIT))
        offset = decode_cursor(query)
        self.refresh()
        if self.top is not None:
            return self._search_top(self.top, query, limit, offset)
        dialect = self.dialect
        with dialect.snapshot(self.db) as db:
            plan = self._plan(db, query)
            key = (_query_key(query), query.with_facets, dialect.stamp(db), self._generation)
            known = self._totals.get(key)
            if known is None:
                rows, total, facets = dialect.first_page(db, plan, query, limit, offset)
                self._remember(key, (total, facets))
            else:
                # Totals and facets are known for this index state: fetch only the page.
                total, facets = known
                page_sql, page_params = plan.page_direct(query.sort)
                rows = dialect.run(db, (page_sql, [*page_params, limit, offset])).fetchall()
            nearest = self._nearest(db, [r[0] for r in rows], query)
        # scores are lower-is-better (bm25, negated ts_rank_cd); a Hit's is higher-is-better
        hits = [_hit(row[0], -row[1], row[2], nearest.get(row[0])) for row in rows]
        following = offset + len(rows)
        cursor = encode_cursor(query, following) if following < total else None
        return SearchResult(hits=hits, total=total, facets=facets, next_cursor=cursor)

    def _search_top(
        self, top: TantivyIndex, query: SearchQuery, limit: int, offset: int
    ) -> SearchResult:
        """The search in the tantivy index; sites, cards and nearest sites from SQL."""
        index, searcher, shows = top.searcher(self.store)
        only, km = self._site_filter(index, searcher, query, shows)
        tq = top_k.build_query(index, query, only)
        key = (_query_key(query), query.with_facets, shows)
        known = _shared_get(_TOP_TOTALS, key)
        if known is None and top.everything is not None and _no_criteria(query):
            # every study: the replay that wrote this index state counted it
            facets = top.everything["facets"] if query.with_facets else {}
            known = (int(top.everything["total"]), facets)
        if query.sort is SortOrder.DISTANCE:
            every = top_k.all_hits(searcher, tq, len(km))  # a radius: matches are in km
            total = len(every)
            # the SQL order: nearest first, then the better score, then a stable key
            every.sort(key=lambda hit: (km[hit[0]], -hit[1], hit[0]))
            page = every[offset : offset + limit]
        else:
            # with facets, their pass over the matches also counts them (top_k.counted)
            counting = known is None and not query.with_facets
            found = top_k.top(searcher, tq, query, limit, offset, count=counting)
            page = found.hits
            total = known[0] if known is not None else int(found.total or 0)
        if known is None:
            facets = {}
            if query.with_facets:
                total, facets = top_k.counted(searcher, tq)
            _shared_put(_TOP_TOTALS, key, (total, facets), TOTALS_CACHE)
        else:
            facets = known[1]
        ids = [nct for nct, _ in page]
        with self.dialect.snapshot(self.db) as db:
            cards = self._cards(db, ids)
            nearest = self._nearest(db, ids, query)
        hits = [_hit(n, score, cards[n], nearest.get(n)) for n, score in page if n in cards]
        following = offset + len(page)
        cursor = encode_cursor(query, following) if following < total else None
        return SearchResult(hits=hits, total=total, facets=facets, next_cursor=cursor)

    def _site_filter(
        self, index: Any, searcher: Any, q: SearchQuery, shows: str
    ) -> tuple[Any, dict[str, float]]:
        """The index filter of the studies a site condition allows (None: no condition)
        and, for a distance order, each match's km; kept per query and index state. A
        radius is the index's own site cells where it can be (no city, state or country
        with it), else resolved in SQL (``_site_studies``)."""
        key = (shows, self.store.location, _query_key(q))
        known: tuple[Any, dict[str, float]] | None = _shared_get(_SITES, key)
        if known is not None:
            return known
        covered = None
        if q.geo is not None and not (q.country or q.state or q.city):
            covered = geo_cells.cover(q.geo.lat, q.geo.lon, q.geo.radius_km)
        if covered is not None:
            found: tuple[Any, dict[str, float]] = self._cells(index, searcher, q, covered)
        else:
            with self.dialect.snapshot(self.db) as db:
                ids, km = self._site_studies(db, q)
            found = (None if ids is None else top_k.only_query(index, ids), km)
        _shared_put(_SITES, key, found, SITES_CACHE)
        return found

    def _cells(
        self, index: Any, searcher: Any, q: SearchQuery, covered: geo_cells.Cover
    ) -> tuple[Any, dict[str, float]]:
        """A radius as index cells: any study with a (matching) site in a cell inside
        it, or one of the query's matches with a site in an edge cell that SQL finds
        within the radius, as the SQL engine measures it. For a distance order, the km
        of every match (few: the query's own), from SQL."""
        statuses = q.site_statuses
        inside = geo_cells.with_status(covered.inside, statuses) if statuses else covered.inside
        edge = geo_cells.with_status(covered.edge, statuses) if statuses else covered.edge
        rest = top_k.build_query(index, q, None)  # the query's text and document filters
        parts = [top_k.terms(index, "cell", inside)] if inside else []
        if edge:
            near_edge = top_k.all_of([rest, top_k.terms(index, "cell", edge)])
            exact = self._near_km(top_k.matching_ids(searcher, near_edge), q)
            if exact:
                parts.append(top_k.only_query(index, exact))
        cells = top_k.any_of(parts)
        if q.sort is not SortOrder.DISTANCE:
            return cells, {}
        ids = top_k.matching_ids(searcher, top_k.all_of([rest, cells]))
        return cells, self._near_km(ids, q)

    def _near_km(self, nct_ids: list[str], q: SearchQuery) -> dict[str, float]:
        """Of these studies, those with a matching site within the radius, and its km."""
        assert q.geo is not None
        km: dict[str, float] = {}
        with self.dialect.snapshot(self.db) as db:
            for start in range(0, len(nct_ids), 2000):
                chunk = nct_ids[start : start + 2000]
                where, params = self._near_sites(q)
                where.append(f"s.nct_id IN ({','.join('?' * len(chunk))})")
                head, head_params, table = self.dialect.near(db, q.geo, where, [*params, *chunk])
                rows = db.execute(f"{head}SELECT nct_id, km FROM {table}", head_params)
                km.update((str(n), float(k)) for n, k in rows)
        return km

    def _site_studies(self, db: Any, q: SearchQuery) -> tuple[set[str] | None, dict[str, float]]:
        """The studies a site condition allows (None: no such condition) and, with a
        radius, each one's nearest matching site in km. A country alone is the index's."""
        if q.geo is not None:
            site_where, site_params = self._near_sites(q)
            head, head_params, table = self.dialect.near(db, q.geo, site_where, site_params)
            rows = db.execute(f"{head}SELECT nct_id, km FROM {table}", head_params).fetchall()
            km = {str(n): float(k) for n, k in rows}
            return set(km), km
        if top_k.country_only(q):
            return None, {}
        site = self._site_conditions(q)
        if site is None:
            return None, {}
        inner, values = site
        rows = db.execute(f"SELECT DISTINCT s.nct_id FROM search_sites s WHERE {inner}", values)
        return {str(r[0]) for r in rows}, {}

    def _cards(self, db: Any, nct_ids: list[str]) -> dict[str, str]:
        if not nct_ids:
            return {}
        marks = ",".join("?" * len(nct_ids))
        return {
            str(n): str(c)
            for n, c in db.execute(
                "SELECT d.nct_id, c.card FROM search_docs d JOIN search_cards c"
                f" ON c.rowid = d.rowid WHERE d.nct_id IN ({marks})",
                nct_ids,
            )
        }

    def _remember(self, key: tuple[Any, ...], value: tuple[int, dict[str, dict[str, int]]]) -> None:
        self._totals[key] = value
        while len(self._totals) > TOTALS_CACHE:
            self._totals.pop(next(iter(self._totals)))

    def _plan(self, db: Any, q: SearchQuery) -> Plan:
        """The FROM, WHERE, score and distance of a search."""
        where: list[str] = []
        params: list[Any] = []
        source = "search_docs d"
        score = "0.0"
        match = self.dialect.text_match([(n, v) for n in TEXT_FIELDS if (v := getattr(q, n))])
        if match is not None:  # first: its parameters come first in both dialects
            source = match.source
            where.append(match.where)
            params.extend(match.params)
            score = match.score
        for clause, values in self._filters(q):
            where.append(clause)
            params.extend(values)
        km = "NULL"
        head, head_params = "", list[Any]()
        if q.geo is not None:
            site_where, site_params = self._near_sites(q)
            head, head_params, table = self.dialect.near(db, q.geo, site_where, site_params)
            source += f" JOIN {table} n ON n.nct_id = d.nct_id"
            km = "n.km"
        where_sql = " AND ".join(where) or "1 = 1"
        return Plan(source, where_sql, [*head_params, *params], score, km, head)

    def _filters(self, q: SearchQuery) -> list[tuple[str, list[Any]]]:
        found: list[tuple[str, list[Any]]] = []
        if q.statuses:
            found.append(in_list("d.overall_status", q.statuses))
        if q.study_types:
            found.append(in_list("d.study_type", q.study_types))
        if q.phases:
            found.append(any_bar("d.phases", q.phases))
        if q.intervention_types:
            found.append(any_bar("d.intervention_types", q.intervention_types))
        if q.nct_ids:
            found.append(in_list("d.nct_id", tuple(n.upper() for n in q.nct_ids)))
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
                parts.append(self.dialect.same_text(f"s.{column}"))
                params.append(value)
        if q.site_statuses:
            clause, values = in_list("s.status", q.site_statuses)
            parts.append(clause)
            params.extend(values)
        return (" AND ".join(parts), params) if parts else None

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

    def _nearest(self, db: Any, nct_ids: list[str], q: SearchQuery) -> dict[str, NearestSite]:
        if q.geo is None or not nct_ids:
            return {}
        marks = ",".join("?" * len(nct_ids))
        # Only sites in the radius's box: each hit has a matching site within the radius,
        # so its nearest one is there too (a trial with 1,000 sites reads a few).
        anywhere = replace(q, site_statuses=(), country=None, state=None, city=None)
        box, box_params = self._near_sites(anywhere)
        params: list[Any] = [*nct_ids, *box_params]
        status = f" AND {' AND '.join(box)}"
        if q.site_statuses:
            status += f" AND status IN ({','.join('?' * len(q.site_statuses))})"
            params.extend(q.site_statuses)
        best: dict[str, NearestSite] = {}
        for nct, facility, city, state, country, site_status, lat, lon in db.execute(
            "SELECT nct_id, facility, city, state, country, status, lat, lon FROM search_sites s"
            f" WHERE nct_id IN ({marks}) AND lat IS NOT NULL{status}",
            params,
        ):
            km = distance_km(q.geo.lat, q.geo.lon, lat, lon)
            if nct not in best or km < best[nct].distance_km:
                best[nct] = NearestSite(facility, city, state, country, site_status, round(km, 1))
        return best

    # -- related trials --------------------------------------------------------------------

    def related(self, nct_id: str, k: int = 5) -> list[Hit]:
        """The trials most like ``nct_id`` (trialscope.search.related), as stored when the
        index was refreshed (after refreshing it); computed now only when its list is
        missing. A web page reads :func:`stored_related` instead."""
        nct_id = nct_id.upper()
        self.refresh()
        found = stored_related(self.db, nct_id, k)
        if found is not None:
            return found
        return _with_cards(self.db, related.compute_one(self.store, nct_id, k))


def stored_related(db: Connection, nct_id: str, k: int = 5) -> list[Hit] | None:
    """The related trials a refresh stored for ``nct_id`` with their cards, None when its
    list is not stored. Two indexed reads on the store's connection: no search engine
    (a server thread would otherwise open one, and the tantivy index, for a side panel),
    no refresh, nothing computed (at 500k a missing list costs seconds)."""
    found = related.stored(db, nct_id.upper(), k)
    return None if found is None else _with_cards(db, found)


def _with_cards(db: Connection, found: list[tuple[str, float]]) -> list[Hit]:
    if not found:
        return []
    best = [n for n, _ in found]
    scores = dict(found)
    marks = ",".join("?" * len(best))
    cards = dict(
        db.execute(
            "SELECT d.nct_id, c.card FROM search_docs d JOIN search_cards c"
            f" ON c.rowid = d.rowid WHERE d.nct_id IN ({marks})",
            best,
        )
    )
    return [_hit(n, scores[n], cards[n], None) for n in best if n in cards]


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
