"""Server-rendered pages of one trial: detail (seed 002), patient (seed 004), agent
markdown (seed 000), and /llms.txt."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from trialscope.record import Study
from trialscope.record.freshness import freshness
from trialscope.render.card import (
    age_range,
    enrollment_phrase,
    phase_words,
    stale_note,
    status_word,
    treatments,
)
from trialscope.render.markdown import RECENT_DAYS, ctgov_url
from trialscope.render.plain_language import plain_language
from trialscope.store import FieldChange
from trialscope.web.api import NCT_PATTERN, markdown_response, serving_base, study_markdown
from trialscope.web.app import Backend, backend, templates
from trialscope.web.plain import arm_summaries
from trialscope.web.related import related_hits
from trialscope.web.textfmt import criteria_lists, eligibility_lists, stored_parse_of

router = APIRouter(include_in_schema=False)

NctId = Annotated[str, Path(pattern=NCT_PATTERN)]
RECENT_CHANGES = 40


def _recent_changes(changes: list[FieldChange]) -> list[FieldChange]:
    """Changes seen in the last RECENT_DAYS days, newest first, at most RECENT_CHANGES."""
    since = datetime.now(UTC) - timedelta(days=RECENT_DAYS)
    recent = [c for c in changes if c.detected_at is None or c.detected_at >= since]
    return recent[:RECENT_CHANGES]


def _facts(study: Study) -> dict[str, Any]:
    return {
        "status_word": status_word(study.overall_status),
        "phase_words": phase_words(study),
        "stale_note": stale_note(freshness(study)),
        "ages": age_range(study.min_age, study.max_age),
        "enrollment": enrollment_phrase(study),
        "treatments": treatments(study),
        "ctgov_url": ctgov_url(study.nct_id or ""),
    }


@router.get("/trials/{nct}.md", response_class=PlainTextResponse)
def trial_markdown(
    request: Request, nct: NctId, state: Annotated[Backend, Depends(backend)]
) -> Response:
    """The agent page (seed 000/003) as text/markdown, canonical link on this host."""
    return markdown_response(study_markdown(state, nct.upper(), serving_base(state, request)))


@router.get("/trials/{nct}", response_class=HTMLResponse)
def trial_page(
    request: Request, nct: NctId, state: Annotated[Backend, Depends(backend)]
) -> Response:
    """Every section of the record (seed 002), related trials and recent changes."""
    nct = nct.upper()
    store = state.store()
    study = Study.from_json(store.study_bytes(nct))
    protocol = study.protocol_section
    eligibility = protocol.eligibility_module if protocol else None
    context = {
        "study": study,
        "p": protocol,
        "facts": _facts(study),
        "criteria": eligibility_lists(
            store, nct, eligibility.eligibility_criteria if eligibility else None
        ),
        "related": related_hits(state, nct),
        "changes": _recent_changes(store.changes([nct])),
        "recent_days": RECENT_DAYS,
        "title": study.brief_title or nct,
    }
    return templates(request).TemplateResponse(request, "trial.html", context)


@router.get("/trials/{nct}/patient", response_class=HTMLResponse)
def patient_page(
    request: Request, nct: NctId, state: Annotated[Backend, Depends(backend)]
) -> Response:
    """The plain-language page (seed 004): own sentences, registry text quoted apart."""
    nct = nct.upper()
    store = state.store()
    study = Study.from_json(store.study_bytes(nct))
    protocol = study.protocol_section
    eligibility = protocol.eligibility_module if protocol else None
    # one read of the stored parse for both the lists and the plain sentences
    stored = stored_parse_of(store, nct)
    criteria = criteria_lists(stored, eligibility.eligibility_criteria if eligibility else None)
    context = {
        "study": study,
        "p": protocol,
        "facts": _facts(study),
        "plain": plain_language(study, stored.parsed if stored else None),
        "arms": arm_summaries(study),
        "criteria": criteria,
        "title": f"{study.brief_title or nct} (plain language)",
    }
    return templates(request).TemplateResponse(request, "patient.html", context)


@router.get("/llms.txt", response_class=PlainTextResponse)
def llms_txt(request: Request, state: Annotated[Backend, Depends(backend)]) -> Response:
    """What this mirror is and how an agent can read it."""
    base = state.settings.base_url or str(request.base_url).rstrip("/")
    page = templates(request).get_template("llms.txt")
    text = page.render(base=base, studies=state.store().count_studies())
    return PlainTextResponse(text, media_type="text/plain; charset=utf-8")
