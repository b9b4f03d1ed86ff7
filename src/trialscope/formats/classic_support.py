"""Helpers for the classic-API mapper: safe access to the PascalCase JSON (``XList.X[]``
wrappers, "Yes"/"No" strings, "Month Day, Year" dates) and the derived, document and annotation
sections, which carry no protocol data."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from trialscope.formats import legacy_values as lv

_Obj = Mapping[str, Any]
_EMPTY: _Obj = {}


def _m(obj: _Obj, key: str) -> _Obj:
    value = obj.get(key)
    if type(value) is dict:  # the usual case; the ABC check below is slow
        return value
    return value if isinstance(value, Mapping) else _EMPTY


def _s(obj: _Obj, key: str) -> str | None:
    value = obj.get(key)
    if type(value) is str:
        text = value
    elif value is None or isinstance(value, dict | list | Mapping):
        return None
    else:
        text = str(value)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.strip() or None


def _list(obj: _Obj, wrapper: str, item: str) -> list[Any]:
    """``{"ConditionList": {"Condition": [...]}}`` -> the list (a lone item is wrapped)."""
    value = _m(obj, wrapper).get(item)
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _strings(obj: _Obj, wrapper: str, item: str) -> list[str]:
    out = []
    for value in _list(obj, wrapper, item):
        if isinstance(value, str | int | float) and str(value).strip():
            out.append(str(value).strip())
    return out


def _maps(obj: _Obj, wrapper: str, item: str) -> list[_Obj]:
    return [v for v in _list(obj, wrapper, item) if type(v) is dict or isinstance(v, Mapping)]


def _compact(d: dict[str, Any]) -> dict[str, Any]:
    """Drop absent values: None, "", [] and {} (False and 0 are values)."""
    return {k: v for k, v in d.items() if v or v == 0}


def _md(obj: _Obj, key: str) -> str | None:
    """A field v2 serves as markdown: classic text is plain, so escape it as v2 does."""
    text = _s(obj, key)
    return lv.md_escape(text) if text else None


def _mdv(value: str | None) -> str | None:
    return lv.md_escape(value) if value else None


def _date(obj: _Obj, key: str) -> str | None:
    return lv.partial_date(_s(obj, key))


def _struct(status: _Obj, name: str) -> dict[str, Any] | None:
    """``XDateStruct: {XDate, XDateType}`` -> ``xDateStruct: {date, type}``."""
    inner = _m(status, f"{name}Struct")
    date = _date(inner, name)
    if date is None:
        return None
    return _compact({"date": date, "type": lv.date_type(_s(inner, f"{name}Type"))})


def _bool(obj: _Obj, key: str) -> bool | None:
    return lv.yes_no(_s(obj, key))


def _int(obj: _Obj, key: str) -> int | None:
    text = _s(obj, key)
    if text is None:
        return None
    try:
        return int(float(text))
    except ValueError:
        return None


def _records(
    obj: _Obj, wrapper: str, item: str, fields: Mapping[str, tuple[str, Callable[..., Any]]]
) -> list[dict[str, Any]]:
    """List of structs, each field renamed and normalised: ``{v2name: (classicName, fn)}``."""
    out = []
    for entry in _maps(obj, wrapper, item):
        row = _compact({v2: fn(_s(entry, key)) for v2, (key, fn) in fields.items()})
        if row:
            out.append(row)
    return out


def _same(value: str | None) -> str | None:
    return value


def _browse(derived: _Obj, prefix: str) -> dict[str, Any]:
    b = _m(derived, f"{prefix}BrowseModule")
    mesh = {"id": (f"{prefix}MeshId", _same), "term": (f"{prefix}MeshTerm", _same)}
    ancestor = {"id": (f"{prefix}AncestorId", _same), "term": (f"{prefix}AncestorTerm", _same)}
    leaf = {
        "id": (f"{prefix}BrowseLeafId", _same),
        "name": (f"{prefix}BrowseLeafName", _same),
        "asFound": (f"{prefix}BrowseLeafAsFound", _same),
        "relevance": (f"{prefix}BrowseLeafRelevance", lv.enum),
    }
    branch = {
        "abbrev": (f"{prefix}BrowseBranchAbbrev", _same),
        "name": (f"{prefix}BrowseBranchName", _same),
    }
    return _compact(
        {
            "meshes": _records(b, f"{prefix}MeshList", f"{prefix}Mesh", mesh),
            "ancestors": _records(b, f"{prefix}AncestorList", f"{prefix}Ancestor", ancestor),
            "browseLeaves": _records(b, f"{prefix}BrowseLeafList", f"{prefix}BrowseLeaf", leaf),
            "browseBranches": _records(
                b, f"{prefix}BrowseBranchList", f"{prefix}BrowseBranch", branch
            ),
        }
    )


_SUBMISSION: dict[str, tuple[str, Callable[..., Any]]] = {
    "releaseDate": ("SubmissionReleaseDate", lv.partial_date),
    "unreleaseDate": ("SubmissionUnreleaseDate", lv.partial_date),
    "resetDate": ("SubmissionResetDate", lv.partial_date),
    "mcpReleaseN": ("SubmissionMCPReleaseN", lambda v: int(v) if v and v.isdigit() else None),
}


def _derived(study: _Obj) -> dict[str, Any]:
    derived = _m(study, "DerivedSection")
    misc = _m(derived, "MiscInfoModule")
    return _compact(
        {
            "miscInfoModule": _compact(
                {
                    "versionHolder": _date(misc, "VersionHolder"),
                    "removedCountries": _strings(misc, "RemovedCountryList", "RemovedCountry"),
                    "submissionTracking": _compact(
                        {
                            "submissionInfos": _records(
                                _m(misc, "SubmissionTracking"),
                                "SubmissionInfoList",
                                "SubmissionInfo",
                                _SUBMISSION,
                            )
                        }
                    ),
                }
            ),
            "conditionBrowseModule": _browse(derived, "Condition"),
            "interventionBrowseModule": _browse(derived, "Intervention"),
        }
    )


def _documents(study: _Obj) -> dict[str, Any]:
    docs = _records(
        _m(_m(study, "DocumentSection"), "LargeDocumentModule"),
        "LargeDocList",
        "LargeDoc",
        {
            "typeAbbrev": ("LargeDocTypeAbbrev", _same),
            "hasProtocol": ("LargeDocHasProtocol", lv.yes_no),
            "hasSap": ("LargeDocHasSAP", lv.yes_no),
            "hasIcf": ("LargeDocHasICF", lv.yes_no),
            "label": ("LargeDocLabel", _same),
            "date": ("LargeDocDate", lv.partial_date),
            "uploadDate": ("LargeDocUploadDate", _upload_date),
            "filename": ("LargeDocFilename", _same),
        },
    )
    return {"largeDocumentModule": {"largeDocs": docs}} if docs else {}


def _upload_date(value: str | None) -> str | None:
    """'01/13/2021 02:24' -> '2021-01-13T02:24' (v2 DateTimeMinutes)."""
    if value is None:
        return None
    day, _, time = value.partition(" ")
    iso = lv.partial_date(day)
    if iso is None or len(iso) != 10 or iso[4] != "-":
        return value
    return f"{iso}T{time}" if time else iso


def _annotations(study: _Obj) -> dict[str, Any]:
    un = _m(_m(study, "AnnotationSection"), "AnnotationModule")
    unposted = _m(un, "UnpostedAnnotation")
    events = _records(
        unposted,
        "UnpostedEventList",
        "UnpostedEvent",
        {"type": ("UnpostedEventType", lv.enum), "date": ("UnpostedEventDate", lv.partial_date)},
    )
    block = _compact(
        {
            "unpostedResponsibleParty": _s(unposted, "UnpostedResponsibleParty"),
            "unpostedEvents": events,
        }
    )
    return {"annotationModule": {"unpostedAnnotation": block}} if block else {}
