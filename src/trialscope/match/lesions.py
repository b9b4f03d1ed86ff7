"""Counts and sites of metastases in a note: "8 synchronous unresectable liver
metastases", "2 lesions in the liver", "a brain metastasis", "metastatic to the liver
and lungs".

Each mention becomes a :class:`LesionMention` (site, count, span); the note reader puts
them on the patient's conditions (``lesion_count``, ``metastasis_sites``) so a count
criterion ("≤ 5 liver metastases") can be decided. Words that do not give a number
("multiple", "several", "innumerable") give the site without a count: the count stays
unknown and the matcher asks.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from trialscope.criteria.assertions import assert_span, clean_triggers, triggers
from trialscope.match.patient import Condition, Patient, Provenance

#: site as the count variables name it -> the words notes use for it
SITES: dict[str, tuple[str, ...]] = {
    "liver": ("liver", "hepatic", "intrahepatic", "intra-hepatic"),
    "brain": ("brain", "cerebral", "intracranial", "intra-cranial", "cns"),
    "lung": ("lung", "lungs", "pulmonary"),
    "bone": ("bone", "bones", "osseous", "skeletal", "bony"),
    "peritoneal": ("peritoneal", "peritoneum"),
    "adrenal": ("adrenal",),
    "lymph node": ("lymph node", "lymph nodes", "nodal"),
}
_SITE_OF = {word: site for site, words in SITES.items() for word in words}
_SITE_WORDS = "|".join(sorted((re.escape(w) for w in _SITE_OF), key=len, reverse=True))

_NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "single": 1,
    "solitary": 1,
    "isolated": 1,
    "unique": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}
_COUNT = r"(?<![\w.,/-])(?P<count>\d{1,2}|" + "|".join(_NUMBER_WORDS) + r")"
# describing words between the number and the noun: "synchronous unresectable", "small
# bilobar", "3 cm" -- never a preposition, verb or unit of time that would join phrases
_NOT_A_DESCRIBER = (
    r"(?:of|in|to|and|or|with|without|was|were|is|are|has|had|have|ago|prior|years?|months?"
    r"|weeks?|days?|hours?|cycles?|lines?|courses?|doses?|times?|mg|g|ml|patients?|sites?)"
)
_DESCRIBERS = (
    r"(?:(?:\d+(?:\.\d+)?\s*(?:cm|mm)|(?!" + _NOT_A_DESCRIBER + r"\b)[a-z][a-z-]*)\s+){0,4}?"
)
_NOUN = (
    r"(?P<noun>metastas[ie]s|metastatic (?:lesions?|deposits?|foci)|mets|lesions?|nodules?"
    r"|deposits?|tumou?rs?)"
)
_SITE = r"(?P<site>" + _SITE_WORDS + r")"

# "8 synchronous unresectable liver metastases", "a brain metastasis", "two lung nodules"
_COUNT_SITE_NOUN = re.compile(_COUNT + r"\s+" + _DESCRIBERS + _SITE + r"\s+" + _NOUN + r"\b", re.I)
# "2 lesions in the liver", "three metastases involving the brain"
_COUNT_NOUN_SITE = re.compile(
    _COUNT
    + r"\s+"
    + _DESCRIBERS
    + _NOUN
    + r"\s+(?:(?:are\s+|were\s+)?(?:seen\s+|present\s+|noted\s+)?)"
    + r"(?:in|of|within|involving|to|throughout)\s+(?:the\s+|both\s+)?(?:\w+\s+){0,2}?"
    + _SITE
    + r"\b",
    re.I,
)
# "2 lesions", "3 metastases" (site from the sentence, if any)
_COUNT_NOUN = re.compile(_COUNT + r"\s+" + _DESCRIBERS + _NOUN + r"\b", re.I)
# "liver metastases (n = 8)", "number of liver metastases: 3"
_NOUN_EQUALS = re.compile(
    r"(?:number of\s+)?"
    + _SITE
    + r"\s+"
    + _NOUN
    + r"\s*(?:\(\s*n\s*=\s*|:\s*|=\s*)(?P<count>\d{1,2})\b",
    re.I,
)
# "metastatic to the liver and lungs", "metastases to liver, lung and bone"
_SPREAD = re.compile(
    r"\bmetasta(?:tic|sis|ses|sized|sised)\s+(?:disease\s+)?(?:to|in|involving)\s+(?:the\s+|both\s+)?"
    r"(?P<sites>(?:(?:" + _SITE_WORDS + r")(?:\s*,\s*|\s+and\s+|\s+or\s+)(?:the\s+)?)*"
    r"(?:" + _SITE_WORDS + r"))\b",
    re.I,
)
# "liver and lung metastases": every site of the list
_SITE_LIST = re.compile(
    r"\b(?P<sites>(?:(?:" + _SITE_WORDS + r")(?:\s*,\s*|\s+and\s+))+(?:" + _SITE_WORDS + r"))\s+"
    r"(?:metastas[ie]s|mets|lesions)\b",
    re.I,
)
_ONE = {"a", "an", "one", "single", "solitary", "isolated", "unique", "1"}


@dataclass(frozen=True, slots=True)
class LesionMention:
    site: str | None  # a key of SITES, or None for "2 lesions"
    count: int | None  # None: the site is named without a number
    span: tuple[int, int]
    metastatic: bool  # named as metastases (not only "lesions" / "nodules")


def find_lesions(text: str, lo: int = 0, hi: int | None = None) -> list[LesionMention]:
    """Count and site mentions in ``text[lo:hi]`` (spans in ``text``'s offsets)."""
    hi = len(text) if hi is None else hi
    found: list[LesionMention] = []
    taken: list[tuple[int, int]] = []

    def free(span: tuple[int, int]) -> bool:
        return all(span[1] <= a or span[0] >= b for a, b in taken)

    for pattern in (_COUNT_SITE_NOUN, _COUNT_NOUN_SITE, _NOUN_EQUALS):
        for match in pattern.finditer(text, lo, hi):
            count = _count(match.group("count"), match.group("noun"))
            if count is None or not free(match.span()):
                continue
            taken.append(match.span())
            site = _SITE_OF[match.group("site").lower()]
            found.append(LesionMention(site, count, match.span(), _metastatic(match)))
    for match in _COUNT_NOUN.finditer(text, lo, hi):
        count = _count(match.group("count"), match.group("noun"))
        if count is None or not free(match.span()):
            continue
        taken.append(match.span())
        found.append(LesionMention(None, count, match.span(), _metastatic(match)))
    for pattern in (_SPREAD, _SITE_LIST):
        for match in pattern.finditer(text, lo, hi):
            if not free(match.span()):
                continue
            for word in re.split(r"\s*,\s*|\s+and\s+|\s+or\s+", match.group("sites")):
                word = word.lower().removeprefix("the ").strip()
                if word in _SITE_OF:
                    found.append(LesionMention(_SITE_OF[word], None, match.span(), True))
    return sorted(found, key=lambda m: m.span)


def _count(word: str, noun: str) -> int | None:
    """The number a count word gives, if it agrees with the noun's number."""
    word = word.lower()
    value = int(word) if word.isdigit() else _NUMBER_WORDS[word]
    noun = noun.lower()
    singular = noun.endswith("metastasis") or not noun.endswith(("s", "foci"))
    if singular != (word in _ONE):
        return None  # "a 2 lesions", "3 metastasis": not a count we trust
    return value if 0 < value <= 50 else None


def _metastatic(match: re.Match[str]) -> bool:
    return match.group("noun").lower().startswith(("metasta", "mets"))


def add_lesions(
    patient: Patient, text: str, lo: int, hi: int, quote: Callable[[int, int], Provenance]
) -> None:
    """Put the counts and sites of ``text[lo:hi]`` on the patient's conditions.

    A mention lands on the conditions the concept finder read from the same words ("8
    liver metastases" -> the liver metastases condition); else on a condition of the same
    site read elsewhere in the note ("Liver metastases. MRI: 2 lesions in the liver.");
    else it becomes a condition of its own ("liver metastases", "lesions"). A negated,
    hypothetical or family mention adds nothing."""
    mentions = find_lesions(text, lo, hi)
    if not mentions:
        return
    trig = clean_triggers(triggers(text, lo, hi))
    sentence_sites = {m.site for m in mentions if m.site is not None}
    for mention in mentions:
        assertion = assert_span(text, *mention.span, trig, lo, hi)
        if assertion.negated or assertion.family or assertion.hypothetical:
            continue
        site = mention.site
        if site is None and len(sentence_sites) == 1:
            site = next(iter(sentence_sites))  # "Liver MRI: 3 lesions, the largest 2 cm"
        targets = _overlapping(patient, mention.span, site) or _of_site(patient, site)
        if not targets:
            targets = [_new_condition(mention, site, quote)]
            patient.conditions.append(targets[0])
        for condition in targets:
            if mention.count is not None and condition.lesion_count is None:
                condition.lesion_count = mention.count
            if site is not None and mention.metastatic and site not in condition.metastasis_sites:
                condition.metastasis_sites.append(site)


def _overlapping(patient: Patient, span: tuple[int, int], site: str | None) -> list[Condition]:
    """Conditions the finder read from inside the mention ("liver metastases" of "8
    liver metastases"); a primary tumour named around it is not one of them."""
    found = []
    for condition in patient.conditions:
        where = condition.source.span
        if condition.status == "absent" or condition.source.kind != "note" or where is None:
            continue
        at = _site_of(condition)
        if span[0] <= where[0] and where[1] <= span[1] and at is not None and site in (at, None):
            found.append(condition)
    return found


def _of_site(patient: Patient, site: str | None) -> list[Condition]:
    if site is None:
        return []
    return [c for c in patient.conditions if c.status != "absent" and _site_of(c) == site]


def _site_of(condition: Condition) -> str | None:
    """The site a metastasis / lesion condition is at ("liver metastases" -> liver)."""
    if condition.metastasis_sites:
        return condition.metastasis_sites[0]
    name = condition.name.lower()
    if not re.search(r"metasta|\bmets\b|lesion|nodule|deposit", name):
        return None
    for word in re.findall(_SITE_WORDS, name):
        return _SITE_OF[word]
    return None


def _new_condition(
    mention: LesionMention, site: str | None, quote: Callable[[int, int], Provenance]
) -> Condition:
    noun = "metastases" if mention.metastatic else "lesions"
    return Condition(
        name=f"{site} {noun}" if site else noun,
        metastasis_sites=[site] if site and mention.metastatic else [],
        source=quote(*mention.span),
    )


@dataclass(frozen=True, slots=True)
class Tally:
    """How many lesions the record gives for a count variable: ``count`` is exact, or
    (``more`` true) a floor, when a counted site is there without a number."""

    count: int | None
    more: bool
    conditions: tuple[Condition, ...]


#: count variables over every site (the others name one site: ``brain_metastases_count``)
TOTALS = ("metastases_count", "lesion_count")


def tally(patient: Patient, variable: str) -> Tally:
    """The patient's count for ``variable``: one site's lesions, or the total over the
    sites. Conditions read twice from the same words (two vocabulary ids) count once: the
    largest count per site is taken, then sites add up; a site named without a number
    leaves the total a floor. No condition of the kind: ``count`` None, nothing known."""
    metastatic_only = variable == "metastases_count"
    per_site: dict[str | None, int | None] = {}
    used: list[Condition] = []
    none: list[Condition] = []  # "none there" as answered: an absent one counted 0
    for condition in patient.conditions:
        sites: list[str | None] = list(condition.metastasis_sites) or [_site_of(condition)]
        if condition.status == "absent":
            if condition.lesion_count == 0 and (
                sites == [variable.removesuffix("_count").removesuffix("_metastases")]
                or (variable in TOTALS and condition.name in ("metastases", "lesions"))
            ):
                none.append(condition)
            continue
        if variable not in TOTALS:
            wanted = variable.removesuffix("_count").removesuffix("_metastases")
            sites = [s for s in sites if s == wanted]
            if not sites:
                continue
        elif sites == [None] and (
            condition.lesion_count is None
            or (metastatic_only and not re.search(r"metasta|\bmets\b", condition.name, re.I))
        ):
            continue  # the primary tumour, "fever"; "3 lesions" not said to be metastases
        used.append(condition)
        # a count given for several sites at once is not split between them
        count = condition.lesion_count if len(sites) == 1 else None
        for site in sites:
            known = per_site.get(site)
            per_site[site] = count if known is None else max(known, count or 0)
    if not used:
        return Tally(0, False, tuple(none)) if none else Tally(None, False, ())
    if None in per_site and len(per_site) > 1:
        # "Liver metastases. CT: 3 lesions.": the unsited count is the one site's left
        # without a number, if there is exactly one such; else it is not added again
        unsited = per_site.pop(None)
        open_sites = [s for s, v in per_site.items() if v is None]
        if unsited is not None and len(open_sites) == 1:
            per_site[open_sites[0]] = unsited
    counted = [v for v in per_site.values() if v is not None]
    more = len(counted) < len(per_site)
    return Tally(sum(counted) if counted else None, more, tuple(used))
