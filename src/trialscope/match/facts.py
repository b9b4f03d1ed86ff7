"""A patient prepared for judging: concepts resolved once, facts indexed by what asks.

Structured conditions name things in words ("colon adenocarcinoma"); the concept finder
turns each into ids of both id spaces, so a criterion is compared by id lookup with
hierarchy, not by string.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .concepts import ancestors, find_concepts
from .patient import Condition, Patient, Provenance, Therapy


@dataclass(frozen=True, slots=True)
class ConditionFact:
    concept: str
    condition: Condition


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

    @classmethod
    def of(cls, patient: Patient) -> PatientFacts:
        facts = cls(patient)
        for condition in patient.conditions:
            concepts = set(condition.codes)
            if not concepts or not any(":" in c for c in concepts):
                concepts |= {f.concept for f in find_concepts(condition.name)}
            for stage_or_site in condition.metastasis_sites:
                concepts |= {f.concept for f in find_concepts(f"{stage_or_site} metastases")}
            for concept in concepts:
                fact = ConditionFact(concept, condition)
                if condition.status == "absent":
                    # an explicit negative rules out the concept, not its ancestors
                    facts.absent.setdefault(concept, []).append(fact)
                else:
                    for up in ancestors(concept):
                        facts.present.setdefault(up, []).append(fact)
        for therapy in patient.therapies:
            classes = set(therapy.classes)
            if therapy.status == "absent" and "medication" in classes:
                facts.no_medications = therapy
                continue
            target = facts.therapy_absent if therapy.status == "absent" else facts.therapy_classes
            for cls_ in classes | {therapy.name.lower()}:
                target.setdefault(cls_, []).append(therapy)
        return facts

    def has(self, concept: str) -> list[ConditionFact]:
        return self.present.get(concept, [])

    def ruled_out(self, concept: str) -> list[ConditionFact]:
        return self.absent.get(concept, [])

    def source_of(self, name: str) -> Provenance | None:
        return self.patient.provenance.get(name)
