"""Inclusions written one population at a time ("Normal Volunteers:", "Obese Subjects:",
"Diabetic Subjects:"; "Right handed normal volunteers" beside "Patients with X"): a patient
needs to fit one of them (issue 11, eleventh session). Criteria texts are the records'
own (NCT00001625, NCT00001776, NIH Clinical Center); notes are written for the test."""

from __future__ import annotations

import pytest

from trialscope.criteria import parse_criteria
from trialscope.criteria.segmenter import header_kind
from trialscope.match import TrialVerdict, Verdict, read_note
from trialscope.match.cohort_sections import sections_of
from trialscope.match.facts import PatientFacts
from trialscope.match.judge import judge_item
from trialscope.match.trials import judge_trial
from trialscope.match.verdicts import CriterionResult

# NCT00001625, abridged
BY_POPULATION = """\
* INCLUSION CRITERIA:

Normal Volunteers:

Adults between the ages of 21 and 55 in good general health with no significant underlying \
illnesses, on no medication, and a normal body mass index (20-26 kg/m(2)).

Obese Subjects:

Adults between the ages of 21 and 55 in good general health with no significant underlying \
illnesses, on no medication, and a body mass index between 30 and 35 kg/m(2).

EXCLUSION CRITERIA:

Pregnancy, liver disease, pulmonary disease or HIV infection.
"""

# NCT00001776
FLAT = """\
INCLUSION CRITERIA

Right handed normal volunteers (18-65 years old).

Patients with Parkinson's disease off medication.

Patients with cerebellar deficits.

Patients with frontal lobe dementia.

EXCLUSION CRITERIA

Pregnant women.
"""


def judged(note: str, text: str) -> tuple[TrialVerdict, list[CriterionResult]]:
    facts = PatientFacts.of(read_note(note))
    verdict, results, _ = judge_trial("NCT0", {}, parse_criteria(text), facts)
    return verdict, results


def by_text(results: list[CriterionResult], start: str) -> CriterionResult:
    return next(r for r in results if r.text.startswith(start))


def test_a_bulleted_header_opens_the_inclusions() -> None:
    parsed = parse_criteria(BY_POPULATION)
    assert [i.kind for i in parsed.items][:4] == ["inclusion"] * 4
    assert parsed.items[-1].kind == "exclusion"
    assert "INCLUSION CRITERIA:" not in [i.text for i in parsed.items]


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("* INCLUSION CRITERIA:", "inclusion"),
        ("- Exclusion Criteria:", "exclusion"),
        ("EXCLUSIONS - NORMAL VOLUNTEERS:", "exclusion"),
        ("Exclusions:", "exclusion"),
        # items, not headers
        ("* Eligibility: adults with asthma", None),
        ("- Exclusion of patients with HIV", None),
        ("Excludes patients with HIV", None),
    ],
)
def test_headers_with_bullets_and_plurals(line: str, kind: str | None) -> None:
    assert header_kind(line)[0] == kind


def test_each_population_is_a_section() -> None:
    parsed = parse_criteria(BY_POPULATION)
    [populations] = sections_of(parsed)
    texts = [[parsed.items[i].text[:20] for i in p.items] for p in populations]
    assert texts == [
        ["Normal Volunteers:", "Adults between the a"],
        ["Obese Subjects:", "Adults between the a"],
    ]
    assert [p.label for p in populations] == ["normal volunteers", "obese subjects"]


# NCT00001987, abridged: each population's inclusions, then its own exclusions
WITH_EXCLUSIONS = """* INCLUSION CRITERIA:

1. Patients with evidence for severe insulin resistance must meet all of the following criteria

   a. Suspected severe insulin resistance
   b. Age >= 6 months

2. Healthy control subjects without insulin resistance must meet all of the following criteria

   1. In good general health with no known active medical conditions
   2. Fasting glucose <100 mg/dL
   3. HbA1c <5.7%

EXCLUSION CRITERIA:

1. Patients with evidence for severe insulin resistance

   a. Pregnant

2. Healthy control subjects without insulin resistance

   1. History of diabetes or abnormal glucose tolerance
"""


def test_a_population_keeps_its_own_exclusions() -> None:
    parsed = parse_criteria(WITH_EXCLUSIONS)
    [populations] = sections_of(parsed)
    shown = [(p.label, [parsed.items[i].text[:24] for i in p.exclusions]) for p in populations]
    assert shown == [
        ("patients with evidence for severe insulin resistance", ["Pregnant"]),
        ("healthy control subjects without insulin resistance", ["History of diabetes or a"]),
    ]
    # a diabetic patient fails the controls' glucose and has their excluded diabetes: the
    # controls' business while the patients' population may fit
    note = "A 45-year-old man with type 2 diabetes. Fasting glucose 130 mg/dL. HbA1c 8.1%."
    verdict, results = judged(note, WITH_EXCLUSIONS)
    assert verdict is not TrialVerdict.INELIGIBLE, [(r.text, r.verdict) for r in results]
    glucose = by_text(results, "Fasting glucose")
    assert glucose.verdict is Verdict.UNKNOWN, glucose.reason
    assert "the patient may fit another" in glucose.reason
    # not a control (failed their glucose): the controls' exclusions do not apply
    diabetes = by_text(results, "History of diabetes")
    assert diabetes.verdict is Verdict.NOT_APPLICABLE
    assert "a population of the study the patient is not in" in diabetes.reason
    # a healthy control with diabetes after all: their own exclusion decides
    note = "A 45-year-old healthy volunteer. Fasting glucose 90 mg/dL. HbA1c 5.2%."
    verdict, results = judged(note, WITH_EXCLUSIONS)
    assert by_text(results, "History of diabetes").verdict is not Verdict.NOT_APPLICABLE


@pytest.mark.parametrize(
    "text",
    [
        # what every patient must have, then what some must
        "Inclusion Criteria:\nPatients must have:\n- Age > 18\nPart B patients:\n- Prior AZT",
        "Inclusion Criteria:\nFOR PATIENTS:\n- Age > 18\nFOR HIV POSITIVE PATIENTS:\n- HIV",
        # conditional requirements are no populations
        "Inclusion Criteria:\nPatients who received prior ILP must have:\n- Response\n"
        "Patients who received radiotherapy must have:\n- Recovery",
        # two healthy-volunteer points: both asked of every volunteer
        "Inclusion Criteria:\n- Healthy subjects ages 18 to 50 years.\n"
        "- Healthy volunteers studied as outpatients.",
        # "DONOR AND PATIENT:" is asked of both
        "Inclusion Criteria:\nPATIENTS:\n- Leukemia\nDONOR AND PATIENT:\n- Not pregnant",
    ],
)
def test_lists_that_are_not_populations(text: str) -> None:
    assert sections_of(parse_criteria(text)) == ()


def test_a_patient_who_fits_one_population_is_not_judged_by_the_others() -> None:
    # an obese volunteer failed the normal volunteers' body mass index and was ruled out
    verdict, results = judged("A 40-year-old healthy man. BMI 32 kg/m2.", BY_POPULATION)
    assert verdict is not TrialVerdict.INELIGIBLE
    normal = by_text(results, "Adults between the ages of 21 and 55 in good general health")
    # the obese subjects' "good general health ... on no medication" is asked, so the
    # failed body mass index waits for it
    assert normal.verdict is Verdict.UNKNOWN
    assert "the patient may fit another" in normal.reason


def test_a_patient_who_fits_no_population_is_ruled_out() -> None:
    verdict, results = judged("A 40-year-old healthy man. BMI 28 kg/m2.", BY_POPULATION)
    assert verdict is TrialVerdict.INELIGIBLE
    failed = [r for r in results if r.verdict is Verdict.NOT_MET and r.kind == "inclusion"]
    assert len(failed) == 2


def test_points_one_per_population() -> None:
    # TREC 2021 topic 75's kind of patient: Parkinson's disease, no dementia
    note = "A 55-year-old man with Parkinson's disease. No signs of dementia."
    verdict, results = judged(note, FLAT)
    assert verdict is not TrialVerdict.INELIGIBLE, [(r.text, r.verdict) for r in results]
    assert by_text(results, "Patients with frontal lobe dementia").verdict in (
        Verdict.NOT_APPLICABLE,
        Verdict.UNKNOWN,
    )
    # NCT00004553: "Adult patients with weakness or motor dysfunction: 8/year." beside
    # "Normal volunteers, adults: 2/year." (TREC 2021 topic 72's kind of patient)
    text = (
        "INCLUSION CRITERIA:\n\nAdult patients with weakness or motor dysfunction: 8/year.\n\n"
        "Normal volunteers, adults: 2/year.\n"
    )
    verdict, _ = judged("A 30-year-old woman with myasthenia gravis and weakness.", text)
    assert verdict is not TrialVerdict.INELIGIBLE
    # someone in none of them
    verdict, _ = judged("A 30-year-old woman with asthma and no neurological disease.", FLAT)
    assert verdict is not TrialVerdict.ELIGIBLE


@pytest.mark.parametrize(
    ("criterion", "verdict"),
    [
        # NCT00005657: the age says which of the infected it excludes
        ("Children with HCV infection younger than 2 years of age will be excluded.", "NOT_MET"),
        ("Patients with HCV infection, aged over 50", "MET"),
        # a list of exclusions: either applies
        ("HCV infection or age > 60", "MET"),
    ],
)
def test_an_age_right_after_a_disease_says_who_is_excluded(criterion: str, verdict: str) -> None:
    item = parse_criteria(f"Exclusion Criteria:\n* {criterion}").items[0]
    facts = PatientFacts.of(read_note("A 55-year-old man with chronic hepatitis C infection."))
    assert judge_item(item, facts).verdict is Verdict(verdict)


@pytest.mark.parametrize(
    ("note", "verdict"),
    [
        # a patient with cancer is no healthy volunteer, whatever the age; with another
        # disease it is asked (vaccine trials take "healthy" adults with stable diseases)
        ("A 55-year-old man with colon cancer.", Verdict.NOT_MET),
        ("A 55-year-old man with Parkinson's disease.", Verdict.UNKNOWN),
        ("A 40-year-old healthy volunteer.", Verdict.MET),
        ("A 70-year-old healthy volunteer.", Verdict.NOT_MET),  # the age still decides
    ],
)
def test_a_healthy_volunteers_point_asks_for_one(note: str, verdict: Verdict) -> None:
    text = "Inclusion Criteria:\n* Right handed normal volunteers (18-65 years old)."
    result = judge_item(parse_criteria(text).items[0], PatientFacts.of(read_note(note)))
    assert result.verdict is verdict, result.reason
    if "Parkinson" in note:
        assert result.reason == "for healthy volunteers; the patient has Parkinson's disease"
        assert result.evidence[0].source is not None
        assert "count as a healthy volunteer" in result.questions[0].text


def test_healthy_controls_stay_the_controls_business() -> None:
    # the controls' point does not apply to a patient (not: rules them out)
    item = parse_criteria("Inclusion Criteria:\n* Healthy controls aged 18-65 years.").items[0]
    facts = PatientFacts.of(read_note("A 55-year-old man with Parkinson's disease."))
    assert judge_item(item, facts).verdict is Verdict.NOT_APPLICABLE


def test_healthy_volunteers_beside_patients_in_one_point() -> None:
    # NCT00726505: the diabetic patients of the same point are not ruled out
    item = parse_criteria(
        "Inclusion Criteria:\n* Healthy subjects and subjects with type 2 diabetes mellitus on "
        "1 of the following therapies: diet, sulfonylurea, and/or metformin"
    ).items[0]
    facts = PatientFacts.of(read_note("A 50-year-old woman with type 2 diabetes on metformin."))
    assert judge_item(item, facts).verdict is not Verdict.NOT_MET


def test_a_titled_header_line() -> None:
    # NCT03633708: "Exclusion Criteria Disease Related" opened its exclusions
    parsed = parse_criteria(
        "Inclusion criteria\n\n* Age < 18 years\n\nExclusion Criteria Disease Related\n\n"
        "* History of congenital long QT syndrome\n"
    )
    assert [(i.kind, i.text) for i in parsed.items] == [
        ("inclusion", "Age < 18 years"),
        ("exclusion", "History of congenital long QT syndrome"),
    ]
