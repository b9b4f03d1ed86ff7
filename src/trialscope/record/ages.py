"""CT.gov eligibility ages: "18 Years", "6 Months", "30 Days", "N/A".

The API spells an age as ``<integer> <Unit>`` (Year(s), Month(s), Week(s),
Day(s), Hour(s), Minute(s)); "N/A" or an absent value means no limit.  The
parser also takes what third-party dumps and legacy XML contain (any case,
"yrs", decimals) and never raises: text it cannot read gives ``None``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Age", "AgeUnit", "age_in_years", "parse_age"]

_DAYS_PER_YEAR = 365.25


class AgeUnit(StrEnum):
    """Unit of an age, valued as CT.gov spells the plural."""

    YEARS = "Years"
    MONTHS = "Months"
    WEEKS = "Weeks"
    DAYS = "Days"
    HOURS = "Hours"
    MINUTES = "Minutes"

    @property
    def singular(self) -> str:
        return self.value[:-1]

    @property
    def in_years(self) -> float:
        """Length of one unit in (Julian) years."""
        return _UNIT_YEARS[self]


_UNIT_YEARS: dict[AgeUnit, float] = {
    AgeUnit.YEARS: 1.0,
    AgeUnit.MONTHS: 1.0 / 12.0,
    AgeUnit.WEEKS: 7.0 / _DAYS_PER_YEAR,
    AgeUnit.DAYS: 1.0 / _DAYS_PER_YEAR,
    AgeUnit.HOURS: 1.0 / (_DAYS_PER_YEAR * 24.0),
    AgeUnit.MINUTES: 1.0 / (_DAYS_PER_YEAR * 24.0 * 60.0),
}

# Spellings seen in CT.gov data and in hand-made dumps, by unit.
_UNIT_WORDS: dict[str, AgeUnit] = {
    "year": AgeUnit.YEARS,
    "yr": AgeUnit.YEARS,
    "y": AgeUnit.YEARS,
    "month": AgeUnit.MONTHS,
    "mo": AgeUnit.MONTHS,
    "mon": AgeUnit.MONTHS,
    "week": AgeUnit.WEEKS,
    "wk": AgeUnit.WEEKS,
    "w": AgeUnit.WEEKS,
    "day": AgeUnit.DAYS,
    "d": AgeUnit.DAYS,
    "hour": AgeUnit.HOURS,
    "hr": AgeUnit.HOURS,
    "h": AgeUnit.HOURS,
    "minute": AgeUnit.MINUTES,
    "min": AgeUnit.MINUTES,
}

_AGE_RE = re.compile(
    r"\s*(\d{1,6}(?:\.\d{1,6})?)\s*([a-z]+?)s?\.?(?:\s+old)?\s*",
    re.IGNORECASE | re.ASCII,
)


@dataclass(frozen=True, slots=True)
class Age:
    """An age limit: a non-negative amount of a unit, e.g. ``Age(18, AgeUnit.YEARS)``."""

    value: float
    unit: AgeUnit

    @property
    def years(self) -> float:
        """The age in years (a month is 1/12 year, a day 1/365.25), for comparisons."""
        return self.value * self.unit.in_years

    def __str__(self) -> str:
        """CT.gov spelling: "18 Years", "1 Year", "6 Months"."""
        number = int(self.value) if float(self.value).is_integer() else self.value
        unit = self.unit.singular if number == 1 else self.unit.value
        return f"{number} {unit}"


def parse_age(text: str | None) -> Age | None:
    """Parse a CT.gov age string; ``None`` for "N/A", empty or unreadable text."""
    if not isinstance(text, str):
        return None
    match = _AGE_RE.fullmatch(text)
    if match is None:
        return None
    unit = _UNIT_WORDS.get(match.group(2).lower())
    if unit is None:
        return None
    number = match.group(1)
    value: float = float(number) if "." in number else int(number)
    return Age(value, unit)


def age_in_years(text: str | None) -> float | None:
    """Shortcut for ``parse_age(text).years``; ``None`` when there is no limit."""
    age = parse_age(text)
    return age.years if age is not None else None
