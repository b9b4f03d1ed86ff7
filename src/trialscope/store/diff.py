"""Field-level differences between two versions of a study (v2 JSON dicts).

Paths use the short notation the seed pages show (``status.overallStatus``,
``design.enrollmentCount``, ``locations.<facility|city|state|country>``). The
curated table below names the fields people watch; every other key of a
protocol module is still compared under ``<module>.<key>`` so no change goes
unrecorded. Lists of records are compared item by item through a natural key
(never by index), so a site inserted at the top does not show up as every site
changing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from trialscope.store.types import ChangeKind

JSON = Any
Getter = Callable[[Mapping[str, Any]], JSON]
KeyFn = Callable[[Mapping[str, Any]], str]

MODULE_SHORT_NAMES: dict[str, str] = {
    "identificationModule": "identification",
    "statusModule": "status",
    "sponsorCollaboratorsModule": "sponsor",
    "oversightModule": "oversight",
    "descriptionModule": "description",
    "conditionsModule": "conditions",
    "designModule": "design",
    "armsInterventionsModule": "armsInterventions",
    "outcomesModule": "outcomes",
    "eligibilityModule": "eligibility",
    "contactsLocationsModule": "contacts",
    "referencesModule": "references",
    "ipdSharingStatementModule": "ipdSharing",
}


def _dig(*keys: str) -> Getter:
    def get(study: Mapping[str, Any]) -> JSON:
        node: Any = study
        for key in keys:
            if not isinstance(node, Mapping):
                return None
            node = node.get(key)
        return node

    return get


def _protocol(module: str, *keys: str) -> Getter:
    return _dig("protocolSection", module, *keys)


def _lowered(*parts: Any) -> str:
    return "|".join(str(p or "").strip().lower() for p in parts)


@dataclass(frozen=True, slots=True)
class TrackedField:
    path: str
    get: Getter
    #: module keys this field covers, so the generic fallback skips them
    covers: tuple[tuple[str, str], ...]
    #: natural key of each list item; None compares the value as a whole
    item_key: KeyFn | None = None
    #: report items one by one even when the whole list is new (seed 000's locations)
    always_per_item: bool = False


def _field(
    path: str,
    module: str,
    *keys: str,
    item_key: KeyFn | None = None,
    always_per_item: bool = False,
) -> TrackedField:
    return TrackedField(
        path=path,
        get=_protocol(module, *keys),
        covers=((module, keys[0]),),
        item_key=item_key,
        always_per_item=always_per_item,
    )


def _location_key(loc: Mapping[str, Any]) -> str:
    return _lowered(loc.get("facility"), loc.get("city"), loc.get("state"), loc.get("country"))


def _intervention_key(item: Mapping[str, Any]) -> str:
    return _lowered(item.get("type"), item.get("name"))


def _reference_key(ref: Mapping[str, Any]) -> str:
    return str(ref.get("pmid") or _lowered(ref.get("citation")))


def _by(field: str) -> KeyFn:
    return lambda item: _lowered(item.get(field))


_ID = "identificationModule"
_STATUS = "statusModule"
_SPONSOR = "sponsorCollaboratorsModule"
_DESIGN = "designModule"
_ARMS = "armsInterventionsModule"
_OUTCOMES = "outcomesModule"
_ELIG = "eligibilityModule"
_CONTACTS = "contactsLocationsModule"

TRACKED_FIELDS: tuple[TrackedField, ...] = (
    _field("identification.briefTitle", _ID, "briefTitle"),
    _field("identification.officialTitle", _ID, "officialTitle"),
    _field("identification.acronym", _ID, "acronym"),
    _field("identification.orgStudyId", _ID, "orgStudyIdInfo"),
    _field("identification.secondaryIds", _ID, "secondaryIdInfos", item_key=_by("id")),
    _field("status.overallStatus", _STATUS, "overallStatus"),
    _field("status.lastKnownStatus", _STATUS, "lastKnownStatus"),
    _field("status.whyStopped", _STATUS, "whyStopped"),
    _field("status.statusVerifiedDate", _STATUS, "statusVerifiedDate"),
    _field("status.startDate", _STATUS, "startDateStruct"),
    _field("status.primaryCompletionDate", _STATUS, "primaryCompletionDateStruct"),
    _field("status.completionDate", _STATUS, "completionDateStruct"),
    _field("status.lastUpdatePostDate", _STATUS, "lastUpdatePostDateStruct"),
    _field("sponsor.lead", _SPONSOR, "leadSponsor"),
    _field("sponsor.collaborators", _SPONSOR, "collaborators", item_key=_by("name")),
    _field("sponsor.responsibleParty", _SPONSOR, "responsibleParty"),
    _field("description.briefSummary", "descriptionModule", "briefSummary"),
    _field("description.detailedDescription", "descriptionModule", "detailedDescription"),
    _field("conditions.conditions", "conditionsModule", "conditions"),
    _field("conditions.keywords", "conditionsModule", "keywords"),
    _field("design.studyType", _DESIGN, "studyType"),
    _field("design.phases", _DESIGN, "phases"),
    _field("design.designInfo", _DESIGN, "designInfo"),
    TrackedField(
        "design.enrollmentCount",
        _protocol(_DESIGN, "enrollmentInfo", "count"),
        covers=((_DESIGN, "enrollmentInfo"),),
    ),
    TrackedField("design.enrollmentType", _protocol(_DESIGN, "enrollmentInfo", "type"), covers=()),
    _field("armsInterventions.arms", _ARMS, "armGroups", item_key=_by("label")),
    _field("armsInterventions.interventions", _ARMS, "interventions", item_key=_intervention_key),
    _field("outcomes.primary", _OUTCOMES, "primaryOutcomes", item_key=_by("measure")),
    _field("outcomes.secondary", _OUTCOMES, "secondaryOutcomes", item_key=_by("measure")),
    _field("outcomes.other", _OUTCOMES, "otherOutcomes", item_key=_by("measure")),
    _field("eligibility.criteria", _ELIG, "eligibilityCriteria"),
    _field("eligibility.minAge", _ELIG, "minimumAge"),
    _field("eligibility.maxAge", _ELIG, "maximumAge"),
    _field("eligibility.sex", _ELIG, "sex"),
    _field("eligibility.healthyVolunteers", _ELIG, "healthyVolunteers"),
    _field("eligibility.stdAges", _ELIG, "stdAges"),
    _field("contacts.central", _CONTACTS, "centralContacts", item_key=_by("name")),
    _field("contacts.officials", _CONTACTS, "overallOfficials", item_key=_by("name")),
    TrackedField(
        "locations",
        _protocol(_CONTACTS, "locations"),
        covers=((_CONTACTS, "locations"),),
        item_key=_location_key,
        always_per_item=True,
    ),
    _field("references.references", "referencesModule", "references", item_key=_reference_key),
    TrackedField("results.hasResults", _dig("hasResults"), covers=()),
    TrackedField(
        "derived.conditionMeshes",
        _dig("derivedSection", "conditionBrowseModule", "meshes"),
        covers=(),
        # Legacy XML carries MeSH terms without ids, so the term is the key both have.
        item_key=_by("term"),
    ),
    TrackedField(
        "derived.interventionMeshes",
        _dig("derivedSection", "interventionBrowseModule", "meshes"),
        covers=(),
        # Legacy XML carries MeSH terms without ids, so the term is the key both have.
        item_key=_by("term"),
    ),
)

_COVERED: frozenset[tuple[str, str]] = frozenset(
    pair for field in TRACKED_FIELDS for pair in field.covers
)

Difference = tuple[str, ChangeKind, JSON, JSON]

#: What a first sighting lists as "added", in the order seed 000 shows it: the
#: fields people watch, not every key the record happens to carry.
WATCHED_ON_FIRST_SIGHT: tuple[str, ...] = (
    "status.overallStatus",
    "status.primaryCompletionDate",
    "status.completionDate",
    "status.lastUpdatePostDate",
    "design.phases",
    "design.enrollmentCount",
    "eligibility.criteria",
    "eligibility.minAge",
    "eligibility.maxAge",
    "eligibility.sex",
    "outcomes.primary",
    "outcomes.secondary",
    "armsInterventions.arms",
    "armsInterventions.interventions",
    "sponsor.lead",
    "sponsor.collaborators",
    "results.hasResults",
    "locations",
)
_BY_PATH = {field.path: field for field in TRACKED_FIELDS}


def _is_empty(value: JSON) -> bool:
    return value is None or value == [] or value == {} or value == ""


def _keyed(items: Sequence[Any], key: KeyFn) -> dict[str, Any]:
    """Index list items by natural key; repeats get ``#2``, ``#3`` so none is lost."""
    out: dict[str, Any] = {}
    for item in items:
        base = key(item) if isinstance(item, Mapping) else _lowered(item)
        name, n = base, 1
        while name in out:
            n += 1
            name = f"{base}#{n}"
        out[name] = item
    return out


def _canonical(value: JSON) -> JSON:
    """What a value means, for deciding whether it changed.

    A date struct is its date: CT.gov relabels the same day (legacy XML calls a
    posting date ESTIMATED that v2 calls ACTUAL), and a log line "changed from
    2023-06-28 to 2023-06-28" tells a reader nothing. Lists of plain values
    (phases, age groups, arm labels) are compared as multisets, since a reordering
    is no change either; runs of whitespace count as one space.
    """
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, Mapping):
        if value.keys() <= {"date", "type"} and isinstance(value.get("date"), str):
            return value["date"].strip()
        return {key: _canonical(item) for key, item in value.items() if not _is_empty(item)}
    if isinstance(value, list):
        items = [_canonical(item) for item in value]
        if all(isinstance(item, str | int | float | bool) for item in items):
            return sorted(items, key=repr)
        return items
    return value


def same_meaning(old: JSON, new: JSON) -> bool:
    """Whether two field values say the same thing (see ``_canonical``)."""
    return bool(old == new or _canonical(old) == _canonical(new))


def _compare(path: str, old: JSON, new: JSON) -> Iterator[Difference]:
    if _is_empty(old) and _is_empty(new):
        return
    if _is_empty(old):
        yield path, ChangeKind.ADDED, None, new
    elif _is_empty(new):
        yield path, ChangeKind.REMOVED, old, None
    elif not same_meaning(old, new):
        yield path, ChangeKind.CHANGED, old, new


def _compare_items(field: TrackedField, old: JSON, new: JSON) -> Iterator[Difference]:
    assert field.item_key is not None
    old_list = old if isinstance(old, list) else []
    new_list = new if isinstance(new, list) else []
    if not field.always_per_item and (not old_list or not new_list):
        yield from _compare(field.path, old_list, new_list)
        return
    before = _keyed(old_list, field.item_key)
    after = _keyed(new_list, field.item_key)
    for key, item in after.items():
        yield from _compare(f"{field.path}.{key}", before.get(key), item)
    for key, item in before.items():
        if key not in after:
            yield f"{field.path}.{key}", ChangeKind.REMOVED, item, None


def _untracked_keys(study: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    protocol = study.get("protocolSection")
    if not isinstance(protocol, Mapping):
        return
    for module, body in protocol.items():
        if isinstance(body, Mapping):
            for key in body:
                if (module, key) not in _COVERED:
                    yield module, key


def _field_changes(
    field: TrackedField, before: Mapping[str, Any], after: Mapping[str, Any]
) -> Iterator[Difference]:
    old_value, new_value = field.get(before), field.get(after)
    if field.item_key is None:
        yield from _compare(field.path, old_value, new_value)
    else:
        yield from _compare_items(field, old_value, new_value)


def first_sight(study: Mapping[str, Any]) -> list[Difference]:
    """The watched fields a newly seen study carries, each as ``added``."""
    changes: list[Difference] = []
    for path in WATCHED_ON_FIRST_SIGHT:
        changes.extend(_field_changes(_BY_PATH[path], {}, study))
    return changes


def diff_studies(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Difference]:
    """Every field-level difference from ``old`` to ``new``."""
    before = old
    changes: list[Difference] = []
    for field in TRACKED_FIELDS:
        changes.extend(_field_changes(field, before, new))
    # Everything in a protocol module that the table does not name, compared whole.
    seen: set[tuple[str, str]] = set()
    for module, key in [*_untracked_keys(before), *_untracked_keys(new)]:
        if (module, key) in seen:
            continue
        seen.add((module, key))
        get = _protocol(module, key)
        short = MODULE_SHORT_NAMES.get(module, module)
        changes.extend(_compare(f"{short}.{key}", get(before), get(new)))
    return changes
