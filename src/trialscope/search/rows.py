"""A study's rows in the search index, built from its current version, as named rows
whose field names are the index columns (the writers take their column lists from them).
No SQL here: writing them is :mod:`trialscope.search.index` and the dialects."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import NamedTuple

import orjson

from trialscope.record import Study
from trialscope.record.ages import age_in_years
from trialscope.search.geo_cells import LOGGED_AS, site_cells
from trialscope.store.codec import compress, decompress
from trialscope.vocab import label_of

Placer = Callable[[str | None, str | None, str | None], tuple[float, float] | None]


class DocRow(NamedTuple):
    """A study's row in ``search_docs``: what the filters and orders read."""

    nct_id: str
    overall_status: str | None
    #: ``|PHASE1|PHASE2|``
    phases: str | None
    study_type: str | None
    #: ``|DRUG|PROCEDURE|``
    intervention_types: str | None
    min_age_years: float | None
    max_age_years: float | None
    sex: str | None
    healthy_volunteers: int | None
    start_date: str | None
    last_update: str | None
    has_results: int | None


class TextRow(NamedTuple):
    """A study's searchable text, one field per full-text column (in table order)."""

    title: str
    official_title: str
    acronym: str
    summary: str
    conditions: str
    keywords: str
    interventions: str
    outcomes: str
    eligibility: str
    sponsor: str
    locations: str


class SiteRow(NamedTuple):
    """One site in ``search_sites``: distance, place filters and facets."""

    nct_id: str
    facility: str | None
    city: str | None
    state: str | None
    country: str | None
    status: str | None
    lat: float | None
    lon: float | None
    #: where the point came from: ``record`` (its geoPoint) or ``gazetteer``
    placed: str | None


class TermRow(NamedTuple):
    """A condition, intervention or MeSH term of a study, for related trials."""

    nct_id: str
    kind: str
    term: str


@dataclass(frozen=True, slots=True)
class IndexRows:
    """Everything the index holds for one study."""

    nct_id: str
    doc: DocRow
    card: str
    text: TextRow
    sites: list[SiteRow]
    terms: list[TermRow]


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
    overall = None if study.overall_status is None else str(study.overall_status)
    study_type = None if study.study_type is None else str(study.study_type)
    card = {
        "brief_title": study.brief_title,
        "overall_status": overall,
        "phases": [str(x) for x in study.phases],
        "study_type": study_type,
        "conditions": study.conditions,
        "interventions": cards,
        "lead_sponsor": study.lead_sponsor,
        "last_update_post_date": study.last_update_post_date,
        "start_date": study.start_date,
    }
    doc = DocRow(
        nct_id=nct_id,
        overall_status=overall,
        phases=_bars(study.phases),
        study_type=study_type,
        intervention_types=_bars(sorted({str(i.type) for i in interventions if i.type})),
        min_age_years=age_in_years(study.min_age),
        max_age_years=age_in_years(study.max_age),
        sex=None if eligibility is None or eligibility.sex is None else str(eligibility.sex),
        healthy_volunteers=None
        if eligibility is None or eligibility.healthy_volunteers is None
        else int(eligibility.healthy_volunteers),
        start_date=study.start_date,
        last_update=study.last_update_post_date,
        has_results=None if study.has_results is None else int(study.has_results),
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
    sites: list[SiteRow] = []
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
            SiteRow(
                nct_id, site.facility, site.city, site.state, site.country, status, lat, lon, placed
            )
        )
    text = TextRow(
        title=study.brief_title or "",
        official_title=study.official_title or "",
        acronym=study.acronym or "",
        summary="\n".join(
            x for x in (description.brief_summary, description.detailed_description) if x
        )
        if description
        else "",
        conditions="; ".join(study.conditions),
        keywords="; ".join(study.keywords),
        interventions="; ".join(
            name for i in interventions for name in [i.name or "", *(i.other_names or ())] if name
        ),
        outcomes="; ".join(all_outcomes),
        eligibility=eligibility.eligibility_criteria or "" if eligibility else "",
        sponsor="; ".join(x for x in [study.lead_sponsor or "", *study.collaborators] if x),
        locations="; ".join(
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
        nct_id, doc, card_json, text, sites, [TermRow(nct_id, k, t) for k, t in sorted(terms)]
    )


def places_of(sites: list[SiteRow]) -> list[tuple[str, str]]:
    """Distinct (country, site status) facet values of one study's sites."""
    found: dict[tuple[str, str], None] = {}
    for site in sites:
        if site.country:
            found[("country", str(site.country))] = None
        if site.status:
            found[("site_status", str(site.status))] = None
    return list(found)


def engine_doc(row: IndexRows) -> bytes:
    """What a top-k index (:mod:`trialscope.search.tantivy_index`) holds of a study, as
    compressed JSON in the store's change log (``search_log.doc``): its filter columns,
    its full-text fields and its distinct site countries and statuses. Raw values, so the
    index's own encoding can change without reading a single study again; and the cells
    of its placed sites (``geo_cells.LOGGED_AS``), which the replay would otherwise make
    from the sites written beside this document (a fifth of a rebuild's CPU)."""
    places = places_of(row.sites)
    points = [
        (float(s.lat), float(s.lon), s.status)
        for s in row.sites
        if s.lat is not None and s.lon is not None
    ]
    data = {
        **row.doc._asdict(),
        **row.text._asdict(),
        "countries": [v for k, v in places if k == "country"],
        "site_statuses": [v for k, v in places if k == "site_status"],
        LOGGED_AS: site_cells(points),
    }
    return compress(orjson.dumps(data))


def read_engine_doc(blob: bytes) -> dict[str, object]:
    found: dict[str, object] = orjson.loads(decompress(bytes(blob)))
    return found
