"""Model → JSON → model round-trips for the classic and legacy-XML records too, once mapped."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.conftest import CTGOV, needs_corpus
from trialscope.errors import RecordError
from trialscope.formats.classic import classic_to_v2
from trialscope.formats.legacy_xml import legacy_xml_to_v2
from trialscope.record import Study

pytestmark = needs_corpus


def _lines(path: Path) -> Iterator[bytes]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        yield from (line for line in handle if line.strip())


#: the records that cannot be mapped, as (file, line): only the one malformed AACT XML
UNMAPPABLE = {
    "classic_api": set(),
    "legacy_xml": {("ctti-clinicaltrials__aact.jsonl.gz", 215)},
}


def _mapped(folder: str, failed: set[tuple[str, int]]) -> Iterator[dict[str, Any]]:
    """Each record of ``folder`` mapped to v2; those that cannot be go into ``failed``."""
    for path in sorted((CTGOV / folder).glob("*.jsonl*")):
        for number, line in enumerate(_lines(path), start=1):
            value = orjson.loads(line)
            try:
                yield legacy_xml_to_v2(value["xml"]) if "xml" in value else classic_to_v2(value)
            except RecordError:
                failed.add((path.name, number))


@pytest.mark.parametrize("folder", ["classic_api", "legacy_xml"])
def test_mapped_records_round_trip(folder: str) -> None:
    count = 0
    failed: set[tuple[str, int]] = set()
    for mapped in _mapped(folder, failed):
        model = Study.from_json(mapped)
        assert model.to_json_dict() == mapped
        assert Study.from_json(model.to_json()) == model
        count += 1
    assert failed == UNMAPPABLE[folder]
    assert count > (200 if folder == "classic_api" else 7000)
