"""Therapies in sequence in a note: one "followed by" another is over ("11 cycles of
temozolomide. This was followed by CPT-11 with Avastin": temozolomide is no longer given,
so "No concurrent chemotherapy" is not failed by it)."""

from __future__ import annotations

import re

from trialscope.match.patient import Patient

# "11 cycles of temozolomide. This was followed by CPT-11": a therapy something came after
# ("metformin, then insulin was added" adds a drug: only "followed by" says one came after)
_FOLLOWED_BY = re.compile(r"\bfollowed\s+by\b", re.I)
_NEXT_FOLLOWS = re.compile(
    r"\s*(?:(?:this|it|that|which|these|treatment|therapy|chemotherapy)\s+(?:was|were)\s+"
    r"(?:then\s+|subsequently\s+)?followed\s+by)\b",
    re.I,
)
_STILL = re.compile(r"\b(?:currently|now|ongoing|still|will|to\s+be|planned|scheduled)\b", re.I)


def end_followed_therapies(patient: Patient, text: str, spans: list[tuple[int, int]]) -> None:
    """A therapy read as current that another came after, in its sentence or as the next
    sentence says ("This was followed by ..."), is over."""
    for therapy in patient.therapies:
        span = therapy.source.span
        if therapy.status != "active" or span is None:
            continue
        at = next((n for n, (lo, hi) in enumerate(spans) if lo <= span[0] < hi), None)
        if at is None or _STILL.search(text, *spans[at]):
            continue
        after = _FOLLOWED_BY.search(text, span[1], spans[at][1]) is not None
        nxt = at + 1 < len(spans) and _NEXT_FOLLOWS.match(text, spans[at + 1][0]) is not None
        if after or nxt:
            therapy.status = "completed"
