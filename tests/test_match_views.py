"""Match views stored ahead (``match.views``): made at import for the open trials, read
back equal to what matching would build, stale ones never read and made again, and a
refresh killed midway finished by the next one (each batch is one transaction), and `serve`
making stale ones again in the background."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CTGOV, Backend, needs_corpus
from trialscope.criteria.store import load_parse
from trialscope.importer import import_paths
from trialscope.match import views
from trialscope.match.bulk import fill_blank
from trialscope.match.reading import read_item
from trialscope.match.views import (
    OPEN_STATUSES,
    PROFILES,
    build_view,
    load_views,
    pending_views,
    refresh_views,
)
from trialscope.store import Store
from trialscope.store.sqlite import SQLiteStore

pytestmark = needs_corpus
SOURCE = CTGOV / "v2" / "DhanasaiBontu__clinical_trial_matchers.jsonl.gz"


@pytest.fixture
def store(backend: Backend) -> Iterator[Store]:
    with backend.open() as made:
        import_paths(made, [SOURCE])
        yield made


def _rows(store: Store) -> dict[int, tuple[str, str, bytes]]:
    rows = store.conn.execute("SELECT version_id, nct_id, view_key, data FROM match_views")
    return {int(v): (str(n), str(k), bytes(d)) for v, n, k, d in rows.fetchall()}


def test_import_stores_the_open_trials_views_equal_to_built_ones(store: Store) -> None:
    open_ids = store.nct_ids(statuses=OPEN_STATUSES)
    assert open_ids
    assert {n for n, _, _ in _rows(store).values()} == set(open_ids)
    assert pending_views(store) == 0
    stored = load_views(store, store.nct_ids())
    assert set(stored) == set(open_ids)
    for nct in open_ids[:40]:
        content_hash, view = stored[nct]
        assert content_hash == store.current_version(nct).content_hash
        parsed = load_parse(store, nct).parsed
        built = build_view(nct, store.study_json(nct), parsed)
        assert built.compiled is not None and view.compiled is not None
        for profile in PROFILES:
            fill_blank(built.compiled, parsed, built.concepts, profile)
        assert set(view.compiled.stored) == set(PROFILES)
        for unpack in list(view.compiled.stored.values()):
            unpack(view.compiled)  # what the first patient of each profile does
        assert (view.title, view.status, view.eligibility, view.concepts, view.screened) == (
            built.title, built.status, built.eligibility, built.concepts, built.screened
        )  # fmt: skip
        assert view.compiled.keys == built.compiled.keys
        assert view.compiled.stored_readings is not None
        view.compiled.stored_readings(view.compiled)
        assert view.compiled.readings == {item.index: read_item(item) for item in parsed.items}
        assert view.compiled.blank == built.compiled.blank
        assert view.compiled.blank_items == built.compiled.blank_items


def test_a_stale_view_is_not_read_and_is_made_again(store: Store) -> None:
    nct = store.nct_ids(statuses=OPEN_STATUSES)[0]
    version = store.conn.execute(
        "SELECT current_version_id FROM studies WHERE nct_id = ?", (nct,)
    ).fetchone()[0]
    with store.transaction() as db:
        db.execute("UPDATE match_views SET view_key = 'old' WHERE version_id = ?", (version,))
    assert nct not in load_views(store, [nct])
    assert pending_views(store) == 1
    assert refresh_views(store) == 1
    assert nct in load_views(store, [nct])


def test_a_refresh_killed_midway_is_finished_by_the_next(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = _rows(store)
    with store.transaction() as db:
        db.execute("DELETE FROM match_views")
    monkeypatch.setattr(views, "BATCH", 7)

    def killed(done: int, total: int) -> None:
        if done >= 14:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        refresh_views(store, on_progress=killed)
    assert len(_rows(store)) == 14  # two batches committed, nothing of the third
    assert refresh_views(store) == len(whole) - 14
    again = _rows(store)
    assert {v: (n, k) for v, (n, k, _) in again.items()} == {
        v: (n, k) for v, (n, k, _) in whole.items()
    }
    assert {v: d for v, (_, _, d) in again.items()} == {v: d for v, (_, _, d) in whole.items()}


def test_serve_makes_stale_views_again_in_the_background(tmp_path: Path) -> None:
    """After an upgrade that changes the matcher, `serve` starts the same background
    `reparse` as for stale parses, and it makes the views again."""
    from trialscope.cli.serve_commands import start_reparse

    db = tmp_path / "v.db"
    with SQLiteStore(db) as store:
        import_paths(store, [SOURCE])
        with store.transaction() as conn:
            conn.execute("UPDATE match_views SET view_key = 'an older matcher'")
        waiting = pending_views(store)
        assert waiting == len(store.nct_ids(statuses=OPEN_STATUSES))
        process = start_reparse(store, str(db))
    assert process is not None
    assert process.wait(timeout=600) == 0
    with SQLiteStore(db) as store:
        assert pending_views(store) == 0


def test_views_made_in_worker_processes_equal_one_process_views(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every status's views, made again with the pool (small batches, a kill midway and
    the rest by the next run), are byte for byte the ones one process made."""
    refresh_views(store, statuses=())  # one process: the closed trials too, if any
    whole = _rows(store)
    assert len(whole) > 30
    with store.transaction() as db:
        db.execute("DELETE FROM match_views")
    monkeypatch.setattr(views, "POOL_MIN", 1)
    monkeypatch.setattr(views, "BATCH", 9)
    monkeypatch.setattr(views, "PART", 2)

    def killed(done: int, total: int) -> None:
        if done >= 18:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        refresh_views(store, statuses=(), on_progress=killed, workers=2)
    assert len(_rows(store)) == 18  # two batches committed, not the one being built
    assert refresh_views(store, statuses=(), workers=2) == len(whole) - 18
    assert _rows(store) == whole
