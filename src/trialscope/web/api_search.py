"""``GET /api/v2/studies``: CT.gov API v2 search parameters in, its response shape out."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from trialscope.search import SearchEngine, SearchResult
from trialscope.web.advanced import And, matches
from trialscope.web.app import Backend, backend
from trialscope.web.ctgov_params import Plan, encode_token, plan_from_params
from trialscope.web.errors import ERROR_RESPONSES, BadParameter
from trialscope.web.fields import project
from trialscope.web.related import engine_for

router = APIRouter(prefix="/api/v2", tags=["studies"], responses=ERROR_RESPONSES)

#: studies checked one by one for the parts of filter.advanced the index cannot run
MAX_CHECKED = 50_000
_SCAN_PAGE = 1000


class StudiesPage(BaseModel):
    """One page of studies, as CT.gov's ``PagedStudies``."""

    studies: list[dict[str, Any]]
    nextPageToken: str | None = None
    totalCount: int | None = None


def _pages(engine: SearchEngine, plan: Plan) -> Iterator[SearchResult]:
    cursor: str | None = None
    while True:
        result = engine.search(replace(plan.query, limit=_SCAN_PAGE, cursor=cursor))
        yield result
        cursor = result.next_cursor
        if cursor is None:
            return


def _checked(state: Backend, plan: Plan) -> tuple[list[str], dict[str, bytes]]:
    """Every match that also passes the per-study checks, in the engine's order."""
    store = state.store()
    condition = And(tuple(plan.residue))
    kept: list[str] = []
    raw: dict[str, bytes] = {}
    checked = 0
    wanted = plan.offset + plan.page_size
    for result in _pages(engine_for(state), plan):
        if result.total > MAX_CHECKED:
            raise BadParameter(
                f"This search needs {result.total:,} studies checked one by one"
                f" (more than {MAX_CHECKED:,}).",
                hint="Narrow it with query.* or filter.overallStatus first, or use AREA"
                " filters the index runs (status, phase, type, ages, start and update dates).",
            )
        for hit in result.hits:
            checked += 1
            data = store.study_bytes(hit.nct_id)
            if matches(condition, orjson.loads(data)):
                kept.append(hit.nct_id)
                if len(kept) <= wanted:
                    raw[hit.nct_id] = data
    return kept, raw


def _body(
    state: Backend, plan: Plan, ids: list[str], raw: dict[str, bytes], token: str | None, total: int
) -> bytes:
    store = state.store()
    studies = []
    for nct in ids:
        data = raw.get(nct) or store.study_bytes(nct)
        if plan.fields:
            data = orjson.dumps(project(orjson.loads(data), plan.fields))
        studies.append(data)
    parts = [b'{"studies":[', b",".join(studies), b"]"]
    if token:
        parts.append(b',"nextPageToken":' + orjson.dumps(token))
    if plan.count_total:
        parts.append(b',"totalCount":' + str(total).encode())
    parts.append(b"}")
    return b"".join(parts)


def run(state: Backend, plan: Plan) -> bytes:
    """One page of a planned search, as the JSON bytes CT.gov would send."""
    if not plan.residue:
        query = replace(plan.query, limit=plan.page_size, cursor=plan.cursor)
        result = engine_for(state).search(query)
        token = encode_token(plan, cursor=result.next_cursor) if result.next_cursor else None
        return _body(state, plan, [h.nct_id for h in result.hits], {}, token, result.total)
    kept, raw = _checked(state, plan)
    page = kept[plan.offset : plan.offset + plan.page_size]
    following = plan.offset + len(page)
    token = encode_token(plan, offset=following) if following < len(kept) else None
    return _body(state, plan, page, raw, token, len(kept))


Text = Annotated[str | None, Query(max_length=2000)]


@router.get(
    "/studies",
    summary="Search studies with CT.gov API v2 parameters",
    response_class=Response,
    responses={200: {"model": StudiesPage, "description": "One page of studies"}},
)
def list_studies(
    request: Request,
    state: Annotated[Backend, Depends(backend)],
    cond: Annotated[Text, Query(alias="query.cond", description="Conditions or disease")] = None,
    term: Annotated[
        Text, Query(alias="query.term", description="Other terms; AREA[...] expressions too")
    ] = None,
    intr: Annotated[Text, Query(alias="query.intr", description="Interventions")] = None,
    locn: Annotated[Text, Query(alias="query.locn", description="Location terms")] = None,
    titles: Annotated[Text, Query(alias="query.titles", description="Title or acronym")] = None,
    spons: Annotated[Text, Query(alias="query.spons", description="Sponsor")] = None,
    lead: Annotated[Text, Query(alias="query.lead", description="Lead sponsor")] = None,
    ident: Annotated[Text, Query(alias="query.id", description="NCT ids or other ids")] = None,
    status: Annotated[
        list[str] | None,
        Query(alias="filter.overallStatus", description="Statuses, e.g. RECRUITING|COMPLETED"),
    ] = None,
    geo: Annotated[
        Text, Query(alias="filter.geo", description="distance(lat,lon,radius), e.g. 50mi")
    ] = None,
    ids: Annotated[
        list[str] | None, Query(alias="filter.ids", description="NCT ids, comma separated")
    ] = None,
    advanced: Annotated[
        Text,
        Query(
            alias="filter.advanced",
            description="AREA[Phase]PHASE3 AND AREA[StartDate]RANGE[2020-01-01,MAX] ...",
        ),
    ] = None,
    sort: Annotated[
        Text,
        Query(description="@relevance, LastUpdatePostDate:desc, StartDate:desc, @distance"),
    ] = None,
    page_size: Annotated[int, Query(alias="pageSize", ge=1, le=1000)] = 10,
    page_token: Annotated[
        str | None, Query(alias="pageToken", max_length=500, description="nextPageToken")
    ] = None,
    count_total: Annotated[bool, Query(alias="countTotal")] = False,
    fields: Annotated[
        list[str] | None, Query(description="NCTId, BriefTitle, OverallStatus, StatusModule, ...")
    ] = None,
    fmt: Annotated[str, Query(alias="format", pattern="^json$")] = "json",
    markup: Annotated[str, Query(alias="markupFormat", pattern="^markdown$")] = "markdown",
) -> Response:
    """Answers as CT.gov does: ``{"studies": [...], "nextPageToken": ..., "totalCount": ...}``.

    Follow ``nextPageToken`` with every other parameter unchanged; the same token gives
    the same page again.
    """
    params: dict[str, list[str]] = {}
    for name, value in request.query_params.multi_items():
        params.setdefault(name, []).append(value)
    params["pageSize"] = [str(page_size)]
    params["countTotal"] = ["true" if count_total else "false"]
    plan = plan_from_params(params)
    return Response(run(state, plan), media_type="application/json")
