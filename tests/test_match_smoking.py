"""Smoking status: how notes say it, how criteria ask it, and PDQ label lines.

Each case failed before 2a5233f/b0a0d15: "Nonsmoker" in a note was an active smoker,
"quit smoking in 2005" a current one, criteria about smokers were unread (no concept),
and a value under a "Performance status:" line was read as nothing."""

from __future__ import annotations

import pytest

from trialscope.criteria import parse_criteria
from trialscope.match import Verdict, read_note
from trialscope.match.facts import PatientFacts
from trialscope.match.judge import judge_item
from trialscope.match.smoking import SMOKING, smoking_status

NEVER = "A 50-year-old man with COPD. Smoking history: none."
CURRENT = "A 50-year-old man with COPD. He smokes 1 pack per day."
FORMER = "A 50-year-old man with COPD, a former smoker (30 pack-years, quit 2010)."
SILENT = "A 50-year-old man with COPD."


@pytest.mark.parametrize(
    ("note", "status"),
    [
        ("He smokes 1 pack per day.", "active"),
        ("She is a current smoker.", "active"),
        ("Smoking: current.", "active"),
        ("Non-smoker.", "absent"),
        ("Nonsmoker.", "absent"),
        ("A 50-year-old man, never smoker.", "absent"),
        ("He never smoked.", "absent"),
        ("He won't smoke or uses any illicit drugs.", "absent"),
        ("Denies tobacco use.", "absent"),
        ("No history of smoking.", "absent"),
        ("Smoking history: none.", "absent"),
        ("Former smoker, quit 10 years ago.", "history"),
        ("Ex-smoker.", "history"),
        ("He quit smoking in 2005.", "history"),
    ],
)
def test_smoking_status_in_a_note(note: str, status: str) -> None:
    found = [c for c in read_note(note).conditions if SMOKING in c.codes]
    assert [c.status for c in found] and {c.status for c in found} == {status}


@pytest.mark.parametrize(
    "clause", ["30 pack-year smoking history.", "He has hypertension.", "Smoke detector at home."]
)
def test_amount_alone_or_nothing_sets_no_status(clause: str) -> None:
    # an amount says the person smoked, not whether they still do
    assert smoking_status(clause) is None


def judged(note: str, kind: str, criterion: str) -> Verdict:
    header = "Inclusion Criteria:" if kind == "inclusion" else "Exclusion Criteria:"
    item = parse_criteria(f"{header}\n* {criterion}").items[0]
    return judge_item(item, PatientFacts.of(read_note(note))).verdict


@pytest.mark.parametrize(
    ("kind", "criterion", "never", "current", "former"),
    [
        ("inclusion", "Men and women who were cigarette smokers", Verdict.NOT_MET, Verdict.MET,
         Verdict.MET),
        ("inclusion", "Non-smoker", Verdict.MET, Verdict.NOT_MET, Verdict.NOT_MET),
        ("inclusion", "Nonsmokers", Verdict.MET, Verdict.NOT_MET, Verdict.NOT_MET),
        # a current smoker is neither (was MET: the ex- was not read)
        ("inclusion", "Non-smokers or ex-smokers", Verdict.MET, Verdict.NOT_MET, Verdict.MET),
        ("exclusion", "Current smokers", Verdict.NOT_MET, Verdict.MET, Verdict.NOT_MET),
        ("exclusion", "Active smokers", Verdict.NOT_MET, Verdict.MET, Verdict.NOT_MET),
        # a former smoker is not a current one, a current one not a former one
        ("inclusion", "Current smokers", Verdict.NOT_MET, Verdict.MET, Verdict.NOT_MET),
        ("inclusion", "current cigarette smokers", Verdict.NOT_MET, Verdict.MET, Verdict.NOT_MET),
        ("inclusion", "Ex-smokers", Verdict.NOT_MET, Verdict.NOT_MET, Verdict.MET),
        ("inclusion", "Smokers who have quit", Verdict.NOT_MET, Verdict.NOT_MET, Verdict.MET),
        ("exclusion", "Ex-smokers", Verdict.NOT_MET, Verdict.NOT_MET, Verdict.MET),
        ("inclusion", "Current or former smokers", Verdict.NOT_MET, Verdict.MET, Verdict.MET),
        ("inclusion", "History of smoking", Verdict.NOT_MET, Verdict.MET, Verdict.MET),
        # an upper limit on the habit is met by never having had it
        ("inclusion", "Nonsmoker, for at least 2 years with a smoking history of no more than "
         "10 pack years", Verdict.MET, Verdict.UNKNOWN, Verdict.UNKNOWN),
    ],
)  # fmt: skip
def test_smoking_criteria(
    kind: str, criterion: str, never: Verdict, current: Verdict, former: Verdict
) -> None:
    assert judged(NEVER, kind, criterion) is never
    assert judged(CURRENT, kind, criterion) is current
    assert judged(FORMER, kind, criterion) is former


def test_a_note_silent_on_smoking_leaves_an_inclusion_open() -> None:
    assert judged(SILENT, "inclusion", "Current smokers") is Verdict.UNKNOWN


@pytest.mark.parametrize(
    "note",
    [
        "A 64-year-old man with a 30 pack-year smoking history presents with cough.",
        "A 64-year-old man. History of smoking.",
    ],
)
def test_smoked_but_not_said_whether_still_is_asked(note: str) -> None:
    # "History of smoking" says the person smoked, not that they quit (nor that they still do)
    for kind, criterion in (("inclusion", "Current smokers"), ("exclusion", "Ex-smokers")):
        item = parse_criteria(
            f"{'Inclusion' if kind == 'inclusion' else 'Exclusion'} Criteria:\n* {criterion}"
        ).items[0]
        result = judge_item(item, PatientFacts.of(read_note(note)))
        assert result.verdict is Verdict.UNKNOWN
        assert result.questions[0].key.startswith("condition:kind:")


@pytest.mark.parametrize(
    ("text", "described"),
    [
        ("Performance status:\n\n* WHO 0-2", ["ecog 0-2"]),
        ("Life expectancy:\n\n* At least 3 months", ["life_expectancy >= 3 month"]),
        ("Age:\n\n* 18 and over", ["age >= 18 year"]),
        ("Performance status:\n\n* Not specified", []),
        # a label that names no measure lends nothing
        ("Hematopoietic:\n\n* 80 and under", []),
        ("* Performance status: SWOG 0 or 1", ["ecog 0-1"]),
        ("* GOG 0-2", ["ecog 0-2"]),
        ("* CALGB 0-1", ["ecog 0-1"]),
        # the scale named after the label is the one: one constraint, not two
        ("* Performance status: ECOG 0-2 OR Karnofsky 60-100%",
         ["ecog 0-2", "karnofsky 60-100 %"]),
    ],
)  # fmt: skip
def test_pdq_label_lines_lend_their_measure(text: str, described: list[str]) -> None:
    items = parse_criteria(f"Inclusion Criteria:\n\n{text}").items
    assert [c.describe() for c in items[-1].constraints] == described


def test_performance_under_a_label_decides() -> None:
    criteria = "Inclusion Criteria:\n\nPerformance status:\n\n* WHO 0-2"
    item = parse_criteria(criteria).items[-1]
    facts = PatientFacts.of(read_note("A 60-year-old woman with breast cancer. ECOG 3."))
    assert judge_item(item, facts).verdict is Verdict.NOT_MET
