"""Sentence spans of a clinical note, by pysbd (rule-based sentence boundary detection).

A period ends a sentence only where pysbd's Golden Rules say so: never inside a number
("Hemoglobin 9.5 g/dL"), a unit ("x10^9/L."), a date ("3.4.2020") or after a known
abbreviation ("Dr.", "e.g.", "vs."). Its English abbreviation list is extended with the
ones notes use before a value or a lower-case word ("approx. 120", "Temp. 38.5 C",
"Pt. is"). Two rules are the note's own, on top of pysbd:

* a line break always ends a sentence (notes are often lists: "Dx: CRC" / "Hb 9.5");
* a piece that starts with a lower-case letter continues the sentence before it (a
  period pysbd took for a full stop after an abbreviation it does not know).

Spans are contiguous between boundaries, so no text is ever lost even if pysbd
rewrites a sentence internally. Semicolons do not end a sentence here; the note reader
treats them as the end of a negation scope inside it (:func:`clauses`).
"""

from __future__ import annotations

import itertools
import re
from typing import ClassVar

from pysbd.lang.english import English  # type: ignore[import-untyped]
from pysbd.processor import Processor  # type: ignore[import-untyped]

_CLINICAL_ABBREVIATIONS = [
    "approx",
    "ca",
    "temp",
    "pt",
    "pts",
    "hx",
    "dx",
    "tx",
    "sx",
    "fx",
    "wt",
    "ht",
    "resp",
    "incl",
    "max",
    "avg",
    "est",
    "bid",
    "tid",
    "qid",
    "hgb",
    "plt",
    "bili",
]
#: abbreviations that are followed by a number ("approx. 120", "Temp. 38.5")
_BEFORE_NUMBERS = ["approx", "ca", "temp", "ref", "max", "min", "wt", "ht", "est", "avg"]


_BASE = English.Abbreviation


class _ClinicalEnglish(English):  # type: ignore[misc]
    class Abbreviation(_BASE):  # type: ignore[misc,valid-type]
        ABBREVIATIONS: ClassVar[list[str]] = [*_BASE.ABBREVIATIONS, *_CLINICAL_ABBREVIATIONS]
        NUMBER_ABBREVIATIONS: ClassVar[list[str]] = [*_BASE.NUMBER_ABBREVIATIONS, *_BEFORE_NUMBERS]
        PREPOSITIVE_ABBREVIATIONS: ClassVar[list[str]] = [*_BASE.PREPOSITIVE_ABBREVIATIONS, "pt"]


_LINE = re.compile(r"[^\n]+")
_CLAUSE = re.compile(r"[^;]+;?")


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, surrounding white space trimmed."""
    spans: list[tuple[int, int]] = []
    for line in _LINE.finditer(text):
        starts = _starts(line.group())
        bounds = [line.start() + s for s in starts] + [line.end()]
        for lo, hi in itertools.pairwise(bounds):
            lo, hi = _trim(text, lo, hi)
            if hi <= lo:
                continue
            if spans and text[lo].islower() and spans[-1][0] >= line.start():
                spans[-1] = (spans[-1][0], hi)  # an unknown abbreviation, not a full stop
            else:
                spans.append((lo, hi))
    return spans


def clauses(text: str, lo: int, hi: int) -> list[tuple[int, int]]:
    """The sentence's parts between semicolons (each ends a negation scope)."""
    parts = []
    for match in _CLAUSE.finditer(text, lo, hi):
        start, end = _trim(text, match.start(), match.end())
        if end > start:
            parts.append((start, end))
    return parts


def _starts(line: str) -> list[int]:
    """Offsets in ``line`` where pysbd starts a sentence (the first is always 0)."""
    starts = [0]
    cursor = 0
    try:
        pieces = _processor(line)
    except Exception:  # pysbd is a third-party rule engine: a bad line stays whole
        return starts
    for piece in pieces:
        piece = piece.strip()
        if not piece:
            continue
        found = line.find(piece, cursor)
        if found < 0:
            continue  # pysbd rewrote this piece: it joins the sentence before it
        if found > starts[-1]:
            starts.append(found)
        cursor = found + len(piece)
    return starts


def _processor(line: str) -> list[str]:
    return [str(s) for s in Processor(line, _ClinicalEnglish, char_span=False).process() if s]


def _trim(text: str, lo: int, hi: int) -> tuple[int, int]:
    while lo < hi and text[lo].isspace():
        lo += 1
    while hi > lo and text[hi - 1].isspace():
        hi -= 1
    return lo, hi
