"""``GET /studies`` parameters: validation, the subset of Essie the fake understands, page tokens.

Text queries are case-insensitive substring matches (the real API does word matching with
stemming and synonyms); parts joined by `` AND `` must all match. The only Essie operator
understood is ``AREA[<date field>]RANGE[from,to]`` with ISO dates, ``MIN`` and ``MAX``.
Anything else the real API accepts but the fake cannot honour is refused with a 400, so that a
client never silently gets a different answer than it would from CT.gov.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tests.ctgov_server.records import AREAS, Study

DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 1000

STATUSES = frozenset(
    [
        "ACTIVE_NOT_RECRUITING",
        "COMPLETED",
        "ENROLLING_BY_INVITATION",
        "NOT_YET_RECRUITING",
        "RECRUITING",
        "SUSPENDED",
        "TERMINATED",
        "WITHDRAWN",
        "AVAILABLE",
        "NO_LONGER_AVAILABLE",
        "TEMPORARILY_NOT_AVAILABLE",
        "APPROVED_FOR_MARKETING",
        "WITHHELD",
        "UNKNOWN",
    ]
)

# Essie date areas -> statusModule key holding {"date": ...}
DATE_AREAS = {
    "lastupdatepostdate": "lastUpdatePostDateStruct",
    "studyfirstpostdate": "studyFirstPostDateStruct",
    "resultsfirstpostdate": "resultsFirstPostDateStruct",
    "lastupdatesubmitdate": "lastUpdateSubmitDate",
    "studyfirstsubmitdate": "studyFirstSubmitDate",
    "startdate": "startDateStruct",
    "primarycompletiondate": "primaryCompletionDateStruct",
    "completiondate": "completionDateStruct",
}

# parameters in the spec that the fake does not implement (refused, see module docstring)
UNSUPPORTED = frozenset(
    {
        "query.patient",
        "filter.geo",
        "filter.synonyms",
        "postFilter.geo",
        "postFilter.synonyms",
        "aggFilters",
        "geoDecay",
        "fields",
        "sort",
    }
)
# not part of the search: may change between pages
PAGING = frozenset({"countTotal", "pageSize", "pageToken"})
KNOWN = (
    PAGING
    | {f"query.{area}" for area in AREAS}
    | {f"{kind}.{name}" for kind in ("filter", "postFilter") for name in ("overallStatus", "ids")}
    | {"filter.advanced", "postFilter.advanced", "format", "markupFormat"}
)


class BadRequest(Exception):
    """A parameter the API would refuse: answered 400 with {"message": ...}."""


Predicate = Callable[[Study], bool]

_AND = re.compile(r"\s+AND\s+")
_AREA_RANGE = re.compile(r"^AREA\[\s*(\w+)\s*\]\s*RANGE\[\s*([^,\]]*?)\s*,\s*([^,\]]*?)\s*\]$")
# operators a substring match would silently get wrong
_UNSUPPORTED_ESSIE = re.compile(r"\b(AREA|RANGE|SEARCH|EXPANSION|COVERAGE)\[|\sOR\s|(^|\s)NOT\s")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_US = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_NCT = re.compile(r"^NCT0*([1-9]\d{0,7})$")


def _bound(value: str, open_end: str) -> str:
    if value.upper() == open_end:
        return ""
    if _ISO.match(value):
        return value
    us = _US.match(value)
    if us:
        return f"{us[3]}-{int(us[1]):02d}-{int(us[2]):02d}"
    raise BadRequest(f"RANGE bound {value!r}: expected YYYY-MM-DD, MM/DD/YYYY, MIN or MAX")


def _range(area: str, low: str, high: str) -> Predicate:
    key = DATE_AREAS.get(area.lower())
    if key is None:
        raise BadRequest(f"AREA[{area}]RANGE is not supported by the fake CT.gov server")
    lo, hi = _bound(low, "MIN"), _bound(high, "MAX")

    def match(study: Study) -> bool:
        value = study.status_module.get(key)
        date = value.get("date") if isinstance(value, dict) else value
        if not isinstance(date, str):
            return False  # a study without the field is outside every range
        return (not lo or date >= lo) and (not hi or date[: len(hi)] <= hi)

    return match


def _text(area: str, needle: str) -> Predicate:
    needle = needle.strip().strip('"').lower()
    return lambda study: needle in study.text(area)


def expression(area: str, value: str) -> list[Predicate]:
    """Predicates for one query/filter value: ``part AND part ...``."""
    predicates: list[Predicate] = []
    for part in _AND.split(value.strip()):
        if not part:
            raise BadRequest(f"empty term in {value!r}")
        rng = _AREA_RANGE.match(part)
        if rng:
            predicates.append(_range(*rng.groups()))
        elif _UNSUPPORTED_ESSIE.search(part):
            raise BadRequest(f"Essie expression {part!r} is not supported by the fake server")
        else:
            predicates.append(_text(area, part))
    return predicates


def _status_in(statuses: frozenset[str]) -> Predicate:
    return lambda study: study.overall_status in statuses


def _split(value: str) -> list[str]:
    return [v.strip() for v in re.split(r"[|,]", value) if v.strip()]


def nct_id(value: str) -> str:
    """``nct123`` / ``NCT00000123`` -> ``NCT00000123`` (filter.ids accepts both)."""
    m = _NCT.match(value.upper())
    if not m:
        raise BadRequest(f"invalid NCT id {value!r}")
    return f"NCT{int(m[1]):08d}"


@dataclass
class Search:
    """A parsed /studies request."""

    predicates: list[Predicate]
    ids: set[str] | None  # filter.ids, matched against nctId and nctIdAlias
    page_size: int
    offset: int
    count_total: bool
    fingerprint: str  # hash of every parameter a follow-up page must repeat

    def matches(self, study: Study) -> bool:
        if self.ids is not None and not (
            study.nct_id in self.ids or any(a in self.ids for a in study.aliases)
        ):
            return False
        return all(p(study) for p in self.predicates)


def fingerprint(params: Sequence[tuple[str, str]]) -> str:
    kept = sorted((k, v) for k, v in params if k not in PAGING)
    return hashlib.sha256(repr(kept).encode()).hexdigest()[:16]


def make_token(offset: int, print_: str) -> str:
    return base64.urlsafe_b64encode(f"{offset}:{print_}".encode()).decode().rstrip("=")


def read_token(token: str, print_: str) -> int:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        offset_text, _, made_for = text.partition(":")
        offset = int(offset_text)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadRequest(f"invalid pageToken {token!r}") from None
    if made_for != print_ or offset < 0:
        raise BadRequest(
            "pageToken does not belong to this query: a request for a following page must "
            "repeat every parameter of the first request except countTotal, pageSize and "
            "pageToken"
        )
    return offset


def _one(params: Sequence[tuple[str, str]], name: str) -> str | None:
    values = [v for k, v in params if k == name]
    if len(values) > 1:
        raise BadRequest(f"parameter {name} given {len(values)} times")
    return values[0] if values else None


def parse_search(params: Sequence[tuple[str, str]]) -> Search:
    for name, _ in params:
        if name in UNSUPPORTED:
            raise BadRequest(f"parameter {name} is not supported by the fake CT.gov server")
        if name not in KNOWN:
            raise BadRequest(f"unknown parameter {name}")
    fmt = _one(params, "format")
    if fmt not in (None, "json"):
        raise BadRequest(f"format={fmt}: the fake CT.gov server serves format=json only")
    markup = _one(params, "markupFormat")
    if markup not in (None, "markdown", "legacy"):
        raise BadRequest(f"invalid markupFormat {markup!r}")

    count_total = _one(params, "countTotal")
    if count_total not in (None, "true", "false"):
        raise BadRequest(f"countTotal must be true or false, not {count_total!r}")
    size_text = _one(params, "pageSize")
    try:
        page_size = int(size_text) if size_text is not None else DEFAULT_PAGE_SIZE
    except ValueError:
        raise BadRequest(f"pageSize must be an integer, not {size_text!r}") from None
    if page_size < 0:
        raise BadRequest(f"pageSize must not be negative ({page_size})")
    # 0 means the default; above the maximum is coerced, not refused (as documented)
    page_size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)

    predicates: list[Predicate] = []
    ids: set[str] | None = None
    for name, value in params:
        kind, _, what = name.partition(".")
        if kind == "query":
            predicates += expression(what, value)
        elif what == "advanced":
            predicates += expression("term", value)
        elif what == "overallStatus":
            statuses = set(_split(value))
            bad = statuses - STATUSES
            if bad:
                raise BadRequest(f"invalid overallStatus value(s): {', '.join(sorted(bad))}")
            predicates.append(_status_in(frozenset(statuses)))
        elif what == "ids":
            wanted = {nct_id(v) for v in _split(value)}
            ids = wanted if ids is None else ids & wanted

    print_ = fingerprint(params)
    token = _one(params, "pageToken")
    offset = read_token(token, print_) if token else 0
    return Search(predicates, ids, page_size, offset, count_total == "true", print_)
