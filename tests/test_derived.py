"""What an import or a sync derives from what it made current (``trialscope.derived``):
the studies a run marks are parsed and get their match view without a scan of every
study; a changed parser or matcher (another key) scans every study; a run killed while
parsing or making views leaves its marks and the next one finishes the work. Real
records into real stores, on both backends; the kill is a SIGKILL of a real import."""

from __future__ import annotations

import gzip
import itertools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CTGOV, Backend, needs_corpus
from trialscope.criteria.store import parse_counts
from trialscope.derived import (
    pending_marks,
    refresh_derived,
    refresh_marked_views,
    views_beside,
)
from trialscope.importer import import_paths
from trialscope.match.views import pending_views, view_key
from trialscope.store import open_store

pytestmark = needs_corpus

V2 = CTGOV / "v2" / "DhanasaiBontu__clinical_trial_matchers.jsonl.gz"
NEW_LINE = "* Platelets < 50 x 10^9/L (changed)"


def _studies(count: int) -> list[dict[str, Any]]:
    with gzip.open(V2, "rt") as lines:
        return [json.loads(line) for line in itertools.islice(lines, count)]


def _changed(study: dict[str, Any]) -> dict[str, Any]:
    """``study`` as CT.gov serves it after an update: open, a new date, a new criterion."""
    section = study["protocolSection"]
    status = section.setdefault("statusModule", {})
    status["overallStatus"] = "RECRUITING"
    status["lastUpdatePostDateStruct"] = {"date": "2026-12-06", "type": "ACTUAL"}
    eligibility = section.setdefault("eligibilityModule", {})
    text = eligibility.get("eligibilityCriteria") or "Inclusion Criteria:\n\n* Adults"
    eligibility["eligibilityCriteria"] = f"{text}\n\nExclusion Criteria:\n\n{NEW_LINE}"
    return study


def _write(path: Path, studies: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(s) + "\n" for s in studies))
    return path


def _nct(study: dict[str, Any]) -> str:
    return str(study["protocolSection"]["identificationModule"]["nctId"])


def test_a_run_derives_what_it_marked_and_a_new_key_scans_every_study(
    backend: Backend, tmp_path: Path
) -> None:
    studies = _studies(60)
    first = _write(tmp_path / "first.jsonl", studies)
    changed = [_changed(s) for s in studies[:5]]
    second = _write(tmp_path / "second.jsonl", changed)
    with backend.open() as store:
        import_paths(store, [first])  # a new store: every study looked at, keys recorded
        assert pending_marks(store) == 0
        recorded = store.conn.execute("SELECT parse_key, view_key FROM derive_state").fetchone()
        assert recorded[1] == view_key()
        # a parse made stale behind the marks' back: only a scan finds it
        unmarked = _nct(studies[-1])
        with store.transaction() as db:
            db.execute("UPDATE criteria_parses SET parse_key = 'old' WHERE nct_id = ?", (unmarked,))

        import_paths(store, [second])
        assert pending_marks(store) == 0
        for study in changed:  # their new versions: parsed, and viewed (they are open now)
            row = store.conn.execute(
                "SELECT c.data IS NOT NULL, m.view_key FROM studies s"
                " JOIN criteria_parses c ON c.version_id = s.current_version_id"
                " AND c.parse_key = ?"
                " JOIN match_views m ON m.version_id = s.current_version_id"
                " WHERE s.nct_id = ?",
                (recorded[0], _nct(study)),
            ).fetchone()
            assert row == (True, view_key()), _nct(study)
        assert parse_counts(store)["stale"] == 1  # the marks led to the changed studies only

        with store.transaction() as db:  # another parser ran here since: look at them all
            db.execute("UPDATE derive_state SET parse_key = 'another parser'")
        done = refresh_derived(store)
        assert done.parses_scanned and not done.views_scanned
        assert done.parsed == 1
        assert parse_counts(store)["stale"] == 0 and pending_views(store) == 0
        assert store.conn.execute("SELECT parse_key FROM derive_state").fetchone() == (recorded[0],)


def test_a_store_from_before_the_marks_is_scanned_once(backend: Backend, tmp_path: Path) -> None:
    studies = _studies(20)
    with backend.open() as store:
        import_paths(store, [_write(tmp_path / "a.jsonl", studies)])
        # as a store migrated from before 0012: no keys, and parses never made
        with store.transaction() as db:
            db.execute("UPDATE derive_state SET parse_key = NULL, view_key = NULL")
            db.execute("DELETE FROM match_views")
            db.execute("DELETE FROM criteria_parses")
        done = refresh_derived(store)
        assert done.parses_scanned and done.views_scanned
        assert done.parsed == len(studies)
        assert parse_counts(store)["current"] == len(studies) and pending_views(store) == 0
        again = refresh_derived(store)
        assert (again.parsed, again.views, again.parses_scanned) == (0, 0, False)


# -- killed while deriving what a run marked ------------------------------------------------

#: studies changed by the second run: criteria parses take 3 transactions (500 each), open
#: trials' views 6 (200 each, in the worker pool from 1,000)
CHANGED = 1100

STAGES = {
    "criteria": "SELECT count(*) FROM criteria_parses",
    "views": "SELECT count(*) FROM match_views",
}


def _v2(tmp_path: Path) -> tuple[Path, Path]:
    """v2 studies from the corpus's files, then each one changed (open, a new criterion)."""
    studies: dict[str, dict[str, Any]] = {}
    for path in sorted((CTGOV / "v2").glob("*.jsonl*")):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt") as lines:
            for line in lines:
                study = json.loads(line)
                if "protocolSection" in study:
                    studies.setdefault(_nct(study), study)
        if len(studies) >= CHANGED:
            break
    chosen = list(studies.values())[:CHANGED]
    assert len(chosen) == CHANGED
    first = _write(tmp_path / "first.jsonl", chosen)
    second = _write(
        tmp_path / "second.jsonl", [_changed(json.loads(json.dumps(s))) for s in chosen]
    )
    return first, second


def _import(location: str, path: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "trialscope", "--db", location, "import", "--quiet"]
    env = {**os.environ, "TRIALSCOPE_WORKERS": "2"}
    return subprocess.Popen([*command, "--json", str(path)], env=env, stdout=subprocess.DEVNULL)


def _count(location: str, sql: str) -> int:
    try:
        with open_store(location) as store:
            return int(store.conn.execute(sql).fetchone()[0])
    except Exception:  # the database or the table not there yet, or locked
        return 0


def _derived(location: str) -> dict[str, Any]:
    with open_store(location) as store:
        views = store.conn.execute(
            "SELECT s.nct_id, m.view_key FROM studies s JOIN match_views m"
            " ON m.version_id = s.current_version_id"
        ).fetchall()
        return {
            "parses": parse_counts(store),
            "views": sorted((str(n), str(k)) for n, k in views),
            "views_waiting": pending_views(store),
            "marks": pending_marks(store),
        }


@pytest.mark.parametrize("stage", list(STAGES))
def test_killed_while_deriving_what_it_marked_the_next_run_finishes(
    backend: Backend, tmp_path: Path, stage: str
) -> None:
    first, second = _v2(tmp_path)
    straight = backend.location()
    for path in (first, second):
        assert _import(straight, path).wait() == 0
    expected = _derived(straight)
    assert expected["parses"]["current"] == expected["parses"]["studies"] == CHANGED
    assert len(expected["views"]) == CHANGED  # every changed study is open
    assert expected["views_waiting"] == 0 and expected["marks"] == 0

    killed = backend.location()
    assert _import(killed, first).wait() == 0  # keys recorded: the next run reads marks
    before = _count(killed, STAGES[stage])
    proc = _import(killed, second)
    deadline = time.monotonic() + 600
    while _count(killed, STAGES[stage]) <= before:
        assert proc.poll() is None, f"the import ended before its {stage} stage was killed"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    midway = _derived(killed)
    assert midway["marks"] == CHANGED  # nothing is unmarked before its view is written
    if stage == "criteria":
        assert midway["parses"]["stale"] + midway["parses"]["unparsed"] > 0
    else:
        assert 0 < midway["views_waiting"] < CHANGED

    # the same input again: every record unchanged, nothing newly marked; the marks the
    # killed run left lead this one to the rest of the work
    assert _import(killed, second).wait() == 0
    assert _derived(killed) == expected


# -- the views beside a later stage (a sync's index and related trials) ---------------------


def _open_and_marked(backend: Backend, tmp_path: Path) -> str:
    """A store whose second run left its 30 views (and marks) for later."""
    studies = _studies(40)
    location = backend.location()
    with open_store(location) as store:
        import_paths(store, [_write(tmp_path / "first.jsonl", studies)])
        changed = [_changed(s) for s in studies[:30]]
        with pytest.MonkeyPatch.context() as patch:  # the import's own pass makes no views
            patch.setattr("trialscope.derived.refresh_marked_views", lambda *a, **k: (0, False))
            import_paths(store, [_write(tmp_path / "second.jsonl", changed)])
        assert pending_marks(store) == 30 and pending_views(store) == 30
        assert parse_counts(store)["current"] == 40
    return location


def test_views_beside_are_made_by_the_child(backend: Backend, tmp_path: Path) -> None:
    location = _open_and_marked(backend, tmp_path)
    with open_store(location) as store:
        with views_beside(store) as child:
            assert child is not None
        assert child.exitcode == 0
        assert pending_views(store) == 0 and pending_marks(store) == 0
        assert refresh_marked_views(store) == (0, False)  # the parent's pass: nothing left


def test_views_beside_killed_are_finished_by_the_parent(backend: Backend, tmp_path: Path) -> None:
    location = _open_and_marked(backend, tmp_path)
    with open_store(location) as store:
        with views_beside(store) as child:
            assert child is not None and child.pid is not None
            os.kill(child.pid, signal.SIGKILL)
        assert child.exitcode == -signal.SIGKILL
        left = pending_views(store)
        made, scanned = refresh_marked_views(store)
        assert (made, scanned) == (left, False)
        assert pending_views(store) == 0 and pending_marks(store) == 0
