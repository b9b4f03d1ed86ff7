"""Build the search index rows of a study from its current version.

The store marks a study dirty whenever its current version changes; ``refresh``
re-indexes the dirty ones in batches (one transaction each), so the index
follows imports and syncs without slowing their writes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import orjson

from trialscope.errors import TrialscopeError
from trialscope.record import Study
from trialscope.record.ages import age_in_years
from trialscope.search.gazetteer import locate_site
from trialscope.store import Store
from trialscope.store.dbapi import Connection
from trialscope.vocab import label_of

BATCH = 500

Placer = Callable[[str | None, str | None, str | None], tuple[float, float] | None]


@dataclass(frozen=True, slots=True)
class IndexRows:
    """Everything the index holds for one study."""

    nct_id: str
    doc: tuple[object, ...]
    card: str
    text: tuple[str, ...]
    sites: list[tuple[object, ...]]
    terms: list[tuple[str, str, str]]


def _bars(values: Iterable[object]) -> str | None:
    items = [str(v) for v in values if v]
    return f"|{'|'.join(items)}|" if items else None


def _term(text: str) -> str:
    return " ".join(text.casefold().split())


def intervention_label(kind: object, name: str | None) -> str:
    label = label_of(kind)
    return f"{label}: {name}" if label else str(name)


def rows_for(study: Study, place: Placer) -> IndexRows:
    """Index rows of one study; sites without a geoPoint are placed by ``place``."""
    nct_id = study.nct_id or ""
    p = study.protocol_section
    description = p.description_module if p else None
    eligibility = p.eligibility_module if p else None
    outcomes = p.outcomes_module if p else None
    interventions = study.interventions
    cards = [intervention_label(i.type, i.name) for i in interventions if i.name]
    card = {
        "brief_title": study.brief_title,
        "overall_status": None if study.overall_status is None else str(study.overall_status),
        "phases": [str(x) for x in study.phases],
        "study_type": None if study.study_type is None else str(study.study_type),
        "conditions": study.conditions,
        "interventions": cards,
        "lead_sponsor": study.lead_sponsor,
        "last_update_post_date": study.last_update_post_date,
        "start_date": study.start_date,
    }
    doc = (
        nct_id,
        card["overall_status"],
        _bars(study.phases),
        card["study_type"],
        _bars(sorted({str(i.type) for i in interventions if i.type})),
        age_in_years(study.min_age),
        age_in_years(study.max_age),
        None if eligibility is None or eligibility.sex is None else str(eligibility.sex),
        None
        if eligibility is None or eligibility.healthy_volunteers is None
        else int(eligibility.healthy_volunteers),
        study.start_date,
        study.last_update_post_date,
        None if study.has_results is None else int(study.has_results),
    )
    all_outcomes = [
        o.measure or ""
        for group in (
            (outcomes.primary_outcomes, outcomes.secondary_outcomes, outcomes.other_outcomes)
            if outcomes
            else ()
        )
        for o in group or ()
    ]
    sites: list[tuple[object, ...]] = []
    for site in study.locations:
        point = site.geo_point
        lat: float | None = None
        lon: float | None = None
        placed: str | None = None
        if point is not None and point.lat is not None and point.lon is not None:
            lat, lon, placed = float(point.lat), float(point.lon), "record"
        elif found := place(site.city, site.state, site.country):
            lat, lon, placed = found[0], found[1], "gazetteer"
        status = None if site.status is None else str(site.status)
        sites.append(
            (nct_id, site.facility, site.city, site.state, site.country, status, lat, lon, placed)
        )
    text = (
        study.brief_title or "",
        study.official_title or "",
        study.acronym or "",
        "\n".join(x for x in (description.brief_summary, description.detailed_description) if x)
        if description
        else "",
        "; ".join(study.conditions),
        "; ".join(study.keywords),
        "; ".join(
            name for i in interventions for name in [i.name or "", *(i.other_names or ())] if name
        ),
        "; ".join(all_outcomes),
        eligibility.eligibility_criteria or "" if eligibility else "",
        "; ".join(x for x in [study.lead_sponsor or "", *study.collaborators] if x),
        "; ".join(
            ", ".join(x for x in (s.facility, s.city, s.state, s.country) if x)
            for s in study.locations
        ),
    )
    terms = {("condition", _term(c)) for c in study.conditions}
    terms |= {("intervention", _term(i.name)) for i in interventions if i.name}
    derived = study.derived_section
    for kind, browse in (
        ("mesh", derived.condition_browse_module if derived else None),
        ("intervention_mesh", derived.intervention_browse_module if derived else None),
    ):
        for mesh in (browse.meshes if browse else None) or ():
            if mesh.term:
                terms.add((kind, _term(mesh.term)))
    card_json = orjson.dumps(card).decode()
    return IndexRows(
        nct_id, doc, card_json, text, sites, [(nct_id, k, t) for k, t in sorted(terms)]
    )


def places_of(sites: list[tuple[object, ...]]) -> list[tuple[str, str]]:
    """Distinct (country, site status) facet values of one study's sites."""
    found: dict[tuple[str, str], None] = {}
    for site in sites:
        country, status = site[4], site[5]
        if country:
            found[("country", str(country))] = None
        if status:
            found[("site_status", str(status))] = None
    return list(found)


def _cached_placer() -> Placer:
    seen: dict[tuple[str | None, str | None, str | None], tuple[float, float] | None] = {}

    def place(
        city: str | None, state: str | None, country: str | None
    ) -> tuple[float, float] | None:
        key = (city, state, country)
        if key not in seen:
            seen[key] = locate_site(city, state, country)
        return seen[key]

    return place


def _write(db: Connection, nct_ids: list[str], rows: list[IndexRows]) -> None:
    marks = ",".join("?" * len(nct_ids))
    old = [
        (r[0],)
        for r in db.execute(f"SELECT rowid FROM search_docs WHERE nct_id IN ({marks})", nct_ids)
    ]
    if old:
        for table, key in (
            ("search_fts", "rowid"),
            ("search_cards", "rowid"),
            ("search_places", "doc"),
        ):
            db.executemany(f"DELETE FROM {table} WHERE {key} = ?", old)
    for table in ("search_docs", "search_sites", "search_terms"):
        db.execute(f"DELETE FROM {table} WHERE nct_id IN ({marks})", nct_ids)
    # Explicit rowids let documents and their full text go in as two bulk statements.
    first = int(db.execute("SELECT coalesce(max(rowid), 0) + 1 FROM search_docs").fetchone()[0])
    rowids = range(first, first + len(rows))
    db.executemany(
        "INSERT INTO search_docs (rowid, nct_id, overall_status, phases, study_type,"
        " intervention_types, min_age_years, max_age_years, sex, healthy_volunteers,"
        " start_date, last_update, has_results) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(rowid, *row.doc) for rowid, row in zip(rowids, rows, strict=True)],
    )
    db.executemany(
        "INSERT INTO search_fts (rowid, title, official_title, acronym, summary, conditions,"
        " keywords, interventions, outcomes, eligibility, sponsor, locations)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(rowid, *row.text) for rowid, row in zip(rowids, rows, strict=True)],
    )
    write_side_tables(db, rowids, rows)
    db.execute(f"DELETE FROM search_dirty WHERE nct_id IN ({marks})", nct_ids)


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
    db.executemany(
        "INSERT INTO search_sites (nct_id, facility, city, state, country, status, lat, lon,"
        " placed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [site for row in rows for site in row.sites],
    )
    db.executemany(
        "INSERT INTO search_terms (nct_id, kind, term) VALUES (?, ?, ?)",
        [term for row in rows for term in row.terms],
    )


def build_rows(store: Store, nct_ids: Sequence[str], place: Placer) -> list[IndexRows]:
    rows = []
    for nct_id in nct_ids:
        try:
            rows.append(rows_for(Study.from_json(store.study_bytes(nct_id)), place))
        except TrialscopeError:  # a study gone or unreadable just leaves the index
            continue
    return rows


def refresh(store: Store, on_progress: Callable[[int], None] | None = None) -> int:
    """Index every study waiting in ``search_dirty``; returns how many were indexed."""
    place = _cached_placer()
    if store.dialect == "postgres":
        from trialscope.search import pg_index

        return pg_index.refresh(store, place, on_progress)
    done = 0
    while True:
        nct_ids = [
            r[0] for r in store.conn.execute("SELECT nct_id FROM search_dirty LIMIT ?", (BATCH,))
        ]
        if not nct_ids:
            return done
        rows = build_rows(store, nct_ids, place)
        with store.transaction() as db:
            _write(db, nct_ids, rows)
        done += len(rows)
        if on_progress:
            on_progress(done)


def pending(store: Store) -> int:
    return int(store.conn.execute("SELECT count(*) FROM search_dirty").fetchone()[0])
