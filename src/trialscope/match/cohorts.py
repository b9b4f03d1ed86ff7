"""Cohort headings: criteria that apply to one arm of a trial only.

Old records write arms as short headings among their siblings::

    - Performance status:
        - Age 65-70 years:
        - Karnofsky 80-100%
        - Under 65 years:
        - Karnofsky 90-100%

"Age 65-70 years:" is not a requirement for the whole trial: it says which patients the
items after it (up to the next such heading) are for, or its children when it has them.
A patient outside the cohort is not judged by them; a patient inside one cohort is not
judged by its sibling cohorts; a patient who fits none of the cohorts of a group whose
headings can all be judged fits none of the arms.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trialscope.criteria import Item
from trialscope.match.facts import PatientFacts
from trialscope.match.judge import judge_item
from trialscope.match.verdicts import Basis, CriterionResult, Verdict

#: a heading is short and ends with a colon
_HEADING_LENGTH = 80


@dataclass(slots=True)
class Cohorts:
    """Per item index: the result to show for a cohort heading, or the heading whose
    cohort the patient is not in."""

    headings: dict[int, CriterionResult | None] = field(default_factory=dict)
    outside: dict[int, Item] = field(default_factory=dict)


def may_have_cohorts(items: tuple[Item, ...]) -> bool:
    """Some item is a heading with a bound ("Age 65-70 years:"): without one there are
    no cohorts, whoever the patient."""
    return any(item.constraints and _heading_like(item) for item in items)


def read_cohorts(items: tuple[Item, ...], facts: PatientFacts) -> Cohorts:
    out = Cohorts()
    if not may_have_cohorts(items):
        return out
    siblings: dict[tuple[int | None, str], list[Item]] = {}
    for item in items:
        siblings.setdefault((item.parent, item.kind), []).append(item)
    children: dict[int, list[Item]] = {}
    for item in items:
        if item.parent is not None:
            children.setdefault(item.parent, []).append(item)
    for group in siblings.values():
        heads = [i for i in group if _heading_like(i)]
        if not any(h.constraints for h in heads):
            continue  # "Renal:" over its items: a topic, not a cohort
        membership = {h.index: _membership(h, facts) for h in heads}
        verdicts = [r.verdict if r else Verdict.UNKNOWN for r in membership.values()]
        inside = Verdict.MET in verdicts
        judged = [v for v in verdicts if v is not Verdict.UNKNOWN]
        fits_none = len(judged) >= 2 and len(judged) == len(verdicts) and not inside
        for number, head in enumerate(heads):
            result = membership[head.index]
            verdict = result.verdict if result else Verdict.UNKNOWN
            is_out = verdict is Verdict.NOT_MET or (inside and verdict is not Verdict.MET)
            if fits_none and number == 0 and result is not None:
                out.headings[head.index] = _shown(
                    result, Verdict.NOT_MET, "fits none of the cohorts"
                )
            elif is_out:
                why = result.reason if result else "the patient is in another cohort"
                out.headings[head.index] = _shown(
                    result or _blank(head), Verdict.NOT_APPLICABLE, f"not this cohort: {why}"
                )
            elif result is not None and verdict is Verdict.MET:
                out.headings[head.index] = _shown(
                    result, Verdict.MET, f"in this cohort: {result.reason}"
                )
            else:
                out.headings[head.index] = result  # unknown: asked; None: a bare label
            if is_out or fits_none:
                for scoped in _scope(head, group, heads, children):
                    out.outside[scoped.index] = head
    return out


def outside_result(item: Item, head: Item) -> CriterionResult:
    label = " ".join(head.text.split()).rstrip(":")
    return CriterionResult(
        item.index,
        "inclusion" if item.kind == "unknown" else item.kind,
        item.text,
        item.span,
        Verdict.NOT_APPLICABLE,
        f"for the cohort “{label}” only; the patient is not in it",
        Basis.FACT,
    )


def _heading_like(item: Item) -> bool:
    text = item.text.strip()
    return text.endswith(":") and len(text) <= _HEADING_LENGTH


def _membership(head: Item, facts: PatientFacts) -> CriterionResult | None:
    if not head.constraints:
        return None
    return judge_item(head, facts, kind="inclusion")


def _scope(
    head: Item, group: list[Item], heads: list[Item], children: dict[int, list[Item]]
) -> list[Item]:
    if head.index in children:
        return _descendants(head, children)
    scoped: list[Item] = []
    start = group.index(head) + 1
    for item in group[start:]:
        if item in heads:
            break
        scoped.append(item)
        scoped.extend(_descendants(item, children))
    return scoped


def _descendants(item: Item, children: dict[int, list[Item]]) -> list[Item]:
    found: list[Item] = []
    for child in children.get(item.index, []):
        found.append(child)
        found.extend(_descendants(child, children))
    return found


def _blank(head: Item) -> CriterionResult:
    return CriterionResult(head.index, "inclusion", head.text, head.span, Verdict.UNKNOWN, "")


def _shown(result: CriterionResult, verdict: Verdict, reason: str) -> CriterionResult:
    return CriterionResult(
        result.index,
        "inclusion",
        result.text,
        result.span,
        verdict,
        reason,
        Basis.FACT,
        result.evidence,
        result.constraints,
    )
