"""Exclusions that deny something beside what they name. Read across the corpus for a
healthy volunteer, about 100 exclusions ruled her out because she "does not have" a
disease the criterion only mentions in passing: a description ("… without parenchymal
brain metastases"), a way back in ("… are eligible as long as no active CNS disease"), a
test that cannot rule a disease out, or the trial's own words "are excluded" read as a
denial. The wordings are real corpus ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from trialscope.criteria import parse_criteria
from trialscope.match import Verdict
from trialscope.match.facts import PatientFacts
from trialscope.match.intake import load_patient
from trialscope.match.judge import judge_item
from trialscope.match.verdicts import CriterionResult

ROOT = Path(__file__).resolve().parents[1]
VOLUNTEER = PatientFacts.of(load_patient(ROOT / "examples" / "patients" / "healthy_volunteer.yaml"))


def _excluded(criterion: str, facts: PatientFacts = VOLUNTEER) -> CriterionResult:
    (item,) = parse_criteria(f"Exclusion Criteria:\n* {criterion}").items
    return judge_item(item, facts)


@pytest.mark.parametrize(
    "criterion",
    [
        # the trial's own "are excluded" is no denial
        "Pregnant women were excluded",
        "Participants positive for HBsAg are excluded;",
        "Participants with a history of previous breast cancer are excluded, with the exception "
        "of ipsilateral DCIS treated by locoregional therapy alone ≥5 years ago.",
        "Patients affected by lytic spondylolisthesis and degenerative spondylolisthesis with "
        "grade≥2 will be excluded",
        # a denial beside the named disease describes it or lets patients back in
        "Uncontrolled infection requiring IV antibiotics, antivirals, or antifungals, suspected "
        "infections or inability to rule out infections.",
        "Symptomatic or untreated leptomeningeal disease or spinal cord compression. Patients "
        "with prior h/o CNS disease are eligible as long as no active CNS disease as documented "
        "by recent CSF analysis",
        "Lack of physical integrity of the upper gastrointestinal tract, or malabsorption "
        "syndrome, or inability to take oral medication, or have active gastroduodenal ulcer "
        "disease.",
        "Prior HSCT with relapse beyond 3 months or prior CAR-T therapy in B-ALL with relapse "
        "beyond 2 months may be included only if off immunosuppression for a minimum of 4 weeks "
        "and no evidence of graft-versus-host disease",
    ],
)
def test_a_healthy_volunteer_is_not_ruled_out_by_a_denial(criterion: str) -> None:
    result = _excluded(criterion)
    assert result.verdict is Verdict.NOT_MET, result.reason


@pytest.mark.parametrize(
    "criterion",
    [
        # an exclusion that is the denial itself still rules out
        "Has never smoked, defined as smoking <100 tobacco cigarettes in a lifetime.",
        "Families with no history of type 1 diabetes",
    ],
)
def test_a_denial_on_its_own_still_rules_out(criterion: str) -> None:
    assert _excluded(criterion).verdict is Verdict.MET


def test_the_named_disease_still_rules_out() -> None:
    volunteer = load_patient(ROOT / "examples" / "patients" / "healthy_volunteer.yaml")
    pregnant = PatientFacts.of(volunteer.model_copy(update={"pregnant": True}))
    assert _excluded("Pregnant women were excluded", pregnant).verdict is Verdict.MET


@pytest.mark.parametrize(
    "criterion",
    [
        # an inclusion's wording under the exclusions, or a negation spread over a list
        "Women must not be pregnant or breast-feeding due to potential harm to an unborn fetus",
        "Participants must not be pregnant and/or breastfeeding.",
        "women without contraception/pregnant/breast-feeding",
        "Positive pregnancy test; females must not be pregnant at enrollment",
    ],
)
def test_an_exclusion_of_pregnancy_is_of_the_pregnant(criterion: str) -> None:
    assert _excluded(criterion).verdict is Verdict.NOT_MET
    volunteer = load_patient(ROOT / "examples" / "patients" / "healthy_volunteer.yaml")
    pregnant = PatientFacts.of(volunteer.model_copy(update={"pregnant": True}))
    assert _excluded(criterion, pregnant).verdict is Verdict.MET


def test_not_being_pregnant_is_not_lacking_the_capacity() -> None:
    # "pregnant: no" had met it for a 29-year-old volunteer: the capacity is what is asked
    # (assumed, like any unsaid exclusion of a full history, with the question kept)
    result = _excluded("Without capacity to have a pregnancy (uterine aplasia, hysterectomy)")
    assert result.verdict is Verdict.NOT_MET, result.reason
    assert result.reason.startswith("able to become pregnant")
    assert [q.text for q in result.questions] == ["Able to become pregnant?"]


@pytest.mark.parametrize(
    "criterion",
    [
        # the age says whom the exclusion is for, not a reason to exclude
        "Subject has a history of hypoglycemia unawareness (only applicable to subjects age 11 "
        "and older).",
        "Subject has had an episode of diabetic ketoacidosis (DKA) within the last three (3) "
        "months (only applicable to subjects age 11 and older).",
        "Subjects age 11 and older: Subject is known to be pregnant, attempting to conceive or "
        "is not willing and able to practice birth control during the study duration",
    ],
)
def test_an_age_that_says_for_whom_excludes_no_one(criterion: str) -> None:
    # (the birth-control one stays a question: whether she is willing is asked)
    assert _excluded(criterion).verdict is not Verdict.MET


def test_an_age_limit_itself_still_excludes() -> None:
    assert _excluded("Patients under 35 years of age").verdict is Verdict.MET


@pytest.mark.parametrize("criterion", ["Do not have diabetes mellitus.", "Do not smoke tobacco"])
def test_an_inclusions_wording_under_the_exclusions_is_asked(criterion: str) -> None:
    result = _excluded(criterion)
    assert result.verdict is Verdict.UNKNOWN, result.reason
    assert "likely an inclusion under the wrong heading" in result.reason


def test_the_pill_on_record_is_contraception_in_use() -> None:
    # the volunteer's "Combined oral contraceptive" had left "contraception: not known"
    result = _excluded("women without contraception, pregnant, or nursing")
    assert result.verdict is Verdict.NOT_MET
    assert result.reason == "uses contraception: Combined oral contraceptive"
    (item,) = parse_criteria("Inclusion Criteria:\n* Use of effective contraception").items
    assert judge_item(item, VOLUNTEER).verdict is Verdict.MET


@pytest.mark.parametrize(
    "criterion",
    [
        # NCT06417840, NCT00726505, NCT05921903: with the pill on record, the refusal had
        # been read as "uses contraception" and ruled her out
        "Unwilling to commit to the use of a highly effective method of contraception",
        "Female participant planning to become pregnant or planning to discontinue "
        "contraceptive precautions during the study",
        "Refuses to use adequate birth control during the study",
    ],
)
def test_refusing_contraception_does_not_rule_out_a_woman_on_the_pill(criterion: str) -> None:
    # she does what the refusal is of: not a question of her will either
    result = _excluded(criterion)
    assert result.verdict is Verdict.NOT_MET, result.reason
    assert "assumed absent" not in result.reason or "plans for pregnancy" in result.reason


def test_an_exclusion_naming_contraception_undenied_is_not_answered_by_the_pill() -> None:
    # NCT05264714: the parenthesis says how pregnancy is ruled out; the pill on record
    # had made "use of contraception" rule her out
    criterion = (
        "Pregnancy (negative serum pregnancy testing at enrollment and use of contraception "
        "considered to be effective)."
    )
    assert _excluded(criterion).verdict is Verdict.NOT_MET


@pytest.mark.parametrize(
    ("kind", "text", "negated"),
    [
        ("exclusion", "Unwilling or unable to use contraception", True),
        ("exclusion", "Planning to stop contraception", True),
        # an inclusion's "willing to discontinue" asks what she will do: no refusal
        ("inclusion", "Willing to discontinue hormonal contraception", False),
        # only contraception: "unwilling to stop smoking" is still about smoking
        ("exclusion", "Unwilling to stop smoking", False),
    ],
)
def test_a_refusal_is_read_for_contraception_only(kind: str, text: str, negated: bool) -> None:
    header = "Inclusion Criteria:" if kind == "inclusion" else "Exclusion Criteria:"
    (item,) = parse_criteria(f"{header}\n* {text}").items
    (mention,) = [m for m in item.mentions if m.text.lower() in ("contraception", "smoking")]
    assert mention.negated is negated


@pytest.mark.parametrize(
    "criterion",
    [
        # another kind than the pill: asked, not met (NCT00293423, NCT05645718, NCT06429761)
        "Fertile patients must use effective barrier contraception",
        "Abstinence",
        "Intrauterine device",
        "Fertile patients must use effective double-method contraception",
        "Progestogen-only hormonal contraception associated with inhibition of ovulation:",
    ],
)
def test_the_pill_is_not_every_kind_of_contraception(criterion: str) -> None:
    (item,) = parse_criteria(f"Inclusion Criteria:\n* {criterion}").items
    assert judge_item(item, VOLUNTEER).verdict is Verdict.UNKNOWN


def test_a_refusal_of_more_than_contraception_still_asks() -> None:
    # NCT05442632: the diseases she lacks do not answer her will to cooperate
    criterion = (
        "Those with uncontrollable neurological and psychiatric diseases or mental disorders, "
        "poor compliance, unable to cooperate and describe treatment reactions"
    )
    assert _excluded(criterion).verdict is Verdict.UNKNOWN


@pytest.mark.parametrize(
    ("criterion", "verdict"),
    [
        # NCT00671034: met before "pregnancy tests" was read as a test
        ("Pregnancy tests with a negative result must be obtained in all females", Verdict.MET),
        # NCT05897541: a test only required stays a question
        ("Additional requirements for pregnancy testing during the study", Verdict.UNKNOWN),
    ],
)
def test_a_negative_pregnancy_test_asked_is_not_being_pregnant(
    criterion: str, verdict: Verdict
) -> None:
    (item,) = parse_criteria(f"Inclusion Criteria:\n* {criterion}").items
    assert judge_item(item, VOLUNTEER).verdict is verdict
