"""One patient against many trials, fast, with exactly the full judge's results.

Most criteria of most trials say nothing about a given patient: for a record that names
neither HIV nor anything above it, "HIV infection" is judged as it would be for a person
with no record at all of the same sex and completeness of history ("HIV: not known", or
"not in the patient's history"). So each trial version is compiled once into the keys of
the patient facts each of its items may read -- the concepts it names and those above
them, therapy classes, lab and score variables, pregnancy, consent -- and keeps its items'
results for a *blank* patient: a synthetic one with only a sex and a history flag. A
patient is turned into the keys their record answers; an item whose keys miss them all
gets the blank result, the others are judged by ``judge_item`` as always, and the
verdict, deciding items and score come from the same functions as ``judge_trial``'s.
The blank results are judged for synthetic patients only: nothing about a real patient
is ever kept.

What an item may read of the patient (judge.py, named.py and its readers, bounds.py), as keys:

- a condition named (any mention category but therapy, pregnancy and sex): ``has:`` the
  concept (``facts.has``), ``own:`` the diseases it is a kind of (``kinds_above``, against
  the patient's own concepts without their ancestors: an AML patient is asked about
  APL), ``out:`` it and everything above it (``facts.ruled_out``), and
  ``cond:*`` (a healthy person has none) and ``primary`` when it is a cancer with a site
  or a histologic type that the closed world on a known primary may rule out (a top-level
  item that is not an exclusion, about the present: ``conditions.closed_world``); "other
  malignancy" reads
  "malignancy" too;
- a stage named: ``stage`` (the patient's stage, or metastases, on record);
- a therapy named: ``therapy:`` its class (taken or ruled out), ``therapy:*`` (takes no
  medications); pregnancy, breastfeeding, contraception: ``pregnancy``;
- a bound: ``var:`` its variable (labs, age, scores with the Karnofsky/ECOG crosswalk,
  counts from lesions and lines of therapy, BMI from weight and height);
- a tumour biomarker named: ``biomarker`` (the patient's biomarkers);
- a care setting named ("hospitalized patients", "outpatients"): ``care_setting``;
- a vaccine named by its target ("COVID-19 vaccine"): ``vaccination``;
- invasive ventilation now ("Subjects on a mechanical ventilator"): ``ventilation``;
- an item needing judgement (consent, compliance, ...): ``consent``;
- a healthy-volunteer point ("Healthy volunteers aged 18-45"): ``ill`` (a disease on record);
- a mention of any other category: ``*``, which every patient has (judged in full).

Sex and a complete history are read by everything: they choose the blank patient. A
patient with answers (to criteria, to biomarkers) is judged in full. A rule that reads
something new of the patient must add its key here: ``tests/test_match_bulk.py``
compares both paths over real trials and patients, result by result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache
from typing import Any

from trialscope.criteria import VARIABLES, Item, ParsedCriteria
from trialscope.match.concepts import ancestors
from trialscope.match.conditions import kinds_above
from trialscope.match.facts import PatientFacts
from trialscope.match.judge import asks_for_volunteers, ill_evidence, judge_item
from trialscope.match.lesions import tally
from trialscope.match.patient import Patient
from trialscope.match.population import Member, about_own, excludes_everyone
from trialscope.match.primary import (
    healthy,
    histologic_types,
    known_primaries,
    primary_sites,
    typed_cancers,
)
from trialscope.match.reading import Reading, read_item
from trialscope.match.trials import (
    ItemJudge,
    ItemPlan,
    decide,
    item_plan,
    judge_items,
    record_fields,
    record_fields_key,
    unless_excepted,
)
from trialscope.match.verdicts import CriterionResult, TrialVerdict, Verdict

#: (sex, complete history): what every item may read, and so the blank patient
Profile = tuple[str | None, bool]
_PREGNANCY = ("pregnancy", "breastfeeding", "contraception")
#: mention categories judged as conditions; any category not known here reads "*",
#: which every patient has: a new kind of mention is judged in full until keyed here
_CONDITIONS = ("condition",)
_SCALES = ("ecog", "who_ps", "karnofsky", "lansky")
_COUNTS = tuple(v.id for v in VARIABLES.values() if v.kind == "count")
_NO_KEYS: frozenset[str] = frozenset()


@dataclass(slots=True)
class CompiledTrial:
    """What one trial version's items may read of a patient, and their blank results."""

    plan: ItemPlan
    #: item index -> the keys that item may read
    keys: dict[int, frozenset[str]]
    #: every item's keys together
    every: frozenset[str]
    #: (profile, item index, kind, requirements) -> the blank patient's result
    blank_items: dict[tuple[Profile, int, str | None, bool], CriterionResult] = field(
        default_factory=dict
    )
    #: profile -> every item's result for the blank patient (judge_items' list)
    blank: dict[Profile, list[CriterionResult]] = field(default_factory=dict)
    #: item index -> its content wherever it sits (see :func:`content`), as a memo key
    contents: dict[int, Content] = field(default_factory=dict)
    #: item index -> what it says whoever the patient is (``reading.read_item``), kept here
    #: rather than in a bounded cache that a registry's items would overflow
    readings: dict[int, Reading] = field(default_factory=dict)
    #: profile -> puts that profile's stored blank results into ``blank`` and
    #: ``blank_items`` (``match.views``): unpacked on first use, most go unused
    stored: dict[Profile, Callable[[CompiledTrial], None]] = field(default_factory=dict)
    #: puts the stored readings into ``readings`` (``match.views``), on first use
    stored_readings: Callable[[CompiledTrial], None] | None = None
    #: the judged steps of ``plan`` (see :func:`judged_steps`)
    judged: tuple[JudgedStep, ...] | None = None
    #: the members of the trial's population that are about its own conditions (what
    #: ``excludes_everyone`` compares with; the others it skips whoever the patient is)
    members: tuple[Member, ...] | None = None


#: (position in judge_items' list, item, kind, requirements, the keys the item may read,
#: what may lift its rule-out: see ``trials.Step``)
JudgedStep = tuple[int, Item, str | None, bool, frozenset[str], str | None]


def judged_steps(compiled: CompiledTrial) -> tuple[JudgedStep, ...]:
    """``compiled.judged``, worked out on first use: ``judge_items`` puts one result per
    step that is neither skipped nor fixed, in the plan's order (without cohorts)."""
    found = compiled.judged
    if found is None:
        out: list[JudgedStep] = []
        position = 0
        for item, (kind, requirements, fixed, skip, unless) in compiled.plan.steps:
            if skip:
                continue
            if fixed is None:
                keys = compiled.keys.get(item.index, _NO_KEYS)
                out.append((position, item, kind, requirements, keys, unless))
            position += 1
        found = compiled.judged = tuple(out)
    return found


def own_members(compiled: CompiledTrial, own: frozenset[str]) -> tuple[Member, ...]:
    """``compiled.members``, worked out on first use (``own``: the trial's conditions)."""
    found = compiled.members
    if found is None:
        found = compiled.members = tuple(m for m in compiled.plan.members if about_own(m[1], own))
    return found


def reading_of(compiled: CompiledTrial, item: Item) -> Reading:
    """The item's reading, kept in ``compiled``: stored, else worked out now."""
    unpack = compiled.stored_readings
    if unpack is not None:
        compiled.stored_readings = None
        unpack(compiled)
        found = compiled.readings.get(item.index)
        if found is not None:
            return found
    reading = compiled.readings[item.index] = read_item(item)
    return reading


@dataclass(frozen=True, slots=True)
class PatientKeys:
    """What a patient's record answers, as keys, and their profile."""

    keys: frozenset[str]
    profile: Profile


def compile_trial(
    parsed: ParsedCriteria, keys: dict[int, frozenset[str]] | None = None
) -> CompiledTrial:
    """``keys``: each item's keys as stored (``match.views``), else worked out here."""
    plan = item_plan(parsed)
    if keys is None:
        # the items as the plan judges them (a point under a heading of ways in is judged
        # as a top-level item, so the closed world reads the patient's primary for it)
        keys = {item.index: _item_keys(item) for item, _ in plan.steps}
    return CompiledTrial(plan, keys, frozenset().union(*keys.values()))


def _item_keys(item: Item) -> frozenset[str]:
    out: set[str] = set()
    for mention in item.mentions:
        if mention.category in _PREGNANCY:
            out.add("pregnancy")
        elif mention.category == "prior_therapy":
            out |= _therapy_keys(mention.concept)
        elif mention.category == "biomarker":
            out.add("biomarker")
        elif mention.category in _CONDITIONS:
            closed = item.kind != "exclusion" and item.parent is None and not mention.historical
            out |= _condition_keys(mention.concept, closed)
        elif mention.category == "stage":
            out.add("stage")
        elif mention.category in ("care_setting", "vaccination", "ventilation"):
            out.add(mention.category)
        elif mention.category != "sex":
            out.add("*")
    for constraint in item.constraints:
        out.add(f"var:{constraint.variable}")
    if item.non_computable_reason:
        out.add("consent")
    if item.kind != "exclusion" and asks_for_volunteers(item):
        out.add("ill")
    return frozenset(out)


def content(item: Item) -> tuple[Any, ...]:
    """Everything judging reads of an item but its index and where it starts: spans
    relative to the item's own. Items with the same content get the same result for one
    patient but for the index and span (registry boilerplate repeats across trials)."""
    base = item.span[0]
    return (
        item.text,
        item.kind,
        item.parent is None,
        item.computable,
        item.non_computable_reason,
        tuple(
            (c.variable, c.operator, c.low, c.high, c.unit, c.raw_value, c.raw_unit,
             c.span[0] - base, c.span[1] - base, c.text, c.joiner, c.condition)
            for c in item.constraints
        ),
        tuple(
            (m.category, m.concept, m.text, m.span[0] - base, m.span[1] - base, m.negated,
             m.historical, m.hypothetical, m.family)
            for m in item.mentions
        ),
        tuple(
            (w.relation, w.amount, w.unit, w.days, w.span[0] - base, w.span[1] - base, w.text,
             w.anchor)
            for w in item.windows
        ),
    )  # fmt: skip


class Content:
    """An item's :func:`content` as a memo key: hashed once (the tuple is long and nested,
    and looked up for every patient), with whether the item names a condition (then the
    trial's own conditions are part of what its result depends on)."""

    __slots__ = ("hash", "names_condition", "value")

    def __init__(self, item: Item) -> None:
        self.value = content(item)
        self.hash = hash(self.value)
        self.names_condition = _names_condition(item)

    def __hash__(self) -> int:
        return self.hash

    def __eq__(self, other: object) -> bool:
        return self is other or (
            isinstance(other, Content) and self.hash == other.hash and self.value == other.value
        )


def _names_condition(item: Item) -> bool:
    """The item names a condition: the trial's own conditions may change its result."""
    return any(m.category not in _NOT_CONDITIONS for m in item.mentions)


_NOT_CONDITIONS = frozenset(
    (*_PREGNANCY, "prior_therapy", "sex", "biomarker", "care_setting", "vaccination", "ventilation")
)


@cache
def _therapy_keys(concept: str) -> frozenset[str]:
    return frozenset((f"therapy:{concept}", "therapy:*"))


@cache
def _condition_keys(concept: str, closed: bool) -> frozenset[str]:
    concept = concept if ":" in concept else f"lex:{concept}"
    read = [concept]
    if concept == "lex:other_malignancy":
        read.append("lex:malignancy")  # "other" is read against the trial's own conditions
    out = {"cond:*"}
    for name in read:
        out.add(f"has:{name}")
        out |= {f"out:{up}" for up in ancestors(name)}
        if name.startswith(("MESH:", "DOID:")):
            # a patient with a disease it is a kind of is asked (conditions.kinds_above)
            out |= {f"own:{up}" for up in kinds_above(name)}
        if closed and (primary_sites(name) or histologic_types(name)):
            out.add("primary")
    return frozenset(out)


def patient_keys(facts: PatientFacts) -> PatientKeys | None:
    """The keys ``facts`` answers; None when answers to criteria need the full judge."""
    patient = facts.patient
    if patient.answers:  # answers to criteria and biomarkers
        return None
    keys = {f"has:{c}" for c in facts.present} | {f"out:{c}" for c in facts.absent}
    keys |= {f"own:{c}" for c in facts.own_concepts()}
    keys |= {"*", "biomarker"} if patient.biomarkers else {"*"}
    keys |= {f"therapy:{c}" for c in (*facts.therapy_classes, *facts.therapy_absent)}
    if facts.no_medications is not None:
        keys.add("therapy:*")
    if healthy(facts) is not None:
        keys.add("cond:*")
    if ill_evidence(facts) is not None:
        keys.add("ill")
    if known_primaries(facts) or typed_cancers(facts):
        keys.add("primary")
    if facts.has("lex:distant_metastases") or any(
        c.status != "absent" and (c.stage or c.metastasis_sites) for c in patient.conditions
    ):
        keys.add("stage")  # see stage.patient_stage
    if (
        patient.pregnant is not None
        or patient.breastfeeding is not None
        or any(c.startswith("pregnancy") for c in (*facts.present, *facts.absent))
        or "hormonal_contraceptive" in facts.therapy_classes  # answers "contraception"
    ):
        keys.add("pregnancy")
    if patient.will_consent is not None:
        keys.add("consent")
    if patient.care_setting is not None:
        keys.add("care_setting")
    if patient.vaccinations:
        keys.add("vaccination")
    if patient.mechanically_ventilated is not None:
        keys.add("ventilation")
    if patient.age_years() is not None:
        keys.add("var:age")
    keys |= {f"var:{lab.test}" for lab in patient.labs}
    if patient.lab("weight") is not None and patient.lab("height") is not None:
        keys.add("var:bmi")
    if patient.performance:
        keys |= {f"var:{scale}" for scale in _SCALES}
    if (
        any(tally(patient, count).conditions for count in _COUNTS if count != "prior_lines")
        or any(t.line is not None for t in patient.therapies)
        # "Prior chemotherapy: no" is 0 prior lines; a systemic therapy given, 1 at least
        or any(
            facts.therapy_absent.get(c) or facts.therapy_classes.get(c)
            for c in ("chemotherapy", "systemic_therapy")
        )
    ):
        # a count, or a counted site without a number (never assumed zero)
        keys |= {f"var:{count}" for count in _COUNTS}
    return PatientKeys(frozenset(keys), (patient.sex, patient.complete_history))


@lru_cache(maxsize=16)
def blank_facts(profile: Profile) -> PatientFacts:
    """The synthetic patient with nothing on record but ``profile``."""
    sex, complete = profile
    return PatientFacts.of(Patient(sex=sex, complete_history=complete))


def fill_blank(
    compiled: CompiledTrial, parsed: ParsedCriteria, own: frozenset[str], profile: Profile
) -> list[CriterionResult]:
    """Every item's result for the blank patient of ``profile``, kept in ``compiled``."""
    items = compiled.blank.get(profile)
    if items is None:
        blank = blank_facts(profile)
        judge = BulkJudge(blank)._judge(compiled, blank, profile, _NO_KEYS)
        items = compiled.blank[profile] = judge_items(parsed, blank, own, judge, compiled.plan)
    return items


class BulkJudge:
    """One patient, judged against many compiled trials: ``judge_trial``'s answers."""

    def __init__(self, facts: PatientFacts) -> None:
        self.facts = facts
        self.keys = patient_keys(facts)
        self.blank = blank_facts(self.keys.profile) if self.keys is not None else None
        #: record_fields' results by what they read: many trials share "18 Years", "ALL"
        self._fields: dict[tuple[Any, ...], list[CriterionResult]] = {}
        #: this patient's results by item content (kept for this patient only)
        self._seen: dict[tuple[Any, ...], CriterionResult] = {}

    def judge(
        self,
        compiled: CompiledTrial,
        eligibility: dict[str, Any],
        parsed: ParsedCriteria,
        *,
        own: frozenset[str] = frozenset(),
        screened: frozenset[str] = frozenset(),
    ) -> tuple[TrialVerdict, list[CriterionResult], list[int]]:
        facts = self.facts
        key = record_fields_key(eligibility, screened)
        fields = self._fields.get(key)
        if fields is None:
            fields = self._fields[key] = record_fields(eligibility, screened, facts)
        results = list(fields)
        keys, blank = self.keys, self.blank
        if keys is None or blank is None:
            results += judge_items(parsed, facts, own, plan=compiled.plan)
            return decide(results, eligibility, parsed, facts, compiled.plan)
        profile, known = keys.profile, keys.keys
        if compiled.stored:
            unpack = compiled.stored.pop(profile, None)
            if unpack is not None:
                unpack(compiled)
        if compiled.every.isdisjoint(known):
            results += fill_blank(compiled, parsed, own, profile)
        elif compiled.plan.cohorts:
            # cohort headings are read against the patient: item by item
            judge = self._judge(compiled, blank, profile, known)
            results += judge_items(parsed, facts, own, judge, compiled.plan)
        else:
            results += self._splice(compiled, parsed, own, profile, known)
        return decide(results, eligibility, parsed, facts, compiled.plan)

    def _splice(
        self,
        compiled: CompiledTrial,
        parsed: ParsedCriteria,
        own: frozenset[str],
        profile: Profile,
        known: frozenset[str],
    ) -> list[CriterionResult]:
        """``judge_items``' list for a trial without cohorts: the blank patient's list,
        with the items the patient's keys touch judged for the patient. An untouched
        item's result is the blank one, and ``excludes_everyone`` changes only a met
        exclusion: those are read again with the patient's facts, as judge_items does."""
        base = fill_blank(compiled, parsed, own, profile)
        out = list(base)
        facts, members = self.facts, own_members(compiled, own)
        for position, item, kind, requirements, keys, unless in judged_steps(compiled):
            if keys.isdisjoint(known):
                if members:
                    result = base[position]
                    if result.verdict is Verdict.MET and result.kind == "exclusion":
                        out[position] = excludes_everyone(result, item, facts, members, own)
                continue
            result = self._touched(compiled, item, kind, requirements, own)
            if unless is not None:
                result = unless_excepted(result, unless)
            if members and result.verdict is Verdict.MET and result.kind == "exclusion":
                result = excludes_everyone(result, item, facts, members, own)
            out[position] = result
        return out

    def _touched(
        self,
        compiled: CompiledTrial,
        item: Item,
        kind: str | None,
        requirements: bool,
        own: frozenset[str],
    ) -> CriterionResult:
        """An item the patient's keys touch, judged in full (once per content)."""
        found = compiled.contents.get(item.index)
        if found is None:
            found = compiled.contents[item.index] = Content(item)
        memo = (found, kind, requirements, own if found.names_condition else None)
        result = self._seen.get(memo)
        if result is None:
            reading = compiled.readings.get(item.index) or reading_of(compiled, item)
            result = self._seen[memo] = judge_item(
                item, self.facts, kind, requirements=requirements, own=own, reading=reading
            )
        elif result.index != item.index or result.span != item.span:
            result = replace(result, index=item.index, span=item.span)
        return result

    def _judge(
        self, compiled: CompiledTrial, blank: PatientFacts, profile: Profile, known: frozenset[str]
    ) -> ItemJudge:
        item_keys, cached, readings = compiled.keys, compiled.blank_items, compiled.readings
        touched = self._touched

        def judge(
            item: Item,
            _facts: PatientFacts,
            kind: str | None = None,
            *,
            requirements: bool = False,
            own: frozenset[str] = frozenset(),
        ) -> CriterionResult:
            if not item_keys.get(item.index, _NO_KEYS).isdisjoint(known):
                return touched(compiled, item, kind, requirements, own)
            key = (profile, item.index, kind, requirements)
            result = cached.get(key)
            if result is None:
                reading = readings.get(item.index) or reading_of(compiled, item)
                result = judge_item(
                    item, blank, kind, requirements=requirements, own=own, reading=reading
                )
                cached[key] = result
            return result

        return judge
