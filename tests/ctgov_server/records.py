"""The studies the fake CT.gov serves: real v2 records from the shared corpus, plus history.

Records keep their exact bytes (responses are built by joining them), and are parsed once for
filtering. Search text is extracted lazily, per record and per query area, on first use.
"""

from __future__ import annotations

import gzip
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

# the shared corpus beside the repository, as in tests/conftest.py (read-only, never copied)
CTGOV = Path(__file__).resolve().parents[3] / "shared" / "data" / "ctgov"
DEFAULT_RECORDS_DIR = CTGOV / "v2"
DEFAULT_HISTORY = CTGOV / "legacy_xml" / "ctti-clinicaltrials__aact.jsonl.gz"

NCT_ID = re.compile(r"^NCT\d{8}$")


def _get(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _list(obj: Any) -> list[Any]:
    return obj if isinstance(obj, list) else []


def _strings(values: Iterable[Any]) -> Iterator[str]:
    for value in values:
        if isinstance(value, str):
            yield value


def _all_strings(obj: Any) -> Iterator[str]:
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for value in obj.values():
            yield from _all_strings(value)
    elif isinstance(obj, list):
        for value in obj:
            yield from _all_strings(value)


def _join(parts: Iterable[str]) -> str:
    # NUL between fields so that a substring never matches across two of them
    return "\x00".join(parts).lower()


@dataclass(eq=False)
class Study:
    """One study: its exact JSON bytes and the parsed object (never mutated)."""

    raw: bytes
    data: dict[str, Any]
    nct_id: str
    _text: dict[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def from_bytes(cls, raw: bytes) -> Study:
        raw = raw.strip()
        data = orjson.loads(raw)
        if not isinstance(data, dict):
            raise ValueError("a v2 study is a JSON object")
        return cls.from_parsed(raw, data)

    @classmethod
    def from_parsed(cls, raw: bytes, data: dict[str, Any]) -> Study:
        nct_id = _get(data, "protocolSection", "identificationModule", "nctId")
        if not isinstance(nct_id, str) or not NCT_ID.match(nct_id):
            raise ValueError(f"no valid protocolSection.identificationModule.nctId: {nct_id!r}")
        return cls(raw=raw, data=data, nct_id=nct_id)

    @property
    def status_module(self) -> dict[str, Any]:
        module = _get(self.data, "protocolSection", "statusModule")
        return module if isinstance(module, dict) else {}

    @property
    def last_update(self) -> str | None:
        value = _get(self.status_module, "lastUpdatePostDateStruct", "date")
        return value if isinstance(value, str) else None

    @property
    def overall_status(self) -> str | None:
        value = self.status_module.get("overallStatus")
        return value if isinstance(value, str) else None

    @property
    def aliases(self) -> list[str]:
        ident = _get(self.data, "protocolSection", "identificationModule")
        return list(_strings(_list(_get(ident, "nctIdAliases"))))

    def text(self, area: str) -> str:
        """Lower-cased text of one query area (see AREAS), extracted on first use."""
        cached = self._text.get(area)
        if cached is None:
            cached = self._text[area] = _join(AREAS[area](self.data))
        return cached


def _cond(data: dict[str, Any]) -> Iterator[str]:
    module = _get(data, "protocolSection", "conditionsModule")
    yield from _strings(_list(_get(module, "conditions")))
    yield from _strings(_list(_get(module, "keywords")))


def _intr(data: dict[str, Any]) -> Iterator[str]:
    module = _get(data, "protocolSection", "armsInterventionsModule")
    for item in _list(_get(module, "interventions")):
        yield from _strings([_get(item, "name"), _get(item, "description")])
        yield from _strings(_list(_get(item, "otherNames")))


def _locn(data: dict[str, Any]) -> Iterator[str]:
    module = _get(data, "protocolSection", "contactsLocationsModule")
    for loc in _list(_get(module, "locations")):
        yield from _strings(_get(loc, key) for key in ("facility", "city", "state", "country"))


def _titles(data: dict[str, Any]) -> Iterator[str]:
    ident = _get(data, "protocolSection", "identificationModule")
    yield from _strings(_get(ident, key) for key in ("briefTitle", "officialTitle", "acronym"))


def _outc(data: dict[str, Any]) -> Iterator[str]:
    module = _get(data, "protocolSection", "outcomesModule")
    for kind in ("primaryOutcomes", "secondaryOutcomes", "otherOutcomes"):
        for item in _list(_get(module, kind)):
            yield from _strings([_get(item, "measure"), _get(item, "description")])


def _spons(data: dict[str, Any]) -> Iterator[str]:
    module = _get(data, "protocolSection", "sponsorCollaboratorsModule")
    yield from _strings([_get(module, "leadSponsor", "name")])
    yield from _strings(_get(c, "name") for c in _list(_get(module, "collaborators")))


def _lead(data: dict[str, Any]) -> Iterator[str]:
    yield from _strings(
        [_get(data, "protocolSection", "sponsorCollaboratorsModule", "leadSponsor", "name")]
    )


def _ids(data: dict[str, Any]) -> Iterator[str]:
    ident = _get(data, "protocolSection", "identificationModule")
    yield from _strings([_get(ident, "nctId"), _get(ident, "orgStudyIdInfo", "id")])
    yield from _strings(_list(_get(ident, "nctIdAliases")))
    yield from _strings(_get(s, "id") for s in _list(_get(ident, "secondaryIdInfos")))


# query.<area> -> the text it searches (the real API uses Essie areas; this is the nearest
# plain-substring equivalent)
AREAS = {
    "cond": _cond,
    "term": _all_strings,
    "intr": _intr,
    "locn": _locn,
    "titles": _titles,
    "outc": _outc,
    "spons": _spons,
    "lead": _lead,
    "id": _ids,
}


def _newer(candidate: Study, current: Study | None) -> bool:
    """Latest lastUpdatePostDate wins; on a tie the fuller record (some are field-limited)."""
    if current is None:
        return True
    a, b = candidate.last_update or "", current.last_update or ""
    return (a, len(candidate.raw)) > (b, len(current.raw))


def _open(path: Path) -> Iterator[bytes]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as handle:
        yield from handle


def record_files(paths: Sequence[Path] | None) -> list[Path]:
    """The JSONL files named, or found under folders named (default: the corpus' v2/)."""
    found: list[Path] = []
    for path in paths or [DEFAULT_RECORDS_DIR]:
        if path.is_dir():
            found += sorted(p for p in path.iterdir() if p.name.endswith((".jsonl", ".jsonl.gz")))
        else:
            found.append(path)
    return found


def load_studies(files: Iterable[Path]) -> dict[str, Study]:
    """Every study in the files, one per NCT id (the latest)."""
    studies: dict[str, Study] = {}
    for path in files:
        for number, line in enumerate(_open(path), 1):
            if not line.strip():
                continue
            try:
                study = Study.from_bytes(line)
            except ValueError as exc:  # orjson.JSONDecodeError is a ValueError
                raise ValueError(f"{path}:{number}: {exc}") from exc
            if _newer(study, studies.get(study.nct_id)):
                studies[study.nct_id] = study
    return studies


@dataclass
class Version:
    date: str
    status: str | None
    study: Study


def load_history(path: Path) -> dict[str, list[Version]]:
    """Dated versions of trials, from a legacy-XML wrapper file with several lines per trial.

    Lines that map to identical v2 JSON are one version downloaded twice; versions are ordered
    by last update post date, then by the date CT.gov produced the file.
    """
    from trialscope.errors import RecordError  # lxml is only needed here
    from trialscope.formats.legacy_xml import legacy_download_date, legacy_xml_to_v2

    found: dict[str, dict[bytes, tuple[str, str, Study]]] = defaultdict(dict)
    for line in _open(path):
        wrapper = orjson.loads(line)
        try:
            mapped = legacy_xml_to_v2(wrapper["xml"])
        except RecordError:
            continue  # one AACT fixture is not well-formed XML
        raw = orjson.dumps(mapped)
        study = Study.from_parsed(raw, mapped)
        if not study.last_update:
            continue  # cannot be placed in time
        downloaded = legacy_download_date(wrapper["xml"]) or ""
        seen = found[study.nct_id]
        key = orjson.dumps(mapped, option=orjson.OPT_SORT_KEYS)
        if key not in seen or seen[key][1] < downloaded:
            seen[key] = (study.last_update, downloaded, study)
    history: dict[str, list[Version]] = {}
    for nct_id, versions in found.items():
        ordered = sorted(versions.values(), key=lambda v: (v[0], v[1]))
        history[nct_id] = [Version(d, s.overall_status, s) for d, _, s in ordered]
    return history


@dataclass
class Corpus:
    """The start-up state: studies by id, history by id, aliases (alias id -> current id)."""

    studies: dict[str, Study]
    history: dict[str, list[Version]]
    aliases: dict[str, str]


def load_corpus(
    records: Sequence[Path] | None = None,
    history: Path | None = DEFAULT_HISTORY,
    limit: int | None = None,
) -> Corpus:
    studies = load_studies(record_files(records))
    versions = load_history(history) if history is not None else {}
    # trials with history are served by /studies/{id} too, as their latest version
    for nct_id, trail in versions.items():
        current = studies.get(nct_id)
        if _newer(trail[-1].study, current):
            studies[nct_id] = trail[-1].study
        elif current is not None and current.last_update:
            # a newer v2 record is the trial's latest version
            trail.append(Version(current.last_update, current.overall_status, current))
    if limit is not None:
        studies = {k: studies[k] for k in sorted(studies)[:limit]}
        versions = {k: v for k, v in versions.items() if k in studies}
    aliases = {
        alias: study.nct_id
        for study in studies.values()
        for alias in study.aliases
        if alias != study.nct_id
    }
    return Corpus(studies, versions, aliases)
