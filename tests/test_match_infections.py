"""An infection in general ("Active infection", "free of active infection") against a
chronic viral infection on record (HIV, hepatitis B or C): trials mean an acute infection
and name HIV and hepatitis apart, so whether the chronic one counts is asked -- it had
ruled out every patient with well-controlled HIV. The wordings are real corpus ones."""

from __future__ import annotations

import pytest

from tests.judging import judged
from trialscope.match import Patient, Verdict

HIV = "A 45-year-old man with HIV on antiretroviral therapy, CD4 450, viral load undetectable."
HEPATITIS_B = "A 60-year-old woman with chronic hepatitis B on entecavir."
PNEUMONIA = "A 70-year-old man admitted with pneumonia, on intravenous antibiotics."


@pytest.mark.parametrize("note", [HIV, HEPATITIS_B])
@pytest.mark.parametrize(
    ("kind", "criterion"),
    [
        ("exclusion", "Active infection requiring systemic therapy"),
        ("exclusion", "Patients with serious active infections;"),
        ("exclusion", "Uncontrolled intercurrent illness including ongoing or active infection"),
        ("inclusion", "Patients should be free of active infection requiring antibiotics"),
        ("inclusion", "No active infection"),
    ],
)
def test_a_chronic_viral_infection_is_asked_about(note: str, kind: str, criterion: str) -> None:
    result = judged(note, kind, criterion)
    assert result.verdict is Verdict.UNKNOWN, result.reason
    assert "is it" in result.reason


def test_the_virus_named_still_decides() -> None:
    assert judged(HIV, "exclusion", "Known HIV infection").verdict is Verdict.MET
    assert judged(HEPATITIS_B, "exclusion", "Active hepatitis B infection").verdict is Verdict.MET


@pytest.mark.parametrize(
    ("note", "kind", "criterion", "verdict"),
    [
        # "on antiretroviral therapy" was no therapy at all, in notes and criteria
        (HIV, "exclusion", "Patients on antiretroviral therapy", Verdict.MET),
        ("A 50-year-old man with HIV, receiving HAART.", "exclusion", "Receiving HAART",
         Verdict.MET),
        # an infection "requiring antivirals" is no exclusion of antiretroviral therapy
        (HIV, "exclusion", "Uncontrolled infection requiring i.v. antibiotics, antivirals or "
         "antifungals", Verdict.UNKNOWN),
        (PNEUMONIA, "exclusion", "Patients on antiretroviral therapy", Verdict.NOT_MET),
    ],
)  # fmt: skip
def test_antiretroviral_therapy_is_read(
    note: str, kind: str, criterion: str, verdict: Verdict
) -> None:
    assert judged(note, kind, criterion).verdict is verdict


@pytest.mark.parametrize(
    ("start", "exclusion", "inclusion"),
    [
        (None, Verdict.UNKNOWN, Verdict.UNKNOWN),  # since when is not recorded: asked
        ("2020-01-01", Verdict.NOT_MET, Verdict.MET),
        ("2026-11-25", Verdict.MET, Verdict.NOT_MET),
    ],
)
def test_how_long_a_therapy_has_been_taken(
    start: str | None, exclusion: Verdict, inclusion: Verdict
) -> None:
    # "for less than 4 weeks" was read as "within 4 weeks": any current therapy met it
    therapy = {"name": "HAART", "classes": ["antiretroviral"], "status": "active", "start": start}
    patient = Patient.from_data({"as_of": "2026-12-07", "therapies": [therapy]})
    shorter = judged(
        patient, "exclusion", "On established antiretroviral therapy for less than 4 weeks"
    )
    assert shorter.verdict is exclusion, shorter.reason
    longer = judged(patient, "inclusion", "Must have been receiving HAART for at least one month.")
    assert longer.verdict is inclusion, longer.reason
