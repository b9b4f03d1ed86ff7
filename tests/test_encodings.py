"""Record files that are not plain UTF-8: real records from ../shared re-encoded into temporary
files. UTF-16 JSON (with a BOM or without) and legacy XML that declares its encoding are
read; anything else is quarantined with a reason that names what the file looks like."""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import CTGOV, Backend, needs_corpus
from trialscope.formats.encoding import why_not_utf8, wide_codec, wide_to_utf8
from trialscope.importer import import_paths
from trialscope.store import Store

SEED_XML = CTGOV / "seeds" / "NCT04416854.legacy_ctgov.xml"
#: a v2 file of the corpus that holds records with Latin-1 letters (è, ô)
V2_FILE = CTGOV / "v2" / "genomoncology__biomcp.jsonl"


def _accented_v2() -> dict[str, Any]:
    """The first real v2 record whose text has a letter outside ASCII but inside Latin-1."""
    for line in V2_FILE.read_text("utf-8").splitlines():
        odd = {ch for ch in line if ord(ch) > 127}
        if odd and all(ord(ch) < 256 for ch in odd):
            study: dict[str, Any] = json.loads(line)
            return study
    raise AssertionError(f"no record with Latin-1 letters in {V2_FILE}")


def _seed_xml_accented() -> str:
    """The seed XML with one site city accented (the record itself is ASCII but for one ，)."""
    return SEED_XML.read_text("utf-8").replace("<city>Shanghai</city>", "<city>Shanghaï</city>")


@pytest.fixture
def store(backend: Backend) -> Iterator[Store]:
    with backend.open() as opened:
        yield opened


def _import(store: Store, *paths: Path) -> Any:
    return import_paths(store, paths)


def _nct(study: dict[str, Any]) -> str:
    return str(study["protocolSection"]["identificationModule"]["nctId"])


pytestmark = needs_corpus


@pytest.mark.parametrize(
    ("codec", "bom"),
    [("utf-16", True), ("utf-16-be", True), ("utf-16-le", False), ("utf-32", True)],
)
def test_utf16_json_is_read(store: Store, tmp_path: Path, codec: str, bom: bool) -> None:
    study = _accented_v2()
    text = json.dumps(study, ensure_ascii=False, indent=1)
    prefix = "\ufeff" if bom and codec.endswith(("-be", "-le")) else ""
    path = tmp_path / "exported.json"
    path.write_bytes((prefix + text).encode(codec))
    summary = _import(store, path)
    assert summary.counts["new"] == 1, store.quarantine()
    assert store.study_json(_nct(study)) == study  # every letter as it was


def test_utf16_jsonl_gz_and_zip_member_are_read(store: Store, tmp_path: Path) -> None:
    study = _accented_v2()
    line = json.dumps(study, ensure_ascii=False)
    gz = tmp_path / "records.jsonl.gz"
    gz.write_bytes(gzip.compress(("\ufeff" + line + "\n").encode("utf-16-le")))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("NCT.xml", _seed_xml_accented().encode("utf-16"))
    zipped = tmp_path / "records.zip"
    zipped.write_bytes(buffer.getvalue())
    summary = _import(store, gz, zipped)
    assert summary.counts["new"] == 2, store.quarantine()
    assert store.study_json(_nct(study)) == study


def test_utf8_bom_json_is_read(store: Store, tmp_path: Path) -> None:
    study = _accented_v2()
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(study, ensure_ascii=False).encode())
    assert _import(store, path).counts["new"] == 1, store.quarantine()


@pytest.mark.parametrize(
    ("declared", "codec"),
    [("ISO-8859-1", "latin-1"), ("windows-1252", "cp1252"), ("UTF-16", "utf-16")],
)
def test_legacy_xml_in_its_declared_encoding_is_read(
    store: Store, tmp_path: Path, declared: str, codec: str
) -> None:
    text = f'<?xml version="1.0" encoding="{declared}"?>\n' + _seed_xml_accented()
    path = tmp_path / "NCT04416854.xml"
    path.write_bytes(text.encode(codec, "xmlcharrefreplace"))  # ， as &#65292;
    assert _import(store, path).counts["new"] == 1, store.quarantine()
    sites = store.study_json("NCT04416854")["protocolSection"]["contactsLocationsModule"]
    assert sites["locations"][0]["city"] == "Shanghaï"
    assert store.versions("NCT04416854")[0].last_update_post_date == "2020-06-04"


@pytest.mark.parametrize("kind", ["json", "jsonl", "xml"])
def test_latin1_without_a_word_about_it_is_quarantined_with_the_reason(
    store: Store, tmp_path: Path, kind: str
) -> None:
    study = _accented_v2()
    if kind == "xml":
        # no declaration: XML without one must be UTF-8
        data = _seed_xml_accented().encode("latin-1", "xmlcharrefreplace")
    else:
        text = json.dumps(study, ensure_ascii=False)
        data = text.encode("latin-1")
        if kind == "jsonl":  # a good line first, the Latin-1 one second
            other = json.loads(
                CTGOV.joinpath("v2", "alexxpz__LLM.jsonl").read_text().split("\n")[0]
            )
            data = json.dumps(other).encode() + b"\n" + data + b"\n"
    path = tmp_path / f"latin1.{kind}"
    path.write_bytes(data)
    summary = _import(store, path)
    assert summary.counts["quarantined"] == 1
    assert summary.counts["new"] == (1 if kind == "jsonl" else 0)
    (entry,) = store.quarantine()
    assert entry.reason.startswith("not UTF-8: looks like Latin-1 (Windows-1252); byte 0x")
    assert "Save the file as UTF-8" in entry.reason
    raw = store.quarantine_entry(entry.id).raw
    assert raw is not None and raw.strip() in data  # nothing lost


def test_broken_utf16_is_quarantined(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_bytes(b"\xff\xfe" + '{"a": "b'.encode("utf-16-le") + b"\x00\xd8")  # lone surrogate
    summary = _import(store, path)
    assert summary.counts["quarantined"] == 1
    assert "starts as UTF-16" in store.quarantine()[0].reason


@pytest.mark.parametrize(
    ("head", "codec"),
    [
        (b"\xff\xfe{\x00", "utf-16-le"),
        (b"\xfe\xff\x00{", "utf-16-be"),
        (b"{\x00\x22\x00", "utf-16-le"),
        (b"\x00<\x00?", "utf-16-be"),
        (b"\xff\xfe\x00\x00", "utf-32-le"),
        (b"<\x00\x00\x00", "utf-32-le"),
        (b"\xef\xbb\xbf{", None),
        (b'{"pr', None),
        (b"<?xm", None),
    ],
)
def test_wide_codec(head: bytes, codec: str | None) -> None:
    assert wide_codec(head) == codec


def test_why_not_utf8_names_utf16_without_a_bom() -> None:
    reason = why_not_utf8('{"a": "é"}'.encode("utf-16-le"))
    assert reason is not None and reason.startswith("not UTF-8: looks like UTF-16 (little-endian)")


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(exclude_categories=("Cs",)), max_size=50), st.booleans())
def test_wide_text_becomes_the_same_utf8(text: str, big_endian: bool) -> None:
    document = '{"t": ' + json.dumps(text, ensure_ascii=False) + "}"
    codec = "utf-16-be" if big_endian else "utf-16-le"
    data = document.encode(codec)
    assert wide_codec(data[:4]) == codec
    assert wide_to_utf8(data, codec) == document.encode("utf-8")
    assert why_not_utf8(document.encode("utf-8")) is None
