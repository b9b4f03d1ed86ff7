"""The patient the matcher judges: one typed model whatever the way in.

A YAML/JSON file, a FHIR R4 Bundle and a free-text note all become a :class:`Patient`.
Every fact carries a :class:`Provenance` (which field, resource or sentence it came
from) so a verdict can show its evidence. Lab values are normalised to the criteria
catalogue's canonical units on the way in; an unknown unit or an impossible value is a
:class:`~trialscope.errors.PatientError` naming the field, never a silent guess.

Nothing here is written anywhere: a Patient lives in memory unless the caller saves it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from trialscope.criteria import VARIABLES
from trialscope.criteria.units import to_canonical, unit_label
from trialscope.errors import PatientError

Sex = Literal["female", "male"]
ConditionStatus = Literal["active", "history", "absent"]
TherapyStatus = Literal["active", "completed", "planned", "absent"]
#: how a diagnosis was confirmed (``confirmed``: the test not said)
Confirmation = Literal["pcr", "antigen", "serology", "confirmed"]
#: where the patient is cared for now: not admitted, admitted, admitted to intensive care
CareSetting = Literal["outpatient", "inpatient", "intensive_care"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, populate_by_name=True)


class Provenance(_Model):
    """Where a fact came from: ``kind`` the way in, ``ref`` the field path, FHIR resource
    (``Observation/abc``) or note sentence (``sentence 3``), ``text`` the words quoted."""

    kind: Literal["structured", "fhir", "note", "answer"] = "structured"
    ref: str = ""
    text: str | None = None
    span: tuple[int, int] | None = None

    def describe(self) -> str:
        where = f"{self.kind} {self.ref}".strip()
        return f'{where}: "{self.text}"' if self.text else where


class Condition(_Model):
    """A diagnosis or finding. ``status`` ``absent`` records an explicit negative
    ("denies diabetes"), which is evidence too."""

    name: str
    codes: list[str] = Field(default_factory=list)
    status: ConditionStatus = "active"
    onset: dt.date | None = None
    resolved: dt.date | None = None
    stage: str | None = None
    metastasis_sites: list[str] = Field(default_factory=list)
    lesion_count: int | None = Field(default=None, ge=0)
    resection: Literal["R0", "R1", "R2", "unresectable", "resectable"] | None = None
    margin_mm: float | None = Field(default=None, ge=0)
    #: how the diagnosis was confirmed: ``pcr``, ``antigen``, ``serology``, ``confirmed``
    #: (the test not said); [] never confirmed (suspected); None not said
    confirmed_by: list[Confirmation] | None = None
    source: Provenance = Field(default_factory=Provenance)


class Lab(_Model):
    """A measurement. ``test`` is a catalogue variable id (``platelets``, ``alt``) or a
    name the catalogue knows; ``value`` in ``unit`` as reported. ``reference_high`` /
    ``reference_low`` (same unit) let a ×ULN / ×LLN criterion be computed."""

    test: str
    value: float
    unit: str | None = None
    date: dt.date | None = None
    reference_low: float | None = None
    reference_high: float | None = None
    loinc: str | None = None
    source: Provenance = Field(default_factory=Provenance)

    @property
    def variable(self) -> str:
        return self.test

    def canonical(self) -> tuple[float, str | None]:
        """The value in the catalogue's canonical unit for this test."""
        variable = VARIABLES[self.test]
        label = unit_label(self.unit.replace("µ", "u").replace("μ", "u")) if self.unit else None
        if self.unit and label is None:
            label = self.unit
        return to_canonical(self.value, label, variable)

    def times_limit(self, which: Literal["x ULN", "x LLN"]) -> float | None:
        """The value as a multiple of the upper/lower reference limit, if known."""
        limit = self.reference_high if which == "x ULN" else self.reference_low
        if limit is None or limit <= 0:
            return None
        return self.value / limit


class Performance(_Model):
    scale: Literal["ecog", "karnofsky", "lansky", "who_ps"]
    value: float
    date: dt.date | None = None
    source: Provenance = Field(default_factory=Provenance)


_Dated = TypeVar("_Dated", Lab, Performance)


class Therapy(_Model):
    """A medication, a line of treatment, radiotherapy or surgery.

    ``kind`` groups it the way criteria speak ("prior chemotherapy", "any systemic
    therapy"): a drug name plus its class (``chemotherapy``, ``immunotherapy``, ...)."""

    name: str
    classes: list[str] = Field(default_factory=list)
    codes: list[str] = Field(default_factory=list)
    status: TherapyStatus = "completed"
    start: dt.date | None = None
    end: dt.date | None = None
    line: int | None = Field(default=None, ge=1)
    #: given for early disease ((neo)adjuvant) or for advanced / metastatic disease
    setting: Literal["early", "advanced"] | None = None
    source: Provenance = Field(default_factory=Provenance)


class Procedure(_Model):
    name: str
    codes: list[str] = Field(default_factory=list)
    date: dt.date | None = None
    source: Provenance = Field(default_factory=Provenance)


class Vaccination(_Model):
    """A vaccine received, or said never received (``doses`` 0). ``against``: the
    disease it prevents, as the criteria reader names it (``covid19``, ``MESH:D007251``);
    None when the record does not say ("Vaccination status: unvaccinated")."""

    against: str | None = None
    name: str = ""
    doses: int | None = Field(default=None, ge=0)
    date: dt.date | None = None
    source: Provenance = Field(default_factory=Provenance)


class Biomarker(_Model):
    """``name`` like ``EGFR``, ``HER2``, ``PD-L1``; ``result`` ``positive`` /
    ``negative`` / ``mutated`` / a value with ``unit``."""

    name: str
    result: str
    value: float | None = None
    unit: str | None = None
    source: Provenance = Field(default_factory=Provenance)


class Location(_Model):
    place: str | None = None
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    radius_km: float | None = Field(default=None, gt=0)


class Patient(_Model):
    """Everything known about one patient. Unknown stays ``None`` / empty: the matcher
    answers UNKNOWN (and asks) rather than assume.

    ``complete_history``: the conditions and therapies listed are all the patient has
    (a full medical history, the way a clinical note is read by a screener), so a
    condition that is not listed counts as absent for exclusion criteria. Off, only
    explicit negatives count.
    """

    id: str | None = None
    age: float | None = Field(default=None, ge=0, le=130)
    birth_date: dt.date | None = None
    as_of: dt.date | None = None
    sex: Sex | None = None
    pregnant: bool | None = None
    breastfeeding: bool | None = None
    healthy_volunteer: bool | None = None
    #: where the patient is cared for now (None: not known)
    care_setting: CareSetting | None = None
    #: on invasive mechanical ventilation (intubated) now (None: not known)
    mechanically_ventilated: bool | None = None
    #: will give informed consent and follow the study's visits (None: not asked yet)
    will_consent: bool | None = None
    conditions: list[Condition] = Field(default_factory=list)
    labs: list[Lab] = Field(default_factory=list)
    performance: list[Performance] = Field(default_factory=list)
    therapies: list[Therapy] = Field(default_factory=list)
    procedures: list[Procedure] = Field(default_factory=list)
    biomarkers: list[Biomarker] = Field(default_factory=list)
    vaccinations: list[Vaccination] = Field(default_factory=list)
    location: Location | None = None
    complete_history: bool = False
    #: answers to criteria nothing else settles, by question key (``criterion:...``)
    answers: dict[str, bool] = Field(default_factory=dict)
    #: the free text the facts were read from, if any (kept for evidence, never stored)
    note: str | None = None
    #: where age / sex / pregnancy came from (field name -> provenance)
    provenance: dict[str, Provenance] = Field(default_factory=dict)

    @field_validator("sex", mode="before")
    @classmethod
    def _sex(cls, value: Any) -> Any:
        if isinstance(value, str):
            folded = value.strip().lower()
            return {"f": "female", "woman": "female", "m": "male", "man": "male"}.get(
                folded, folded
            )
        return value

    @field_validator("labs")
    @classmethod
    def _labs(cls, labs: list[Lab]) -> list[Lab]:
        for index, lab in enumerate(labs):
            _check_lab(lab, f"labs[{index}]")
        return labs

    def age_years(self) -> float | None:
        if self.age is not None:
            return self.age
        if self.birth_date is None:
            return None
        today = self.as_of or dt.date.today()
        years = today.year - self.birth_date.year
        if (today.month, today.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return float(years)

    def lab(self, variable: str) -> Lab | None:
        """The reading of one test that counts: see :func:`latest`."""
        return latest([lab for lab in self.labs if lab.test == variable])

    def performance_score(self, scale: str) -> Performance | None:
        return latest([p for p in self.performance if p.scale == scale])

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Patient:
        """Validate a plain mapping (a parsed YAML/JSON file, a web form)."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise _patient_error(exc) from exc


def latest(readings: list[_Dated]) -> _Dated | None:
    """The latest reading; undated ones count as older than any dated one, and among
    readings of one date (or none) the one listed last wins. Later in the list is later
    in the telling: a note's later sentence, and in a merge the structured fields after
    the note's and the questionnaire's answers after both (so structured fields win)."""
    best: _Dated | None = None
    for reading in readings:
        if best is None or (reading.date or dt.date.min) >= (best.date or dt.date.min):
            best = reading
    return best


def resolve_test(name: str) -> str | None:
    """A lab name as people write it (``Platelet count``, ``ALT``) -> catalogue id."""
    from trialscope.criteria.catalogue import variable_lexicon

    key = name.strip()
    if key in VARIABLES:
        return key
    lexicon = variable_lexicon()
    exact = lexicon.lookup(key) or lexicon.lookup(key.lower().replace("_", " "))
    if exact is not None:
        return exact
    # "Platelet count", "Serum creatinine": one catalogue name inside a longer label
    hits = {hit.value for hit in lexicon.finditer(key)}
    return hits.pop() if len(hits) == 1 else None


def _check_lab(lab: Lab, field: str) -> None:
    test = resolve_test(lab.test)
    if test is None:
        raise PatientError(
            f"{field}.test",
            f"unknown lab test {lab.test!r}",
            hint="Use a test the criteria catalogue knows, e.g. platelets, anc, "
            "hemoglobin, creatinine, alt, ast, total_bilirubin (`trialscope criteria "
            "--text` shows the names).",
        )
    lab.test = test
    variable = VARIABLES[test]
    if lab.unit:
        lab.unit = lab.unit.replace("µ", "u").replace("μ", "u")  # micro sign, Greek mu
        label = unit_label(lab.unit) or lab.unit
        value, unit = to_canonical(lab.value, label, variable)
        if variable.unit is not None and unit != variable.unit:
            raise PatientError(
                f"{field}.unit",
                f"cannot convert {lab.unit!r} to {variable.unit} for {variable.label}",
                hint=f"Give {variable.label} in {variable.unit} or a unit convertible to it.",
            )
    else:
        value = lab.value
    if variable.plausible is not None:
        low, high = variable.plausible
        # criteria plausibility ranges are for thresholds; real readings can lie a bit
        # outside them, so only reject values that are physically impossible
        if value < 0 or value > high * 10:
            raise PatientError(
                f"{field}.value",
                f"{lab.value:g} {lab.unit or ''} is not a possible {variable.label}".strip(),
                hint=f"Expected roughly {low:g}-{high:g} {variable.unit or ''}".strip(),
            )


def _patient_error(exc: ValidationError) -> PatientError:
    first = exc.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or "patient"
    problem = first["msg"]
    if first["type"] == "extra_forbidden":
        problem = "is not a patient field"
        hint = "See the patient file format in the README (`trialscope match --help`)."
    else:
        hint = None
    return PatientError(field, problem, hint=hint)
