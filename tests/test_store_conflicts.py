"""Two PostgreSQL writers whose transactions cross: the victim's error is a
StoreConflict, and a stage run with ``again_on_conflict`` finishes (the concurrency test
saw an importer stop on "deadlock detected" under load)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tests import pg_server
from trialscope.errors import StoreConflict
from trialscope.store import open_store
from trialscope.store.conflicts import again_on_conflict


def crossed(url: str) -> list[BaseException | None]:
    """Two transactions locking rows 1 and 2 in opposite orders: PostgreSQL picks one
    as the deadlock's victim."""
    with open_store(url) as store:
        store.conn.execute("CREATE TABLE IF NOT EXISTS crossing (id INT PRIMARY KEY, v INT)")
        store.conn.execute("INSERT INTO crossing VALUES (1, 0), (2, 0) ON CONFLICT (id) DO NOTHING")
    both = threading.Barrier(2)
    outcome: list[BaseException | None] = [None, None]

    def writer(slot: int, first: int, second: int) -> None:
        try:
            with open_store(url) as store, store.transaction() as db:
                db.execute("UPDATE crossing SET v = v + 1 WHERE id = ?", (first,))
                both.wait(timeout=30)
                db.execute("UPDATE crossing SET v = v + 1 WHERE id = ?", (second,))
        except BaseException as exc:
            outcome[slot] = exc

    threads = [
        threading.Thread(target=writer, args=(0, 1, 2)),
        threading.Thread(target=writer, args=(1, 2, 1)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcome


def test_a_deadlock_is_a_store_conflict(pg: pg_server.PgServer) -> None:
    outcome = crossed(pg.new_database())
    failed = [exc for exc in outcome if exc is not None]
    assert len(failed) == 1, outcome
    assert isinstance(failed[0], StoreConflict), repr(failed[0])
    assert "deadlock detected" in str(failed[0])


def test_a_stage_that_crossed_another_runs_again(pg: pg_server.PgServer) -> None:
    url = pg.new_database()
    runs: list[Any] = []

    def stage() -> str:
        runs.append(1)
        if len(runs) == 1:
            failed = [exc for exc in crossed(url) if exc is not None]
            raise failed[0]  # the real conflict PostgreSQL raised
        return "done"

    assert again_on_conflict(stage) == "done"
    assert len(runs) == 2


def test_a_conflict_that_keeps_coming_is_reported() -> None:
    def stage() -> None:
        raise StoreConflict("Database error: deadlock detected")

    with pytest.raises(StoreConflict):
        again_on_conflict(stage, attempts=2)
