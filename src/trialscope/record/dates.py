"""CT.gov partial dates: "2020", "2020-04", "2020-04-01".

Start and completion dates are often known only to the month, so they are not
ISO dates and must not go through ``datetime.date``.  :class:`PartialDate`
keeps the precision, orders like its lower bound (a month before the days in
it) and gives the lower/upper ``date`` bounds for range filters.  The parser
also reads the legacy XML spellings ("April 2020", "April 1, 2020") and the
``yyyy-MM-ddTHH:mm`` form of upload dates, and never raises.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from functools import total_ordering
from typing import Literal

__all__ = ["PartialDate", "format_partial_date", "parse_partial_date"]

Precision = Literal["year", "month", "day"]

# English on purpose: `calendar.month_name` follows the process locale.
_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_MONTHS = {name.lower(): i for i, name in enumerate(_MONTH_NAMES, 1)}
_MONTHS.update({name[:3].lower(): i for i, name in enumerate(_MONTH_NAMES, 1)})
_MONTHS["sept"] = 9

_ISO_RE = re.compile(
    r"\s*(\d{4})(?:-(\d{1,2})(?:-(\d{1,2})(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z?)?)?)?\s*", re.ASCII
)
# "April 2020", "April 1, 2020", "Apr. 1 2020"
_LEGACY_RE = re.compile(r"\s*([A-Za-z]+)\.?\s+(?:(\d{1,2}),?\s+)?(\d{4})\s*", re.ASCII)


@total_ordering
@dataclass(frozen=True, slots=True)
class PartialDate:
    """A date known to the year, the month or the day."""

    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.year <= 9999:
            raise ValueError(f"year out of range: {self.year}")
        if self.month is None:
            if self.day is not None:
                raise ValueError("a day needs a month")
            return
        if not 1 <= self.month <= 12:
            raise ValueError(f"month out of range: {self.month}")
        if self.day is not None:
            date(self.year, self.month, self.day)  # raises ValueError on a bad day

    @property
    def precision(self) -> Precision:
        if self.day is not None:
            return "day"
        return "month" if self.month is not None else "year"

    @property
    def lower(self) -> date:
        """First day the value can mean ("2020-04" -> 2020-04-01)."""
        return date(self.year, self.month or 1, self.day or 1)

    @property
    def upper(self) -> date:
        """Last day the value can mean ("2020-04" -> 2020-04-30)."""
        if self.month is None:
            return date(self.year, 12, 31)
        day = self.day or calendar.monthrange(self.year, self.month)[1]
        return date(self.year, self.month, day)

    def _key(self) -> tuple[int, int, int]:
        return (self.year, self.month or 0, self.day or 0)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, PartialDate):
            return NotImplemented
        return self._key() < other._key()

    def isoformat(self) -> str:
        """CT.gov spelling: "2020", "2020-04" or "2020-04-01"."""
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    def human(self) -> str:
        """The website's spelling: "2020", "April 2020", "April 1, 2020"."""
        year = f"{self.year:04d}"
        if self.month is None:
            return year
        month = _MONTH_NAMES[self.month - 1]
        if self.day is None:
            return f"{month} {year}"
        return f"{month} {self.day}, {year}"

    def __str__(self) -> str:
        return self.isoformat()

    @classmethod
    def from_date(cls, value: date) -> PartialDate:
        return cls(value.year, value.month, value.day)


def _build(year: str, month: int | None, day: str | None) -> PartialDate | None:
    try:
        return PartialDate(int(year), month, int(day) if day else None)
    except ValueError:
        return None


def parse_partial_date(text: str | None) -> PartialDate | None:
    """Parse a CT.gov (or legacy XML) date; ``None`` when it is not one."""
    if not isinstance(text, str):
        return None
    if iso := _ISO_RE.fullmatch(text):
        year, month, day = iso.groups()
        return _build(year, int(month) if month else None, day)
    if legacy := _LEGACY_RE.fullmatch(text):
        name, day, year = legacy.groups()
        month = _MONTHS.get(name.lower())
        return _build(year, month, day) if month is not None else None
    return None


def format_partial_date(text: str | None, *, human: bool = False) -> str | None:
    """Normalise a date string for display; text that is not a date is
    returned unchanged rather than dropped."""
    if text is None:
        return None
    parsed = parse_partial_date(text)
    if parsed is None:
        return text
    return parsed.human() if human else parsed.isoformat()
