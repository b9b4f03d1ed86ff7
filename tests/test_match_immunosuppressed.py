"""A patient on an immunosuppressant is immunocompromised while taking it: physicians
labelled "Diagnosis or suspicion of immunodeficiency state" and "Immunocompromised
patient ..." met for a patient "on immunosuppressive medications, including prednisone"
(TrialGPT, a dev-half patient), where the matcher had assumed the state absent. An
inherited immunodeficiency is another thing: a transplant patient does not have one, and
an HIV or CVID patient's condition is told apart by its kind."""

from __future__ import annotations

import pytest

from tests.judging import judged
from trialscope.match import Verdict

TRANSPLANT = "45-year-old woman after kidney transplant on tacrolimus and mycophenolate."
ON_PREDNISONE = (
    "A 62 yo male presents with four days of non-productive cough and one day of fever. "
    "He is on immunosuppressive medications, including prednisone."
)
STOPPED = "45-year-old woman with rheumatoid arthritis, previously treated with methotrexate."
CVID = "A 48-year-old male with history of common variable immunodeficiency (CVID)."
HIV = "A 45-year-old man with HIV on antiretroviral therapy, CD4 450, viral load undetectable."


@pytest.mark.parametrize("note", [TRANSPLANT, ON_PREDNISONE])
@pytest.mark.parametrize(
    "criterion",
    [
        "Diagnosis or suspicion of immunodeficiency state",
        "Known immunodeficiency state",
        "Immunocompromised patients",
        "Immunosuppressed patients",
    ],
)
def test_a_suppressing_drug_taken_now_is_an_immunodeficiency_state(
    note: str, criterion: str
) -> None:
    result = judged(note, "exclusion", criterion)
    assert result.verdict is Verdict.MET, result.reason
    # the drug is the evidence a coordinator checks, and the reason says so in words
    assert any("immunosuppressed (on " in e.fact for e in result.evidence)
    drug = "prednisone" if note == ON_PREDNISONE else "tacrolimus"
    assert result.reason.startswith(f"patient is immunosuppressed (on {drug}), counted as ")


@pytest.mark.parametrize(
    ("note", "verdict"),
    [
        # not inherited: assumed absent from a full history, as any unsaid exclusion
        (TRANSPLANT, Verdict.NOT_MET),
        (HIV, Verdict.NOT_MET),
        # an inherited one is one
        (CVID, Verdict.MET),
    ],
)
def test_an_inherited_immunodeficiency_is_told_apart(note: str, verdict: Verdict) -> None:
    result = judged(note, "exclusion", "Congenital immunodeficiency patients")
    assert result.verdict is verdict, result.reason


def test_a_drug_taken_before_is_not_a_state_now() -> None:
    result = judged(STOPPED, "exclusion", "Known immunodeficiency state")
    assert result.verdict is Verdict.NOT_MET, result.reason
    assert not result.evidence


def test_an_inherited_immunodeficiency_is_still_an_immunodeficiency() -> None:
    assert judged(CVID, "exclusion", "Known immunodeficiency").verdict is Verdict.MET
    assert judged(CVID, "inclusion", "Immunocompromised patients").verdict is Verdict.MET
