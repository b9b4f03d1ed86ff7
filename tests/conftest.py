"""Shared fixtures: the real corpus in ../shared/data, and a real SQLite store per test."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest

from trialscope.store import SQLiteStore

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
CTGOV = SHARED_DATA / "ctgov"
FIXTURES = Path(__file__).parent / "fixtures"
RECORD_FOLDERS = ("v2", "classic_api", "legacy_xml", "seeds")

needs_corpus = pytest.mark.skipif(
    not CTGOV.is_dir(), reason=f"shared corpus not found at {CTGOV} (clone ../shared beside)"
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    with SQLiteStore(tmp_path / "test.db") as opened:
        yield opened


def catalog_record_ids() -> set[str]:
    """Distinct NCT ids that catalog.tsv lists as full CT.gov records."""
    with open(CTGOV / "catalog.tsv", newline="", encoding="utf-8") as handle:
        rows = csv.DictReader(handle, delimiter="\t")
        return {row["nct_id"] for row in rows if row["format"].startswith("ctgov_")}


def record_paths() -> list[Path]:
    return [CTGOV / name for name in RECORD_FOLDERS]
