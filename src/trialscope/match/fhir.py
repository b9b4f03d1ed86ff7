"""A FHIR R4 Bundle -> :class:`~trialscope.match.patient.Patient`.

Each resource is validated with the ``fhir.resources`` models (``fhir.resources.R4B``:
the 8.x package's default models are R5, and R4B is the R4-compatible release), then
read: Patient (birth date, sex), Condition (codes, clinical / verification status,
dates, stage, metastasis sites), Observation (LOINC-coded labs and vitals, ECOG /
Karnofsky, pregnancy, breastfeeding, smoking), MedicationStatement / MedicationRequest
(drug classes from :mod:`.drugs`), Procedure (surgery / radiotherapy also become a
therapy), Immunization (a vaccine and the disease it prevents) and Encounter (one going
on now gives the care setting: admitted, in intensive care, or seen as an outpatient).
Every fact's provenance names its resource (``Observation/abc``).

The LOINC codes read as labs, the UCUM units understood and the other codes read
(coding systems, ECOG and smoking answers, yes/no answers) are the data files
``trialscope/data/loinc_labs.tsv``, ``ucum_units.tsv`` and ``fhir_codes.tsv``.

Malformed input is a :class:`~trialscope.errors.PatientError` naming the entry, the
resource and the field; things that are valid FHIR but not read (an unknown LOINC code,
a resource type the matcher has no use for) go to :attr:`FhirPatient.warnings`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import orjson
from pydantic import ValidationError

from trialscope.criteria.catalogue import BY_ID
from trialscope.criteria.units import unit_label
from trialscope.data import load_rows
from trialscope.data.schema import FhirCodeRow, LoincLabRow, UcumUnitRow
from trialscope.errors import PatientError
from trialscope.match.fhir_values import code_of as _code_of
from trialscope.match.fhir_values import concept_text as _text
from trialscope.match.fhir_values import fhir_date as _date
from trialscope.match.fhir_values import provenance as _prov
from trialscope.match.intake import bare_number_unit, check_performance
from trialscope.match.patient import (
    CareSetting,
    Condition,
    ConditionStatus,
    Lab,
    Patient,
    Performance,
    Procedure,
    Provenance,
    Therapy,
    TherapyStatus,
    _check_lab,
)
from trialscope.match.vaccination import vaccination_from_fhir
from trialscope.terminology.drugs import drug_classes


def _ucum_units() -> dict[str, str | None]:
    return {row.ucum: row.label for row in load_rows(UcumUnitRow)}


def _loinc_labs(
    rows: tuple[LoincLabRow, ...], units: Mapping[str, str | None]
) -> dict[str, tuple[str, str]]:
    """LOINC code -> (variable, unit); each variable in the catalogue, each unit known."""
    for row in rows:
        if row.variable not in BY_ID:
            raise row.error("variable", f"{row.variable!r} is not in criteria_variables.yaml")
        if row.unit not in units:
            raise row.error("unit", f"{row.unit!r} is not in ucum_units.tsv")
    return {row.loinc: (row.variable, row.unit) for row in rows}


#: UCUM code -> the criteria unit label (None: a unitless score or ratio)
UCUM_UNITS: dict[str, str | None] = _ucum_units()
#: LOINC code -> (catalogue variable id, the UCUM unit it is usually reported in)
LOINC_LABS: dict[str, tuple[str, str]] = _loinc_labs(load_rows(LoincLabRow), UCUM_UNITS)

# value[x] types that are not a number: a lab given this way is skipped, not an error
_OTHER_VALUES = ("CodeableConcept", "Boolean", "Range", "Ratio", "SampledData", "Time",
                 "DateTime", "Period", "String")  # fmt: skip
_NUMBER = re.compile(r"\s*([<>]=?|≤|≥)?\s*(\d+(?:\.\d+)?)\s*(.*)")
_ECOG, _KARNOFSKY, _LANSKY = "89247-1", "89243-0", "89262-0"
_PREGNANCY, _SMOKING, _BP_PANEL = "82810-3", "72166-2", "85354-9"


def _fhir_codes() -> dict[str, dict[str, str]]:
    """kind -> code -> meaning, from ``data/fhir_codes.tsv``."""
    out: dict[str, dict[str, str]] = {}
    for row in load_rows(FhirCodeRow):
        out.setdefault(row.kind, {})[row.code] = row.means
    return out


_CODES = _fhir_codes()
# ECOG answer list (LL529-9): LA code -> grade
_ECOG_ANSWERS = {code: int(grade) for code, grade in _CODES.get("ecog_answer", {}).items()}
_YES = {code for code, means in _CODES.get("answer", {}).items() if means == "yes"}
_NO = {code for code, means in _CODES.get("answer", {}).items() if means == "no"}
# tobacco smoking status answers (SNOMED) -> condition status
_SMOKER: dict[str, ConditionStatus] = {
    code: cast(ConditionStatus, status) for code, status in _CODES.get("smoking_status", {}).items()
}
# coding system URI -> the prefix of the patient's codes
_CODE_SYSTEMS = _CODES.get("code_system", {})
_READ = {"Patient", "Condition", "Observation", "MedicationStatement", "MedicationRequest"}
_READ |= {"Procedure", "Medication", "Encounter", "Immunization"}
_METASTASIS = re.compile(r"metasta|secondary\s+malignant|secondary\s+neoplasm", re.IGNORECASE)
_SITES = (
    ("liver", r"liver|hepat"), ("lung", r"lung|pulmon"), ("bone", r"bone|osseous|skelet"),
    ("brain", r"brain|cerebr|intracran"), ("peritoneum", r"periton"),
    ("lymph_node", r"lymph"), ("adrenal", r"adrenal"), ("pleura", r"pleura"),
)  # fmt: skip
_CANCER = re.compile(
    r"carcinoma|cancer|malignan|neoplasm|tumou?r|sarcoma|lymphoma|melanoma|leuk", re.IGNORECASE
)
_SURGERY = re.compile(
    r"ectomy|resection|excision|surg|operation|ostomy|otomy|amputation|transplant", re.IGNORECASE
)


@dataclass
class FhirPatient:
    """The patient read from a bundle and notes on what was skipped."""

    patient: Patient
    warnings: list[str] = field(default_factory=list)


def patient_from_fhir(
    bundle: dict[str, Any] | str | bytes, *, as_of: dt.date | None = None
) -> Patient:
    """The patient in a FHIR R4 Bundle (a parsed dict or JSON text); skipped resources
    and codes are listed by :func:`read_fhir`."""
    return read_fhir(bundle, as_of=as_of).patient


def read_fhir(bundle: dict[str, Any] | str | bytes, *, as_of: dt.date | None = None) -> FhirPatient:
    data = _as_dict(bundle)
    entries = data.get("entry") or []
    if not isinstance(entries, list):
        raise PatientError("entry", "a Bundle's entry must be a list of entries")
    reader = _Reader(as_of)
    resources: list[tuple[str, Any]] = []
    for index, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            raise PatientError(f"entry[{index}].resource", "missing or not a FHIR resource")
        kind = resource.get("resourceType")
        if not isinstance(kind, str):
            raise PatientError(f"entry[{index}].resource.resourceType", "missing")
        where = f"entry[{index}] {kind}/{resource.get('id', '?')}"
        if kind not in _READ:
            reader.skip(kind, where, f"{kind} resources are not read")
            continue
        model = _validate(kind, resource, where)
        if kind == "Medication":
            reader.medications[f"Medication/{resource.get('id')}"] = model
            if isinstance(entry.get("fullUrl"), str):
                reader.medications[entry["fullUrl"]] = model
        else:
            resources.append((where, model))
    for where, model in resources:
        reader.read(where, model)
    patient = reader.finish()
    return FhirPatient(patient, reader.warnings)


def _as_dict(bundle: dict[str, Any] | str | bytes) -> dict[str, Any]:
    if isinstance(bundle, str | bytes):
        try:
            bundle = orjson.loads(bundle)
        except orjson.JSONDecodeError as exc:
            raise PatientError(
                "bundle", f"not valid JSON ({exc})", hint="A FHIR Bundle is one JSON object."
            ) from exc
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        found = bundle.get("resourceType") if isinstance(bundle, dict) else type(bundle).__name__
        raise PatientError(
            "resourceType",
            f"expected a FHIR Bundle, found {found!r}",
            hint='Give a JSON object with "resourceType": "Bundle" and the resources in "entry".',
        )
    return bundle


def _validate(kind: str, resource: dict[str, Any], where: str) -> Any:
    from fhir.resources.R4B import get_fhir_model_class

    try:
        return get_fhir_model_class(kind).model_validate(resource)
    except ValidationError as exc:
        first = exc.errors()[0]
        path = "".join(
            f"[{part}]" if isinstance(part, int) else f".{part}" for part in first["loc"]
        ).lstrip(".")
        problem = str(first["msg"]).removeprefix("Value error, ")
        raise PatientError(
            f"{where} {path}".strip(),
            problem,
            hint=f"The {kind} resource does not follow FHIR R4 (checked with fhir.resources).",
        ) from exc


class _Reader:
    """Collects the facts of one bundle."""

    def __init__(self, as_of: dt.date | None) -> None:
        self.patient = Patient(as_of=as_of)
        self.warnings: list[str] = []
        self.medications: dict[str, Any] = {}
        self._seen_patient = False
        self._status_dates: dict[str, dt.date] = {}
        # what was skipped, counted by kind, so a 5,000-resource bundle gives a few lines
        self._skipped: dict[str, tuple[str, str, int]] = {}

    def skip(self, key: str, where: str, why: str) -> None:
        first, reason, count = self._skipped.get(key, (where, why, 0))
        self._skipped[key] = (first, reason, count + 1)

    def read(self, where: str, res: Any) -> None:
        kind = res.get_resource_type()
        if kind == "Patient":
            self._patient(where, res)
        elif kind == "Condition":
            self._condition(where, res)
        elif kind == "Observation":
            self._observation(where, res)
        elif kind in ("MedicationStatement", "MedicationRequest"):
            self._medication(where, res)
        elif kind == "Procedure":
            self._procedure(where, res)
        elif kind == "Encounter":
            self._encounter(where, res)
        elif kind == "Immunization" and (given := vaccination_from_fhir(where, res)):
            self.patient.vaccinations.append(given)

    def finish(self) -> Patient:
        # a metastasis recorded as its own Condition also belongs to the one primary cancer
        sites = [s for c in self.patient.conditions if _METASTASIS.search(c.name)
                 for s in c.metastasis_sites]  # fmt: skip
        primaries = [c for c in self.patient.conditions
                     if c.status == "active" and _CANCER.search(c.name)
                     and not _METASTASIS.search(c.name)]  # fmt: skip
        if len(primaries) == 1:
            for site in sites:
                if site not in primaries[0].metastasis_sites:
                    primaries[0].metastasis_sites.append(site)
        for first, why, count in self._skipped.values():
            self.warnings.append(
                f"{first}: {why}" if count == 1 else f"{why} ({count}×, first {first})"
            )
        return self.patient

    # -- resources
    def _patient(self, where: str, res: Any) -> None:
        if self._seen_patient:
            self.warnings.append(f"{where}: a second Patient resource; only the first is read")
            return
        self._seen_patient = True
        p = self.patient
        p.id = res.id
        source = _prov(where, res, None)
        if res.birthDate is not None:
            p.birth_date = _date(res.birthDate)
            p.provenance["birth_date"] = source
        if res.gender in ("female", "male"):
            p.sex = res.gender
            p.provenance["sex"] = source

    def _condition(self, where: str, res: Any) -> None:
        verification = _code_of(res.verificationStatus)
        if verification == "entered-in-error":
            return
        clinical = _code_of(res.clinicalStatus)
        status: ConditionStatus
        if verification == "refuted":
            status = "absent"
        elif clinical in ("inactive", "remission", "resolved") or (
            clinical is None and (res.abatementDateTime or res.abatementPeriod)
        ):
            status = "history"
        else:
            status = "active"
        name = _text(res.code)
        if name is None:
            raise PatientError(f"{where} code", "a Condition needs a code or code.text")
        onset = res.onsetDateTime or (res.onsetPeriod.start if res.onsetPeriod else None)
        abated = res.abatementDateTime or (
            res.abatementPeriod.start if res.abatementPeriod else None
        )
        sites: list[str] = []
        if _METASTASIS.search(name):
            for text in [_text(site) for site in res.bodySite or []] or [name]:
                sites.extend(_site(text or ""))
        stage = next((_text(s.summary) for s in res.stage or [] if s.summary), None)
        self.patient.conditions.append(
            Condition(
                name=name,
                codes=_codes(res.code),
                status=status,
                onset=_date(onset),
                resolved=_date(abated),
                stage=stage,
                metastasis_sites=sites,
                source=_prov(where, res, name),
            )
        )

    def _observation(self, where: str, res: Any) -> None:
        if res.status in ("entered-in-error", "cancelled"):
            return
        loincs = [c.code for c in res.code.coding or [] if c.system == "http://loinc.org"]
        label = _text(res.code) or "observation"
        date = _date(
            res.effectiveDateTime or (res.effectivePeriod.start if res.effectivePeriod else None)
        )
        source = _prov(where, res, label)
        if _ECOG in loincs or _KARNOFSKY in loincs or _LANSKY in loincs:
            scale = "ecog" if _ECOG in loincs else "karnofsky" if _KARNOFSKY in loincs else "lansky"
            score = _score(res, where)
            check_performance(scale, score, f"{where} value[x]")
            self.patient.performance.append(
                Performance(scale=scale, value=score, date=date, source=source)
            )
        elif _PREGNANCY in loincs or re.search(r"breast.?feed|lactat", label, re.IGNORECASE):
            answer = _yes_no(res)
            if answer is None:
                self.warnings.append(f"{where}: {label!r} answer not understood; skipped")
                return
            which = "pregnant" if _PREGNANCY in loincs else "breastfeeding"
            # the latest answer wins, whatever the order of the bundle
            if self._status_dates.get(which, dt.date.min) <= (date or dt.date.min):
                self._status_dates[which] = date or dt.date.min
                setattr(self.patient, which, answer)
                self.patient.provenance[which] = source
        elif _SMOKING in loincs:
            answer = res.valueCodeableConcept
            answers = [c.code for c in answer.coding or []] if answer else []
            status = next((_SMOKER[c] for c in answers if c in _SMOKER), None)
            if status is None:
                self.warnings.append(f"{where}: smoking status not understood; skipped")
                return
            self.patient.conditions.append(
                Condition(name="tobacco smoking", status=status, source=source)
            )
        elif _BP_PANEL in loincs or (res.component and res.valueQuantity is None):
            for index, part in enumerate(res.component or []):
                codes = [c.code for c in part.code.coding or [] if c.system == "http://loinc.org"]
                self._lab(f"{where} component[{index}]", codes, part, date, source, res)
        else:
            self._lab(where, loincs, res, date, source, res)

    def _lab(
        self,
        where: str,
        loincs: list[str],
        holder: Any,
        date: dt.date | None,
        source: Provenance,
        res: Any,
    ) -> None:
        known = [code for code in loincs if code in LOINC_LABS]
        if not known:
            shown = ", ".join(loincs) or "no LOINC code"
            self.skip(shown, where, f"{shown} ({source.text}) is not a lab the matcher knows")
            return
        variable = LOINC_LABS[known[0]][0]
        if holder.valueQuantity is not None:
            quantity = holder.valueQuantity
            if quantity.value is None:
                raise PatientError(f"{where} valueQuantity.value", "no value")
            value = float(quantity.value)
            unit = _unit(quantity.code, quantity.unit, f"{where} valueQuantity.unit")
            if quantity.unit is None and quantity.code is None:
                unit = bare_number_unit(variable, value, f"{where} valueQuantity")
            if quantity.comparator:
                self.warnings.append(
                    f"{where}: value {quantity.comparator}{value:g} read as {value:g}"
                )
        elif holder.valueInteger is not None:
            value = float(holder.valueInteger)
            unit = bare_number_unit(variable, value, f"{where} valueInteger")
        elif holder.valueString is not None and (found := _NUMBER.match(holder.valueString)):
            value = float(found.group(2))
            unit = _unit(None, found.group(3).strip() or None, f"{where} valueString")
            if found.group(1):
                self.warnings.append(f"{where}: {holder.valueString!r} read as {value:g}")
        elif holder.dataAbsentReason is not None:
            self.warnings.append(f"{where}: no value ({_text(holder.dataAbsentReason)}); skipped")
            return
        elif any(getattr(holder, f"value{kind}", None) is not None for kind in _OTHER_VALUES):
            self.skip(f"{known[0]} text", where, f"{source.text}: not a number; skipped")
            return
        else:
            raise PatientError(
                f"{where} value[x]",
                f"no numeric value for {source.text}",
                hint="Give valueQuantity with a value and a UCUM unit, or a dataAbsentReason.",
            )
        ranges = (res.referenceRange or []) if holder is res else []
        low = ranges[0].low.value if ranges and ranges[0].low else None
        high = ranges[0].high.value if ranges and ranges[0].high else None
        lab = Lab(
            test=variable,
            value=value,
            unit=unit,
            date=date,
            reference_low=None if low is None else float(low),
            reference_high=None if high is None else float(high),
            loinc=known[0],
            source=source,
        )
        _check_lab(lab, f"{where} valueQuantity")
        self.patient.labs.append(lab)

    def _medication(self, where: str, res: Any) -> None:
        kind = res.get_resource_type()
        status = _THERAPY_STATUS.get(str(res.status))
        if status is None:
            return  # entered in error, cancelled: nothing happened
        concept = res.medicationCodeableConcept
        if concept is None and res.medicationReference is not None:
            ref = res.medicationReference
            medication = self.medications.get(str(ref.reference))
            concept = medication.code if medication is not None else None
            name = _text(concept) if concept is not None else ref.display
        else:
            name = _text(concept)
        if not name:
            raise PatientError(f"{where} medication[x]", "no medication name or code")
        if kind == "MedicationStatement":
            period = res.effectivePeriod
            start = _date(res.effectiveDateTime or (period.start if period else None))
            end = _date(period.end if period else None)
        else:
            start, end = _date(res.authoredOn), None
        names = [name] + [c.display for c in (concept.coding or [])] if concept else [name]
        classes: set[str] = set()
        for each in names:
            if each:
                classes |= drug_classes(each)
        if not classes:
            self.warnings.append(f"{where}: no drug class known for {name!r}")
        self.patient.therapies.append(
            Therapy(
                name=name,
                classes=sorted(classes),
                codes=_codes(concept) if concept else [],
                status=status,
                start=start,
                end=end,
                source=_prov(where, res, name),
            )
        )

    def _procedure(self, where: str, res: Any) -> None:
        if res.status in ("entered-in-error", "not-done"):
            return
        name = _text(res.code)
        if name is None:
            raise PatientError(f"{where} code", "a Procedure needs a code or code.text")
        period = res.performedPeriod
        start = _date(res.performedDateTime or (period.start if period else None))
        end = _date(period.end if period else None)
        codes = _codes(res.code)
        source = _prov(where, res, name)
        self.patient.procedures.append(Procedure(name=name, codes=codes, date=start, source=source))
        classes = set(drug_classes(name)) & {"radiotherapy", "ablation"}
        category = " ".join(filter(None, [_text(res.category)])).lower()
        if "biopsy" not in name.lower() and (_SURGERY.search(name) or "surg" in category):
            classes.add("surgery")
        if re.search(r"radiation|radiotherapy|irradiation|brachytherapy", category):
            classes.add("radiotherapy")
        if classes:
            self.patient.therapies.append(
                Therapy(
                    name=name,
                    classes=sorted(classes),
                    codes=codes,
                    status="active" if res.status == "in-progress" else "completed",
                    start=start,
                    end=end,
                    source=source,
                )
            )

    def _encounter(self, where: str, res: Any) -> None:
        # only an encounter going on now says where the patient is; an admission wins
        # over a clinic visit on the same day
        kind = res.class_fhir.code if res.class_fhir else None
        if res.status not in _NOW or kind not in _CARE_SETTINGS:
            return
        setting: CareSetting = _CARE_SETTINGS[kind]
        places = " ".join(filter(None, (loc.location.display for loc in res.location or [])))
        if setting == "inpatient" and _ICU.search(places):
            setting = "intensive_care"
        rank = ("outpatient", "inpatient", "intensive_care")
        known = self.patient.care_setting
        if known is None or rank.index(setting) > rank.index(known):
            self.patient.care_setting = setting
            self.patient.provenance["care_setting"] = _prov(where, res, places or kind)


#: Encounter.status values of an encounter going on now ("onleave": still admitted)
_NOW = frozenset({"arrived", "triaged", "in-progress", "onleave"})
#: Encounter.class (v3 ActCode) -> where the patient is cared for
_CARE_SETTINGS: dict[str, CareSetting] = {
    "IMP": "inpatient", "ACUTE": "inpatient", "NONAC": "inpatient", "SS": "inpatient",
    "AMB": "outpatient", "VR": "outpatient", "HH": "outpatient",
}  # fmt: skip
_ICU = re.compile(r"\b(?:[MSPNC]?ICU|CCU|intensive\s+care|critical\s+care)\b", re.I)

_THERAPY_STATUS: dict[str, TherapyStatus] = {
    "active": "active", "on-hold": "active", "intended": "planned", "draft": "planned",
    "completed": "completed", "stopped": "completed", "unknown": "completed",
    "not-taken": "absent",
}  # fmt: skip


def _unit(code: str | None, unit: str | None, where: str) -> str | None:
    """A quantity's unit as a criteria unit label; PatientError if unrecognisable."""
    for spelling in (code, unit):
        if spelling is None:
            continue
        if spelling in UCUM_UNITS:
            return UCUM_UNITS[spelling]
        # a human-readable unit ("x10^9/L"); UCUM's 10*3 is not the criteria parser's 10x3
        label = unit_label(spelling.replace("10*", "10^"))
        if label is not None:
            return label
    shown = unit or code
    if shown is None:
        return None
    raise PatientError(
        where,
        f"unknown unit {shown!r}",
        hint="Use a UCUM unit such as 10*3/uL, g/dL, mg/dL, umol/L, U/L or %.",
    )


def _score(res: Any, where: str) -> float:
    if res.valueInteger is not None:
        return float(res.valueInteger)
    if res.valueQuantity is not None and res.valueQuantity.value is not None:
        return float(res.valueQuantity.value)
    concept = res.valueCodeableConcept
    if concept is not None:
        for coding in concept.coding or []:
            if coding.code in _ECOG_ANSWERS:
                return float(_ECOG_ANSWERS[coding.code])
        for text in [concept.text] + [c.display for c in concept.coding or []]:
            found = re.match(r"\s*(?:grade\s*|ecog\s*|kps\s*)?(\d{1,3})\b", text or "", re.I)
            if found:
                return float(found.group(1))
    if res.valueString:
        found = re.search(r"\d{1,3}", res.valueString)
        if found:
            return float(found.group())
    raise PatientError(
        f"{where} value[x]",
        "no performance score",
        hint="Give valueInteger (ECOG 0-5, Karnofsky 0-100) or an LA answer code.",
    )


def _yes_no(res: Any) -> bool | None:
    if res.valueBoolean is not None:
        return bool(res.valueBoolean)
    concept = res.valueCodeableConcept
    if concept is None:
        return None
    keys = {c.code for c in concept.coding or []} | {
        str(t).strip().lower() for t in [concept.text] + [c.display for c in concept.coding or []]
        if t
    }  # fmt: skip
    if keys & _NO:
        return False
    if keys & _YES:
        return True
    return None


def _codes(concept: Any) -> list[str]:
    out = []
    for coding in concept.coding or []:
        prefix = _CODE_SYSTEMS.get(str(coding.system))
        if prefix and coding.code:
            out.append(f"{prefix}:{coding.code}")
    return out


def _site(text: str) -> list[str]:
    return [site for site, pattern in _SITES if re.search(pattern, text, re.IGNORECASE)]


__all__ = ["LOINC_LABS", "UCUM_UNITS", "FhirPatient", "patient_from_fhir", "read_fhir"]
