"""Match a patient to trials: per-criterion verdicts with evidence, ranking, questions.

Public API::

    from trialscope.match import load_patient, match_patient
    patient = load_patient("patient.yaml")        # or a FHIR Bundle, or a free-text note
    report = match_patient(store, patient, near="Boston", radius_km=200)
    report.trials[0].verdict, report.trials[0].criteria[0].reason
    report.questions[0].text, report.questions[0].decides

Nothing about the patient is written to the store or to logs.
"""

from __future__ import annotations

from trialscope.match.answers import apply_answers
from trialscope.match.note import read_note
from trialscope.match.patient import Patient, Provenance
from trialscope.match.run import (
    MatchReport,
    RankedQuestion,
    match_patient,
    match_trial,
)
from trialscope.match.verdicts import (
    CriterionResult,
    Evidence,
    Mark,
    Question,
    TrialMatch,
    TrialVerdict,
    Verdict,
)

__all__ = [
    "CriterionResult",
    "Evidence",
    "Mark",
    "MatchReport",
    "Patient",
    "Provenance",
    "Question",
    "RankedQuestion",
    "TrialMatch",
    "TrialVerdict",
    "Verdict",
    "apply_answers",
    "match_patient",
    "match_trial",
    "read_note",
]
