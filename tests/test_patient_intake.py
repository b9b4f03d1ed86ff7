"""Patient intake: YAML / JSON files, FHIR R4 bundles, drug classes, friendly errors."""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from trialscope.criteria import VARIABLES
from trialscope.criteria.units import to_canonical
from trialscope.errors import PatientError, TrialscopeError
from trialscope.match.fhir import LOINC_LABS, UCUM_UNITS, patient_from_fhir, read_fhir
from trialscope.match.intake import expand_shorthands, load_patient, patient_from_data
from trialscope.match.patient import Patient
from trialscope.terminology.drugs import CLASS_LABELS, drug_classes, drug_names, find_drugs

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "patients"
CRC_BUNDLE = EXAMPLES / "crc_liver_mets.fhir.json"
AS_OF = dt.date(2025, 11, 1)


def bundle() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(CRC_BUNDLE.read_text())
    return data


def resource(data: dict[str, Any], ident: str) -> tuple[int, dict[str, Any]]:
    for index, entry in enumerate(data["entry"]):
        if entry["resource"]["id"] == ident:
            return index, entry["resource"]
    raise AssertionError(ident)


def fhir_error(data: dict[str, Any]) -> PatientError:
    with pytest.raises(PatientError) as caught:
        patient_from_fhir(data)
    return caught.value


# -- the example files


@pytest.mark.parametrize("path", sorted(EXAMPLES.iterdir()), ids=lambda p: p.name)
def test_every_example_loads(path: Path) -> None:
    patient = load_patient(path, as_of=AS_OF)
    assert patient.id
    assert patient.sex in ("female", "male")
    assert patient.age_years() is not None
    assert patient.labs, "every example has labs"
    for lab in patient.labs:
        _, unit = lab.canonical()
        assert unit == VARIABLES[lab.test].unit, lab


def test_examples_are_the_patients_they_say() -> None:
    t2dm = load_patient(str(EXAMPLES / "t2dm_woman.yaml"))
    assert (t2dm.age, t2dm.sex, t2dm.pregnant) == (58, "female", False)
    assert {"biguanide", "sglt2_inhibitor", "statin", "ace_inhibitor"} <= {
        c for t in t2dm.therapies for c in t.classes
    }
    hba1c = t2dm.lab("hba1c")
    assert hba1c is not None and hba1c.canonical() == (8.4, "%")
    assert t2dm.location is not None and t2dm.location.place == "Leeds, UK"
    volunteer = load_patient(EXAMPLES / "healthy_volunteer.yaml")
    assert volunteer.healthy_volunteer is True and volunteer.conditions == []
    assert volunteer.therapies[0].classes == ["hormonal_contraceptive"]


# -- FHIR


def test_fhir_bundle_labs_in_canonical_units_with_reference_ranges() -> None:
    patient = patient_from_fhir(CRC_BUNDLE.read_text(), as_of=AS_OF)
    assert (patient.id, patient.sex, patient.birth_date) == (
        "crc-001",
        "male",
        dt.date(1962, 5, 14),
    )
    assert patient.age_years() == 63
    canonical = {lab.test: lab.canonical() for lab in patient.labs}
    assert canonical["platelets"] == (182.0, "10^9/L")
    assert canonical["anc"] == (3.1, "10^9/L")
    assert canonical["hemoglobin"] == (112.0, "g/L")
    assert canonical["creatinine"][1] == "umol/L"
    assert canonical["creatinine"][0] == pytest.approx(79.56, abs=0.01)
    assert canonical["total_bilirubin"][0] == pytest.approx(18.81, abs=0.01)
    assert canonical["albumin"] == (36.0, "g/L")
    assert canonical["inr"] == (1.1, None)
    assert canonical["sbp"] == (138.0, "mmHg") and canonical["dbp"] == (84.0, "mmHg")
    alt = patient.lab("alt")
    assert alt is not None
    assert (alt.reference_low, alt.reference_high) == (7.0, 40.0)
    assert alt.times_limit("x ULN") == pytest.approx(1.3)
    assert alt.date == dt.date(2025, 10, 28)
    assert alt.loinc == "1742-6"
    assert alt.source.kind == "fhir" and alt.source.ref == "Observation/alt"
    assert alt.source.text is not None and "Alanine aminotransferase" in alt.source.text


def test_fhir_bundle_performance_conditions_therapies() -> None:
    result = read_fhir(bundle(), as_of=AS_OF)
    patient = result.patient
    ecog = patient.performance_score("ecog")
    assert ecog is not None and ecog.value == 1 and ecog.source.ref == "Observation/ecog"

    by_name = {c.name: c for c in patient.conditions}
    crc = by_name["Adenocarcinoma of sigmoid colon"]
    assert crc.codes == ["SNOMED:363406005", "ICD10:C18.7"]
    assert (crc.status, crc.onset) == ("active", dt.date(2023, 2, 10))
    assert crc.stage is not None and crc.stage.startswith("Stage IVA")
    assert crc.metastasis_sites == ["liver"]  # from the separate metastasis Condition
    assert by_name["Liver metastases"].metastasis_sites == ["liver"]
    dvt = by_name["Deep vein thrombosis of left leg"]
    assert (dvt.status, dvt.resolved) == ("history", dt.date(2024, 3, 20))
    assert by_name["Hepatitis B"].status == "absent"  # verificationStatus refuted
    assert by_name["Essential hypertension"].onset == dt.date(2015, 1, 1)
    assert by_name["tobacco smoking"].status == "history"
    assert by_name["Hepatitis B"].source.ref == "Condition/cond-hbv"

    therapies = {t.source.ref: t for t in patient.therapies}
    folfox = therapies["MedicationStatement/ms-folfox"]
    assert {"chemotherapy", "platinum", "fluoropyrimidine"} <= set(folfox.classes)
    assert (folfox.status, folfox.start, folfox.end) == (
        "completed",
        dt.date(2023, 3, 6),
        dt.date(2023, 8, 21),
    )
    bev = therapies["MedicationStatement/ms-bev"]
    assert "vegf_inhibitor" in bev.classes and bev.codes == ["RXNORM:253337"]
    cape = therapies["MedicationRequest/mr-cape"]  # named through a Medication resource
    assert cape.status == "active" and "fluoropyrimidine" in cape.classes
    assert "doac" in therapies["MedicationStatement/ms-apix"].classes
    surgery = therapies["Procedure/proc-colectomy"]
    assert surgery.classes == ["surgery"] and surgery.start == dt.date(2023, 2, 27)
    assert "Procedure/proc-biopsy" not in therapies  # a biopsy is not surgery
    assert {p.name for p in patient.procedures} == {
        "Laparoscopic sigmoid colectomy",
        "Ultrasound-guided liver biopsy",
    }
    assert any("2039-6" in w and "Observation/cea" in w for w in result.warnings)


def test_fhir_and_yaml_of_the_same_patient_agree() -> None:
    fhir = load_patient(CRC_BUNDLE, as_of=AS_OF)
    yaml = load_patient(EXAMPLES / "crc_liver_mets.yaml", as_of=AS_OF)
    assert {lab.test: lab.canonical() for lab in fhir.labs} == {
        lab.test: lab.canonical() for lab in yaml.labs
    }
    assert fhir.performance_score("ecog") is not None
    assert yaml.performance_score("ecog") is not None
    assert {(c.name, c.status) for c in fhir.conditions} == {
        (c.name, c.status) for c in yaml.conditions
    }
    assert fhir.age_years() == yaml.age_years()


def test_fhir_performance_pregnancy_and_value_forms() -> None:
    data = bundle()
    entries = data["entry"]
    _, ecog = resource(data, "ecog")
    del ecog["valueCodeableConcept"]
    ecog["valueInteger"] = 2
    entries.append(
        {
            "resource": {
                "resourceType": "Observation",
                "id": "kps",
                "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "89243-0"}]},
                "valueCodeableConcept": {"text": "70 - Cares for self; unable to work"},
            }
        }
    )
    entries.append(
        {
            "resource": {
                "resourceType": "Observation",
                "id": "preg",
                "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "82810-3"}]},
                "effectiveDateTime": "2025-10-28",
                "valueCodeableConcept": {
                    "coding": [{"system": "http://snomed.info/sct", "code": "60001007"}]
                },
            }
        }
    )
    earlier = copy.deepcopy(entries[-1])
    earlier["resource"].update(id="preg-old", effectiveDateTime="2020-01-05")
    earlier["resource"]["valueCodeableConcept"]["coding"][0]["code"] = "77386006"
    entries.append(earlier)  # an older "pregnant" answer, later in the bundle
    patient = patient_from_fhir(data)
    assert [(p.scale, p.value) for p in patient.performance] == [("ecog", 2), ("karnofsky", 70)]
    assert patient.pregnant is False
    assert patient.provenance["pregnant"].ref == "Observation/preg"
    ecog["valueInteger"] = 6
    assert fhir_error(data).field.endswith("Observation/ecog value[x]")


@pytest.mark.parametrize(("code", "entry"), sorted(LOINC_LABS.items()))
def test_every_loinc_mapping_converts_to_the_catalogue_unit(
    code: str, entry: tuple[str, str]
) -> None:
    variable_id, ucum = entry
    variable = VARIABLES[variable_id]
    label = UCUM_UNITS[ucum]
    _, unit = to_canonical(1.0, label, variable)
    assert unit == variable.unit, f"LOINC {code}: {ucum} does not convert to {variable.unit}"


# -- errors name the field


def test_fhir_unknown_unit_names_resource_and_field() -> None:
    data = bundle()
    index, plt = resource(data, "plt")
    plt["valueQuantity"] = {"value": 3, "unit": "furlongs"}
    error = fhir_error(data)
    assert error.field == f"entry[{index}] Observation/plt valueQuantity.unit"
    assert "furlongs" in error.problem and error.hint


def test_fhir_impossible_value_and_unconvertible_unit() -> None:
    data = bundle()
    index, plt = resource(data, "plt")
    plt["valueQuantity"]["value"] = 5_000_000  # 10^3/uL: five trillion per litre
    error = fhir_error(data)
    assert error.field == f"entry[{index}] Observation/plt valueQuantity.value"
    data = bundle()
    _, alb = resource(data, "alb")
    alb["valueQuantity"].update(unit="mmHg", code="mm[Hg]")
    assert fhir_error(data).field.endswith("Observation/alb valueQuantity.unit")


def test_fhir_resource_failing_validation_names_the_field() -> None:
    data = bundle()
    index, alt = resource(data, "alt")
    del alt["status"]
    error = fhir_error(data)
    assert error.field == f"entry[{index}] Observation/alt status"
    data = bundle()
    index, hgb = resource(data, "hgb")
    hgb["valueQuantity"]["value"] = "eleven"
    assert fhir_error(data).field == f"entry[{index}] Observation/hgb valueQuantity.value"
    data = bundle()
    _, cond = resource(data, "cond-crc")
    cond["colour"] = "blue"
    assert fhir_error(data).field.endswith("Condition/cond-crc colour")


def test_fhir_observation_without_value() -> None:
    data = bundle()
    index, wbc = resource(data, "wbc")
    del wbc["valueQuantity"]
    error = fhir_error(data)
    assert error.field == f"entry[{index}] Observation/wbc value[x]"
    wbc["dataAbsentReason"] = {"text": "sample haemolysed"}
    result = read_fhir(data)
    assert result.patient.lab("wbc") is None
    assert any("haemolysed" in w for w in result.warnings)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"resourceType": "Patient", "id": "p"}, "resourceType"),
        ([1, 2], "resourceType"),
        ({"resourceType": "Bundle", "entry": {"resource": {}}}, "entry"),
        ({"resourceType": "Bundle", "entry": [{"fullUrl": "x"}]}, "entry[0].resource"),
        (
            {"resourceType": "Bundle", "entry": [{"resource": {"id": "x"}}]},
            "entry[0].resource.resourceType",
        ),
        ('{"resourceType": "Bundle", "entry": [', "bundle"),
    ],
)
def test_malformed_bundle(data: Any, field: str) -> None:
    with pytest.raises(PatientError) as caught:
        patient_from_fhir(data)
    assert caught.value.field == field
    assert isinstance(caught.value, TrialscopeError)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_yaml_syntax_error_gives_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", "age: 60\nsex: male\nlabs:\n  platelets: [150\n  alt: 40\n")
    with pytest.raises(PatientError) as caught:
        load_patient(path)
    assert caught.value.field == "file"
    assert "p.yaml line" in caught.value.problem and "column" in caught.value.problem


def test_json_syntax_error_gives_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "p.json", '{\n  "age": 60,\n  "sex": "male",,\n}')
    with pytest.raises(PatientError) as caught:
        load_patient(path)
    assert "p.json line 3 column" in caught.value.problem


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"labs": {"platelets": "lots"}}, "labs.platelets"),
        ({"labs": {"platelets": "150 furlongs"}}, "labs.platelets.unit"),
        ({"labs": {"platelets": "-5 x10^9/L"}}, "labs.platelets.value"),
        ({"labs": {"zorbitol": 5}}, "labs.zorbitol.test"),
        ({"labs": {"alt": {"value": "high", "unit": "U/L"}}}, "labs.alt.value"),
        ({"labs": [{"test": "hemoglobin", "value": 9, "unit": "mmHg"}]}, "labs[0].unit"),
        ({"conditions": [{"name": "asthma", "status": "maybe"}]}, "conditions.0.status"),
        ({"conditions": [{"name": "asthma", "onset": "2019-13"}]}, "conditions[0].onset"),
        ({"labs": {"creatinine": 1.1}}, "labs.creatinine.unit"),
        ({"ecog": 7}, "ecog"),
        ({"karnofsky": {"value": 85}}, "karnofsky"),
        ({"age": 400}, "age"),
        (None, "patient"),
        ({"favourite_colour": "blue"}, "favourite_colour"),
        (["age", 60], "patient"),
    ],
)
def test_structured_errors_name_the_field(data: Any, field: str) -> None:
    with pytest.raises(PatientError) as caught:
        patient_from_data(data)
    assert caught.value.field == field


def test_missing_file_and_note_fallback(tmp_path: Path) -> None:
    for wrong in (str(tmp_path / "nobody.yaml"), str(tmp_path)):
        with pytest.raises(PatientError) as caught:
            load_patient(wrong)
        assert caught.value.field == "file"
    with pytest.raises(PatientError, match="no patient fields"):
        load_patient(write(tmp_path, "empty.yaml", "# nothing yet\n"))
    note = write(tmp_path, "note.txt", "A 47-year-old woman with breast cancer, ECOG 0.")
    patient = load_patient(note)
    assert patient.age == 47 and patient.sex == "female"


def test_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("age: 70\nsex: F\necog: 2\n"))
    patient = load_patient("-")
    assert (patient.age, patient.sex) == (70, "female")
    assert patient.performance[0].value == 2
    monkeypatch.setattr("sys.stdin", io.StringIO(CRC_BUNDLE.read_text()))
    assert load_patient("-").id == "crc-001"


def test_json_structured_patient_and_as_of(tmp_path: Path) -> None:
    path = write(tmp_path, "p.json", json.dumps({"birth_date": "1960-06", "karnofsky": 80}))
    patient = load_patient(path, as_of=dt.date(2025, 1, 1))
    assert patient.birth_date == dt.date(1960, 6, 1) and patient.age_years() == 64
    assert patient.performance[0].scale == "karnofsky"


# -- shorthands


def strip_sources(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: strip_sources(v) for k, v in value.items() if k not in ("source", "provenance")}
    if isinstance(value, list):
        return [strip_sources(v) for v in value]
    return value


@settings(max_examples=60, deadline=None)
@given(
    platelets=st.floats(min_value=5, max_value=2000, allow_nan=False).map(lambda v: round(v, 1)),
    ecog=st.integers(min_value=0, max_value=5),
    uln=st.floats(min_value=10, max_value=80).map(lambda v: round(v, 1)),
    drug=st.sampled_from(["FOLFOX", "pembrolizumab", "Warfarin 5 mg", "unknownumab"]),
    condition=st.sampled_from(["colon adenocarcinoma", "type 2 diabetes", "asthma"]),
    onset=st.integers(min_value=1990, max_value=2024),
)
def test_shorthand_equals_explicit_form(
    platelets: float, ecog: int, uln: float, drug: str, condition: str, onset: int
) -> None:
    short = {
        "ecog": ecog,
        "conditions": [condition, {"name": "asthma", "status": "history", "onset": onset}],
        "labs": {"platelets": f"{platelets} x10^9/L", "alt": {"value": 30, "uln": uln}},
        "medications": [drug],
    }
    explicit = {
        "performance": [{"scale": "ecog", "value": ecog}],
        "conditions": [
            {"name": condition},
            {"name": "asthma", "status": "history", "onset": dt.date(onset, 1, 1)},
        ],
        "labs": [
            {"test": "platelets", "value": platelets, "unit": "x10^9/L"},
            {"test": "alt", "value": 30, "unit": "U/L", "reference_high": uln},
        ],
        # a medication list is what the patient takes now
        "therapies": [{"name": drug, "classes": sorted(drug_classes(drug)), "status": "active"}],
    }
    a, b = Patient.from_data(expand_shorthands(short)), Patient.from_data(explicit)
    assert strip_sources(a.model_dump()) == strip_sources(b.model_dump())
    # the shorthand's facts point at the key the user wrote
    assert a.labs[0].source.ref == "labs.platelets"
    assert a.conditions[0].source.ref == "conditions[0]"


def test_a_medication_given_alone_is_one_medication() -> None:
    # a bare string was split into one "therapy" per letter
    patient = patient_from_data({"medications": "metformin", "therapies": "FOLFOX"})
    assert [(t.name, t.status) for t in patient.therapies] == [
        ("FOLFOX", "completed"),
        ("metformin", "active"),
    ]


# -- drugs


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("cisplatin 75 mg/m2", {"platinum", "chemotherapy", "systemic_therapy"}),
        ("KEYTRUDA", {"pd1_pdl1", "immunotherapy"}),
        ("carboplatin + pemetrexed", {"platinum", "antimetabolite"}),
        ("mFOLFOX6", {"platinum", "fluoropyrimidine"}),
        ("AC-T", {"anthracycline", "alkylating_agent", "taxane"}),
        ("Eliquis 5 mg BID", {"anticoagulant", "doac"}),
        ("dexamethasone 4 mg", {"corticosteroid", "immunosuppressants"}),
        ("clarithromycin", {"cyp3a4_inhibitor"}),
        ("St. John's wort", {"cyp3a4_inducer"}),
        ("insulin glargine", {"insulin", "antidiabetic"}),
        ("trastuzumab deruxtecan", {"her2_targeted", "antibody_drug_conjugate"}),
        ("ipilimumab", {"ctla4", "checkpoint_inhibitor"}),
        ("Humira", {"tnf_inhibitor", "immunosuppressant"}),
    ],
)
def test_drug_classes(name: str, expected: set[str]) -> None:
    assert expected <= drug_classes(name)


def test_drug_classes_ignore_lookalikes() -> None:
    assert drug_classes("act now and chop wood") == frozenset()
    assert drug_classes("unknownumab") == frozenset()
    assert drug_classes("nab-paclitaxel") == drug_classes("Abraxane")


def test_every_class_has_a_label() -> None:
    for name in drug_names():
        assert drug_classes(name) <= set(CLASS_LABELS), name
    assert len(drug_names()) >= 250


# names found in any case (the short upper-case regimen acronyms like AC are not)
_CASELESS = sorted(n for n in drug_names() if drug_classes(n))


@settings(max_examples=200)
@given(name=st.sampled_from(_CASELESS), flips=st.lists(st.booleans(), min_size=40, max_size=40))
def test_drug_classes_are_case_insensitive(name: str, flips: list[bool]) -> None:
    mixed = "".join(
        c.upper() if flip else c.lower() for c, flip in zip(name, flips * 3, strict=False)
    )
    assert drug_classes(mixed) == drug_classes(name) != frozenset()


@given(text=st.text(max_size=300))
def test_drug_classes_never_raise(text: str) -> None:
    classes = drug_classes(text)
    assert isinstance(classes, frozenset) and classes <= set(CLASS_LABELS)


@given(
    words=st.lists(
        st.one_of(st.sampled_from(_CASELESS), st.sampled_from(["and", "then", "with", "5 mg"])),
        min_size=1,
        max_size=8,
    )
)
def test_find_drugs_spans(words: list[str]) -> None:
    text = ", ".join(words)
    hits = find_drugs(text)
    ends = 0
    for start, end, name, classes in hits:
        assert start >= ends  # in order, non-overlapping
        ends = end
        assert classes == drug_classes(name)
        assert drug_classes(text[start:end]) == classes
    if any(w in _CASELESS for w in words):
        assert hits


def test_patient_data_is_copied_not_changed() -> None:
    data = {"ecog": 1, "labs": {"platelets": "150 x10^9/L"}, "conditions": ["asthma"]}
    before = copy.deepcopy(data)
    patient_from_data(data)
    assert data == before


def test_bare_numbers_take_the_unit_their_size_makes_plain() -> None:
    patient = patient_from_data(
        {"labs": {"hemoglobin": 11.2, "platelets": 150000, "egfr": 72, "alt": 52, "inr": 1.1}}
    )
    canonical = {lab.test: lab.canonical() for lab in patient.labs}
    assert canonical == {
        "hemoglobin": (112.0, "g/L"),
        "platelets": (150.0, "10^9/L"),
        "egfr": (72.0, "mL/min/1.73m^2"),
        "alt": (52.0, "U/L"),
        "inr": (1.1, None),
    }


def test_fhir_value_without_unit() -> None:
    data = bundle()
    index, crea = resource(data, "crea")
    crea["valueQuantity"] = {"value": 0.9}
    assert fhir_error(data).field == f"entry[{index}] Observation/crea valueQuantity.unit"
    data = bundle()
    _, hgb = resource(data, "hgb")
    hgb["valueQuantity"] = {"value": 11.2}
    lab = patient_from_fhir(data).lab("hemoglobin")
    assert lab is not None and lab.canonical() == (112.0, "g/L")


def test_fhir_radiotherapy_not_done_and_not_taken() -> None:
    data = bundle()
    extra = [
        {
            "resourceType": "Procedure",
            "id": "rt",
            "status": "completed",
            "code": {"text": "SBRT to liver segment VII, 3 x 15 Gy"},
            "subject": {"reference": "Patient/crc-001"},
            "performedPeriod": {"start": "2024-05-02", "end": "2024-05-09"},
        },
        {
            "resourceType": "Procedure",
            "id": "skipped",
            "status": "not-done",
            "code": {"text": "Right hemicolectomy"},
            "subject": {"reference": "Patient/crc-001"},
        },
        {
            "resourceType": "MedicationStatement",
            "id": "refused",
            "status": "not-taken",
            "subject": {"reference": "Patient/crc-001"},
            "medicationCodeableConcept": {"text": "Pembrolizumab"},
        },
        {"resourceType": "Coverage", "id": "plan", "status": "active"},
    ]
    data["entry"] += [{"resource": r} for r in extra]
    result = read_fhir(data)
    therapies = {t.source.ref: t for t in result.patient.therapies}
    rt = therapies["Procedure/rt"]
    assert rt.classes == ["radiotherapy"]
    assert (rt.start, rt.end) == (dt.date(2024, 5, 2), dt.date(2024, 5, 9))
    assert "Procedure/skipped" not in therapies
    assert all(p.name != "Right hemicolectomy" for p in result.patient.procedures)
    refused = therapies["MedicationStatement/refused"]
    assert refused.status == "absent" and "pd1_pdl1" in refused.classes
    assert any("Coverage" in w for w in result.warnings)


def test_fhir_real_world_shapes_skip_with_few_warnings() -> None:
    """A record export holds many resources trialscope has no use for, labs given as
    text, and codes outside its table: they are skipped and summarised, not fatal."""
    data = bundle()

    def observation(ident: str, code: str, **value: Any) -> dict[str, Any]:
        coding = [{"system": "http://loinc.org", "code": code, "display": f"test {code}"}]
        return {
            "resource": {
                "resourceType": "Observation",
                "id": ident,
                "status": "final",
                "code": {"coding": coding},
                **value,
            }
        }

    coverages = [
        {"resource": {"resourceType": "Coverage", "id": f"c{i}", "status": "active"}}
        for i in range(3)
    ]
    data["entry"] += [
        *coverages,
        observation("pain1", "72514-3", valueInteger=3),
        observation("pain2", "72514-3", valueInteger=5),
        observation("bili-text", "1968-7", valueString="<0.2 mg/dL"),
        observation("plt-text", "777-3", valueCodeableConcept={"text": "clumped, see smear"}),
    ]
    result = read_fhir(data)
    warnings = result.warnings
    assert "Coverage resources are not read (3×, first entry[" in " ".join(warnings)
    assert sum("72514-3" in w for w in warnings) == 1
    assert any("clumped" not in w and "not a number" in w for w in warnings)
    direct = result.patient.lab("direct_bilirubin")
    assert direct is not None and direct.canonical()[1] == "umol/L"
    assert direct.value == 0.2 and any("'<0.2 mg/dL' read as 0.2" in w for w in warnings)
    assert [lab.value for lab in result.patient.labs if lab.test == "platelets"] == [182.0]


def test_the_documented_example_loads() -> None:
    """The YAML example in intake's docstring (lifted into the README) stays valid."""
    from trialscope.match import intake

    doc = intake.__doc__ or ""
    block = doc.split("before validation::\n", 1)[1]
    lines = []
    for line in block.splitlines():
        if line and not line.startswith("    "):
            break  # the end of the indented example
        lines.append(line[4:])
    patient = patient_from_data(yaml.safe_load("\n".join(lines)), as_of=AS_OF)
    assert patient.age_years() == 63 and patient.performance_score("ecog") is not None
    assert {c.status for c in patient.conditions} == {"active", "history", "absent"}
    alt = patient.lab("alt")
    assert alt is not None and alt.times_limit("x ULN") == pytest.approx(1.3)
    assert "platinum" in patient.therapies[0].classes
    assert patient.biomarkers[0].name == "KRAS"


def test_a_long_one_line_note_is_read_as_text() -> None:
    # a TREC topic on one line (~1,000 characters) was tried as a file name: "File name
    # too long" came out of `trialscope match` as a traceback
    note = "A 45-year-old woman with gallstones and hypercholesterolemia. " * 20
    patient = load_patient(note.strip())
    assert patient.age_years() == 45
