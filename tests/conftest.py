"""Shared fixtures: the real corpus in ../shared/data, and a real SQLite store per test."""

from __future__ import annotations

import csv
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


def store_state(db: Path) -> dict[str, Any]:
    """What must be equal between an interrupted-then-resumed run and an uninterrupted one:
    every version, each study's current version, and the field changes between versions
    (by content hash, since row ids and timestamps legitimately differ)."""
    with sqlite3.connect(db) as conn:
        return {
            "versions": sorted(conn.execute("SELECT nct_id, content_hash FROM versions")),
            "current": sorted(
                conn.execute(
                    "SELECT s.nct_id, v.content_hash FROM studies s"
                    " JOIN versions v ON v.id = s.current_version_id"
                )
            ),
            "changes": sorted(
                conn.execute(
                    "SELECT c.nct_id, a.content_hash, b.content_hash, c.path, c.kind,"
                    " c.old_value, c.new_value FROM changes c"
                    " JOIN versions a ON a.id = c.from_version_id"
                    " JOIN versions b ON b.id = c.to_version_id"
                )
            ),
        }


def catalog_record_ids() -> set[str]:
    """Distinct NCT ids that catalog.tsv lists as full CT.gov records."""
    with open(CTGOV / "catalog.tsv", newline="", encoding="utf-8") as handle:
        rows = csv.DictReader(handle, delimiter="\t")
        return {row["nct_id"] for row in rows if row["format"].startswith("ctgov_")}


def record_paths() -> list[Path]:
    return [CTGOV / name for name in RECORD_FOLDERS]
