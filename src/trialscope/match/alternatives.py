"""Inclusions listed under "one or more of the following:" are alternatives, and so are
points joined by a trailing "or" ("Estrogen receptor positive AND/OR"); exclusion points
joined by a trailing "and" exclude only together.

Each point under such a heading is judged on its own; the heading asks for enough of
them, not each. A point the patient fails therefore decides nothing while enough others
are met, and stays open while they may be; only when too few can still be met do the
failed points decide against the patient. Exclusions need no such reading: any one
that applies excludes.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import replace

from trialscope.criteria import Item, ParsedCriteria
from trialscope.match.scope import arm_label
from trialscope.match.verdicts import Basis, CriterionResult, Verdict

_COUNTS = {"one": 1, "two": 2, "three": 3, "four": 4, "any": 1, "either": 1, "1": 1, "2": 2,
           "3": 3, "4": 4}  # fmt: skip
_HEADING = re.compile(
    r"\b(?:at\s+least\s+)?(?P<n>one|two|three|four|any|either|[12])\s+(?:\(\d\)\s+)?"
    r"(?:or\s+more\s+)?(?:of\s+)?(?:the\s+)?(?:following|below|these)\b",
    re.I,
)


# "Intermediate risk group must have at least one indication of active disease:" -- a
# heading (it ends with a colon) that counts what its points are
_AT_LEAST = re.compile(
    r"\bat\s+least\s+(?P<n>one|two|three|four|[1-4])\s+(?!(?:year|month|week|day|prior|"
    r"previous|cycle|dose|line|regimen|lesion|site|measurable|target)s?\b)[^:]{0,60}:\s*$",
    re.I,
)


def needed(heading: str) -> int | None:
    """How many points under ``heading`` must hold (None: it lists no alternatives)."""
    found = _HEADING.search(heading) or _AT_LEAST.search(heading)
    if found is None or re.search(r"\ball\s+(?:of\s+)?the\s+following\b", heading, re.I):
        return None
    return _COUNTS[found.group("n").lower()]


#: each "one or more of the following:" heading's points: (how many must hold, the
#: points' item indexes), in the order of the items
Groups = tuple[tuple[int, tuple[int, ...]], ...]


# "Estrogen receptor positive AND/OR" / "Progesterone receptor positive"; "WBC < 2000 or";
# a point of its own that says only "OR": the next point is another way in
_ENDS_OR = re.compile(r"(?:^|\b)(?:or|and\s*/\s*or)\W*$", re.I)
_ENDS_AND = re.compile(r"\band\W*$", re.I)
_ONLY_OR = re.compile(r"\W*(?:or|and\s*/\s*or)\W*$", re.I)


def _chained(parsed: ParsedCriteria, exclusions: bool = False) -> list[tuple[int, tuple[int, ...]]]:
    """Runs of inclusion points joined by a trailing "or" into one requirement (n = 1);
    with ``exclusions``, runs of exclusion points joined by a trailing "and" into one
    exclusion ("Previous thyroid disease and" / the next point: n = 0, all together)."""
    items = [i for i in parsed.items if (i.kind == "exclusion") == exclusions]
    headings = {i.parent for i in parsed.items if i.parent is not None}
    joins = _ENDS_AND if exclusions else _ENDS_OR
    runs: list[tuple[int, tuple[int, ...]]] = []
    run: list[int] = []
    for previous, item in itertools.pairwise(items):
        if (
            previous.parent == item.parent
            and previous.index not in headings
            and (joins.search(previous.text) or (not exclusions and _ONLY_OR.match(item.text)))
        ):
            run = run or [previous.index]
            run.append(item.index)
        elif run:
            runs.append((0 if exclusions else 1, tuple(run)))
            run = []
    if run:
        runs.append((0 if exclusions else 1, tuple(run)))
    return runs


def groups_of(parsed: ParsedCriteria) -> Groups:
    """The alternative lists of a parse (the fast path keeps them with its plan)."""
    by_index = {item.index: item for item in parsed.items}
    groups: dict[int, list[int]] = {}
    for item in parsed.items:
        heading = by_index.get(item.parent) if item.parent is not None else None
        if heading is not None and heading.kind != "exclusion" and item.kind != "exclusion":
            groups.setdefault(heading.index, []).append(item.index)
    out = []
    for parent, children in groups.items():
        n = needed(by_index[parent].text)
        if n is None and _diseases_only(by_index[parent], [by_index[c] for c in children]):
            n = 1
        if n is not None:
            out.append((n, tuple(_points(children, groups, by_index))))
    return tuple(
        out
        + _chained(parsed)
        + _chained(parsed, exclusions=True)
        + _arms(parsed)
        + _age_cohorts(parsed, groups)
        + _disease_lists(parsed)
    )


_SHORT_POINT_WORDS = 10


def _names_a_disease(point: Item) -> bool:
    """A short point that only names a disease, perhaps which of it ("Breast cancer
    (triple negative type)", "… (HPV negative)")."""
    return (
        not point.constraints
        and not point.windows
        and len(point.text.split()) <= _SHORT_POINT_WORDS
        and any(m.category == "condition" and not m.negated for m in point.mentions)
        and all(m.category in ("condition", "biomarker", "stage") for m in point.mentions)
    )


def _diseases_only(heading: Item, points: list[Item]) -> bool:
    """A heading over three or more points that each only name a disease lists the
    diseases taken, one per patient, not diseases every patient must have at once."""
    return (
        heading.text.rstrip().endswith(":")
        and len(points) >= 3
        and all(_names_a_disease(p) for p in points)
    )


def _disease_lists(parsed: ParsedCriteria) -> list[tuple[int, tuple[int, ...]]]:
    """Disease names listed after an inclusion ending with a colon, when the list was not
    nested under it ("Enriched for patients with tumours commonly associated with p53
    mutation:" / "1. Colorectal cancer" / "2. High grade serous ovarian cancer" / …,
    NCT03096054, which ruled its own colorectal patients out)."""
    items = [i for i in parsed.items if i.kind != "exclusion"]
    out = []
    for at, heading in enumerate(items):
        if not heading.text.rstrip().endswith(":"):
            continue
        run = []
        for point in items[at + 1 :]:
            if point.parent != heading.parent or not _names_a_disease(point):
                break
            run.append(point)
        if len(run) >= 3:
            out.append((1, tuple(i.index for i in run)))
    return out


def _age_cohorts(
    parsed: ParsedCriteria, headings: dict[int, list[int]]
) -> list[tuple[int, tuple[int, ...]]]:
    """Inclusion points of one list that each open with an age and name a disease
    ("Patients aged > 49 and < 75 years with NHL, CLL and multiple myeloma ...", "Patients
    < 50 years of age with NHL, CLL or multiple myeloma at high risk ...", NCT00006251):
    cohorts, of which a patient needs to fit one."""
    by_parent: dict[int | None, list[int]] = {}
    for item in parsed.items:
        if item.kind == "exclusion" or item.index in headings:
            continue
        opens_with_age = any(
            c.variable == "age" and c.span[0] - item.span[0] <= 40 for c in item.constraints
        )
        if opens_with_age and any(m.category == "condition" for m in item.mentions):
            by_parent.setdefault(item.parent, []).append(item.index)
    return [(1, tuple(cohorts)) for cohorts in by_parent.values() if len(cohorts) >= 2]


def _points(
    children: list[int], groups: dict[int, list[int]], by_index: dict[int, Item]
) -> list[int]:
    """The points of an alternatives heading: its children, and for a child that heads
    its own list ("One of the following diagnoses:" / "High grade lymphoma:" / "Burkitt
    lymphoma in remission", ...) the points under it instead, at any depth -- each is one
    way in, so one failed never decides while another may hold. A child that names a way
    in itself ("Chronic myelogenous leukemia" over "Philadelphia chromosome-positive OR",
    which say how it is confirmed) is the point, not a label ("High grade lymphoma:")."""
    out: list[int] = []
    for child in children:
        if child in groups and by_index[child].text.rstrip().endswith(":"):
            out += _points(groups[child], groups, by_index)
        else:
            out.append(child)
    return out


def _arms(parsed: ParsedCriteria) -> list[tuple[int, tuple[int, ...]]]:
    """Inclusion points of one list that each open with an arm or cohort ("Arm A: ...",
    "Arm B: ..."): a patient needs to fit one arm, not all."""
    by_parent: dict[int | None, list[int]] = {}
    for item in parsed.items:
        if item.kind != "exclusion" and arm_label(item, ages_only=False) is not None:
            by_parent.setdefault(item.parent, []).append(item.index)
    return [(1, tuple(arms)) for arms in by_parent.values() if len(arms) >= 2]


def combine(
    results: list[CriterionResult], parsed: ParsedCriteria, groups: Groups | None = None
) -> list[CriterionResult]:
    """``results`` with the failed points of satisfied (or still open) alternative lists
    no longer deciding (``groups``: :func:`groups_of` for ``parsed``, if kept)."""
    if groups is None:
        groups = groups_of(parsed)
    if not groups:
        return results
    position = {r.index: i for i, r in enumerate(results)}
    out = list(results)
    for n, children in groups:
        judged = [out[position[c]] for c in children if c in position]
        if len(judged) < 2:
            continue
        if n == 0:
            _together(judged, out, position)
            continue
        met = sum(1 for r in judged if r.verdict is Verdict.MET)
        open_ = sum(1 for r in judged if r.verdict is Verdict.UNKNOWN)
        if met + open_ < n:
            continue  # too few can hold: the failed points decide
        for result in judged:
            if result.verdict is not Verdict.NOT_MET:
                continue
            if met >= n:
                verdict, why = Verdict.NOT_APPLICABLE, "another of the alternatives is met"
            else:
                verdict, why = Verdict.UNKNOWN, "one of alternatives; others are not known yet"
            out[position[result.index]] = replace(
                result, verdict=verdict, reason=f"{result.reason} ({why})", basis=Basis.FACT
            )
    return out


def _together(
    judged: list[CriterionResult], out: list[CriterionResult], position: dict[int, int]
) -> None:
    """Exclusion points joined by "and" exclude only together: a met point waits for the
    others (unknown) and stops deciding once one of them does not hold."""
    if all(r.verdict is Verdict.MET for r in judged):
        return
    failed = any(r.verdict is Verdict.NOT_MET for r in judged)
    for result in judged:
        if result.verdict is not Verdict.MET:
            continue
        if failed:
            verdict, why = Verdict.NOT_MET, "excludes only with the points joined to it by "
            why += '"and", and one of them does not apply'
        else:
            verdict, why = Verdict.UNKNOWN, 'excludes only with the points joined to it by "and"'
        out[position[result.index]] = replace(
            result, verdict=verdict, reason=f"{result.reason} ({why})", basis=Basis.FACT
        )
