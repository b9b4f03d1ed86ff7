"""A subset of CT.gov's Essie expression syntax, as ``filter.advanced`` and ``query.term``
take it: ``AREA[Field]value``, ``AREA[Field]RANGE[low, high]``, ``AREA[Field](a OR b)``,
``AND``, ``OR``, ``NOT``, parentheses, quoted phrases and plain words.

An expression is parsed into a small tree. Parts the search engine can run (statuses,
phases, ages, date ranges, text in a field) are pushed into the ``SearchQuery`` by
:mod:`trialscope.web.ctgov_params`; the rest is checked against each matching study's
JSON with :func:`matches`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from trialscope.record import parse_age
from trialscope.web.errors import BadParameter
from trialscope.web.fields import _BY_NAME

Node = Any  # Area | Text | And | Or | Not

MAX_LENGTH = 2000
HINT = (
    "Write e.g. AREA[Phase]PHASE3 AND AREA[StartDate]RANGE[2020-01-01,MAX], or"
    " AREA[MinimumAge]RANGE[MIN, 62 years] AND AREA[MaximumAge]RANGE[62 years, MAX]."
)

#: AREA fields compared as whole values (case-insensitive) rather than text
ENUM_FIELDS = {
    "overallstatus",
    "lastknownstatus",
    "phase",
    "studytype",
    "interventiontype",
    "sex",
    "stdage",
    "locationstatus",
    "designallocation",
    "designprimarypurpose",
    "designmasking",
    "designinterventionmodel",
    "leadsponsorclass",
    "enrollmenttype",
    "nctid",
    "armgrouptype",
    "locationcountry",
    "locationstate",
    "locationcity",
    "locationzip",
}
BOOL_FIELDS = {"healthyvolunteers", "hasresults", "genderbased"}
AGE_FIELDS = {"minimumage", "maximumage"}
NUMBER_FIELDS = {"enrollmentcount"}


@dataclass(frozen=True, slots=True)
class Range:
    low: str | None  # None = MIN
    high: str | None  # None = MAX


@dataclass(frozen=True, slots=True)
class Area:
    field: str  # lower-cased AREA name
    value: str | None = None
    range: Range | None = None


@dataclass(frozen=True, slots=True)
class Text:
    value: str


@dataclass(frozen=True, slots=True)
class And:
    parts: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    parts: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    part: Node


_TOKEN = re.compile(
    r"\s*(?:(?P<area>AREA\[\s*(?P<field>[A-Za-z0-9_.]+)\s*\])"
    r"|(?P<range>RANGE\[(?P<bounds>[^\]]*)\])"
    r"|(?P<open>\()|(?P<close>\))"
    r'|"(?P<quoted>[^"]*)"'
    r"|(?P<word>[^\s()\"]+))"
)


def _tokens(text: str) -> Iterator[tuple[str, str]]:
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise BadParameter(
                f"Cannot read the expression near {text[position:][:30]!r}.", hint=HINT
            )
        position = match.end()
        if match.group("field") is not None:
            yield "area", match.group("field")
        elif match.group("bounds") is not None:
            yield "range", match.group("bounds")
        elif match.group("open") is not None:
            yield "open", ""
        elif match.group("close") is not None:
            yield "close", ""
        elif match.group("quoted") is not None:
            yield "value", match.group("quoted")
        else:
            word = match.group("word")
            if word.upper() in ("AND", "OR", "NOT"):
                yield word.upper(), word
            elif word.upper().startswith(("AREA[", "RANGE[")):
                raise BadParameter(f"Unclosed bracket in {word!r}.", hint=HINT)
            else:
                yield "value", word


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = list(_tokens(text))
        self.at = 0

    def peek(self) -> str | None:
        return self.tokens[self.at][0] if self.at < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def parse(self) -> Node:
        if not self.tokens:
            raise BadParameter("The expression is empty.", hint=HINT)
        node = self.expression(area=None)
        if self.peek() is not None:
            raise BadParameter(f"Unexpected {self.tokens[self.at][1] or ')'!r}.", hint=HINT)
        return node

    def expression(self, area: str | None) -> Node:
        parts = [self.conjunction(area)]
        while self.peek() == "OR":
            self.take()
            parts.append(self.conjunction(area))
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def conjunction(self, area: str | None) -> Node:
        parts = [self.unary(area)]
        while self.peek() not in (None, "OR", "close"):
            if self.peek() == "AND":
                self.take()
            parts.append(self.unary(area))
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def unary(self, area: str | None) -> Node:
        if self.peek() == "NOT":
            self.take()
            return Not(self.unary(area))
        return self.primary(area)

    def primary(self, area: str | None) -> Node:
        kind = self.peek()
        if kind is None:
            raise BadParameter("The expression ends too early.", hint=HINT)
        _, value = self.take()
        if kind == "open":
            node = self.expression(area)
            if self.peek() != "close":
                raise BadParameter("A parenthesis is not closed.", hint=HINT)
            self.take()
            return node
        if kind == "area":
            if area is not None:
                raise BadParameter("AREA[...] cannot be nested in another AREA.", hint=HINT)
            field = value.lower()
            if field not in _BY_NAME or "." in field:
                raise BadParameter(f"Unknown field AREA[{value}].", hint=HINT)
            if self.peek() is None or self.peek() in ("AND", "OR", "close", "area"):
                raise BadParameter(f"AREA[{value}] needs a value.", hint=HINT)
            return self.primary(field)
        if kind == "range":
            if area is None:
                raise BadParameter("RANGE[...] must follow an AREA[Field].", hint=HINT)
            return Area(area, range=_range(value))
        if kind == "value":
            return Area(area, value=value) if area is not None else Text(value)
        raise BadParameter(f"Unexpected {value or kind!r}.", hint=HINT)


def _range(bounds: str) -> Range:
    parts = [p.strip() for p in bounds.split(",")]
    if len(parts) != 2:
        raise BadParameter(f"RANGE[{bounds}] needs two bounds.", hint=HINT)
    low, high = (None if p.upper() in ("MIN", "MAX", "") else p for p in parts)
    return Range(low, high)


def parse_expression(text: str) -> Node:
    if len(text) > MAX_LENGTH:
        raise BadParameter(f"The expression is longer than {MAX_LENGTH} characters.")
    return _Parser(text).parse()


# -- checking a study against a tree ---------------------------------------------------------


def _leaves(node: Any, path: tuple[str, ...]) -> Iterator[Any]:
    if not path:
        if isinstance(node, list):
            yield from node
        elif node is not None:
            yield node
        return
    if isinstance(node, list):
        for item in node:
            yield from _leaves(item, path)
    elif isinstance(node, dict) and path[0] in node:
        yield from _leaves(node[path[0]], path[1:])


def values_of(study: dict[str, Any], field: str) -> list[Any]:
    """Every value of an AREA field in a study (dates as their ``date`` string)."""
    found = list(_leaves(study, _BY_NAME[field]))
    return [v.get("date") if isinstance(v, dict) and "date" in v else v for v in found]


def age_years(text: str) -> float:
    age = parse_age(text)
    if age is None:
        raise BadParameter(
            f"Cannot read the age {text!r}.", hint="Write e.g. 18 years or 6 months."
        )
    return age.years


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise BadParameter(f"{text!r} is not a number.", hint=HINT) from None


def _in_range(field: str, values: list[Any], bounds: Range) -> bool:
    if field in AGE_FIELDS:
        years = [a for a in (parse_age(v) for v in values if isinstance(v, str)) if a]
        # no limit: a missing minimum is 0, a missing maximum is no limit at all
        amount = years[0].years if years else (0.0 if field == "minimumage" else float("inf"))
        low = age_years(bounds.low) if bounds.low else float("-inf")
        high = age_years(bounds.high) if bounds.high else float("inf")
        return low <= amount <= high
    if field in NUMBER_FIELDS:
        numbers = [float(v) for v in values if isinstance(v, int | float)]
        low = _number(bounds.low) if bounds.low else float("-inf")
        high = _number(bounds.high) if bounds.high else float("inf")
        return any(low <= n <= high for n in numbers)
    texts = [str(v) for v in values if v is not None]
    return any(
        (bounds.low is None or t >= bounds.low) and (bounds.high is None or t <= bounds.high + "~")
        for t in texts
    )


def _equals(field: str, values: list[Any], wanted: str) -> bool:
    if field in BOOL_FIELDS:
        flag = wanted.lower() in ("true", "yes", "1")
        return any(v is flag for v in values) or (not flag and not values)
    if field in AGE_FIELDS:
        target = age_years(wanted)
        return any((a := parse_age(v)) is not None and a.years == target for v in values)
    wanted_folded = wanted.casefold()
    texts = [str(v).casefold() for v in values if v is not None]
    if field in ENUM_FIELDS:
        return wanted_folded in texts
    return any(wanted_folded in t for t in texts)  # dates: a prefix; text: a phrase


def matches(node: Node, study: dict[str, Any]) -> bool:
    if isinstance(node, And):
        return all(matches(part, study) for part in node.parts)
    if isinstance(node, Or):
        return any(matches(part, study) for part in node.parts)
    if isinstance(node, Not):
        return not matches(node.part, study)
    if isinstance(node, Area):
        values = values_of(study, node.field)
        if node.range is not None:
            return _in_range(node.field, values, node.range)
        return _equals(node.field, values, node.value or "")
    raise BadParameter(
        f"Plain search words ({node.value!r}) cannot be inside OR or NOT here.",
        hint="Put words in query.term, or name their field: AREA[Condition]asthma.",
    )
