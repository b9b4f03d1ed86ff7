"""An exclusion read as excluding everyone the trial is for has been misread.

A trial's inclusions name the disease it takes ("Relapsed or refractory AML"). An
exclusion that names the same disease says something more about it that the rules did
not read: "Known CNS involvement by leukemia", "AML ... participants with prior
treatment with cellular therapy", "Persistent toxicity from prior chemotherapy" in a
trial for relapsed disease. Judged against a patient who has only that disease, such an
exclusion comes out met -- it would rule out the whole population the trial recruits,
which no exclusion does. Then the patient having the disease is no reason to exclude
them: the result becomes UNKNOWN, and a person reads what the exclusion adds.

A patient whose own record makes the exclusion met for another reason (acute
promyelocytic leukemia in an AML trial that excludes it) keeps the verdict: the test is
made with the disease the inclusion names, not with the patient's own diagnosis.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache

from trialscope.criteria import Item, ParsedCriteria
from trialscope.match.concepts import ancestors, find_concepts
from trialscope.match.facts import PatientFacts
from trialscope.match.judge import judge_item
from trialscope.match.patient import Condition, Patient, Therapy
from trialscope.match.verdicts import Basis, CriterionResult, Question, Verdict
from trialscope.match.wording import is_modifier, is_other, only_if_had, slug

#: what an inclusion asks the patient to have: (category, concept, the words naming it)
Member = tuple[str, str, str]


def population(parsed: ParsedCriteria) -> tuple[Member, ...]:
    """The conditions and therapies the trial's inclusions ask for, in the inclusions'
    own words ("relapsed or refractory AML", "prior chemotherapy")."""
    found: dict[tuple[str, str], str] = {}
    for item in parsed.items:
        if item.kind != "inclusion":
            continue
        for mention in item.mentions:
            category = mention.category
            # therapies in inclusions are mostly limits and timings ("completed
            # chemotherapy >= 4 weeks before"), not what every patient has had
            if category != "condition" or mention.negated:
                continue
            if mention.hypothetical or mention.family:
                continue
            if is_other(item, mention) or is_modifier(item, mention):
                continue
            if category == "prior_therapy" and only_if_had(item, mention):
                continue  # "≥ 2 weeks from prior chemotherapy" limits it, asks for none
            concept = mention.concept
            if category == "condition" and ":" not in concept:
                concept = f"lex:{concept}"
            found.setdefault((category, concept), mention.text)
    return tuple((category, concept, text) for (category, concept), text in found.items())


@lru_cache(maxsize=4096)
def member_facts(category: str, concept: str, text: str) -> PatientFacts:
    """A patient who has the named disease (or had the named therapy) and nothing else
    on record: the least any patient of the trial has."""
    if category == "condition":
        # every id space the words name, as a patient's own condition would have them
        # (by the vocabulary's name too: the lexicon does not know "leukemias")
        found = find_concepts(text)
        names = {text, *(f.name for f in found)}
        codes = sorted({concept, *(f.concept for name in names for f in find_concepts(name))})
        return PatientFacts.of(Patient(conditions=[Condition(name=text, codes=codes)]))
    return PatientFacts.of(Patient(therapies=[Therapy(name=text, classes=[concept])]))


def excludes_everyone(
    result: CriterionResult,
    item: Item,
    facts: PatientFacts,
    members: tuple[Member, ...],
    own: frozenset[str],
) -> CriterionResult:
    """``result`` unless it is a met exclusion that a bare member of the trial's
    population meets too."""
    if result.kind != "exclusion" or result.verdict is not Verdict.MET or not members:
        return result
    for category, concept, text in members:
        if not about_own(concept, own):
            continue  # not the disease the trial is about ("no melanoma except in situ")
        if category == "condition":
            shared = bool(facts.has(concept))
        else:
            shared = bool(facts.therapy_classes.get(concept))
        if not shared:
            continue  # the patient is not that member: nothing to compare
        seen = judge_item(item, member_facts(category, concept, text), "exclusion", own=own)
        member = member_facts(category, concept, text)
        if seen.verdict is not Verdict.MET or _says_more(result, item, text, facts, member):
            continue
        reason = (
            f"{result.reason}; but read this way it would exclude everyone with {text}, "
            "whom the trial's inclusions ask for: what it adds is not read — a person should check"
        )
        question = Question(key=f"criterion:{slug(item.text)}", text=_as_question(item.text))
        return replace(
            result, verdict=Verdict.UNKNOWN, basis=Basis.NONE, reason=reason, questions=(question,)
        )
    return result


def about_own(concept: str, own: frozenset[str]) -> bool:
    """``concept`` is one of the trial's own conditions, narrower or broader: every own
    concept, not the most specific (the merged vocabulary has holes: AML is not under DO
    "acute leukemia", which is under MeSH "Leukemia")."""
    return any(concept in ancestors(t) or t in ancestors(concept) for t in own)


_WORD = re.compile(r"[a-z]{4,}")


def _says_more(
    result: CriterionResult, item: Item, member: str, facts: PatientFacts, bare: PatientFacts
) -> bool:
    """The patient's record has words of the exclusion that the bare member lacks
    ("Metastatic breast cancer" for a patient with metastatic breast cancer in a trial
    whose inclusions say "breast cancer"): the exclusion is met for what it says. Words
    naming another disease the patient does not have ("Acute promyelocytic leukaemia or
    leukemia with CNS involvement"), or one the bare member has too, do not count."""
    text = item.text
    for mention in item.mentions:
        concept = mention.concept if ":" in mention.concept else f"lex:{mention.concept}"
        if mention.category == "condition" and (not facts.has(concept) or bare.has(concept)):
            start, end = mention.span[0] - item.span[0], mention.span[1] - item.span[0]
            text = text[:start] + " " * (end - start) + text[end:]
    words = _stems(text) - _stems(member)
    said = {w for e in result.evidence for w in _stems(e.fact)}
    return bool(words & said - _PLAIN)


def _stems(text: str) -> set[str]:
    # six letters: "leukemias" is "leukemia", "metastatic" is "metastases"
    return {w[:6] for w in _WORD.findall(text.lower())}


#: words of a record's fact that say nothing about the disease itself
_PLAIN = frozenset({"active", "histor", "with", "from", "have", "patien"})


def _as_question(text: str) -> str:
    text = text.strip().rstrip(".;:")
    return (text[:117] + "…" if len(text) > 120 else text) + "?"
