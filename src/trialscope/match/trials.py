"""One patient against one trial: structured eligibility fields, then every criterion.

Sex, age limits and healthy volunteers come from the record's eligibility module (they
are exact there); the criteria text gives the rest, judged item by item. The trial
verdict follows the issue's rule: INELIGIBLE when an inclusion is not met or an
exclusion is met (those items listed first), ELIGIBLE when every computable inclusion
is met and no exclusion is, POSSIBLY_ELIGIBLE while computable unknowns remain.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from trialscope.criteria import Item, ParsedCriteria
from trialscope.criteria.vocabulary import specific_enough
from trialscope.data import load_document
from trialscope.data.schema import RankingConfig
from trialscope.match.cohorts import outside_result, read_cohorts
from trialscope.match.concepts import find_concepts, vocabulary
from trialscope.match.facts import PatientFacts
from trialscope.match.judge import is_requirement_list, judge_item
from trialscope.match.primary import healthy
from trialscope.match.verdicts import (
    Basis,
    CriterionResult,
    Evidence,
    Question,
    TrialVerdict,
    Verdict,
)
from trialscope.record.ages import age_in_years

#: synthetic item indexes for the structured eligibility fields
SCREENED_ITEM, SEX_ITEM, AGE_ITEM, HEALTHY_ITEM = -4, -3, -2, -1


def judge_trial(
    nct_id: str,
    eligibility: dict[str, Any],
    parsed: ParsedCriteria,
    facts: PatientFacts,
    *,
    own: frozenset[str] = frozenset(),
    screened: frozenset[str] = frozenset(),
) -> tuple[TrialVerdict, list[CriterionResult], list[int]]:
    """Verdict, every criterion's result (structured fields first), deciding indexes.
    ``eligibility`` is the record's eligibilityModule; ``own`` the concepts of the
    trial's own conditions (see :func:`own_concepts`), against which "other" is read;
    ``screened`` the diseases a screening trial looks for ("CRC Screening")."""
    results = _structured(eligibility, facts)
    screen = _already_has(screened, facts)
    if screen is not None:
        results.insert(0, screen)
    parents = {item.parent for item in parsed.items if item.parent is not None}
    by_index = {item.index: item for item in parsed.items}
    cohorts = read_cohorts(parsed.items, facts)
    for item in parsed.items:
        if item.index in cohorts.headings:
            shown = cohorts.headings[item.index]
            if shown is not None:
                results.append(shown)
            continue
        if item.index in cohorts.outside:
            results.append(outside_result(item, cohorts.outside[item.index]))
            continue
        if _is_heading(item, parents):
            continue
        if _is_bare_heading(item):
            results.append(_not_a_criterion(item))
            continue
        parent = by_index.get(item.parent) if item.parent is not None else None
        results.append(
            judge_item(
                item,
                facts,
                # no header (old PDQ-style text): every statement must hold, as for inclusions
                kind="inclusion" if item.kind == "unknown" else None,
                requirements=parent is not None and is_requirement_list(parent.text),
                own=own,
            )
        )
    if (
        eligibility.get("healthyVolunteers") is True
        and healthy(facts) is not None
        and any(
            item.kind == "inclusion" and _HEALTHY_COHORT.search(item.text) for item in parsed.items
        )
    ):
        results = [_for_the_patients(r) for r in results]
    deciding = [r.index for r in results if r.decides_against]
    if HEALTHY_ITEM in deciding:  # a healthy person: that is the reason, not each disease
        deciding.remove(HEALTHY_ITEM)
        deciding.insert(0, HEALTHY_ITEM)
    if deciding:
        verdict = TrialVerdict.INELIGIBLE
    elif any(blocks(r) for r in results):
        verdict = TrialVerdict.POSSIBLY_ELIGIBLE
    else:
        verdict = TrialVerdict.ELIGIBLE
    return verdict, results, deciding


#: an inclusion that describes the healthy participants ("Healthy or sub-healthy subject",
#: "healthy controls"): without one the record's flag alone is too often careless
_HEALTHY_COHORT = re.compile(
    r"\bhealthy\b|\bvolunteers?\b|\bcontrol\s+(?:group|subjects?|participants?)\b"
    r"|\b(?:healthy\s+)?controls\b",
    re.I,
)


def _for_the_patients(result: CriterionResult) -> CriterionResult:
    """A trial that takes healthy volunteers, and has criteria for them, asks its disease
    criteria of its patients: a healthy person lacking the disease is not ruled out by them
    ("Type 2 diabetes" beside "Healthy or sub-healthy subject" in NCT05563090)."""
    if result.kind != "inclusion" or result.verdict is not Verdict.NOT_MET:
        return result
    if not result.reason.startswith("the patient is healthy"):
        return result
    reason = "for the trial's patients; it also takes healthy volunteers (" + result.reason + ")"
    return replace(result, verdict=Verdict.NOT_APPLICABLE, reason=reason)


def screened_concepts(names: Iterable[str]) -> frozenset[str]:
    """What a screening trial looks for, from condition entries like "CRC Screening"."""
    return own_concepts(n for n in names if re.search(r"\bscreen", str(n), re.I))


def _already_has(screened: frozenset[str], facts: PatientFacts) -> CriterionResult | None:
    """A screening trial is for people not diagnosed with what it screens for."""
    for concept in sorted(screened):
        found = [f for f in facts.has(concept) if f.condition.status == "active"]
        if found:
            condition = found[0].condition
            return CriterionResult(
                SCREENED_ITEM,
                "inclusion",
                "Screening trial: for people not diagnosed with what it screens for",
                (0, 0),
                Verdict.NOT_MET,
                f"the patient already has {condition.name}",
                Basis.FACT,
                (Evidence(condition.name, condition.source),),
            )
    return None


def own_concepts(names: Iterable[str], mesh_ids: Iterable[str] = ()) -> frozenset[str]:
    """The concepts of a trial's own conditions: its condition list and MeSH terms."""
    concepts: set[str] = set()
    for name in names:
        concepts |= {f.concept for f in find_concepts(str(name))}
    vocab = vocabulary()
    if vocab is not None:
        for mesh in mesh_ids:
            found = vocab.from_mesh_id(str(mesh))
            if found:
                concepts.add(found)
    return frozenset(c for c in concepts if specific_enough(c) and not c.startswith("therapy:"))


def blocks(result: CriterionResult) -> bool:
    """An unknown that stands between the patient and ELIGIBLE: a computable criterion
    whose answer is missing (items with nothing computable are for a human to review)."""
    if result.verdict is not Verdict.UNKNOWN or result.kind == "unknown":
        return False
    if result.evidence:
        return True  # judged in part ("age met; the rest not judged"): not settled
    return any(not q.key.startswith("criterion:") for q in result.questions)


def _is_heading(item: Item, parents: set[int]) -> bool:
    """ "Patients must have all of:" only introduces its children."""
    return item.index in parents and not item.constraints and item.text.rstrip().endswith(":")


_HEADING_WORDS = 4


def _is_bare_heading(item: Item) -> bool:
    """ "Chemotherapy:" with nothing under it (its points were flattened into siblings):
    a label, not a requirement, so it never decides."""
    text = item.text.strip()
    return text.endswith(":") and not item.constraints and len(text[:-1].split()) <= _HEADING_WORDS


def _not_a_criterion(item: Item) -> CriterionResult:
    kind = "inclusion" if item.kind == "unknown" else item.kind
    return CriterionResult(
        item.index, kind, item.text, item.span, Verdict.NOT_APPLICABLE,
        "a heading, not a criterion", Basis.FACT,
    )  # fmt: skip


def _structured(eligibility: dict[str, Any], facts: PatientFacts) -> list[CriterionResult]:
    patient = facts.patient
    out: list[CriterionResult] = []
    sex = str(eligibility.get("sex") or "ALL").upper()
    if sex in ("FEMALE", "MALE"):
        text = f"Sex: {sex.lower()} only"
        if patient.sex is None:
            out.append(_unknown(SEX_ITEM, text, Question("sex", "Sex?", "choice")))
        else:
            ok = patient.sex.upper() == sex
            out.append(
                _known(
                    SEX_ITEM,
                    text,
                    ok,
                    f"patient is {patient.sex}",
                    Evidence(f"sex {patient.sex}", facts.source_of("sex")),
                )
            )
    low = age_in_years(eligibility.get("minimumAge"))
    high = age_in_years(eligibility.get("maximumAge"))
    if low is not None or high is not None:
        shown = (
            f"{eligibility.get('minimumAge') or 'any'} to {eligibility.get('maximumAge') or 'any'}"
        )
        text = f"Age: {shown}"
        age = patient.age_years()
        if age is None:
            out.append(_unknown(AGE_ITEM, text, Question("age", "Age?", "number", "year")))
        else:
            ok = (low is None or age >= low) and (high is None or age <= high)
            out.append(
                _known(
                    AGE_ITEM,
                    text,
                    ok,
                    f"age {age:g} {'within' if ok else 'outside'} {shown}",
                    Evidence(f"age {age:g}", facts.source_of("age")),
                )
            )
    well = healthy(facts)
    if eligibility.get("healthyVolunteers") is False and well is not None:
        out.append(
            _known(
                HEALTHY_ITEM,
                "Accepts healthy volunteers: no",
                False,
                "the trial does not take healthy volunteers",
                Evidence("healthy volunteer", well.source),
            )
        )
    return out


def _known(index: int, text: str, ok: bool, reason: str, evidence: Evidence) -> CriterionResult:
    return CriterionResult(
        index,
        "inclusion",
        text,
        (0, 0),
        Verdict.MET if ok else Verdict.NOT_MET,
        reason,
        Basis.FACT,
        (evidence,),
    )


def _unknown(index: int, text: str, question: Question) -> CriterionResult:
    return CriterionResult(
        index,
        "inclusion",
        text,
        (0, 0),
        Verdict.UNKNOWN,
        "not known",
        Basis.NONE,
        questions=(question,),
    )


def eligibility_score(verdict: TrialVerdict, results: list[CriterionResult]) -> float:
    """0..1: how sure the patient can join. INELIGIBLE is 0; otherwise the share of
    judged criteria settled in the patient's favour, known facts counting more than
    assumptions from absence (the counts: ``eligibility`` in ``data/ranking.yaml``)."""
    if verdict is TrialVerdict.INELIGIBLE:
        return 0.0
    counts = load_document(RankingConfig).eligibility
    judged = [r for r in results if r.kind in ("inclusion", "exclusion")]
    if not judged:
        return counts.no_criteria
    weight = 0.0
    for r in judged:
        if r.verdict in (Verdict.MET, Verdict.NOT_MET, Verdict.NOT_APPLICABLE):
            weight += counts.settled_by_fact if r.basis is Basis.FACT else counts.settled_by_absence
        elif not blocks(r):
            weight += counts.needs_reading  # needs a human read, not a missing fact
    share = weight / len(judged)
    if verdict is TrialVerdict.ELIGIBLE:
        return share
    return counts.possibly_floor + counts.possibly_span * share
