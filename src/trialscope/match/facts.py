"""A patient prepared for judging: concepts resolved once, facts indexed by what asks.

Structured conditions name things in words ("colon adenocarcinoma"); the concept finder
turns each into ids of both id spaces, so a criterion is compared by id lookup with
hierarchy, not by string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from trialscope.match.concepts import ancestors, find_concepts
from trialscope.match.patient import Condition, Patient, Provenance, Therapy
from trialscope.terminology.drugs import drug_aliases, drug_classes, regimen_drugs

#: id spaces the disease vocabulary and the criteria lexicon speak
VOCABULARY_PREFIXES = ("MESH:", "DOID:", "ONCOTREE:", "lex:", "TS:")


@dataclass(frozen=True, slots=True)
class ConditionFact:
    concept: str
    condition: Condition


@lru_cache(maxsize=4096)
def most_specific(concepts: frozenset[str]) -> frozenset[str]:
    """Drop the concepts that are ancestors of another one: a trial listing "Cancer" beside
    "Colorectal Cancer" is about colorectal cancer."""
    return frozenset(c for c in concepts if not any(o != c and c in ancestors(o) for o in concepts))


@dataclass(slots=True)
class PatientFacts:
    patient: Patient
    #: every concept the patient has or had, with the ancestors of each -> the facts
    present: dict[str, list[ConditionFact]] = field(default_factory=dict)
    #: concepts the record explicitly rules out
    absent: dict[str, list[ConditionFact]] = field(default_factory=dict)
    therapy_classes: dict[str, list[Therapy]] = field(default_factory=dict)
    therapy_absent: dict[str, list[Therapy]] = field(default_factory=dict)
    no_medications: Therapy | None = None
    #: each condition's own concepts (not their ancestors), by ``id(condition)``
    concepts_of: dict[int, frozenset[str]] = field(default_factory=dict)
    #: what is worked out from the facts on first use (primary sites, healthy)
    derived: dict[str, object] = field(default_factory=dict)

    @classmethod
    def of(cls, patient: Patient) -> PatientFacts:
        facts = cls(patient)
        for condition in patient.conditions:
            concepts = set(condition.codes)
            # SNOMED or ICD-10 codes (FHIR) are not vocabulary ids: without a MeSH, DO or
            # lexicon id among them, the name is what tells the matcher what this is
            if not any(c.startswith(VOCABULARY_PREFIXES) for c in concepts):
                concepts |= {f.concept for f in find_concepts(condition.name)}
            for stage_or_site in condition.metastasis_sites:
                concepts |= {f.concept for f in find_concepts(f"{stage_or_site} metastases")}
            facts.concepts_of[id(condition)] = frozenset(concepts)
            for concept in concepts:
                fact = ConditionFact(concept, condition)
                if condition.status == "absent":
                    # an explicit negative rules out the concept, not its ancestors
                    facts.absent.setdefault(concept, []).append(fact)
                else:
                    for up in ancestors(concept):
                        facts.present.setdefault(up, []).append(fact)
        for therapy in patient.therapies:
            if therapy.status == "planned":
                continue  # not given yet, and not ruled out either ("a candidate for surgery")
            # a therapy given without classes gets the drug table's ("Ibrance")
            classes = set(therapy.classes) or set(drug_classes(therapy.name))
            if therapy.status == "absent" and "medication" in classes:
                facts.no_medications = therapy
                continue
            target = facts.therapy_absent if therapy.status == "absent" else facts.therapy_classes
            # "Ibrance" is palbociclib: a criterion naming the drug finds the brand too
            names = {therapy.name.lower()} | drug_aliases(therapy.name)
            for cls_ in classes | names | regimen_drugs(therapy.name):
                target.setdefault(cls_, []).append(therapy)
        _immunosuppressed(facts)
        return facts

    def own_concepts(self) -> set[str]:
        """The concepts the patient's present or past conditions were read as, without
        their ancestors."""
        return {
            c
            for condition in self.patient.conditions
            if condition.status != "absent"
            for c in self.concepts_of.get(id(condition), ())
        }

    def has(self, concept: str) -> list[ConditionFact]:
        return self.present.get(concept, [])

    def ruled_out(self, concept: str) -> list[ConditionFact]:
        return self.absent.get(concept, [])

    def about(self, condition: Condition, own: frozenset[str]) -> bool:
        """``condition`` is one of ``own`` (a trial's conditions), narrower or broader."""
        mine = self.concepts_of.get(id(condition), frozenset())
        own = most_specific(own)
        return any(c in ancestors(t) or t in ancestors(c) for c in mine for t in own)

    def read_with(self, condition: Condition) -> list[Condition]:
        """``condition`` and the others read from the same words of a note (one per
        vocabulary id: "chronic hepatitis C" is lex:hcv and MeSH's Hepatitis C, Chronic),
        or from words inside them."""
        span = condition.source.span
        if span is None or condition.source.kind != "note":
            return [condition]
        # overlapping words are the same words: "leukemia" inside "acute myeloid leukemia"
        return [
            c
            for c in self.patient.conditions
            if c is condition
            or (
                c.source.kind == "note"
                and c.source.span is not None
                and c.source.span[0] < span[1]
                and span[0] < c.source.span[1]
            )
        ]

    def about_any(self, condition: Condition, concepts: frozenset[str]) -> bool:
        """:meth:`about` for the condition or another reading of the same words: one id
        space may know a link the other lacks."""
        return any(self.about(c, concepts) for c in self.read_with(condition))

    def source_of(self, name: str) -> Provenance | None:
        return self.patient.provenance.get(name)


#: drug classes that leave a patient immunocompromised while taken: physicians read a
#: patient on prednisone or tacrolimus as in an "immunodeficiency state" (TrialGPT labels)
_SUPPRESSING = ("immunosuppressant", "immunosuppressants")
_SUPPRESSED = "lex:immunosuppressed"
_STATE = "immunosuppressed"
_CLASS_WORDS = re.compile(r"immuno-?suppress", re.I)


def derived_state(fact: str) -> bool:
    """Whether an evidence line is a state the matcher derived from a drug taken now,
    which reads "patient is immunosuppressed (on prednisone)", not "patient has …"."""
    return fact.startswith(f"{_STATE} (on ")


def _immunosuppressed(facts: PatientFacts) -> None:
    """A suppressing drug taken now is the state of being immunosuppressed, under
    "immunodeficiency" (not under an inherited one), with the drug as its evidence."""
    if facts.has(_SUPPRESSED):
        return
    on = [t for c in _SUPPRESSING for t in facts.therapy_classes.get(c, ()) if t.status == "active"]
    if not on:
        return
    # the drug by name where the note gives one ("immunosuppressive medications, including
    # prednisone"): the coordinator checks the drug, not the class
    drug = next((t for t in on if not _CLASS_WORDS.search(t.name)), on[0])
    state = Condition(name=f"{_STATE} (on {drug.name})", source=drug.source)
    facts.concepts_of[id(state)] = frozenset({_SUPPRESSED})
    for up in ancestors(_SUPPRESSED):
        facts.present.setdefault(up, []).append(ConditionFact(_SUPPRESSED, state))
