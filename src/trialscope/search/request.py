"""One search request, as a person writes it: the single model every surface derives from.

:class:`SearchRequest` is what ``trialscope search`` and ``watch add`` take as options, what
the search page's form reads, what a saved search stores (``to_json``/``from_json``), and
what the MCP ``search_trials`` tool takes as arguments. Each field declares, beside its
type and description, how it is spelled on every surface (:class:`Surface`): the CLI
options, the form fields and the MCP input schema are built from these declarations, so
a filter is added here and nowhere else (``tests/test_search_request.py`` proves it).

Paging and output (sort, limit, cursor, ``--json``) are not part of a request: a saved
search has none. ``to_query`` turns a request into the engine's :class:`SearchQuery`
(resolving a place name, a radius, the sex). Keeping the typed form, not the resolved
query, means a stored search stays readable and still works after the gazetteer or the
engine changes.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

import orjson
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic.fields import FieldInfo

from trialscope.errors import UsageError
from trialscope.search.gazetteer import locate_place
from trialscope.search.types import GeoFilter, SearchQuery, SortOrder
from trialscope.vocab import InterventionType, Phase, RecruitmentStatus, Status, StudyType

__all__ = [
    "MAX_ITEMS",
    "MAX_TEXT",
    "SearchRequest",
    "Surface",
    "parse_radius",
    "plain_number",
    "split_radius",
]

_RADIUS = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(km|mi|miles?)?\s*$", re.IGNORECASE)
#: bounds on what arrives from outside (the web, a stored watch, an agent)
MAX_TEXT = 300
MAX_ITEMS = 30
MAX_RADIUS_KM = 20_000.0
KM_PER_MILE = 1.609344


@dataclass(frozen=True, slots=True)
class Surface:
    """How one request field is spelled outside Python."""

    #: its name in the search page's query string (and saved-search links)
    form: str
    #: its argument name in the MCP ``search_trials`` tool
    mcp: str
    #: the CLI declaration when not ``--field-name`` (a boolean's on/off pair)
    flag: str | None = None
    #: a positional CLI argument rather than an option
    argument: bool = False
    #: the vocabulary of a list of codes, its legend and the engine facet it narrows
    codes: type[StrEnum] | None = None
    legend: str = ""
    facet: str | None = None

    def flags(self, name: str) -> tuple[str, str | None]:
        """The CLI flag that sets the field (and, for a boolean, the one that clears it)."""
        if self.flag is None:
            return "--" + name.replace("_", "-"), None
        on, _, off = self.flag.partition("/")
        return on, off or None


class _Refused(ValueError):
    """A field's own check failed: carries the message and hint the user sees."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def parse_radius(text: str) -> float:
    """``100km``, ``50mi``, ``25`` (km) → kilometres."""
    match = _RADIUS.match(text)
    if not match:
        raise UsageError(f"Cannot read the radius {text!r}.", hint="Use e.g. 100km or 50mi.")
    value = float(match.group(1))
    unit = (match.group(2) or "km").lower()
    return value * KM_PER_MILE if unit.startswith("mi") else value


def split_radius(radius: str) -> tuple[str, str]:
    """A canonical radius (``50mi``) → its number as typed and its unit: ``("50", "mi")``."""
    return (radius[:-2], radius[-2:]) if radius.endswith(("km", "mi")) else (radius, "km")


def plain_number(value: float) -> str:
    """A float as short text that reads back as the same float (``62`` not ``62.0``)."""
    short = f"{value:g}"
    return short if float(short) == value else repr(value)


def _plain_text(value: str | None, info: ValidationInfo) -> str | None:
    """Blank is unset; surrounding spaces go; at most MAX_TEXT characters."""
    if value is None:
        return None
    if len(value) > MAX_TEXT:
        raise _Refused(f"The search option {info.field_name!r} must be {_expected(Text)}.")
    return value.strip() or None


def _one_or_many(value: Any, info: ValidationInfo) -> Any:
    # a single code typed where a list goes; JSON (a stored watch) must be a list
    if info.mode == "python" and (value is None or isinstance(value, str)):
        return () if value is None else (value,)
    # strict JSON takes an array for a tuple, but it reaches this check as a list
    return tuple(value) if isinstance(value, list) else value


def _known_codes(value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
    """Upper case, blanks dropped, each one of its field's vocabulary (``Surface.codes``)."""
    if len(value) > MAX_ITEMS or any(len(v) > MAX_TEXT for v in value):
        raise _Refused(f"The search option {info.field_name!r} must be {_expected(Codes)}.")
    codes = tuple(c for v in value if (c := v.strip().upper()))
    surface = SearchRequest.surface(info.field_name or "")
    vocab = surface.codes
    if vocab is not None:
        for code in codes:
            if code not in vocab._value2member_map_:
                raise _Refused(
                    f"Unknown {surface.legend.lower()} {code!r}.",
                    hint="Use one of: " + ", ".join(vocab._value2member_map_) + ".",
                )
    return codes


#: free text: a new text field needs only this type (and its Surface)
Text = Annotated[str | None, AfterValidator(_plain_text)]
#: codes of a vocabulary: a new list field needs only this type and a Surface naming it
Codes = Annotated[tuple[str, ...], BeforeValidator(_one_or_many), AfterValidator(_known_codes)]


class SearchRequest(BaseModel):
    """Every option of ``trialscope search`` but paging and output. Codes (statuses,
    phases, types) are upper case; ``near`` is a place name or ``lat,lon``; ``radius`` is
    kept as ``<number><km|mi>``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: Annotated[
        Text,
        Surface("q", "query", argument=True),
        Field(description='Words to look for anywhere; "phrases" and OR work.'),
    ] = None
    cond: Annotated[
        Text, Surface("cond", "condition"), Field(description="Condition or disease.")
    ] = None
    intr: Annotated[
        Text, Surface("intr", "intervention"), Field(description="Intervention or treatment.")
    ] = None
    sponsor: Annotated[
        Text, Surface("sponsor", "sponsor"), Field(description="Sponsor or collaborator.")
    ] = None
    status: Annotated[
        Codes,
        Surface("status", "status", codes=Status, legend="Trial status", facet="overall_status"),
        Field(description="Overall status (RECRUITING, NOT_YET_RECRUITING, ...), repeatable."),
    ] = ()
    phase: Annotated[
        Codes,
        Surface("phase", "phase", codes=Phase, legend="Phase", facet="phase"),
        Field(description="PHASE1, PHASE2, ... repeatable."),
    ] = ()
    study_type: Annotated[
        Codes,
        Surface("type", "study_type", codes=StudyType, legend="Study type", facet="study_type"),
        Field(description="INTERVENTIONAL, OBSERVATIONAL, ... repeatable."),
    ] = ()
    intervention_type: Annotated[
        Codes,
        Surface(
            "itype",
            "intervention_type",
            codes=InterventionType,
            legend="Intervention type",
            facet="intervention_type",
        ),
        Field(description="DRUG, PROCEDURE, ... repeatable."),
    ] = ()
    site_status: Annotated[
        Codes,
        Surface(
            "site_status",
            "site_status",
            codes=RecruitmentStatus,
            legend="Site status",
            facet="site_status",
        ),
        Field(description="Status of the site itself (only such sites count), repeatable."),
    ] = ()
    age: Annotated[
        float | None,
        Surface("age", "age"),
        Field(ge=0, le=130, description="Patient age in years."),
    ] = None
    sex: Annotated[Text, Surface("sex", "sex"), Field(description="female or male.")] = None
    healthy: Annotated[
        bool | None,
        Surface("hv", "healthy_volunteers", flag="--healthy/--not-healthy"),
        Field(description="Trials that take healthy volunteers (or, if false, do not)."),
    ] = None
    country: Annotated[
        Text, Surface("country", "country"), Field(description="Country of a site.")
    ] = None
    state: Annotated[
        Text, Surface("state", "state"), Field(description="State or region of a site.")
    ] = None
    city: Annotated[Text, Surface("city", "city"), Field(description="City of a site.")] = None
    near: Annotated[
        Text,
        Surface("near", "near"),
        Field(description="Place name ('Lyon, France') or lat,lon (offline gazetteer)."),
    ] = None
    radius: Annotated[
        str, Surface("radius", "radius"), Field(description="Distance from near: 100km, 50mi.")
    ] = "100km"
    has_results: Annotated[
        bool | None,
        Surface("results", "has_results", flag="--has-results/--no-results"),
        Field(description="Trials with posted results (or, if false, without)."),
    ] = None
    updated_since: Annotated[
        Text,
        Surface("updated", "updated_since"),
        Field(description="Last update on or after this date, YYYY-MM-DD."),
    ] = None

    # -- checks and normal forms ------------------------------------------------------

    @field_validator("sex")
    @classmethod
    def _sex(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if value.upper() not in ("FEMALE", "MALE"):
            raise _Refused(f"Unknown sex {value!r}.", hint="Use female or male.")
        return value.upper()

    @field_validator("radius")
    @classmethod
    def _radius(cls, value: str) -> str:
        match = _RADIUS.match(value)
        if not match:
            raise _Refused(f"Cannot read the radius {value!r}.", hint="Use e.g. 100km or 50mi.")
        unit = "mi" if (match.group(2) or "km").lower().startswith("mi") else "km"
        canonical = match.group(1) + unit
        if not 0 < parse_radius(canonical) <= MAX_RADIUS_KM:
            raise _Refused(
                f"The radius {value!r} is not a distance above 0 and up to 20,000 km.",
                hint="Use e.g. 100km or 50mi.",
            )
        return canonical

    @field_validator("updated_since")
    @classmethod
    def _date(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            if len(value) != 10:
                raise ValueError
            date.fromisoformat(value)
        except ValueError:
            raise _Refused(f"Cannot read the date {value!r}.", hint="Use YYYY-MM-DD.") from None
        return value

    # -- the surfaces -----------------------------------------------------------------

    @classmethod
    def surface(cls, name: str) -> Surface:
        return _surface(cls.model_fields[name])

    @classmethod
    def surfaces(cls) -> Iterator[tuple[str, FieldInfo, Surface]]:
        """Every field with its declaration and how each surface spells it, in order."""
        for name, info in cls.model_fields.items():
            yield name, info, _surface(info)

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> SearchRequest:
        """From values as a surface read them (a single code may stand for a list); a bad
        value is a :class:`UsageError` with a message for a person, never pydantic's."""
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise _usage_error(exc) from None

    @classmethod
    def from_mcp(cls, arguments: Mapping[str, Any]) -> SearchRequest:
        """From the MCP tool's arguments (named by ``Surface.mcp``)."""
        return cls.from_values(
            {n: arguments[s.mcp] for n, _, s in cls.surfaces() if s.mcp in arguments}
        )

    def to_mcp(self) -> dict[str, Any]:
        """The MCP tool arguments that ask this search (the options that are set)."""
        saved = self.to_json()
        return {s.mcp: saved[n] for n, _, s in self.surfaces() if n in saved}

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

    # -- a saved search ---------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """Only the options that are set (the default radius only with a place)."""
        data = self.model_dump(mode="json", exclude_none=True)
        if not self.near and self.radius == _DEFAULT_RADIUS:
            data.pop("radius")
        return {k: v for k, v in data.items() if v != []}

    @classmethod
    def from_json(cls, data: Any) -> SearchRequest:
        """A stored or posted search: types exactly as ``to_json`` writes them."""
        if not isinstance(data, dict):
            raise UsageError("Search options must be a JSON object.")
        try:
            encoded = orjson.dumps(data)
        except orjson.JSONEncodeError as exc:  # an integer beyond 64 bits
            raise UsageError(f"Cannot read the search options: {exc}.") from None
        try:
            return cls.model_validate_json(encoded, strict=True)
        except ValidationError as exc:
            raise _usage_error(exc) from None

    def describe(self) -> str:
        """The search as ``trialscope search`` arguments (shell-quoted), for listings."""
        words: list[str] = []
        tail: list[str] = []
        for key, value in self.to_json().items():
            surface = self.surface(key)
            if surface.argument:
                # words that look like an option go last, after "--"
                tail = ["--", _quote(value)] if value.startswith("-") else []
                words += [] if tail else [_quote(value)]
                continue
            on, off = surface.flags(key)
            if isinstance(value, bool):
                words.append(on if value else str(off))
            elif isinstance(value, list):
                words += [f"{on} {_quote(v)}" for v in value]
            elif isinstance(value, float):
                words.append(f"{on} {plain_number(value)}")
            else:
                words.append(f"{on} {_quote(str(value))}")
        return " ".join(words + tail) or "(every trial)"


_DEFAULT_RADIUS = SearchRequest.model_fields["radius"].default


def _quote(text: str) -> str:
    return shlex.quote(text)


def _surface(info: FieldInfo) -> Surface:
    found = [m for m in info.metadata if isinstance(m, Surface)]
    assert found, "every request field declares its Surface"
    return found[0]


def _expected(annotation: object) -> str:
    if annotation in (Codes, tuple[str, ...]):
        return f"a list of at most {MAX_ITEMS} codes"
    if annotation == float | None:
        return "a number"
    if annotation == bool | None:
        return "true or false"
    return f"text of at most {MAX_TEXT} characters"


def _usage_error(exc: ValidationError) -> UsageError:
    """The first problem of a request, as a message for a person (never pydantic's)."""
    error = exc.errors()[0]
    name = str(error["loc"][0]) if error["loc"] else ""
    refused = (error.get("ctx") or {}).get("error")
    if isinstance(refused, _Refused):
        return UsageError(refused.message, hint=refused.hint)
    if error["type"] == "extra_forbidden":
        return UsageError(
            f"Unknown search option {name!r}.",
            hint="Known options: " + ", ".join(sorted(SearchRequest.model_fields)) + ".",
        )
    if name == "age" and error["type"] != "float_type":
        return UsageError(f"The age {error['input']!r} is not a number of years from 0 to 130.")
    field = SearchRequest.model_fields.get(name)
    expected = _expected(field.annotation if field else None)
    return UsageError(f"The search option {name!r} must be {expected}.")
