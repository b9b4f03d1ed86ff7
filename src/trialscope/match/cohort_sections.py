"""Inclusions written per population: a patient needs to fit one of them, not all.

Studies that enrol several kinds of people list each one's inclusions apart::

    Normal Volunteers:
        Adults ... with a normal body mass index (20-26 kg/m(2)).
    Obese Subjects:
        Adults ... with a body mass index between 30 and 35 kg/m(2).
    Diabetic Subjects:
        Adults ... except for non-insulin dependent diabetes mellitus ...

(NCT00001625), or as sibling points, one per population ("Right handed normal volunteers
(18-65 years old).", "Patients with Parkinson's disease off medication.", "Patients with
frontal lobe dementia.", NCT00001776). Read as one list, every diabetic patient failed the
volunteers' body mass index and every Parkinson's patient the dementia point. Each
population's items are a section; the patient must meet every item of one section. A
section that fits makes the others' items not apply; while one may still fit, the others'
failed items are open, not deciding; when none can fit, the failures decide as before.
Conditions are not judged from the labels themselves ("Obese Subjects:"): the items under
them say what each population must have.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from trialscope.criteria import Item, ParsedCriteria
from trialscope.match.judge import asks_for_volunteers
from trialscope.match.verdicts import Basis, CriterionResult, Verdict


@dataclass(frozen=True, slots=True)
class Population:
    """One population's inclusion items (the label first, if it is an item) and the
    exclusions listed for it alone (under the same label among the exclusions)."""

    label: str
    items: tuple[int, ...]
    exclusions: tuple[int, ...] = ()


#: per list of populations, its populations
Sections = tuple[tuple[Population, ...], ...]

_WHO = (
    r"(?:volunteers?|subjects?|patients?|participants?|controls?|individuals|cases|groups?"
    r"|cohorts?|relatives|family\s+members)"
)
# "Normal Volunteers:", "STROKE APHASIA SUBJECTS:", "CONTROL GROUP (NORM GROUP):", "For
# Uveitis Patients:", "Healthy control subjects without insulin resistance must meet all
# of the following criteria:" -- but not "Patients must have:" or "Patients who received
# prior ILP must have:" (what all patients, or some, must also have)
_LABEL = re.compile(
    rf"^(?:for\s+)?(?:[\w\-/']+\s+){{0,4}}{_WHO}\s*(?:\([^)]{{0,40}}\))?\s*:$"
    rf"|^(?:(?:[\w\-/'(),]+\s+){{1,14}}{_WHO}\b|{_WHO}\s+with(?:out)?\b)[^:]{{0,160}}"
    r"\bmust\s+meet\b[^:]{0,60}:?$",
    re.I,
)
# "ALL PATIENTS:", "Allowed in isoniazid patients:", "DONOR AND PATIENT:": what every
# population (or several) gets
_EVERYONE = re.compile(
    r"^all\b|\ball\s+(?:patients|subjects|participants|groups|cohorts)\b|\ballowed\b"
    r"|\bexcluded\b|\bboth\b|\bany\b|\band\b|&",
    re.I,
)
#: "Patients with cerebellar deficits.": a population, whether or not the words are known
_SHORT_POINT = 8
_PATIENTS_POINT = re.compile(
    r"^(?:(?:adult|pediatric|paediatric)\s+)?(?:patients?|individuals|adults|children)\s+with\b",
    re.I,
)


def sections_of(parsed: ParsedCriteria) -> Sections:
    """The inclusion lists of ``parsed`` written one population at a time."""
    siblings: dict[tuple[int | None, bool], list[Item]] = {}
    children: dict[int, list[Item]] = {}
    for item in parsed.items:
        if item.parent is not None:
            children.setdefault(item.parent, []).append(item)
        siblings.setdefault((item.parent, item.kind == "exclusion"), []).append(item)
    out: list[tuple[Population, ...]] = []
    for (_, excluding), group in siblings.items():
        if excluding:
            continue
        labels = _without_everyone([i for i in group if _is_label(i, children)])
        if len(labels) >= 2 and len({_key(i.text) for i in labels}) == len(labels):
            out.append(
                tuple(
                    Population(_key(label.text), _section(label, group, labels, children))
                    for label in labels
                )
            )
        elif _flat_populations(group):
            out.append(
                tuple(Population(_key(i.text), _with_descendants(i, children)) for i in group)
            )
    exclusion_groups = [g for (_, excluding), g in siblings.items() if excluding]
    return tuple(_with_exclusions(p, exclusion_groups, children) for p in out)


def _with_exclusions(
    populations: tuple[Population, ...],
    groups: list[list[Item]],
    children: dict[int, list[Item]],
) -> tuple[Population, ...]:
    """Each population with the exclusions listed under its own label ("Healthy control
    subjects without insulin resistance" among the exclusions, NCT00001987)."""
    keys = {p.label for p in populations}
    found: dict[str, tuple[int, ...]] = {}
    for group in groups:
        labels = [i for i in group if _key(i.text) in keys and i.text.strip()]
        for label in labels:
            found[_key(label.text)] = _section(label, group, labels, children)[1:]
    return tuple(replace(p, exclusions=found.get(p.label, ())) for p in populations)


_MUST_MEET = re.compile(r"\s*(?:\(.*?\)\s*)?must\s+meet\b.*$", re.I)


def _key(text: str) -> str:
    """A label's population, for finding it again among the exclusions."""
    text = _MUST_MEET.sub("", " ".join(text.split()))
    text = re.sub(r"^for\s+(?:the\s+)?", "", text.rstrip(" :.").lower())
    return re.sub(r"[^\w]+", " ", text).strip()


def _is_label(item: Item, children: dict[int, list[Item]]) -> bool:
    text = " ".join(item.text.split())
    if not text.endswith(":") and item.index not in children:
        return False  # "... must meet all of the following criteria" over its points
    return bool(_LABEL.match(text)) and not _EVERYONE.search(text) and len(text) <= 200


# "FOR PATIENTS:" beside "FOR HIV POSITIVE PATIENTS:" is what every patient must have (not
# so beside "Genetic Relatives of Patients:", NCT00001352)
_BARE_PATIENTS = re.compile(r"^(?:for\s+)?patients\s*:$", re.I)
_SOME_PATIENTS = re.compile(r"(?<!\bof)\s+patients\s*:$", re.I)


def _without_everyone(labels: list[Item]) -> list[Item]:
    if not any(_SOME_PATIENTS.search(i.text.strip()) for i in labels):
        return labels
    return [i for i in labels if not _BARE_PATIENTS.match(i.text.strip())]


def _flat_populations(group: list[Item]) -> bool:
    """Every point names a population: healthy volunteers and patients with a disease."""
    if len(group) < 2 or not any(asks_for_volunteers(i) for i in group):
        return False
    if all(asks_for_volunteers(i) for i in group):
        return False
    return all(
        asks_for_volunteers(i)
        or (
            _PATIENTS_POINT.match(i.text)
            and (
                len(i.text.split()) <= _SHORT_POINT
                or any(m.category == "condition" and not m.negated for m in i.mentions)
            )
        )
        for i in group
    )


def _section(
    label: Item, group: list[Item], labels: list[Item], children: dict[int, list[Item]]
) -> tuple[int, ...]:
    if label.index in children:
        return _with_descendants(label, children)
    out = [label.index]
    for item in group[group.index(label) + 1 :]:
        if item in labels:
            break
        out.extend(_with_descendants(item, children))
    return tuple(out)


def _with_descendants(item: Item, children: dict[int, list[Item]]) -> tuple[int, ...]:
    out = [item.index]
    for child in children.get(item.index, []):
        out.extend(_with_descendants(child, children))
    return tuple(out)


def combine(results: list[CriterionResult], sections: Sections) -> list[CriterionResult]:
    """``results`` with the items of the populations the patient is not in set aside."""
    if not sections:
        return results
    position = {r.index: i for i, r in enumerate(results)}
    out = list(results)

    def set_aside(
        indexes: tuple[int, ...], verdicts: tuple[Verdict, ...], to: Verdict, why: str
    ) -> None:
        for index in indexes:
            result = out[position[index]] if index in position else None
            if result is not None and result.verdict in verdicts:
                out[position[index]] = _set_aside(result, to, why)

    for populations in sections:
        fits = [_fits([out[position[i]] for i in p.items if i in position]) for p in populations]
        if Verdict.MET in fits:
            chosen = fits.index(Verdict.MET)
            for number, population in enumerate(populations):
                if number != chosen:
                    set_aside(population.items, _OPEN_OR_FAILED, Verdict.NOT_APPLICABLE, _FITS)
                    set_aside(population.exclusions, _OPEN_OR_MET, Verdict.NOT_APPLICABLE, _FITS)
        elif Verdict.UNKNOWN in fits:
            for fit, population in zip(fits, populations, strict=True):
                set_aside(population.items, (Verdict.NOT_MET,), Verdict.UNKNOWN, _MAY_FIT)
                if fit is Verdict.NOT_MET:  # not in it: its own exclusions do not apply
                    set_aside(population.exclusions, _OPEN_OR_MET, Verdict.NOT_APPLICABLE, _NOT_IN)
                else:
                    set_aside(population.exclusions, (Verdict.MET,), Verdict.UNKNOWN, _MAY_FIT)
    return out


_OPEN_OR_FAILED = (Verdict.NOT_MET, Verdict.UNKNOWN)
_OPEN_OR_MET = (Verdict.MET, Verdict.UNKNOWN)
_FITS = "for another population of the study; the patient fits one"
_MAY_FIT = "for one population of the study; the patient may fit another"
_NOT_IN = "for a population of the study the patient is not in"


def _counts(result: CriterionResult) -> bool:
    return result.kind != "exclusion" and result.verdict is not Verdict.NOT_APPLICABLE


def _fits(section: list[CriterionResult]) -> Verdict:
    verdicts = {r.verdict for r in section if _counts(r)}
    if Verdict.NOT_MET in verdicts:
        return Verdict.NOT_MET
    if not verdicts or Verdict.UNKNOWN in verdicts:
        return Verdict.UNKNOWN
    return Verdict.MET


def _set_aside(result: CriterionResult, verdict: Verdict, why: str) -> CriterionResult:
    return replace(result, verdict=verdict, reason=f"{result.reason} ({why})", basis=Basis.FACT)
