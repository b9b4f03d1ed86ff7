"""A bound with a variant for some patients: "AST and ALT ≤ 2.5 × ULN (≤ 5 × ULN if liver
metastases)".

The disease in the variant said whom it is for, but was judged as a requirement of its
own: a patient with no liver metastases and ALT at 1.5 × ULN failed the criterion above
(108 corpus items have this form), and "Age greater than 75 (greater than 65 for multiple
myeloma)" excluded every patient with myeloma, whatever their age."""

from __future__ import annotations

import pytest

from tests.judging import judged
from trialscope.match import Verdict

LIVER = "AST and ALT ≤ 2.5 × ULN (≤ 5 × ULN if liver metastases)"
FOR_PATIENTS = (
    "Total bilirubin ≤ 1.5 × ULN; AST/ALT ≤ 3 × ULN (≤ 5 × ULN for patients with liver metastases)"
)
MYELOMA = "Age greater than 75 (greater than 65 for multiple myeloma)"
IF_MYELOMA = "Age > 75 years (> 65 years if multiple myeloma)"
# a TREC 2021 exclusion that ruled out an eligible 64-year-old with myeloma
GROUP_A = (
    "Group A: age less than 10 or greater than 75 (multiple myeloma age less than 8 or greater "
    "than 65);"
)

NO_METS = (
    "A 64-year-old man with colon cancer; no liver metastases. AST 30 U/L. ALT 60 U/L. "
    "Total bilirubin 0.8 mg/dL."
)
NO_METS_HIGH = "A 64-year-old man with colon cancer; no liver metastases. AST 30 U/L. ALT 150 U/L."
METS_HIGH = "A 64-year-old man with colon cancer and liver metastases. AST 30 U/L. ALT 150 U/L."
UNSAID_HIGH = "A 64-year-old man with colon cancer. AST 30 U/L. ALT 150 U/L."
UNSAID_LOW = "A 64-year-old man with colon cancer. AST 30 U/L. ALT 40 U/L."


@pytest.mark.parametrize(
    ("note", "kind", "criterion", "verdict"),
    [
        # no liver metastases: the base bound decides, the disease is no requirement
        (NO_METS, "inclusion", LIVER, Verdict.MET),
        (NO_METS, "inclusion", FOR_PATIENTS, Verdict.MET),
        (NO_METS_HIGH, "inclusion", LIVER, Verdict.NOT_MET),
        # liver metastases: the variant replaces the base bound
        (METS_HIGH, "inclusion", LIVER, Verdict.MET),
        # not said: both bounds agree, or the disease is asked
        (UNSAID_LOW, "inclusion", LIVER, Verdict.MET),
        (UNSAID_HIGH, "inclusion", LIVER, Verdict.UNKNOWN),
        # the age variant: for myeloma only, and only by age
        ("A 64-year-old man with multiple myeloma.", "exclusion", MYELOMA, Verdict.NOT_MET),
        ("A 70-year-old man with multiple myeloma.", "exclusion", MYELOMA, Verdict.MET),
        ("A 70-year-old man with multiple myeloma.", "exclusion", IF_MYELOMA, Verdict.MET),
        ("A 70-year-old man with colon cancer.", "exclusion", IF_MYELOMA, Verdict.NOT_MET),
        ("A 80-year-old man with colon cancer.", "exclusion", IF_MYELOMA, Verdict.MET),
        # the variant written before its bound, the bracket opened by the disease
        ("A 64-year-old woman with multiple myeloma.", "exclusion", GROUP_A, Verdict.NOT_MET),
        ("A 70-year-old woman with multiple myeloma.", "exclusion", GROUP_A, Verdict.MET),
        ("A 70-year-old woman with colon cancer.", "exclusion", GROUP_A, Verdict.NOT_MET),
        # a bracket the disease opens, with no base bound beside it, is the item's bound
        ("A 70-year-old woman with hypertension. Systolic blood pressure 170 mmHg.", "exclusion",
         "Uncontrolled blood pressure (hypertension: systolic BP > 160 mmHg)", Verdict.MET),
    ],
)  # fmt: skip
def test_a_variant_bound_is_for_whom_it_names(
    note: str, kind: str, criterion: str, verdict: Verdict
) -> None:
    result = judged(note, kind, criterion)
    assert result.verdict is verdict, result.reason


def test_an_unsettled_variant_asks_the_disease() -> None:
    result = judged(UNSAID_HIGH, "inclusion", LIVER)
    assert "depends on" in result.reason
    assert any("liver_metastases" in q.key for q in result.questions)
