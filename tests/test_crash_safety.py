"""SIGKILL an import midway, run it again: the store equals an uninterrupted run's."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from .conftest import CTGOV, needs_corpus, store_state

pytestmark = needs_corpus

# AACT's many dated versions exercise the version chain; the big file gives volume.
INPUTS = [
    CTGOV / "legacy_xml" / "ctti-clinicaltrials__aact.jsonl.gz",
    CTGOV / "legacy_xml" / "reesewang25__enrollment_and_studylength.jsonl.gz",
]


def _command(db: Path) -> list[str]:
    return [sys.executable, "-m", "trialscope", "--db", str(db), "import", "--quiet", "--json"]


def _env() -> dict[str, str]:
    return {**os.environ, "TRIALSCOPE_BATCH_SIZE": "50"}


def _import(db: Path) -> None:
    subprocess.run([*_command(db), *map(str, INPUTS)], check=True, env=_env(), capture_output=True)


def _stored_versions(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=1) as conn:
            return int(conn.execute("SELECT count(*) FROM versions").fetchone()[0])
    except sqlite3.Error:
        return 0


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


def test_killed_import_resumes_to_the_same_store(tmp_path: Path) -> None:
    straight = tmp_path / "straight.db"
    _import(straight)
    expected = store_state(straight)
    assert len(expected["current"]) > 6000

    killed = tmp_path / "killed.db"
    proc = subprocess.Popen([*_command(killed), *map(str, INPUTS)], env=_env())
    deadline = time.monotonic() + 120
    while _stored_versions(killed) < 500 and time.monotonic() < deadline:
        time.sleep(0.05)
    workers = _children(proc.pid)
    assert workers, "the import runs a worker pool"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    # its workers notice their parent is gone and exit instead of lingering as orphans
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in workers if _alive(pid)]
    partial = _stored_versions(killed)
    assert 0 < partial < len(expected["versions"]), "the kill must land midway"

    _import(killed)
    assert store_state(killed) == expected
