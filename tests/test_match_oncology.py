"""Oncology notes a clinician would sign: biomarkers, stage and "previously untreated"
read from notes and criteria, each on a real corpus trial's criterion text (issue 11)."""

from __future__ import annotations

import gzip
import json
from functools import cache
from typing import Any

import pytest

from tests.conftest import CTGOV
from trialscope.criteria import parse_criteria
from trialscope.criteria.biomarkers import find_markers
from trialscope.criteria.stage import find_stages
from trialscope.match import Patient, Verdict, apply_answers, read_note
from trialscope.match.facts import PatientFacts
from trialscope.match.judge import judge_item
from trialscope.match.verdicts import CriterionResult

#: the lead's note (issue 11): metastatic HR+/HER2- breast cancer after letrozole + palbociclib
BREAST = (
    "62-year-old woman with metastatic HER2-negative, hormone receptor positive breast cancer, "
    "diagnosed 3 years ago. Liver metastases (3 lesions) and bone metastases. Previously "
    "treated with letrozole and palbociclib, progressed 2 months ago. ECOG 1. Hemoglobin "
    "10.2 g/dL, ANC 2.1 x10^9/L, platelets 180,000/uL, total bilirubin 0.8 mg/dL, creatinine "
    "1.1 mg/dL. No brain metastases. Lives in Boston, MA."
)


@cache
def _catalog() -> dict[str, tuple[str, int]]:
    rows = (CTGOV / "catalog.tsv").read_text(encoding="utf-8").splitlines()[1:]
    out = {}
    for row in rows:
        nct, fmt, file, line = row.split("\t")
        if fmt == "ctgov_api_v2":
            out[nct] = (file, int(line))
    return out


def v2_criteria(nct_id: str) -> str:
    """The eligibility text of an API v2 record in the shared corpus."""
    file, number = _catalog()[nct_id]
    path = CTGOV / file
    opener: Any = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        for index, line in enumerate(handle, 1):
            if index == number:
                study = json.loads(line)
                return str(study["protocolSection"]["eligibilityModule"]["eligibilityCriteria"])
    raise AssertionError(f"{nct_id} not at {file}:{number}")


def judged(nct_id: str, patient: Patient) -> dict[str, CriterionResult]:
    facts = PatientFacts.of(patient)
    parsed = parse_criteria(v2_criteria(nct_id))
    return {" ".join(i.text.split()): judge_item(i, facts) for i in parsed.items}


def one(results: dict[str, CriterionResult], start: str) -> CriterionResult:
    hits = [r for text, r in results.items() if text.startswith(start)]
    assert len(hits) == 1, (start, list(results))
    return hits[0]


# -- biomarkers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "concepts"),
    [
        ("Documented HER2-negative tumor", ["HER2=negative"]),
        (
            "Documented estrogen receptor (ER) and/or progesterone receptor (PR)-positive tumor",
            ["HR=positive"],
        ),
        ("HR+/HER2- advanced breast cancer", ["HR=positive", "HER2=negative"]),
        ("ER/PR negative", ["HR=negative"]),
        ("triple-negative breast cancer", ["ER+PR+HER2=negative"]),
        ("HER2-low (IHC 1+ or IHC 2+/ISH-)", ["HER2=low"]),
        ("KRAS G12C-mutated", ["KRAS=G12C"]),
        ("EGFR exon 19 deletion or L858R", ["EGFR=exon19del|L858R"]),
        ("PD-L1 TPS ≥ 50%", ["PD-L1>=50"]),
        ("PD-L1 CPS ≥ 10", ["PD-L1 CPS>=10"]),
        ("MSI-H/dMMR", ["MSI=positive", "MSI=positive"]),
        ("germline BRCA1/2 mutation", ["BRCA1|BRCA2=positive"]),
        ("FLT3-ITD positive", ["FLT3=ITD"]),
        # no result said: a partial response, a heart rate, a drug class
        ("CR or PR", []),
        ("HR 80 bpm", []),
        ("No prior KRAS G12C inhibitor", []),
        ("prior HER2-targeted therapy", []),
    ],
)
def test_biomarker_statements_are_read(text: str, concepts: list[str]) -> None:
    assert [m.concept for m in find_markers(text)] == concepts


def test_note_biomarkers_decide_receptor_criteria() -> None:
    """NCT06760637: HR-positive / HER2-negative requirements, settled by the note's
    "HER2-negative, hormone receptor positive" -- not asked as "negative tumor?"."""
    patient = read_note(BREAST)
    assert {(b.name, b.result) for b in patient.biomarkers} == {
        ("HER2", "negative"),
        ("HR", "positive"),
    }
    results = judged("NCT06760637", patient)
    her2 = one(results, "Documented HER2-negative tumor")
    hr = one(results, "Documented estrogen receptor (ER)")
    assert her2.verdict is Verdict.MET, her2.reason
    assert hr.verdict is Verdict.MET, hr.reason
    # a HER2-positive patient is ruled out by the same item
    positive = read_note(BREAST.replace("HER2-negative", "HER2-positive (IHC 3+)"))
    assert one(judged("NCT06760637", positive), "Documented HER2").verdict is Verdict.NOT_MET


def test_unknown_biomarker_is_asked_as_a_readable_question() -> None:
    patient = read_note("62-year-old woman with metastatic breast cancer. ECOG 1.")
    results = judged("NCT06760637", patient)
    her2 = one(results, "Documented HER2-negative tumor")
    assert her2.verdict is Verdict.UNKNOWN
    assert [q.text for q in her2.questions] == ["Is the tumour HER2-negative?"]
    hr = one(results, "Documented estrogen receptor (ER)")
    assert [q.text for q in hr.questions] == ["Is the tumour hormone-receptor-positive?"]
    for result in results.values():
        assert not any(
            "negative tumor" in q.text or "positive tumor" in q.text for q in result.questions
        )
    # the answer settles it
    answered = apply_answers(patient, {her2.questions[0].key: "yes"})
    assert one(judged("NCT06760637", answered), "Documented HER2").verdict is Verdict.MET


@pytest.mark.parametrize(
    ("biomarkers", "expected"),
    [
        ([{"name": "ER", "result": "positive"}], Verdict.MET),
        (
            [{"name": "ER", "result": "negative"}, {"name": "PR", "result": "negative"}],
            Verdict.NOT_MET,
        ),
        ([{"name": "ER", "result": "negative"}], Verdict.UNKNOWN),  # PR may be positive
    ],
)
def test_er_or_pr_positive_from_structured_receptors(
    biomarkers: list[dict[str, Any]], expected: Verdict
) -> None:
    patient = Patient.from_data(
        {
            "age": 60,
            "sex": "female",
            "conditions": [{"name": "breast cancer"}],
            "biomarkers": biomarkers,
        }
    )
    result = one(judged("NCT06760637", patient), "Documented estrogen receptor (ER)")
    assert result.verdict is expected, result.reason


def test_variant_and_wild_type_against_a_variant_requirement() -> None:
    text = "Inclusion Criteria:\n\n* Histologically confirmed NSCLC with KRAS G12C mutation\n"
    item = parse_criteria(text).items[-1]
    cases = {
        "KRAS G12C mutation": Verdict.MET,
        "KRAS G12D mutation": Verdict.NOT_MET,
        "KRAS wild-type": Verdict.NOT_MET,
        "KRAS mutation": Verdict.UNKNOWN,  # which variant is not said
    }
    for said, expected in cases.items():
        facts = PatientFacts.of(read_note(f"60-year-old man with stage IV NSCLC, {said}."))
        assert judge_item(item, facts).verdict is expected, said


# -- stage -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "concepts"),
    [
        ("Stage IIB-III invasive breast cancer (AJCC 8th edition)", ["stage=22-39;stage IIB-III"]),
        ("stage III or IV NSCLC", ["stage=30-39,40-49;stage III or IV"]),
        (
            "locally advanced or metastatic breast cancer",
            ["stage=22-39,40-49;locally advanced or metastatic"],
        ),
        ("unresectable or metastatic melanoma", ["stage=40-49|open;unresectable or metastatic"]),
        ("non-metastatic castration-resistant prostate cancer", ["stage=0-39;non-metastatic"]),
        ("pT3N1M0 rectal cancer", ["stage=0-39;non-metastatic (M0)"]),
        # no stage: a heart failure, an age of onset
        ("advanced heart failure", []),
        ("early onset colorectal cancer", []),
    ],
)
def test_stage_statements_are_read(text: str, concepts: list[str]) -> None:
    assert [s.concept for s in find_stages(text)] == concepts


def test_stage_range_rules_out_a_metastatic_patient() -> None:
    """NCT06926543: "Stage IIB-III invasive breast cancer" was MET ("patient has breast
    cancer") for a patient with liver and bone metastases."""
    stage_item = "Stage IIB-III invasive breast cancer"
    result = one(judged("NCT06926543", read_note(BREAST)), stage_item)
    assert result.verdict is Verdict.NOT_MET, result.reason
    assert "metastatic (stage IV)" in result.reason
    # a stated stage inside the range fits; one below it does not
    stage_iii = read_note("48-year-old woman with stage IIIA HER2-negative breast cancer.")
    assert one(judged("NCT06926543", stage_iii), stage_item).verdict is Verdict.MET
    stage_i = read_note("48-year-old woman with stage IA breast cancer, T1N0M0.")
    assert one(judged("NCT06926543", stage_i), stage_item).verdict is Verdict.NOT_MET
    # stage not said: asked, never met on the disease alone
    unstaged = one(
        judged("NCT06926543", read_note("48-year-old woman with breast cancer.")), stage_item
    )
    assert unstaged.verdict is Verdict.UNKNOWN
    assert [q.text for q in unstaged.questions] == ["Is the cancer stage IIB-III?"]


def test_locally_advanced_or_metastatic_is_met_by_a_metastatic_patient() -> None:
    """NCT06760637's first inclusion names the stage in words; "not amenable to surgical
    resection or radiation therapy" names treatments the patient could have, not had."""
    item = "Histological confirmation of breast cancer with evidence of locally advanced"
    result = one(judged("NCT06760637", read_note(BREAST)), item)
    assert result.verdict is Verdict.MET, result.reason
    early = read_note("48-year-old woman with early-stage breast cancer, stage IA.")
    result = one(judged("NCT06760637", early), item)
    assert result.verdict is Verdict.NOT_MET
    assert result.reason == "the cancer is stage IA, not locally advanced or metastatic"


# -- "previously untreated" ----------------------------------------------------------------

UNTREATED = "Previously untreated with any systemic anticancer therapy"
_TREATED = "Previously treated with letrozole and palbociclib, progressed 2 months ago"


@pytest.mark.parametrize(
    ("history", "expected", "says"),
    [
        # the lead's note: treated, but whether for the metastatic disease is not said
        (_TREATED, Verdict.UNKNOWN, "whether for the locally advanced or metastatic disease"),
        (
            "First-line letrozole and palbociclib for metastatic disease, progressed 2 months ago",
            Verdict.NOT_MET,
            "patient has anticancer therapy",
        ),
        (
            "Adjuvant letrozole for 5 years, relapsed 2 months ago",
            Verdict.MET,
            "no anticancer therapy for the locally advanced or metastatic disease",
        ),
        ("No other history", Verdict.MET, "no anticancer therapy in the patient's history"),
    ],
)
def test_previously_untreated_is_a_negation_with_its_setting(
    history: str, expected: Verdict, says: str
) -> None:
    """NCT06760637: "Previously untreated with any systemic anticancer therapy for their
    locally advanced or metastatic disease" was MET ("fits: patient has anticancer
    therapy") for a patient treated with letrozole and palbociclib."""
    result = one(judged("NCT06760637", read_note(BREAST.replace(_TREATED, history))), UNTREATED)
    assert result.verdict is expected, result.reason
    assert says in result.reason


def test_setting_question_answered() -> None:
    patient = read_note(BREAST)
    result = one(judged("NCT06760637", patient), UNTREATED)
    (question,) = result.questions
    assert question.text == (
        "Was letrozole, palbociclib given for the locally advanced or metastatic disease?"
    )
    answered = apply_answers(patient, {question.key: "yes"})
    assert one(judged("NCT06760637", answered), UNTREATED).verdict is Verdict.NOT_MET


def test_treatment_naive_without_a_named_therapy() -> None:
    """The parser gives "treatment-naive" / "previously untreated NSCLC" a negated
    systemic-therapy mention (no therapy is named)."""
    (item,) = parse_criteria("Treatment-naive patients with advanced NSCLC").items
    therapy = [m for m in item.mentions if m.category == "prior_therapy"]
    assert [(m.concept, m.negated) for m in therapy] == [("systemic_therapy", True)]
    treated = PatientFacts.of(read_note("A 60-year-old man with stage IV NSCLC after carboplatin."))
    assert judge_item(item, treated).verdict is Verdict.NOT_MET


# NCT01785420's wording: an operable-cancer trial whose stages all carry M0
OPERABLE = (
    "Histologically and/or cytologically confirmed diagnosis of breast cancer. Clinical stages "
    "breast cancer: HER2 positive, T1 or T2 or T3, N0 or N1, resectable T4, or resectable N2, "
    "(all M0)"
)


@pytest.mark.parametrize(
    ("note", "verdict"),
    [
        ("48-year-old woman with HER2-positive breast cancer with liver metastases.", "NOT_MET"),
        ("48-year-old woman with HER2-negative breast cancer, T2N0M0.", "NOT_MET"),
        ("48-year-old woman with HER2-positive breast cancer, T2N0M0.", "UNKNOWN"),
    ],
)
def test_a_marker_or_stage_after_the_disease_is_required_too(note: str, verdict: str) -> None:
    item = parse_criteria(f"Inclusion Criteria:\n* {OPERABLE}").items[0]
    result = judge_item(item, PatientFacts.of(read_note(note)))
    assert result.verdict is Verdict(verdict), result.reason


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("T1 or T2 or T3, N0 or N1, (all M0)", ["non-metastatic (M0)"]),
        ("Cancer staged T3 N1 M1", ["metastatic (M1)"]),
        ("AML of FAB subtype M1 or M2", []),  # no T or N beside it: a leukaemia class
        ("M1 macrophage polarisation", []),
    ],
)
def test_m_category_alone_is_read_only_beside_t_or_n(text: str, found: list[str]) -> None:
    assert [s.words for s in find_stages(text)] == found


@pytest.mark.parametrize(
    ("note", "verdict"),
    [
        ("Woman with HER2-negative breast cancer.", Verdict.NOT_MET),
        ("Woman with HER2-positive breast cancer.", Verdict.MET),
    ],
)
def test_a_marker_written_after_the_disease_qualifies_it(note: str, verdict: Verdict) -> None:
    item = parse_criteria("Inclusion Criteria:\n* Breast cancer, HER2 positive").items[0]
    assert judge_item(item, PatientFacts.of(read_note(note))).verdict is verdict
