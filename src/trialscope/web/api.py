"""JSON API for one study: its v2 JSON (or agent page), versions and field changes."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import PlainTextResponse, Response

from trialscope.errors import NotFoundError
from trialscope.record.ids import NCT_ID_ANY_CASE
from trialscope.service import agent_page, field_changes
from trialscope.web.app import Backend, backend
from trialscope.web.errors import ERROR_RESPONSES
from trialscope.web.fields import parse_fields, project

router = APIRouter(prefix="/api/v2", tags=["studies"], responses=ERROR_RESPONSES)

NCT_PATTERN = NCT_ID_ANY_CASE
NctId = Annotated[
    str, Path(pattern=NCT_PATTERN, description="NCT id, e.g. NCT04416854", examples=["NCT04416854"])
]
FieldsParam = Annotated[
    list[str] | None,
    Query(
        description="Only these pieces of the study (NCTId, BriefTitle, OverallStatus,"
        " StatusModule, protocolSection.designModule.phases, ...); comma or pipe separated",
    ),
]
_JSON = "application/json"
_STUDY_CONTENT = {
    _JSON: {"schema": {"type": "object"}},
    "text/markdown": {"schema": {"type": "string"}},
}


class StudyFormat(StrEnum):
    JSON = "json"
    MD = "md"


def serving_base(state: Backend, request: Request) -> str:
    """The public address: the configured ``base_url``, else the host that was asked."""
    return state.settings.base_url or str(request.base_url).rstrip("/")


def study_markdown(state: Backend, nct: str, base: str | None = None) -> str:
    """The agent page (seed 000) of a study; its canonical link points at ``base``
    (the serving host) when given, else at the configured base URL, else is left out."""
    return agent_page(state.store(), nct, base_url=base or state.settings.base_url)


def markdown_response(text: str) -> Response:
    return PlainTextResponse(text, media_type="text/markdown; charset=utf-8")


@router.get(
    "/studies/{nct}",
    summary="One study as CT.gov API v2 JSON (or the agent markdown page)",
    response_class=Response,
    responses={200: {"content": _STUDY_CONTENT, "description": "The study"}},
)
def get_study(
    request: Request,
    nct: NctId,
    state: Annotated[Backend, Depends(backend)],
    fmt: Annotated[
        StudyFormat, Query(alias="format", description="json (default) or md (agent page)")
    ] = StudyFormat.JSON,
    fields: FieldsParam = None,
) -> Response:
    """The stored v2 JSON, byte for byte as CT.gov sent it (``fields`` narrows it)."""
    nct = nct.upper()
    if fmt is StudyFormat.MD:
        return markdown_response(study_markdown(state, nct, serving_base(state, request)))
    data = state.store().study_bytes(nct)
    paths = parse_fields(fields or ())
    if paths:
        data = orjson.dumps(project(orjson.loads(data), paths))
    return Response(data, media_type=_JSON)


@router.get("/studies/{nct}/versions", summary="Every stored version of a study, oldest first")
def get_versions(nct: NctId, state: Annotated[Backend, Depends(backend)]) -> dict[str, Any]:
    """The last version listed is the current one."""
    found = state.store().versions(nct)
    return {"nctId": nct.upper(), "versions": [v.to_json() for v in found]}


@router.get(
    "/studies/{nct}/versions/{version_id}",
    summary="The v2 JSON of one stored version",
    response_class=Response,
    responses={200: {"content": {_JSON: {"schema": {"type": "object"}}}, "description": "JSON"}},
)
def get_version(
    nct: NctId,
    version_id: Annotated[int, Path(ge=1, le=2**62)],
    state: Annotated[Backend, Depends(backend)],
) -> Response:
    store = state.store()
    if version_id not in {v.version_id for v in store.versions(nct)}:
        raise NotFoundError(
            f"{nct.upper()} has no version {version_id}.",
            hint=f"List them: /api/v2/studies/{nct.upper()}/versions",
        )
    return Response(orjson.dumps(store.version_json(version_id)), media_type=_JSON)


@router.get("/studies/{nct}/changes", summary="Field-level changes of a study, newest first")
def get_changes(
    nct: NctId,
    state: Annotated[Backend, Depends(backend)],
    since: Annotated[
        str | None, Query(max_length=40, description="30d, 12h, 2w, 3m or a date")
    ] = None,
    field: Annotated[
        str | None, Query(max_length=200, description="Shell pattern, e.g. status.*")
    ] = None,
    first_sight: Annotated[
        bool,
        Query(alias="firstSight", description="List the first version's fields as added"),
    ] = True,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> dict[str, Any]:
    # an unknown study is a 404
    found = field_changes(state.store(), [nct], since=since, field=field, first_sight=first_sight)
    return {"nctId": nct.upper(), "changes": [c.to_json() for c in found.changes[:limit]]}
