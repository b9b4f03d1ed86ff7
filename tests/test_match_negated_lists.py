"""Lists under one negation, stages inside a name, the trial's own disease denied.

Each case failed before d0a492a: "No pregnancy or myasthenia gravis" was met by a patient
with myasthenia gravis (the names were read as alternatives, and the absent pregnancy
sufficed), "No metastatic breast cancer" failed every breast cancer patient (the
vocabulary names "metastatic breast cancer" as plain breast cancer), and "No histologically
evident invasive tumor" (after a lumpectomy) failed every patient of a breast cancer trial."""

from __future__ import annotations

import pytest

from trialscope.criteria import parse_criteria
from trialscope.match import TrialVerdict, Verdict, read_note
from trialscope.match.facts import PatientFacts
from trialscope.match.judge import judge_item
from trialscope.match.trials import judge_trial, own_concepts

MG = "A 36-year-old woman with myasthenia gravis treated with radiotherapy for thymoma."
STAGE_III = "A 50-year-old woman with stage III breast cancer."
METASTATIC = "A 50-year-old woman with metastatic breast cancer to bone."


def judged(note: str, criterion: str, kind: str = "inclusion") -> tuple[Verdict, str]:
    header = "Inclusion Criteria:" if kind == "inclusion" else "Exclusion Criteria:"
    item = parse_criteria(f"{header}\n* {criterion}").items[0]
    result = judge_item(item, PatientFacts.of(read_note(note)))
    return result.verdict, result.reason


@pytest.mark.parametrize(
    ("criterion", "verdict"),
    [
        ("No pregnancy or myasthenia gravis", Verdict.NOT_MET),
        ("No myasthenia gravis, diabetes or pregnancy", Verdict.NOT_MET),
        ("No prior chemotherapy or radiotherapy", Verdict.NOT_MET),
        ("Other: Not pregnant or nursing; no myasthenia gravis or diabetes", Verdict.NOT_MET),
        # the list goes on to require something: not one negation
        ("No prior chemotherapy for metastatic disease Induction chemotherapy required",
         Verdict.UNKNOWN),
    ],
)  # fmt: skip
def test_a_negated_list_needs_each_absent(criterion: str, verdict: Verdict) -> None:
    assert judged(MG, criterion)[0] is verdict


def test_a_negated_list_of_absent_things_is_met() -> None:
    verdict, _ = judged("A 36-year-old woman with thymoma. Not pregnant.", "No pregnancy or "
                        "myasthenia gravis")  # fmt: skip
    assert verdict is Verdict.MET


@pytest.mark.parametrize(
    ("note", "criterion", "verdict"),
    [
        (STAGE_III, "No metastatic breast cancer", Verdict.MET),
        (STAGE_III, "Metastatic breast cancer", Verdict.NOT_MET),
        (METASTATIC, "No metastatic breast cancer", Verdict.NOT_MET),
        (METASTATIC, "No known recurrence of breast cancer or metastatic breast cancer",
         Verdict.NOT_MET),
        # a stage written after the name still qualifies it
        (STAGE_III, "Breast cancer, stage IV", Verdict.NOT_MET),
        (STAGE_III, "Stage IV breast cancer", Verdict.NOT_MET),
        # a stage on its own questionnaire line is the stage of the note's one cancer
        ("Patient with breast cancer.\nDefinitive diagnosis: stage III.",
         "Metastatic breast cancer", Verdict.NOT_MET),
    ],
)  # fmt: skip
def test_a_stage_inside_a_name(note: str, criterion: str, verdict: Verdict) -> None:
    assert judged(note, criterion)[0] is verdict


@pytest.mark.parametrize(
    "criterion",
    [
        "Chemotherapy: No time limit between cytotoxic therapy and protocol treatment",
        "In order to demonstrate the presence or absence of macular edema, a fluorescein "
        "angiogram will be attempted",
    ],
)
def test_a_lifted_limit_requires_nothing(criterion: str) -> None:
    for note in ("A 60-year-old man with myeloma after chemotherapy, with macular edema.",
                 "A 60-year-old man with myeloma."):  # fmt: skip
        assert judged(note, criterion)[0] is not Verdict.NOT_MET


def test_denying_the_trials_own_disease_is_asked_not_failed() -> None:
    criteria = (
        "Inclusion Criteria:\n\n* No histologically evident invasive tumor or ductal carcinoma "
        "in situ\n* No invasive breast cancer"
    )
    facts = PatientFacts.of(read_note("A 42-year-old woman with infiltrating ductal breast "
                                      "carcinoma, s/p lumpectomy with clear margins."))  # fmt: skip
    parsed = parse_criteria(criteria)
    verdict, results, _ = judge_trial(
        "NCT00003782", {}, parsed, facts, own=own_concepts(["Breast Cancer"])
    )
    assert verdict is TrialVerdict.POSSIBLY_ELIGIBLE
    assert all("which the trial is about" in r.reason for r in results)
    # outside such a trial the same words rule the patient out
    verdict, _, _ = judge_trial("NCT00000000", {}, parsed, facts)
    assert verdict is TrialVerdict.INELIGIBLE


def test_a_group_without_the_disease_is_a_cohort() -> None:
    verdict, _ = judged("A 74-year-old man with CAD s/p CABG.", "Patients without CAD group, "
                        "defined as: the absence of a prior MI and <50% stenosis")  # fmt: skip
    assert verdict is not Verdict.NOT_MET


@pytest.mark.parametrize(
    "criterion",
    [
        # therapies the study plans or assigns, not ones a patient must have had
        "Radiotherapy: Radiotherapy required within 56 days following segmental mastectomy",
        "Special conditions for eligibility of mastectomy patients: irradiation. The decision "
        "to use locoregional irradiation in patients who have undergone total mastectomy",
        "Cardiovascular: No active cardiac disease that would preclude doxorubicin in patients "
        "assigned to adjuvant chemotherapy with doxorubicin",
    ],
)
def test_a_therapy_to_come_is_not_one_had(criterion: str) -> None:
    for note in ("A 50-year-old woman with breast cancer. Prior radiotherapy: no.",
                 "A 50-year-old woman with breast cancer. Prior chemotherapy: adjuvant "
                 "chemotherapy."):  # fmt: skip
        assert judged(note, criterion)[0] is Verdict.UNKNOWN


@pytest.mark.parametrize(
    "criterion",
    ["Prior radiotherapy required", "Prior radiotherapy required within 6 months before entry"],
)
def test_a_therapy_had_is_still_required(criterion: str) -> None:
    note = "A 50-year-old woman with breast cancer. Prior radiotherapy: no."
    assert judged(note, criterion)[0] is Verdict.NOT_MET


@pytest.mark.parametrize(
    ("note", "criterion", "kind", "verdict"),
    [
        # one seizure (after a haemorrhage) is not a seizure disorder; epilepsy is having seizures
        ("A 44-year-old woman. Past history: viral meningitis complicated by a seizure in 2015.",
         "No history of seizure disorder", "inclusion", Verdict.UNKNOWN),
        ("A 44-year-old woman with epilepsy on levetiracetam.", "No history of seizure disorder",
         "inclusion", Verdict.NOT_MET),
        ("A 44-year-old woman with epilepsy on levetiracetam.", "No history of seizures",
         "inclusion", Verdict.NOT_MET),
        ("A 44-year-old woman. Past history: viral meningitis complicated by a seizure in 2015.",
         "History of seizure or epilepsy", "exclusion", Verdict.MET),
    ],
)  # fmt: skip
def test_a_seizure_is_not_epilepsy(note: str, criterion: str, kind: str, verdict: Verdict) -> None:
    assert judged(note, criterion, kind)[0] is verdict
