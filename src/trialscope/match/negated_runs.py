"""Runs of names where some are denied: whether the item takes them as alternatives.

Runs of names are alternatives by default. Three readings of a denial override that:
"No pregnancy or myasthenia gravis" denies the whole list (each must be absent);
"COPD, non smoker" asks for the absence too (a smoker fails it); and an exclusion that
names a disease and also denies one ("CSF dissemination only without parenchymal brain
metastases") excludes for what it names, the denial only describing it.
"""

from __future__ import annotations

import re

from trialscope.criteria import Item, Mention
from trialscope.match.verdicts import Part, Verdict, both

Runs = tuple[tuple[tuple[Mention, ...], ...], ...]

_NAMES = ("condition", "prior_therapy")
_SHORT_ITEM_WORDS = 8


def with_negated_runs(item: Item, runs: Runs, parts: list[Part], kind: str) -> Part | None:
    """The item's part when a denial decides how its runs combine; None to take them as
    alternatives."""
    if kind == "exclusion":
        return _absence_beside_a_name(runs, parts)
    if _one_negated_list(item, runs):
        # the negation takes the whole list, so each must be absent (as alternatives, the
        # absent pregnancy met "No pregnancy or myasthenia gravis" for a patient with MG)
        return both(parts)
    return _failed_absence(item, runs, parts)


def _absence_beside_a_name(runs: Runs, parts: list[Part]) -> Part | None:
    """An exclusion that names a disease or therapy and also denies one ("CSF dissemination
    only without parenchymal brain metastases", "Uncontrolled infection … or inability to
    rule out infections", "prior CNS disease eligible as long as no active CNS disease")
    excludes for what it names: the denial describes it, or lets patients in. A patient
    without the named thing is not ruled out by lacking the denied one as well (it had
    excluded every healthy volunteer from such trials). None unless that is the case."""
    denied = [all(m.negated and m.category in _NAMES for slot in run for m in slot) for run in runs]
    named = [
        i
        for i, run in enumerate(runs)
        if not denied[i] and any(m.category in _NAMES and not m.negated for s in run for m in s)
    ]
    met = [i for i, part in enumerate(parts) if part[0] is Verdict.MET]
    if not met or not named or not all(denied[i] for i in met):
        return None
    failed = [parts[i] for i in named if parts[i][0] is Verdict.NOT_MET]
    return failed[0] if len(failed) == len(named) else None


def _failed_absence(item: Item, runs: Runs, parts: list[Part]) -> Part | None:
    """ "COPD, non smoker": a negated name after another asks for that absence too, not
    for one of the two; a heavy smoker fails it. None unless such a part fails, or the
    names are alternatives ("… or no prior chemotherapy")."""
    if len(runs) != 2 or len(item.text.split()) > _SHORT_ITEM_WORDS:
        return None  # in a longer item a "no"/"without" is often for whom, or a kind
    mentions = [m for slot in runs[1] for m in slot]
    if parts[1][0] is not Verdict.NOT_MET or not all(m.negated for m in mentions):
        return None
    base, previous = item.span[0], runs[0][-1][-1]
    gap = item.text[previous.span[1] - base : mentions[0].span[0] - base]
    return None if re.search(r"\bor\b|/", gap, re.I) else parts[1]


# the item opens with its negation ("No ...", "Chemotherapy: No prior ...", "Absence of")
_NEGATION_FIRST = re.compile(
    r"^\W*(?:[A-Z][\w /-]{0,40}:\s*)?(?:no|not|none|never|absence\s+of|without|free\s+of)\b",
    re.I,
)
# a list that goes on to say what is required or let through is more than one negation
# ("No prior chemotherapy for metastatic breast cancer Induction chemotherapy required")
_LIST_GOES_ON = re.compile(
    r"\b(?:required|allowed|permitted|eligible|acceptable|unless|except|but|if)\b|\.\s", re.I
)


def _one_negated_list(item: Item, runs: Runs) -> bool:
    if not all(m.negated for run in runs for slot in run for m in slot):
        return False
    return bool(_NEGATION_FIRST.match(item.text)) and not _LIST_GOES_ON.search(item.text)
