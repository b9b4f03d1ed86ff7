"""Small helpers that pull real records out of ../shared/data/ctgov for tests."""

from __future__ import annotations

import gzip
import itertools
from pathlib import Path
from typing import Any

import orjson

from tests.conftest import CTGOV


def _lines(path: Path) -> list[bytes]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        return [line for line in handle if line.strip()]


def v2_records(count: int, file: str = "alexxpz__LLM.jsonl") -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in _lines(CTGOV / "v2" / file)[:count]]


def classic_records(count: int) -> list[dict[str, Any]]:
    path = CTGOV / "classic_api" / "ctti-clinicaltrials__aact.jsonl.gz"
    return [orjson.loads(line) for line in itertools.islice(_lines(path), count)]


def legacy_wrappers(count: int, file: str = "hyperlist__trec-pm.jsonl") -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in _lines(CTGOV / "legacy_xml" / file)[:count]]


def nct_of(study: dict[str, Any]) -> str:
    nct: str = study["protocolSection"]["identificationModule"]["nctId"]
    return nct
