"""The search page (``/`` and ``/search``): a form with facet counts, results as cards."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import QueryParams

from trialscope.errors import UsageError
from trialscope.search import SearchQuery, SearchResult, SortOrder
from trialscope.search.request import (
    MAX_ITEMS,
    MAX_TEXT,
    SearchRequest,
    plain_number,
    split_radius,
)
from trialscope.web.app import Backend, backend, templates
from trialscope.web.related import engine_for

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 20
_SORTS = {
    "relevance": SortOrder.RELEVANCE,
    "distance": SortOrder.DISTANCE,
    "updated": SortOrder.LAST_UPDATE,
    "start": SortOrder.START_DATE,
}
_LIST = tuple[str, ...]
#: form field → (facet name, vocabulary, legend), from the request's lists of codes
FACETS: dict[str, tuple[str, Any, str]] = {
    s.form: (s.facet or name, s.codes, s.legend)
    for name, info, s in SearchRequest.surfaces()
    if info.annotation == _LIST
}
#: the radius's number, shown in the form until someone types another
_RADIUS, _UNIT = split_radius(SearchRequest.model_fields["radius"].default)


def request_params(request: SearchRequest) -> list[tuple[str, str]]:
    """The form fields that ask for ``request`` (the inverse of ``SearchForm.request``)."""
    pairs: list[tuple[str, str]] = []
    for name, _, surface in SearchRequest.surfaces():
        value = getattr(request, name)
        if name == "radius":
            if request.near or value != SearchRequest.model_fields[name].default:
                number, unit = split_radius(value)
                pairs += [(surface.form, number), ("unit", unit)]
        elif isinstance(value, tuple):
            pairs += [(surface.form, code) for code in value]
        elif isinstance(value, bool):
            pairs.append((surface.form, "yes" if value else "no"))
        elif isinstance(value, float):
            pairs.append((surface.form, plain_number(value)))
        elif value is not None:
            pairs.append((surface.form, str(value)))
    return pairs


@dataclass
class SearchForm:
    """What the form asked, kept as typed so it can be shown back: one text per field of
    :class:`SearchRequest` (under its form name), a list per list of codes, the radius's
    unit, and the page's own sort and cursor."""

    values: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)
    sort: str = "relevance"
    cursor: str = ""

    @classmethod
    def from_request(cls, request: Request) -> SearchForm:
        return cls.from_params(request.query_params)

    @classmethod
    def from_params(cls, params: QueryParams) -> SearchForm:
        """From a query string (the page's own, or one a saved-search form posts)."""

        def text(name: str) -> str:
            return (params.get(name) or "").strip()[:MAX_TEXT]

        values: dict[str, str] = {}
        lists: dict[str, list[str]] = {}
        for _, info, surface in SearchRequest.surfaces():
            if info.annotation == _LIST:
                lists[surface.form] = [v for v in params.getlist(surface.form) if v][:MAX_ITEMS]
            else:
                values[surface.form] = text(surface.form)
        values["radius"] = values["radius"] or _RADIUS
        values["unit"] = "mi" if params.get("unit") == "mi" else "km"
        return cls(values, lists, sort=text("sort") or "relevance", cursor=text("cursor"))

    def request(self) -> SearchRequest:
        """The search the form asks for; a bad field is a UsageError the page explains."""
        data: dict[str, Any] = {}
        for name, info, surface in SearchRequest.surfaces():
            if info.annotation == _LIST:
                data[name] = self.lists.get(surface.form, [])
                continue
            typed = self.values.get(surface.form, "")
            if name == "radius":
                data[name] = (typed or _RADIUS) + self.values.get("unit", _UNIT)
            elif info.annotation == bool | None:
                data[name] = {"yes": True, "no": False}.get(typed)
            elif typed:
                data[name] = typed
        return SearchRequest.from_values(data)

    def query(self) -> tuple[SearchQuery, str | None]:
        """The engine query, and the place's label when one was given."""
        request = self.request()
        sort = _SORTS.get(self.sort, SortOrder.RELEVANCE)
        if sort is SortOrder.DISTANCE and not request.near:
            sort = SortOrder.RELEVANCE
        query = request.to_query(sort=sort, limit=PAGE_SIZE, cursor=self.cursor or None)
        return query, query.geo.label if query.geo else None

    def params(self, **override: str) -> str:
        """This search's query string (without the cursor unless given)."""
        pairs: list[tuple[str, str]] = []
        near = self.values.get("near")
        for name, value in self.values.items():
            if value and not (name in ("radius", "unit") and not near):
                pairs.append((name, value))
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
        "title": f"{q} — trials" if (q := form.values.get("q")) else "Find clinical trials",
    }
    status = 400 if problem else 200
    return templates(request).TemplateResponse(request, "search.html", context, status_code=status)
