"""How serious a disease a criterion names: a severity word before the name ("severe
COPD", "uncontrolled hypertension"), in the vocabulary's own name, or after it ("brain
metastases that are symptomatic", "hypertension that cannot be controlled", "ketoacidosis
which has required hospitalization"). A patient's bare diagnosis does not say it."""

from __future__ import annotations

import re

from trialscope.criteria import Item, Mention

#: where a clause ends: a word before one of these is about something else
CLAUSE_END = re.compile(r"[;:.(),]")


# words that make a diagnosis a more serious kind of itself
_SEVERITY = re.compile(
    r"\b(severe(?:ly)?|uncontrolled|poorly[- ]controlled|(?:clinically\s+)?unstable|"
    r"inadequately[- ]controlled|not\s+(?:well|adequately)[- ]controlled|(?<![\w-])symptomatic|"
    r"grade\s*(?:≥|>=|>)?\s*[2-5]|"
    r"decompensated|end[- ]stage|life[- ]threatening)\s+(?:[\w-]+\s+){0,2}$",
    re.I,
)


_SEVERITY_FIRST = re.compile(
    r"(severe(?:ly)?|uncontrolled|poorly[- ]controlled|unstable|decompensated|end[- ]stage"
    r"|symptomatic)\s+\S",
    re.I,
)


def severity(item: Item, mention: Mention) -> str | None:
    own = _SEVERITY_FIRST.match(mention.text)  # the vocabulary's "uncontrolled hypertension"
    if own is not None:
        return own.group(1).lower()
    start = mention.span[0] - item.span[0]
    before = item.text[max(0, start - 40) : start]
    cut = max((m.end() for m in CLAUSE_END.finditer(before)), default=0)
    found = _SEVERITY.search(before[cut:])
    if found is not None:
        return found.group(1).lower()
    end = mention.span[1] - item.span[0]
    if _UNCONTROLLED_AFTER.match(item.text, end):
        return "uncontrolled"  # "hypertension that cannot be controlled by medications"
    after = _SEVERITY_AFTER.match(item.text, end)
    if after is not None:
        return after.group("word").lower()  # "brain metastases that are symptomatic"
    if _HOSPITAL_AFTER.match(item.text, end):
        return REQUIRING_HOSPITAL  # "History of ketoacidosis which has required hospitalization"
    return None


#: the severity of an illness that needed a hospital stay
REQUIRING_HOSPITAL = "requiring hospitalization"
_HOSPITAL_AFTER = re.compile(
    r"\s*,?\s*(?:(?:that|which)\s+(?:has\s+|have\s+|had\s+)?)?(?:required|requiring|requires"
    r"|needing|needed|leading\s+to|resulting\s+in)\s+(?:an?\s+)?(?:hospitali[sz]ation"
    r"|hospital\s+admission|admission\s+to\s+(?:a\s+|the\s+)?hospital|in[\s-]?patient\s+care)\b",
    re.I,
)


_UNCONTROLLED_AFTER = re.compile(
    r"\s*,?\s*(?:(?:that|which)\s+(?:cannot|can\s*not|could\s+not|is\s+not|are\s+not"
    r"|has\s+not\s+been|have\s+not\s+been)\s+(?:be\s+)?(?:well\s+|adequately\s+)?controlled"
    r"|(?:that|which)\s+(?:is|are)\s+(?:uncontrolled|poorly[- ]controlled)"
    r"|not\s+(?:well\s+|adequately\s+)?controlled\b|poorly[- ]controlled\b)",
    re.I,
)


_SEVERITY_AFTER = re.compile(
    r"\s*,?\s*(?:that|which)\s+(?:is|are|was|were|remains?|becomes?)\s+"
    r"(?:currently\s+|still\s+|clinically\s+)?"
    r"(?P<word>(?<![\w-])symptomatic|unstable|severe|decompensated|end[- ]stage"
    r"|life[- ]threatening)\b",
    re.I,
)
