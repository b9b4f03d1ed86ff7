"""The plain-language view in the core: sentences from parsed criteria, honest status and
phase, the staleness rule, YAML scalars; and over every v2 trial of the corpus: reading
grade at or below 8, no variable names or operators, no status or phase the record does
not give."""

from __future__ import annotations

import gzip
import re
import statistics
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import orjson
import pytest
import textstat
import yaml
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import CTGOV, FIXTURES, ROOT, needs_corpus
from trialscope.criteria import VARIABLES, parse_criteria
from trialscope.record import Study
from trialscope.record.freshness import StaleReason, freshness
from trialscope.render.card import (
    PHASE_NOT_GIVEN,
    STATUS_NOT_GIVEN,
    phase_words,
    render_card,
    status_word,
)
from trialscope.render.markdown import render_markdown, yaml_scalar
from trialscope.render.plain_language import (
    NO_STATUS,
    STATUS_SENTENCES,
    PlainLanguage,
    plain_language,
)

TODAY = date(2026, 12, 4)
MAX_GRADE = 8.0
SEED_TRIALS = FIXTURES / "seed_trials.v2.jsonl"


def seed_trials() -> dict[str, Study]:
    lines = SEED_TRIALS.read_bytes().splitlines()
    studies = [Study.from_json(line) for line in lines if line.strip()]
    return {s.nct_id or "": s for s in studies}


def parsed_of(study: Study) -> object:
    module = study.protocol_section.eligibility_module if study.protocol_section else None
    return parse_criteria(module.eligibility_criteria if module else None)


def view_of(study: Study) -> PlainLanguage:
    return plain_language(study, parsed_of(study), today=TODAY)  # type: ignore[arg-type]


# --- seed 004: the page the issue describes --------------------------------------------


def test_seed_004_fit_is_written_from_the_parsed_criteria() -> None:
    view = view_of(seed_trials()["NCT06934018"])
    assert view.disease == "colorectal cancer that has spread to the liver"
    assert "The study is for people with colorectal cancer that has spread to the liver." in (
        view.studies
    )
    for need in (
        "Up to 5 tumours in the liver.",
        "Able to care for yourself and do light work (ECOG 0–1).",
        "Healthy liver function (Child-Pugh A).",
    ):
        assert need in view.needs, view.needs
    assert "Cancer outside the liver that has not been treated." in view.reasons, view.reasons
    assert "Another cancer in the last 5 years." in view.reasons
    # "The number of liver metastases before chemotherapy was more than 5" (issue 12)
    assert "More than 5 tumours in the liver before chemotherapy." in view.reasons
    # the disease itself is never a reason to be left out
    assert not any("spread to the liver" in r for r in view.reasons)


def test_seed_004_missing_status_and_phase_are_said_to_be_missing() -> None:
    view = view_of(seed_trials()["NCT06934018"])
    text = " ".join(view.all_sentences())
    assert view.lead[0] == NO_STATUS
    assert "The record does not give a study phase." in view.lead
    assert view.status_fact == STATUS_NOT_GIVEN
    assert view.phase_fact == PHASE_NOT_GIVEN
    for false_fact in ("does not take new people", "Unknown status", "no drug phase"):
        assert false_fact not in text


def test_seed_004_what_is_tested_in_plain_words() -> None:
    view = view_of(seed_trials()["NCT06934018"])
    assert "The study looks at 2 kinds of surgery or hands-on care and a medicine." in view.tested
    assert "The team compares the new approach with another choice." in view.tested


# --- the staleness rule -----------------------------------------------------------------


def _study(status: str | None, completion: str | None, updated: str | None) -> Study:
    module: dict[str, object] = {}
    if status:
        module["overallStatus"] = status
    if completion:
        module["primaryCompletionDateStruct"] = {"date": completion}
    if updated:
        module["lastUpdatePostDateStruct"] = {"date": updated}
    return Study.from_json({"protocolSection": {"statusModule": module}})


@pytest.mark.parametrize(
    ("status", "completion", "updated", "reasons"),
    [
        ("RECRUITING", "2026-06-30", "2026-01-10", {StaleReason.COMPLETION_PASSED}),
        ("RECRUITING", "2027-06-30", "2026-01-10", set()),
        ("NOT_YET_RECRUITING", "2025-01", "2026-01-10", {StaleReason.COMPLETION_PASSED}),
        ("ENROLLING_BY_INVITATION", "2026-12", "2026-01-10", set()),  # December not over yet
        ("RECRUITING", "2030-01-01", "2024-12-03", {StaleReason.NOT_UPDATED}),
        ("RECRUITING", "2030-01-01", "2024-12-05", set()),
        (
            "RECRUITING",
            "2020-01-01",
            "2019-01-01",
            {StaleReason.COMPLETION_PASSED, StaleReason.NOT_UPDATED},
        ),
        ("COMPLETED", "2020-01-01", "2019-01-01", set()),  # not open: nothing to be stale about
        ("UNKNOWN", "2020-01-01", "2019-01-01", set()),  # CT.gov already says it
        (None, "2020-01-01", "2019-01-01", set()),  # no status: views say it is missing
        ("RECRUITING", None, None, set()),
    ],
)
def test_staleness_rule(
    status: str | None, completion: str | None, updated: str | None, reasons: set[StaleReason]
) -> None:
    found = freshness(_study(status, completion, updated), TODAY)
    assert set(found.reasons) == reasons
    assert found.stale is bool(reasons)
    assert found.to_json()["checkedOn"] == "2026-12-04"


def test_a_stale_record_says_so_in_core_views() -> None:
    study = seed_trials()["NCT06120127"]  # recruiting, completion 2025-09-25 passed
    view = view_of(study)
    assert view.stale is not None
    assert "September 25, 2025" in view.stale
    assert "May be out of date: completion date 2025-09-25 has passed" in render_card(
        study, today=TODAY
    )
    page = render_markdown(study, now=datetime(2026, 12, 4, tzinfo=UTC))
    front = yaml.safe_load(page.split("---\n")[1])
    assert front["possibly_stale"] is True
    # last updated 2023-11-07: more than two years before TODAY as well
    assert front["stale_reasons"] == ["completion_date_passed", "not_updated_for_two_years"]
    fresh = render_markdown(seed_trials()["NCT06873178"])
    assert "possibly_stale" not in fresh


# --- YAML frontmatter -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("ACTIVE_NOT_RECRUITING", "ACTIVE_NOT_RECRUITING"),  # seed 003
        ("Alliance Foundation Trials, LLC.", "Alliance Foundation Trials, LLC."),
        ("Crohn's Disease", "Crohn's Disease"),
        ("yes", '"yes"'),
        ("on", '"on"'),
        ("2020-06-04", '"2020-06-04"'),
        ("1.5", '"1.5"'),
        ("a: b", '"a: b"'),
        ("#1 trial", '"#1 trial"'),
        ("- dash", '"- dash"'),
        ('say "hi"', 'say "hi"'),
        ("", '""'),
        # the words YAML readers take for bools or null, whatever their case
        ("Null", '"Null"'),
        ("NO", '"NO"'),
        ("Y", '"Y"'),
        ("Phase 2/Phase 3 (A & B)", "Phase 2/Phase 3 (A & B)"),
    ],
)
def test_yaml_scalar_quotes_only_what_must_be_quoted(value: str, written: str) -> None:
    assert yaml_scalar(value) == written


@given(st.text(max_size=60))
def test_yaml_scalar_always_reads_back(value: str) -> None:
    assert yaml.safe_load(f"key: {yaml_scalar(value)}") == {"key": value}


@given(st.from_regex(r"[A-Za-zéΩ][\w ,.()/'&+-]{0,40}", fullmatch=True))
def test_yaml_scalar_fast_path_reads_back(value: str) -> None:
    # the shapes the fast path writes plain without asking PyYAML
    assert yaml.safe_load(f"key: {yaml_scalar(value)}") == {"key": value}


# --- the whole corpus -------------------------------------------------------------------

#: what a patient must never see: operators, "not computable", snake_case ids (catalogue
#: variables like child_pugh, lexicon concepts like liver_metastases, enum codes)
_MACHINE = re.compile(r"[≤≥<>=]|not computable|\b[A-Za-z0-9]+_[A-Za-z0-9_]+\b")
_PHASE_WORDS = re.compile(r"\bphase (\d)(?: and (\d))?\b", re.IGNORECASE)


def corpus_studies() -> Iterator[Study]:
    seen: set[str] = set()
    for path in sorted((CTGOV / "v2").glob("*.jsonl*")):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as handle:
            for line in handle:
                if not line.strip():
                    continue
                study = Study.from_json(orjson.loads(line))
                if study.nct_id and study.nct_id not in seen:
                    seen.add(study.nct_id)
                    yield study


def machine_words(text: str) -> list[str]:
    return _MACHINE.findall(text)


def states_only_what_the_record_gives(study: Study, view: PlainLanguage) -> list[str]:
    """Problems: a status sentence other than the record's, a phase it does not give."""
    problems = []
    text = " ".join(view.all_sentences())
    status = str(study.overall_status or "")
    for code, sentence in STATUS_SENTENCES.items():
        if code != status and sentence in text:
            problems.append(f"says {code} but the record gives {status or 'none'}")
    if not status and NO_STATUS not in view.lead:
        problems.append("no status, and the page does not say so")
    given_phases = {str(p).removeprefix("EARLY_").removeprefix("PHASE") for p in study.phases}
    for match in _PHASE_WORDS.finditer(text):
        for number in filter(None, match.groups()):
            if number not in given_phases:
                problems.append(f"says phase {number}; the record gives {sorted(given_phases)}")
    return problems


def grade(text: str) -> tuple[float, float]:
    return (
        float(textstat.flesch_kincaid_grade(text)),
        float(textstat.text_standard(text, float_output=True)),
    )


@pytest.mark.slow
@needs_corpus
def test_every_corpus_trial_reads_plainly_and_honestly() -> None:
    """Over all v2 trials (1,800+): grade ≤ 8 (Flesch-Kincaid and textstat's consensus),
    no machine words, no status or phase the record does not give."""
    grades: dict[str, tuple[float, float]] = {}
    problems: dict[str, list[str]] = {}
    worst_section: tuple[float, str, str] = (0.0, "", "")
    for study in corpus_studies():
        view = view_of(study)
        text = " ".join(view.all_sentences())
        grades[study.nct_id or ""] = grade(text)
        for name, lines in sections(view).items():
            if lines:
                kincaid = float(textstat.flesch_kincaid_grade(" ".join(lines)))
                worst_section = max(worst_section, (kincaid, study.nct_id or "", name))
        found = machine_words(text) + states_only_what_the_record_gives(study, view)
        if found:
            problems[study.nct_id or ""] = found
    assert len(grades) >= 1800
    assert not problems, dict(list(problems.items())[:5])
    kincaid = [g for g, _ in grades.values()]
    consensus = [c for _, c in grades.values()]
    worst = max(grades.items(), key=lambda item: item[1][0])
    assert worst[1][0] <= MAX_GRADE, worst
    assert max(consensus) <= MAX_GRADE
    assert statistics.mean(kincaid) <= 6.0
    assert worst_section[0] <= MAX_GRADE, worst_section  # each section on its own too


def sections(view: PlainLanguage) -> dict[str, list[str]]:
    return {
        "lead": [*view.lead, *view.studies],
        "tested": view.tested,
        "good fit": [*view.good_fit, *view.needs],
        "not a fit": [*view.not_fit, *view.reasons],
        "why and how": [*view.why, *view.join, *view.steps],
    }


def test_machine_words_are_caught() -> None:
    """The check above can fail: the old page's chips and labels are all caught."""
    for chip in ("child_pugh = 1", "liver_metastases_count ≤ 5", "not computable: consent"):
        assert machine_words(chip), chip
    assert not machine_words("Healthy liver function (Child-Pugh A).")
    assert all(machine_words(vid) for vid in VARIABLES if "_" in vid)


def test_status_check_catches_a_made_up_status() -> None:
    study = seed_trials()["NCT06934018"]
    view = view_of(study)
    view.lead = ["The record says the study is looking for people to join.", "It is phase 3."]
    found = states_only_what_the_record_gives(study, view)
    assert any("says RECRUITING" in p for p in found)
    assert any("phase 3" in p for p in found)


def _seed_ids() -> list[str]:
    return sorted(seed_trials()) if Path(SEED_TRIALS).exists() else []


@pytest.mark.parametrize("nct_id", _seed_ids())
def test_seed_trials_read_at_grade_8(nct_id: str) -> None:
    study = seed_trials()[nct_id]
    view = view_of(study)
    text = " ".join(view.all_sentences())
    assert max(grade(text)) <= MAX_GRADE
    assert not machine_words(text)
    assert not states_only_what_the_record_gives(study, view)


def _conditions_study(conditions: list[str], **design: object) -> Study:
    return Study.from_json(
        {
            "protocolSection": {
                "conditionsModule": {"conditions": conditions},
                "designModule": {"studyType": "INTERVENTIONAL", "designInfo": design},
            }
        }
    )


@pytest.mark.parametrize(
    ("conditions", "disease"),
    [
        (["Cluster Headache"], "cluster headache"),
        (["Parkinson Disease"], "Parkinson disease"),
        (["Oncology", "Breast Neoplasms"], "breast tumours"),
        (["COVID-19"], "COVID-19"),
        (["Oncology", "Surgery"], None),  # generic words are no disease
        (["Metastatic Colon Cancer", "Surgery"], "colorectal cancer"),  # the lexicon first
    ],
)
def test_the_disease_comes_from_the_lexicon_or_the_vocabulary(
    conditions: list[str], disease: str | None
) -> None:
    view = plain_language(_conditions_study(conditions), None, today=TODAY)
    assert view.disease == disease


def test_a_prevention_study_is_about_a_disease_not_for_people_who_have_it() -> None:
    view = plain_language(
        _conditions_study(["COVID-19"], primaryPurpose="PREVENTION"), None, today=TODAY
    )
    assert "The study is about COVID-19." in view.studies
    assert not any("you have COVID-19" in s for s in view.good_fit)


def test_seed_003_frontmatter_quotes_only_what_it_must() -> None:
    """Our record of seed 003's trial renders the seed's frontmatter lines as written."""
    seed = (ROOT.parent / "shared" / "seeds" / "003_8c60683f0ed3b3b4.txt").read_text("utf-8")
    ours = render_markdown(
        seed_trials()["NCT06873178"],
        canonical_url="https://parkinsonspathways.com/agent/trials/NCT06873178.md",
        now=datetime(2026, 5, 20, tzinfo=UTC),
    )
    wanted = [line for line in seed.split("---\n")[1].splitlines() if "last_seen_at" not in line]
    got = ours.split("---\n")[1].splitlines()
    assert "overall_status: ACTIVE_NOT_RECRUITING" in got
    assert got == wanted


@pytest.mark.slow
@needs_corpus
def test_cards_and_markdown_state_only_the_records_status_and_phase() -> None:
    for study in corpus_studies():
        card = render_card(study, today=TODAY)
        section = card.split("Status and phase\n", 1)[1].split("\n\n", 1)[0]
        lines = [line.strip() for line in section.splitlines()]
        assert lines[0] == status_word(study.overall_status), study.nct_id
        assert (lines[0] == STATUS_NOT_GIVEN) is (study.overall_status is None), study.nct_id
        phase = phase_words(study)
        if phase:  # the record's phases, or "Phase not given in the record"
            assert lines[1] == phase, study.nct_id
        if not study.phases:
            assert not re.search(r"Phase \d", section), study.nct_id
        front = yaml.safe_load(render_markdown(study).split("---\n")[1])
        assert front.get("overall_status") == (
            str(study.overall_status) if study.overall_status else None
        ), study.nct_id
        assert front.get("phase") == study.phase_label, study.nct_id


@pytest.mark.parametrize(
    ("nct_id", "reason"),
    [
        ("NCT06120127", "Seizures that are not under control."),  # "uncontrolled epilepsy"
        ("NCT05797077", "Cancer that has spread to places other than the liver."),
        ("NCT06873178", "Cancer outside the liver."),
    ],
)
def test_reasons_read_as_the_criteria_mean_them(nct_id: str, reason: str) -> None:
    assert reason in view_of(seed_trials()[nct_id]).reasons


def _study_with(exclusion: str) -> Study:
    record = {
        "protocolSection": {
            "identificationModule": {"nctId": "NCT00000001", "briefTitle": "A breast cancer study"},
            "conditionsModule": {"conditions": ["Breast Cancer"]},
            "eligibilityModule": {
                "eligibilityCriteria": "Inclusion Criteria:\n\n* Breast cancer\n\n"
                f"Exclusion Criteria:\n\n* {exclusion}\n"
            },
        }
    }
    return Study.model_validate(record)


@pytest.mark.parametrize(
    ("exclusion", "reason"),
    [
        # NCT06760637: only a recurrence within 12 months of adjuvant hormone treatment
        (
            "Have received prior (neo)adjuvant endocrine therapy (ET) and had recurrence "
            "during or within 12 months after the last dose of ET.",
            "Having had hormone treatment before, in some cases.",
        ),
        ("Prior adjuvant chemotherapy.", "Having had chemotherapy before, in some cases."),
        (
            "Chemotherapy within 4 weeks prior to the first dose of study drug.",
            "Having had chemotherapy in the last 4 weeks.",
        ),
        ("Prior chemotherapy.", "Having had chemotherapy before."),
    ],
)
def test_an_earlier_treatment_is_no_broader_than_the_criterion(exclusion: str, reason: str) -> None:
    reasons = view_of(_study_with(exclusion)).reasons
    assert reason in reasons
    broad = "Having had chemotherapy before."
    assert reason == broad or broad not in reasons


@pytest.mark.parametrize(
    ("kind", "criterion"),
    [
        (
            "Inclusion",
            "Previously untreated with any systemic anticancer therapy for their locally "
            "advanced or metastatic disease.",
        ),
        ("Exclusion", "Prior chemotherapy for metastatic disease."),
    ],
)
def test_a_disease_named_as_what_a_treatment_was_for_is_no_reason(
    kind: str, criterion: str
) -> None:
    """NCT06760637 said both "you may fit if your cancer has spread" and "cancer that has
    spread may keep you out": the second came from what a treatment was given for."""
    from trialscope.criteria import parse_criteria
    from trialscope.render.plain_eligibility import reasons

    parsed = parse_criteria(f"{kind} Criteria:\n* {criterion}")
    assert not any("spread" in reason for reason in reasons(parsed, ["breast_cancer"]))
