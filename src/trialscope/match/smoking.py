"""Smoking status said in a note: never, former or current.

The concept pass reads "smoker" like any condition word, which gets the status wrong in
the ways notes say it most: "Nonsmoker" and "never smoked" are no smoking at all, "quit
smoking in 2005" and "ex-smoker" are a past habit, "smokes 1 pack per day" is a current
one. A trial's "current smokers" or "non-smokers" criterion turns on exactly that
difference, so a clause that says it is read here and overrides the concept pass.
A statement of amount alone ("30 pack-year smoking history") says that the person smoked,
not whether they still do: it is left to the concept pass.
"""

from __future__ import annotations

import re

from trialscope.match.patient import Condition, ConditionStatus, Provenance

#: the MeSH descriptor the vocabulary files smoking under (criteria name it the same way)
SMOKING = "MESH:D012907"

_TOBACCO = r"(?:smoking|tobacco(?:\s+use)?|cigarettes?|smoker)"
_LABEL = rf"{_TOBACCO}(?:\s+(?:history|status|use))?\s*[:\-]\s*"
_NEVER = re.compile(
    r"\bnon[\s-]?smok(?:er|ers|ing)\b|\bnever[\s-]+(?:been\s+an?\s+)?smok(?:er|ed)\b"
    r"|\b(?:do(?:es)?(?:n't|\s+not)|won't|will\s+not|can't|cannot)\s+smoke\b"
    r"|\b(?:has|have)(?:n't|\s+not)\s+(?:ever\s+)?smoked\b"
    rf"|\bdenie[sd]\s+(?:any\s+)?(?:{_TOBACCO}|smoking)\b"
    rf"|\bno\s+(?:history\s+of\s+|prior\s+|past\s+)?{_TOBACCO}\b(?![\w-])"
    rf"|\b{_LABEL}(?:none|never|no|nil|negative|denie[sd])\b",
    re.I,
)
_FORMER = re.compile(
    r"\bex[\s-]?smoker\b|\b(?:former|past|previous|prior)\s+(?:heavy\s+|cigarette\s+)?smoker\b"
    r"|\b(?:quit|stopped|gave\s+up|ceased)\s+smoking\b"
    rf"|\b{_LABEL}(?:former|ex|quit|past|previous)\b",
    re.I,
)
_CURRENT = re.compile(
    r"\bcurrent(?:ly)?\s+(?:a\s+)?(?:heavy\s+|cigarette\s+|daily\s+)?smok(?:er|es|ing)\b"
    r"|\b(?:active|daily|heavy)\s+smoker\b|\bsmokes\b|\bstill\s+smok(?:es|ing)\b"
    r"|\b\d+(?:\.\d+)?\s*(?:ppd|packs?\s*(?:per|a|/)\s*day|cigarettes?\s*(?:per|a|/)\s*day)\b"
    rf"|\b{_LABEL}(?:current|yes|active|daily)\b",
    re.I,
)


def smoking_status(clause: str) -> tuple[ConditionStatus, re.Match[str]] | None:
    """The status a clause gives (never wins over former over current: "never smoked,
    quit chewing tobacco" is rare, "a former smoker who still smokes cigars" rarer) and
    the words that say it; None when the clause says nothing about it."""
    for status, pattern in (("absent", _NEVER), ("history", _FORMER), ("active", _CURRENT)):
        found = pattern.search(clause)
        if found is not None:
            return status, found  # type: ignore[return-value]
    return None


def read_smoking(conditions: list[Condition], clause: str, first: int, source: Provenance) -> None:
    """Set the status of smoking the concept pass found in this clause (``conditions[first:]``)
    from what the clause says, or add it when the words ("Nonsmoker") escaped that pass."""
    said = smoking_status(clause)
    if said is None:
        return
    status, words = said
    found = [c for c in conditions[first:] if SMOKING in c.codes]
    for condition in found:
        condition.status = status
    if not found:
        conditions.append(
            Condition(name=words.group(), codes=[SMOKING], status=status, source=source)
        )


_STATUS_WORDS: dict[str, ConditionStatus] = {
    "ex": "history", "former": "history", "past": "history", "reformed": "history",
    "current": "active", "currently": "active", "active": "active", "daily": "active",
    "regular": "active", "habitual": "active",
}  # fmt: skip
_WANTED = re.compile(
    r"\b(" + "|".join(_STATUS_WORDS) + r")\b[\s-]*(?:(?:cigarette|tobacco|heavy|light)\s+)?$",
    re.I,
)
_EITHER = re.compile(
    r"\b(?:ex|former|past|current|currently|active|never)\b[\s-]*(?:smokers?\s+)?(?:or|and|/)\s*$",
    re.I,
)
_QUIT_AFTER = re.compile(r"\s*\(?(?:who|that)\s+(?:have\s+|has\s+)?(?:quit|stopped|ceased)\b", re.I)


def wanted_smoking(text: str, start: int, end: int) -> ConditionStatus | None:
    """The status a criterion asks of the smoking named at ``text[start:end]``: "Current
    smokers" (active), "Ex-smokers", "smokers who quit" (history); None for "current or
    former smokers", "smokers" and "history of smoking" (ever smoked)."""
    # the vocabulary's own terms may hold the word ("Current smokers", "Active smokers")
    last = re.search(r"[\w-]+$", text[start:end])
    cut = start + last.start() if last else start
    before = text[max(0, start - 40) : cut]
    found = _WANTED.search(before)
    if found is None:
        return "history" if _QUIT_AFTER.match(text, end) else None
    if _EITHER.search(before, 0, found.start()):
        return None
    return _STATUS_WORDS[found.group(1).lower()]


def status_said(condition: Condition) -> bool:
    """The smoking condition's status was said as a status: by the note's own words about
    it (not "History of smoking", which says the person smoked, not that they quit), by a
    FHIR smoking status, or by the patient file or an answer."""
    source = condition.source
    if source.kind != "note":
        return True
    return smoking_status(source.text or "") is not None
