"""Bounds with a variant for some patients: "AST and ALT ≤ 2.5 × ULN (≤ 5 × ULN if liver
metastases)", "Age > 75 (> 65 for multiple myeloma)".

The disease in such words says whom the variant bound is for; it is no requirement of
its own. Read as one, "(≤ 5 × ULN if liver metastases)" failed every patient without liver
metastases on a criterion their labs met, and "(> 65 for multiple myeloma)" excluded every
patient with myeloma whatever their age. Here the variant replaces the base bound of its
variable for a patient who has the disease, the base bound holds for one who has not, and
a patient whose record does not say is judged by both: the same verdict decides, else the
disease is asked.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from trialscope.criteria import Constraint, Item, Mention
from trialscope.match.verdicts import Basis, Part, Verdict

Runs = tuple[tuple[tuple[Mention, ...], ...], ...]
#: judges one mention as "the patient has it" (named.holds)
Holds = Callable[[Mention], Part]
#: judges bounds (bounds.judge_bounds)
Bounds = Callable[[tuple[Constraint, ...]], Part]

# how far after a variant's bound its disease may be named ("≤ 5 × ULN for patients with")
_REACH = 60


def variant_mentions(
    item: Item, constraints: tuple[Constraint, ...]
) -> tuple[tuple[Constraint, ...], dict[int, list[Mention]]]:
    """The mentions naming each variant's disease, by the variant's index in the
    constraints returned: ``constraints`` with the variants the parser left unmarked
    marked too ("(multiple myeloma age less than 8 or greater than 65)": a bracket opened
    by the disease, the bound right after it)."""
    marked = list(constraints)
    out: dict[int, list[Mention]] = {}
    # only a bracket opens a variant: most items have none, and this runs for every item
    bracketed = "(" in item.text
    opened = {
        i: _opened_by(item, c) if bracketed else []
        for i, c in enumerate(constraints)
        if c.condition is None
    }
    # a variant needs a base bound of its variable ("(neutropenia: ANC ≥ 1500)" alone is
    # the item's only bound, not a variant of one)
    based = {constraints[i].variable for i, named in opened.items() if not named}
    for index, constraint in enumerate(constraints):
        if constraint.condition is None:
            if opened[index] and constraint.variable in based:
                marked[index] = replace(constraint, condition=opened[index][0].text)
                out[index] = opened[index]
            continue
        said = constraint.condition.lower()
        named = [
            m
            for m in item.mentions
            if m.category == "condition"
            and m.text.lower() in said
            and constraint.span[0] <= m.span[0] <= constraint.span[1] + _REACH
        ]
        if named:
            out[index] = named
    return tuple(marked), out


# "(multiple myeloma age": the bracket opens with the disease, the bound follows
_OPENS = re.compile(r"\(\s*$")
_THEN = re.compile(r"\s*[:,]?\s*$")


def _opened_by(item: Item, constraint: Constraint) -> list[Mention]:
    begin = constraint.span[0] - item.span[0]
    named = []
    for mention in item.mentions:
        lo, hi = mention.span[0] - item.span[0], mention.span[1] - item.span[0]
        if (
            mention.category == "condition"
            and hi <= begin
            and _THEN.match(item.text[hi:begin])
            and _OPENS.search(item.text[:lo])
        ):
            named.append(mention)
    return named


def without(runs: Runs, mentions: list[Mention]) -> Runs:
    """``runs`` without ``mentions`` (empty slots and runs dropped)."""
    kept = []
    for run in runs:
        slots = tuple(s for s in (tuple(m for m in slot if m not in mentions) for slot in run) if s)
        if slots:
            kept.append(slots)
    return tuple(kept)


def judge_with_variants(
    constraints: tuple[Constraint, ...],
    variants: dict[int, list[Mention]],
    holds: Holds,
    bounds: Bounds,
) -> Part:
    """The bounds, each variant applied for whom it is for."""
    base = tuple(c for c in constraints if c.condition is None)
    if not base:
        return bounds(constraints)  # nothing to vary: judged as before
    groups: dict[tuple[int, ...], tuple[list[Mention], list[Constraint]]] = {}
    for index, mentions in variants.items():
        key = tuple(sorted(id(m) for m in mentions))
        variant = replace(constraints[index], condition=None)
        groups.setdefault(key, (mentions, []))[1].append(variant)
    chosen = base
    maybe: list[tuple[list[Constraint], Part]] = []
    for mentions, group in groups.values():
        had = [holds(m) for m in mentions]
        if any(p[0] is Verdict.MET for p in had):
            chosen = _swap(chosen, group)
        elif not all(p[0] is Verdict.NOT_MET for p in had):
            maybe.append((group, next(p for p in had if p[0] is not Verdict.NOT_MET)))
    first = bounds(chosen)
    if not maybe:
        return first
    alternative = chosen
    for group, _ in maybe:
        alternative = _swap(alternative, group)
    second = bounds(alternative)
    if first[0] is second[0]:
        return first
    # it depends on a disease the record does not settle: ask it
    part = maybe[0][1]
    reason = f"{first[1]}, or {second[1]} — depends on: {part[1]}"
    evidence = [*first[3], *second[3], *part[3]]
    return Verdict.UNKNOWN, reason, Basis.NONE, evidence, [*first[4], *part[4]]


def _swap(
    constraints: tuple[Constraint, ...], variants: list[Constraint]
) -> tuple[Constraint, ...]:
    """The bounds with those of each variant's variable replaced by that variable's
    variants, in their place; the first variant joins like the first bound it replaces."""
    out: list[Constraint] = []
    placed: set[str] = set()
    for constraint in constraints:
        mine = [v for v in variants if v.variable == constraint.variable]
        if not mine:
            out.append(constraint)
        elif constraint.variable not in placed:
            out += [replace(mine[0], joiner=constraint.joiner), *mine[1:]]
            placed.add(constraint.variable)
    return tuple(out)
