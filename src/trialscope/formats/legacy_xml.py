"""Map one legacy CT.gov ``<clinical_study>`` XML record onto the API v2 study structure.

The element names follow CT.gov's public.xsd (2013-2023 vintages, including the pre-2017
``firstreceived_date`` / ``lastchanged_date`` / ``study_design`` forms). The mapping table, with
the elements that have no v2 home, is in docs/legacy-xml-mapping.md. The raw XML is stored
verbatim by the store, so anything not mapped here is still kept.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from lxml import etree

from trialscope.errors import RecordError
from trialscope.formats import legacy_values as lv
from trialscope.formats.encoding import NotText, why_not_utf8, wide_codec, wide_to_utf8
from trialscope.formats.legacy_xml_support import (
    _block,
    _compact,
    _contacts_locations,
    _ctext,
    _date,
    _date_struct,
    _El,
    _esc,
    _first,
    _first_of,
    _ftext,
    _Kids,
    _kids,
    _leaves,
    _lt,
    _md,
    _text,
    _texts,
    clean_textblock,
)

__all__ = ["clean_textblock", "legacy_download_date", "legacy_xml_to_v2"]

# --- parsing --------------------------------------------------------------------------------

_local = threading.local()  # lxml parsers must not be shared between threads


def _parser() -> etree.XMLParser:
    parser: etree.XMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        # Hardened: no DTD, no entity expansion, no network, bounded tree size.
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
            # speed only: ignorable whitespace between elements is never read
            remove_blank_text=True,
            collect_ids=False,
        )
        _local.parser = parser
    return parser


_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")


def _to_bytes(xml: bytes | str) -> bytes:
    if isinstance(xml, str):
        # lxml refuses str with an encoding declaration; the text is already decoded anyway.
        text = _XML_DECL.sub("", xml.lstrip("\ufeff"), count=1)
        return _to_bytes(text.lstrip().encode("utf-8"))
    if codec := wide_codec(xml[:4]):
        try:
            xml = wide_to_utf8(xml, codec)
        except NotText as exc:
            raise RecordError(f"not UTF-8 and not readable text: {exc}") from exc
    if xml.startswith(b"\xef\xbb\xbf"):
        xml = xml[3:]
    # results are not mapped (only their presence is), so skip parsing them: they are over a
    # quarter of the corpus' elements
    start = xml.find(b"<clinical_results>")
    if start > 0:
        end = xml.rfind(b"</clinical_results>")
        if end > start:
            xml = b"%s<clinical_results/>%s" % (xml[:start], xml[end + 19 :])
    return xml if xml[:1] == b"<" else xml.lstrip()


def _parse(xml: bytes | str) -> _El:
    if not isinstance(xml, bytes | str):
        raise RecordError(f"legacy XML must be bytes or str, not {type(xml).__name__}")
    data = _to_bytes(xml)
    if not data.startswith(b"<"):
        raise RecordError("not XML: the record does not start with '<'")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        # An XML file that declares no encoding must be UTF-8; say what it looks like instead.
        wrong = None if b"encoding=" in data[:200] else why_not_utf8(data)
        raise RecordError(wrong or f"not well-formed XML: {exc}") from exc
    if root is None:
        raise RecordError("not XML: empty document")
    if root.tag != "clinical_study":
        raise RecordError(
            f"not a legacy CT.gov record: root element is <{root.tag}>, expected <clinical_study>"
        )
    return root


_DOWNLOAD_DATE = re.compile(rb"<download_date>([^<]*)</download_date>")
_DOWNLOAD_TAIL = re.compile(r"([A-Za-z]+\.?\s+\d{1,2},?\s+\d{4})\s*\.?\s*$")


def legacy_download_date(xml: bytes | str) -> str | None:
    """ISO date of ``<download_date>`` ("... processed this data on July 28, 2020" -> 2020-07-28).

    Read with a regular expression, not a parse, because it is used to order many versions.
    """
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    m = _DOWNLOAD_DATE.search(data, 0, 4096) or _DOWNLOAD_DATE.search(data)
    if m is None:
        return None
    tail = _DOWNLOAD_TAIL.search(m.group(1).decode("utf-8", "replace"))
    if tail is None:
        return None
    iso = lv.partial_date(tail.group(1))
    return iso if iso and len(iso) == 10 and iso[4] == "-" else None


# --- modules --------------------------------------------------------------------------------


def _identification(k: _Kids, nct_id: str, id_info: _El) -> dict[str, Any]:
    ik = _kids(id_info)
    org_study_id = _ftext(ik, "org_study_id")
    lead = _first(k, "sponsors")
    lead_el = lead.find("lead_sponsor") if lead is not None else None
    source = _ftext(k, "source")
    org_class = None
    if source and lead_el is not None and _ctext(lead_el, "agency") == source:
        # <source> has no class of its own; it is the lead sponsor's when they are the same body
        org_class = lv.agency_class(lead_el.findtext("agency_class"))
    return _compact(
        {
            "nctId": nct_id,
            "nctIdAliases": _texts(ik.get("nct_alias")),
            "orgStudyIdInfo": {"id": org_study_id} if org_study_id else None,
            "secondaryIdInfos": [{"id": s} for s in _texts(ik.get("secondary_id"))],
            "briefTitle": _ftext(k, "brief_title"),
            "officialTitle": _ftext(k, "official_title"),
            "acronym": _ftext(k, "acronym"),
            "organization": _compact({"fullName": source, "class": org_class}),
        }
    )


def _status(k: _Kids) -> dict[str, Any]:
    last_posted = _date_struct(_first(k, "last_update_posted"))
    lastchanged = _first(k, "lastchanged_date")
    if last_posted is None:
        # Pre-2017 records only have the "last changed" date: the nearest to a posting date,
        # marked ESTIMATED as CT.gov itself marks posting dates it reconstructed.
        last_posted = _date_struct(lastchanged, "ESTIMATED")
    has_ea = lv.yes_no(_ftext(k, "has_expanded_access"))
    return _compact(
        {
            "statusVerifiedDate": _date(_first(k, "verification_date")),
            "overallStatus": lv.status(_ftext(k, "overall_status")),
            "lastKnownStatus": lv.status(_ftext(k, "last_known_status")),
            "whyStopped": _ftext(k, "why_stopped"),
            "expandedAccessInfo": {"hasExpandedAccess": has_ea} if has_ea is not None else None,
            "startDateStruct": _date_struct(_first(k, "start_date")),
            "primaryCompletionDateStruct": _date_struct(_first(k, "primary_completion_date")),
            "completionDateStruct": _date_struct(_first(k, "completion_date")),
            "studyFirstSubmitDate": _date(
                _first_of(k, "study_first_submitted", "firstreceived_date")
            ),
            "studyFirstSubmitQcDate": _date(_first(k, "study_first_submitted_qc")),
            "studyFirstPostDateStruct": _date_struct(_first(k, "study_first_posted")),
            "resultsFirstSubmitDate": _date(
                _first_of(k, "results_first_submitted", "firstreceived_results_date")
            ),
            "resultsFirstSubmitQcDate": _date(_first(k, "results_first_submitted_qc")),
            "resultsFirstPostDateStruct": _date_struct(_first(k, "results_first_posted")),
            "dispFirstSubmitDate": _date(
                _first_of(
                    k, "disposition_first_submitted", "firstreceived_results_disposition_date"
                )
            ),
            "dispFirstSubmitQcDate": _date(_first(k, "disposition_first_submitted_qc")),
            "dispFirstPostDateStruct": _date_struct(_first(k, "disposition_first_posted")),
            "lastUpdateSubmitDate": _date(
                _first_of(k, "last_update_submitted", "lastchanged_date")
            ),
            "lastUpdatePostDateStruct": last_posted,
        }
    )


def _agency(el: _El) -> dict[str, Any]:
    return _compact(
        {"name": _ctext(el, "agency"), "class": lv.agency_class(el.findtext("agency_class"))}
    )


def _sponsors(k: _Kids) -> dict[str, Any]:
    sponsors = _first(k, "sponsors")
    lead = sponsors.find("lead_sponsor") if sponsors is not None else None
    collabs = sponsors.findall("collaborator") if sponsors is not None else []
    rp_el = _first(k, "responsible_party")
    rp = None
    if rp_el is not None:
        rk = _leaves(rp_el)
        rp = _compact(
            {
                "type": lv.responsible_party_type(_lt(rk, "responsible_party_type")),
                "investigatorFullName": _lt(rk, "investigator_full_name"),
                "investigatorTitle": _lt(rk, "investigator_title"),
                "investigatorAffiliation": _lt(rk, "investigator_affiliation"),
                "oldNameTitle": _lt(rk, "name_title"),
                "oldOrganization": _lt(rk, "organization"),
            }
        )
    return _compact(
        {
            "responsibleParty": rp,
            "leadSponsor": _agency(lead) if lead is not None else None,
            "collaborators": [c for c in (_agency(e) for e in collabs) if c],
        }
    )


_OVERSIGHT = (
    ("has_dmc", "oversightHasDmc"),
    ("is_fda_regulated_drug", "isFdaRegulatedDrug"),
    ("is_fda_regulated_device", "isFdaRegulatedDevice"),
    ("is_unapproved_device", "isUnapprovedDevice"),
    ("is_ppsd", "isPpsd"),
    ("is_us_export", "isUsExport"),
)


def _oversight(k: _Kids) -> dict[str, Any]:
    el = _first(k, "oversight_info")
    if el is None:
        return {}
    ok = _leaves(el)
    return _compact({v2: lv.yes_no(_lt(ok, tag)) for tag, v2 in _OVERSIGHT})


# Pre-2017 records carry the design as one "Label: value, Label: value" string.
_OLD_DESIGN = re.compile(
    r"(Allocation|Endpoint Classification|Intervention Model|Masking|Primary Purpose|"
    r"Observational Model|Time Perspective)\s*:\s*"
)


def _old_design(text: str) -> dict[str, str]:
    parts = _OLD_DESIGN.split(text)
    return {parts[i]: parts[i + 1].strip().rstrip(",").strip() for i in range(1, len(parts) - 1, 2)}


def _design(k: _Kids) -> dict[str, Any]:
    stype, registry = lv.study_type(_ftext(k, "study_type"))
    info_el = _first(k, "study_design_info")
    if info_el is not None:
        ik = _kids(info_el)
        raw = {tag: _ftext(ik, tag) for tag in ik}
    else:
        old = _ftext(k, "study_design")
        labels = _old_design(old) if old else {}
        raw = {key.lower().replace(" ", "_"): value for key, value in labels.items()}
    masking, who = lv.masking(raw.get("masking"))
    design_info = _compact(
        {
            "allocation": lv.allocation(raw.get("allocation")),
            "interventionModel": lv.intervention_model(raw.get("intervention_model")),
            "interventionModelDescription": _esc(raw.get("intervention_model_description")),
            "primaryPurpose": lv.primary_purpose(raw.get("primary_purpose")),
            "observationalModel": lv.observational_model(raw.get("observational_model")),
            "timePerspective": lv.time_perspective(raw.get("time_perspective")),
            "maskingInfo": _compact(
                {
                    "masking": masking,
                    "maskingDescription": _esc(raw.get("masking_description")),
                    "whoMasked": who,
                }
            ),
        }
    )
    phases = lv.phases(_texts(k.get("phase")))
    if phases == ["NA"] and stype not in (None, "INTERVENTIONAL"):
        phases = []  # v2 shows no phase at all for observational / expanded-access studies
    enrollment = None
    enr_el = _first(k, "enrollment")
    count_text = _text(enr_el)
    if enr_el is not None and count_text:
        try:
            count: int | None = int(float(count_text))
        except ValueError:
            count = None
        enrollment = _compact({"count": count, "type": lv.date_type(enr_el.get("type"))})
    ea_el = _first(k, "expanded_access_info")
    ea_types = None
    if ea_el is not None:
        ek = _kids(ea_el)
        ea_types = _compact(
            {
                name: lv.yes_no(
                    _ftext(ek, f"expanded_access_type_{name}") or _ftext(ek, f"exp_acc_type_{name}")
                )
                for name in ("individual", "intermediate", "treatment")
            }
        )
    bio = _compact(
        {
            "retention": lv.bio_spec_retention(_ftext(k, "biospec_retention")),
            "description": _block(_first(k, "biospec_descr")),
        }
    )
    return _compact(
        {
            "studyType": stype,
            "expandedAccessTypes": ea_types,
            "patientRegistry": registry,
            "targetDuration": lv.age(_ftext(k, "target_duration")),
            "phases": phases,
            "designInfo": design_info,
            "bioSpec": bio,
            "enrollmentInfo": enrollment,
        }
    )


def _arms(k: _Kids) -> dict[str, Any]:
    interventions = []
    by_arm: dict[str, list[str]] = {}
    for el in k.get("intervention", ()):
        ik = _kids(el)
        type_text = _ftext(ik, "intervention_type")
        name = _ftext(ik, "intervention_name")
        labels = _texts(ik.get("arm_group_label"))
        for label in labels:
            # v2 lists each arm's interventions as "<Type>: <name>"
            by_arm.setdefault(label, []).append(f"{type_text}: {name}" if type_text else name or "")
        interventions.append(
            _compact(
                {
                    "type": lv.intervention_type(type_text),
                    "name": name,
                    "description": _md(ik["description"][0].text) if "description" in ik else None,
                    "armGroupLabels": labels,
                    "otherNames": _texts(ik.get("other_name")),
                }
            )
        )
    arms = []
    for el in k.get("arm_group", ()):
        ak = _leaves(el)
        arm_label = _lt(ak, "arm_group_label")
        arms.append(
            _compact(
                {
                    "label": arm_label,
                    "type": lv.arm_group_type(ak.get("arm_group_type")),
                    "description": _md(ak.get("description")),
                    "interventionNames": by_arm.get(arm_label or "", []),
                }
            )
        )
    return _compact({"armGroups": arms, "interventions": interventions})


def _outcomes(els: list[_El] | None) -> list[dict[str, Any]]:
    out = []
    for el in els or ():
        ok = _leaves(el)
        out.append(
            _compact(
                {
                    "measure": _lt(ok, "measure"),
                    "description": _md(ok.get("description")),
                    "timeFrame": _lt(ok, "time_frame"),
                }
            )
        )
    return out


def _eligibility(k: _Kids) -> dict[str, Any]:
    el = _first(k, "eligibility")
    if el is None:
        return {}
    ek = _kids(el)
    min_age = lv.age(_ftext(ek, "minimum_age"))
    max_age = lv.age(_ftext(ek, "maximum_age"))
    return _compact(
        {
            "eligibilityCriteria": _block(_first(ek, "criteria")),
            "healthyVolunteers": lv.yes_no(_ftext(ek, "healthy_volunteers")),
            "sex": lv.sex(_ftext(ek, "gender")),
            "genderBased": lv.yes_no(_ftext(ek, "gender_based")),
            "genderDescription": _ftext(ek, "gender_description"),
            "minimumAge": min_age,
            "maximumAge": max_age,
            "stdAges": lv.std_ages(min_age, max_age),
            "studyPopulation": _block(_first(ek, "study_pop")),
            "samplingMethod": lv.enum(_ftext(ek, "sampling_method")),
        }
    )


def _references(k: _Kids) -> dict[str, Any]:
    refs = []
    for tag, rtype in (("reference", "BACKGROUND"), ("results_reference", "RESULT")):
        for el in k.get(tag, ()):
            rk = _leaves(el)
            refs.append(
                _compact({"pmid": _lt(rk, "PMID"), "type": rtype, "citation": _lt(rk, "citation")})
            )
    links = []
    for el in k.get("link", ()):
        lk = _leaves(el)
        links.append(_compact({"label": _lt(lk, "description"), "url": _lt(lk, "url")}))
    ipds = []
    docs = _first(k, "study_docs")
    for el in docs.findall("study_doc") if docs is not None else ():
        dk = _leaves(el)
        ipds.append(
            _compact(
                {
                    "id": _lt(dk, "doc_id"),
                    "type": _lt(dk, "doc_type"),
                    "url": _lt(dk, "doc_url"),
                    "comment": _lt(dk, "doc_comment"),
                }
            )
        )
    return _compact({"references": refs, "seeAlsoLinks": links, "availIpds": ipds})


def _ipd(k: _Kids) -> dict[str, Any]:
    el = _first(k, "patient_data")
    if el is None:
        return {}
    pk = _kids(el)
    return _compact(
        {
            "ipdSharing": lv.enum(_ftext(pk, "sharing_ipd")),
            "description": _block(_first(pk, "ipd_description")),
            "infoTypes": [
                t for t in (lv.ipd_info_type(x) for x in _texts(pk.get("ipd_info_type"))) if t
            ],
            "timeFrame": _ftext(pk, "ipd_time_frame"),
            "accessCriteria": _block(_first(pk, "ipd_access_criteria")),
            "url": _ftext(pk, "ipd_url"),
        }
    )


def _browse(k: _Kids, tag: str) -> dict[str, Any]:
    el = _first(k, tag)
    if el is None:
        return {}
    # the legacy XML gives MeSH terms only, without their ids
    return _compact({"meshes": [{"term": t} for t in _texts(el.findall("mesh_term"))]})


def _documents(k: _Kids) -> dict[str, Any]:
    section = _first(k, "provided_document_section")
    if section is None:
        return {}
    docs = []
    for el in section.findall("provided_document"):
        dk = _leaves(el)
        url = _lt(dk, "document_url")
        docs.append(
            _compact(
                {
                    "hasProtocol": lv.yes_no(_lt(dk, "document_has_protocol")),
                    "hasSap": lv.yes_no(_lt(dk, "document_has_sap")),
                    "hasIcf": lv.yes_no(_lt(dk, "document_has_icf")),
                    "label": _lt(dk, "document_type"),
                    "date": lv.partial_date(dk.get("document_date")),
                    "filename": url.rsplit("/", 1)[-1] if url else None,
                }
            )
        )
    return _compact({"largeDocumentModule": _compact({"largeDocs": docs})})


# <pending_results> events, in the v2 UnpostedEventType vocabulary
_PENDING = (("submitted", "RELEASE"), ("returned", "RESET"), ("submission_canceled", "UNRELEASE"))


def _annotations(k: _Kids) -> dict[str, Any]:
    events = []
    for el in k.get("pending_results", ()):
        for child in el:
            kind = dict(_PENDING).get(child.tag) if isinstance(child.tag, str) else None
            if kind is None:
                continue
            text = _text(child)
            date = lv.partial_date(text) if text and text.upper() != "UNKNOWN" else None
            events.append(
                _compact(
                    {"type": kind, "date": date, "dateUnknown": True if date is None else None}
                )
            )
    if not events:
        return {}
    return {"annotationModule": {"unpostedAnnotation": {"unpostedEvents": events}}}


# --- entry point ----------------------------------------------------------------------------


def legacy_xml_to_v2(xml: bytes | str) -> dict[str, Any]:
    """One legacy ``<clinical_study>`` document as a v2 study dict.

    Raises RecordError for input that is not well-formed XML, whose root is not
    ``clinical_study``, or that has no NCT id.
    """
    root = _parse(xml)
    k = _kids(root)
    id_info = _first(k, "id_info")
    nct_id = _ctext(id_info, "nct_id") if id_info is not None else None
    if not nct_id:
        raise RecordError("legacy XML record without <id_info><nct_id>")
    assert id_info is not None
    conditions = _compact(
        {"conditions": _texts(k.get("condition")), "keywords": _texts(k.get("keyword"))}
    )
    protocol = _compact(
        {
            "identificationModule": _identification(k, nct_id.upper(), id_info),
            "statusModule": _status(k),
            "sponsorCollaboratorsModule": _sponsors(k),
            "oversightModule": _oversight(k),
            "descriptionModule": _compact(
                {
                    "briefSummary": _block(_first(k, "brief_summary")),
                    "detailedDescription": _block(_first(k, "detailed_description")),
                }
            ),
            "conditionsModule": conditions,
            "designModule": _design(k),
            "armsInterventionsModule": _arms(k),
            "outcomesModule": _compact(
                {
                    "primaryOutcomes": _outcomes(k.get("primary_outcome")),
                    "secondaryOutcomes": _outcomes(k.get("secondary_outcome")),
                    "otherOutcomes": _outcomes(k.get("other_outcome")),
                }
            ),
            "eligibilityModule": _eligibility(k),
            "contactsLocationsModule": _contacts_locations(k),
            "referencesModule": _references(k),
            "ipdSharingStatementModule": _ipd(k),
        }
    )
    removed = _first(k, "removed_countries")
    derived = _compact(
        {
            "miscInfoModule": _compact(
                {
                    "removedCountries": _texts(removed.findall("country"))
                    if removed is not None
                    else []
                }
            ),
            "conditionBrowseModule": _browse(k, "condition_browse"),
            "interventionBrowseModule": _browse(k, "intervention_browse"),
        }
    )
    study: dict[str, Any] = {"protocolSection": protocol}
    documents = _documents(k)
    if documents:
        study["documentSection"] = documents
    annotations = _annotations(k)
    if annotations:
        study["annotationSection"] = annotations
    study["derivedSection"] = derived
    study["hasResults"] = "clinical_results" in k
    return study
