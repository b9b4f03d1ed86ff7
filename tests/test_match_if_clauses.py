"""A bound after "if"/"when" says whom the rest of the criterion asks about; it is no
requirement of its own (issue 11, 2026-12-06). Before, "Consent of parent or guardian if
less than 18 years of age" failed every adult, and "Reticulocyte count less than 80,000
if hemoglobin is less than 9 g/dL" excluded every anaemic patient on the hemoglobin
alone. Criteria are worded as in corpus records; the patients are written for the test."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trialscope.criteria import parse_criteria
from trialscope.match import Verdict, read_note
from trialscope.match.conditional import condition_clause
from trialscope.match.facts import PatientFacts
from trialscope.match.judge import judge_item
from trialscope.match.verdicts import CriterionResult

ADULT = "A 45-year-old man with sickle cell anemia. Hemoglobin 8.7 g/dL. Creatinine 0.9 mg/dL."
CHILD = "A 12-year-old boy with sickle cell anemia. Hemoglobin 10.2 g/dL."


def judged(note: str, kind: str, criterion: str, *, complete: bool = False) -> CriterionResult:
    header = "Inclusion Criteria:" if kind == "inclusion" else "Exclusion Criteria:"
    item = parse_criteria(f"{header}\n* {criterion}").items[0]
    patient = read_note(note).model_copy(update={"complete_history": complete})
    return judge_item(item, PatientFacts.of(patient))


@pytest.mark.parametrize(
    ("note", "criterion", "verdict", "says"),
    [
        # an adult is not asked for a guardian's consent
        (ADULT, "Consent of parent or guardian if less than 18 years of age.", Verdict.MET,
         "asks only if less than 18"),
        (ADULT, "Parental consent if patient is < 18 years old.", Verdict.MET, "asks only"),
        # a child is: consent has not been asked yet
        (CHILD, "Consent of parent or guardian if less than 18 years of age.", Verdict.UNKNOWN,
         "age 12 meets age < 18"),
        # the "or" before the clause: the adult's own consent is what is asked
        (ADULT, "Capability of signing an informed consent, or consent of guardian if < 18 "
         "years of age.", Verdict.UNKNOWN, "consent and follow-up not yet asked"),
        # ", or if <condition>, <another way in>": the first way in decides for an adult
        ("A 30-year-old woman with HIV-1 infection.", "HIV-1 infection, or if less than 15 "
         "months old, born to mother with HIV-1 infection.", Verdict.MET, "HIV"),
        # the condition holds and the requirement is read: it decides
        ("A 50-year-old man. Creatinine 2.0 mg/dL. Creatinine clearance 45 mL/min.",
         "Creatinine clearance >= 60 mL/min if serum creatinine > 1.5 mg/dL", Verdict.NOT_MET,
         "fails"),
        ("A 50-year-old man. Creatinine 1.0 mg/dL.",
         "Creatinine clearance >= 60 mL/min if serum creatinine > 1.5 mg/dL", Verdict.MET,
         "asks only"),
    ],
)  # fmt: skip
def test_inclusion_conditions(note: str, criterion: str, verdict: Verdict, says: str) -> None:
    result = judged(note, "inclusion", criterion)
    assert result.verdict is verdict, result.reason
    assert says in result.reason


@pytest.mark.parametrize("complete", [False, True])
def test_a_bound_in_the_condition_does_not_exclude_on_its_own(complete: bool) -> None:
    # the reticulocyte count is what excludes, and only when hemoglobin is under 9 g/dL
    result = judged(
        ADULT,
        "exclusion",
        "Reticulocyte count less than 80,000/cu mm if hemoglobin is less than 9 gm/dL",
        complete=complete,
    )
    assert result.verdict is not Verdict.MET, result.reason
    assert "hemoglobin" in result.reason.lower()


@pytest.mark.parametrize(
    ("note", "verdict", "says"),
    [
        # outside the condition the exclusion excludes no one
        ("A 30-year-old man. Creatinine clearance 40 mL/min.", Verdict.NOT_MET, "applies only"),
        # inside it, the requirement decides
        ("A 60-year-old man. Creatinine clearance 40 mL/min.", Verdict.MET, "meets"),
        ("A 60-year-old man. Creatinine clearance 90 mL/min.", Verdict.NOT_MET, "fails"),
    ],
)
def test_exclusion_conditions(note: str, verdict: Verdict, says: str) -> None:
    result = judged(note, "exclusion", "Creatinine clearance < 60 mL/min if age > 40 years")
    assert result.verdict is verdict, result.reason
    assert says in result.reason


def test_even_if_is_still_covered() -> None:
    # "even if AST <= 5 x ULN": the bound is a case the exclusion covers, not a condition
    result = judged(
        "A 40-year-old man with acute hepatitis B diagnosed 2 weeks ago. AST 30 U/L.",
        "exclusion",
        "Proven or suspected acute hepatitis within 30 days prior to entry, even if AST (SGOT) "
        "and ALT (SGPT) are <= 5 X ULN.",
    )
    assert result.verdict is Verdict.MET, result.reason
    assert "hepatitis" in result.reason


@pytest.mark.parametrize(
    "criterion",
    [
        "Patients will be ineligible if the WBC is less than 3,000.",  # the clause is the rule
        "Prior radiotherapy allowed if completed at least 4 weeks before and platelets > 100,000",
        "HbA1c 7.5%-9% (if on more drugs) or 7.5%-11% (if on fewer drugs)",  # no bound inside
        "Age >= 18 years when signing the informed consent",
    ],
)
def test_clauses_that_are_no_condition(criterion: str) -> None:
    item = parse_criteria(f"Exclusion Criteria:\n* {criterion}").items[0]
    assert condition_clause(item) is None


@given(age=st.integers(min_value=18, max_value=99))
def test_an_adult_is_never_failed_for_a_minor_s_consent(age: int) -> None:
    result = judged(
        f"A {age}-year-old woman.", "inclusion", "Consent of parent or guardian if < 18 years old."
    )
    assert result.verdict is Verdict.MET


def test_a_leading_if_reads_as_a_condition_in_the_reason() -> None:
    # "asks only of if patients have ..." read badly
    result = judged(
        "A 29-year-old healthy woman.",
        "inclusion",
        "Other: If patients have biliary or gastroduodenal obstruction, they must have drainage "
        "prior to starting chemoradiation",
    )
    assert result.reason.startswith("asks only if patients have biliary"), result.reason
