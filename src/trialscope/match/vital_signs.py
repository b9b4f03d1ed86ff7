"""Vital signs a note writes in the ward's shorthand, which criteria never use."""

from __future__ import annotations

import re
from collections.abc import Iterator

#: "T 38.2" (°C): in criteria a "T 2" is a tumour stage, so only a note's temperature in
#: the human range is read this way ("Tmax", "Temp" and "RR" are criteria aliases too)
_SHORT_TEMPERATURE = re.compile(r"\bT\s*(3[4-9]|4[0-2])(\.\d)?(?:\s*°?\s*C\b)?(?=[\s,;.)]|$)")


def short_temperatures(text: str) -> Iterator[tuple[float, tuple[int, int]]]:
    """(°C, span) of each temperature written "T 38.2"."""
    for found in _SHORT_TEMPERATURE.finditer(text):
        yield float(found.group(1) + (found.group(2) or "")), found.span()
