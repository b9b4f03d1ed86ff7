"""SIGKILL an import in each of its stages (storing versions, parsing their criteria,
indexing them for search, storing their related trials) and run it again: the versions,
the criteria parses, the search index and the related trials equal an uninterrupted
run's, on both backends."""

from __future__ import annotations

import gzip
import itertools
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.conftest import CTGOV, Backend, derived_state, needs_corpus, store_state
from trialscope.store import open_store

pytestmark = needs_corpus

# AACT's many dated versions exercise the version chain; the big file gives volume.
AACT = CTGOV / "legacy_xml" / "ctti-clinicaltrials__aact.jsonl.gz"
BIG = CTGOV / "legacy_xml" / "reesewang25__enrollment_and_studylength.jsonl.gz"
#: enough studies that criteria parsing and related trials run a process pool (2,000) and
#: that each stage takes several of its transactions (batches of 500), so a kill can land
#: between them
BIG_RECORDS = 2400


@dataclass(frozen=True)
class Stage:
    """A stage of `trialscope import`: the row count that shows it has written something,
    and whether it runs worker processes."""

    name: str
    progress: str
    at_least: int
    pooled: bool


STAGES = {
    "import": Stage("import", "SELECT count(*) FROM versions", 500, pooled=True),
    "criteria": Stage("criteria", "SELECT count(*) FROM criteria_parses", 1, pooled=True),
    "index": Stage("index", "SELECT count(*) FROM search_docs", 1, pooled=True),
    "related": Stage("related", "SELECT count(*) FROM related_lists", 1, pooled=True),
}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """AACT's versions and the first records of the big file (a copy in a temp folder)."""
    part = tmp_path_factory.mktemp("inputs") / "reesewang25_part.jsonl"
    with gzip.open(BIG, "rb") as source, open(part, "wb") as out:
        out.writelines(itertools.islice(source, BIG_RECORDS))
    return [AACT, part]


def _command(location: str, inputs: list[Path]) -> list[str]:
    run = [sys.executable, "-m", "trialscope", "--db", location, "import", "--quiet", "--json"]
    return [*run, *map(str, inputs)]


def _env() -> dict[str, str]:
    # two workers whatever the machine, so the stages that can use a pool do
    return {**os.environ, "TRIALSCOPE_BATCH_SIZE": "50", "TRIALSCOPE_WORKERS": "2"}


def _import(location: str, inputs: list[Path]) -> None:
    done = subprocess.run(_command(location, inputs), env=_env(), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@dataclass
class Expected:
    store: dict[str, Any]
    derived: dict[str, Any]
    indexes: list[str]

    def count(self, stage: Stage) -> int:
        return {
            "import": len(self.store["versions"]),
            "criteria": len(self.derived["parses"]),
            "index": len(self.derived["docs"]),
            "related": len(self.derived["related_lists"]),
        }[stage.name]


def _indexes(location: str) -> list[str]:
    """Every index of the store by name (none left set aside by a killed first build)."""
    with open_store(location) as opened:
        if opened.dialect == "sqlite":
            sql = "SELECT name FROM sqlite_master WHERE type = 'index'"
        else:
            sql = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
        return sorted(str(r[0]) for r in opened.conn.execute(sql))


@pytest.fixture(scope="module")
def expected(backend: Backend, inputs: list[Path]) -> Expected:
    """The state of an uninterrupted import, on this backend."""
    location = backend.location()
    _import(location, inputs)
    found = Expected(store_state(location), derived_state(location), _indexes(location))
    studies = len(found.store["current"])
    assert studies > BIG_RECORDS
    # every current version parsed, every study indexed, nothing left waiting
    assert len(found.derived["parses"]) == studies
    assert len(found.derived["docs"]) == studies
    assert found.derived["terms"] and found.derived["sites"] and found.derived["places"]
    assert found.derived["dirty"] == [] and found.derived["related_dirty"] == []
    assert len(found.derived["related_lists"]) == studies
    return found


@pytest.fixture
def counter(backend: Backend) -> Iterator[Any]:
    """count(location, sql): a row count read beside a running import (0 before its
    database or table exists)."""
    opened: list[psycopg.Connection[Any]] = []

    def count(location: str, sql: str) -> int:
        try:
            if backend.server is None:
                uri = f"file:{location}?mode=ro"
                with closing(sqlite3.connect(uri, uri=True, timeout=1)) as conn:
                    return int(conn.execute(sql).fetchone()[0])
            if not opened:
                opened.append(psycopg.connect(location, autocommit=True))
            row = opened[0].execute(sql).fetchone()
            return int(row[0]) if row else 0
        except (sqlite3.Error, psycopg.Error):
            return 0

    yield count
    for conn in opened:
        conn.close()


def _children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(x) for x in found.read_text().split()] if found.exists() else []


def _alive(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status")
    try:
        state = next(line for line in status.read_text().splitlines() if line.startswith("State"))
    except (OSError, StopIteration):
        return False
    return "Z" not in state  # a zombie has exited


@pytest.mark.parametrize("stage", list(STAGES))
def test_import_killed_in_each_stage_resumes_to_the_same_state(
    backend: Backend, inputs: list[Path], expected: Expected, counter: Any, stage: str
) -> None:
    killed_in = STAGES[stage]
    location = backend.location()
    proc = subprocess.Popen(_command(location, inputs), env=_env())
    deadline = time.monotonic() + 600
    while counter(location, killed_in.progress) < killed_in.at_least:
        assert proc.poll() is None, f"the import ended before its {stage} stage was killed"
        assert time.monotonic() < deadline, f"the {stage} stage never started"
        time.sleep(0.02)
    workers = _children(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    if killed_in.pooled:
        assert workers, f"the {stage} stage runs a worker pool"
    # its workers notice their parent is gone and exit instead of lingering as orphans
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in workers if _alive(pid)], f"orphans of the {stage} stage"
    written = counter(location, killed_in.progress)
    assert 0 < written < expected.count(killed_in), f"the kill must land midway ({stage})"
    if stage == "index" and backend.server is None:
        # a first build on SQLite: killed with its side tables' indexes set aside
        assert counter(location, "SELECT count(*) FROM bulk_undo") > 0
    if stage == "related":
        # a first build of the lists, on both backends: killed with the index on
        # related_trials.other set aside
        assert counter(location, "SELECT count(*) FROM bulk_undo") == 1

    _import(location, inputs)
    assert store_state(location) == expected.store
    resumed = derived_state(location)
    for part, rows in expected.derived.items():
        assert resumed[part] == rows, part
    assert _indexes(location) == expected.indexes
