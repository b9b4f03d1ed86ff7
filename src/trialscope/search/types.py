"""What a search asks and what it answers: the contract between the engine and its callers
(CLI, JSON API, web app, matcher)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class SortOrder(StrEnum):
    RELEVANCE = "relevance"
    DISTANCE = "distance"
    LAST_UPDATE = "last_update"
    START_DATE = "start_date"


@dataclass(frozen=True, slots=True)
class GeoFilter:
    """Within ``radius_km`` of a point, counting only sites whose own status matches."""

    lat: float
    lon: float
    radius_km: float
    #: a label for display ("Shanghai, CN"), when the point came from a place name
    label: str | None = None


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """Everything a search can ask. Text fields are full-text queries (BM25 with field
    boosts); the rest are filters that do not change ranking."""

    text: str | None = None
    cond: str | None = None
    intr: str | None = None
    titles: str | None = None
    locn: str | None = None
    sponsor: str | None = None
    statuses: tuple[str, ...] = ()
    #: site-level statuses a matching site must have (geo filter and facets use it)
    site_statuses: tuple[str, ...] = ()
    phases: tuple[str, ...] = ()
    study_types: tuple[str, ...] = ()
    intervention_types: tuple[str, ...] = ()
    #: the patient's age in years: must fall within the trial's min/max age
    age_years: float | None = None
    #: FEMALE or MALE: trials open to that sex (ALL included)
    sex: str | None = None
    healthy_volunteers: bool | None = None
    country: str | None = None
    state: str | None = None
    city: str | None = None
    geo: GeoFilter | None = None
    #: ISO dates (YYYY-MM-DD), inclusive
    start_from: str | None = None
    start_to: str | None = None
    updated_from: str | None = None
    updated_to: str | None = None
    has_results: bool | None = None
    nct_ids: tuple[str, ...] = ()
    sort: SortOrder = SortOrder.RELEVANCE
    limit: int = 10
    #: opaque token from a previous result's ``next_cursor``
    cursor: str | None = None
    with_facets: bool = True


@dataclass(frozen=True, slots=True)
class NearestSite:
    facility: str | None
    city: str | None
    state: str | None
    country: str | None
    status: str | None
    distance_km: float


@dataclass(frozen=True, slots=True)
class Hit:
    """One matching trial, with what a result card (seed 001) shows."""

    nct_id: str
    score: float
    brief_title: str | None
    overall_status: str | None
    phases: tuple[str, ...]
    study_type: str | None
    conditions: tuple[str, ...]
    #: "Drug: Capecitabine" style labels
    interventions: tuple[str, ...]
    lead_sponsor: str | None
    last_update_post_date: str | None
    start_date: str | None
    nearest_site: NearestSite | None = None

    def to_json(self) -> dict[str, Any]:
        """The one JSON form: CLI ``--json`` and MCP ``search_trials``."""
        site = self.nearest_site
        return {
            "nct_id": self.nct_id,
            "score": self.score,
            "brief_title": self.brief_title,
            "overall_status": self.overall_status,
            "phases": list(self.phases),
            "study_type": self.study_type,
            "conditions": list(self.conditions),
            "interventions": list(self.interventions),
            "lead_sponsor": self.lead_sponsor,
            "last_update_post_date": self.last_update_post_date,
            "start_date": self.start_date,
            "nearest_site": None
            if site is None
            else {**asdict(site), "distance_km": round(site.distance_km, 1)},
        }


@dataclass(frozen=True, slots=True)
class SearchResult:
    hits: list[Hit]
    total: int
    #: facet name → value → count, over all matches (not only this page)
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    next_cursor: str | None = None
