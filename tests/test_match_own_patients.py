"""Colorectal cancer trials that ruled a colorectal cancer patient out. Read over the 32
corpus trials on colorectal cancer for a patient with liver metastases after FOLFOX, 6 of
16 deciding reasons were misreadings; each wording here is a corpus one."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.judging import judged
from trialscope.criteria import parse_criteria
from trialscope.match import TrialVerdict, Verdict, read_note
from trialscope.match.facts import PatientFacts
from trialscope.match.intake import load_patient
from trialscope.match.judge import judge_item
from trialscope.match.trials import judge_trial

ROOT = Path(__file__).resolve().parents[1]

CRC = (
    "A 64-year-old man with metastatic colon adenocarcinoma to the liver (3 lesions). ECOG 1. "
    "Prior FOLFOX."
)


def test_a_requirement_for_some_patients_asks_nothing_of_others() -> None:
    # NCT03983954: the treated patient is not one of those it asks about
    criterion = "Treatment-naïve patients will be eligible only if they refused standard treatment."
    result = judged(CRC, "inclusion", criterion)
    assert result.verdict is Verdict.MET, result.reason
    assert result.reason.startswith("asks only of treatment-naïve patients")


def test_a_permission_on_terms_is_no_rule_out() -> None:
    # NCT04247984: "stage metastatic fits metastatic" had ruled the patient out
    criterion = (
        "Prior adjuvant or neoadjuvant treatment for metastatic colorectal cancer is allowed, as "
        "long as it has concluded at least 6 months before beginning the treatment of the study;"
    )
    result = judged(CRC, "exclusion", criterion)
    assert result.verdict is Verdict.UNKNOWN, result.reason
    assert "permits this on terms not judged" in result.reason


def test_an_adverse_event_to_a_drug_is_not_the_drug() -> None:
    # NCT04247984: "patient has fluoropyrimidine" (FOLFOX) had ruled the patient out
    criterion = (
        "History of unexpected serious adverse events to fluoropyrimidine treatments or known "
        "dihidropyrimidine dehydrogenase (DPD) deficiency;"
    )
    assert judged(CRC, "exclusion", criterion).verdict is Verdict.NOT_MET


def test_which_response_criteria_for_which_disease_asks_no_disease() -> None:
    # NCT02576665: "not lymphoma" had ruled the colorectal patient out
    criterion = (
        "Patient has measurable disease by RECIST version 1.1 (solid tumors) or Lugano (lymphoma) "
        "criteria or evaluable or measureable disease by Macdonald criteria (rHGG)."
    )
    result = judged(CRC, "inclusion", criterion)
    assert result.verdict is Verdict.UNKNOWN, result.reason
    assert "lymphoma" not in result.reason


def test_a_list_of_diseases_takes_one_of_them() -> None:
    # NCT03096054: the numbered list was not nested under its heading, and each disease
    # but colorectal cancer ruled the colorectal patient out
    text = (
        "Inclusion Criteria:\n"
        "1. Histologically proven advanced or metastatic solid tumours.\n"
        "   For Phase Ia (dose escalation): Enriched for patients with tumours commonly "
        "associated with p53 mutation or loss of function:\n"
        "   1. Colorectal cancer (CRC)\n"
        "   2. High grade serous ovarian cancer (HGSOC)\n"
        "   3. Urothelial cancer\n"
        "   4. Breast cancer (triple negative type)\n"
        "   5. Pancreatic cancer\n"
        "2. Life expectancy of at least 12 weeks.\n"
    )
    facts = PatientFacts.of(read_note(CRC))
    verdict, results, _ = judge_trial("NCT03096054", {}, parse_criteria(text), facts)
    assert verdict is not TrialVerdict.INELIGIBLE, [r.reason for r in results]
    failed = [r for r in results if "Pancreatic cancer" in r.text]
    assert failed and failed[0].verdict is Verdict.NOT_APPLICABLE
    # a patient with none of them still fails the list
    lung = PatientFacts.of(read_note("A 60-year-old woman with small cell lung cancer."))
    assert judge_trial("x", {}, parse_criteria(text), lung)[0] is TrialVerdict.INELIGIBLE


# -- a 58-year-old woman with type 2 diabetes in the 142 corpus diabetes trials ---------------


def _t2dm(kind: str, criterion: str) -> Verdict:
    facts = PatientFacts.of(load_patient(ROOT / "examples" / "patients" / "t2dm_woman.yaml"))
    header = "Inclusion Criteria:" if kind == "inclusion" else "Exclusion Criteria:"
    (item,) = parse_criteria(f"{header}\n* {criterion}").items
    return judge_item(item, facts).verdict


@pytest.mark.parametrize(
    "criterion",
    [
        # NCT05251116, NCT03369899: the minors' consent and assent, and a small children's
        # procedure, had ruled a 58-year-old out by their ages
        "For subjects age between 2 and 5: willing to allow medical personnel to perform up to "
        "16 capillary finger sticks",
        "Subjects aged 17 years and younger must have a parent, guardian or legally authorized "
        "representative willing and able to provide written informed consent.",
        "Subject must be willing and able to provide written signed and dated informed assent "
        "(subjects aged 13 to 17 only).",
        "Subjects aged 7 - 17 years of age must be willing and able to provide written signed "
        "and dated informed assent.",
        "For adolescents under 18 years of age, able to provide informed assent to participate "
        "and supported by parental consent",
    ],
)
def test_an_age_that_says_whom_a_requirement_is_for_rules_no_one_out(criterion: str) -> None:
    assert _t2dm("inclusion", criterion) is not Verdict.NOT_MET


@pytest.mark.parametrize(
    "criterion",
    [
        "Are between the ages of 18 and 55 years, inclusive;",
        # NCT00002873: beside a parent's consent in another clause
        "Age 10-17 years; diagnosed with type 2 diabetes within the past 2 years; parent or "
        "guardian able to provide consent.",
        # NCT00001364 (TREC 2021): the children's cohort, with the consent it needs
        "Child ages 4-18 with known or suspected spinal AVM and with parent/guardian informed "
        "consent.",
    ],
)
def test_an_age_that_is_the_requirement_still_rules_out(criterion: str) -> None:
    assert _t2dm("inclusion", criterion) is Verdict.NOT_MET


def test_a_way_in_beyond_the_age_limit_is_no_requirement() -> None:
    # NCT06150508
    criterion = (
        "However, we will exercise flexibility in age eligibility, allowing patients above 70 "
        "years to participate if they meet the following criteria:"
    )
    assert _t2dm("inclusion", criterion) is Verdict.NOT_APPLICABLE


def test_what_another_trial_tests_is_not_what_the_patient_takes() -> None:
    # NCT05647226: "patient has antidiabetic medication" had ruled her out
    criterion = (
        "Currently taking part in a Clinical Trial of an Investigative Medicinal Product (CTIMP) "
        "trial for antidiabetic medication"
    )
    assert _t2dm("exclusion", criterion) is Verdict.NOT_MET
