"""The related corpus kept in a file beside the store (trialscope.search.related_cache):
patched with the studies that changed, it equals the corpus read afresh from the store,
and the lists a refresh stores with it are those a refresh without it stores; a file
left behind by a killed run (older than the store, damaged, of another store) is patched
or replaced, never trusted. On both backends, with the shared corpus's real records."""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Backend, needs_corpus
from tests.test_related import corpus_files, lists
from trialscope.criteria.vocabulary import terminology
from trialscope.importer import import_paths
from trialscope.search import related, related_cache, related_spread
from trialscope.service import refresh_index
from trialscope.store import Store

pytestmark = needs_corpus

CHANGED = 48
NEW = 6


@pytest.fixture(scope="module")
def pair(backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Two stores of the same records: ``cached`` keeps its corpus file, ``full`` reads
    every row at each refresh."""
    folder = tmp_path_factory.mktemp("related_cache")
    files = corpus_files(folder)
    with backend.open() as cached, backend.open() as full:
        for store in (cached, full):
            with no_file(store is full):
                import_paths(store, files)
                refresh_index(store)
        yield {"cached": cached, "full": full, "folder": folder}


class no_file:
    """Within: every corpus load reads the store in full, without a file (nor the
    features a first refresh kept)."""

    def __init__(self, active: bool = True) -> None:
        self.patch = pytest.MonkeyPatch()
        self.active = active

    def __enter__(self) -> None:
        if self.active:
            self.patch.setattr(related_cache, "cache_path", lambda store: None)
            self.patch.setattr(related_cache.Stored, "begin", lambda db: None)

    def __exit__(self, *exc: object) -> None:
        self.patch.undo()


def fresh(store: Store) -> related_cache.Tables:
    return related_cache._full(store.conn)


def on_file(store: Store) -> related_cache.Tables:
    path = related_cache.cache_path(store)
    assert path is not None and path.exists()
    found = related_cache._read(path)
    assert found is not None
    return found[1]


def changed_records(store: Store, folder: Path) -> tuple[Path, set[str]]:
    """Studies changed as CT.gov changes them: new condition and title, only a new date,
    every feature gone, a new intervention; and studies new to the store. Returns the
    file and the studies whose features changed (all but those with only a new date)."""
    ids = sorted(str(r[0]) for r in store.conn.execute("SELECT nct_id FROM studies"))
    out = folder / "changed.jsonl"
    features: set[str] = set()
    with out.open("w") as lines:
        for n, nct in enumerate(ids[:: max(1, len(ids) // CHANGED)][:CHANGED]):
            study = store.study_json(nct)
            section = study.setdefault("protocolSection", {})
            status = section.setdefault("statusModule", {})
            status["lastUpdatePostDateStruct"] = {"date": f"2026-12-{1 + n % 5:02d}"}
            conditions = section.setdefault("conditionsModule", {})
            ident = section.setdefault("identificationModule", {})
            if n % 4 == 0:
                conditions["conditions"] = [*(conditions.get("conditions") or []), "Hypertension"]
                ident["briefTitle"] = f"{ident.get('briefTitle') or 'A study'} in Hypertension"
            elif n % 4 == 2:
                conditions["conditions"] = []
                conditions.pop("keywords", None)
                ident["briefTitle"] = "Zq"
                section.pop("armsInterventionsModule", None)
                study.pop("derivedSection", None)
            elif n % 4 == 3:
                arms = section.setdefault("armsInterventionsModule", {})
                drug = {"type": "DRUG", "name": f"Trialscopimab {n}"}
                arms["interventions"] = [*(arms.get("interventions") or []), drug]
            lines.write(json.dumps(study) + "\n")
            if n % 4 != 1:
                features.add(nct)
            if n < NEW:
                twin = copy.deepcopy(study)
                twin["protocolSection"]["identificationModule"]["nctId"] = f"NCT990000{n:02d}"
                lines.write(json.dumps(twin) + "\n")
                features.add(f"NCT990000{n:02d}")
    return out, features


def test_the_file_holds_the_corpus_the_store_holds(pair: dict[str, Any]) -> None:
    cached = pair["cached"]
    assert on_file(cached) == fresh(cached)
    assert lists(cached) == lists(pair["full"])


def test_a_first_refresh_makes_its_corpus_from_the_features_it_stored(
    backend: Backend, pair: dict[str, Any], tmp_path: Path
) -> None:
    """On a store without features the corpus is the features the stage kept, not a
    read-back of them; the same tables and lists as the store's rows give."""
    full_loads: list[object] = []
    real_full = related_cache._full
    with backend.open() as store, pytest.MonkeyPatch.context() as patch:
        patch.setattr(related_cache, "_full", lambda db: full_loads.append(db) or real_full(db))
        import_paths(store, corpus_files(tmp_path))
        timed: dict[str, float] = {}
        refresh_index(store, seconds=timed)
        assert full_loads == [] and timed["related_kept"] == 1.0
        assert on_file(store) == fresh(store)
        assert lists(store) == lists(pair["full"])


def test_features_stored_beside_a_first_refresh_make_it_read_the_store(
    backend: Backend, pair: dict[str, Any], tmp_path: Path
) -> None:
    """Another writer's features (a concurrent importer on PostgreSQL) move the
    generation past the stage's own changes: the kept features are not all the store
    holds, so the corpus is read from the store."""
    real_add = related_cache.Stored.add
    beside: list[str] = []

    def add_then_another_writes(kept: related_cache.Stored, found: Any, bumped: bool) -> None:
        real_add(kept, found, bumped)
        if not beside:  # as related.store_features writes a changed study's features
            beside.append(sorted(found)[0])
            with store.transaction() as db:
                db.execute(
                    "INSERT INTO related_features (nct_id, kind, feature) VALUES (?, 't', ?)",
                    (beside[0], "zzbeside"),
                )
                related._log_changes(db, beside)

    full_loads: list[object] = []
    real_full = related_cache._full
    with backend.open() as store, pytest.MonkeyPatch.context() as patch:
        patch.setattr(related_cache.Stored, "add", add_then_another_writes)
        patch.setattr(related_cache, "_full", lambda db: full_loads.append(db) or real_full(db))
        import_paths(store, corpus_files(tmp_path))
        timed: dict[str, float] = {}
        refresh_index(store, seconds=timed)
        assert len(full_loads) == 1 and timed["related_kept"] == 0.0
        tables = on_file(store)
        assert tables == fresh(store)
        assert "tzzbeside" in tables.keys


def test_a_patched_corpus_gives_the_lists_a_full_load_gives(pair: dict[str, Any]) -> None:
    cached, full = pair["cached"], pair["full"]
    path = related_cache.cache_path(cached)
    assert path is not None
    before = pair["folder"] / "before.corpus"
    shutil.copyfile(path, before)
    records, changed = changed_records(cached, pair["folder"])
    full_loads: list[object] = []
    real_full = related_cache._full
    for store in (cached, full):
        with no_file(store is full), pytest.MonkeyPatch.context() as patch:
            patch.setattr(related_cache, "_full", lambda db: full_loads.append(db) or real_full(db))
            import_paths(store, [records])
            refresh_index(store)
        if store is cached:
            assert full_loads == []  # the file was patched, not replaced by a full load
    patched = on_file(cached)
    assert patched == fresh(cached)
    # new studies came in, and a study left without features went out
    assert {f"NCT990000{n:02d}" for n in range(NEW) if n % 4 != 2} <= set(patched.ids)
    assert "NCT99000002" not in patched.ids
    assert lists(cached) == lists(full)  # the same lists stored, whatever was recomputed
    vocab = terminology()
    from_file = related.load_corpus(cached, vocab)
    from_rows = related.load_corpus(cached, vocab, cache=False)
    assert all(from_file.neighbours(n) == from_rows.neighbours(n) for n in from_rows.ids)
    assert_spread(cached, from_file, changed)
    # a kill after the store committed but before the file was written leaves the old
    # file: the next load patches it with everything since
    shutil.copyfile(before, path)
    assert related_cache.load_tables(cached) == fresh(cached)
    assert on_file(cached) == fresh(cached)


def test_a_damaged_or_foreign_file_is_replaced(pair: dict[str, Any]) -> None:
    cached = pair["cached"]
    path = related_cache.cache_path(cached)
    assert path is not None
    good = path.read_bytes()
    expected = fresh(cached)
    orphan = path.with_name(f"{path.name}.999999999.tmp")  # a writer killed mid-write
    for damaged in (good[: len(good) // 2], good[:-3], b"not a corpus", b""):
        path.write_bytes(damaged)
        orphan.write_bytes(damaged)
        assert related_cache.load_tables(cached) == expected
        assert path.read_bytes() == good and not orphan.exists()
    header, tables = related_cache._read(path) or ({}, expected)
    for foreign in ({"store_id": "another"}, {"related": 10**9}, {"index": 10**9}):
        related_cache._write(path, tables, {**header, **foreign})
        assert related_cache.load_tables(cached) == expected
        assert path.read_bytes() == good


def assert_spread(store: Store, corpus: related.Corpus, changed: set[str]) -> None:
    """Of the trials a study whose features changed lists now, every one whose list it
    is in, or would now rank in, had its list computed again (a list computed again is
    the search's now); the others kept theirs."""
    stored = lists(store)
    again = kept = 0
    for nct in sorted(changed & set(stored)):
        for target in {o for o, _, _ in stored[nct]}:
            now = [(x.nct_id, x.score, x.title_similarity) for x in corpus.neighbours(target)]
            if stored[target] == now:
                again += 1
            else:
                assert not related_spread.may_enter(corpus, stored[target], target, nct)
                kept += 1
    assert again and kept  # both kinds were met
