"""A search as a person writes it: the options of ``trialscope search``, kept as typed.

``SearchOptions`` is what a saved search stores (``trialscope watch``), what the MCP
``search_trials`` tool takes and what the CLI builds from its flags; ``to_query`` turns it
into the engine's :class:`SearchQuery` (resolving a place name, a radius, the sex). Keeping
the typed form, not the resolved query, means a stored search stays readable and still
works after the gazetteer or the engine changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import Any

from trialscope.errors import UsageError
from trialscope.search.gazetteer import locate_place
from trialscope.search.types import GeoFilter, SearchQuery, SortOrder

_RADIUS = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(km|mi|miles?)?\s*$", re.IGNORECASE)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: bounds on options that arrive as JSON (the web API, a stored watch)
MAX_TEXT = 300
MAX_ITEMS = 30
_BOOL_FLAGS = {
    "healthy": ("--healthy", "--not-healthy"),
    "has_results": ("--has-results", "--no-results"),
}
_LISTS = ("status", "site_status", "phase", "study_type", "intervention_type")


def parse_radius(text: str) -> float:
    """``100km``, ``50mi``, ``25`` (km) → kilometres."""
    match = _RADIUS.match(text)
    if not match:
        raise UsageError(f"Cannot read the radius {text!r}.", hint="Use e.g. 100km or 50mi.")
    value = float(match.group(1))
    unit = (match.group(2) or "km").lower()
    return value * 1.609344 if unit.startswith("mi") else value


def _codes(values: Any) -> tuple[str, ...]:
    if isinstance(values, str):
        values = [values]
    return tuple(str(v).strip().upper() for v in values or () if str(v).strip())


def _check_type(name: str, declared: str, value: Any) -> None:
    """Stored or posted JSON must have the type the option has (never a crash later)."""
    if "tuple" in declared:
        ok = isinstance(value, list) and len(value) <= MAX_ITEMS
        ok = ok and all(isinstance(v, str) and len(v) <= MAX_TEXT for v in value)
        expected = f"a list of at most {MAX_ITEMS} codes"
    elif "float" in declared:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        expected = "a number"
    elif "bool" in declared:
        ok = isinstance(value, bool)
        expected = "true or false"
    else:
        ok = isinstance(value, str) and len(value) <= MAX_TEXT
        expected = f"text of at most {MAX_TEXT} characters"
    if not ok:
        raise UsageError(f"The search option {name!r} must be {expected}.")


@dataclass(frozen=True, slots=True)
class SearchOptions:
    """Every option of ``trialscope search`` but paging and output. Codes (statuses,
    phases, types) are upper case; ``near`` is a place name or ``lat,lon``."""

    text: str | None = None
    cond: str | None = None
    intr: str | None = None
    sponsor: str | None = None
    status: tuple[str, ...] = ()
    site_status: tuple[str, ...] = ()
    phase: tuple[str, ...] = ()
    study_type: tuple[str, ...] = ()
    intervention_type: tuple[str, ...] = ()
    age: float | None = None
    sex: str | None = None
    healthy: bool | None = None
    country: str | None = None
    state: str | None = None
    city: str | None = None
    near: str | None = None
    radius: str = "100km"
    has_results: bool | None = None
    updated_since: str | None = None

    def __post_init__(self) -> None:
        # Normalise in place (frozen): codes upper case, blank text as None.
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in _LISTS:
                object.__setattr__(self, f.name, _codes(value))
            elif isinstance(value, str) and f.name != "radius":
                object.__setattr__(self, f.name, value.strip() or None)
        if self.sex is not None:
            sex = self.sex.upper()
            if sex not in ("FEMALE", "MALE"):
                raise UsageError(f"Unknown sex {self.sex!r}.", hint="Use female or male.")
            object.__setattr__(self, "sex", sex)
        if self.age is not None and not 0 <= self.age <= 130:
            raise UsageError(f"The age {self.age:g} is not a number of years from 0 to 130.")
        if self.updated_since is not None and not _DATE.match(self.updated_since):
            raise UsageError(
                f"Cannot read the date {self.updated_since!r}.", hint="Use YYYY-MM-DD."
            )
        parse_radius(self.radius)  # fail now, not when the search first runs

    def to_query(
        self,
        *,
        sort: SortOrder = SortOrder.RELEVANCE,
        limit: int = 10,
        cursor: str | None = None,
        with_facets: bool = True,
    ) -> SearchQuery:
        geo = None
        if self.near:
            place = locate_place(self.near)
            geo = GeoFilter(place.lat, place.lon, parse_radius(self.radius), place.label)
        return SearchQuery(
            text=self.text,
            cond=self.cond,
            intr=self.intr,
            sponsor=self.sponsor,
            statuses=self.status,
            site_statuses=self.site_status,
            phases=self.phase,
            study_types=self.study_type,
            intervention_types=self.intervention_type,
            age_years=self.age,
            sex=self.sex,
            healthy_volunteers=self.healthy,
            country=self.country,
            state=self.state,
            city=self.city,
            geo=geo,
            has_results=self.has_results,
            updated_from=self.updated_since,
            sort=sort,
            limit=limit,
            cursor=cursor,
            with_facets=with_facets,
        )

    def to_json(self) -> dict[str, Any]:
        """Only the options that are set (the radius only with a place)."""
        data: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None or value == () or (f.name == "radius" and not self.near):
                continue
            data[f.name] = list(value) if isinstance(value, tuple) else value
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SearchOptions:
        if not isinstance(data, dict):
            raise UsageError("Search options must be a JSON object.")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise UsageError(
                f"Unknown search option {unknown[0]!r}.",
                hint="Known options: " + ", ".join(sorted(known)) + ".",
            )
        for f in fields(cls):
            if f.name in data and data[f.name] is not None:
                _check_type(f.name, str(f.type), data[f.name])
        return cls(**data)

    def describe(self) -> str:
        """The search as ``trialscope search`` flags, for listings."""
        words: list[str] = []
        for key, value in self.to_json().items():
            if key == "text":
                words.insert(0, repr(value) if " " in value else value)
                continue
            flag = "--" + key.replace("_", "-")
            if isinstance(value, bool):
                words.append(_BOOL_FLAGS[key][0 if value else 1])
            elif isinstance(value, list):
                words += [f"{flag} {v}" for v in value]
            else:
                text = f"{value:g}" if isinstance(value, float) else str(value)
                words.append(f"{flag} {text!r}" if " " in text else f"{flag} {text}")
        return " ".join(words) or "(every trial)"
