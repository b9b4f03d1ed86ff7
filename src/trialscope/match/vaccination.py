"""Vaccinations: a criterion's vaccine (``criteria.vaccination``: "Received at least one
dose of COVID-19 vaccine", "Prior HIV vaccines") against :attr:`Patient.vaccinations`.

Notes say it as a label ("Vaccination status: unvaccinated.", "Vaccination status:
2-shot + booster.") or in the story ("received two doses of the COVID-19 vaccine",
"has not been vaccinated against influenza"). A status that names no vaccine
("unvaccinated", "1 shot mRNA") is of the vaccine against the disease the patient has
(the COVID-19 questionnaire's status is of COVID-19 vaccines); of any other vaccine it says
nothing, and that vaccine is asked.
Vaccinations are rarely written down, so an unsaid one is a question, never assumed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from trialscope.criteria import Item, Mention
from trialscope.criteria.vaccination import dose_count, doses_asked, target_of, vaccines_in
from trialscope.match.bounds import ask, verdict_of
from trialscope.match.facts import PatientFacts
from trialscope.match.fhir_values import concept_text, fhir_date, provenance
from trialscope.match.patient import Vaccination
from trialscope.match.verdicts import Basis, Evidence, Part, Question, Verdict

#: question keys: ``vaccination:<target>`` (yes/no), ``vaccination_doses:<target>`` (a number)
ASK = "vaccination"
ASK_DOSES = "vaccination_doses"


def judge_vaccination(item: Item, mention: Mention, facts: PatientFacts) -> Part:
    """Whether the patient had the vaccine the mention names (and its doses)."""
    wanted = doses_asked(mention.text)
    name = _target_words(mention.text)
    records = [v for v in facts.patient.vaccinations if v.against == mention.concept]
    unnamed = [v for v in facts.patient.vaccinations if v.against is None]
    target = mention.concept if ":" in mention.concept else f"lex:{mention.concept}"
    if not records and unnamed and facts.has(target):
        # a COVID-19 patient's "Vaccination status: 2-shot + booster" is of COVID-19
        # vaccines: a status naming no vaccine speaks of the disease the patient has
        records = unnamed
    if not records:
        reason = f"{name} vaccination: not known"
        if unnamed:
            reason = f"{reason} (the vaccination status, {unnamed[0].name}, names no vaccine)"
        # no evidence: what the status says is not about this vaccine
        return Verdict.UNKNOWN, reason, Basis.NONE, [], [_question(mention, name)]
    evidence = _evidence(records)
    received = [v for v in records if v.doses != 0]
    if not received:
        holds = False
        reason = f"{name} vaccination: none"
    else:
        known = [v.doses for v in received if v.doses is not None]
        doses = max(known) if known else None
        if wanted is not None and wanted > 1 and doses is None:
            question = ask(
                f"{ASK_DOSES}:{mention.concept}", f"How many doses of {name} vaccine?", "number"
            )
            reason = f"vaccinated against {name}, but how many doses is not known"
            return Verdict.UNKNOWN, reason, Basis.NONE, evidence, [question]
        if item.windows and not (wanted and doses is not None and doses < wanted):
            # "COVID-19 vaccine within the last 14 days": when, which no record here holds
            reason = f"vaccinated against {name}, but when is not known"
            return Verdict.UNKNOWN, reason, Basis.NONE, evidence, []
        holds = wanted is None or doses is None or doses >= wanted
        given = f"{doses} dose{'s' if doses != 1 else ''}" if doses is not None else "vaccinated"
        reason = f"{name} vaccination: {given}"
    holds = holds != mention.negated
    return verdict_of(holds), reason, Basis.FACT, evidence, []


def _question(mention: Mention, name: str) -> Question:
    return ask(f"{ASK}:{mention.concept}", f"Vaccinated against {name}?")


def _evidence(records: list[Vaccination]) -> list[Evidence]:
    return [Evidence(f"vaccination: {v.name}", v.source) for v in records]


_VACCINE_WORDS = re.compile(
    r"^.*?\b(?:doses?|shots?|injections?)\s+of\s+(?:(?:a|an|the|any)\s+)?|\bun-?vaccinated\b"
    r"|\b(?:vaccin\w*|immuni[sz]\w*|toxoids?|boosters?)\b(?:\s+(?:against|for|to\s+prevent))?"
    r"|\b(?:registered|approved|mrna|inactivated|live|attenuated)\b|[()]",
    re.I,
)


def _target_words(text: str) -> str:
    """ "at least one dose of COVID-19 registered vaccines" -> "COVID-19"."""
    return " ".join(_VACCINE_WORDS.sub(" ", text).split()) or text


# -- notes --------------------------------------------------------------------------------

# "Vaccination status: unvaccinated.", "Vaccination status: 2-shot + booster.",
# "Vaccination: none", "COVID-19 vaccination status: fully vaccinated"
_LABEL = re.compile(
    r"\b(?:vaccinations?|immuni[sz]ations?|vaccines?)(?:\s+(?:status|history))?\s*[:=\-]\s*"
    r"(?P<value>[^.;\n]+)",
    re.I,
)
_NONE = re.compile(r"^\s*(?:un-?vaccinated|none|no|never|not\s+vaccinated|nil)\b", re.I)
_SHOTS = re.compile(r"\b(?P<n>\d|one|two|three|four|five|single)[\s-]*(?:shots?|doses?)\b", re.I)
_BOOSTERS = re.compile(r"\bboosters?\b|\bboosted\b", re.I)
# "has not been vaccinated against influenza", "never received the COVID-19 vaccine"
# ("No reaction to the influenza vaccine" is a vaccine had: a bare "no" denies nothing)
_DENIED = re.compile(
    r"\b(?:not|never|no\s+(?:prior|previous|history\s+of)|unvaccinated|declined|refused"
    r"|denies)\b[^.;]{0,40}$",
    re.I,
)
_NOT_NOW = re.compile(r"\b(?:will|plans?|planned|scheduled|due|recommended|offered)\b", re.I)


def vaccinations_said(clause: str) -> Iterator[Vaccination]:
    """The vaccinations one sentence of a note gives (without provenance)."""
    label = _LABEL.search(clause)
    if label is not None:
        value = label.group("value").strip()
        named = list(_named(clause))  # "COVID-19 vaccination status: ..." names it
        against = named[0][0] if named else None
        if _NONE.search(value):
            yield Vaccination(against=against, name=value, doses=0)
            return
        yield Vaccination(against=against, name=value, doses=_shots(value))
        return
    if _NOT_NOW.search(clause):
        return
    for concept, start, doses in _named(clause):
        denied = _DENIED.search(clause, 0, start) is not None
        yield Vaccination(against=concept, name=clause.strip(), doses=0 if denied else doses)


def _named(text: str) -> Iterator[tuple[str, int, int | None]]:
    for words in vaccines_in(text):
        # a harm of the vaccine ("vaccine-related myocarditis") says it was had, too
        yield words.concept, words.start, (0 if words.denied else words.doses)


def _shots(value: str) -> int | None:
    """ "2-shot + booster" -> 3, "1 shot mRNA" -> 1, "fully vaccinated" -> None."""
    found = _SHOTS.search(value)
    if found is None:
        return None
    return dose_count(found.group("n")) + len(_BOOSTERS.findall(value[found.end() :]))


def vaccination_from_words(words: str) -> Vaccination | None:
    """A structured file's entry ("COVID-19 vaccine", "3 doses of COVID-19 vaccine",
    "unvaccinated"); None when no disease is named."""
    if _NONE.search(words):
        return Vaccination(against=target_of(words), name=words, doses=0)
    found = vaccines_in(words) or vaccines_in(f"{words} vaccine")
    if found:
        doses = found[0].doses if found[0].doses is not None else _shots(words)
        return Vaccination(against=found[0].concept, name=words, doses=doses)
    against = target_of(words)
    return None if against is None else Vaccination(against=against, name=words)


def vaccination_from_fhir(where: str, res: Any) -> Vaccination | None:
    """An Immunization resource: its target disease (``protocolApplied.targetDisease``,
    else the vaccine's words), dose number and date; "not-done" is a vaccine not given."""
    if res.status == "entered-in-error":
        return None
    applied = res.protocolApplied[0] if res.protocolApplied else None
    targets = [concept_text(t) for t in (applied.targetDisease or [])] if applied else []
    name = concept_text(res.vaccineCode) or ""
    against = next((t for t in map(target_of, filter(None, targets)) if t), None)
    against = against or target_of(name)
    if against is None:
        return None
    doses = applied.doseNumberPositiveInt if applied else None
    return Vaccination(
        against=against,
        name=name,
        doses=0 if res.status == "not-done" else doses,
        date=fhir_date(res.occurrenceDateTime),
        source=provenance(where, res, name),
    )
