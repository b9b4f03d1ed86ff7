"""List headings turn their points (issue 11): the points of a negated list are
exclusions, the points of an exception list ask nothing and leave the heading a question,
a heading's time window is each point's. Criteria are worded as in corpus records
(NCT00460174, NCT05211895, NCT06831370, NCT04576156); the patients are written here."""

from __future__ import annotations

import pytest

from trialscope.criteria import parse_criteria
from trialscope.match import TrialVerdict, Verdict, read_note
from trialscope.match.bulk import BulkJudge, compile_trial
from trialscope.match.facts import PatientFacts
from trialscope.match.headings import exception_list, negated_list
from trialscope.match.patient import Patient
from trialscope.match.trials import judge_trial
from trialscope.match.verdicts import CriterionResult

# old PDQ-style text: no inclusion/exclusion header, every statement must hold
CARDIAC = """DISEASE CHARACTERISTICS:

* Diagnosis of localized pancreatic cancer

PATIENT CHARACTERISTICS:

* ECOG performance status 0-1
* No clinically significant cardiac disease, including any of the following:

  * Uncontrolled hypertension (i.e., blood pressure > 150/100 mm Hg despite medication)
  * Myocardial infarction within the past year
  * Unstable angina
  * New York Heart Association class II-IV congestive heart failure
"""

MALIGNANCY = """Inclusion Criteria:
* Histologically confirmed pancreatic adenocarcinoma
Exclusion Criteria:
* History of another primary malignancy except for:
  * Malignancy treated with curative intent and no known active disease >= 3 years before
  * Adequately treated non-melanoma skin cancer or lentigo maligna without evidence of disease
  * Adequately treated carcinoma in situ without evidence of disease
"""

WINDOW = """Inclusion Criteria:
* Histologically confirmed pancreatic adenocarcinoma
Exclusion Criteria:
* Any of the following cardiovascular conditions within 6 months before the first dose:
  * Myocardial infarction
  * Unstable angina
"""

PANCREAS = "A 60-year-old man with pancreatic adenocarcinoma, ECOG 1."


def _judged(criteria: str, note: str) -> tuple[TrialVerdict, list[CriterionResult]]:
    parsed = parse_criteria(criteria)
    facts = PatientFacts.of(read_note(note))
    verdict, results, _ = judge_trial("NCT00000001", {}, parsed, facts)
    fast = BulkJudge(facts).judge(compile_trial(parsed), {}, parsed)
    assert fast == (verdict, results, _), "the fast path judges as the full one"
    return verdict, results


def _point(results: list[CriterionResult], start: str) -> CriterionResult:
    (found,) = [r for r in results if r.text.startswith(start)]
    return found


def test_a_point_of_a_negated_list_rules_out_a_patient_who_has_it() -> None:
    verdict, results = _judged(CARDIAC, f"{PANCREAS} He had a myocardial infarction 3 months ago.")
    assert verdict is TrialVerdict.INELIGIBLE
    mi = _point(results, "Myocardial infarction")
    assert (mi.kind, mi.verdict) == ("exclusion", Verdict.MET)
    assert mi.decides_against


def test_a_negated_list_does_not_require_its_points() -> None:
    """Judged as inclusions, a patient without angina failed "Unstable angina"."""
    verdict, results = _judged(CARDIAC, f"{PANCREAS} Past medical history: none.")
    assert verdict is not TrialVerdict.INELIGIBLE, [(r.text, r.reason) for r in results]
    for start in ("Myocardial", "Unstable angina", "New York Heart"):
        point = _point(results, start)
        assert point.kind == "exclusion"
        assert not point.decides_against


def test_an_old_infarction_is_outside_the_points_own_window() -> None:
    _, results = _judged(CARDIAC, f"{PANCREAS} History of myocardial infarction in 2012.")
    assert _point(results, "Myocardial").verdict is Verdict.NOT_MET


@pytest.mark.parametrize(
    "history",
    [
        "History of basal cell carcinoma of the skin, excised in 2019.",
        "Past medical history: none.",
    ],
)
def test_exceptions_rule_no_one_out_and_ask_nothing(history: str) -> None:
    verdict, results = _judged(MALIGNANCY, f"{PANCREAS} {history}")
    assert verdict is not TrialVerdict.INELIGIBLE, [(r.text, r.reason) for r in results]
    for start in (
        "Malignancy treated",
        "Adequately treated non-melanoma",
        "Adequately treated carcinoma",
    ):
        point = _point(results, start)
        assert point.verdict is Verdict.NOT_APPLICABLE
        assert point.reason.startswith('an exception to "History of another primary malignancy')
        assert not point.questions


def test_the_heading_of_exceptions_is_asked_not_decided() -> None:
    """A second cancer on record may be one of the exceptions: a question, not a rule-out."""
    verdict, results = _judged(MALIGNANCY, f"{PANCREAS} History of breast cancer in 2015.")
    heading = _point(results, "History of another primary malignancy")
    assert heading.verdict is Verdict.UNKNOWN, heading.reason
    assert "unless one of the exceptions listed under it applies" in heading.reason
    assert any("exceptions" in q.text for q in heading.questions)
    assert verdict is TrialVerdict.POSSIBLY_ELIGIBLE


def test_an_answer_settles_the_heading_of_exceptions() -> None:
    parsed = parse_criteria(MALIGNANCY)
    facts = PatientFacts.of(read_note(f"{PANCREAS} History of breast cancer in 2015."))
    _, results, _ = judge_trial("NCT00000001", {}, parsed, facts)
    (key,) = {
        q.key
        for q in _point(results, "History of another").questions
        if q.key.startswith("criterion:")
    }
    patient = read_note(f"{PANCREAS} History of breast cancer in 2015.")
    answered = Patient(**{**patient.__dict__, "answers": {key: True}})
    verdict, results, _ = judge_trial("NCT00000001", {}, parsed, PatientFacts.of(answered))
    assert verdict is TrialVerdict.INELIGIBLE
    assert _point(results, "History of another").verdict is Verdict.MET


@pytest.mark.parametrize(
    ("history", "verdict"),
    [
        ("He had a myocardial infarction 2 months ago.", Verdict.MET),
        ("History of myocardial infarction in 2012.", Verdict.NOT_MET),
        ("History of myocardial infarction.", Verdict.UNKNOWN),
    ],
)
def test_a_headings_window_is_its_points(history: str, verdict: Verdict) -> None:
    """A 14-year-old infarction is not "within 6 months"; an undated one is asked."""
    _, results = _judged(WINDOW, f"{PANCREAS} {history}")
    mi = _point(results, "Myocardial infarction")
    assert mi.verdict is verdict, mi.reason


def test_points_of_a_definition_ask_nothing() -> None:
    criteria = """DISEASE CHARACTERISTICS:

* Measurable disease
* The following are not considered measurable:

  * Ascites or pleural effusion
  * Bone marrow involvement
"""
    verdict, results = _judged(criteria, f"{PANCREAS} Past medical history: none.")
    for start in ("Ascites", "Bone marrow"):
        point = _point(results, start)
        assert point.verdict is Verdict.NOT_APPLICABLE, point.reason
        assert point.reason.startswith("part of a definition")
    assert verdict is not TrialVerdict.INELIGIBLE


def test_exceptions_to_a_permission_are_forbidden() -> None:
    criteria = """PRIOR CONCURRENT THERAPY:

* Concurrent hormonal therapy allowed except:

  * Tamoxifen
"""
    verdict, results = _judged(criteria, f"{PANCREAS} Current medications: tamoxifen.")
    tamoxifen = _point(results, "Tamoxifen")
    assert (tamoxifen.kind, tamoxifen.verdict) == ("exclusion", Verdict.MET), tamoxifen.reason
    assert verdict is TrialVerdict.INELIGIBLE


@pytest.mark.parametrize(
    ("text", "negated"),
    [
        ("No clinically significant cardiac disease, including any of the following:", True),
        ("No significant cardiovascular disease including any of the following:", True),
        ("Patient history: patients who have any of the following are NOT eligible:", True),
        ("Any of the following criteria will make the patient ineligible to participate:", True),
        ("Without any of the following conditions:", True),
        ("No prior therapy:", False),  # a label: its points say what they mean
        ("No prior HRT or hysterectomy:", False),
        ("There is no reasonable revascularization option as determined by the surgeon:", False),
        ("No contraindication to the following procedures:", False),
        ("No other diagnosis (past or present) of:", True),
        (
            "More than 7 days since prior and no concurrent CYP3A4 inhibitors, including any of the"
            " following:",
            True,
        ),
        (
            "Patients must not be receiving concomitant treatment with any of the following (prior"
            " use is allowed, but must have been discontinued 7 days before):",
            True,
        ),
        ("No rapidly progressive disease as defined by 1 or more of the following:", True),
        ("No equivocal myelomatosis, defined by the following criteria:", False),
        ("Patient or her household contacts must not have any of the following:", False),
        ("No more than 2 of the following:", False),
        ("Not eligible for allogeneic transplant because of one of the following:", False),
        ("Must not be pregnant or nursing, unless one of the following:", False),
        ("Resectable tumors meeting the following criteria:", False),
        (
            "Participants with AML must meet one of the following criteria and are limited to"
            " those with no available (or are ineligible) therapy with known clinical benefit.",
            False,
        ),
        ("Exclusion: no other malignancy except:", False),
    ],
)
def test_negated_list_headings(text: str, negated: bool) -> None:
    assert negated_list(text) is negated


@pytest.mark.parametrize(
    ("text", "exceptions"),
    [
        ("History of another primary malignancy except for:", True),
        ("Diagnosis or treatment for malignancy other than MF except:", True),
        (
            "Patient must not have had previous or concurrent other malignancy"
            " with the following exceptions:",
            True,
        ),
        ("NOTE: Exceptions are allowed for the following conditions:", True),
        ("History of other primary malignant tumors, except for the following:", True),
        ("Any unresolved toxicity grade >= 2 with the exception of alopecia", False),
        ("Confirmed AML [any subtype except APL] per WHO 2022:", False),
        ("Any of the following laboratory abnormalities:", False),
        ("Concurrent systemic chemotherapy allowed except for the following:", False),
        ("No previous or concurrent malignancy is allowed, except:", True),
    ],
)
def test_exception_list_headings(text: str, exceptions: bool) -> None:
    assert exception_list(text) is exceptions


# NCT00495469, a type 2 diabetes trial: "Metabolic Disease" names the category of its points
CATEGORIES = """Inclusion Criteria:
* Subjects with a documented diagnosis of type 2 diabetes
Exclusion Criteria:
* Metabolic Disease
  * Diagnosis of Type 1 diabetes mellitus
  * Thyroid disorder
* History of malignancy
  * Prostate cancer
"""


def test_a_category_name_over_its_points_is_a_heading() -> None:
    verdict, results = _judged(CATEGORIES, "Patient with type 2 diabetes. Age 55.")
    # introduces its points only, as "... the following:" does (no result of its own)
    assert not [r for r in results if r.text.startswith("Metabolic Disease")]
    assert _point(results, "Thyroid disorder").verdict is Verdict.NOT_MET
    assert verdict is not TrialVerdict.INELIGIBLE
    # a point that says something itself is still judged
    verdict, results = _judged(CATEGORIES, "Type 2 diabetes. History of breast cancer in 2010.")
    assert _point(results, "History of malignancy").verdict is Verdict.MET
    assert verdict is TrialVerdict.INELIGIBLE
