"""What a criterion item says whoever the patient is, worked out once per item.

Registry boilerplate ("Pregnant or breastfeeding") repeats across thousands of trials;
the full judge caches these readings and the fast path keeps each trial's with it (see
``match.bulk``, ``match.views``). :mod:`~trialscope.match.judge` judges a patient with them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from trialscope.criteria import VARIABLES, Item, Mention
from trialscope.criteria.segmenter import PDQ_LABEL_FIRST
from trialscope.match.compound import escape_spans
from trialscope.match.conditional import condition_clause, given_end, within
from trialscope.match.named import runs_of
from trialscope.match.wording import NURSING_PLACE, is_modifier, restates, slug

_FEMALE_ONLY = re.compile(
    # "nursing" is breastfeeding, not a "skilled nursing facility" or "nursing home"
    r"\b(?:pregnan\w*|breast[- ]?feeding|lactat\w*|nursing(?!\s+(?:homes?|facilit\w*|care|"
    r"staff|students?|services?|units?))|child[- ]?bearing|contracepti\w*|"
    r"birth[- ]control|women|woman|females?|menopaus\w*|menstrua\w*|gonadotropin|hcg|"
    r"oral contraceptives?|menarche)\b",
    re.I,
)
_MALE_ONLY = re.compile(r"\b(?:m[ae]n|males?|prostat\w*|sperm\w*|testic\w*)\b", re.I)
_MEN = re.compile(r"\b(?:m[ae]n|males?)\b", re.I)

COUNT_VARIABLES = frozenset(v.id for v in VARIABLES.values() if v.kind == "count")


@dataclass(frozen=True, slots=True)
class Reading:
    """What an item says regardless of the patient, worked out once per item: registry
    boilerplate ("Pregnant or breastfeeding") repeats across thousands of trials (the
    fast path keeps each trial's readings with it, see ``match.bulk``)."""

    slug: str
    permission: bool
    whole_permission: bool
    pregnancy_words: bool
    female_words: bool
    male_words: bool
    men: bool
    #: named things as slots (alternative ids for the same words), grouped into runs
    #: that must all hold; the runs are alternatives
    runs: tuple[tuple[tuple[Mention, ...], ...], ...]
    refusal: bool
    #: "labs do not meet the following: ANC >= 1.5 ...": the bounds are requirements
    requirement_list: bool
    #: "Patients who received X must ...": where the condition ends in the text (None:
    #: no such condition), and the runs inside it and after it
    given_end: int | None = None
    given_runs: tuple[tuple[tuple[Mention, ...], ...], ...] = ()
    rest_runs: tuple[tuple[tuple[Mention, ...], ...], ...] = ()
    #: a disease or therapy is named before the first word about women: the women's part
    #: is one of several things the item lists ("serious medical condition (e.g., cancer
    #: ...) ... pregnant women"), not what the whole item is about
    named_before_women: bool = False
    #: a limit on how many of some kind the study takes ("will be limited to 20%")
    quota: bool = False
    #: "... if hemoglobin < 9 g/dL": where the condition after the requirement starts and
    #: ends in the text, and its kind (``conditional.condition_clause``)
    if_hidden: int | None = None
    if_start: int | None = None
    if_end: int | None = None
    if_kind: str | None = None
    #: an inclusion that is an exclusion as written ("This protocol excludes pregnant ...")
    says_excluded: bool = False


def read_item(item: Item) -> Reading:
    text = item.text
    # "Radiotherapy: Concurrent radiotherapy allowed for pain control": after its label
    body = PDQ_LABEL_FIRST.sub("", text, count=1)
    mentions = sorted(
        (
            m
            for m in item.mentions
            # sex is settled by the structured eligibility fields
            if m.category != "sex"
            # a relative's or a dependant's condition ("Family history of breast cancer",
            # "Primary caregiver of a child with leukemia") is not the patient's
            and not (m.family and m.category == "condition")
            and not is_modifier(item, m)
            and not _counted(item, m)
            and not restates(item, m)
        ),
        key=lambda m: m.span,
    )
    # what a later sentence permits and what "unless" names are no requirements
    set_aside = _permitted_later(text) + escape_spans(text)
    if set_aside:
        mentions = [
            m
            for m in mentions
            if not any(lo <= m.span[0] - item.span[0] < hi for lo, hi in set_aside)
        ]
    pregnancy_words = any(
        m.category == "pregnancy" and not NURSING_PLACE.match(text, m.span[1] - item.span[0])
        for m in item.mentions
    )
    end = given_end(item)
    given = [m for m in mentions if end is not None and within(item, m.span, end)]
    clause = condition_clause(item)
    return Reading(
        slug=slug(text),
        permission=bool(_GRANTED.match(body))
        # "... allowing patients above 70 years to participate if they meet the following
        # criteria:" lets some in beyond the age limits, whatever bound it names
        or bool(_ALLOWING.search(body))
        or (
            bool(
                _PERMISSION.search(body, 0, _first_sentence_end(body, 60))
                or _ends_permitting(body)
                or _ALLOWED_FOR.match(body)
            )
            and not _FORBIDDEN.search(body)
            # "may have received one prior chemotherapy regimen" permits that one; a
            # bound ("up to 2 prior regimens") is a limit still
            and (
                not item.constraints
                or (
                    bool(_MAY_HAVE_HAD.search(body))
                    and all(
                        c.variable == "prior_lines" and c.operator == "=" for c in item.constraints
                    )
                )
            )
            and "(" not in body[:60]
        ),
        # an exclusion that only permits ("Prior chemotherapy is allowed") excludes no one;
        # "Active brain metastases; treated ones are allowed" still excludes
        whole_permission=not _PERMISSION_LIMITED.search(body),
        quota=bool(_QUOTA.search(text)),
        pregnancy_words=pregnancy_words,
        female_words=pregnancy_words or bool(_FEMALE_ONLY.search(text)),
        named_before_women=_named_before_women(item, mentions),
        male_words=bool(_MALE_ONLY.search(text)),
        men=bool(_MEN.search(text)),
        runs=runs_of(item, mentions),
        refusal=bool(_REFUSAL.search(text)),
        requirement_list=bool(item.constraints) and is_requirement_list(text),
        given_end=end,
        given_runs=runs_of(item, given),
        rest_runs=runs_of(item, [m for m in mentions if m not in given]),
        if_hidden=clause[0] if clause else None,
        if_start=clause[1] if clause else None,
        if_end=clause[2] if clause else None,
        if_kind=clause[3] if clause else None,
        says_excluded=_says_excluded(item),
    )


#: the full judge's readings (the fast path passes its own, kept per trial)
cached_reading = lru_cache(maxsize=100_000)(read_item)


# "... or radiation therapy. Adjuvant hormonal therapy, if needed, may be given during
# radiation therapy": a later sentence's permission is no part of the rule before it
_PERMITS = re.compile(
    r"\b(?:may|can)\s+(?:also\s+)?(?:be\s+)?(?:given|used|administered|continued|received"
    r"|taken)\b|\b(?:is|are)\s+(?:also\s+)?(?:allowed|permitted|acceptable)\b",
    re.I,
)


_LEADING_NUMBER = re.compile(r"\s*\(?(?:\d{1,3}|[a-zA-Z]|[ivxIVX]{1,4})[.)]\s+")
_PERIOD_BREAK = re.compile(r"\.\s+\S")


def _first_sentence_end(text: str, at_most: int) -> int:
    """ "Prior radiotherapy. Chemotherapy is allowed.": a later sentence's permission
    does not make the first one a permission."""
    # a leading "10." numbers the item, and a ";" parts a list ("Prazosin use; if yes, the
    # patient may be included if tapered"): neither ends a sentence here
    number = _LEADING_NUMBER.match(text)
    found = _PERIOD_BREAK.search(text, number.end() if number else 0, at_most + 2)
    return min(at_most, found.start() + 1) if found else at_most


def _permitted_later(text: str) -> list[tuple[int, int]]:
    """The spans of the sentences after the first that permit something."""
    number = _LEADING_NUMBER.match(text)
    starts = [m.end() - 1 for m in _SENTENCE_BREAK.finditer(text, number.end() if number else 0)]
    spans = zip(starts, [*starts[1:], len(text)], strict=False)
    return [
        (lo, hi)
        for lo, hi in spans
        if _PERMITS.search(text, lo, hi) and not _FORBIDDEN.search(text, lo, hi)
    ]


def _ends_permitting(text: str) -> bool:
    """One sentence that ends "... is allowed": a later sentence permitting an exception
    ("... within 6 months. Inhaled steroids are allowed.") leaves the first one standing."""
    return bool(_PERMISSION_AT_END.search(text)) and not _SENTENCE_BREAK.search(text)


def _counted(item: Item, mention: Mention) -> bool:
    """In an exclusion, words inside a count bound ("the number of liver metastases
    before chemotherapy was more than 5") are what is counted: the bound decides, not
    having liver metastases or chemotherapy at all."""
    if item.kind != "exclusion":
        return False
    start, end = mention.span
    return any(
        c.variable in COUNT_VARIABLES and c.span[0] <= start and end <= c.span[1]
        for c in item.constraints
    )


_REQUIREMENT_LIST = re.compile(
    r"\b(?:(?:do(?:es)?|did)\s+not|don't|doesn't|fail(?:s|ed|ing)?\s+to|not|cannot|unable\s+to)"
    r"\s+(?:meet(?:s|ing)?|satisf(?:y|ies|ying)|fulfil+(?:s|ing)?|achieve|comply(?:ing)?\s+with)\b",
    re.I,
)


def is_requirement_list(text: str) -> bool:
    """An exclusion that lists requirements under "do not meet / fail to meet / not
    satisfying the following": excluded only when a listed bound fails."""
    return bool(_REQUIREMENT_LIST.search(text))


_REFUSAL = re.compile(
    r"\b(?:unable|unwilling|inability|not able|refus|fail|cannot|could not|not willing|lack"
    r"|unreliable|non-?complian|no\s+(?:written\s+|signed\s+)?(?:informed\s+)?consent)",
    re.I,
)
_PERMISSION = re.compile(
    r"\b(?:may|can)\s+(?:also\s+)?(?:be\s+)?(?:entered|included|enrolled|eligible|participate)"
    # "Patients may have received prior chemotherapy"
    r"|(?<!who )(?<!that )\b(?:may|can)\s+(?:also\s+)?have\b"
    r"|\b(?:are|is)\s+(?:also\s+)?(?:allowed|permitted|acceptable|eligible)\b"
    # "Concurrent corticosteroids allowed", "Adjuvant irradiation of parasternal nodes eligible"
    r"|^[^.;:]{0,50}\b(?:allowed|permitted|eligible)\s*[.;]?\s*$"
    r"|^[^.;:]{0,50}\b(?:allowed|permitted)\s+(?:if|provided|as\s+long\s+as)\b",
    re.I,
)
# "Concurrent radiotherapy allowed for pain control", "… allowed at the discretion of"
_ALLOWED_FOR = re.compile(
    r"[^.;:]{0,80}\b(?:allowed|permitted)\s+(?:for|at|in|during|\()"
    # "Prior adjuvant treatment for metastatic CRC is allowed, as long as it has concluded"
    r"|[^.;:]{0,120}\b(?:is|are)\s+(?:allowed|permitted),?\s+(?:as\s+long\s+as|provided|only\s+if)\b"
    # "Participants with chronic stable medical conditions …, such as diabetes mellitus, …
    # are allowed to participate in this study if considered by the investigator …"
    r"|[^.;:(]{0,200}\b(?:is|are)\s+(?:allowed|permitted)\s+to\s+(?:participate|enrol)",
    re.I,
)
# "Exceptions were granted to those subjects over the age of 75 on a case-by-case basis":
# a way in for some, whatever bound it names
# "Patients may have received one prior regimen": a count allowed, not asked for
_MAY_HAVE_HAD = re.compile(r"\bmay\s+have\s+(?:received|had|been\s+treated)\b", re.I)
_GRANTED = re.compile(
    r"^\W*exceptions?\s+(?:were|are|will\s+be|may\s+be|can\s+be)\s+(?:granted|made|considered)",
    re.I,
)
_ALLOWING = re.compile(
    r"\ballowing\s+(?:patients|participants|subjects|those)\b[^.;]{0,60}\bto\s+participate\b", re.I
)
# "Sentinel node biopsy without further axillary surgery is allowed."
_PERMISSION_AT_END = re.compile(
    r"(?:\b(?:is|are|will\s+(?:also\s+)?be)\s+(?:also\s+)?"
    # "Concurrent palliative radiotherapy, including whole brain irradiation, allowed"
    r"|,\s*)(?:allowed|permitted|eligible)\s*[.:]?\s*$",
    re.I,
)


_FORBIDDEN = re.compile(r"\bnot\s+(?:be\s+)?(?:allowed|permitted|eligible|acceptable)\b", re.I)
_SENTENCE_BREAK = re.compile(r"[.;]\s+\S")
_PERMISSION_LIMITED = re.compile(
    r";|\b(?:unless|except|but|however|only|if|provided|as\s+long\s+as)\b", re.I
)


def _named_before_women(item: Item, mentions: list[Mention]) -> bool:
    women = _FEMALE_ONLY.search(item.text)
    pregnancy = [m.span[0] - item.span[0] for m in mentions if m.category == "pregnancy"]
    first = min(([women.start()] if women else []) + pregnancy, default=None)
    if first is None:
        return False
    return any(
        m.category in ("condition", "prior_therapy") and m.span[0] - item.span[0] < first
        for m in mentions
    )


# "The proportion of subjects who are randomized with an HbA1c < 7.5% will be limited to
# no more than 20%": how many the study takes, asked of no one
_QUOTA = re.compile(
    r"\b(?:proportion|percentage|number)\s+of\s+(?:subjects|patients|participants)\b[^;]{0,80}?"
    r"\b(?:will\s+be\s+|is\s+|are\s+)?(?:limited|capped|restricted)\s+to\b",
    re.I,
)


# "This protocol excludes pregnant or lactating women", "Participants with a history of
# malignancy within the past 5 years are not eligible." under the inclusions
_PROTOCOL_EXCLUDES = re.compile(
    r"\b(?:this\s+)?(?:protocol|study|trial)\s+(?:will\s+)?excludes\b", re.I
)
_ENDS_EXCLUDED = re.compile(
    r"\b(?:are|is|will\s+be)\s+(?:also\s+)?(?:excluded|ineligible|not\s+eligible)\W*$", re.I
)
_REQUIREMENT_START = re.compile(r"\W*(?:must|should|able|willing|ability|patients?\s+must)\b", re.I)


def _says_excluded(item: Item) -> bool:
    """An inclusion item that is an exclusion as written: whole, without bounds or
    negations that would read the other way round."""
    if item.constraints or any(m.negated for m in item.mentions):
        return False
    if _PROTOCOL_EXCLUDES.search(item.text):
        return True
    single = not re.search(r"[.;]\s+\S", item.text)
    return (
        single
        and not _REQUIREMENT_START.match(item.text)
        and bool(_ENDS_EXCLUDED.search(item.text))
    )
