"""Reading FHIR R4 values the way every resource reader needs them: a concept's words
and first code, a date or dateTime, and the provenance of a fact."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from trialscope.match.patient import Provenance


def concept_text(concept: Any) -> str | None:
    """A CodeableConcept's words: its text, else the first coding's display or code."""
    if concept is None:
        return None
    if concept.text:
        return str(concept.text)
    for coding in concept.coding or []:
        if coding.display:
            return str(coding.display)
    for coding in concept.coding or []:
        if coding.code:
            return str(coding.code)
    return None


def code_of(concept: Any) -> str | None:
    if concept is None:
        return None
    return next((str(c.code) for c in concept.coding or [] if c.code), None)


def provenance(where: str, res: Any, text: str | None) -> Provenance:
    ref = f"{res.get_resource_type()}/{res.id}" if res.id else where
    return Provenance(kind="fhir", ref=ref, text=text)


def fhir_date(value: Any) -> dt.date | None:
    """FHIR date / dateTime (``2024``, ``2024-03``, full) -> a date (partial: the 1st)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    parts = [int(p) for p in re.findall(r"\d+", str(value))[:3]]
    year, month, day = [*parts, 1, 1][:3]
    return dt.date(year, month, day)
