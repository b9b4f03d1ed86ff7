"""The search page (``/`` and ``/search``): a form with facet counts, results as cards."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import QueryParams

from trialscope.errors import UsageError
from trialscope.search import GeoFilter, SearchQuery, SearchResult, SortOrder, locate_place
from trialscope.vocab import InterventionType, Phase, RecruitmentStatus, Status, StudyType

from .app import Backend, backend, templates
from .related import engine_for

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 20
KM_PER_MILE = 1.609344
_SORTS = {
    "relevance": SortOrder.RELEVANCE,
    "distance": SortOrder.DISTANCE,
    "updated": SortOrder.LAST_UPDATE,
    "start": SortOrder.START_DATE,
}
#: form field → (facet name, vocabulary, legend)
FACETS: dict[str, tuple[str, Any, str]] = {
    "status": ("overall_status", Status, "Trial status"),
    "phase": ("phase", Phase, "Phase"),
    "type": ("study_type", StudyType, "Study type"),
    "itype": ("intervention_type", InterventionType, "Intervention type"),
    "site_status": ("site_status", RecruitmentStatus, "Site status"),
}


@dataclass
class SearchForm:
    """What the form asked, kept as text so it can be shown back as typed."""

    q: str = ""
    cond: str = ""
    intr: str = ""
    age: str = ""
    sex: str = ""
    hv: bool = False
    near: str = ""
    radius: str = "50"
    unit: str = "km"
    country: str = ""
    sort: str = "relevance"
    cursor: str = ""
    lists: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_request(cls, request: Request) -> SearchForm:
        return cls.from_params(request.query_params)

    @classmethod
    def from_params(cls, params: QueryParams) -> SearchForm:
        """From a query string (the page's own, or one a saved-search form posts)."""

        def text(name: str, default: str = "") -> str:
            return (params.get(name) or default).strip()[:300]

        lists = {name: [v for v in params.getlist(name) if v][:30] for name in FACETS}
        return cls(
            q=text("q"),
            cond=text("cond"),
            intr=text("intr"),
            age=text("age"),
            sex=text("sex").upper(),
            hv=params.get("hv") == "yes",
            near=text("near"),
            radius=text("radius", "50"),
            unit="mi" if params.get("unit") == "mi" else "km",
            country=text("country"),
            sort=text("sort", "relevance"),
            cursor=text("cursor"),
            lists=lists,
        )

    def query(self) -> tuple[SearchQuery, str | None]:
        """The engine query, and the place's label when one was given."""
        for name, (_, vocab, legend) in FACETS.items():
            unknown = [v for v in self.lists[name] if v not in vocab._value2member_map_]
            if unknown:
                raise UsageError(f"Unknown {legend.lower()} {unknown[0]!r}.")
        age = None
        if self.age:
            try:
                age = float(self.age)
            except ValueError:
                age = -1.0
            if not 0 <= age <= 130:
                raise UsageError(f"The age {self.age!r} is not a number of years from 0 to 130.")
        geo = None
        place = None
        if self.near:
            try:
                radius = float(self.radius or "50")
            except ValueError:
                radius = -1.0
            if not 0 < radius <= 20000:
                raise UsageError(f"The distance {self.radius!r} is not a number above 0.")
            found = locate_place(self.near)
            place = found.label
            km = radius * (KM_PER_MILE if self.unit == "mi" else 1.0)
            geo = GeoFilter(lat=found.lat, lon=found.lon, radius_km=km, label=found.label)
        sort = _SORTS.get(self.sort, SortOrder.RELEVANCE)
        if sort is SortOrder.DISTANCE and geo is None:
            sort = SortOrder.RELEVANCE
        query = SearchQuery(
            text=self.q or None,
            cond=self.cond or None,
            intr=self.intr or None,
            statuses=tuple(self.lists["status"]),
            phases=tuple(self.lists["phase"]),
            study_types=tuple(self.lists["type"]),
            intervention_types=tuple(self.lists["itype"]),
            site_statuses=tuple(self.lists["site_status"]),
            age_years=age,
            sex=self.sex if self.sex in ("FEMALE", "MALE") else None,
            healthy_volunteers=True if self.hv else None,
            country=self.country or None,
            geo=geo,
            sort=sort,
            limit=PAGE_SIZE,
            cursor=self.cursor or None,
        )
        return query, place

    def params(self, **override: str) -> str:
        """This search's query string (without the cursor unless given)."""
        pairs: list[tuple[str, str]] = []
        for name in ("q", "cond", "intr", "age", "sex", "near", "radius", "unit", "country"):
            value = str(getattr(self, name))
            if value and not (name in ("radius", "unit") and not self.near):
                pairs.append((name, value))
        if self.hv:
            pairs.append(("hv", "yes"))
        for name, values in self.lists.items():
            pairs += [(name, v) for v in values]
        if self.sort != "relevance":
            pairs.append(("sort", self.sort))
        pairs += list(override.items())
        return urlencode(pairs)


def facet_options(form: SearchForm, result: SearchResult | None) -> list[dict[str, Any]]:
    """Checkbox groups: every value with matches, plus the checked ones, with counts."""
    groups = []
    for name, (facet, vocab, legend) in FACETS.items():
        counts = result.facets.get(facet, {}) if result else {}
        chosen = form.lists.get(name, [])
        values = [v for v in vocab._value2member_map_ if counts.get(v) or v in chosen]
        options = [
            {
                "value": v,
                "label": vocab(v).label,
                "count": counts.get(v, 0),
                "checked": v in chosen,
                "id": f"{name}-{v.lower()}",
            }
            for v in values
        ]
        if options:
            groups.append({"name": name, "legend": legend, "options": options})
    return groups


@router.get("/", response_class=HTMLResponse)
@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, state: Annotated[Backend, Depends(backend)]) -> Response:
    """Find trials: free text, condition, filters, a place and a radius; works without JS."""
    form = SearchForm.from_request(request)
    result: SearchResult | None = None
    problem: UsageError | None = None
    place = None
    try:
        query, place = form.query()
        result = engine_for(state).search(query)
    except UsageError as exc:
        problem = exc
    countries = sorted((result.facets.get("country", {}) if result else {}).items())
    context = {
        "form": form,
        "result": result,
        "problem": problem,
        "place": place,
        "groups": facet_options(form, result),
        "countries": countries,
        "next_url": f"/search?{form.params(cursor=result.next_cursor)}"
        if result and result.next_cursor
        else None,
        "first_url": f"/search?{form.params()}" if form.cursor else None,
        "title": "Find clinical trials" if not form.q else f"{form.q} — trials",
    }
    status = 400 if problem else 200
    return templates(request).TemplateResponse(request, "search.html", context, status_code=status)
