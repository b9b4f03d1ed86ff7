"""The typed v2 record model: lossless round trip, lenient enums, shortcuts."""

from __future__ import annotations

import gzip
import json
import re
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trialscope import vocab
from trialscope.errors import RecordError
from trialscope.record import DerivedSection, ProtocolSection, Study, modules
from trialscope.record import model as model_module
from trialscope.record.modules import (
    ConditionsModule,
    CtgModel,
    DesignModule,
    IdentificationModule,
    Location,
    Sponsor,
    SponsorCollaboratorsModule,
)
from trialscope.vocab import Phase, RecruitmentStatus, Status, StudyType, Vocab

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
V2 = SHARED / "data" / "ctgov" / "v2"
SPEC = SHARED / "docs" / "ctg-oas-v2.yaml"
SEED_FIXTURE = Path(__file__).parent / "fixtures" / "NCT04416854.2026.v2.json"

needs_v2 = pytest.mark.skipif(not V2.is_dir(), reason=f"v2 corpus not found at {V2}")
needs_spec = pytest.mark.skipif(not SPEC.is_file(), reason=f"OpenAPI spec not found at {SPEC}")

MODELS: list[type[CtgModel]] = sorted(
    {
        obj
        for mod in (modules, model_module)
        for obj in vars(mod).values()
        if isinstance(obj, type) and issubclass(obj, CtgModel) and obj is not CtgModel
    },
    key=lambda c: c.__name__,
)


def same_json(a: Any, b: Any) -> bool:
    """Equality that also tells 1 from 1.0 and True from 1 (``==`` does not)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(map(same_json, a, b))
    return bool(a == b)


def seed_record() -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(SEED_FIXTURE.read_text(encoding="utf-8"))
    return raw


# --- every real record round-trips ------------------------------------------


def corpus_files() -> list[Path]:
    files = sorted(V2.glob("*.jsonl*")) if V2.is_dir() else []
    return files + ([SEED_FIXTURE] if SEED_FIXTURE.is_file() else [])


def corpus_lines(path: Path) -> Iterator[bytes]:
    if path.suffix == ".json":
        yield path.read_bytes()
        return
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        for line in handle:
            if line.strip():
                yield line


@pytest.mark.slow
@needs_v2
@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name.split(".")[0])
def test_every_real_record_round_trips_exactly(path: Path) -> None:
    count = 0
    for line in corpus_lines(path):
        raw = json.loads(line)
        study = Study.from_json(raw)
        assert same_json(study.to_json_dict(), raw), study.nct_id
        from_bytes = Study.from_json(line)
        assert from_bytes == study
        assert Study.from_json(study.to_json()) == study
        count += 1
    assert count > 0


def enum_paths(
    cls: type[CtgModel], prefix: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], type[Vocab]]]:
    """JSON paths of every enum-typed field under ``cls``; "[]" steps into a list."""
    for name, field in cls.model_fields.items():
        path = (*prefix, field.alias or name)
        leaves = list(_leaf_types(field.annotation))
        if list in leaves:
            path = (*path, "[]")
        for leaf in leaves:
            if issubclass(leaf, Vocab):
                yield path, leaf
            elif issubclass(leaf, CtgModel):
                yield from enum_paths(leaf, path)


def values_at(node: Any, path: tuple[str, ...]) -> Iterator[Any]:
    if not path:
        yield node
    elif path[0] == "[]":
        for item in node if isinstance(node, list) else ():
            yield from values_at(item, path[1:])
    elif isinstance(node, dict) and path[0] in node:
        yield from values_at(node[path[0]], path[1:])


@pytest.mark.slow
@needs_v2
def test_corpus_enum_values_are_all_known() -> None:
    """CT.gov's vocabulary in the corpus is the spec's: nothing fell back to str."""
    paths = list(enum_paths(Study))
    assert len(paths) > 30
    unknown: set[tuple[str, str]] = set()
    seen = 0
    for path in corpus_files():
        for line in corpus_lines(path):
            raw = json.loads(line)
            for enum_path, enum in paths:
                for value in values_at(raw, enum_path):
                    seen += 1
                    if value not in enum._value2member_map_:
                        unknown.add((".".join(enum_path), value))
    assert seen > 50_000
    assert not unknown


@pytest.mark.slow
@needs_v2
@pytest.mark.parametrize(
    "path",
    [V2 / "DhanasaiBontu__clinical_trial_matchers.jsonl.gz", SEED_FIXTURE],
    ids=["DhanasaiBontu", "seed"],
)
def test_to_json_keeps_the_ctgov_key_order(path: Path) -> None:
    """Fields are declared in CT.gov's output order, so re-serialising a record
    gives the same bytes as a compact dump of the original."""
    count = 0
    for line in corpus_lines(path):
        assert Study.from_json(line).to_json() == orjson.dumps(orjson.loads(line))
        count += 1
    assert count


@pytest.mark.slow
@needs_v2
def test_partial_records_are_flagged() -> None:
    """Koneru99's studies.json was fetched with a field list; its data.json is full."""
    flags = [
        Study.from_json(line).is_partial
        for line in corpus_lines(V2 / "Koneru99__Medical-chat.jsonl.gz")
    ]
    assert flags.count(True) == 500 and flags.count(False) == 15


# --- every field of the spec, spelt as in the spec ---------------------------


def spec_properties() -> dict[str, dict[str, str | None]]:
    """``components/schemas`` object properties -> the ``$ref`` each points to (or None)."""
    schemas: dict[str, dict[str, str | None]] = {}
    props: dict[str, str | None] | None = None
    prop = ""
    lines = SPEC.read_text(encoding="utf-8").splitlines()
    for line in lines[lines.index("  schemas:") :]:
        if m := re.fullmatch(r"    ([A-Za-z]\w*):", line):
            props, prop = {}, ""
            schemas[m.group(1)] = props
        elif props is not None and (m := re.fullmatch(r"        ([A-Za-z]\w*):", line)):
            prop = m.group(1)
            props[prop] = None
        elif (
            props is not None
            and prop
            and (m := re.search(r'\$ref: "#/components/schemas/(\w+)"', line))
        ):
            props[prop] = props[prop] or m.group(1)
    return schemas


def _leaf_types(tp: Any) -> Iterator[type]:
    args = typing.get_args(tp)
    if not args:
        if isinstance(tp, type):
            yield tp
        return
    origin = typing.get_origin(tp)
    if isinstance(origin, type) and origin not in (types.UnionType,):
        yield origin
    for arg in args:
        yield from _leaf_types(arg)


SPEC_NAMES = {"DateStruct": ("DateStruct", "PartialDateStruct")}
UNTYPED = {"ResultsSection", "AnnotationSection", "DocumentSection"}


@needs_spec
@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
def test_model_fields_match_the_spec(cls: type[CtgModel]) -> None:
    schemas = spec_properties()
    for schema in SPEC_NAMES.get(cls.__name__, (cls.__name__,)):
        expected = schemas[schema]
        aliases = {f.alias or name: f for name, f in cls.model_fields.items()}
        assert set(aliases) == set(expected), schema
        for key, ref in expected.items():
            leaves = set(_leaf_types(aliases[key].annotation))
            if ref is None:
                continue
            if ref in UNTYPED:
                assert dict in leaves, key
            elif (enum := getattr(vocab, ref, None)) is not None:
                assert enum in leaves and str in leaves, key  # lenient enum
            elif (target := getattr(modules, ref, getattr(model_module, ref, None))) is not None:
                assert target in leaves, key
            elif ref in ("PartialDateStruct", "BrowseModule"):
                assert {modules.DateStruct, modules.BrowseModule} & leaves, key
            else:  # PartialDate, nct, GeoName: strings in the JSON
                assert leaves - {list, type(None)} == {str}, key


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
def test_every_field_is_optional(cls: type[CtgModel]) -> None:
    assert cls().model_dump(exclude_unset=True) == {}
    assert all(not f.is_required() for f in cls.model_fields.values())


# --- unknown values and keys survive -----------------------------------------


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("protocolSection", "statusModule", "overallStatus"), "PAUSED_FOR_REVIEW"),
        (("protocolSection", "designModule", "studyType"), "REGISTRY"),
        (("protocolSection", "designModule", "phases"), ["PHASE2", "PHASE5"]),
        (("protocolSection", "eligibilityModule", "sex"), "NOT_STATED"),
        (("protocolSection", "eligibilityModule", "stdAges"), ["NEWBORN"]),
        (("protocolSection", "identificationModule", "organization", "class"), "CONSORTIUM"),
        (
            ("protocolSection", "designModule", "designInfo", "maskingInfo", "whoMasked"),
            ["DATA_MANAGER"],
        ),
    ],
)
def test_unknown_enum_values_are_kept_as_strings(path: tuple[str, ...], value: Any) -> None:
    raw: dict[str, Any] = {}
    node = raw
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value
    study = Study.from_json(raw)
    assert same_json(study.to_json_dict(), raw)
    assert Study.from_json(json.dumps(raw)) == study


def test_unknown_and_known_values_get_their_types() -> None:
    study = Study.from_json(
        {
            "protocolSection": {
                "statusModule": {"overallStatus": "PAUSED_FOR_REVIEW"},
                "designModule": {"studyType": "INTERVENTIONAL", "phases": ["PHASE2", "PHASE5"]},
                "contactsLocationsModule": {
                    "locations": [{"status": "RECRUITING"}, {"status": "ON_HOLD"}]
                },
            }
        }
    )
    assert study.overall_status == "PAUSED_FOR_REVIEW" and type(study.overall_status) is str
    assert study.study_type is StudyType.INTERVENTIONAL
    assert study.phases == [Phase.PHASE2, "PHASE5"] and type(study.phases[1]) is str
    assert study.phase_label == "PHASE2, PHASE5"
    assert [loc.status for loc in study.locations] == [RecruitmentStatus.RECRUITING, "ON_HOLD"]
    assert type(study.locations[1].status) is str


def test_unknown_keys_are_kept_at_every_level() -> None:
    raw = {
        "protocolSection": {
            "identificationModule": {"nctId": "NCT00000001", "futureField": {"a": [1, 2.5]}},
            "contactsLocationsModule": {"locations_nested": [{"facility": "X"}]},
            "armsInterventionsModule": {
                "interventions": [{"name": "d", "interventionMappedName": []}]
            },
            "newModule": {"x": True},
        },
        "derivedSection": {"miscInfoModule": {"modelPredictions": {"bmiLimits": {"minBmi": 0.0}}}},
        "topLevelExtra": None,
    }
    study = Study.from_json(raw)
    assert same_json(study.to_json_dict(), raw)
    assert study.protocol_section is not None
    ident = study.protocol_section.identification_module
    assert ident is not None and ident.model_extra == {"futureField": {"a": [1, 2.5]}}


def test_numbers_keep_their_json_type() -> None:
    raw = {"protocolSection": {"contactsLocationsModule": {"locations": [
        {"geoPoint": {"lat": 31, "lon": 121.5}}, {"geoPoint": {"lat": 31.0, "lon": -0.0}},
    ]}}}  # fmt: skip
    for source in (raw, json.dumps(raw)):
        assert same_json(Study.from_json(source).to_json_dict(), raw)


def test_explicit_nulls_are_kept() -> None:
    raw = {"protocolSection": {"identificationModule": {"acronym": None}}, "hasResults": None}
    assert same_json(Study.from_json(raw).to_json_dict(), raw)


# --- construction, errors -----------------------------------------------------


def test_models_can_be_built_by_attribute_name() -> None:
    study = Study(
        protocol_section=ProtocolSection(
            identification_module=IdentificationModule(nct_id="NCT00000001", brief_title="T"),
            sponsor_collaborators_module=SponsorCollaboratorsModule(
                lead_sponsor=Sponsor(name="Acme", agency_class=vocab.AgencyClass.INDUSTRY)
            ),
            design_module=DesignModule(phases=[Phase.PHASE1]),
            conditions_module=ConditionsModule(conditions=["Asthma"]),
        ),
        derived_section=DerivedSection(),
        has_results=False,
    )
    assert study.to_json_dict() == {
        "protocolSection": {
            "identificationModule": {"nctId": "NCT00000001", "briefTitle": "T"},
            "sponsorCollaboratorsModule": {"leadSponsor": {"name": "Acme", "class": "INDUSTRY"}},
            "designModule": {"phases": ["PHASE1"]},
            "conditionsModule": {"conditions": ["Asthma"]},
        },
        "derivedSection": {},
        "hasResults": False,
    }
    assert Study.from_json(study.to_json_dict()) == study


@pytest.mark.parametrize(
    "bad",
    [
        b"{not json",
        "[]",
        b'{"protocolSection": 5}',
        {"protocolSection": {"designModule": {"phases": "PHASE2"}}},
        {"protocolSection": {"designModule": {"enrollmentInfo": {"count": "many"}}}},
        {"hasResults": "perhaps"},
    ],
)
def test_malformed_input_raises_record_error(bad: Any) -> None:
    with pytest.raises(RecordError, match=r"Not a valid CT\.gov v2 study"):
        Study.from_json(bad)


def test_from_json_takes_any_mapping() -> None:
    raw = seed_record()
    assert Study.from_json(types.MappingProxyType(raw)) == Study.from_json(raw)


# --- the shortcuts the renderers and the store use --------------------------


def test_shortcuts_on_the_seed_trial() -> None:
    study = Study.from_json(seed_record())
    assert study.nct_id == "NCT04416854"
    assert (
        study.brief_title
        == "The Value of Palliative Primary Tumor Resection in Metastatic Colon Cancer"
    )
    assert study.official_title is not None and study.official_title.startswith("The Value")
    assert study.acronym is None
    assert study.overall_status is Status.UNKNOWN
    assert study.phases == [Phase.PHASE3]
    assert study.phase_label == "PHASE3"
    assert study.study_type is StudyType.INTERVENTIONAL
    assert study.lead_sponsor == "Fudan University"
    assert study.collaborators == []
    assert study.conditions == ["Metastatic Colon Cancer", "Surgery"]
    assert study.keywords == ["palliative surgery", "stage IV colon cancer", "chemotherapy"]
    assert [i.name for i in study.interventions] == [
        "resection of primary tumor",
        "XELOX",
        "mFOLFOX6",
    ]
    assert [loc.city for loc in study.locations] == ["Shanghai"]
    assert study.countries == ["China"]
    assert study.start_date == "2020-04-01"
    assert study.primary_completion_date == "2023-12-31"
    assert study.completion_date == "2025-12-31"
    assert study.last_update_post_date == "2020-06-04"
    assert study.enrollment_count == 627
    assert (study.min_age, study.max_age) == ("18 Years", "75 Years")
    assert study.has_results is False
    assert study.is_partial is False


def test_shortcuts_on_an_empty_record() -> None:
    study = Study()
    for name in ("nct_id", "brief_title", "official_title", "acronym", "overall_status",
                 "phase_label", "study_type", "lead_sponsor", "start_date", "completion_date",
                 "primary_completion_date", "last_update_post_date", "enrollment_count",
                 "min_age", "max_age", "has_results"):  # fmt: skip
        assert getattr(study, name) is None, name
    for name in ("phases", "collaborators", "conditions", "keywords", "interventions",
                 "locations", "countries"):  # fmt: skip
        assert getattr(study, name) == [], name
    assert study.is_partial


@pytest.mark.parametrize(
    ("phases", "label"),
    [
        (["PHASE2", "PHASE3"], "PHASE2, PHASE3"),
        (["PHASE1"], "PHASE1"),
        (["NA"], "NA"),
        ([], None),
        (None, None),
    ],
)
def test_phase_label(phases: list[str] | None, label: str | None) -> None:
    design = {} if phases is None else {"phases": phases}
    assert Study.from_json({"protocolSection": {"designModule": design}}).phase_label == label


def test_countries_are_unique_and_in_order() -> None:
    locs = [{"country": c} for c in ("France", "Spain", "France", None, "Italy", "Spain")]
    study = Study.from_json({"protocolSection": {"contactsLocationsModule": {"locations": locs}}})
    assert study.countries == ["France", "Spain", "Italy"]


def test_collaborators_are_names() -> None:
    raw = {"collaborators": [{"name": "A", "class": "NIH"}, {"class": "OTHER"}, {"name": "B"}]}
    study = Study.from_json({"protocolSection": {"sponsorCollaboratorsModule": raw}})
    assert study.collaborators == ["A", "B"]


@pytest.mark.parametrize(
    ("modules_present", "partial"),
    [
        (("statusModule", "designModule", "eligibilityModule", "descriptionModule"), False),
        (
            (
                "identificationModule",
                "conditionsModule",
                "contactsLocationsModule",
                "eligibilityModule",
            ),
            True,
        ),
        (("statusModule", "designModule", "eligibilityModule"), True),
        ((), True),
    ],
)
def test_is_partial(modules_present: tuple[str, ...], partial: bool) -> None:
    raw: dict[str, Any] = {"protocolSection": {name: {} for name in modules_present}}
    assert Study.from_json(raw).is_partial is partial


def test_shortcut_lists_are_copies() -> None:
    study = Study.from_json(seed_record())
    study.conditions.append("changed")
    study.locations.clear()
    assert study.conditions == ["Metastatic Colon Cancer", "Surgery"] and study.locations


# --- generated records ---------------------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
extra_keys = st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=6).map(lambda k: "zz" + k)


def value_strategy(tp: Any) -> st.SearchStrategy[Any]:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Annotated:
        return value_strategy(args[0])
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        enums = [a for a in options if isinstance(a, type) and issubclass(a, Vocab)]
        if enums:  # mostly known values, sometimes a new one
            return st.sampled_from([m.value for m in enums[0]]) | st.text(max_size=6)
        return st.one_of([value_strategy(a) for a in options])
    if origin is list:
        return st.lists(value_strategy(args[0]), max_size=2)
    if origin is dict:
        return st.dictionaries(st.text(max_size=5), json_values, max_size=3)
    if isinstance(tp, type) and issubclass(tp, CtgModel):
        return model_dicts(tp)
    return {
        str: st.text(max_size=10),
        bool: st.booleans(),
        int: st.integers(),
        float: st.floats(allow_nan=False, allow_infinity=False),
    }[tp]


def model_dicts(cls: type[CtgModel]) -> st.SearchStrategy[dict[str, Any]]:
    fields = {f.alias or name: value_strategy(f.annotation) for name, f in cls.model_fields.items()}
    known = st.fixed_dictionaries({}, optional=fields)
    unknown = st.dictionaries(extra_keys, json_values, max_size=1)
    return st.builds(lambda a, b: {**a, **b}, known, unknown)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model_dicts(Study))
def test_generated_records_round_trip(raw: dict[str, Any]) -> None:
    study = Study.from_json(raw)
    assert same_json(study.to_json_dict(), raw)
    assert Study.from_json(json.dumps(raw)) == study
    assert Study.from_json(study.to_json()) == study


@settings(max_examples=60, deadline=None)
@given(st.lists(model_dicts(Location), max_size=4))
def test_generated_locations_round_trip(locations: list[dict[str, Any]]) -> None:
    raw = {"protocolSection": {"contactsLocationsModule": {"locations": locations}}}
    study = Study.from_json(raw)
    assert same_json(study.to_json_dict(), raw)
    assert study.countries == list(
        dict.fromkeys(loc["country"] for loc in locations if loc.get("country"))
    )
