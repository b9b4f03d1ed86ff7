"""The patient matching page: ``GET /match`` (the form) and ``POST /match`` (the results).

The form has a few structured fields (age, sex, conditions, common labs with units,
ECOG, pregnancy, a place and radius) and a free-text note. Everything travels in POST
bodies: the results page carries the original input in hidden fields so the questions
that settle the unknowns can be answered and the match re-run, and no patient detail
ever lands in a URL, a log or the database. Responses are ``Cache-Control: no-store``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from trialscope.errors import PatientError, TrialscopeError
from trialscope.match import Mark, MatchReport, Patient, TrialMatch, TrialVerdict
from trialscope.match.run import OPEN_STATUSES
from trialscope.web.app import Backend, backend, templates
from trialscope.web.errors import STATUS_BY_CODE, for_people
from trialscope.web.match_api import (
    MAX_NOTE,
    MatchRequest,
    build_patient,
    no_patient_in_logs,
    run_match,
)

router = APIRouter(include_in_schema=False)

#: (form name, catalogue test, label, [(unit value, unit label), ...]) — units first is default
LABS: tuple[tuple[str, str, str, tuple[tuple[str, str], ...]], ...] = (
    ("platelets", "platelets", "Platelet count", (("10^9/L", "×10⁹/L (= ×10³/µL)"),)),
    ("anc", "anc", "Neutrophils (ANC)", (("10^9/L", "×10⁹/L"), ("/uL", "cells/µL"))),
    ("hemoglobin", "hemoglobin", "Hemoglobin", (("g/dL", "g/dL"), ("g/L", "g/L"))),
    ("creatinine", "creatinine", "Creatinine", (("mg/dL", "mg/dL"), ("umol/L", "µmol/L"))),
    ("bilirubin", "total_bilirubin", "Bilirubin", (("mg/dL", "mg/dL"), ("umol/L", "µmol/L"))),
    ("alt", "alt", "ALT", (("U/L", "U/L"),)),
    ("ast", "ast", "AST", (("U/L", "U/L"),)),
)
FIELDS: tuple[str, ...] = ("age", "sex", "conditions", "ecog", "pregnant", "care_setting")
FIELDS += ("near", "radius", "note", "statuses")
#: the form's care-setting choices: value, words
CARE_SETTINGS = (
    ("outpatient", "Not in hospital"),
    ("inpatient", "In hospital"),
    ("intensive_care", "In intensive care"),
)
ANSWER = "answer:"
VERDICT_TEXT = {
    TrialVerdict.ELIGIBLE: "Likely eligible",
    TrialVerdict.POSSIBLY_ELIGIBLE: "Possibly eligible",
    TrialVerdict.INELIGIBLE: "Not eligible",
}
#: each criterion from the patient's side: an exclusion that is not met does not apply
#: to the patient, it is no red cross against them
MARK_TEXT = {
    Mark.FITS: "Fits",
    Mark.RULES_OUT: "Rules the patient out",
    Mark.UNKNOWN: "Unknown",
    Mark.DOES_NOT_APPLY: "Does not apply",
}
MARKS = {Mark.FITS: "✓", Mark.RULES_OUT: "✗", Mark.UNKNOWN: "?", Mark.DOES_NOT_APPLY: "–"}
EFFECTS = {
    Mark.FITS: "good",
    Mark.RULES_OUT: "bad",
    Mark.UNKNOWN: "open",
    Mark.DOES_NOT_APPLY: "na",
}
KIND_TEXT = {"inclusion": "Must have", "exclusion": "Must not have"}
#: evidence lines shown under one criterion; more are counted, not listed
MAX_EVIDENCE = 3


@dataclass
class MatchForm:
    """What the form posted: the patient fields, the answers so far, and the rest."""

    values: dict[str, str] = field(default_factory=dict)
    answers: dict[str, str] = field(default_factory=dict)
    #: fields longer than the page reads, cut to their first characters (said on the page)
    cut: list[str] = field(default_factory=list)

    @classmethod
    def from_form(cls, form: FormData) -> MatchForm:
        values: dict[str, str] = {}
        answers: dict[str, str] = {}
        cut: list[str] = []
        for name, raw in form.multi_items():
            if not isinstance(raw, str):
                continue
            value = raw.strip()
            if name.startswith(ANSWER):
                key = name[len(ANSWER) :][:100]
                if value:
                    answers[key] = value[:100]
                else:
                    answers.pop(key, None)
            elif value:
                limit = MAX_NOTE if name in ("note", "conditions") else 200
                if len(value) > limit and name in _KNOWN:
                    cut.append(name)
                values[name[:40]] = value[:limit]
        return cls(values, answers, cut)

    def get(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)

    def hidden(self, skip: Collection[str] = ()) -> list[tuple[str, str]]:
        """The input, as hidden fields to carry into the next post."""
        pairs = [(k, v) for k, v in self.values.items() if k in _KNOWN]
        pairs += [(ANSWER + k, v) for k, v in self.answers.items() if k not in skip]
        return pairs

    def structured(self) -> dict[str, Any]:
        """The structured fields in the patient file format (intake's shorthands)."""
        data: dict[str, Any] = {}
        if self.get("age"):
            data["age"] = _number("age", self.get("age"))
        if self.get("sex") in ("female", "male"):
            data["sex"] = self.get("sex")
        if self.get("pregnant") in ("yes", "no"):
            data["pregnant"] = self.get("pregnant") == "yes"
        if self.get("care_setting") in dict(CARE_SETTINGS):
            data["care_setting"] = self.get("care_setting")
        if self.get("ecog"):
            data["ecog"] = _number("ecog", self.get("ecog"))
        conditions = [c.strip() for c in self.get("conditions").splitlines() if c.strip()]
        if conditions:
            data["conditions"] = conditions[:50]
        labs = {}
        for name, test, _, units in LABS:
            if self.get(f"lab_{name}"):
                value = _number(f"lab_{name}", self.get(f"lab_{name}"))
                unit = self.get(f"unit_{name}", units[0][0])
                labs[test] = {"value": value, "unit": unit}
        if labs:
            data["labs"] = labs
        return data

    def request(self) -> MatchRequest:
        radius = self.get("radius") or "100"
        near = self.get("near") or None
        statuses: list[str] | None = None if self.get("statuses") != "any" else []
        radius_km = _number("radius", radius) if near else None
        if radius_km is not None and not 0 < radius_km <= 20_000:
            raise PatientError("radius", "must be between 1 and 20,000 km")
        return MatchRequest(
            near=near,
            radius_km=radius_km,
            statuses=statuses,
            limit=20,
        )

    def patient(self) -> Patient:
        return build_patient(
            self.structured() or None, self.get("note") or None, None, dict(self.answers)
        )


_KNOWN = set(FIELDS) | {f"lab_{n}" for n, *_ in LABS} | {f"unit_{n}" for n, *_ in LABS}


def _number(name: str, text: str) -> float:
    try:
        value = float(text.replace(",", "."))
    except ValueError as exc:
        raise PatientError(name, f"{text!r} is not a number") from exc
    if not 0 <= value <= 100_000:
        raise PatientError(name, f"{text!r} is out of range")
    return value


def field_label(name: str) -> str:
    """The form's words for a field an error names (``patient.labs.alt.unit`` → ALT)."""
    words = {"age": "Age", "sex": "Sex", "ecog": "Performance status", "radius": "Within (km)"}
    words |= {"note": "Clinical note", "conditions": "Conditions", "pregnant": "Pregnant"}
    words |= {"care_setting": "Where cared for now"}
    for form_name, test, label, _ in LABS:
        words[f"lab_{form_name}"] = label
        words[f"labs.{test}"] = label
    parts = name.removeprefix("patient.")
    for key in sorted(words, key=len, reverse=True):
        if parts == key or parts.startswith(key + ".") or parts.startswith(key + "["):
            return words[key] + (" unit" if parts.endswith(".unit") else "")
    return name


def criterion_view(match: TrialMatch) -> list[dict[str, Any]]:
    """Each criterion of a trial as the checklist shows it (deciding ones first)."""
    rows = []
    for result in match.criteria:
        evidence: dict[str, None] = {}
        for item in result.evidence:
            where = item.source.describe() if item.source is not None else ""
            evidence[f"{item.fact} — {where}" if where else item.fact] = None
        lines = list(evidence)
        if len(lines) > MAX_EVIDENCE:
            # A long note repeats itself; the page stays readable whatever its length.
            more = len(lines) - MAX_EVIDENCE
            lines = [*lines[:MAX_EVIDENCE], f"… and {more} more in the note"]
        rows.append(
            {
                "kind": KIND_TEXT.get(result.kind, "Criterion"),
                "mark": MARKS[result.mark],
                "verdict": MARK_TEXT[result.mark],
                "effect": EFFECTS[result.mark],
                "deciding": result.index in match.deciding,
                "text": " ".join(result.text.replace("\\<", "<").replace("\\>", ">").split()),
                "reason": result.reason,
                "evidence": lines,
            }
        )
    return rows


def _render(
    request: Request,
    form: MatchForm,
    report: MatchReport | None = None,
    error: TrialscopeError | None = None,
    status: int = 200,
) -> Response:
    shown = {q.key for q in report.questions[:10]} if report else set()
    context = {
        "title": "Match a patient to trials",
        "form": form,
        "labs": LABS,
        "care_settings": CARE_SETTINGS,
        "report": report,
        "verdict_text": VERDICT_TEXT,
        "checklist": criterion_view,
        "questions": report.questions[:10] if report else [],
        "hidden": form.hidden(),
        "hidden_for_questions": form.hidden(skip=shown),
        "error": error,
        # the library's hints may name CLI options ("--trial"); the page shows only plain ones
        "error_hint": for_people(error.hint) if error else None,
        "cut": [field_label(name) for name in form.cut],
        "max_note": MAX_NOTE,
        "error_field": field_label(error.field) if isinstance(error, PatientError) else None,
        "open_statuses": ", ".join(s.replace("_", " ").lower() for s in OPEN_STATUSES),
    }
    response = templates(request).TemplateResponse(
        request, "match.html", context, status_code=status
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/match", response_class=HTMLResponse)
def match_form(request: Request) -> Response:
    return _render(request, MatchForm())


@router.post("/match", response_class=HTMLResponse)
async def match_results(request: Request, state: Annotated[Backend, Depends(backend)]) -> Response:
    form = MatchForm.from_form(await request.form(max_files=0, max_fields=200))
    try:
        report = await run_in_threadpool(_compute, state, form)
    except TrialscopeError as exc:
        return _render(request, form, error=exc, status=STATUS_BY_CODE.get(exc.code, 400))
    return _render(request, form, report)


def _compute(state: Backend, form: MatchForm) -> MatchReport:
    """Read the patient and match (in a worker thread: it is CPU work)."""
    with no_patient_in_logs():
        return run_match(state, form.patient(), form.request())
