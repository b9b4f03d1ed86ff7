"""Read a patient from wherever it comes: a YAML / JSON file, a FHIR R4 Bundle, free text.

:func:`load_patient` takes a path (``.yaml`` / ``.yml`` / ``.json``: a structured
patient, or a FHIR Bundle when the JSON says ``"resourceType": "Bundle"``; ``.txt``: a
clinical note), ``-`` for standard input, or the text of a note itself. Syntax errors
name the line and column; every other problem is a
:class:`~trialscope.errors.PatientError` naming the field.

The structured format is the :class:`~trialscope.match.patient.Patient` model, plus
shorthands that are expanded before validation::

    id: crc-example               # optional, any label
    birth_date: 1962-05-14        # or age: 63
    sex: male                     # female / male (F / M accepted)
    pregnant: false               # pregnant / breastfeeding / healthy_volunteer: yes, no
    hospitalized: no              # now; or care_setting: outpatient / inpatient / intensive_care
    mechanically_ventilated: no   # intubated now
    ecog: 1                       # or karnofsky: 80 (-> performance)
    conditions:
      - colon adenocarcinoma      # a bare name: active, no dates
      - name: liver metastases
        metastasis_sites: [liver]
        lesion_count: 3
      - {name: deep vein thrombosis, status: history, onset: 2023-09, resolved: 2024-03}
      - {name: hepatitis B, status: absent}          # an explicit negative
    labs:                         # test: "value unit", a number, or a mapping
      platelets: 182 x10^9/L
      hemoglobin: 11.2 g/dL
      alt: {value: 52, unit: U/L, uln: 40, date: 2025-10-28}
      inr: 1.1
    therapies:                    # or medications:; drug classes are filled in
      - mFOLFOX6                  # -> chemotherapy, platinum, fluoropyrimidine, ...
      - {name: bevacizumab, status: completed, start: 2023-03, end: 2023-08, line: 1}
    procedures: [laparoscopic sigmoid colectomy]
    biomarkers: {KRAS: G12D mutated, MSI: stable}
    vaccinations:                 # the disease each prevents; or [unvaccinated]
      - COVID-19 vaccine, 3 doses
      - {against: influenza, date: 2025-10}
      - {against: hepatitis B, doses: 0}              # never vaccinated
    location: {place: "Boston, MA", radius_km: 100}   # or location: Boston, MA

Lab tests are catalogue ids or names people write (``Platelet count``, ``SGPT``); units
are converted to the catalogue's canonical unit when matched; ``uln`` / ``lln`` (or
``high`` / ``low``) are the laboratory's reference limits in the same unit, which let a
"≤ 2.5 × ULN" criterion be decided. Partial dates (``2019``, ``2019-03``) mean the first
day of that year / month. Nothing read here is logged or stored.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path
from typing import Any

import orjson
import yaml
from pydantic import ValidationError

from trialscope.criteria import VARIABLES
from trialscope.criteria.units import assumed_unit
from trialscope.errors import PatientError
from trialscope.match.patient import Lab, Patient, _check_lab, resolve_test
from trialscope.match.vaccination import vaccination_from_words
from trialscope.terminology.drugs import drug_classes

_STRUCTURED = {".yaml", ".yml", ".json"}
_SCALES = ("ecog", "karnofsky", "lansky", "who_ps")
#: facts of one value whose provenance the structured file itself is
_SAID_FIELDS = (
    *("pregnant", "breastfeeding", "healthy_volunteer", "care_setting"),
    "mechanically_ventilated",
)
_DATE_FIELDS = {"onset", "resolved", "date", "start", "end", "birth_date", "as_of"}
_NUMBER = re.compile(r"\s*([-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*(.*)")
_LIMITS = {"uln": "reference_high", "high": "reference_high", "lln": "reference_low"}
_LIMITS["low"] = "reference_low"
_PATIENT_KEYS = set(Patient.model_fields) | set(_SCALES) | {"medications"}
# canonical units a bare number cannot be trusted to be in (mg/dL or umol/L?)
_NEEDS_UNIT = {"umol/L", "mmol/L", "mg/L", "ng/mL", "ng/dL", "ng/L"}


def load_patient(source: str | Path, *, as_of: dt.date | None = None) -> Patient:
    """A patient from a file path, ``-`` (standard input) or the text of a note."""
    if isinstance(source, Path):
        return _load_file(source, as_of)
    if source == "-":
        return _from_text(sys.stdin.read(), "<stdin>", as_of)
    text = source.strip()
    if text and "\n" not in text and len(text) < 4096:
        path = Path(text).expanduser()
        try:
            is_file, is_dir = path.is_file(), path.is_dir()
        except OSError:
            # a one-line note longer than a file name may be ("File name too long")
            is_file = is_dir = False
        if is_file:
            return _load_file(path, as_of)
        if is_dir:
            raise PatientError("file", f"{text} is a folder, not a patient file")
        if path.suffix.lower() in _STRUCTURED | {".txt"} and " " not in text:
            raise PatientError(
                "file", f"no such file: {text}", hint="Check the path, or pass the note's text."
            )
    return _read_note(source, as_of)


def patient_from_data(data: Any, *, as_of: dt.date | None = None) -> Patient:
    """A parsed YAML / JSON document (or web form): a structured patient, shorthands
    expanded, or a FHIR Bundle."""
    if isinstance(data, dict) and "resourceType" in data:
        from trialscope.match.fhir import patient_from_fhir

        return patient_from_fhir(data, as_of=as_of)
    if not isinstance(data, dict | None):
        raise PatientError(
            "patient",
            f"expected a mapping of patient fields, found {type(data).__name__}",
            hint="Write one field per line, e.g. `age: 63`, `sex: male`, `ecog: 1`.",
        )
    if not data:
        raise PatientError(
            "patient", "no patient fields given", hint="See `trialscope match --help`."
        )
    expanded = expand_shorthands(data)
    if as_of is not None:
        expanded["as_of"] = as_of
    return Patient.from_data(expanded)


def expand_shorthands(data: dict[str, Any]) -> dict[str, Any]:
    """The friendly forms rewritten into the strict :class:`Patient` model's fields."""
    out: dict[str, Any] = _dates({k: v for k, v in data.items() if k not in _SCALES})
    performance = list(out.get("performance") or [])
    for scale in _SCALES:
        if scale in data:
            entry = data[scale] if isinstance(data[scale], dict) else {"value": data[scale]}
            check_performance(scale, entry.get("value"), scale)
            performance.append({"scale": scale, "source": _source(scale, None), **_dates(entry)})
    if performance:
        out["performance"] = performance
    if "conditions" in out:
        out["conditions"] = [_named(c, f"conditions[{i}]") for i, c in _items(out, "conditions")]
    if "medications" in out:
        # a medication list is what the patient takes now ("therapies" default to completed)
        taking = [
            {"name": m, "status": "active"} if isinstance(m, str)
            else {"status": "active", **m} if isinstance(m, dict)
            else m
            for m in _listed(out.pop("medications"))
        ]  # fmt: skip
        out["therapies"] = _listed(out.get("therapies")) + taking
    if "therapies" in out:
        out["therapies"] = [_therapy(t, f"therapies[{i}]") for i, t in _items(out, "therapies")]
    if "procedures" in out:
        out["procedures"] = [_named(p, f"procedures[{i}]") for i, p in _items(out, "procedures")]
    if isinstance(out.get("labs"), dict):
        out["labs"] = [_lab(str(name), raw, f"labs.{name}") for name, raw in out["labs"].items()]
    elif isinstance(out.get("labs"), list):
        out["labs"] = [_lab(None, raw, f"labs[{i}]") for i, raw in enumerate(out["labs"])]
    if isinstance(out.get("biomarkers"), dict):
        out["biomarkers"] = [
            {"name": str(name), "result": str(result)} for name, result in out["biomarkers"].items()
        ]
    if isinstance(out.get("location"), str):
        out["location"] = {"place": out["location"]}
    if "vaccinations" in out:
        out["vaccinations"] = [
            _vaccination(v, f"vaccinations[{i}]") for i, v in _items(out, "vaccinations")
        ]
    if "hospitalized" in out:
        out["care_setting"] = _hospitalized(out.pop("hospitalized"))
    for name in _SAID_FIELDS:
        if out.get(name) is not None and isinstance(out.get("provenance", {}), dict):
            # evidence names where it was said, as for a performance score
            out["provenance"] = {name: _source(name, str(out[name])), **out.get("provenance", {})}
    return out


def _vaccination(entry: Any, where: str) -> Any:
    if isinstance(entry, dict) and "against" in entry:
        words = str(entry["against"])
        given = vaccination_from_words(f"{words} vaccine")
        extra = {k: v for k, v in entry.items() if k != "against"}
    else:
        words = str(entry)
        given, extra = vaccination_from_words(words), {}
    if given is None:
        raise PatientError(
            where,
            f"no disease named in {words!r}",
            hint="Name the disease the vaccine prevents: `COVID-19 vaccine`, "
            "`{against: influenza, doses: 1}`, or `unvaccinated`.",
        )
    out = {**given.model_dump(exclude={"source"}), "name": words, **_dates(extra)}
    return {**out, "source": _source("vaccinations", words)}


def _hospitalized(value: Any) -> str:
    said = str(value).strip().lower()
    if value is True or said in ("yes", "true", "y"):
        return "inpatient"
    if value is False or said in ("no", "false", "n"):
        return "outpatient"
    raise PatientError(
        "hospitalized",
        f"expected yes or no, found {value!r}",
        hint="Or give `care_setting: outpatient`, `inpatient` or `intensive_care`.",
    )


def _load_file(path: Path, as_of: dt.date | None) -> Patient:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PatientError("file", f"cannot read {path}: {exc.strerror}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PatientError(
            "file", f"{path.name} is not UTF-8 text (byte {exc.start})", hint="Save it as UTF-8."
        ) from exc
    suffix = path.suffix.lower()
    if suffix == ".json":
        return patient_from_data(_parse_json(text, path.name), as_of=as_of)
    if suffix in (".yaml", ".yml"):
        return patient_from_data(_parse_yaml(text, path.name), as_of=as_of)
    return _from_text(text, path.name, as_of)


def _from_text(text: str, name: str, as_of: dt.date | None) -> Patient:
    """Standard input or a file of unknown kind: JSON, a YAML mapping of patient
    fields, or else a note."""
    stripped = text.lstrip()
    if stripped.startswith("{"):
        return patient_from_data(_parse_json(text, name), as_of=as_of)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        data = None
    if isinstance(data, dict) and data and set(data) <= _PATIENT_KEYS:
        return patient_from_data(data, as_of=as_of)
    return _read_note(text, as_of)


def _read_note(text: str, as_of: dt.date | None) -> Patient:
    from trialscope.match.note import (
        read_note,  # the note reader is heavier; only load it for notes
    )

    return read_note(text, as_of=as_of)


def _parse_json(text: str, name: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise PatientError(
            "file",
            f"{name} line {exc.lineno} column {exc.colno}: invalid JSON ({exc.msg})",
            hint="Check for a missing comma, quote or bracket just before that point.",
        ) from exc


def _parse_yaml(text: str, name: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" line {mark.line + 1} column {mark.column + 1}" if mark else ""
        raise PatientError(
            "file",
            f"{name}{where}: invalid YAML ({exc.problem or exc.context})",
            hint="Check brackets, quotes and indentation there (spaces, not tabs); quote a "
            "value that contains ': '.",
        ) from exc
    except yaml.YAMLError as exc:
        raise PatientError("file", f"{name}: invalid YAML ({exc})") from exc


def _listed(value: Any) -> list[Any]:
    """A YAML list, or one entry given alone ("medications: metformin")."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _items(data: dict[str, Any], key: str) -> list[tuple[int, Any]]:
    value = data[key]
    if isinstance(value, str | dict):
        value = [value]  # one condition written without the list dash
    if not isinstance(value, list):
        raise PatientError(key, f"expected a list, found {type(value).__name__}")
    return list(enumerate(value))


def _named(item: Any, field: str) -> Any:
    if isinstance(item, str):
        return {"name": item, "source": _source(field, item)}
    if isinstance(item, dict):
        return {"source": _source(field, None), **item}
    raise PatientError(field, f"expected a name or a mapping, found {item!r}")


def _therapy(item: Any, field: str) -> Any:
    entry = _named(item, field)
    if isinstance(entry.get("name"), str) and "classes" not in entry:
        entry["classes"] = sorted(drug_classes(entry["name"]))
    return entry


def _lab(name: str | None, raw: Any, field: str) -> dict[str, Any]:
    """One lab in any friendly form -> the Lab model's fields, checked here so an error
    names the key the user wrote."""
    if isinstance(raw, dict):
        entry: dict[str, Any] = {_LIMITS.get(str(k), str(k)): v for k, v in raw.items()}
        if isinstance(entry.get("value"), str):
            entry.update(_value_unit(entry["value"], f"{field}.value"))
    elif isinstance(raw, str):
        entry = _value_unit(raw, field)
    elif isinstance(raw, int | float) and not isinstance(raw, bool):
        entry = {"value": raw}
    else:
        raise PatientError(field, f"expected a value with its unit, found {raw!r}")
    if name is not None:
        entry.setdefault("test", name)
    if entry.get("unit") is None and isinstance(entry.get("value"), int | float):
        entry["unit"] = bare_number_unit(str(entry.get("test", "")), entry["value"], field)
    entry.setdefault("source", _source(field, f"{name}: {raw}" if name else None))
    try:
        lab = Lab.model_validate(entry)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join([field, *(str(p) for p in first["loc"])])
        raise PatientError(where, first["msg"]) from exc
    _check_lab(lab, field)
    return entry


def bare_number_unit(test: str, value: float, field: str) -> str | None:
    """The unit a lab value given without one is in: the one its size makes plain
    (platelets 150000 -> /uL, hemoglobin 11 -> g/dL), else the canonical unit, except
    where a bare number is ambiguous (creatinine 1.1: mg/dL or umol/L?) -> PatientError."""
    variable_id = resolve_test(test)
    if variable_id is None:
        return None  # the unknown test is reported by the lab check
    variable = VARIABLES[variable_id]
    assumed = assumed_unit(variable, float(value))
    if assumed is not None or variable.unit is None:
        return assumed
    if variable.unit in _NEEDS_UNIT:
        raise PatientError(
            f"{field}.unit",
            f"{variable.label} {value:g} needs a unit",
            hint=f"Write e.g. '{value:g} mg/dL' or '{value:g} {variable.unit}'.",
        )
    return variable.unit


def check_performance(scale: str, value: Any, field: str) -> None:
    """ECOG / WHO 0-5, Karnofsky / Lansky 0-100 in steps of 10; else PatientError."""
    top = 5 if scale in ("ecog", "who_ps") else 100
    if isinstance(value, bool) or not isinstance(value, int | float):
        return  # not a number: the model's validation names it
    if not 0 <= value <= top or (top == 100 and value % 10):
        raise PatientError(
            field,
            f"{value:g} is not a {scale.replace('_', ' ').upper()} score",
            hint=f"{scale} scores run from 0 to {top}"
            + (" in steps of 10." if top == 100 else "."),
        )


def _value_unit(text: str, field: str) -> dict[str, Any]:
    found = _NUMBER.fullmatch(text)
    if found is None:
        raise PatientError(
            field,
            f"expected a number and a unit, found {text!r}",
            hint="Write e.g. '150 x10^9/L', '11.2 g/dL' or '1.1' (no unit for ratios).",
        )
    value = float(found.group(1).replace(",", ""))
    unit = found.group(2).strip() or None
    return {"value": value, "unit": unit}


def _source(field: str, text: str | None) -> dict[str, Any]:
    return {"kind": "structured", "ref": field, "text": text}


def _dates(value: Any, path: str = "") -> Any:
    """Partial dates (``2019``, ``2019-03``) in nested date fields -> full dates."""
    if isinstance(value, dict):
        return {
            k: _date(v, f"{path}{k}") if k in _DATE_FIELDS else _dates(v, f"{path}{k}.")
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_dates(v, f"{path.rstrip('.')}[{i}].") for i, v in enumerate(value)]
    return value


def _date(value: Any, field: str) -> Any:
    if isinstance(value, int) and not isinstance(value, bool) and 1800 <= value <= 2200:
        return dt.date(value, 1, 1)
    if isinstance(value, str):
        found = re.fullmatch(r"\s*(\d{4})(?:-(\d{1,2}))?\s*", value)
        if found:
            try:
                return dt.date(int(found.group(1)), int(found.group(2) or 1), 1)
            except ValueError as exc:
                raise PatientError(field, f"{value!r} is not a date") from exc
    return value
