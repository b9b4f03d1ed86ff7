"""``POST /api/v1/match``: one patient against the mirror's trials, as JSON.

The patient comes in the body only (a structured patient, a free-text note, a FHIR R4
Bundle, or a note plus structured fields); it is never put in a URL, logged or stored.
Bad patient input is a 422 in the one error envelope, naming the field at fault
(``patient.labs.platelets.unit``, ``fhir.entry[2].resource``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends
from pydantic import BaseModel, ConfigDict, Field

from trialscope.match import MatchReport, Patient
from trialscope.match.run import OPEN_STATUSES
from trialscope.service import (
    MAX_NOTE,
    Answer,
    Backend,
    MatchFailed,
    MatchScope,
    build_patient,
    no_patient_in_logs,
)
from trialscope.service import run_match as match_in
from trialscope.web.app import backend
from trialscope.web.errors import ERROR_RESPONSES

__all__ = [
    "MAX_NOTE",
    "MatchFailed",
    "MatchRequest",
    "build_patient",
    "match",
    "no_patient_in_logs",
    "router",
    "run_match",
    "scope_of",
]

router = APIRouter(prefix="/api/v1", tags=["patient matching"], responses=ERROR_RESPONSES)

EXAMPLE_PATIENT: dict[str, Any] = {
    "age": 45,
    "sex": "male",
    "ecog": 1,
    "conditions": ["relapsed acute myeloid leukemia", {"name": "HIV", "status": "absent"}],
    "labs": {"platelets": "80 x10^9/L", "creatinine": "0.9 mg/dL"},
    "therapies": ["cytarabine", "daunorubicin"],
}
EXAMPLE_NOTE = (
    "A 45-year-old man with relapsed acute myeloid leukemia. ECOG 1. Platelets 80,000/uL. "
    "He denies HIV infection. Prior chemotherapy with cytarabine and daunorubicin."
)


class MatchRequest(BaseModel):
    """Who to match and where to look. Give ``patient``, ``note`` or ``fhir`` (a note
    and structured fields together are merged: the structured fields win)."""

    model_config = ConfigDict(extra="forbid")

    patient: dict[str, Any] | None = Field(
        default=None,
        description="A structured patient in the patient file format (see the README):"
        " age or birth_date, sex, pregnant, hospitalized, ecog, conditions, labs, therapies,"
        " ...",
    )
    note: str | None = Field(
        default=None,
        max_length=MAX_NOTE,
        description="A free-text clinical note; each fact read from it quotes its sentence.",
    )
    fhir: dict[str, Any] | None = Field(
        default=None, description="A FHIR R4 Bundle (Patient, Condition, Observation, ...)."
    )
    trials: list[str] = Field(
        default_factory=list,
        max_length=200,
        description="Judge these NCT ids only (else candidates come from a search).",
    )
    query: str | None = Field(
        default=None,
        max_length=500,
        description="Search text for candidates (default: the patient's conditions).",
    )
    near: str | None = Field(
        default=None, max_length=200, description="Place name or 'lat,lon' (offline gazetteer)."
    )
    radius_km: float | None = Field(default=None, gt=0, le=20_000)
    statuses: list[str] | None = Field(
        default=None,
        max_length=20,
        description="Overall statuses of candidates; default the open ones"
        f" ({', '.join(OPEN_STATUSES)}); [] for every status.",
    )
    limit: int = Field(default=20, ge=1, le=200, description="Trials in the ranking.")
    answers: dict[str, Answer] = Field(
        default_factory=dict,
        max_length=200,
        description="Answers to earlier questions by key, e.g. {'lab:platelets': 150,"
        " 'pregnant': 'no'}; numbers in the question's unit.",
    )


# -- the response, as documented -----------------------------------------------------------


class _Out(BaseModel):
    model_config = ConfigDict(extra="allow")


class SourceOut(_Out):
    kind: Literal["structured", "fhir", "note", "answer"]
    ref: str
    text: str | None = None
    span: list[int] | None = None


class EvidenceOut(_Out):
    fact: str
    source: SourceOut | None = None


class QuestionOut(_Out):
    key: str
    text: str
    answer: str
    unit: str | None = None


class CriterionOut(_Out):
    index: int
    kind: str
    text: str
    span: list[int]
    verdict: Literal["MET", "NOT_MET", "UNKNOWN", "NOT_APPLICABLE"]
    reason: str
    basis: str
    evidence: list[EvidenceOut]
    constraints: list[str]
    questions: list[QuestionOut]


class TrialOut(_Out):
    nct_id: str
    title: str
    verdict: Literal["ELIGIBLE", "POSSIBLY_ELIGIBLE", "INELIGIBLE"]
    score: float
    relevance: float | None = None
    distance_km: float | None = None
    nearest_site: str | None = None
    status: str | None = None
    counts: dict[str, int]
    deciding: list[int]
    notes: list[str]
    criteria: list[CriterionOut]


class RankedQuestionOut(QuestionOut):
    decides: int = Field(description="How many trials' verdicts this answer would decide.")
    trials: list[str]


class MatchReportOut(_Out):
    candidates: int
    query: str | None = None
    near: str | None = None
    elapsed_ms: float
    verdicts: dict[str, int]
    notes: list[str]
    trials: list[TrialOut]
    questions: list[RankedQuestionOut]


# -- the patient and the run (trialscope.service) ---------------------------------------


def scope_of(body: MatchRequest) -> MatchScope:
    return MatchScope(
        trials=tuple(body.trials),
        query=body.query,
        near=body.near,
        radius_km=body.radius_km,
        statuses=None if body.statuses is None else tuple(body.statuses),
        limit=body.limit,
    )


def run_match(state: Backend, patient: Patient, body: MatchRequest) -> MatchReport:
    return match_in(state.store(), patient, scope_of(body), engine=state.engine())


@router.post(
    "/match",
    response_model=MatchReportOut,
    summary="Match a patient to trials: verdicts per criterion, ranking, questions",
    description="Candidates come from a search over the patient's conditions (recruiting"
    " trials open to their age and sex, near `near` if given) or from `trials`. Each trial"
    " is ELIGIBLE, POSSIBLY_ELIGIBLE or INELIGIBLE, with every criterion's verdict, reason"
    " and evidence; `questions` are the unknown facts ranked by how many verdicts each"
    " would decide: post again with `answers` to settle them. The patient is never"
    " stored or logged.",
)
def match(
    body: Annotated[
        MatchRequest,
        Body(
            openapi_examples={
                "structured": {
                    "summary": "A structured patient near a place",
                    "value": {"patient": EXAMPLE_PATIENT, "near": "Paris", "radius_km": 300},
                },
                "note": {
                    "summary": "A free-text note, with an answer",
                    "value": {"note": EXAMPLE_NOTE, "answers": {"lab:creatinine": 80}},
                },
                "trials": {
                    "summary": "Given trials only",
                    "value": {"note": EXAMPLE_NOTE, "trials": ["NCT05918692"]},
                },
            }
        ),
    ],
    state: Annotated[Backend, Depends(backend)],
) -> dict[str, Any]:
    with no_patient_in_logs():
        patient = build_patient(body.patient, body.note, body.fhir, body.answers)
        return run_match(state, patient, body).to_json()
