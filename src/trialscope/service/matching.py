"""A patient from what a caller sent, and a match run over the mirror.

Every shell takes a patient its own way (a CLI file or note, an API body, an MCP tool
call, a web form) but builds it here: a free-text note, structured fields and a FHIR R4
Bundle, merged by one rule; and runs the match with one set of defaults. Nothing about
the patient is logged or stored: an unexpected failure while matching is turned into
:class:`MatchFailed` without its message (a pydantic or ValueError text can quote the
input).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from trialscope.errors import PatientError, TrialscopeError
from trialscope.match import MatchReport, Patient, apply_answers, match_patient, read_note
from trialscope.match.intake import patient_from_data
from trialscope.match.run import OPEN_STATUSES
from trialscope.record.ids import normalise_nct_id
from trialscope.search import SearchEngine
from trialscope.store import Store

log = logging.getLogger("trialscope.match")

#: a note longer than this is not a clinical note
MAX_NOTE = 50_000
Answer = str | float | bool


class MatchFailed(RuntimeError):
    """An unexpected failure while matching, without the original message or cause."""


@contextmanager
def no_patient_in_logs() -> Iterator[None]:
    """Turn an unexpected exception into :class:`MatchFailed` before any handler logs it:
    its message and chained cause are dropped; the code lines of the traceback are
    logged, never the values. A TrialscopeError (a message written for the user) passes."""
    try:
        yield
    except TrialscopeError:
        raise
    except Exception as exc:
        where = "".join(traceback.format_tb(exc.__traceback__))
        log.error("matching failed: %s\n%s", type(exc).__name__, where)
        raise MatchFailed(f"matching failed ({type(exc).__name__})") from None


def _in(part: str, exc: PatientError) -> PatientError:
    """The same error, its field named from the top of the request."""
    field = exc.field if exc.field.startswith(part) else f"{part}.{exc.field}"
    return PatientError(field, exc.problem, hint=exc.hint)


def merge_patients(base: Patient, extra: Patient) -> Patient:
    """``extra``'s fields over ``base``: values replace, lists and mappings add up, with
    ``extra``'s items after ``base``'s, so an undated (or same-day) reading of ``extra``
    is the one that counts (:func:`trialscope.match.patient.latest`)."""
    merged = base.model_copy(deep=True)
    for name in extra.model_fields_set:
        value = getattr(extra, name)
        if isinstance(value, list):
            getattr(merged, name).extend(value)
        elif isinstance(value, dict):
            getattr(merged, name).update(value)
        else:
            setattr(merged, name, value)
            if name not in extra.provenance:
                merged.provenance.pop(name, None)  # the note's sentence no longer says it
    return Patient.model_validate(merged.model_dump())


def build_patient(
    structured: Mapping[str, Any] | None = None,
    note: str | None = None,
    fhir: Mapping[str, Any] | None = None,
    answers: Mapping[str, Answer] | None = None,
) -> Patient:
    """The patient described by a structured patient (the patient file format), a
    free-text note, and/or a FHIR R4 Bundle (alone); a note and structured fields are
    merged, the structured fields winning. ``answers`` to earlier questions go on top.
    A PatientError names the field at fault from the top (``patient.labs.x.unit``)."""
    if fhir is not None and (structured or note):
        raise PatientError(
            "fhir", "give a FHIR Bundle alone", hint="Send either fhir, or patient and/or note."
        )
    found: Patient | None = None
    if fhir is not None:
        if fhir.get("resourceType") != "Bundle":
            raise PatientError("fhir.resourceType", "expected a FHIR R4 Bundle")
        try:
            found = patient_from_data(dict(fhir))
        except PatientError as exc:
            raise _in("fhir", exc) from exc
    if note and note.strip():
        if len(note) > MAX_NOTE:
            raise PatientError(
                "note", f"longer than {MAX_NOTE:,} characters", hint="Send the clinical note only."
            )
        found = read_note(note)
    if structured:
        try:
            extra = patient_from_data(dict(structured))
        except PatientError as exc:
            raise _in("patient", exc) from exc
        found = extra if found is None else merge_patients(found, extra)
    if found is None:
        raise PatientError(
            "patient",
            "no patient given",
            hint="Send a structured patient, a free-text note, or a FHIR Bundle.",
        )
    if answers:
        found = apply_answers(found, dict(answers))
    return found


@dataclass(frozen=True)
class MatchScope:
    """Where to look for trials for a patient."""

    #: judge these NCT ids only (else candidates come from a search)
    trials: tuple[str, ...] = ()
    #: search text for candidates (default: the patient's conditions)
    query: str | None = None
    #: a place name or "lat,lon", and the distance from it
    near: str | None = None
    radius_km: float | None = None
    #: overall statuses of candidates: None for the open ones, () for every status
    statuses: tuple[str, ...] | None = None
    #: trials in the ranking
    limit: int = 20
    #: judge every trial of the statuses, not only the search's candidates
    every: bool = False


def checked_trials(trials: tuple[str, ...]) -> list[str]:
    """NCT ids as stored, or a UsageError naming the first that is not one."""
    return [normalise_nct_id(t) for t in trials if t.strip()]


def run_match(
    store: Store, patient: Patient, scope: MatchScope, engine: SearchEngine | None = None
) -> MatchReport:
    """Rank trials for ``patient``: verdicts per criterion, ranking, questions."""
    statuses = OPEN_STATUSES if scope.statuses is None else tuple(s.upper() for s in scope.statuses)
    return match_patient(
        store,
        patient,
        trials=checked_trials(scope.trials),
        query=scope.query or None,
        near=scope.near or None,
        radius_km=scope.radius_km,
        statuses=statuses,
        limit=scope.limit,
        engine=engine,
        every=scope.every,
    )
