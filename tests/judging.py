"""One criterion judged for one patient, the way the matcher judges each item."""

from __future__ import annotations

from trialscope.criteria import Item, parse_criteria
from trialscope.match import Patient, read_note
from trialscope.match.facts import PatientFacts
from trialscope.match.judge import judge_item
from trialscope.match.verdicts import CriterionResult


def criterion_item(kind: str, criterion: str) -> Item:
    """``criterion`` as the one item under an inclusion or exclusion heading."""
    header = "Inclusion Criteria:" if kind == "inclusion" else "Exclusion Criteria:"
    return parse_criteria(f"{header}\n* {criterion}").items[0]


def judged(patient: Patient | str, kind: str, criterion: str) -> CriterionResult:
    """``criterion`` judged for ``patient`` (a Patient, or a note read as one)."""
    person = read_note(patient) if isinstance(patient, str) else patient
    return judge_item(criterion_item(kind, criterion), PatientFacts.of(person))
