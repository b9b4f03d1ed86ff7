"""Import every real CT.gov format from content, stream it, and quarantine what is bad."""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.conftest import CTGOV, FIXTURES, Backend, catalog_record_ids, needs_corpus, record_paths
from tests.corpus import classic_records, legacy_wrappers, nct_of, v2_records
from trialscope.importer import import_paths
from trialscope.store import ChangeKind, Store

pytestmark = needs_corpus


@pytest.fixture(scope="module")
def corpus_store(backend: Backend) -> Iterator[Store]:
    """The whole shared record corpus imported once into one real store of each backend."""
    with backend.open() as store:
        summary = import_paths(store, record_paths())
        store.summary = summary  # type: ignore[attr-defined]
        yield store


def test_every_catalogued_record_is_imported(corpus_store: Store) -> None:
    assert set(corpus_store.nct_ids()) == catalog_record_ids()


def test_corpus_import_reads_every_format_and_flags_partials(corpus_store: Store) -> None:
    summary = corpus_store.summary  # type: ignore[attr-defined]
    assert set(summary.by_format) == {"ctgov_v2", "ctgov_classic", "ctgov_legacy_xml"}
    # The corpus holds exactly one broken record: an AACT fixture whose XML has mismatched
    # tags (NCT02654730, <last_known_status> closed by </overall_status>).
    (broken,) = corpus_store.quarantine()
    assert broken.source.endswith("ctti-clinicaltrials__aact.jsonl.gz")
    assert (broken.position, summary.counts["quarantined"]) == ("line 215", 1)
    assert "mismatch" in broken.reason
    assert b"NCT02654730" in (corpus_store.quarantine_entry(broken.id).raw or b"")
    # Koneru99's studies.json was fetched with a field list: those are partial.
    assert corpus_store.stats()["partial"] > 400
    # index files and SOURCES.md sit beside the records and are skipped, not quarantined.
    assert any("index.tsv" in note for note in summary.skipped)


def test_aact_history_yields_versions_and_changes(corpus_store: Store) -> None:
    multi = corpus_store.conn.execute(
        "SELECT nct_id FROM versions GROUP BY nct_id HAVING count(*) > 2 LIMIT 20"
    ).fetchall()
    assert multi, "the AACT fixtures hold several versions of the same trials"
    logged = corpus_store.changes([row[0] for row in multi], include_first_sight=False)
    assert logged
    assert all(change.kind in set(ChangeKind) for change in logged)
    assert any(change.path.startswith("status.") for change in logged)


# -- one format at a time, detected from content ---------------------------------------


def _import(backend: Backend, *paths: Path) -> tuple[Store, Any]:
    store = backend.open()
    return store, import_paths(store, paths)


def test_single_v2_study_named_oddly_is_detected_by_content(
    backend: Backend, tmp_path: Path
) -> None:
    study = v2_records(1)[0]
    path = tmp_path / "record.data"
    path.write_text(json.dumps(study, indent=2))
    store, summary = _import(backend, path)
    assert summary.counts["new"] == 1
    # v2 input is stored as it came, byte for byte (modulo surrounding whitespace).
    assert store.study_bytes(nct_of(study)) == path.read_bytes().strip()


def test_v2_page_and_jsonl_gz(backend: Backend, tmp_path: Path) -> None:
    studies = v2_records(6)
    page = tmp_path / "page.json"
    page.write_bytes(orjson.dumps({"studies": studies[:3], "nextPageToken": "abc"}))
    lines = tmp_path / "more.jsonl.gz"
    with gzip.open(lines, "wb") as handle:
        handle.writelines(orjson.dumps(s) + b"\n" for s in studies[3:])
    store, summary = _import(backend, page, lines)
    assert summary.counts["new"] == 6
    assert set(store.nct_ids()) == {nct_of(s) for s in studies}


def test_bulk_download_zip(backend: Backend, tmp_path: Path) -> None:
    studies = v2_records(5)
    bulk = tmp_path / "ctg-studies.json.zip"
    with zipfile.ZipFile(bulk, "w", zipfile.ZIP_DEFLATED) as archive:
        for study in studies:
            archive.writestr(f"{nct_of(study)}.json", json.dumps(study))
    _store, summary = _import(backend, bulk)
    assert summary.counts["new"] == 5


def test_classic_full_studies_response(backend: Backend, tmp_path: Path) -> None:
    studies = classic_records(4)
    path = tmp_path / "classic.json"
    response = {
        "FullStudiesResponse": {
            "FullStudies": [{"Rank": i, "Study": s} for i, s in enumerate(studies)]
        }
    }
    path.write_bytes(orjson.dumps(response))
    store, summary = _import(backend, path)
    assert summary.by_format == {"ctgov_classic": 4}
    nct = studies[0]["ProtocolSection"]["IdentificationModule"]["NCTId"]
    version = store.current_version(nct)
    # The classic original is kept verbatim beside the mapped v2 JSON.
    original = store.version_original(version.version_id)
    assert original is not None and orjson.loads(original)["Study"] == studies[0]


def test_legacy_xml_files_folder_and_allpublicxml_zip(backend: Backend, tmp_path: Path) -> None:
    wrappers = legacy_wrappers(6, "ctti-clinicaltrials__aact.jsonl.gz")
    folder = tmp_path / "AllPublicXML" / "NCT0000xxxx"
    folder.mkdir(parents=True)
    for w in wrappers[:3]:
        (folder / f"{w['nct_id']}.xml").write_text(w["xml"])
    archive_path = tmp_path / "AllPublicXML.zip"
    with zipfile.ZipFile(archive_path, "w") as archive:
        for w in wrappers[3:]:
            archive.writestr(f"NCT0000xxxx/{w['nct_id']}.xml", w["xml"])
        archive.writestr("Contents.txt", "listing, not a record")
    store, summary = _import(backend, tmp_path / "AllPublicXML", archive_path)
    assert summary.by_format == {"ctgov_legacy_xml": 6}
    assert set(store.nct_ids()) == {w["nct_id"] for w in wrappers}
    assert any("Contents.txt" in note for note in summary.skipped)


def test_glob_patterns(backend: Backend, tmp_path: Path) -> None:
    for study in v2_records(3):
        (tmp_path / f"{nct_of(study)}.json").write_bytes(orjson.dumps(study))
    _store, summary = _import(backend, Path(str(tmp_path / "NCT*.json")))
    assert summary.counts["new"] == 3


def test_reimport_adds_no_versions(backend: Backend, tmp_path: Path) -> None:
    path = CTGOV / "legacy_xml" / "hyperlist__trec-pm.jsonl"
    store, first = _import(backend, path)
    versions = store.stats()["versions"]
    second = import_paths(store, [path])
    assert second.records_read == first.records_read
    assert second.counts["unchanged"] == second.records_read
    assert store.stats()["versions"] == versions


def test_seed_trial_2020_xml_then_2026_record_logs_real_changes(backend: Backend) -> None:
    store, _ = _import(
        backend,
        CTGOV / "seeds" / "NCT04416854.legacy_ctgov.xml",
        FIXTURES / "NCT04416854.2026.v2.json",
    )
    changes = {c.path: c for c in store.changes(["NCT04416854"], include_first_sight=False)}
    status = changes["status.overallStatus"]
    assert (status.kind, status.old, status.new) == (ChangeKind.CHANGED, "RECRUITING", "UNKNOWN")
    assert changes["status.lastKnownStatus"].kind is ChangeKind.ADDED
    # Same CT.gov update date (2020-06-04): the 2026 snapshot is current.
    assert store.study_json("NCT04416854")["protocolSection"]["statusModule"]["overallStatus"] == (
        "UNKNOWN"
    )


def test_seed_trial_history_is_the_same_whichever_order_it_arrives(
    backend: Backend, tmp_path: Path
) -> None:
    xml = CTGOV / "seeds" / "NCT04416854.legacy_ctgov.xml"
    later = FIXTURES / "NCT04416854.2026.v2.json"
    forward, _ = _import(backend, xml, later)
    backward, _ = _import(backend, later, xml)

    def log(store: Store) -> list[tuple[str, str]]:
        return sorted((c.path, str(c.kind)) for c in store.changes(include_first_sight=False))

    assert log(forward) == log(backward)
    assert [v.content_hash for v in forward.versions("NCT04416854")] == [
        v.content_hash for v in backward.versions("NCT04416854")
    ]


# -- bad input: quarantined with reason and position, the run goes on ------------------


def test_malformed_json_line_is_quarantined_and_the_rest_imported(
    backend: Backend, tmp_path: Path
) -> None:
    studies = v2_records(3)
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(
        orjson.dumps(studies[0])
        + b"\n{not json\n"
        + orjson.dumps(studies[1])
        + b"\n"
        + orjson.dumps(studies[2])[:200]
        + b"\n"
    )
    store, summary = _import(backend, path)
    assert summary.counts["new"] == 2
    assert summary.counts["quarantined"] == 2
    positions = sorted(e.position for e in store.quarantine())
    assert positions == ["line 2", "line 4"]
    assert all("malformed JSON" in e.reason for e in store.quarantine())


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"<html><body>not a study</body></html>", "clinical_study"),
        (b'{"protocolSection": {"identificationModule": {"briefTitle": "x"}}}', "NCT id"),
        (b'{"protocolSection": {"identificationModule": {"nctId": "12345"}}}', "malformed NCT id"),
        (b'{"hello": "world"}', "not a CT.gov study record"),
        (b"just some words", "neither JSON nor XML"),
        (b"", "empty file"),
    ],
)
def test_bad_records_are_quarantined_with_a_reason(
    backend: Backend, tmp_path: Path, content: bytes, reason: str
) -> None:
    good = tmp_path / "good.json"
    good.write_bytes(orjson.dumps(v2_records(1)[0]))
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    store, summary = _import(backend, good, bad)
    assert summary.counts["new"] == 1
    (entry,) = store.quarantine()
    assert reason in entry.reason
    assert entry.source == str(bad)
    assert store.quarantine_entry(entry.id).raw in (content, content[:4096], None)


def test_truncated_zip_keeps_the_members_before_the_break(backend: Backend, tmp_path: Path) -> None:
    studies = v2_records(8)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for study in studies:
            archive.writestr(f"{nct_of(study)}.json", json.dumps(study))
    whole = buffer.getvalue()
    path = tmp_path / "ctg-studies.json.zip"
    path.write_bytes(whole[: int(len(whole) * 0.6)])
    store, summary = _import(backend, path)
    assert 0 < summary.counts["new"] < 8
    (entry,) = store.quarantine()
    assert "truncated or corrupt zip" in entry.reason


def test_truncated_gzip_keeps_what_was_read(backend: Backend, tmp_path: Path) -> None:
    studies = v2_records(10)
    data = gzip.compress(b"".join(orjson.dumps(s) + b"\n" for s in studies))
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    store, summary = _import(backend, path)
    assert summary.counts["new"] >= 1
    assert any("truncated or corrupt" in e.reason for e in store.quarantine())


def test_unreadable_file_is_quarantined(backend: Backend, tmp_path: Path) -> None:
    folder = tmp_path / "records"
    folder.mkdir()
    (folder / "ok.json").write_bytes(orjson.dumps(v2_records(1)[0]))
    (folder / "gone.json").symlink_to(tmp_path / "deleted-target.json")
    store, summary = _import(backend, folder)
    assert summary.counts["new"] == 1
    (entry,) = store.quarantine()
    assert "unreadable file" in entry.reason


def test_nothing_readable_is_reported(backend: Backend, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b"{broken\n")
    store, summary = _import(backend, bad, tmp_path / "missing.json")
    assert summary.nothing_read
    assert summary.missing == [str(tmp_path / "missing.json")]
    assert store.runs()[0]["status"] == "nothing_read"
