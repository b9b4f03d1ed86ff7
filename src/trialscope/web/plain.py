"""The plain-language page (seed 004) and its JSON: the core's sentences
(:mod:`trialscope.render.plain_language`) from the stored criteria parse, rendered.

A page never parses nor writes: it reads the parse the import stored (an older parser's
parse still speaks; none at all leaves only the record's structured fields).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from trialscope.record import Study
from trialscope.record.ids import NCT_ID_ANY_CASE
from trialscope.render.plain_language import arm_summaries, plain_for
from trialscope.web.app import Backend, backend
from trialscope.web.errors import ERROR_RESPONSES

__all__ = ["arm_summaries", "plain_for", "router"]

router = APIRouter(prefix="/api/v2", tags=["studies"], responses=ERROR_RESPONSES)


@router.get(
    "/studies/{nct}/plain",
    summary="One study in plain language: fit, what is tested, status and staleness",
)
def get_plain(
    nct: Annotated[str, Path(pattern=NCT_ID_ANY_CASE, examples=["NCT04416854"])],
    state: Annotated[Backend, Depends(backend)],
) -> dict[str, Any]:
    """trialscope's own sentences (as on the patient page) and ``freshness``: whether
    the record is probably out of date (open status but its completion date passed,
    or not updated for two years)."""
    store = state.store()
    study = Study.from_json(store.study_bytes(nct.upper()))
    return plain_for(store, study).to_json()
