"""One patient against one trial: structured eligibility fields, then every criterion.

Sex, age limits and healthy volunteers come from the record's eligibility module (they
are exact there); the criteria text gives the rest, judged item by item. The trial
verdict follows the issue's rule: INELIGIBLE when an inclusion is not met or an
exclusion is met (those items listed first), ELIGIBLE when every computable inclusion
is met and no exclusion is, POSSIBLY_ELIGIBLE while computable unknowns remain.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from trialscope.criteria import Item, ParsedCriteria
from trialscope.criteria.vocabulary import specific_enough
from trialscope.data import load_document
from trialscope.data.schema import RankingConfig
from trialscope.match import alternatives, cohort_sections
from trialscope.match.cohorts import may_have_cohorts, outside_result, read_cohorts
from trialscope.match.concepts import find_concepts, vocabulary
from trialscope.match.facts import PatientFacts
from trialscope.match.headings import (
    definition_list,
    exception_list,
    keeps_closed_world,
    point_under,
    with_heading_window,
)
from trialscope.match.judge import ANSWERED, judge_item
from trialscope.match.population import Member, excludes_everyone, population
from trialscope.match.primary import healthy
from trialscope.match.reading import is_requirement_list
from trialscope.match.verdicts import (
    Basis,
    CriterionResult,
    Evidence,
    Question,
    TrialVerdict,
    Verdict,
)
from trialscope.match.wording import slug
from trialscope.record.ages import age_in_years

#: synthetic item indexes for the structured eligibility fields
NO_CRITERIA_ITEM, SCREENED_ITEM, SEX_ITEM, AGE_ITEM, HEALTHY_ITEM = -5, -4, -3, -2, -1


#: judges one item: ``judge_item``'s signature (the fast path passes a caching one)
ItemJudge = Callable[..., CriterionResult]


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
    results = record_fields(eligibility, screened, facts)
    results += judge_items(parsed, facts, own)
    return decide(results, eligibility, parsed, facts)


def record_fields(
    eligibility: dict[str, Any], screened: frozenset[str], facts: PatientFacts
) -> list[CriterionResult]:
    """The results from the record's structured fields (sex, age, healthy volunteers,
    what a screening trial screens for), before the criteria text's."""
    results = _structured(eligibility, facts)
    screen = _already_has(screened, facts)
    if screen is not None:
        results.insert(0, screen)
    return results


#: what judging does with one item, whoever the patient: judge it with judge_item's
#: ``kind`` and ``requirements``, show a fixed result (a bare heading), or skip it (a
#: heading that only introduces its children); ``unless``: what may still let in a
#: patient the item rules out ("unless one of the exceptions listed under it applies"):
#: (kind, requirements, fixed result, skip, unless)
Step = tuple[str | None, bool, CriterionResult | None, bool, str | None]


@dataclass(frozen=True, slots=True)
class ItemPlan:
    """How the items of one parse are judged, worked out once (the fast path keeps it)."""

    steps: tuple[tuple[Item, Step], ...]
    #: some items may be cohort headings (see ``cohorts``)
    cohorts: bool
    #: what the inclusions ask every patient to have (see ``population``)
    members: tuple[Member, ...] = ()
    #: the alternative lists ("one or more of the following:"), see ``alternatives``
    groups: alternatives.Groups | None = None
    #: the inclusions written one population at a time, see ``cohort_sections``
    sections: cohort_sections.Sections | None = None


def item_plan(parsed: ParsedCriteria) -> ItemPlan:
    points = Counter(item.parent for item in parsed.items if item.parent is not None)
    parents = set(points)
    by_index = {item.index: item for item in parsed.items}
    steps: list[tuple[Item, Step]] = []
    for item in parsed.items:
        parent = by_index.get(item.parent) if item.parent is not None else None
        relation = point_under(parent, item) if parent is not None else None
        # "History of another primary malignancy except for:": a rule-out is a question
        # while one of the exceptions under it may apply
        unless = _UNLESS_EXCEPTION if item.index in parents and exception_list(item.text) else None
        if relation == "exception" and parent is not None:
            steps.append((item, (None, False, _an_exception(item, parent), False, None)))
        elif parent is not None and definition_list(parent.text):
            steps.append((item, (None, False, _a_definition(item, parent), False, None)))
        elif _is_heading(item, points[item.index]) and unless is None:
            steps.append((item, (None, False, None, True, None)))
        elif _is_bare_heading(item) and unless is None:
            steps.append((item, (None, False, _not_a_criterion(item), False, None)))
        else:
            # no header (old PDQ-style text): every statement must hold, as for inclusions
            kind = "inclusion" if item.kind == "unknown" else None
            if relation == "negated":
                kind = "exclusion"  # "No cardiac disease, including any of the following:"
            requirements = parent is not None and is_requirement_list(parent.text)
            if (
                parent is not None
                and (kind or item.kind) != "exclusion"
                and alternatives.needed(parent.text) is not None
                and keeps_closed_world(parent)
            ):
                # a way in under "Diagnosis of one of the following:" is judged as a
                # top-level item: the closed world on a known diagnosis decides "Chronic
                # myelogenous leukemia" for a patient with myeloma, and the alternatives
                # keep one failed way in from deciding alone
                item = replace(item, parent=None)
            if (
                (kind or item.kind) == "exclusion"
                and parent is not None
                and _is_heading(parent, points[parent.index])
            ):
                # "Any of the following within 6 months before the first dose:"
                item = with_heading_window(parent, item)
            steps.append((item, (kind, requirements, None, False, unless)))
    return ItemPlan(
        tuple(steps),
        may_have_cohorts(parsed.items),
        population(parsed),
        alternatives.groups_of(parsed),
        cohort_sections.sections_of(parsed),
    )


def record_fields_key(eligibility: dict[str, Any], screened: frozenset[str]) -> tuple[Any, ...]:
    """Everything :func:`record_fields` reads of a trial: trials with the same key get the
    same results for one patient (the fast path judges each key once per patient)."""
    return (
        eligibility.get("sex"),
        eligibility.get("minimumAge"),
        eligibility.get("maximumAge"),
        eligibility.get("healthyVolunteers"),
        screened,
    )


def judge_items(
    parsed: ParsedCriteria,
    facts: PatientFacts,
    own: frozenset[str] = frozenset(),
    judge: ItemJudge = judge_item,
    plan: ItemPlan | None = None,
) -> list[CriterionResult]:
    """Every item of the criteria text judged, cohorts and headings read (``judge``
    judges one item; cohort headings are always judged by ``judge_item``)."""
    plan = plan or item_plan(parsed)
    cohorts = read_cohorts(parsed.items, facts) if plan.cohorts else None
    results: list[CriterionResult] = []
    for item, step in plan.steps:
        if cohorts is not None:
            if item.index in cohorts.headings:
                shown = cohorts.headings[item.index]
                if shown is not None:
                    results.append(shown)
                continue
            if item.index in cohorts.outside:
                results.append(outside_result(item, cohorts.outside[item.index]))
                continue
        kind, requirements, fixed, skip, unless = step
        if fixed is not None:
            results.append(fixed)
        elif not skip:
            result = judge(item, facts, kind=kind, requirements=requirements, own=own)
            if unless is not None:
                result = unless_excepted(result, unless)
            results.append(excludes_everyone(result, item, facts, plan.members, own))
    return results


def decide(
    results: list[CriterionResult],
    eligibility: dict[str, Any],
    parsed: ParsedCriteria,
    facts: PatientFacts,
    plan: ItemPlan | None = None,
) -> tuple[TrialVerdict, list[CriterionResult], list[int]]:
    """The trial verdict from every result (record fields first, then items), and the
    indexes that decide against; what reads the results of the whole trial goes here
    (``plan``: ``parsed``'s, if the caller keeps it)."""
    groups = plan.groups if plan is not None else None
    results = alternatives.combine(results, parsed, groups)  # "one or more of the following:"
    sections = plan.sections if plan is not None else None
    if sections is None:
        sections = cohort_sections.sections_of(parsed)
    results = cohort_sections.combine(results, sections)  # "Normal Volunteers:", "Patients:"
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
    if not parsed.items:
        results = [*results, _no_criteria()]
    if deciding:
        verdict = TrialVerdict.INELIGIBLE
    elif not parsed.items or any(blocks(r) or _unread_inclusion(r) for r in results):
        verdict = TrialVerdict.POSSIBLY_ELIGIBLE
    else:
        verdict = TrialVerdict.ELIGIBLE
    return verdict, results, deciding


def _unread_inclusion(result: CriterionResult) -> bool:
    """An inclusion no rule reads ("African American", "Mild, Moderate and Severe
    Acanthosis"): the patient may well not fit it, so the trial is not called eligible
    until a person has read it (an unread exclusion is said, and does not hold it back)."""
    return result.kind == "inclusion" and result.verdict is Verdict.UNKNOWN


def _no_criteria() -> CriterionResult:
    """A record without criteria text: age and sex fitting says little, so never ELIGIBLE
    ("eligible" with nothing checked would be the tool's word against the study team's)."""
    return CriterionResult(
        NO_CRITERIA_ITEM,
        "inclusion",
        "Eligibility criteria",
        (0, 0),
        Verdict.UNKNOWN,
        "the record gives no eligibility criteria text; ask the study team who can join",
        Basis.NONE,
    )


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
        parts = [p.strip() for p in str(name).split(",") if p.strip()]
        if len(parts) > 1:
            # MeSH's inverted headings ("Neoplasms, Breast", "Leukemia, Myeloid, Acute") name
            # the disease in the usual order read backwards
            concepts |= {f.concept for f in find_concepts(" ".join(reversed(parts)))}
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


def _is_heading(item: Item, points: int) -> bool:
    """ "Patients must have all of:" only introduces its children; so does a category's
    name over its points ("Metabolic Disease" over "Diagnosis of Type 1 diabetes", "Thyroid
    disorder", ...: in a type 2 diabetes trial the name alone would exclude everyone)."""
    if not points or item.constraints:
        return False  # no points under it, or a bound of its own
    text = item.text.rstrip()
    return text.endswith(":") or (
        # a category over one point, or a sentence, is more often a flattened list's own
        # point ("Oral chromium" over "Pregnancy & Breast Feeding", "Renal insufficiency.")
        item.kind == "exclusion"
        and points >= 2
        and not text.endswith(".")
        and len(text.split()) <= _HEADING_WORDS
        and not any(ch.isdigit() for ch in text)
        and not _STATEMENT_START.match(text)
        and not exception_list(text)
    )


# a short point that says something itself ("History of malignancy", "No prior therapy")
_STATEMENT_START = re.compile(
    r"\s*(?:no|not|any|history|prior|previous|known|current|active|uncontrolled|severe"
    r"|patients?|subjects?|participants?|women|men|pregnan\w*|use|treatment|receiv\w*)\b",
    re.I,
)


_HEADING_WORDS = 4


# "GROUP 2 (PATIENTS AGED =< 65)", "Cohort B: age 18-40": which group the items after it
# are for, filed under the exclusion heading
_GROUP_LABEL = re.compile(
    r"\s*(?:groups?|cohorts?|arms?|parts?|strat(?:um|a))\s*[\w.-]{0,4}\s*[:(\-]\s*"
    r"\(?\s*(?:patients?|subjects?|participants?)?\s*"
    r"(?:[^a-z]|\b(?:aged?|and|to|or|years?|yrs?|old|of|older|younger|over|under|above"
    r"|below|between|than)\b)*$",
    re.I,
)


def _is_bare_heading(item: Item) -> bool:
    """ "Chemotherapy:" with nothing under it (its points were flattened into siblings),
    or an age group's label under the exclusions: a label, not a requirement, so it never
    decides."""
    text = item.text.strip()
    ages_only = bool(item.constraints) and all(c.variable == "age" for c in item.constraints)
    if item.kind == "exclusion" and ages_only and not item.mentions and _GROUP_LABEL.match(text):
        return True
    return text.endswith(":") and not item.constraints and len(text[:-1].split()) <= _HEADING_WORDS


_UNLESS_EXCEPTION = "unless one of the exceptions listed under it applies"


def unless_excepted(result: CriterionResult, unless: str) -> CriterionResult:
    """A rule-out that ``unless`` may lift is a question, not an answer; an open
    question says what else to ask. An answer to that question settles it."""
    if result.reason == ANSWERED or not (
        result.decides_against or result.verdict is Verdict.UNKNOWN
    ):
        return result
    key = f"criterion:{slug(result.text)}"
    asked = Question(key, f"{_quoted(result.text, 120)}? (is it one of the exceptions?)")
    questions = result.questions
    if all(q.key != key for q in questions):
        questions = (*questions, asked)
    return replace(
        result,
        verdict=Verdict.UNKNOWN,
        basis=Basis.NONE,
        reason=f"{result.reason}; {unless}",
        questions=questions,
    )


def _an_exception(item: Item, heading: Item) -> CriterionResult:
    return _asks_nothing(item, f'an exception to "{_quoted(heading.text)}": allowed, asks nothing')


def _a_definition(item: Item, heading: Item) -> CriterionResult:
    reason = f'part of a definition ("{_quoted(heading.text)}"): asks nothing on its own'
    return _asks_nothing(item, reason)


def _asks_nothing(item: Item, reason: str) -> CriterionResult:
    kind = "inclusion" if item.kind == "unknown" else item.kind
    return CriterionResult(
        item.index, kind, item.text, item.span, Verdict.NOT_APPLICABLE, reason, Basis.FACT
    )


def _quoted(text: str, most: int = 80) -> str:
    """A heading or criterion on one line, cut with an ellipsis past ``most`` characters."""
    text = " ".join(text.split()).rstrip(".;: ")
    return text if len(text) <= most else text[: most - 3].rstrip() + "…"


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
