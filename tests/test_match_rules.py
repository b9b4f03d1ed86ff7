"""How the matcher reads what a criterion means, not only what it names: requirement
lists under a negation, "other" relative to the trial's own condition, compound
criteria judged whole, the closed world on a known diagnosis, cohort headings and
severity qualifiers — each on real trial text (issue 11)."""

from __future__ import annotations

import gzip
import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CTGOV, FIXTURES, SHARED_DATA
from tests.judging import judged
from trialscope.criteria import parse_criteria
from trialscope.importer import import_paths
from trialscope.match import (
    Patient,
    TrialVerdict,
    Verdict,
    apply_answers,
    match_patient,
    match_trial,
    read_note,
)
from trialscope.match.facts import PatientFacts
from trialscope.match.intake import load_patient
from trialscope.match.trials import HEALTHY_ITEM, judge_trial, own_concepts
from trialscope.match.verdicts import CriterionResult, TrialMatch
from trialscope.record import Study
from trialscope.store import SQLiteStore

SEEDS = SHARED_DATA.parent / "seeds"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "patients"

#: a patient with resected colorectal liver metastases and normal blood counts
CRLM_PATIENT: dict[str, Any] = {
    "age": 58,
    "sex": "male",
    "conditions": [
        {"name": "colon adenocarcinoma"},
        {"name": "liver metastases", "lesion_count": 2},
    ],
    "therapies": [{"name": "FOLFOX", "classes": ["chemotherapy"], "status": "completed"}],
    "labs": [
        {"test": "anc", "value": 3.2, "unit": "10^9/L"},
        {"test": "hemoglobin", "value": 12.5, "unit": "g/dL"},
        {"test": "platelets", "value": 210, "unit": "10^9/L"},
        {"test": "alt", "value": 30, "unit": "U/L", "reference_high": 40},
        {"test": "ast", "value": 28, "unit": "U/L", "reference_high": 40},
        {"test": "creatinine", "value": 0.8, "unit": "mg/dL", "reference_high": 1.2},
    ],
    "performance": [{"scale": "ecog", "value": 1}],
    "complete_history": True,
}


def seed_criteria(nct_id: str) -> str:
    """The eligibility text of a seed trial page (the only copy of these records)."""
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        if nct_id not in text:
            continue
        lower = text.lower()
        start = lower.index("inclusion criteria\n")
        end = min(
            i
            for i in (lower.find(m, start) for m in ("minimum eligible age", "trial design"))
            if i > 0
        )
        return text[start:end]
    raise AssertionError(f"{nct_id} is not among the seed pages in {SEEDS}")


def judge(
    criteria: str,
    patient: dict[str, Any],
    eligibility: dict[str, Any] | None = None,
    conditions: tuple[str, ...] = (),
) -> tuple[TrialVerdict, dict[str, CriterionResult]]:
    facts = PatientFacts.of(Patient.from_data(patient))
    verdict, results, _ = judge_trial(
        "NCT", eligibility or {}, parse_criteria(criteria), facts, own=own_concepts(conditions)
    )
    return verdict, {" ".join(r.text.split()): r for r in results}


def find(results: dict[str, CriterionResult], start: str) -> CriterionResult:
    hits = [r for text, r in results.items() if text.startswith(start)]
    assert len(hits) == 1, (start, list(results))
    return hits[0]


# -- 2. negated requirement lists ---------------------------------------------------------


def test_exclusion_listing_requirements_applies_only_when_one_fails() -> None:
    text = seed_criteria("NCT06120127")
    _, results = judge(text, CRLM_PATIENT)
    labs = find(results, "Baseline blood and biochemical indicator do not meet")
    assert labs.verdict is Verdict.NOT_MET, labs.reason  # normal labs: not excluded
    anaemic = {**CRLM_PATIENT, "labs": [
        *CRLM_PATIENT["labs"][:1], {"test": "hemoglobin", "value": 8.1, "unit": "g/dL"},
        *CRLM_PATIENT["labs"][2:]]}  # fmt: skip
    _, results = judge(text, anaemic)
    labs = find(results, "Baseline blood and biochemical indicator do not meet")
    assert labs.verdict is Verdict.MET and "hemoglobin" in labs.reason.lower()
    no_labs = {**CRLM_PATIENT, "labs": []}
    _, results = judge(text, no_labs)
    labs = find(results, "Baseline blood and biochemical indicator do not meet")
    assert labs.verdict is Verdict.UNKNOWN and labs.questions  # never assumed away


def test_requirements_listed_under_a_negated_heading() -> None:
    text = (
        "Exclusion Criteria:\n- Laboratory values not satisfying the following:\n"
        "  - ANC >= 1.5 x 10^9/L\n  - Platelets >= 100 x 10^9/L\n"
    )
    verdict, results = judge(text, CRLM_PATIENT)
    assert find(results, "ANC").verdict is Verdict.NOT_MET
    assert verdict is TrialVerdict.ELIGIBLE
    low = {**CRLM_PATIENT, "labs": [{"test": "platelets", "value": 60, "unit": "10^9/L"},
                                     {"test": "anc", "value": 3.2, "unit": "10^9/L"}]}  # fmt: skip
    verdict, results = judge(text, low)
    assert find(results, "Platelets").verdict is Verdict.MET
    assert verdict is TrialVerdict.INELIGIBLE


# -- 3. "other" is relative to the trial's own condition ----------------------------------

#: NCT05797077's condition list, as its record gives it
CRLM_CONDITIONS = ("Liver Metastases", "Circulating Tumor Cell", "Cancer, Therapy-Related",
                   "Colorectal Cancer")  # fmt: skip


def test_other_sites_and_malignancies_exclude_what_the_trial_is_not_about() -> None:
    text = seed_criteria("NCT05797077")
    eligibility = {"sex": "ALL", "minimumAge": "18 Years", "maximumAge": "75 Years"}
    _, results = judge(text, CRLM_PATIENT, eligibility, CRLM_CONDITIONS)
    sites = find(results, "Patients with distant metastases to other sites")
    assert sites.verdict is Verdict.NOT_MET, sites.reason  # the liver is this trial's site
    other = find(results, "Patients with a history of other malignant tumors")
    assert other.verdict is Verdict.NOT_MET, other.reason  # colon cancer is the trial's own
    tolerate = find(results, "Patients with severe liver or kidney dysfunction")
    assert tolerate.verdict is Verdict.NOT_MET, tolerate.reason  # prior FOLFOX is no intolerance
    assert all("FOLFOX" not in e.fact for e in tolerate.evidence)
    # metastases elsewhere and a second cancer do count
    more = [{"name": "peritoneal metastases"}, {"name": "breast cancer", "status": "history"}]
    spread = {**CRLM_PATIENT, "conditions": [*CRLM_PATIENT["conditions"], *more]}
    verdict, results = judge(text, spread, eligibility, CRLM_CONDITIONS)
    assert find(results, "Patients with distant metastases to other sites").verdict is Verdict.MET
    other = find(results, "Patients with a history of other malignant tumors")
    assert other.verdict is Verdict.MET and "breast" in other.evidence[0].fact
    assert verdict is TrialVerdict.INELIGIBLE


# -- on stored records ------------------------------------------------------------------

#: NCT07254910 (CRC screening among American Indians in Oklahoma), NCT07026123 (PDAC)
RECORDS = CTGOV / "v2" / "vjudyani__clinical-trial-eligibility-classifier.jsonl.gz"
SCREENING, PDAC = "NCT07254910", "NCT07026123"
METASTATIC_CRC = {**CRLM_PATIENT, "age": 62}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SQLiteStore]:
    with SQLiteStore(tmp_path_factory.mktemp("rules") / "r.db") as made:
        import_paths(made, [RECORDS])
        yield made


# -- 4. compound criteria are judged whole ------------------------------------------------


def test_a_met_age_does_not_make_a_compound_criterion_met(store: SQLiteStore) -> None:
    match = match_trial(store, SCREENING, Patient.from_data(METASTATIC_CRC))
    compound = next(c for c in match.criteria if c.text.startswith("Age 45-75 Live within"))
    assert compound.verdict is Verdict.UNKNOWN, compound.reason
    assert "catchment" in compound.reason and compound.questions
    assert match.verdict is not TrialVerdict.ELIGIBLE
    # a screening trial is for people without the disease it screens for
    assert match.verdict is TrialVerdict.INELIGIBLE
    assert "already has colon adenocarcinoma" in match.criteria[0].reason
    # someone who fits: the answer to the unjudged part settles it
    person = Patient.from_data({"age": 60, "sex": "female", "complete_history": True})
    before = match_trial(store, SCREENING, person)
    assert before.verdict is TrialVerdict.POSSIBLY_ELIGIBLE
    key = next(c for c in before.criteria if c.text.startswith("Age 45-75")).questions[0].key
    after = match_trial(store, SCREENING, apply_answers(person, {key: "yes"}))
    assert after.verdict is TrialVerdict.ELIGIBLE


def test_a_failed_part_makes_the_compound_criterion_not_met() -> None:
    text = "Inclusion Criteria:\n* Age 45-75 Live within IHS Clinton Service Unit catchment area"
    verdict, results = judge(text, {**METASTATIC_CRC, "age": 80})
    assert find(results, "Age 45-75").verdict is Verdict.NOT_MET
    assert verdict is TrialVerdict.INELIGIBLE


# -- 5. the closed world on the known diagnosis --------------------------------------------


def test_a_known_primary_rules_out_a_different_one(store: SQLiteStore) -> None:
    match = match_trial(store, PDAC, Patient.from_data(METASTATIC_CRC))
    pdac = [c for c in match.criteria if "metastatic PDAC" in c.text]
    assert pdac and all(c.verdict is Verdict.NOT_MET for c in pdac)
    assert "primary cancer is colon adenocarcinoma" in pdac[0].reason
    assert match.verdict is TrialVerdict.INELIGIBLE


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [
        ([{"name": "adenocarcinoma"}], Verdict.UNKNOWN),  # no primary site known
        ([], Verdict.UNKNOWN),
        ([{"name": "liver metastases"}], Verdict.UNKNOWN),  # a metastasis is no primary
        ([{"name": "cancer of the digestive system"}], Verdict.UNKNOWN),  # broader: may be it
        ([{"name": "rectal cancer"}], Verdict.NOT_MET),
        ([{"name": "breast cancer"}], Verdict.NOT_MET),
    ],
)
def test_primary_sites_come_from_the_vocabulary(
    conditions: list[dict[str, str]], expected: Verdict
) -> None:
    text = "Inclusion Criteria:\n* Histologically confirmed pancreatic ductal adenocarcinoma"
    _, results = judge(text, {"age": 60, "conditions": conditions})
    assert find(results, "Histologically").verdict is expected


@pytest.mark.parametrize(
    ("condition", "criterion", "expected"),
    [
        # same organ, another histologic type (MeSH "Neoplasms by Histologic Type")
        ("anaplastic astrocytoma", "Anaplastic oligodendroglioma", Verdict.NOT_MET),
        ("lung adenocarcinoma", "Small cell lung cancer", Verdict.NOT_MET),
        ("lung adenocarcinoma", "Squamous cell carcinoma of the lung", Verdict.NOT_MET),
        ("Hodgkin lymphoma", "Diffuse large B-cell lymphoma", Verdict.NOT_MET),
        # a kind of the other, either way: may be it
        ("lung adenocarcinoma", "Non-small cell lung cancer", Verdict.MET),
        ("anaplastic astrocytoma", "Malignant glioma", Verdict.MET),
        ("glioma", "Anaplastic oligodendroglioma", Verdict.UNKNOWN),
        ("anaplastic astrocytoma", "Glioblastoma multiforme", Verdict.UNKNOWN),
        # the patient's type is not said
        ("breast cancer", "Invasive ductal carcinoma", Verdict.UNKNOWN),
        ("brain tumor", "Anaplastic oligodendroglioma", Verdict.UNKNOWN),
    ],
)
def test_a_known_cancer_type_rules_out_a_different_one(
    condition: str, criterion: str, expected: Verdict
) -> None:
    patient = {"conditions": [{"name": condition}]}
    _, results = judge(f"Inclusion Criteria:\n* {criterion}", patient)
    result = find(results, criterion)
    assert result.verdict is expected, result.reason
    if expected is Verdict.NOT_MET:
        assert condition in result.reason


def test_a_cancer_of_unsaid_type_beside_a_typed_one_keeps_the_question() -> None:
    # the basal cell carcinoma says nothing about the brain tumour's type
    skin = {"name": "basal cell carcinoma", "status": "history"}
    patient = {"conditions": [{"name": "brain tumor"}, skin]}
    _, results = judge("Inclusion Criteria:\n* Anaplastic oligodendroglioma", patient)
    assert find(results, "Anaplastic").verdict is Verdict.UNKNOWN


@pytest.mark.parametrize(
    ("note", "expected"),
    [
        # read twice (colorectal cancer; colon adenocarcinoma): one cancer, its type said
        ("A 60-year-old man with colon adenocarcinoma metastatic to the liver.", Verdict.NOT_MET),
        ("A 60-year-old man with adenocarcinoma of the sigmoid colon.", Verdict.NOT_MET),
        # the type is not said, or a second cancer's is not
        ("A 60-year-old man with colon cancer.", Verdict.UNKNOWN),
        ("A 60-year-old man with colon adenocarcinoma and a history of breast cancer.",
         Verdict.UNKNOWN),
    ],
)  # fmt: skip
def test_a_cancer_said_twice_keeps_its_type(note: str, expected: Verdict) -> None:
    result = judged(note, "inclusion", "Diagnosis of acute myeloid leukemia")
    assert result.verdict is expected, result.reason


def test_whom_a_requirement_is_for_is_no_requirement() -> None:
    # NCT04429087: the platinum line is asked of small cell carcinoma patients only
    criterion = (
        "Standard therapies should include at least one line of chemotherapy that should "
        "include platinum for patients with small cells carcinoma tumors histologies."
    )
    note = "A 60-year-old man with colon adenocarcinoma metastatic to the liver."
    result = judged(note, "inclusion", criterion)
    assert result.verdict is Verdict.UNKNOWN, result.reason
    assert "small cell" not in result.reason
    alone = judged(note, "inclusion", "Small cell carcinoma of any origin")
    assert alone.verdict is Verdict.NOT_MET, alone.reason
    # NCT02735252, a basket trial: the bound is for its prostate cancer participants
    prostate = "For prostate cancer participants only, serum testosterone < 50 ng/dL."
    result = judged(note, "inclusion", prostate)
    assert result.verdict is Verdict.UNKNOWN and "testosterone" in result.reason.lower()
    # NCT00184067: a sentence that lets a cancer in asks for none
    allowed = (
        "Patients who have had another malignancy but with no evidence of disease for greater "
        "than 5 years will be eligible if it is felt they are likely to be cured. Patients "
        "with squamous or basal carcinoma of the skin that have been treated with curative "
        "intent can be accrued to this trial 30 days after treatment."
    )
    assert judged(note, "inclusion", allowed).verdict is not Verdict.NOT_MET


def test_a_healthy_person_fits_no_disease_trial(store: SQLiteStore) -> None:
    note = "Healthy volunteer, 50-year-old woman. No history of cancer. Takes no medications."
    match = match_trial(store, PDAC, read_note(note))
    assert match.verdict is TrialVerdict.INELIGIBLE
    assert match.deciding[0] == HEALTHY_ITEM == match.criteria[0].index
    assert "healthy volunteers" in match.criteria[0].reason
    pdac = [c for c in match.criteria if "metastatic PDAC" in c.text]
    assert pdac and all(c.verdict is Verdict.NOT_MET for c in pdac)
    # "no history of cancer" alone rules out a cancer, not everything
    _, results = judge(
        "Inclusion Criteria:\n* Colorectal cancer\n* Type 2 diabetes",
        {"age": 50, "conditions": [{"name": "cancer", "status": "absent"}]},
    )
    assert find(results, "Colorectal").verdict is Verdict.NOT_MET
    assert find(results, "Type 2").verdict is Verdict.UNKNOWN
    # "previously healthy" describes the time before the illness
    sick = read_note("A previously healthy 50-year-old man with jaundice.")
    _, results = judge("Inclusion Criteria:\n* Pancreatic cancer", sick.model_dump())
    assert find(results, "Pancreatic").verdict is Verdict.UNKNOWN


# -- 7. cohort headings, severity qualifiers, negated inclusions ------------------------------


def legacy_criteria(nct_id: str, file: str) -> str:
    """The criteria textblock of a legacy XML record in the shared corpus."""
    with gzip.open(CTGOV / "legacy_xml" / file, "rt", encoding="utf-8") as handle:
        for line in handle:
            xml = json.loads(line).get("xml", "")
            if f"<nct_id>{nct_id}</nct_id>" in xml:
                found = re.search(r"<criteria>\s*<textblock>(.*?)</textblock>", xml, re.S)
                assert found is not None
                return html.unescape(found.group(1))
    raise AssertionError(f"{nct_id} not in {file}")


@pytest.mark.parametrize(
    ("age", "karnofsky", "expected"),
    [
        (50, 90, Verdict.MET),  # under 65: the 90-100 % arm, the 65-70 items do not apply
        (50, 80, Verdict.NOT_MET),
        (67, 80, Verdict.MET),  # 65-70: 80-100 % is enough, the under-65 items do not apply
    ],
)
def test_cohort_headings_apply_to_their_cohort_only(
    age: int, karnofsky: int, expected: Verdict
) -> None:
    text = legacy_criteria("NCT00005984", "reesewang25__enrollment_and_studylength.jsonl.gz")
    patient = {"age": age, "conditions": [{"name": "chronic myelogenous leukemia"}],
               "performance": [{"scale": "karnofsky", "value": karnofsky}]}  # fmt: skip
    _, results = judge(text, patient)
    karnofsky_items = [r for t, r in results.items() if t.startswith("Karnofsky")]
    applying = [r for r in karnofsky_items if r.verdict is not Verdict.NOT_APPLICABLE]
    assert len(karnofsky_items) == 2 and len(applying) == 1, karnofsky_items
    assert applying[0].verdict is expected, applying[0].reason
    heads = [r for t, r in results.items() if t == "Age 65-70 years:"]
    assert heads and all(
        r.verdict is (Verdict.MET if age >= 65 else Verdict.NOT_APPLICABLE) for r in heads
    )
    lvef = find(results, "LVEF at least 45%")
    assert (lvef.verdict is Verdict.NOT_APPLICABLE) is (age < 65)


def judge_one(
    criterion: str, patient: dict[str, Any], kind: str, conditions: tuple[str, ...] = ()
) -> CriterionResult:
    """One criterion line as the given kind, against the trial's own conditions."""
    header = "Inclusion Criteria:" if kind == "inclusion" else "Exclusion Criteria:"
    _, results = judge(f"{header}\n* {criterion}", patient, conditions=conditions)
    return find(results, criterion[:20])


COPD = {"age": 66, "conditions": [{"name": "COPD"}], "complete_history": True}


@pytest.mark.parametrize(
    ("fev1", "expected"),
    [(None, Verdict.UNKNOWN), (40, Verdict.MET), (70, Verdict.NOT_MET)],
)
def test_severity_is_not_satisfied_by_a_bare_diagnosis(
    fev1: float | None, expected: Verdict
) -> None:
    labs = [] if fev1 is None else [{"test": "fev1", "value": fev1, "unit": "%"}]
    result = judge_one("Severe COPD (FEV1 < 50%)", {**COPD, "labs": labs}, "exclusion")
    assert result.verdict is expected, result.reason
    if expected is Verdict.UNKNOWN:
        assert {"condition:kind:severe-copd", "lab:fev1"} <= {q.key for q in result.questions}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [("hypertension", Verdict.UNKNOWN), ("uncontrolled hypertension", Verdict.MET)],
)
def test_uncontrolled_needs_saying(condition: str, expected: Verdict) -> None:
    patient = {"age": 60, "conditions": [{"name": condition}], "complete_history": True}
    assert judge_one("Uncontrolled hypertension", patient, "exclusion").verdict is expected


FOLFOX = {"name": "FOLFOX", "classes": ["chemotherapy"], "status": "completed", "end": "2024-01-01"}
THERAPY = {"age": 60, "as_of": "2026-12-01", "complete_history": True, "therapies": [FOLFOX]}


@pytest.mark.parametrize(
    ("criterion", "expected"),
    [
        ("No concurrent chemotherapy", Verdict.MET),  # finished: not concurrent
        ("No prior chemotherapy within 6 months", Verdict.MET),  # ended almost 3 years ago
        ("No prior chemotherapy within 5 years", Verdict.NOT_MET),
        ("No prior chemotherapy", Verdict.NOT_MET),
    ],
)
def test_negated_inclusions_with_time_windows(criterion: str, expected: Verdict) -> None:
    result = judge_one(criterion, THERAPY, "inclusion")
    assert result.verdict is expected, result.reason


def test_negated_inclusion_of_other_malignancies() -> None:
    crc = {"age": 60, "conditions": [{"name": "colon adenocarcinoma"}], "complete_history": True}
    criterion = "No other prior invasive malignancies within 5 years"
    result = judge_one(criterion, crc, "inclusion", CRLM_CONDITIONS)
    assert result.verdict is Verdict.MET, result.reason  # the colon cancer is the trial's own
    second = {**crc, "conditions": [*crc["conditions"], {"name": "breast cancer"}]}
    assert judge_one(criterion, second, "inclusion", CRLM_CONDITIONS).verdict is Verdict.NOT_MET


def test_words_about_spread_and_primary_are_read_from_the_whole_record() -> None:
    _, results = judge(seed_criteria("NCT06120127"), CRLM_PATIENT)
    crlm = find(results, "pathological and imaging confirmed colorectal")
    assert crlm.verdict is Verdict.MET, crlm.reason  # colon primary + liver metastases
    _, results = judge(seed_criteria("NCT05797077"), CRLM_PATIENT, conditions=CRLM_CONDITIONS)
    resected = find(results, "Patients with liver metastatic colorectal cancer")
    assert resected.verdict is Verdict.UNKNOWN  # the R0 resection is what is open
    assert [q.key for q in resected.questions] == ["prior_therapy:surgery"], resected.reason


def test_the_closed_world_stays_closed_only_where_it_should() -> None:
    # "is healthy" in a note about a new illness is no healthy volunteer
    sick = read_note("A 57-year-old man with epigastric pain. He is healthy with no allergies.")
    verdict, results = judge(
        "Inclusion Criteria:\n* Acute pancreatitis", sick.model_dump(), {"healthyVolunteers": False}
    )
    assert find(results, "Acute pancreatitis").verdict is Verdict.UNKNOWN
    assert verdict is not TrialVerdict.INELIGIBLE
    # one organ, another kind: papillary thyroid cancer is a thyroid cancer
    thyroid = {"age": 70, "conditions": [{"name": "papillary thyroid cancer"}]}
    _, results = judge(
        "Inclusion Criteria:\n* Thyroid cancer", thyroid, conditions=("Thyroid Cancer",)
    )
    assert find(results, "Thyroid cancer").verdict is not Verdict.NOT_MET
    # cancers a breast cancer trial lets through are no requirement of another primary
    text = (
        "Inclusion Criteria:\n* Breast cancer\n* No other malignancy within 5 years except:\n"
        "  * Squamous cell skin cancer\n  * In situ cervical cancer\n"
    )
    breast = {"age": 50, "sex": "female", "conditions": [{"name": "breast cancer"}]}
    verdict, results = judge(text, breast, conditions=("Breast Cancer",))
    assert find(results, "Squamous cell skin cancer").verdict is not Verdict.NOT_MET
    assert verdict is not TrialVerdict.INELIGIBLE
    # a permission is no requirement
    steroids = {"age": 45, "therapies": [{"name": "dexamethasone", "classes": ["corticosteroid"],
                                          "status": "completed"}]}  # fmt: skip
    _, results = judge("Inclusion Criteria:\n* Concurrent corticosteroids allowed", steroids)
    assert find(results, "Concurrent corticosteroids").verdict is Verdict.NOT_APPLICABLE


# -- a count bound in an exclusion: seed 004's "more than 5 liver metastases" -------------


def seed_004_criteria() -> str:
    lines = (FIXTURES / "seed_trials.v2.jsonl").read_bytes().splitlines()
    study = next(s for s in map(Study.from_json, lines) if s.nct_id == "NCT06934018")
    module = study.protocol_section.eligibility_module if study.protocol_section else None
    assert module is not None and module.eligibility_criteria
    return module.eligibility_criteria


def test_two_liver_metastases_are_not_excluded_by_more_than_five() -> None:
    # the exclusion counts liver metastases: having some (or chemotherapy) is not enough
    metastases = {"name": "liver metastases", "lesion_count": 2}
    two = {**CRLM_PATIENT, "conditions": [{"name": "colon adenocarcinoma"}, metastases]}
    _, results = judge(seed_004_criteria(), two)
    at_most = find(results, "The number of liver metastases was less than or equal to 5")
    assert at_most.verdict is Verdict.MET, at_most.reason
    more_than = find(results, "The number of liver metastases before chemotherapy")
    assert more_than.verdict is Verdict.NOT_MET, more_than.reason


def test_eight_liver_metastases_fail_the_count_and_meet_the_exclusion() -> None:
    text = seed_004_criteria()
    metastases = {"name": "liver metastases", "lesion_count": 8}
    eight = {**CRLM_PATIENT, "conditions": [{"name": "colon adenocarcinoma"}, metastases]}
    verdict, results = judge(text, eight)
    at_most = find(results, "The number of liver metastases was less than or equal to 5")
    assert at_most.verdict is Verdict.NOT_MET, at_most.reason
    more_than = find(results, "The number of liver metastases before chemotherapy")
    assert more_than.verdict is Verdict.MET, more_than.reason
    assert more_than.constraints == ("liver_metastases_count > 5",), more_than.constraints
    assert "8" in more_than.reason
    assert verdict is TrialVerdict.INELIGIBLE


# -- permission sentences never rule a patient out ---------------------------------------


@pytest.mark.parametrize(
    ("kind", "text"),
    [("Inclusion", "Patients may have received prior chemotherapy"),
     ("Inclusion", "Patients may have had prior surgery"),
     ("Inclusion", "Prior hormonal therapy permitted"),
     ("Inclusion", "Sentinel node biopsy without further axillary surgery is allowed"),
     ("Inclusion", "Prior adjuvant chemotherapy allowed if completed 6 months ago"),
     ("Exclusion", "Prior chemotherapy is allowed"),
     ("Exclusion", "Patients may have received prior radiotherapy"),
     # numbered in its text; a ";" before the permission ends no sentence
     ("Exclusion", "10. Prophylactic use of antibiotics is allowed."),
     ("Inclusion", "Prazosin use; if yes, the patient may be included if tapered by prescribing "
                   "provider. Taper must be completed"),
     # NCT05921903: the permission comes after the diseases it lets in ("patient does not
     # have hypertension" had ruled a healthy volunteer out)
     ("Inclusion", "Participants with chronic stable medical conditions with or without "
                   "specific treatment, such as diabetes mellitus, hypertension, or cardiac "
                   "disease, are allowed to participate in this study if considered by the "
                   "investigator to be stable")],
)  # fmt: skip
def test_a_permission_is_not_a_requirement(kind: str, text: str) -> None:
    untreated = {**CRLM_PATIENT, "therapies": []}
    for patient in (CRLM_PATIENT, untreated):
        _, results = judge(f"{kind} Criteria:\n- {text}", patient)
        assert find(results, text).verdict is Verdict.NOT_APPLICABLE


@pytest.mark.parametrize(
    "text",
    ["Active brain metastases; treated brain metastases are allowed",
     "Prior chemotherapy is not allowed",
     "Prior chemotherapy allowed if completed 4 weeks before",
     "Any treatment with immunosuppressants within 6 months. Inhaled steroids are allowed.",
     # the permission is the second sentence's (the first 60 characters had made it whole)
     "Prior radiotherapy. Chemotherapy is allowed.",
     # NCT04573062: the permission is the parenthesis's, for family members
     "Employees at NIH under the direct supervision of the study investigators (family "
     "members of NIH employees are permitted to participate)."],
)  # fmt: skip
def test_an_exclusion_that_forbids_is_still_judged(text: str) -> None:
    _, results = judge(f"Exclusion Criteria:\n- {text}", CRLM_PATIENT)
    assert find(results, text).verdict is not Verdict.NOT_APPLICABLE


@pytest.mark.parametrize(
    "therapies",
    [[], [{"name": "apixaban", "status": "completed", "classes": ["anticoagulant"]}],
     [{"name": "apixaban", "status": "active", "classes": ["anticoagulant"]}]],
)  # fmt: skip
def test_what_unless_names_is_the_way_out_not_a_requirement(therapies: list[Any]) -> None:
    # NCT01266460: the anticoagulant was a requirement, so a patient who had stopped
    # apixaban failed a lab bound nobody had measured
    text = (
        "International normalized ratio (INR) or prothrombin time (PT) less than or equal to "
        "1.5 x ULN, unless patient is receiving anticoagulant therapy"
    )
    _, results = judge(f"Inclusion Criteria:\n- {text}", {"age": 60, "therapies": therapies})
    assert find(results, "International").verdict is Verdict.UNKNOWN


def test_a_bound_failed_with_an_unless_is_a_question() -> None:
    text = "Platelets >= 100,000/mm3 unless due to bone marrow involvement by lymphoma"
    patient = {"age": 60, "labs": [{"test": "platelets", "value": 80, "unit": "x10^9/L"}]}
    _, results = judge(f"Inclusion Criteria:\n- {text}", patient)
    result = find(results, "Platelets")
    assert result.verdict is Verdict.UNKNOWN
    assert "exception is not judged" in result.reason


@pytest.mark.parametrize(
    "text",
    ["Participants must have recovered from all radiation-related toxicities, not require "
     "corticosteroids, and not have had radiation pneumonitis.",
     "Participants must not have had radiation pneumonitis"],
)  # fmt: skip
def test_a_requirement_in_an_exclusion_rules_no_one_out_by_absence(text: str) -> None:
    # a healthy volunteer was excluded for not having had radiation pneumonitis
    patient = {"age": 30, "healthy_volunteer": True, "complete_history": True}
    verdict, results = judge(f"Exclusion Criteria:\n- {text}", patient)
    assert find(results, text).verdict is Verdict.UNKNOWN
    assert verdict is not TrialVerdict.INELIGIBLE


# -- a bare heading is not a requirement --------------------------------------------------


@pytest.mark.parametrize("heading", ["Chemotherapy:", "Prior radiotherapy:", "Surgery:"])
@pytest.mark.parametrize("kind", ["Inclusion", "Exclusion"])
def test_a_bare_heading_never_decides(kind: str, heading: str) -> None:
    # the heading's points were flattened into siblings, so it has no children
    text = f"{kind} Criteria:\n- {heading}\n- Age 18 or older\n"
    for patient in (CRLM_PATIENT, {**CRLM_PATIENT, "therapies": []}):
        verdict, results = judge(text, patient)
        assert find(results, heading).verdict is Verdict.NOT_APPLICABLE
        if kind == "Inclusion":
            assert verdict is not TrialVerdict.INELIGIBLE


@pytest.mark.parametrize(
    ("kind", "complete", "verdict", "note"),
    [
        # an inclusion no rule reads may well not fit: a person reads it before "eligible"
        ("Inclusion", True, TrialVerdict.POSSIBLY_ELIGIBLE, None),
        ("Inclusion", False, TrialVerdict.POSSIBLY_ELIGIBLE, None),
        # an exclusion no rule reads is said, and does not hold "eligible" back
        ("Exclusion", False, TrialVerdict.ELIGIBLE, "1 more needs a person to review"),
    ],
)
def test_criteria_nothing_reads_and_the_word_eligible(
    tmp_path: Any, kind: str, complete: bool, verdict: TrialVerdict, note: str | None
) -> None:
    # NCT06386939's wording: a free-text criterion nothing can compute
    unread = "Mild, Moderate and Severe Acanthosis"
    inclusions = ["Age 20 to 70 years"] + ([unread] if kind == "Inclusion" else [])
    exclusions = ["BMI >40 kg/m²"] + ([unread] if kind == "Exclusion" else [])
    criteria = "Inclusion Criteria:\n\n" + "".join(f"* {c}\n" for c in inclusions)
    criteria += "\nExclusion Criteria:\n\n" + "".join(f"* {c}\n" for c in exclusions)
    record = {
        "protocolSection": {
            "identificationModule": {"nctId": "NCT00000002", "briefTitle": "Acanthosis in T2D"},
            "statusModule": {"overallStatus": "RECRUITING"},
            "conditionsModule": {"conditions": ["Type 2 Diabetes"]},
            "eligibilityModule": {"eligibilityCriteria": criteria},
        }
    }
    path = tmp_path / "one.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    bmi = {"test": "bmi", "value": 33, "unit": "kg/m2"}
    person = Patient.from_data(
        {"age": 58, "sex": "male", "labs": [bmi], "complete_history": complete}
    )
    with SQLiteStore(tmp_path / "one.db") as one:
        import_paths(one, [path])
        match = match_trial(one, "NCT00000002", person)
    assert match.verdict is verdict
    assert [c.text for c in match.criteria if c.verdict is Verdict.UNKNOWN] == [unread]
    if note is not None:
        assert f"fits every criterion trialscope could check; {note}" in match.notes


# -- healthy people ------------------------------------------------------------------------

HEALTHY_NOTE = "Healthy 30-year-old woman, not pregnant, no medical history, non-smoker."
#: NCT05563090's cohorts: diabetic, prediabetic, and healthy participants
COHORT_CRITERIA = (
    "Inclusion Criteria:\n\n* Aged 21-75 years old, inclusive;\n"
    "* Type II Diabetes Mellitus with or without hypertension and dyslipidemia\n"
    "* Healthy or sub-healthy subject without clinically diagnosed chronic conditions such as "
    "diabetes, hypertension or dyslipidemia\n\nExclusion Criteria:\n\n"
    "* Subjects who are pregnant or lactating\n"
)


def judge_note(
    criteria: str, note: str, eligibility: dict[str, Any]
) -> tuple[TrialVerdict, dict[str, CriterionResult]]:
    facts = PatientFacts.of(read_note(note))
    verdict, results, _ = judge_trial("NCT", eligibility, parse_criteria(criteria), facts)
    return verdict, {" ".join(r.text.split()): r for r in results}


@pytest.mark.parametrize(
    "note",
    [
        HEALTHY_NOTE,
        "A 25 year old healthy man.",
        "A healthy 25-year-old man, no past medical history.",
    ],
)
def test_a_note_describing_a_healthy_person_is_read_as_healthy(note: str) -> None:
    verdict, results = judge_note(
        "Inclusion Criteria:\n* Type 2 diabetes", note, {"healthyVolunteers": False}
    )
    assert verdict is TrialVerdict.INELIGIBLE
    assert results["Accepts healthy volunteers: no"].verdict is Verdict.NOT_MET
    evidence = results["Type 2 diabetes"].evidence[0]
    assert evidence.source is not None and note.startswith(evidence.source.text or "")


def test_with_or_without_names_nothing_the_patient_must_have_or_lack() -> None:
    item = parse_criteria(
        "Inclusion Criteria:\n* Type II Diabetes Mellitus with or without hypertension and "
        "dyslipidemia"
    ).items[0]
    named = {m.text.lower() for m in item.mentions}
    assert named and all("diabetes" in n for n in named), named
    _, results = judge_note(COHORT_CRITERIA, HEALTHY_NOTE, {})
    diabetes = results["Type II Diabetes Mellitus with or without hypertension and dyslipidemia"]
    assert diabetes.verdict is Verdict.NOT_MET  # no "no hypertension" satisfies it


def test_a_healthy_volunteer_is_judged_by_the_healthy_cohort_not_the_disease_ones() -> None:
    verdict, results = judge_note(COHORT_CRITERIA, HEALTHY_NOTE, {"healthyVolunteers": True})
    diabetes = results["Type II Diabetes Mellitus with or without hypertension and dyslipidemia"]
    assert diabetes.verdict is Verdict.NOT_APPLICABLE
    assert "takes healthy volunteers" in diabetes.reason
    assert verdict is TrialVerdict.ELIGIBLE
    # a record that says so but describes only patients: its criteria stand
    only_patients = "Inclusion Criteria:\n* All patients receiving chemotherapy for solid cancer"
    verdict, _ = judge_note(only_patients, HEALTHY_NOTE, {"healthyVolunteers": True})
    assert verdict is TrialVerdict.INELIGIBLE


def test_a_healthy_person_is_matched_to_trials_that_take_healthy_volunteers(
    tmp_path: Any,
) -> None:
    def record(nct: str, volunteers: bool) -> dict[str, Any]:
        eligibility = {"eligibilityCriteria": COHORT_CRITERIA, "healthyVolunteers": volunteers}
        return {
            "protocolSection": {
                "identificationModule": {"nctId": nct, "briefTitle": f"Diabetes study {nct}"},
                "statusModule": {"overallStatus": "RECRUITING"},
                "conditionsModule": {"conditions": ["Type 2 Diabetes"]},
                "eligibilityModule": eligibility,
            }
        }

    path = tmp_path / "two.jsonl"
    lines = [record("NCT00000011", True), record("NCT00000012", False)]
    path.write_text("\n".join(json.dumps(r) for r in lines), encoding="utf-8")
    with SQLiteStore(tmp_path / "two.db") as two:
        import_paths(two, [path])
        report = match_patient(two, read_note(HEALTHY_NOTE))
    assert [m.nct_id for m in report.trials] == ["NCT00000011"]
    assert report.trials[0].verdict is TrialVerdict.ELIGIBLE
    assert any("healthy volunteers" in n for n in report.notes)


def test_an_exclusion_nothing_reads_is_assumed_away_in_so_many_words() -> None:
    # NCT06760637: the abbreviation names no concept trialscope knows
    criteria = (
        "Exclusion Criteria:\n* In visceral crisis at risk of immediately life-threatening "
        "complications in the short term."
    )
    _, results = judge(criteria, {**CRLM_PATIENT})
    result = next(iter(r for r in results.values() if r.kind == "exclusion"))
    assert result.verdict is Verdict.NOT_MET
    assert "cannot read this exclusion" in result.reason and "a person should check" in (
        result.reason
    )


@pytest.mark.parametrize(
    ("criterion", "therapy", "verdict"),
    [
        # NCT06760637's abbreviation, and class words the drug table knows
        ("Prior treatment with a CDK4/6 inhibitor", "Ibrance", Verdict.MET),
        ("Prior CDK4/6i", "palbociclib", Verdict.MET),
        ("Prior PARP inhibitor", "olaparib", Verdict.MET),
        ("Prior PARP inhibitor", "palbociclib", Verdict.NOT_MET),
        # a drug named is that drug, by any of its names
        ("Prior palbociclib", "Ibrance", Verdict.MET),
        ("Prior palbociclib", "ribociclib", Verdict.NOT_MET),
    ],
)
def test_drugs_and_classes_named_in_criteria_are_read(
    criterion: str, therapy: str, verdict: Verdict
) -> None:
    patient = {
        **CRLM_PATIENT,
        "therapies": [{"name": therapy, "status": "completed"}],
    }
    result = judge_one(criterion, patient, "exclusion")
    assert result.verdict is verdict, result.reason


@pytest.mark.parametrize(
    ("phrase", "concept"),
    [
        ("Adenocarcinoma of sigmoid colon", "lex:colorectal_cancer"),
        ("adenocarcinoma of the colon with liver metastases", "lex:colorectal_cancer"),
        ("carcinoma of the breast", "lex:breast_cancer"),
        ("metastatic adenocarcinoma of the pancreas", "MESH:D010190"),  # Pancreatic Neoplasms
    ],
)
def test_kind_of_site_is_read_as_the_sites_cancer(phrase: str, concept: str) -> None:
    facts = PatientFacts.of(Patient.from_data({"conditions": [{"name": phrase}]}))
    assert facts.has(concept), phrase
    # a criterion written the same way names the site too, not only "adenocarcinoma"
    item = parse_criteria(f"Inclusion Criteria:\n* Histologically confirmed {phrase}").items[0]
    assert any(
        m.text.lower().endswith(phrase.split(" of ")[1].split(" with")[0]) for m in item.mentions
    )


def test_a_negated_kind_of_site_stays_negated() -> None:
    item = parse_criteria("Exclusion Criteria:\n* No history of carcinoma of the breast").items[0]
    breast = [m for m in item.mentions if "breast" in m.text]
    assert breast and all(m.negated for m in breast)


def test_fhir_conditions_coded_in_snomed_are_understood_by_their_names() -> None:
    patient = load_patient(EXAMPLES / "crc_liver_mets.fhir.json")
    facts = PatientFacts.of(patient)
    assert facts.has("lex:colorectal_cancer")  # "Adenocarcinoma of sigmoid colon"
    assert facts.has("lex:hypertension")  # "Essential hypertension"
    assert facts.ruled_out("lex:hbv")  # Hepatitis B, verification status refuted
    result = judge_one(
        "Histologically or cytologically confirmed colorectal cancer",
        {
            "conditions": [
                {"name": "Adenocarcinoma of sigmoid colon", "codes": ["SNOMED:363406005"]}
            ]
        },
        "inclusion",
    )
    assert result.verdict is Verdict.MET, result.reason


@pytest.mark.parametrize(
    ("conditions", "topical"),
    [
        (["Colorectal Cancer"], 1.0),
        # NCT06883097: the patient's smoking (an ex-smoker, FHIR 72166-2) is a comorbidity the
        # trial is about, of a patient with cancer (ranking.yaml topical.comorbidity); before
        # smoking was a concept only the class "Cancer Prevention" covered (0.3)
        (["Cancer Prevention", "Smoking Cessation"], 0.5),
        (["Cancer Prevention"], 0.3),  # a class alone covers for little
        (["Essential Hypertension"], 0.5),
        (["Asthma"], 0.0),
    ],
)
def test_topical_fit_counts_a_class_of_diseases_for_little(
    conditions: list[str], topical: float
) -> None:
    from trialscope.match.run import _topical

    patient = load_patient(EXAMPLES / "crc_liver_mets.fhir.json")
    assert _topical(own_concepts(conditions), PatientFacts.of(patient)) == topical


@pytest.mark.parametrize("criteria", ["", "   \n"])
def test_a_trial_without_criteria_text_is_never_called_eligible(criteria: str) -> None:
    """Age and sex fitting is all that can be checked: the study team decides the rest."""
    fields = {"sex": "ALL", "minimumAge": "18 Years"}
    verdict, results = judge(criteria, CRLM_PATIENT, fields)
    assert verdict is TrialVerdict.POSSIBLY_ELIGIBLE
    said = find(results, "Eligibility criteria")
    assert said.verdict is Verdict.UNKNOWN and "ask the study team" in said.reason
    # a criteria text with something to check is judged as before
    verdict, _ = judge("Inclusion Criteria:\n- Age 18 or older", CRLM_PATIENT, fields)
    assert verdict is TrialVerdict.ELIGIBLE


def test_a_trial_the_search_did_not_find_ranks_below_one_it_found() -> None:
    """With an explicit trial list the search scores only the trials it finds; one it
    did not find shares no word of the patient's conditions and must not outrank a weak
    hit (it used to get the 'unknown' 0.5, above half of tantivy's hits)."""
    from trialscope.match.run import _score

    def trial(nct: str, relevance: float | None) -> TrialMatch:
        return TrialMatch(nct, nct, TrialVerdict.POSSIBLY_ELIGIBLE, 0.5, relevance=relevance)

    best, weak, missed = trial("NCT1", 10.0), trial("NCT2", 1.0), trial("NCT3", None)
    _score([best, weak, missed], None)
    assert best.score > weak.score > missed.score
    # no search at all (no condition to search with): every trial alike
    a, b = trial("NCT4", None), trial("NCT5", None)
    _score([a, b], None)
    assert a.score == b.score > missed.score


# NCT04780477's exclusions, one run-on item in the record
RUN_ON = (
    "serious medical condition (e.g., cancer, heart disease, kidney disease, diabetes,) history "
    "of CRC, bowel resection, polyposis syndrome, or inflammatory bowel disease smoked regularly "
    "in the past year pregnant women, breast feeding women, or women planning pregnancy within "
    "the year of active study participation"
)


@pytest.mark.parametrize(
    ("criterion", "verdict"),
    [
        # the women's part is one thing of many: a man with colon cancer is still excluded
        (RUN_ON, Verdict.MET),
        # an item about women only does not apply to a man
        ("Pregnant or breastfeeding women", Verdict.NOT_APPLICABLE),
        ("Women of childbearing potential not using contraception", Verdict.NOT_APPLICABLE),
    ],
)
def test_words_about_women_late_in_a_long_exclusion(criterion: str, verdict: Verdict) -> None:
    _, results = judge(f"Exclusion Criteria:\n* {criterion}", METASTATIC_CRC)
    assert find(results, criterion[:30]).verdict is verdict
