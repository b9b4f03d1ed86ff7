"""A criterion's number written without a unit ("serum creatinine less than 1.7") is read
in every unit it may be in (the lab's ``bare_units`` in criteria_variables.yaml) and decided
only where the readings agree (issue 11). It used to be compared with the patient's reading
in the canonical unit: 0.9 mg/dL is 79.6 umol/L, "less than 1.7" failed and a patient with
normal kidneys was ruled out (found with the AML example patient: NCT00003145)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trialscope.criteria import parse_criteria
from trialscope.match import Verdict, read_note
from trialscope.match.facts import PatientFacts
from trialscope.match.judge import judge_item
from trialscope.match.patient import Lab, Patient
from trialscope.match.verdicts import CriterionResult


def judged(patient: Patient | str, kind: str, criterion: str) -> CriterionResult:
    header = "Inclusion Criteria:" if kind == "inclusion" else "Exclusion Criteria:"
    item = parse_criteria(f"{header}\n* {criterion}").items[0]
    assert item.constraints and item.constraints[0].unit is None, item.constraints
    facts = PatientFacts.of(read_note(patient) if isinstance(patient, str) else patient)
    return judge_item(item, facts)


def with_lab(test: str, value: float, unit: str, high: float | None = None) -> Patient:
    return Patient(age=50, labs=[Lab(test=test, value=value, unit=unit, reference_high=high)])


@pytest.mark.parametrize(
    ("patient", "kind", "criterion", "verdict"),
    [
        # mg/dL and x ULN agree: decided
        (with_lab("creatinine", 0.9, "mg/dL"), "inclusion",
         "Serum creatinine should be less than 1.7", Verdict.MET),
        (with_lab("creatinine", 0.9, "mg/dL", 1.2), "exclusion",
         "Serum creatinine greater than 2.0", Verdict.NOT_MET),
        (with_lab("creatinine", 2.6, "mg/dL"), "inclusion",
         "Serum creatinine should be less than 1.7", Verdict.NOT_MET),
        (with_lab("creatinine", 230, "umol/L"), "inclusion",
         "Serum creatinine should be less than 1.7", Verdict.NOT_MET),
        # 1.8 mg/dL fails "< 1.7" as mg/dL but is 1.5 x ULN: the criterion must say which
        (with_lab("creatinine", 1.8, "mg/dL", 1.2), "inclusion",
         "Serum creatinine should be less than 1.7", Verdict.UNKNOWN),
        # a bare 2.5 on a transaminase can only be x ULN (2.5 U/L is no bound one writes)
        (with_lab("ast", 30, "U/L"), "inclusion", "AST less than 2.5", Verdict.MET),
        (with_lab("ast", 30, "U/L", 40), "inclusion", "AST less than 2.5", Verdict.MET),
        (with_lab("ast", 150, "U/L", 40), "inclusion", "AST less than 2.5", Verdict.NOT_MET),
        # ... and 150 only U/L
        (with_lab("ast", 30, "U/L"), "inclusion", "SGOT less than or equal to 150", Verdict.MET),
        # a bare 34 on bilirubin is umol/L (34 mg/dL is no bound one writes)
        (with_lab("total_bilirubin", 0.8, "mg/dL"), "inclusion", "Bilirubin < 34", Verdict.MET),
        (with_lab("total_bilirubin", 0.8, "mg/dL"), "inclusion", "Bilirubin <= 1.5",
         Verdict.MET),
        # magnesium 1.2: mmol/L or mg/dL (0.49 mmol/L); 0.8 mmol/L is below one, above the other
        (with_lab("magnesium", 0.8, "mmol/L"), "exclusion", "magnesium less than 1.2",
         Verdict.UNKNOWN),
        (with_lab("magnesium", 0.3, "mmol/L"), "exclusion", "magnesium less than 1.2",
         Verdict.MET),
        # no unit makes a plausible weight of 1,250: not compared (it was: 70 kg < 1,250)
        (with_lab("weight", 70, "kg"), "exclusion", "weight less than 1,250", Verdict.UNKNOWN),
        # a note's reading
        ("A 50-year-old man. Creatinine 0.9 mg/dL.", "inclusion", "creatinine < 1.5",
         Verdict.MET),
    ],
)  # fmt: skip
def test_a_bare_number_is_read_in_every_unit_it_may_be_in(
    patient: Patient | str, kind: str, criterion: str, verdict: Verdict
) -> None:
    result = judged(patient, kind, criterion)
    assert result.verdict is verdict, result.reason
    if verdict is not Verdict.UNKNOWN:
        assert "no unit given" in result.reason or "gives no unit" not in result.reason


def test_the_reason_says_the_criterion_gives_no_unit() -> None:
    result = judged(with_lab("creatinine", 1.8, "mg/dL", 1.2), "inclusion", "creatinine < 1.7")
    assert "gives no unit" in result.reason
    assert "as mg/dL not met" in result.reason and "as × ULN met" in result.reason


@settings(max_examples=200, deadline=None)
@given(
    bound=st.floats(min_value=0.8, max_value=8.0).map(lambda x: round(x, 1)),
    value=st.floats(min_value=0.3, max_value=12.0).map(lambda x: round(x, 2)),
    high=st.none() | st.floats(min_value=0.9, max_value=1.4).map(lambda x: round(x, 2)),
)
def test_a_decided_creatinine_bound_agrees_with_its_mg_dl_reading(
    bound: float, value: float, high: float | None
) -> None:
    result = judged(with_lab("creatinine", value, "mg/dL", high), "inclusion",
                    f"Serum creatinine less than {bound}")  # fmt: skip
    if result.verdict is not Verdict.UNKNOWN:
        assert (result.verdict is Verdict.MET) == (value < bound), result.reason
