"""Items of a criteria text (kind, nesting, spans), assertions on mentions, time windows and
non-computable items, on the seed pages and real record layouts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import SHARED_DATA
from trialscope.criteria import Item, ParsedCriteria, parse_criteria
from trialscope.criteria.assertions import assert_span, clean_triggers, triggers

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
needs_seeds = pytest.mark.skipif(not SEEDS.is_dir(), reason=f"no seed pages at {SEEDS}")


def seed_criteria(name: str, start: str, stop: str) -> str:
    page = next(SEEDS.glob(f"{name}_*.txt")).read_text("utf-8")
    return page[page.index(start) : page.index(stop)]


def kinds(parsed: ParsedCriteria) -> list[str]:
    return [i.kind for i in parsed.items]


@needs_seeds
@pytest.mark.parametrize(
    ("seed", "start", "stop", "inclusion", "exclusion"),
    [
        ("000", "Inclusion Criteria:", "```\n\n## Arms", 8, 9),
        ("001", "Inclusion criteria", "Trial design", 5, 10),
        ("002", "Inclusion Criteria\n", "Minimum Eligible Age", 11, 8),
        ("003", "Inclusion Criteria:", "```\n\n## Arms", 6, 7),
        ("004", "Inclusion Criteria:", "Where this trial", 11, 10),
    ],
)
def test_seed_pages_split_into_their_bullets(
    seed: str, start: str, stop: str, inclusion: int, exclusion: int
) -> None:
    text = seed_criteria(seed, start, stop)
    parsed = parse_criteria(text)
    assert kinds(parsed).count("inclusion") == inclusion
    assert kinds(parsed).count("exclusion") == exclusion
    assert "no_header" not in parsed.flags
    for item in parsed.items:
        # every span points at the item's text in the original, escapes and all
        assert text[item.span[0] : item.span[1]] == item.text
        assert item.text.strip() and not re.match(r"[*\-•]\s|\d+[.)]\s", item.text)


@pytest.mark.parametrize(
    "header",
    ["Inclusion Criteria:", "Key inclusion criteria", "INCLUSION CRITERIA", "Inclusion:",
     "Key Inclusion Criteria:", "Inclusion criteria for patients:", "**Inclusion Criteria**"],
)  # fmt: skip
def test_inclusion_header_variants(header: str) -> None:
    parsed = parse_criteria(f"{header}\n\n* Age ≥ 18\n\nExclusion criteria include:\n\n* HIV")
    assert kinds(parsed) == ["inclusion", "exclusion"]


@pytest.mark.parametrize(
    "header",
    ["Exclusion Criteria:", "Key exclusion criteria", "EXCLUSION CRITERIA", "Exclusion:",
     "Exclusion criteria include:", "Patients will be excluded if:",
     "Subjects are excluded if they meet any of the following:", "Non-inclusion criteria:",
     "Non inclusion criteria", "Exclusion criteria include the following:",
     "The exclusion criteria are as follows:", "Exclusion criteria consisted of the following:"],
)  # fmt: skip
def test_exclusion_header_variants(header: str) -> None:
    parsed = parse_criteria(f"Inclusion Criteria:\n- Age ≥ 18\n{header}\n- HIV infection")
    assert kinds(parsed) == ["inclusion", "exclusion"]


def test_no_header_is_flagged_and_kinds_are_unknown() -> None:
    parsed = parse_criteria("Age 18 or older\nNo prior chemotherapy\n")
    assert "no_header" in parsed.flags
    assert kinds(parsed) == ["unknown", "unknown"]


def test_a_paragraph_opened_by_a_header_is_of_its_kind() -> None:
    # NCT00000132: read as an inclusion, its IOP bound ruled out the patients it admits
    parsed = parse_criteria(
        "Men and women between ages 50 and 80 years with glaucoma are eligible.\n\n"
        "Exclusion criteria include the following: mean IOP > 30 mm Hg in at least one eye"
    )
    assert [(i.kind, i.text) for i in parsed.items][-1] == (
        "exclusion",
        "mean IOP > 30 mm Hg in at least one eye",
    )


def test_header_with_text_on_the_same_line() -> None:
    parsed = parse_criteria("Inclusion Criteria: age > 18 years\nExclusion Criteria: pregnancy")
    assert [(i.kind, i.text) for i in parsed.items] == [
        ("inclusion", "age > 18 years"),
        ("exclusion", "pregnancy"),
    ]


@pytest.mark.parametrize(
    "bullets",
    [["* ", "* "], ["- ", "- "], ["• ", "• "], ["1. ", "2. "], ["1) ", "2) "], ["(1) ", "(2) "],
     ["a. ", "b. "], ["i. ", "ii. "], ["  1. ", "  2. "]],
)  # fmt: skip
def test_bullet_styles(bullets: list[str]) -> None:
    text = f"Inclusion Criteria:\n{bullets[0]}ECOG 0-1\n{bullets[1]}ANC ≥ 1.5 × 10^9/L\n"
    parsed = parse_criteria(text)
    assert [i.text for i in parsed.items] == ["ECOG 0-1", "ANC ≥ 1.5 × 10^9/L"]
    assert [i.marker for i in parsed.items] == [b.strip() for b in bullets]


def test_nesting_by_indentation_and_by_bullet_style() -> None:
    text = (
        "Inclusion Criteria:\n"
        "1. Adequate organ function:\n"
        "   a. ANC ≥ 1.5 × 10^9/L\n"
        "   b. Platelets ≥ 100 × 10^9/L\n"
        "2. ECOG 0-1\n"
        "Exclusion Criteria:\n"
        "* Infection\n"
        "  - active HBV\n"
        "  - active HCV\n"
        "* Pregnancy\n"
    )
    items = parse_criteria(text).items
    assert [(i.level, i.parent) for i in items] == [
        (0, None), (1, 0), (1, 0), (0, None), (0, None), (1, 4), (1, 4), (0, None),
    ]  # fmt: skip
    assert items[0].non_computable_reason == "heading"


def test_wrapped_lines_continue_their_item() -> None:
    # the legacy XML layout: bullets indented, long lines wrapped under the text
    text = (
        "\n        Inclusion Criteria:\n\n          -  Presence of acute respiratory distress"
        " with arterial\n             partial pressure of oxygen between 200 and 300 mm/Hg\n\n"
        "          -  age > 18 years\n"
    )
    items = parse_criteria(text).items
    assert len(items) == 2
    assert items[0].text.endswith("200 and 300 mm/Hg")


def test_paragraph_items_without_bullets() -> None:
    text = "Patients with biopsy-proven tumors\nKarnofsky Performance Status > 60\nHIV+ patients\n"
    assert len(parse_criteria(text).items) == 3


def test_empty_text() -> None:
    assert parse_criteria("").flags == ("empty",)
    assert parse_criteria(None).items == ()
    assert parse_criteria("   \n ").items == ()


# -- assertions -------------------------------------------------------------------------


def mentions(text: str) -> dict[str, tuple[bool, bool]]:
    return {
        m.concept: (m.negated, m.historical) for i in parse_criteria(text).items for m in i.mentions
    }


@pytest.mark.parametrize(
    ("text", "concept", "negated", "historical"),
    [
        ("No systemic chemotherapy", "chemotherapy", True, True),
        ("With brain metastasis or meningeal metastasis", "brain_metastases", False, False),
        ("No history of HIV", "hiv", True, False),
        ("Without previous antitumoral immunotherapy", "immunotherapy", True, True),
        ("History of other malignancies within 5 years", "other_malignancy", False, True),
        ("Absence of evidence of extra-hepatic diseases", "extrahepatic_metastases", True, False),
        ("There was no extrahepatic metastases", "extrahepatic_metastases", True, False),
        ("HBsAg negative", "hbv", True, False),
        ("Active or chronic hepatitis B/C virus infection", "hbv", False, False),
        (
            "Patients without brain metastases, but with liver metastases",
            "liver_metastases",
            False,
            False,
        ),
        (
            "Patients without brain metastases, but with liver metastases",
            "brain_metastases",
            True,
            False,
        ),
        ("Distant metastases are not resectable", "distant_metastases", False, False),
        # "-ve" is negative; "+ve" is not (the lexicon folds the sign away)
        ("Consecutive hospitalized patients (COVID-19 -ve) (control group)", "covid19", True,
         False),
        ("HIV-ve patients", "hiv", True, False),
        ("Hepatitis B +ve", "hbv", False, False),
        # the trigger "no prior" ends inside the lexicon's "prior malignancy" (it was not
        # negated, and a healthy volunteer failed the inclusion)
        ("No prior malignancy", "other_malignancy", True, False),
        ("no previous malignancy", "other_malignancy", True, False),
    ],
)  # fmt: skip
def test_negation_and_history(text: str, concept: str, negated: bool, historical: bool) -> None:
    assert mentions(text)[concept] == (negated, historical)


def test_a_semicolon_ends_a_negation() -> None:
    found = mentions("No known HIV infection; brain metastases allowed if treated")
    assert found["hiv"][0] is True
    assert found["brain_metastases"][0] is False


def test_negation_runs_across_commas_within_the_clause() -> None:
    found = mentions("No HIV, HBV or HCV infection")
    assert found["hiv"][0] and found["hbv"][0] and found["hcv"][0]


def test_pseudo_triggers_do_not_negate() -> None:
    found = mentions("Platelets no more than 400; non-small cell lung cancer")
    assert found["lung_cancer"] == (False, False)


@pytest.mark.parametrize(
    ("text", "concept"),
    [("Pregnancy or breast-feeding women", "pregnancy"),
     ("Pregnancy or breast-feeding women", "breastfeeding"),
     ("Women of childbearing potential must use effective contraception", "contraception"),
     ("Negative serum pregnancy test at screening", "pregnancy_test")],
)  # fmt: skip
def test_pregnancy_mentions(text: str, concept: str) -> None:
    found = [m for i in parse_criteria(text).items for m in i.mentions if m.concept == concept]
    assert found and found[0].category == "pregnancy"


@pytest.mark.parametrize(
    ("text", "concept"),
    [("Previous anti-tumor therapy (surgery/ radiotherapy/ chemotherapy)", "radiotherapy"),
     ("Prior treatment with anti-PD-1 or anti-PD-L1 antibodies", "pd1_pdl1"),
     ("Received an investigational drug within 4 weeks", "investigational_drug"),
     ("Prior immunotherapy", "immunotherapy"), ("Major surgery within 28 days", "surgery")],
)  # fmt: skip
def test_prior_therapy_classes(text: str, concept: str) -> None:
    found = [m for i in parse_criteria(text).items for m in i.mentions if m.concept == concept]
    assert found and found[0].category == "prior_therapy"


# -- time windows ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "relation", "days"),
    [("screening within 7 days", "within", 7), ("in the past 5 years", "within", 1826.25),
     ("at least 4 weeks since prior chemotherapy", "at_least", 28),
     ("Malignant tumour of the past five years", "within", 1826.25),
     ("myocardial infarction within the last 12 months", "within", 365.25),
     ("stable for at least six months prior to study start", "duration", 182.625),
     # a TREC 2021 exclusion met by a diagnosis of 7 months: the duration was not read
     ("a diagnosis of relapsing remitting MS for greater than 12 months", "duration", 365.25),
     ("diabetes for longer than 10 years", "duration", 3652.5)],
)  # fmt: skip
def test_time_windows(text: str, relation: str, days: float) -> None:
    windows = [w for i in parse_criteria(text).items for w in i.windows]
    assert windows and windows[0].relation == relation
    assert windows[0].days == pytest.approx(days)


def test_window_anchor() -> None:
    item = parse_criteria("At least 4 weeks since prior chemotherapy").items[0]
    assert item.windows[0].anchor == "prior chemotherapy"


# -- non-computable -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [("Signed the inform consent", "consent"), ("With good compliance", "compliance"),
     ("Patients who, in the opinion of the researchers, have other conditions",
      "investigator_judgement"),
     ("Volunteer to participate in this study and sign the informed consent", "consent"),
     # an agreement is the person's will, not a diagnosis ("... for AML" named AML)
     ("Subject agrees not to participate in another interventional study for AML",
      "compliance"),
     # "involuntary guarding" is a finding, not a volunteer's will
     ("Tenderness (with or without rebound), involuntary guarding, absent or diminished bowel "
      "sounds, or abdominal wall rigidity", "free_text"),
     ("Postoperative ctDNA-positive patients", "free_text")],
)  # fmt: skip
def test_non_computable_items_are_kept_and_marked(text: str, reason: str) -> None:
    item: Item = parse_criteria(text).items[0]
    assert item.computable is False
    assert item.non_computable_reason == reason


def test_json_round_trip() -> None:
    parsed = parse_criteria("Inclusion:\n* ANC≥1.5\\*109/L；age ≥ 18\n* No HIV within 5 years")
    assert ParsedCriteria.from_json(parsed.to_json()) == parsed


def test_vocabulary_mentions_beside_the_lexicon() -> None:
    # the vocabulary always loads (or the parse fails with a hint); the full one is needed
    # for MeSH ids, the built-in table has none for angina
    if not (SHARED_DATA / "vocab").is_dir():
        pytest.skip(f"vocabulary files not found at {SHARED_DATA / 'vocab'}")
    parsed = parse_criteria("Exclusion Criteria:\n- Chronic stable angina\n- TBI ≤ 1.5 x ULN\n")
    assert "vocabulary" in parsed.flags
    angina, labs = parsed.items
    assert any(m.concept.startswith("MESH:") and m.text == "Chronic stable angina"
               for m in angina.mentions)  # fmt: skip
    # "TBI" is the bilirubin of the bound, not traumatic brain injury
    assert not any(m.concept.startswith("MESH:") for m in labs.mentions)


# Real disease names with "non" in them: the prefix qualifies the name, it does not negate it.
_NON_DISEASE_NAMES = [
    ("Non-Hodgkin's lymphoma", "lymphoma"),
    ("non-small cell lung cancer", "lung cancer"),
    ("non-muscle-invasive bladder cancer", "bladder cancer"),
    ("non-squamous NSCLC", "NSCLC"),
    ("Non-clear cell renal cell carcinoma", "renal cell carcinoma"),
    ("non-metastatic castration-resistant prostate cancer", "prostate cancer"),
    ("non-alcoholic steatohepatitis", "steatohepatitis"),
    ("Non-germinal center B-cell diffuse large B-cell lymphoma", "lymphoma"),
    ("non-melanoma skin cancer", "skin cancer"),
]


def _negated(text: str, mention: str) -> bool:
    start = text.index(mention)
    found = clean_triggers(triggers(text, 0, len(text)))
    return assert_span(text, start, start + len(mention), found, 0, len(text)).negated


@pytest.mark.parametrize(("text", "mention"), _NON_DISEASE_NAMES)
def test_a_non_prefix_in_a_disease_name_does_not_negate_it(text: str, mention: str) -> None:
    assert not _negated(f"Patients with {text}", mention)
    # a real negation before the name still negates it
    assert _negated(f"No prior {text}", mention)


@pytest.mark.parametrize(
    ("text", "mention"),
    [("non-smoker", "smoker"), ("non pregnant women", "pregnant"), ("Non-diabetic", "diabetic")],
)
def test_a_non_prefix_negates_the_word_it_is_attached_to(text: str, mention: str) -> None:
    assert _negated(text, mention)


def test_a_header_opening_a_long_line_starts_the_exclusions() -> None:
    # NCT02958956: "Exclusion Criteria: 1. Age less than (<) 40 years ..." on one long line
    rest = " 2. No medication benefits at the time of entry into the cohort or a gap" * 3
    head = "Inclusion Criteria:\n\n1. aged 40 years or older\n\n"
    text = f"{head}Exclusion Criteria: 1. Age < 40.{rest}"
    items = parse_criteria(text).items
    assert [i.kind for i in items] == ["inclusion", "exclusion"]
    assert items[1].text.startswith("Age < 40")


@pytest.mark.parametrize(
    "text",
    [
        # NCT04588402: read as "must be pregnant", it had failed every woman who is not
        "Pregnancy will not be considered as exclusion criteria.",
        "Patients with brain metastases will not be excluded",
        "Diabetes is not an exclusion criterion",
    ],
)
def test_what_will_not_be_excluded_is_no_requirement(text: str) -> None:
    (item,) = parse_criteria(f"Inclusion Criteria:\n* {text}").items
    assert not [m for m in item.mentions if m.category != "sex"], item.mentions


def test_pregnancy_testing_is_a_test_not_a_pregnancy() -> None:
    # NCT05897541: "pregnancy testing" had been read as pregnancy, failing a woman who is not
    text = "Additional requirements for pregnancy testing during and after study intervention"
    (item,) = parse_criteria(f"Inclusion Criteria:\n* {text}").items
    assert [m.concept for m in item.mentions if m.category == "pregnancy"] == ["pregnancy_test"]


def test_a_name_matched_inside_brackets_reads_whole() -> None:
    # NCT04247984: the question had read "DPD) deficiency?"
    text = "Known dihidropyrimidine dehydrogenase (DPD) deficiency"
    (item,) = parse_criteria(f"Exclusion Criteria:\n* {text}").items
    assert "DPD deficiency" in [m.text for m in item.mentions]
