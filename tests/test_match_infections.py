"""An infection in general ("Active infection", "free of active infection") against a
chronic viral infection on record (HIV, hepatitis B or C): trials mean an acute infection
and name HIV and hepatitis apart, so whether the chronic one counts is asked -- it had
ruled out every patient with well-controlled HIV. The wordings are real corpus ones."""

from __future__ import annotations

import pytest

from tests.judging import judged
from trialscope.match import Verdict

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
