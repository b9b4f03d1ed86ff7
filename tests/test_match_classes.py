"""Error classes the tuning cohorts showed (issue 11, 2026-12-05 second session), each
pinned here: a cancer only the vocabulary knows under the lexicon's "malignancy", "wild-type
KRAS and NRAS" as two requirements, exclusions of the trial's own disease, "one or more of
the following" as one alternative, "Patients who received X must ..." as a condition, and
negated inclusions of the trial's own disease. Notes are written for the test; no gold
patient is read."""

from __future__ import annotations

import pytest

from trialscope.criteria import parse_criteria
from trialscope.match import Verdict, read_note
from trialscope.match.concepts import ancestors, find_concepts
from trialscope.match.facts import PatientFacts
from trialscope.match.judge import judge_item
from trialscope.match.trials import own_concepts
from trialscope.match.verdicts import CriterionResult


def judged(note: str, kind: str, criterion: str, own: tuple[str, ...] = ()) -> CriterionResult:
    header = "Inclusion Criteria:" if kind == "inclusion" else "Exclusion Criteria:"
    item = parse_criteria(f"{header}\n* {criterion}").items[0]
    return judge_item(item, PatientFacts.of(read_note(note)), own=own_concepts(own))


LUNG = "A 62-year-old man with lung adenocarcinoma."


@pytest.mark.parametrize(
    ("kind", "criterion", "verdict"),
    [
        ("inclusion", "Histologically confirmed malignancy", Verdict.MET),
        ("exclusion", "Active malignancy", Verdict.MET),
        ("exclusion", "History of cancer within the past 5 years", Verdict.MET),
    ],
)
def test_a_cancer_only_the_vocabulary_knows_is_a_malignancy(
    kind: str, criterion: str, verdict: Verdict
) -> None:
    result = judged(LUNG, kind, criterion)
    assert result.verdict is verdict, result.reason


@pytest.mark.parametrize(
    ("text", "malignant"),
    [
        ("lung adenocarcinoma", True),
        ("glioblastoma", True),
        ("mesothelioma", True),
        ("colon adenoma", False),  # the merged hierarchy puts it under a cancer class
        ("uterine fibroids", False),
        ("cervical dysplasia", False),
        ("meningioma", False),
        ("liver metastases", False),  # the primary's spread, not another malignancy
    ],
)
def test_which_vocabulary_concepts_are_malignancies(text: str, malignant: bool) -> None:
    concepts = [f.concept for f in find_concepts(text) if not f.concept.startswith("lex:")]
    assert concepts, text
    assert ("lex:malignancy" in ancestors(concepts[0])) is malignant


CRC = "A 62-year-old man with metastatic colorectal cancer. "


@pytest.mark.parametrize(
    ("note", "criterion", "verdict"),
    [
        ("KRAS wild-type, NRAS mutated.", "Wild-type KRAS and NRAS", Verdict.NOT_MET),
        ("KRAS wild-type.", "Wild-type KRAS and NRAS", Verdict.UNKNOWN),  # NRAS not said
        ("Tumor is KRAS and NRAS wild-type.", "Wild-type KRAS and NRAS", Verdict.MET),
        ("RAS wild-type.", "wild-type KRAS, NRAS", Verdict.MET),
        ("KRAS wild-type, NRAS mutated.", "RAS wild-type tumor", Verdict.NOT_MET),
        ("KRAS G12D mutation.", "Known RAS mutation", Verdict.MET),
    ],
)
def test_wild_type_before_a_list_of_genes_reads_every_gene(
    note: str, criterion: str, verdict: Verdict
) -> None:
    result = judged(CRC + note, "inclusion", criterion)
    assert result.verdict is verdict, result.reason
