"""The row models of the data files: what each column may hold.

One model per file (``data_file``); :func:`trialscope.data.load_rows` checks every row
against it. Checks that span rows or files (a drug's class must exist, a LOINC code's
variable must be in the catalogue) are made where the tables are put together and name
the row's line too.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from trialscope.data import Document, Row, split_list

#: a lower-case identifier (variable ids, drug class ids)
Id = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
#: a short text on one line (labels, names)
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, pattern=r"^[^\t\n]+$")]
#: a phrase in the syntax of ``criteria/lexicon.py`` (``metastas{is|es}``, ``=AC``): one
#: item of a ``;``-separated list, so it cannot hold ``;`` itself
Phrase = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, pattern=r"^[^;\t\n]+$")
]
Phrases = Annotated[tuple[Phrase, ...], BeforeValidator(split_list)]


class VariableRow(Row):
    """A variable a criterion can constrain (``criteria/catalogue.py``)."""

    data_file = "criteria_variables.yaml"
    unique = "id"

    id: Id
    label: Text
    kind: Literal["numeric", "ordinal", "count"]
    #: the canonical unit, a label ``criteria/units.py`` knows; absent for scores and ratios
    unit: Text | None = None
    #: g/mol: drives the analyte-specific mg/dL <-> umol/L conversions
    molar_mass: Annotated[float, Field(gt=0)] | None = None
    #: mEq/L -> mmol/L
    valence: Annotated[int, Field(ge=1)] = 1
    #: (low, high) in canonical units: a reading outside it is dropped
    plausible: tuple[float, float] | None = None
    #: the units a criterion's number written without one may be in ("creatinine < 1.7":
    #: mg/dL or x ULN); the matcher decides only where every plausible reading agrees
    bare_units: Annotated[tuple[Text, ...], BeforeValidator(split_list)] = ()
    #: (lowest, highest) upper reference limit of adult labs, canonical units: reads a
    #: bare number as x ULN when the patient's lab gives no limit of its own
    usual_uln: tuple[float, float] | None = None
    #: the Facebook Clinical-Trial-Parser variables this one covers
    ctp: Annotated[
        tuple[Annotated[str, StringConstraints(pattern=r"^[a-z0-9_/]+$")], ...],
        BeforeValidator(split_list),
    ] = ()
    aliases: Annotated[Phrases, Field(min_length=1)]

    @model_validator(mode="after")
    def _range_in_order(self) -> VariableRow:
        if self.plausible is not None and self.plausible[0] > self.plausible[1]:
            raise ValueError(f"plausible range {self.plausible} is low > high")
        if self.usual_uln is not None and self.usual_uln[0] > self.usual_uln[1]:
            raise ValueError(f"usual_uln range {self.usual_uln} is low > high")
        return self


#: a class id, or ``@name``: the classes of another drug (a regimen's component)
ClassRef = Annotated[str, StringConstraints(pattern=r"^(?:[a-z][a-z0-9_]*|@[^;\t\n@]+)$")]


class DrugRow(Row):
    """A drug or regimen and its therapy classes (``terminology/drugs.py``)."""

    data_file = "drugs.tsv"
    unique = "name"

    name: Phrase
    classes: Annotated[tuple[ClassRef, ...], BeforeValidator(split_list), Field(min_length=1)]
    aliases: Phrases = ()


class DrugClassWordRow(DrugRow):
    """A generic word for a class ("anticoagulants"); same columns as :class:`DrugRow`."""

    data_file = "drug_class_words.tsv"


class DrugClassRow(Row):
    """A therapy class, its label and the broader classes it implies."""

    data_file = "drug_classes.tsv"
    unique = "id"

    id: Id
    label: Text
    implies: Annotated[tuple[Id, ...], BeforeValidator(split_list)] = ()


class LoincLabRow(Row):
    """A LOINC code read as a lab or vital (``match/fhir.py``)."""

    data_file = "loinc_labs.tsv"
    unique = "loinc"

    loinc: Annotated[str, StringConstraints(pattern=r"^[0-9]{1,7}-[0-9]$")]
    #: a variable id of ``criteria_variables.yaml``
    variable: Id
    #: the UCUM unit it is usually reported in (a code of ``ucum_units.tsv``)
    unit: Text


class UcumUnitRow(Row):
    """A UCUM unit code -> the criteria unit label (``match/fhir.py``)."""

    data_file = "ucum_units.tsv"
    unique = "ucum"

    ucum: Text
    #: None (``-``): a unitless score or ratio
    label: Text | None


MeshUI = Annotated[str, StringConstraints(pattern=r"^D[0-9]{6,9}$")]


class MeshConceptRow(Row):
    """A MeSH descriptor and the everyday words for it (``terminology/curated.py``)."""

    data_file = "vocabulary_mesh.tsv"
    unique = "ui"

    ui: MeshUI
    name: Text
    #: the parent used when MeSH itself is absent; None (``-``) for none
    parent: MeshUI | None
    terms: Annotated[Phrases, Field(min_length=1)]


class OwnConceptRow(Row):
    """A concept neither MeSH nor the Disease Ontology has (``terminology/curated.py``)."""

    data_file = "vocabulary_own.tsv"
    unique = "id"

    id: Annotated[str, StringConstraints(pattern=r"^TS:[a-z0-9_]+$")]
    name: Text
    parents: Annotated[
        tuple[
            Annotated[str, StringConstraints(pattern=r"^(?:MESH:D[0-9]{6,9}|TS:[a-z0-9_]+)$")], ...
        ],
        BeforeValidator(split_list),
        Field(min_length=1),
    ]
    terms: Annotated[Phrases, Field(min_length=1)]


FhirCodeKind = Literal["code_system", "ecog_answer", "smoking_status", "answer"]
_MEANINGS: dict[str, tuple[str, ...]] = {
    "ecog_answer": ("0", "1", "2", "3", "4", "5"),
    "smoking_status": ("active", "history", "absent"),
    "answer": ("yes", "no"),
}


class FhirCodeRow(Row):
    """A code the FHIR reader understands beside LOINC labs (``match/fhir.py``)."""

    data_file = "fhir_codes.tsv"
    unique = ("kind", "code")

    kind: FhirCodeKind
    code: Text
    means: Text

    @model_validator(mode="after")
    def _means_fits_kind(self) -> FhirCodeRow:
        allowed = _MEANINGS.get(self.kind)
        if allowed is not None and self.means not in allowed:
            raise ValueError(f"a {self.kind} means one of {', '.join(allowed)}, not {self.means!r}")
        if self.kind == "code_system" and not self.means.isupper():
            raise ValueError(f"a code system's prefix is upper case (SNOMED), not {self.means!r}")
        return self


Share = Annotated[float, Field(ge=0, le=1)]


class _Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ScoreWeights(_Settings):
    """The parts of a trial's score; each part is 0..1 and the weights sum to 1."""

    topical: Share
    eligibility: Share
    relevance: Share
    distance: Share

    @model_validator(mode="after")
    def _sum_to_one(self) -> ScoreWeights:
        total = self.topical + self.eligibility + self.relevance + self.distance
        if abs(total - 1) > 1e-9:
            raise ValueError(f"the weights must sum to 1 (they sum to {total:g})")
        return self


class ScoreSettings(_Settings):
    weights: ScoreWeights
    #: an INELIGIBLE trial's score is multiplied by this (it is not sorted last)
    ineligible_factor: Share
    #: the relevance part when no search ran (an explicit trial list without a query)
    relevance_unknown: Share
    #: the relevance part of a trial the search did not find, when it found others
    relevance_missed: Share
    #: the distance part when there is no place or no site distance
    distance_unknown: Share
    #: the radius (km) of "near" when the patient gives a place but no radius
    default_radius_km: Annotated[float, Field(gt=0)]


class TopicalSettings(_Settings):
    #: a condition of the trial is the patient's or broader
    covers: Share
    #: a condition of the trial is narrower than the patient's
    narrower: Share
    #: only a broad condition of the trial covers the patient's ("Cancer Prevention" for
    #: colon cancer): a class, not the disease the trial is about
    broad: Share
    #: the trial covers only a comorbidity of a patient with cancer (a hypertension trial
    #: for a woman with pancreatic cancer and controlled hypertension)
    comorbidity: Share


class EligibilitySettings(_Settings):
    """``match/trials.py``'s eligibility part: the share of criteria settled in the
    patient's favour, each counted by how it was settled."""

    settled_by_fact: Share
    settled_by_absence: Share
    needs_reading: Share
    no_criteria: Share
    #: POSSIBLY_ELIGIBLE maps the share into floor + span * share (below ELIGIBLE's 1)
    possibly_floor: Share
    possibly_span: Share

    @model_validator(mode="after")
    def _possibly_below_one(self) -> EligibilitySettings:
        if self.possibly_floor + self.possibly_span > 1:
            raise ValueError("possibly_floor + possibly_span must be at most 1")
        return self


class RankingConfig(Document):
    """How ``match_patient`` orders trials, and the cohort the numbers were tuned on."""

    data_file = "ranking.yaml"

    tuned_on: Text
    tuning_record: Text
    score: ScoreSettings
    topical: TopicalSettings
    eligibility: EligibilitySettings


#: every data file's model; the tests check each file against its own
MODELS: tuple[type[Row], ...] = (
    VariableRow,
    DrugRow,
    DrugClassWordRow,
    DrugClassRow,
    LoincLabRow,
    UcumUnitRow,
    FhirCodeRow,
    MeshConceptRow,
    OwnConceptRow,
    RankingConfig,
)
