"""A therapy a note names: given, yet to come, or only a service's name."""

from __future__ import annotations

import re

# "She is a candidate for tumor resection and agrees to do so prior to chemotherapy":
# neither is given yet
_PLANNED = re.compile(
    r"\b(?:candidate\s+for|agree[sd]?\s+to|awaiting|referred\s+(?:for|to)|will\s+(?:undergo"
    r"|receive|start|begin|have)|plan(?:s|ned)?\s+to|scheduled\s+(?:for|to)"
    # "Oncology recommends adjuvant chemotherapy", "was offered surgery"
    r"|recommend(?:s|ed)?|advised|offered)\b",
    re.I,
)
# "Surgery consultation recommends …", "the radiation oncology team": a service, not a therapy
_SERVICE_AFTER = re.compile(
    r"\s+(?:consult(?:ation)?s?|service|team|department|clinic|resident|fellow|referral)\b",
    re.I,
)
# "will undergo surgery after he received chemotherapy": the chemotherapy was given
_DONE = re.compile(
    r"\b(?:received|completed|underwent|had|was\s+treated|s/p|after|following)\b", re.I
)


def is_planned(text: str, lo: int, at: int) -> bool:
    """Whether the therapy named at ``at`` (in the sentence from ``lo``) is yet to come."""
    ends = [m.end() for m in _PLANNED.finditer(text, lo, at)]
    return bool(ends) and not _DONE.search(text, ends[-1], at)


def names_a_service(text: str, end: int, hi: int) -> bool:
    """ "Surgery consultation recommends …": the words ending at ``end`` name a service."""
    return bool(_SERVICE_AFTER.match(text, end, hi))
