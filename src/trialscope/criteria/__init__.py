"""Eligibility criteria: split into items, parse into computable constraints.

Public API::

    from trialscope.criteria import parse_criteria, PARSER_VERSION
    parsed = parse_criteria(text)          # ParsedCriteria
    parsed.items[0].constraints[0].low     # Bound(value=1.5, inclusive=True) in 10^9/L
    parsed.to_json()                       # plain JSON, ParsedCriteria.from_json() back

Stored parses: ``trialscope.criteria.store`` (``parse_pending``, ``load_parse``).
"""

from __future__ import annotations

from trialscope.criteria.catalogue import BY_ID as VARIABLES
from trialscope.criteria.catalogue import Variable
from trialscope.criteria.model import (
    Bound,
    Constraint,
    Item,
    ItemKind,
    Mention,
    ParsedCriteria,
    Span,
    TemporalWindow,
)
from trialscope.criteria.parser import PARSER_VERSION, parse_criteria

__all__ = [
    "PARSER_VERSION",
    "VARIABLES",
    "Bound",
    "Constraint",
    "Item",
    "ItemKind",
    "Mention",
    "ParsedCriteria",
    "Span",
    "TemporalWindow",
    "Variable",
    "parse_criteria",
]
