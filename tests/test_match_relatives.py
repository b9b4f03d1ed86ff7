"""A condition named for someone else — a relative ("Family history of breast cancer"),
a child or a person cared for ("Primary caregiver of a child with acute leukemia") — is
not the patient's: it was met by the patient's own breast cancer or diabetes."""

from __future__ import annotations

import pytest

from tests.judging import judged
from trialscope.match import Verdict

BREAST = "45-year-old woman with breast cancer, ER positive."
DIABETES = "40-year-old woman with type 1 diabetes."
LEUKEMIA = "35-year-old woman with acute lymphoblastic leukemia in remission."


@pytest.mark.parametrize(
    ("note", "criterion"),
    [
        (BREAST, "Family history of breast cancer in a first-degree relative"),
        (DIABETES, "Parents of children with type 1 diabetes"),
        (LEUKEMIA, "Self-identified primary caregiver of a child with acute leukemia"),
        (DIABETES, "Spouse of a patient with type 1 diabetes"),
    ],
)
def test_someone_elses_condition_is_asked(note: str, criterion: str) -> None:
    result = judged(note, "inclusion", criterion)
    assert result.verdict is Verdict.UNKNOWN, result.reason
    assert "relative's or a dependant's condition" in result.reason
    assert not result.evidence  # the patient's own disease is no evidence for it
    assert result.questions


def test_a_relatives_condition_is_no_rule_out() -> None:
    result = judged(BREAST, "exclusion", "Family history of breast cancer")
    assert result.verdict is Verdict.NOT_MET, result.reason
    assert result.reason.startswith("about a relative's or a dependant's condition")


def test_the_patients_own_condition_beside_a_relative_still_counts() -> None:
    # "whose parents agree": the parents come after the patient's own disease
    note = "10-year-old boy with type 1 diabetes."
    criterion = "Children with type 1 diabetes whose parents agree to participate"
    assert judged(note, "inclusion", criterion).verdict is Verdict.MET


def test_fathering_a_child_is_no_relative() -> None:
    # "able to father a child" had made the contraception beside it a relative's
    criterion = (
        "Persons able to become pregnant OR able to father a child must be willing to use "
        "an adequate method of contraception while on treatment and for 180 days"
    )
    result = judged("A 58-year-old woman with type 2 diabetes.", "inclusion", criterion)
    assert result.verdict is Verdict.UNKNOWN, result.reason
    assert "contraception" in result.reason
