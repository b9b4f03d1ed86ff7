"""What the matcher says about one criterion and one trial, as plain typed data."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from trialscope.match.patient import Provenance


class Verdict(StrEnum):
    """Whether the criterion's statement holds for the patient.

    For an exclusion item MET means the exclusion applies (the patient is excluded)."""

    MET = "MET"
    NOT_MET = "NOT_MET"
    UNKNOWN = "UNKNOWN"
    NOT_APPLICABLE = "NOT_APPLICABLE"


class TrialVerdict(StrEnum):
    ELIGIBLE = "ELIGIBLE"
    POSSIBLY_ELIGIBLE = "POSSIBLY_ELIGIBLE"
    INELIGIBLE = "INELIGIBLE"


class Mark(StrEnum):
    """A criterion's verdict read from the patient's side: an exclusion that is NOT_MET
    does not apply to the patient (good news), one that is MET rules them out."""

    FITS = "fits"
    RULES_OUT = "rules out"
    UNKNOWN = "unknown"
    DOES_NOT_APPLY = "does not apply"


class Basis(StrEnum):
    """How a verdict was reached: from a recorded fact, from the absence of one in a
    complete history, or not at all."""

    FACT = "fact"
    ABSENCE = "absence"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Question:
    """One fact that would settle unknown criteria. ``key`` identifies the fact across
    trials (``lab:platelets``, ``condition:lex:hiv``, ``pregnant``); ``text`` asks it."""

    key: str
    text: str
    #: what kind of answer: number (with ``unit``), yes_no, date, choice
    answer: str = "yes_no"
    unit: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "text": self.text, "answer": self.answer, "unit": self.unit}


@dataclass(frozen=True, slots=True)
class Evidence:
    """A patient fact used for a verdict, and where it came from."""

    fact: str
    source: Provenance | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "fact": self.fact,
            "source": None if self.source is None else self.source.model_dump(mode="json"),
        }


@dataclass(frozen=True, slots=True)
class CriterionResult:
    index: int
    kind: str  # inclusion / exclusion / unknown
    text: str
    span: tuple[int, int]
    verdict: Verdict
    reason: str
    basis: Basis = Basis.FACT
    evidence: tuple[Evidence, ...] = ()
    constraints: tuple[str, ...] = ()
    questions: tuple[Question, ...] = ()

    @property
    def decides_against(self) -> bool:
        """This item alone makes the patient ineligible."""
        return (self.kind == "inclusion" and self.verdict is Verdict.NOT_MET) or (
            self.kind == "exclusion" and self.verdict is Verdict.MET
        )

    @property
    def mark(self) -> Mark:
        """What this criterion means for the patient."""
        if self.decides_against:
            return Mark.RULES_OUT
        if self.verdict is Verdict.UNKNOWN:
            return Mark.UNKNOWN
        if self.verdict is Verdict.MET and self.kind != "exclusion":
            return Mark.FITS
        return Mark.DOES_NOT_APPLY  # an exclusion not met, or not applicable

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "kind": self.kind,
            "text": self.text,
            "span": list(self.span),
            "verdict": self.verdict.value,
            "mark": self.mark.value,
            "reason": self.reason,
            "basis": self.basis.value,
            "evidence": [e.to_json() for e in self.evidence],
            "constraints": list(self.constraints),
            "questions": [q.to_json() for q in self.questions],
        }


@dataclass(slots=True)
class TrialMatch:
    nct_id: str
    title: str
    verdict: TrialVerdict
    score: float
    criteria: list[CriterionResult] = field(default_factory=list)
    #: what decided an INELIGIBLE verdict, first; then the rest
    deciding: list[int] = field(default_factory=list)
    relevance: float | None = None
    #: the trial's own conditions cover the patient's (1), are narrower (0.6), neither (0)
    topical: float = 0.0
    distance_km: float | None = None
    nearest_site: str | None = None
    status: str | None = None
    notes: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out = {v.value: 0 for v in Verdict}
        for result in self.criteria:
            out[result.verdict.value] += 1
        return out

    def marks(self) -> dict[str, int]:
        """Criteria by what they mean for the patient (fits, rules out, ...)."""
        out = {m.value: 0 for m in Mark}
        for result in self.criteria:
            out[result.mark.value] += 1
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "nct_id": self.nct_id,
            "title": self.title,
            "verdict": self.verdict.value,
            "score": round(self.score, 4),
            "relevance": None if self.relevance is None else round(self.relevance, 4),
            "topical": self.topical,
            "distance_km": None if self.distance_km is None else round(self.distance_km, 1),
            "nearest_site": self.nearest_site,
            "status": self.status,
            "counts": self.counts(),
            "marks": self.marks(),
            "deciding": self.deciding,
            "notes": self.notes,
            "criteria": [c.to_json() for c in self.criteria],
        }


#: one requirement's verdict with its reason, basis, evidence and questions
Part = tuple[Verdict, str, Basis, list[Evidence], list[Question]]


def either(parts: list[Part]) -> Part:
    """Alternatives: the first MET, else the first UNKNOWN, else the first."""
    for wanted in (Verdict.MET, Verdict.UNKNOWN):
        for part in parts:
            if part[0] is wanted:
                return part
    return parts[0]


def both(parts: list[Part]) -> Part:
    """Requirements that must all hold: the first NOT_MET, else the first UNKNOWN."""
    for wanted in (Verdict.NOT_MET, Verdict.UNKNOWN):
        for part in parts:
            if part[0] is wanted:
                return part
    return parts[0]


@dataclass(slots=True)
class Seen:
    """What the patient's record says about one thing an item names."""

    named: str
    present: list[Evidence] = field(default_factory=list)
    absent: list[Evidence] = field(default_factory=list)
    #: there, but the item's time window or duration cannot be checked against it
    untimed: list[Evidence] = field(default_factory=list)
    #: there as a broader kind than the item names (AML vs "prolymphocytic T leukemia")
    broader: list[Evidence] = field(default_factory=list)
    #: taken, but whether in the setting the item asks about (adjuvant or for advanced
    #: disease) the record does not say
    unsettled: list[Evidence] = field(default_factory=list)
    kind: str | None = None
