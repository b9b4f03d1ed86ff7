"""Typed results of parsing eligibility criteria: items, constraints, mentions, windows.

Everything is a frozen dataclass that turns into plain JSON (``to_json``) and back
(``from_json``), so a parse can be stored beside a record version and read by the web
app or the matcher without this package's parser. Spans are ``(start, end)`` character
offsets into the eligibility text exactly as stored (escapes and all).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

Span = tuple[int, int]
ItemKind = Literal["inclusion", "exclusion", "unknown"]
Operator = Literal[">", ">=", "<", "<=", "=", "range"]
Joiner = Literal["and", "or"]


@dataclass(frozen=True, slots=True)
class Bound:
    value: float
    inclusive: bool

    def to_json(self) -> dict[str, Any]:
        return {"value": self.value, "inclusive": self.inclusive}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Bound:
        return cls(float(data["value"]), bool(data["inclusive"]))


@dataclass(frozen=True, slots=True)
class Constraint:
    """One computable comparison: ``variable`` within ``[low, high]`` in ``unit``.

    ``low``/``high`` are in the variable's canonical unit (see the catalogue); the
    values as written are kept in ``raw_value``/``raw_unit`` so a reader can show them.
    ``condition`` holds the text of an "if ..." that makes this a variant (the base
    constraint without a condition applies otherwise); ``joiner`` says how it combines
    with the constraint before it in the same item.
    """

    variable: str
    operator: Operator
    low: Bound | None
    high: Bound | None
    unit: str | None
    raw_value: str
    raw_unit: str | None
    span: Span
    text: str
    joiner: Joiner = "and"
    condition: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "variable": self.variable,
            "operator": self.operator,
            "low": None if self.low is None else self.low.to_json(),
            "high": None if self.high is None else self.high.to_json(),
            "unit": self.unit,
            "raw_value": self.raw_value,
            "raw_unit": self.raw_unit,
            "span": list(self.span),
            "text": self.text,
            "joiner": self.joiner,
            "condition": self.condition,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Constraint:
        low, high = data.get("low"), data.get("high")
        return cls(
            variable=data["variable"],
            operator=data["operator"],
            low=None if low is None else Bound.from_json(low),
            high=None if high is None else Bound.from_json(high),
            unit=data.get("unit"),
            raw_value=data["raw_value"],
            raw_unit=data.get("raw_unit"),
            span=_span(data["span"]),
            text=data["text"],
            joiner=data.get("joiner", "and"),
            condition=data.get("condition"),
        )

    def describe(self) -> str:
        """Short human form: ``platelets >= 100 10^9/L``; a bound converted to another unit
        as the criterion wrote it (``creatinine <= 2 mg/dL``, not ``<= 176.803 umol/L``)."""
        if not self._converted():
            return self.canonical()
        text = self.raw_value.strip()
        text = f"{self.variable} {text if self.operator == 'range' else f'{self.operator} {text}'}"
        return text if self.condition is None else f"{text} if {self.condition}"

    def canonical(self) -> str:
        """The bound in the variable's own unit: ``creatinine <= 176.8 umol/L``."""
        unit = f" {self.unit}" if self.unit else ""
        if self.operator == "range" and self.low and self.high:
            text = f"{self.variable} {_num(self.low.value)}-{_num(self.high.value)}{unit}"
        else:
            bound = self.low or self.high
            value = _num(bound.value) if bound else self.raw_value
            text = f"{self.variable} {self.operator} {value}{unit}"
        return text if self.condition is None else f"{text} if {self.condition}"

    def _converted(self) -> bool:
        """The bound's number is not the one written (a unit conversion happened)."""
        if not self.raw_unit or self.raw_unit == self.unit:
            return False
        bound = self.low or self.high
        written = _FIRST_NUMBER.search(self.raw_value)
        if bound is None or written is None:
            return False
        number = float(written.group().replace(",", "."))
        return abs(number - bound.value) > 1e-9 * max(1.0, abs(number))


@dataclass(frozen=True, slots=True)
class Mention:
    """A concept named in an item, with its ConText-style assertion attributes.

    ``category`` is one of ``condition``, ``pregnancy``, ``breastfeeding``,
    ``contraception``, ``prior_therapy``, ``biomarker``, ``stage``, ``sex``,
    ``care_setting`` (``inpatient``, ``intensive_care``, ``outpatient``: where the
    patient is cared for now); ``concept`` the normalised name (``brain_metastases``,
    ``hiv``, ``chemotherapy``, ``pd1``, ...).
    """

    category: str
    concept: str
    text: str
    span: Span
    negated: bool = False
    historical: bool = False
    hypothetical: bool = False
    family: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "concept": self.concept,
            "text": self.text,
            "span": list(self.span),
            "negated": self.negated,
            "historical": self.historical,
            "hypothetical": self.hypothetical,
            "family": self.family,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Mention:
        return cls(
            category=data["category"],
            concept=data["concept"],
            text=data["text"],
            span=_span(data["span"]),
            negated=bool(data.get("negated")),
            historical=bool(data.get("historical")),
            hypothetical=bool(data.get("hypothetical")),
            family=bool(data.get("family")),
        )


@dataclass(frozen=True, slots=True)
class TemporalWindow:
    """A time window: ``relation`` is ``within`` (the last N), ``at_least`` (N or more
    ago, e.g. "at least 4 weeks since prior chemotherapy") or ``duration``
    (lasting N). ``days`` is the amount converted to days; ``anchor`` the event named."""

    relation: Literal["within", "at_least", "duration"]
    amount: float
    unit: str
    days: float
    span: Span
    text: str
    anchor: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "relation": self.relation,
            "amount": self.amount,
            "unit": self.unit,
            "days": self.days,
            "span": list(self.span),
            "text": self.text,
            "anchor": self.anchor,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TemporalWindow:
        return cls(
            relation=data["relation"],
            amount=float(data["amount"]),
            unit=data["unit"],
            days=float(data["days"]),
            span=_span(data["span"]),
            text=data["text"],
            anchor=data.get("anchor"),
        )


@dataclass(frozen=True, slots=True)
class Item:
    """One criterion: a bullet, a numbered line or a paragraph of the text."""

    index: int
    kind: ItemKind
    level: int
    parent: int | None
    span: Span
    text: str
    marker: str | None = None
    constraints: tuple[Constraint, ...] = ()
    mentions: tuple[Mention, ...] = ()
    windows: tuple[TemporalWindow, ...] = ()
    computable: bool = True
    #: why not computable: ``consent``, ``compliance``, ``investigator_judgement``, ...
    non_computable_reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "kind": self.kind,
            "level": self.level,
            "parent": self.parent,
            "span": list(self.span),
            "text": self.text,
            "marker": self.marker,
            "constraints": [c.to_json() for c in self.constraints],
            "mentions": [m.to_json() for m in self.mentions],
            "windows": [w.to_json() for w in self.windows],
            "computable": self.computable,
            "non_computable_reason": self.non_computable_reason,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Item:
        return cls(
            index=int(data["index"]),
            kind=data["kind"],
            level=int(data["level"]),
            parent=data.get("parent"),
            span=_span(data["span"]),
            text=data["text"],
            marker=data.get("marker"),
            constraints=tuple(Constraint.from_json(c) for c in data.get("constraints", ())),
            mentions=tuple(Mention.from_json(m) for m in data.get("mentions", ())),
            windows=tuple(TemporalWindow.from_json(w) for w in data.get("windows", ())),
            computable=bool(data.get("computable", True)),
            non_computable_reason=data.get("non_computable_reason"),
        )


@dataclass(frozen=True, slots=True)
class ParsedCriteria:
    """The whole eligibility text: its items in order, plus flags about the text.

    Flags: ``no_header`` (no inclusion/exclusion header found, kinds are ``unknown``),
    ``empty`` (no text).
    """

    parser_version: int
    items: tuple[Item, ...]
    flags: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {
            "parser_version": self.parser_version,
            "flags": list(self.flags),
            "items": [i.to_json() for i in self.items],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ParsedCriteria:
        return cls(
            parser_version=int(data["parser_version"]),
            items=tuple(Item.from_json(i) for i in data.get("items", ())),
            flags=tuple(data.get("flags", ())),
        )

    @property
    def constraints(self) -> list[Constraint]:
        return [c for item in self.items for c in item.constraints]

    def of_kind(self, kind: ItemKind) -> list[Item]:
        return [i for i in self.items if i.kind == kind]


def _span(value: Any) -> Span:
    return (int(value[0]), int(value[1]))


def _num(value: float) -> str:
    # four significant digits, never an exponent: 5.551, 176.8, 175000
    rounded = float(f"{value:.4g}")
    return f"{rounded:f}".rstrip("0").rstrip(".") if rounded != int(rounded) else f"{rounded:.0f}"


_FIRST_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
