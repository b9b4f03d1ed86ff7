"""A criterion's stage ("Stage IIB-III", "locally advanced or metastatic", "early-stage")
against the patient's.

The patient's stage is what the record says: distant metastases on record make it stage
IV whatever was said at diagnosis (the stage now is what a trial asks about); otherwise
the most advanced stage a condition states ("stage IIIB", "T3N1M0", "metastatic", read
from a note's sentence by :mod:`trialscope.criteria.stage`). Unknown stays unknown: the
criterion is asked ("Is the cancer stage IIB-III?"), never taken as met because the
disease it names is.
"""

from __future__ import annotations

import re

from trialscope.criteria import Mention
from trialscope.criteria.stage import METASTATIC, Range, Stage, find_stages, label, parse_concept
from trialscope.match.bounds import ask
from trialscope.match.facts import PatientFacts
from trialscope.match.verdicts import Basis, Evidence, Question, Verdict

Part = tuple[Verdict, str, Basis, list[Evidence], list[Question]]


def stage_of(text: str) -> Stage | None:
    """A recorded stage ("IV", "IIIB", "stage 3", "T3N1M0", "metastatic") read."""
    for candidate in (f"stage {text}", f"{text} cancer", text):
        found = find_stages(candidate)
        if found:
            return found[0]
    return None


def patient_stage(facts: PatientFacts) -> tuple[Range | None, list[Evidence]]:
    cached = facts.derived.get("stage")
    if isinstance(cached, tuple):
        return cached
    result: tuple[Range | None, list[Evidence]] = (None, [])
    spread = [
        f.condition for f in facts.has("lex:distant_metastases") if f.condition.status != "absent"
    ] + [c for c in facts.patient.conditions if c.metastasis_sites and c.status != "absent"]
    if spread:
        first = spread[0]
        result = (METASTATIC, [Evidence(f"{first.name}: metastatic (stage IV)", first.source)])
    else:
        best: tuple[Range, Evidence] | None = None
        for condition in facts.patient.conditions:
            if condition.status == "absent" or not condition.stage:
                continue
            stage = stage_of(condition.stage)
            if stage is None or not stage.ranges:
                continue
            # a stated stage is one stage; several ranges ("III or IV") say it less well
            low = min(r[0] for r in stage.ranges)
            high = max(r[1] for r in stage.ranges)
            if best is None or low > best[0][0]:
                fact = f"{condition.name}: {condition.stage}"
                best = ((low, high), Evidence(fact, condition.source))
        if best is not None:
            result = (best[0], [best[1]])
    facts.derived["stage"] = result
    return result


def judge_stage(mention: Mention, facts: PatientFacts, kind: str) -> Part:
    """Whether the item's stage requirement holds for the patient."""
    wanted = parse_concept(mention.concept)
    named = label(wanted)
    key = f"stage:{_slug(named)}"
    have, evidence = patient_stage(facts)
    answered = facts.patient.answers.get(key)
    holds = answered if answered is not None else _fits(wanted, have)
    if holds is not None:
        verdict = Verdict.MET if holds != mention.negated else Verdict.NOT_MET
        stated = evidence[0].fact.split(": ", 1)[-1] if evidence else "as answered"
        reason = f"stage {stated} fits {named}" if holds else f"the cancer is {stated}, not {named}"
        return verdict, reason, Basis.FACT, evidence, []
    question = ask(key, f"Is the cancer {named}?")
    exclusion = kind == "exclusion" and not mention.negated
    if have is None and facts.patient.complete_history and exclusion:
        # like any exclusion a full history does not mention: assumed absent, asked
        reason = f"{named}: not in the patient's history"
        return Verdict.NOT_MET, reason, Basis.ABSENCE, [], [question]
    stated = f" (the record says {evidence[0].fact})" if evidence else ""
    return (
        Verdict.UNKNOWN,
        f"stage not known{stated}: is it {named}?",
        Basis.NONE,
        evidence,
        [question],
    )


def _fits(wanted: Stage, have: Range | None) -> bool | None:
    if have is None or not wanted.ranges:
        return None
    if any(lo <= have[0] and have[1] <= hi for lo, hi in wanted.ranges):
        return True
    if not wanted.open and all(have[1] < lo or hi < have[0] for lo, hi in wanted.ranges):
        return False
    return None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]
