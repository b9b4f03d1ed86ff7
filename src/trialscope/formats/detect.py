"""Recognise CT.gov record formats from content and map them all onto API v2 JSON."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import orjson

from trialscope.errors import RecordError
from trialscope.formats.classic import classic_to_v2
from trialscope.formats.encoding import strip_utf8_bom, why_not_utf8
from trialscope.formats.legacy_values import partial_date
from trialscope.formats.legacy_xml import legacy_download_date, legacy_xml_to_v2
from trialscope.record.ids import NCT_ID


class SourceFormat(StrEnum):
    V2 = "ctgov_v2"
    CLASSIC = "ctgov_classic"
    LEGACY_XML = "ctgov_legacy_xml"


@dataclass(frozen=True, slots=True)
class MappedRecord:
    """One study as v2 JSON, with the source bytes when the source was not v2."""

    format: SourceFormat
    study: dict[str, Any]
    position: str
    #: verbatim v2 bytes, when the chunk was exactly one v2 study
    verbatim: bytes | None = None
    original: bytes | None = None
    #: ISO date the source snapshot was taken, when the source says
    snapshot_date: str | None = None


def records_in_chunk(raw: bytes) -> Iterator[MappedRecord | RecordError]:
    """Every study a chunk holds (one, or many for a page), or why one is unreadable."""
    head = raw[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        yield _from_xml(raw, "")
        return
    try:
        value = orjson.loads(strip_utf8_bom(raw))
    except orjson.JSONDecodeError as exc:
        yield RecordError(why_not_utf8(raw) or f"malformed JSON: {exc}")
        return
    yield from _classify(value, "", raw)


def _from_xml(xml: bytes | str, position: str) -> MappedRecord | RecordError:
    try:
        study = legacy_xml_to_v2(xml)
    except RecordError as exc:
        return exc
    original = xml.encode("utf-8") if isinstance(xml, str) else xml
    return MappedRecord(
        SourceFormat.LEGACY_XML,
        study,
        position,
        original=original,
        snapshot_date=legacy_download_date(original),
    )


def _classify(value: Any, position: str, raw: bytes | None) -> Iterator[MappedRecord | RecordError]:
    if isinstance(value, list):
        for index, element in enumerate(value):
            yield from _classify(element, f"{position}[{index}]", None)
        return
    if not isinstance(value, Mapping):
        yield RecordError(f"not a CT.gov study record: a JSON {type(value).__name__}")
        return
    if "protocolSection" in value:
        yield MappedRecord(
            SourceFormat.V2, dict(value), position, verbatim=raw, snapshot_date=v2_snapshot(value)
        )
    elif isinstance(value.get("studies"), list):
        yield from _classify(value["studies"], f"{position}studies", None)
    elif "FullStudiesResponse" in value or "FullStudies" in value:
        response = value.get("FullStudiesResponse", value)
        studies = response.get("FullStudies") if isinstance(response, Mapping) else None
        yield from _classify(studies or [], f"{position}FullStudies", None)
    elif isinstance(value.get("Study"), Mapping):
        yield _from_classic(value["Study"], position)
    elif "ProtocolSection" in value:
        yield _from_classic(value, position)
    elif isinstance(value.get("xml"), str):
        yield _from_xml(value["xml"], position)
    else:
        keys = ", ".join(list(value)[:6]) or "none"
        yield RecordError(f"not a CT.gov study record (top-level keys: {keys})")


def _from_classic(study: Mapping[str, Any], position: str) -> MappedRecord | RecordError:
    try:
        mapped = classic_to_v2(study)
    except RecordError as exc:
        return exc
    derived = study.get("DerivedSection")
    misc = derived.get("MiscInfoModule") if isinstance(derived, Mapping) else None
    holder = misc.get("VersionHolder") if isinstance(misc, Mapping) else None
    return MappedRecord(
        SourceFormat.CLASSIC,
        mapped,
        position,
        original=orjson.dumps({"Study": study}),
        snapshot_date=partial_date(holder) if isinstance(holder, str) else None,
    )


def v2_snapshot(study: Mapping[str, Any]) -> str | None:
    """The day CT.gov produced this v2 record (``derivedSection.miscInfoModule.versionHolder``)."""
    derived = study.get("derivedSection")
    misc = derived.get("miscInfoModule") if isinstance(derived, Mapping) else None
    holder = misc.get("versionHolder") if isinstance(misc, Mapping) else None
    return holder if isinstance(holder, str) else None


def nct_id_of(study: Mapping[str, Any]) -> str:
    """The study's NCT id, or a RecordError saying why there is none."""
    protocol = study.get("protocolSection")
    ident = protocol.get("identificationModule") if isinstance(protocol, Mapping) else None
    nct_id = ident.get("nctId") if isinstance(ident, Mapping) else None
    if not nct_id:
        raise RecordError("record without an NCT id (protocolSection.identificationModule.nctId)")
    nct_id = str(nct_id).strip().upper()
    if NCT_ID.fullmatch(nct_id) is None:
        raise RecordError(f"malformed NCT id {nct_id!r}: expected NCT followed by 8 digits")
    return nct_id
