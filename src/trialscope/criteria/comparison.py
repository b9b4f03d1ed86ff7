"""Comparators, numbers and ranges: "≥ 1.5 × 10^9/L", "between 18.5 and 30 kg/m2",
"0-1", "at least 18 years", "no more than 2.5 x ULN", "three (3) months", "I or II".

:func:`read_comparison` reads one comparison starting at a position of the cleaned
text and returns what it found with its extent; it never looks further than the next
clause break, so a scan stays linear in the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from trialscope.criteria.units import UNIT_PATTERN, unit_label

Op = Literal[">", ">=", "<", "<=", "="]

_WORD_NUMBERS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "eighteen": 18, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
    "ninety": 90, "hundred": 100, "a single": 1, "single": 1,
}  # fmt: skip
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6}
_LETTER = {"a": 1, "b": 2, "c": 3}

_WORDS = "|".join(sorted(_WORD_NUMBERS, key=len, reverse=True))
NUMBER = (
    r"(?:(?<![\d.,])(?:\d{1,3}(?:,\d{3})+(?![\d])|\d+)(?:\.\d+|,\d{1,2}(?![\d]))?|\.\d+"
    r"|(?i:\b(?:" + _WORDS + r")\b)(?:\s*\(\s*\d+\s*\))?)"
)
_NUMBER = re.compile(NUMBER)
_INTEGER = re.compile(
    r"(?<![\d.])\d{1,2}(?![\d.,]\d)|(?i:\b(?:" + _WORDS + r")\b)(?:\s*\(\s*\d+\s*\))?"
)
_ROMAN_RE = re.compile(r"(?i:\b(?:class\s+|grade\s+|stage\s+)?)(iv|v?i{1,3}|vi?|IV|V?I{1,3}|VI?)\b")
_ROMAN_STRICT = re.compile(r"\b(IV|V?I{1,3}|VI?|iv|v?i{1,3})\b(?![-/]?[a-z])")
_LETTER_RE = re.compile(r"(?:(?i:class|grade)\s+)?\b([ABC])\b(?:\s*[\-(]?\s*\d{1,2}\s*\)?)?")

# (phrase regex, operator). Longer phrases first; symbols after the words.
_PRE: tuple[tuple[str, Op], ...] = (
    (r"greater\s+than\s+or\s+equal(?:\s+to)?", ">="),
    (r"more\s+than\s+or\s+equal(?:\s+to)?", ">="),
    (r"higher\s+than\s+or\s+equal(?:\s+to)?", ">="),
    (r"(?:equal\s+to\s+or|equal\s+or)\s+(?:greater|more|higher|above)(?:\s+than)?", ">="),
    (r"above\s+or\s+equal(?:\s+to)?", ">="),
    (r"less\s+than\s+or\s+equal(?:\s+to)?", "<="),
    (r"lower\s+than\s+or\s+equal(?:\s+to)?", "<="),
    (r"(?:equal\s+to\s+or|equal\s+or)\s+(?:less|lower|below|fewer)(?:\s+than)?", "<="),
    (r"below\s+or\s+equal(?:\s+to)?", "<="),
    (r"(?:greater|more|higher)\s+or\s+equal(?:\s+to)?|=\s*/\s*>|>\s*_", ">="),
    (r"(?:less|lower|fewer)\s+or\s+equal(?:\s+to)?|=\s*/\s*<|<\s*_", "<="),
    (r"(?:more|greater|higher|older)\s+then", ">"),
    (r"(?:less|fewer|lower|younger)\s+then", "<"),
    # "must not be older than 70": the negation is the comparator's own, not the item's
    (r"(?:no|not)\s+(?:be\s+)?(?:less|fewer|lower|younger|smaller)\s+than|not\s+(?:be\s+)?below"
     r"|not\s+(?:be\s+)?under", ">="),
    (r"(?:no|not)\s+(?:be\s+)?(?:more|greater|higher|older|larger)\s+than", "<="),
    (r"not\s+(?:to\s+)?exceed(?:ing)?|does\s+not\s+exceed|not\s+(?:be\s+)?above"
     r"|not\s+(?:be\s+)?over", "<="),
    (r"at\s+least|a\s+minimum\s+of|minimum\s+of|minimum|min\.?|at\s+or\s+above|from", ">="),
    (r"at\s+most|a\s+maximum\s+of|maximum\s+of|maximum|max\.?|up\s+to|at\s+or\s+below|until", "<="),
    (r"greater\s+than|more\s+than|higher\s+than|larger\s+than|older\s+than|in\s+excess\s+of"
     r"|exceed(?:s|ing)?|above|over|elevated(?:\s+above)?|superior\s+to|>\s*than", ">"),
    (r"less\s+than|lower\s+than|fewer\s+than|younger\s+than|smaller\s+than|below|under"
     r"|inferior\s+to|<\s*than|shorter\s+than", "<"),
    (r"equal\s+to|equals|of|is|=\s*to", "="),
    (r"(?:>\s*or\s*=|>\s*/\s*=)(?:\s*to)?|>\s*/?\s*=|=\s*>|≥\s*/?\s*=?|\+\s*>", ">="),
    (r"(?:<\s*or\s*=|<\s*/\s*=)(?:\s*to)?|<\s*/?\s*=|=\s*<|≤\s*/?\s*=?", "<="),
    (r">", ">"),
    (r"<", "<"),
    (r"=|:|≈|~", "="),
)  # fmt: skip
PRE_OPERATOR = re.compile(
    "|".join(f"(?P<p{i}>{p})" for i, (p, _) in enumerate(_PRE)), re.IGNORECASE
)
PRE_OPS: dict[str, Op] = {f"p{i}": op for i, (_, op) in enumerate(_PRE)}

_POST = re.compile(
    r"\s*(?:(?P<ge>or\s+(?:more|greater|higher|above|over|older|later|worse|longer)|and\s+"
    r"(?:above|over|older|up|more|higher|greater)|or\s+greater\s+than|\+(?![\d]))|(?P<le>or\s+"
    r"(?:less|fewer|lower|below|under|younger|smaller|better|earlier|shorter)|and\s+(?:under|"
    r"below|younger|less|lower)))\b(?!\s*(?:\d|than))",
    re.IGNORECASE,
)
_RANGE_SEP = re.compile(r"\s*(?:-|~|to|through|and|/)\s*", re.IGNORECASE)
_LIST_SEP = re.compile(r"\s*(?:,\s*(?:or\s+|and\s+)?|or|and|/|and/or|&)\s*", re.IGNORECASE)
_BETWEEN = re.compile(r"(?:between|from|within\s+(?:the\s+)?range(?:\s+of)?|range(?:\s+of)?)\s*",
                      re.IGNORECASE)  # fmt: skip
_SPACE = re.compile(r"\s*")
_ECHO = re.compile(r"\(\s*(?:[<>]=?|[≤≥])\s*\)\s*")
_SYMBOL = re.compile(r"\s*(?:[<>]=?|[≤≥])\s*")
_UNIT_PAREN = re.compile(r"\(\s*(" + UNIT_PATTERN.pattern + r")\s*\)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Comparison:
    """What :func:`read_comparison` found: ``low``/``high`` are bounds as written."""

    operator: Literal[">", ">=", "<", "<=", "=", "range"]
    low: float | None
    low_inclusive: bool
    high: float | None
    high_inclusive: bool
    raw_value: str
    raw_unit: str | None
    unit: str | None
    start: int
    end: int


ValueKind = Literal["number", "integer", "roman", "letter"]


def parse_number(text: str) -> float | None:
    """``'1,500'`` -> 1500, ``'1,5'`` -> 1.5, ``'three (3)'`` -> 3, ``'.5'`` -> 0.5."""
    text = text.strip()
    paren = re.search(r"\(\s*(\d+)\s*\)", text)
    if paren:
        return float(paren.group(1))
    lower = text.lower()
    if lower in _WORD_NUMBERS:
        return float(_WORD_NUMBERS[lower])
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", text):
        return float(text.replace(",", ""))
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return None


def _value(text: str, pos: int, kind: ValueKind, end: int) -> tuple[float, int, int] | None:
    """One value at ``pos``: (value, start, end)."""
    if kind == "roman":
        m = _ROMAN_RE.match(text, pos, end)
        if m:
            return float(_ROMAN[m.group(1).lower()]), m.start(), m.end()
        kind = "integer"
    if kind == "letter":
        m = _LETTER_RE.match(text, pos, end)
        if m:
            return float(_LETTER[m.group(1).lower()]), m.start(), m.end()
        return None
    m = (_INTEGER if kind == "integer" else _NUMBER).match(text, pos, end)
    if m is None:
        return None
    value = parse_number(m.group())
    return None if value is None else (value, m.start(), m.end())


def _unit(text: str, pos: int, end: int) -> tuple[str, int] | None:
    """A unit at ``pos`` (after optional spaces): (matched text, end)."""
    at = _SPACE.match(text, pos, end).end()  # type: ignore[union-attr]
    m = UNIT_PATTERN.match(text, at, end)
    if m is None or not m.group().strip():
        return None
    return m.group(), m.end()


def _span_text(text: str, start: int, end: int) -> str:
    return text[start:end].strip()


def _op_at(text: str, at: int, end: int) -> tuple[Op, int] | None:
    m = PRE_OPERATOR.match(text, at, end)
    if m is None or m.lastgroup is None:
        return None
    op = PRE_OPS[m.lastgroup]
    at = _SPACE.match(text, m.end(), end).end()  # type: ignore[union-attr]
    echo = _ECHO.match(text, at, end)  # "greater than (>) 450"
    if echo:
        at = echo.end()
    # "of ≥", ": ≥", "is greater than" read as the second operator
    follow = PRE_OPERATOR.match(text, at, end)
    if follow and follow.lastgroup and op == "=" and PRE_OPS[follow.lastgroup] != "=":
        op = PRE_OPS[follow.lastgroup]
        at = _SPACE.match(text, follow.end(), end).end()  # type: ignore[union-attr]
    return op, at


def _number_unit(
    text: str, at: int, end: int, kind: ValueKind
) -> tuple[float, int, str | None, int] | None:
    """(value, value start, unit text, end) at ``at``."""
    first = _value(text, at, kind, end)
    if first is None:
        return None
    value, start, at = first
    unit_text = None
    if kind in ("number", "integer"):
        u = _unit(text, at, end)
        if u is not None:
            unit_text, at = u
    return value, start, unit_text, at


#: ages and durations written with two units in one range
_IN_DAYS = {"day": 1.0, "week": 7.0, "month": 365.25 / 12, "year": 365.25}


def _in_unit_of(value: float, unit: str, other: str) -> float:
    here, there = unit_label(unit), unit_label(other)
    if here == there or here not in _IN_DAYS or there not in _IN_DAYS:
        return value
    return round(value * _IN_DAYS[here] / _IN_DAYS[there], 4)


def _range_follows(text: str, at: int, end: int, low: float) -> bool:
    sep = _RANGE_SEP.match(text, at, end)
    if sep is None or sep.group().strip().lower() not in ("-", "to", "–"):
        return False
    second = _number_unit(text, sep.end(), end, "number")
    return second is not None and second[0] > low


def _upper_bound_follows(text: str, at: int, end: int) -> bool:
    sep = _RANGE_SEP.match(text, at, end)
    if sep is None or sep.group().strip().lower() not in ("to", "-", "and", "~"):
        return False
    symbol = _SYMBOL.match(text, sep.end(), end)
    return symbol is not None and symbol.group().strip() in ("<", "<=", "≤")


def read_comparison(
    text: str, pos: int, end: int, kind: ValueKind = "number", *, between: bool = False
) -> Comparison | None:
    """Read a comparison at ``pos`` (leading spaces allowed), not past ``end``.

    ``between`` says the words before ``pos`` already opened a range ("between the
    ages of 18 and 65").
    """
    at = _SPACE.match(text, pos, end).end()  # type: ignore[union-attr]
    start = at
    opened = _BETWEEN.match(text, at, end)
    op: Op | None = None
    lo_incl = hi_incl = True
    if opened:
        at = opened.end()
        between = True
        lead = _SYMBOL.match(text, at, end)  # "between ≥ 7.5% and ≤ 10.5%"
        if lead is not None and lead.group().strip() in (">", ">=", "≥"):
            lo_incl = lead.group().strip() != ">"
            at = lead.end()
    elif (found := _op_at(text, at, end)) is not None:
        op, at = found
    first = _number_unit(text, at, end, kind)
    if first is None:
        return None
    v1, v1_start, unit_text, at = first
    v2: float | None = None
    values = [v1]
    if op in (">", ">=") and _upper_bound_follows(text, at, end):
        # "≥ 7.0% to ≤ 10.5%": one range, not a floor and a stray number
        lo_incl, between = op == ">=", True
    if op in ("<", "<=") and v1 == 0 and _range_follows(text, at, end, v1):
        op = None  # "Performance status of =< 0-2": the range is the bound, not "<= 0"
    if op in (None, "=") or between:
        sep = _RANGE_SEP.match(text, at, end)
        if sep and (between or sep.group().strip().lower() not in ("and", "/")):
            at2 = sep.end()
            # "4 to < 17 years", "≥ 12 to < 18"
            second_op = _SYMBOL.match(text, at2, end)
            worded = None if second_op else _op_at(text, at2, end)
            if worded is not None and worded[0] not in ("<", "<="):
                worded = None  # "from 18.5 to less than 25.0": only an upper bound
            if second_op:
                at2 = second_op.end()
            elif worded is not None:
                at2 = worded[1]
            second = _number_unit(text, at2, end, kind)
            if second is not None and unit_text and second[2]:
                # "6 months to less than 13 years": the low bound in the high one's unit
                v1 = _in_unit_of(v1, unit_text, second[2])
            if second is not None and (between or second[0] >= v1):
                v2, _, unit2, at = second
                unit_text = unit2 or unit_text
                if second_op is not None:
                    hi_incl = "=" in second_op.group() or "≤" in second_op.group()
                elif worded is not None:
                    hi_incl = worded[0] == "<="
        if v2 is None and kind in ("integer", "roman", "letter"):
            # "0 or 1", "I, II or III", "A or B": a set of grades
            while True:
                sep = _LIST_SEP.match(text, at, end)
                if not sep:
                    break
                nxt = _value(text, sep.end(), kind, end)
                if nxt is None:
                    break
                values.append(nxt[0])
                at = nxt[2]
            if len(values) > 1:
                v1, v2 = min(values), max(values)
        if v2 is not None:
            op = None
    if v2 is None and op in (None, "="):
        post = _POST.match(text, at, end)
        if post:
            op = ">=" if post.group("ge") else "<="
            at = post.end()
            if unit_text is None and kind in ("number", "integer"):
                u = _unit(text, at, end)
                if u is not None:
                    unit_text, at = u
    if unit_text is None and kind in ("number", "integer"):
        paren = _UNIT_PAREN.match(text, _SPACE.match(text, at, end).end())  # type: ignore[union-attr]
        if paren and unit_label(paren.group(1)) == "x ULN":
            unit_text, at = paren.group(), paren.end()
    label = None if unit_text is None else unit_label(unit_text)
    if unit_text is not None and label is None:
        unit_text = None
    raw_value = _span_text(text, v1_start, at)
    if v2 is not None:
        lo, hi = (v1, v2) if v1 <= v2 else (v2, v1)
        return Comparison("range", lo, lo_incl, hi, hi_incl, raw_value, unit_text, label, start, at)
    if opened and op is None:
        if opened.group().lower().startswith("from"):
            # "Age from 18 years": from there up
            return Comparison(">=", v1, True, None, False, raw_value, unit_text, label, start, at)
        # "HbA1C between 86 mmol/mol (10%) ≥ 48 mmol/mol": a range not read is no "= 86"
        return None
    if op is None or op == "=":
        return Comparison("=", v1, True, v1, True, raw_value, unit_text, label, start, at)
    if op in (">", ">="):
        return Comparison(op, v1, op == ">=", None, False, raw_value, unit_text, label, start, at)
    return Comparison(op, None, False, v1, op == "<=", raw_value, unit_text, label, start, at)
