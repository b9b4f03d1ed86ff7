"""The plain-language page (seed 004) and its JSON: the core's sentences
(:mod:`trialscope.render.plain_language`) from the stored criteria parse, rendered.

A page never parses nor writes: it reads the parse the import stored (an older parser's
parse still speaks; none at all leaves only the record's structured fields).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Path

from trialscope.criteria import ParsedCriteria
from trialscope.errors import NotFoundError
from trialscope.record import Study
from trialscope.render.plain_language import PlainLanguage, arm_summaries, plain_language

from .app import Backend, backend
from .errors import ERROR_RESPONSES

if TYPE_CHECKING:
    from trialscope.store import Store

__all__ = ["arm_summaries", "plain_for", "router", "stored_parse"]

router = APIRouter(prefix="/api/v2", tags=["studies"], responses=ERROR_RESPONSES)
_NCT = r"^[Nn][Cc][Tt][0-9]{8}$"


def stored_parse(store: Store, nct_id: str) -> ParsedCriteria | None:
    from trialscope.criteria.store import load_parse

    try:
        return load_parse(store, nct_id, parse_if_missing=False).parsed
    except NotFoundError:
        return None


def plain_for(store: Store, study: Study) -> PlainLanguage:
    return plain_language(study, stored_parse(store, study.nct_id or ""))


@router.get(
    "/studies/{nct}/plain",
    summary="One study in plain language: fit, what is tested, status and staleness",
)
def get_plain(
    nct: Annotated[str, Path(pattern=_NCT, examples=["NCT04416854"])],
    state: Annotated[Backend, Depends(backend)],
) -> dict[str, Any]:
    """trialscope's own sentences (as on the patient page) and ``freshness``: whether
    the record is probably out of date (open status but its completion date passed,
    or not updated for two years)."""
    store = state.store()
    study = Study.from_json(store.study_bytes(nct.upper()))
    return plain_for(store, study).to_json()
