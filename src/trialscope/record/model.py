"""The one typed record model: a ClinicalTrials.gov API v2 ``Study``.

``Study`` mirrors the JSON object CT.gov returns for one study (the modules
live in :mod:`trialscope.record.modules`).  The results, annotation and
document sections are kept as plain dicts: nothing here reads them and typing
them would only slow the importer down.

Round trip: ``Study.from_json(raw).to_json_dict() == raw`` for real records,
because unknown keys are kept, absent keys stay absent (``exclude_unset``),
every value CT.gov sends keeps its JSON type (geo points keep 31 vs 31.0) and
fields are declared in CT.gov's key order.  Lax pydantic coercions only touch
input CT.gov never sends (e.g. "true" for a boolean).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from trialscope.errors import RecordError
from trialscope.record.modules import (
    ArmsInterventionsModule,
    BrowseModule,
    ConditionsModule,
    ContactsLocationsModule,
    CtgModel,
    DateStruct,
    DescriptionModule,
    DesignModule,
    EligibilityModule,
    IdentificationModule,
    Intervention,
    IpdSharingStatementModule,
    Location,
    MiscInfoModule,
    OutcomesModule,
    OversightModule,
    PhaseValue,
    ReferencesModule,
    SponsorCollaboratorsModule,
    StatusModule,
    StatusValue,
    StudyTypeValue,
)

__all__ = ["DerivedSection", "ProtocolSection", "Study"]


class ProtocolSection(CtgModel):
    identification_module: IdentificationModule | None = None
    status_module: StatusModule | None = None
    sponsor_collaborators_module: SponsorCollaboratorsModule | None = None
    oversight_module: OversightModule | None = None
    description_module: DescriptionModule | None = None
    conditions_module: ConditionsModule | None = None
    design_module: DesignModule | None = None
    arms_interventions_module: ArmsInterventionsModule | None = None
    outcomes_module: OutcomesModule | None = None
    eligibility_module: EligibilityModule | None = None
    contacts_locations_module: ContactsLocationsModule | None = None
    references_module: ReferencesModule | None = None
    ipd_sharing_statement_module: IpdSharingStatementModule | None = None


class DerivedSection(CtgModel):
    misc_info_module: MiscInfoModule | None = None
    condition_browse_module: BrowseModule | None = None
    intervention_browse_module: BrowseModule | None = None


def _date(struct: DateStruct | None) -> str | None:
    return struct.date if struct is not None else None


class Study(CtgModel):
    """One CT.gov study record (API v2 JSON), possibly partial.

    The properties below are shortcuts the renderers and the store use; they
    return ``None`` (or an empty list) when the part of the record is absent.
    """

    protocol_section: ProtocolSection | None = None
    results_section: dict[str, Any] | None = None
    # fields in the order CT.gov writes them, so `to_json()` keeps its key order
    document_section: dict[str, Any] | None = None
    annotation_section: dict[str, Any] | None = None
    derived_section: DerivedSection | None = None
    #: as sent by CT.gov; ``None`` when the response did not include it
    has_results: bool | None = None

    # --- (de)serialisation ------------------------------------------------

    @classmethod
    def from_json(cls, data: bytes | bytearray | str | Mapping[str, Any]) -> Study:
        """Validate one study from JSON text/bytes or an already-parsed mapping.

        Raises :class:`~trialscope.errors.RecordError` when the input is not
        JSON or does not have the v2 study shape.
        """
        try:
            if isinstance(data, bytes | bytearray | str):
                return cls.model_validate_json(data)
            return cls.model_validate(data if isinstance(data, dict) else dict(data))
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in first["loc"]) or "record"
            raise RecordError(
                f"Not a valid CT.gov v2 study ({exc.error_count()} problem(s)); "
                f"{where}: {first['msg']}"
            ) from exc

    def to_json_dict(self) -> dict[str, Any]:
        """The record as CT.gov JSON (camelCase keys, only the keys it came with)."""
        return self.model_dump(by_alias=True, exclude_unset=True, mode="json")

    def to_json(self) -> bytes:
        """Compact JSON of :meth:`to_json_dict` as bytes, without a str round trip."""
        return self.__pydantic_serializer__.to_json(self, by_alias=True, exclude_unset=True)

    # --- module shortcuts -------------------------------------------------

    @property
    def _identification(self) -> IdentificationModule | None:
        ps = self.protocol_section
        return ps.identification_module if ps is not None else None

    @property
    def _status(self) -> StatusModule | None:
        ps = self.protocol_section
        return ps.status_module if ps is not None else None

    @property
    def _design(self) -> DesignModule | None:
        ps = self.protocol_section
        return ps.design_module if ps is not None else None

    @property
    def _eligibility(self) -> EligibilityModule | None:
        ps = self.protocol_section
        return ps.eligibility_module if ps is not None else None

    @property
    def _sponsors(self) -> SponsorCollaboratorsModule | None:
        ps = self.protocol_section
        return ps.sponsor_collaborators_module if ps is not None else None

    @property
    def _conditions(self) -> ConditionsModule | None:
        ps = self.protocol_section
        return ps.conditions_module if ps is not None else None

    # --- identification ---------------------------------------------------

    @property
    def nct_id(self) -> str | None:
        m = self._identification
        return m.nct_id if m is not None else None

    @property
    def brief_title(self) -> str | None:
        m = self._identification
        return m.brief_title if m is not None else None

    @property
    def official_title(self) -> str | None:
        m = self._identification
        return m.official_title if m is not None else None

    @property
    def acronym(self) -> str | None:
        m = self._identification
        return m.acronym if m is not None else None

    # --- status and dates -------------------------------------------------

    @property
    def overall_status(self) -> StatusValue | None:
        m = self._status
        return m.overall_status if m is not None else None

    @property
    def start_date(self) -> str | None:
        m = self._status
        return _date(m.start_date_struct) if m is not None else None

    @property
    def primary_completion_date(self) -> str | None:
        m = self._status
        return _date(m.primary_completion_date_struct) if m is not None else None

    @property
    def completion_date(self) -> str | None:
        m = self._status
        return _date(m.completion_date_struct) if m is not None else None

    @property
    def last_update_post_date(self) -> str | None:
        m = self._status
        return _date(m.last_update_post_date_struct) if m is not None else None

    # --- design -----------------------------------------------------------

    @property
    def study_type(self) -> StudyTypeValue | None:
        m = self._design
        return m.study_type if m is not None else None

    @property
    def phases(self) -> list[PhaseValue]:
        m = self._design
        return list(m.phases or ()) if m is not None else []

    @property
    def phase_label(self) -> str | None:
        """API phase codes joined by ", " (``"PHASE2, PHASE3"``), as the seed
        pages print them; ``None`` when the study has no phase."""
        return ", ".join(self.phases) or None

    @property
    def enrollment_count(self) -> int | None:
        m = self._design
        info = m.enrollment_info if m is not None else None
        return info.count if info is not None else None

    # --- sponsors ---------------------------------------------------------

    @property
    def lead_sponsor(self) -> str | None:
        """Name of the lead sponsor."""
        m = self._sponsors
        lead = m.lead_sponsor if m is not None else None
        return lead.name if lead is not None else None

    @property
    def collaborators(self) -> list[str]:
        """Names of the collaborators, in record order."""
        m = self._sponsors
        if m is None or not m.collaborators:
            return []
        return [c.name for c in m.collaborators if c.name]

    # --- conditions, interventions ----------------------------------------

    @property
    def conditions(self) -> list[str]:
        m = self._conditions
        return list(m.conditions or ()) if m is not None else []

    @property
    def keywords(self) -> list[str]:
        m = self._conditions
        return list(m.keywords or ()) if m is not None else []

    @property
    def interventions(self) -> list[Intervention]:
        ps = self.protocol_section
        m = ps.arms_interventions_module if ps is not None else None
        return list(m.interventions or ()) if m is not None else []

    # --- eligibility ------------------------------------------------------

    @property
    def min_age(self) -> str | None:
        """Minimum age as CT.gov writes it ("18 Years"); parse with
        :func:`trialscope.record.ages.parse_age`."""
        m = self._eligibility
        return m.minimum_age if m is not None else None

    @property
    def max_age(self) -> str | None:
        m = self._eligibility
        return m.maximum_age if m is not None else None

    # --- locations --------------------------------------------------------

    @property
    def locations(self) -> list[Location]:
        ps = self.protocol_section
        m = ps.contacts_locations_module if ps is not None else None
        return list(m.locations or ()) if m is not None else []

    @property
    def countries(self) -> list[str]:
        """Countries of the locations, each once, in order of first appearance."""
        return list(dict.fromkeys(loc.country for loc in self.locations if loc.country))

    # --- completeness -----------------------------------------------------

    @property
    def is_partial(self) -> bool:
        """True when a core module is missing, as in field-restricted API
        responses (``fields=...``); such records must not overwrite full ones."""
        ps = self.protocol_section
        return ps is None or (
            ps.status_module is None
            or ps.design_module is None
            or ps.eligibility_module is None
            or ps.description_module is None
        )
