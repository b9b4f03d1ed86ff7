"""Vaccines named by the disease they prevent: "COVID-19 vaccine", "prior hepatitis B
vaccination", "vaccinated against yellow fever", "two doses of HPV vaccine".

The disease in such words is the vaccine's target, not a condition the patient has:
read as a condition, "History of smallpox vaccination" asked everyone for smallpox,
"Prior HIV vaccines" ruled out every patient with HIV, and "Subjects who have not been
vaccinated against COVID-19" every patient who had COVID-19. Here the disease words
become the target of a ``vaccination`` mention and stop being a condition.

The same reader serves criteria and patient notes, so both sides name a target alike
(:func:`target_concept`: the parser's lexicon id where it has one, else the vocabulary's).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache

#: every wording read here contains one of these (a substring test first: most items lack one)
_STEMS = ("vaccin", "immuni", "toxoid", "booster")

_VACCINE = re.compile(
    r"\b(?P<un>un-?)?(?:vaccin(?:e|es|ation|ations|ated)|immuni[sz](?:ation|ations|ed)"
    r"|toxoids?|boosters?)\b",
    re.I,
)
# between the disease and the vaccine word: "COVID-19 registered vaccines", "influenza
# virus vaccine", "Vaccinia (smallpox) vaccination", "COVID-19 mRNA booster"
_GAP_BEFORE = re.compile(
    r"[\s)\-]*(?:(?:registered|approved|authori[sz]ed|licensed|mrna|inactivated|live|attenuated"
    r"|virus|viral|recombinant|conjugate|polysaccharide|investigational|experimental"
    r"|candidate|preventive|prophylactic|seasonal|booster|primary|series|subunit|killed)"
    r"[\s-]+){0,3}",
    re.I,
)
# after it: "vaccinated against COVID-19", "vaccine for hepatitis B", "immunization to prevent"
_GAP_AFTER = re.compile(
    r"\s+(?:against|for|to\s+prevent)\s+(?:the\s+|an?\s+)?(?:(?:seasonal|novel)\s+)?", re.I
)
# two targets for one vaccine word: "hepatitis A and B vaccines", "influenza or COVID-19 vaccine"
_COORDINATED = re.compile(r"\s*(?:,|/|\band\b|\bor\b|\band/or\b)\s*", re.I)
# "who have refused the SARS-CoV-2 vaccine": a vaccine not had
_REFUSED = re.compile(
    r"\b(?:refus\w*|declin\w*)\b(?:\s+(?:to\s+\w+\s+)?(?:the|an?|any))?\s*$", re.I
)
_HARM_AFTER = re.compile(
    r"[\s-]*(?:related|associated|induced|adverse|reactions?|injur\w*|side[\s-]+effects?"
    r"|complications?)\b",
    re.I,
)
_BRACKET = re.compile(r"\s*\(\s*")
# how many doses: "at least one dose of", "three doses of a", "2 shots of the"
_DOSES = re.compile(
    r"(?:(?P<least>at\s+least|a\s+minimum\s+of|minimum\s+of|≥|>=)\s*)?"
    r"(?P<n>\d|one|two|three|four|five|a\s+single|single)\s+(?:doses?|shots?|injections?)"
    r"\s+of\s+(?:(?:a|an|the|any)\s+)?$",
    re.I,
)
_DOSES_HEAD = re.compile(_DOSES.pattern.removesuffix("$"), re.I)
_NUMBERS = {"one": 1, "single": 1, "a single": 1, "two": 2, "three": 3, "four": 4, "five": 5}


@dataclass(frozen=True, slots=True)
class VaccineWords:
    """One vaccine named by its target: ``concept`` the target disease's id, ``target``
    the disease spans (``(start, end)``), ``start``/``end`` the whole wording (doses
    included), ``doses`` the number of doses asked (None: any), ``denied`` when the words
    themselves deny it ("unvaccinated")."""

    concept: str
    target: tuple[tuple[int, int], ...]
    start: int
    end: int
    doses: int | None
    denied: bool
    #: the words name a harm of the vaccine ("COVID-19 vaccine related medical conditions",
    #: "vaccine-induced thrombosis"): its disease is still its target, but having had the
    #: vaccine is not what is asked
    harm: bool = False


def find_vaccinations(
    text: str, start: int, end: int, diseases: Iterable[tuple[int, int, str]]
) -> list[VaccineWords]:
    """The vaccines in ``text[start:end]`` named by a disease of ``diseases`` (spans and
    ids the caller found in the same text)."""
    if not any(stem in text[start:end].lower() for stem in _STEMS):
        return []
    spans = _by_span(diseases)
    out = []
    for word in _VACCINE.finditer(text, start, end):
        target = _target_before(text, start, word.start(), spans) or _target_after(
            text, word.end(), end, spans
        )
        if not target:
            continue
        lo = min(word.start(), target[0][0][0])
        doses = _DOSES.search(text, max(start, lo - 40), lo)
        if doses is not None:
            lo = doses.start()
        denied = bool(word.group("un") or _REFUSED.search(text, max(start, lo - 40), lo))
        harm = _HARM_AFTER.match(text, word.end(), end) is not None
        # one mention per target, so "influenza or COVID-19 vaccine" reads as either:
        # the first targets end at their own name, the last takes the vaccine word
        for number, group in enumerate(target):
            last = number == len(target) - 1
            out.append(
                VaccineWords(
                    concept=spans[group[-1]],
                    target=tuple(group),
                    start=lo if number == 0 else group[0][0],
                    end=max(word.end(), group[-1][1]) if last else group[-1][1],
                    doses=dose_count(doses.group("n")) if doses else None,
                    denied=denied,
                    harm=harm,
                )
            )
    return out


#: the diseases of a text span, found on first call (:func:`disease_finder`)
Diseases = Callable[[], list[tuple[int, int, str]]]


def disease_finder(
    text: str, start: int, end: int, hits: Iterable[tuple[int, int, str, str, str]] | None = None
) -> Diseases:
    """:func:`diseases_in`, run once on first call: the vaccine and named-after readers
    share it, and most spans need neither."""
    return cache(lambda: diseases_in(text, start, end, hits))


def vaccines_in(
    text: str, start: int = 0, end: int | None = None, diseases: Diseases | None = None
) -> list[VaccineWords]:
    """:func:`find_vaccinations` with the diseases found here (``diseases``: a shared
    :func:`disease_finder` of the same span)."""
    end = len(text) if end is None else end
    if not any(stem in text[start:end].lower() for stem in _STEMS):
        return []
    found = diseases or disease_finder(text, start, end)
    return find_vaccinations(text, start, end, found())


def target_of(words: str) -> str | None:
    """The disease id of words naming a vaccine's target ("COVID-19", "Influenza virus
    vaccine, inactivated"): the first disease they name."""
    spans = _by_span(diseases_in(words, 0, len(words)))
    return spans[min(spans)] if spans else None


def doses_asked(words: str) -> int | None:
    """The number of doses a vaccination mention's words ask for (None: any); the words
    start with the doses when they name some ("at least one dose of COVID-19 vaccine")."""
    found = _DOSES_HEAD.match(words)
    return dose_count(found.group("n")) if found else None


def diseases_in(
    text: str, start: int, end: int, hits: Iterable[tuple[int, int, str, str, str]] | None = None
) -> list[tuple[int, int, str]]:
    """The diseases named in ``text[start:end]`` as (start, end, id): the parser's
    lexicon first (``covid19`` for "COVID-19" and "SARS-CoV-2" alike), then the
    vocabulary's. ``hits``: the lexicon hits when the caller has them already."""
    from trialscope.criteria.concepts import concept_lexicon
    from trialscope.criteria.vocabulary import find_specific

    if hits is None:
        hits = [
            (hit.start, hit.end, *hit.value, hit.text)
            for hit in concept_lexicon().finditer(text, start, end)
        ]
    lexicon = [
        (lo, hi, concept) for lo, hi, category, concept, _ in hits if category == "condition"
    ]
    return lexicon + find_specific(text, start, end)


def _by_span(diseases: Iterable[tuple[int, int, str]]) -> dict[tuple[int, int], str]:
    """One id per disease span, the lexicon's first (callers list lexicon hits first);
    a span inside a longer one is dropped ("hepatitis" in "hepatitis B")."""
    spans: dict[tuple[int, int], str] = {}
    for lo, hi, concept in diseases:
        spans.setdefault((lo, hi), concept)
    return {
        span: concept
        for span, concept in spans.items()
        if not any(o != span and o[0] <= span[0] and span[1] <= o[1] for o in spans)
    }


def _target_before(
    text: str, start: int, at: int, spans: dict[tuple[int, int], str]
) -> list[list[tuple[int, int]]]:
    """The targets named before the vaccine word, each a list of spans (a name and its
    bracketed synonym: "Vaccinia (smallpox)")."""
    for span in spans:
        if span[1] <= at and _GAP_BEFORE.fullmatch(text, span[1], at):
            found = [[span]]
            # "tetanus/diphtheria or hepatitis B booster", "Vaccinia (smallpox)
            # vaccination": names before an "or", a slash or a bracket are targets too
            while True:
                first = found[0][0][0]
                before = [o for o in spans if o[1] <= first]
                if synonym := [o for o in before if _BRACKET.fullmatch(text, o[1], first)]:
                    found[0].insert(0, synonym[0])
                elif other := [o for o in before if _COORDINATED.fullmatch(text, o[1], first)]:
                    found.insert(0, [other[0]])
                else:
                    return found
    return []


def _target_after(
    text: str, at: int, end: int, spans: dict[tuple[int, int], str]
) -> list[list[tuple[int, int]]]:
    gap = _GAP_AFTER.match(text, at, end)
    if gap is None:
        return []
    return [[span] for span in spans if span[0] == gap.end()][:1]


def dose_count(written: str) -> int:
    """ "two" -> 2, "a single" -> 1, "3" -> 3 (the dose words this module's patterns take)."""
    folded = " ".join(written.lower().split())
    return int(folded) if folded.isdigit() else _NUMBERS[folded]
