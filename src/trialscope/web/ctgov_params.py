"""CT.gov API v2 ``/studies`` parameters → a :class:`SearchQuery` (plus what only a
check of each study's JSON can answer).

Supported: ``query.cond``, ``query.term``, ``query.intr``, ``query.locn``,
``query.titles``, ``query.spons``, ``query.lead``, ``query.id``, ``filter.overallStatus``,
``filter.geo``, ``filter.ids``, ``filter.advanced``, ``sort``, ``pageSize``,
``pageToken``, ``countTotal``, ``fields``, ``format=json``, ``markupFormat=markdown``.
Lists may be repeated or joined with ``,`` or ``|`` as CT.gov allows.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import orjson

from trialscope.record.ids import HINT as NCT_HINT
from trialscope.record.ids import is_nct_id
from trialscope.search import GeoFilter, SearchQuery, SortOrder
from trialscope.vocab import Status
from trialscope.web.advanced import (
    AGE_FIELDS,
    And,
    Area,
    Node,
    Or,
    Text,
    age_years,
    parse_expression,
)
from trialscope.web.errors import BadParameter
from trialscope.web.fields import Path, parse_fields

KNOWN = frozenset(
    {
        "query.cond",
        "query.term",
        "query.intr",
        "query.locn",
        "query.titles",
        "query.spons",
        "query.lead",
        "query.id",
        "filter.overallStatus",
        "filter.geo",
        "filter.ids",
        "filter.advanced",
        "sort",
        "pageSize",
        "pageToken",
        "countTotal",
        "fields",
        "format",
        "markupFormat",
    }
)
_GEO = re.compile(
    r"^\s*distance\(\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*,"
    r"\s*(\d+(?:\.\d+)?)\s*(mi|km|m|ft)?\s*\)\s*$",
    re.IGNORECASE,
)
_KM_PER = {"mi": 1.609344, "km": 1.0, "m": 0.001, "ft": 0.0003048}
_SORTS = {
    "@relevance": SortOrder.RELEVANCE,
    "@distance": SortOrder.DISTANCE,
    "lastupdatepostdate": SortOrder.LAST_UPDATE,
    "lastupdatepostdate:desc": SortOrder.LAST_UPDATE,
    "startdate": SortOrder.START_DATE,
    "startdate:desc": SortOrder.START_DATE,
}
#: AREA fields that become list filters of the query, and the SearchQuery field
_LIST_AREAS = {
    "overallstatus": "statuses",
    "phase": "phases",
    "studytype": "study_types",
    "interventiontype": "intervention_types",
    "locationstatus": "site_statuses",
    "nctid": "nct_ids",
}
_TEXT_AREAS = {
    "condition": "cond",
    "keyword": "cond",
    "interventionname": "intr",
    "interventionothername": "intr",
    "brieftitle": "titles",
    "officialtitle": "titles",
    "acronym": "titles",
    "leadsponsorname": "sponsor",
    "locationfacility": "locn",
}
_PLACE_AREAS = {"locationcountry": "country", "locationstate": "state", "locationcity": "city"}
_DATE_AREAS = {
    "startdate": ("start_from", "start_to"),
    "lastupdatepostdate": ("updated_from", "updated_to"),
}
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def split_list(values: Iterable[str]) -> list[str]:
    return [part.strip() for v in values for part in re.split(r"[,|]", v) if part.strip()]


@dataclass(slots=True)
class Plan:
    """What to ask the engine, and what to check on each study it returns."""

    query: SearchQuery
    #: the parts of filter.advanced/query.term the engine cannot run, ANDed
    residue: list[Node] = field(default_factory=list)
    fields: list[Path] = field(default_factory=list)
    page_size: int = 10
    count_total: bool = False
    #: position to resume at: the engine's cursor, or an offset into checked matches
    cursor: str | None = None
    offset: int = 0
    key: str = ""


def _statuses(values: list[str]) -> tuple[str, ...]:
    found = []
    for value in split_list(values):
        if value.upper() not in Status._value2member_map_:
            raise BadParameter(
                f"Unknown status {value!r} in filter.overallStatus.",
                hint=f"Use one of: {', '.join(Status._value2member_map_)}.",
            )
        found.append(value.upper())
    return tuple(found)


def _geo(text: str) -> GeoFilter:
    match = _GEO.match(text)
    if match is None:
        raise BadParameter(
            f"Cannot read filter.geo={text!r}.", hint="Write distance(lat,lon,50mi) or ...,80km)."
        )
    lat, lon, radius = float(match.group(1)), float(match.group(2)), float(match.group(3))
    km = radius * _KM_PER[(match.group(4) or "mi").lower()]
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or not 0 < km <= 20100:
        raise BadParameter(
            f"filter.geo={text!r} is out of range.",
            hint="Latitude -90..90, longitude -180..180, a radius above 0 and at most 12,500 mi.",
        )
    return GeoFilter(lat=lat, lon=lon, radius_km=km)


def _ids(values: list[str]) -> tuple[str, ...]:
    ids = split_list(values)
    bad = [i for i in ids if not is_nct_id(i)]
    if bad:
        raise BadParameter(f"Not an NCT id: {bad[0]!r}.", hint=NCT_HINT)
    return tuple(i.upper() for i in ids)


def _conjuncts(node: Node) -> list[Node]:
    return list(node.parts) if isinstance(node, And) else [node]


def _join(current: str | None, extra: str) -> str:
    quoted = f'"{extra}"' if " " in extra else extra
    return f"{current} {quoted}" if current else quoted


def _one_field_values(node: Node) -> tuple[str, list[str]] | None:
    """``AREA[F]a OR AREA[F]b`` (or one ``AREA[F]a``) → (F, [a, b])."""
    parts = node.parts if isinstance(node, Or) else (node,)
    if not all(isinstance(p, Area) and p.value is not None for p in parts):
        return None
    fields = {p.field for p in parts}
    return (fields.pop(), [p.value for p in parts]) if len(fields) == 1 else None


def push_down(query: SearchQuery, expression: Node) -> tuple[SearchQuery, list[Node]]:
    """Move what the engine can run into ``query``; return the rest to check per study."""
    changes: dict[str, Any] = {}
    residue: list[Node] = []
    ages: dict[str, Area] = {}

    def current(name: str) -> Any:
        return changes.get(name, getattr(query, name))

    for part in _conjuncts(expression):
        if isinstance(part, Text):
            changes["text"] = _join(current("text"), part.value)
            continue
        listed = _one_field_values(part)
        if listed and listed[0] in _LIST_AREAS:
            name = _LIST_AREAS[listed[0]]
            values = tuple(v.upper() for v in listed[1])
            if not current(name):  # a second filter on the same field is checked per study
                changes[name] = values
                continue
        if isinstance(part, Area) and part.value is not None:
            if part.field in _TEXT_AREAS:
                name = _TEXT_AREAS[part.field]
                changes[name] = _join(current(name), part.value)
                continue
            if part.field in _PLACE_AREAS and not current(_PLACE_AREAS[part.field]):
                changes[_PLACE_AREAS[part.field]] = part.value
                continue
            if part.field in ("sex", "healthyvolunteers", "hasresults"):
                residue.append(part)  # exact CT.gov meaning; the engine's differs slightly
                continue
        if isinstance(part, Area) and part.range is not None:
            if part.field in _DATE_AREAS:
                low_name, high_name = _DATE_AREAS[part.field]
                for bound in (part.range.low, part.range.high):
                    if bound is not None and not _DATE.match(bound):
                        raise BadParameter(
                            f"{bound!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD).",
                            hint="For example AREA[StartDate]RANGE[2020-01-01,MAX].",
                        )
                if not current(low_name) and not current(high_name):
                    changes[low_name], changes[high_name] = part.range.low, part.range.high
                    continue
            if part.field in AGE_FIELDS:
                ages[part.field] = part
        residue.append(part)

    # A patient's age: minimum age at most A and maximum age at least A.
    low, high = ages.get("minimumage"), ages.get("maximumage")
    patient_age = (
        low is not None
        and high is not None
        and low.range is not None
        and high.range is not None
        and low.range.low is None
        and high.range.high is None
        and low.range.high is not None
        and low.range.high == high.range.low
    )
    if patient_age and low and low.range and low.range.high and current("age_years") is None:
        changes["age_years"] = age_years(low.range.high)
        residue = [r for r in residue if r is not low and r is not high]
    for part in residue:  # validate ages and numbers now, not per study
        if isinstance(part, Area) and part.range and part.field in AGE_FIELDS:
            for bound in (part.range.low, part.range.high):
                if bound:
                    age_years(bound)
    return replace(query, **changes), residue


def _key(params: Mapping[str, list[str]]) -> str:
    stable = {k: v for k, v in sorted(params.items()) if k not in ("pageToken", "countTotal")}
    return hashlib.sha1(orjson.dumps(stable)).hexdigest()[:12]


def encode_token(plan: Plan, *, cursor: str | None = None, offset: int = 0) -> str:
    data = {"k": plan.key, "c": cursor} if cursor else {"k": plan.key, "o": offset}
    return base64.urlsafe_b64encode(orjson.dumps(data)).decode().rstrip("=")


def _decode_token(token: str, key: str) -> tuple[str | None, int]:
    try:
        data = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        cursor, offset, token_key = data.get("c"), int(data.get("o", 0)), str(data["k"])
    except (ValueError, KeyError, TypeError, AttributeError, orjson.JSONDecodeError):
        raise BadParameter(
            "pageToken is not one this server gave out.",
            hint="Use the nextPageToken of the previous page, unchanged.",
        ) from None
    if token_key != key or offset < 0 or (cursor is not None and not isinstance(cursor, str)):
        raise BadParameter(
            "pageToken belongs to a different search.",
            hint="Repeat every other parameter unchanged when following nextPageToken.",
        )
    return cursor, offset


def _one(params: Mapping[str, list[str]], name: str) -> str | None:
    values = params.get(name) or []
    if len(values) > 1 and name not in ("fields", "filter.overallStatus", "filter.ids"):
        raise BadParameter(f"{name} is given {len(values)} times.", hint="Give it once.")
    text = " ".join(v for v in values if v.strip())
    return text or None


def plan_from_params(params: Mapping[str, list[str]]) -> Plan:
    """Translate the query string of ``GET /api/v2/studies`` (names → all their values)."""
    unknown = sorted(set(params) - KNOWN)
    if unknown:
        raise BadParameter(
            f"Unknown parameter {unknown[0]!r}.",
            hint=f"This mirror takes: {', '.join(sorted(KNOWN))}.",
        )
    query = SearchQuery(
        text=None,
        cond=_one(params, "query.cond"),
        intr=_one(params, "query.intr"),
        titles=_one(params, "query.titles"),
        locn=_one(params, "query.locn"),
        sponsor=_one(params, "query.spons") or _one(params, "query.lead"),
        statuses=_statuses(params.get("filter.overallStatus", [])),
        nct_ids=_ids(params.get("filter.ids", [])),
        with_facets=False,
    )
    ident = _one(params, "query.id")
    if ident:
        ids = split_list([ident])
        if all(is_nct_id(i) for i in ids):
            query = replace(query, nct_ids=query.nct_ids + tuple(i.upper() for i in ids))
        else:
            query = replace(query, text=ident)
    residue: list[Node] = []
    for name in ("query.term", "filter.advanced"):
        text = _one(params, name)
        if text:
            query, left = push_down(query, parse_expression(text))
            residue += left
    geo = _one(params, "filter.geo")
    if geo:
        query = replace(query, geo=_geo(geo))
    sort = _one(params, "sort")
    if sort:
        order = _SORTS.get(sort.strip().lower())
        if order is None:
            raise BadParameter(
                f"Cannot sort by {sort!r}.",
                hint="Use @relevance, LastUpdatePostDate:desc, StartDate:desc, or @distance"
                " with filter.geo.",
            )
        if order is SortOrder.DISTANCE and query.geo is None:
            raise BadParameter(
                "Sorting by @distance needs filter.geo.",
                hint="Add filter.geo=distance(lat,lon,50mi).",
            )
        query = replace(query, sort=order)
    plan = Plan(query=query, residue=residue, fields=parse_fields(params.get("fields", [])))
    plan.page_size = _page_size(_one(params, "pageSize"))
    plan.count_total = (_one(params, "countTotal") or "false").lower() == "true"
    plan.key = _key(params)
    token = _one(params, "pageToken")
    if token:
        plan.cursor, plan.offset = _decode_token(token, plan.key)
    return plan


def _page_size(text: str | None) -> int:
    if text is None:
        return 10
    if not text.isdigit() or not 0 < int(text) <= 1000:
        raise BadParameter(f"pageSize={text!r} is not 1 to 1000.", hint="CT.gov's default is 10.")
    return int(text)
