"""A trial's blank results for both sexes judged once where sex is not read
(``match.blank_share``): the stored views are byte for byte the ones judged profile by
profile, over the corpus's open trials, with fewer judgements; an item about women is
still judged for each sex."""

from __future__ import annotations

import gzip
from typing import Any

import orjson
import pytest

from tests.conftest import CTGOV, needs_corpus
from trialscope.criteria.parser import parse_criteria
from trialscope.match import bulk
from trialscope.match.blank_share import fill_blanks
from trialscope.match.verdicts import Verdict
from trialscope.match.views import OPEN_STATUSES, PROFILES, build_view, encode_view

SOURCE = CTGOV / "v2" / "DhanasaiBontu__clinical_trial_matchers.jsonl.gz"


def _open_trials(limit: int) -> list[dict[str, Any]]:
    found = []
    with gzip.open(SOURCE, "rb") as lines:
        for line in lines:
            study = orjson.loads(line)
            section = study.get("protocolSection", {})
            status = section.get("statusModule", {}).get("overallStatus")
            if status in OPEN_STATUSES and section.get("eligibilityModule", {}).get(
                "eligibilityCriteria"
            ):
                found.append(study)
                if len(found) == limit:
                    break
    return found


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls = [0]
    real = bulk.judge_item

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(bulk, "judge_item", counted)
    return calls


@needs_corpus
def test_the_views_are_the_ones_judged_profile_by_profile(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = _counting(monkeypatch)
    studies = _open_trials(150)
    assert len(studies) >= 50
    each = shared = 0
    for study in studies:
        nct = study["protocolSection"]["identificationModule"]["nctId"]
        text = study["protocolSection"]["eligibilityModule"]["eligibilityCriteria"]
        parsed = parse_criteria(text)
        alone = build_view(nct, study, parsed)
        assert alone.compiled is not None
        before = calls[0]
        for profile in PROFILES:
            bulk.fill_blank(alone.compiled, parsed, alone.concepts, profile)
        each += calls[0] - before
        together = build_view(nct, study, parsed)
        assert together.compiled is not None
        before = calls[0]
        fill_blanks(together.compiled, parsed, together.concepts, PROFILES)
        shared += calls[0] - before
        assert encode_view(together) == encode_view(alone), nct
    # a man's blank results are nearly all a woman's
    assert shared < each * 0.6


def test_an_item_about_women_is_judged_for_each_sex() -> None:
    text = (
        "Inclusion Criteria:\n* Age >= 18 years\n"
        "Exclusion Criteria:\n* Pregnant or breastfeeding women\n* HIV infection"
    )
    parsed = parse_criteria(text)
    study = {"protocolSection": {"conditionsModule": {"conditions": ["Asthma"]}}}
    view = build_view("NCT00000001", study, parsed)
    assert view.compiled is not None
    fill_blanks(view.compiled, parsed, view.concepts, PROFILES)
    pregnant = next(i.index for i in parsed.items if "Pregnant" in i.text)
    hiv = next(i.index for i in parsed.items if "HIV" in i.text)

    def result(profile: bulk.Profile, index: int) -> Any:
        assert view.compiled is not None
        return next(r for r in view.compiled.blank[profile] if r.index == index)

    woman, man = result(("female", True), pregnant), result(("male", True), pregnant)
    assert man.verdict is Verdict.NOT_APPLICABLE and woman.verdict is not Verdict.NOT_APPLICABLE
    # judged once: the man's result is the woman's
    assert result(("male", True), hiv) is result(("female", True), hiv)
