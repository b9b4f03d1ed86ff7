"""How the matcher reads what a criterion means, not only what it names: requirement
lists under a negation, "other" relative to the trial's own condition, compound
criteria judged whole, the closed world on a known diagnosis, cohort headings and
severity qualifiers — each on real trial text (issue 11)."""

from __future__ import annotations

from typing import Any

from trialscope.criteria import parse_criteria
from trialscope.match import Patient, TrialVerdict, Verdict
from trialscope.match.facts import PatientFacts
from trialscope.match.trials import judge_trial, own_concepts
from trialscope.match.verdicts import CriterionResult

from .conftest import SHARED_DATA

SEEDS = SHARED_DATA.parent / "seeds"

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
