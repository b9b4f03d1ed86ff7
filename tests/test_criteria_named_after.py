"""Scales and studies named after a disease are about it; they do not give it to the patient.

A TREC 2023 note's "Beck depression inventory: 8." (a score of no depression) gave the
patient depression, and a criterion naming the "Hamilton Depression Rating Scale" asked
for depression. The wordings are real ones from the notes and the corpus."""

from __future__ import annotations

import pytest

from trialscope.criteria import parse_criteria
from trialscope.criteria.named_after import named_after_in
from trialscope.match import read_note


@pytest.mark.parametrize(
    ("text", "scale_words"),
    [
        ("Beck depression inventory: 12.", ["depression"]),
        ("score of ≥3 on Hamilton Depression Rating Scale (HDRS) suicide item", ["Depression"]),
        ("Hospital Anxiety and Depression Scale score ≥ 8", ["Anxiety", "Depression"]),
        ("Crohn's Disease Activity Index (CDAI) > 450", ["Crohn's Disease"]),
        ("Geriatric Depression Scale > 10", ["Depression"]),
        ("Patients enrolled in an Alzheimer's disease study", ["Alzheimer's disease"]),
        ("No participation in any other breast cancer prevention study", ["breast cancer"]),
        # a disease with a test or a score is the disease's
        ("COVID-19 test result negative", []),
        ("Major depression with a depression score above 20", []),
    ],
)
def test_named_after_words(text: str, scale_words: list[str]) -> None:
    found = sorted(named_after_in(text))
    assert [text[a:b] for a, b in found if not any(
        o != (a, b) and o[0] <= a and b <= o[1] for o in found)] == scale_words  # fmt: skip


@pytest.mark.parametrize(
    "criterion",
    [
        "Patients enrolled in an Alzheimer's disease study",
        "Active suicidal ideation (defined as a score of ≥3 on Hamilton Depression Rating Scale "
        "(HDRS) suicide item).",
        "Hospital Anxiety and Depression Scale score ≥ 8",
    ],
)
def test_a_scale_is_no_condition_in_criteria(criterion: str) -> None:
    item = parse_criteria(f"Exclusion Criteria:\n* {criterion}").items[0]
    named = {m.text.lower() for m in item.mentions if m.category == "condition"}
    assert not named & {"depression", "anxiety", "alzheimer's disease"}


@pytest.mark.parametrize(
    ("note", "conditions"),
    [
        ("Patient with anxiety.\nBeck depression inventory: 8.\nSuicidal ideation: no.",
         {"anxiety"}),
        ("Patient with anxiety and depression.\nBeck depression inventory: 30.",
         {"anxiety", "depression"}),
    ],
)  # fmt: skip
def test_a_scale_in_a_note_gives_no_condition(note: str, conditions: set[str]) -> None:
    patient = read_note(note)
    assert {c.name.lower() for c in patient.conditions if c.status == "active"} == conditions
