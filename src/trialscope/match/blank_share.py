"""A trial's blank results for both sexes, each item judged once where sex is not read.

Stored views hold every item's result for four blank patients (``views.PROFILES``): a
woman and a man, each with a complete history or not. The two of one completeness differ
only in their sex, and nearly every item's judgement never looks at it (5.8% of the
blank judgements of 300 open trials read it: "about women; the patient is male" and the
like). So the first of such a pair is judged with a patient that counts reads of its sex
(:class:`Watched`), and each result judged without one is given to the second as its
own: the judge is deterministic and both patients' facts are equal but for the sex, so
the second judgement would take the same path to the same result. Values worked out
from the facts on first use (``PatientFacts.derived``) are forgotten before each such
judgement, so one worked out from the sex in an earlier item is read again, and
counted, in every item that reads it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from trialscope.criteria import Item, ParsedCriteria
from trialscope.match.bulk import BulkJudge, CompiledTrial, Profile, blank_facts, fill_blank
from trialscope.match.facts import PatientFacts
from trialscope.match.patient import Patient
from trialscope.match.trials import judge_items
from trialscope.match.verdicts import CriterionResult

_OTHER = {"female": "male", "male": "female"}


class _Reads(threading.local):
    """Per thread (views are also made in a server's background thread): the reads of a
    watched patient's sex so far, and the watched blank patients (their ``derived`` is
    forgotten before each judgement, which another thread must not do meanwhile)."""

    def __init__(self) -> None:
        self.count = 0
        self.facts: dict[Profile, PatientFacts | None] = {}


_reads = _Reads()


class Watched(Patient):
    """A patient that counts the reads of its sex."""

    def __getattribute__(self, name: str) -> Any:
        if name == "sex":
            _reads.count += 1
        return super().__getattribute__(name)


def _watched(profile: Profile) -> PatientFacts | None:
    """The blank patient of ``profile``, watched; None if making its facts read the sex
    (then nothing judged with them can be shared)."""
    if profile not in _reads.facts:
        sex, complete = profile
        before = _reads.count
        facts = PatientFacts.of(Watched(sex=sex, complete_history=complete))
        _reads.facts[profile] = facts if _reads.count == before else None
    return _reads.facts[profile]


Shared = dict[tuple[int, str | None, bool], CriterionResult]


def fill_blanks(
    compiled: CompiledTrial,
    parsed: ParsedCriteria,
    own: frozenset[str],
    profiles: Sequence[Profile],
) -> None:
    """``bulk.fill_blank`` for each of ``profiles`` in turn, into ``compiled``: the same
    results in the same order, with the items a profile's twin (the other sex) judged
    without reading the sex judged once for both."""
    shared: dict[Profile, Shared] = {}
    for profile in profiles:
        if profile in compiled.blank:
            continue
        sex, complete = profile
        twin: Profile = (_OTHER.get(sex or ""), complete)
        given = shared.pop(twin, None)
        facts = _watched(profile) if given is None and twin[0] and twin in profiles else None
        if given is not None:
            _fill(compiled, parsed, own, profile, blank_facts(profile), given)
        elif facts is not None:
            shared[profile] = _fill(compiled, parsed, own, profile, facts, None)
        else:
            fill_blank(compiled, parsed, own, profile)


def _fill(
    compiled: CompiledTrial,
    parsed: ParsedCriteria,
    own: frozenset[str],
    profile: Profile,
    facts: PatientFacts,
    given: Shared | None,
) -> Shared:
    """``fill_blank`` with ``facts``: with ``given``, an item's result found there is
    taken as judged (kept where and when the judge would keep it, so the stored order is
    the same); without, ``facts`` are watched and the results judged without a read of
    the sex are returned."""
    judge = BulkJudge(facts)._judge(compiled, facts, profile, frozenset())
    cached = compiled.blank_items
    free: Shared = {}

    def shared_or_judged(
        item: Item,
        _facts: PatientFacts,
        kind: str | None = None,
        *,
        requirements: bool = False,
        own: frozenset[str] = frozenset(),
    ) -> CriterionResult:
        key = (profile, item.index, kind, requirements)
        if key in cached:
            return cached[key]
        if given is not None:
            found = given.get(key[1:])
            if found is not None:
                cached[key] = found
                return found
            return judge(item, facts, kind, requirements=requirements, own=own)
        facts.derived.clear()
        before = _reads.count
        result = judge(item, facts, kind, requirements=requirements, own=own)
        if _reads.count == before:
            free[key[1:]] = result
        return result

    compiled.blank[profile] = judge_items(parsed, facts, own, shared_or_judged, compiled.plan)
    return free
