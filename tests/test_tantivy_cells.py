"""The sites' cells in the change log: the index writer, which places the sites, logs
each study's cells with its engine document, and a replay indexes those instead of
reading the sites back and making them again (issue 13). Documents logged before
(without cells) are indexed from the sites as they were: the same index either way."""

from __future__ import annotations

import hashlib
from pathlib import Path

import orjson

from tests.conftest import CTGOV, Backend, needs_corpus
from trialscope.config import SearchSettings
from trialscope.importer import import_paths
from trialscope.search import GeoFilter, SearchEngine, SearchQuery, SortOrder, locate_place
from trialscope.search import index as search_index
from trialscope.search.geo_cells import LOGGED_AS
from trialscope.search.rows import read_engine_doc
from trialscope.search.tantivy_index import TantivyIndex, _site_cells
from trialscope.store import Store
from trialscope.store.codec import compress

pytestmark = needs_corpus

FILES = [
    CTGOV / "v2" / "vrinda2019__NSCLCBench.jsonl.gz",
    CTGOV / "legacy_xml" / "datasets__clinical-trials-us.jsonl",
]


def _logged(store: Store) -> dict[str, dict[str, object]]:
    return {
        str(nct_id): read_engine_doc(doc)
        for nct_id, doc in store.conn.execute("SELECT nct_id, doc FROM search_log")
        if doc is not None
    }


def _content(folder: Path) -> list[tuple[int, list[str]]]:
    """Each live segment's size and its files' digests (segment ids are random)."""
    state = orjson.loads((folder / "state.json").read_bytes())
    build = folder / state["build"]
    meta = orjson.loads((build / "meta.json").read_bytes())
    found = []
    for segment in meta["segments"]:
        prefix = segment["segment_id"].replace("-", "")
        files = sorted(build.glob(prefix + ".*"))
        found.append(
            (
                segment["max_doc"],
                [f"{f.suffix}:{hashlib.sha256(f.read_bytes()).hexdigest()}" for f in files],
            )
        )
    return found


def _radius_answers(store: Store, folder: Path) -> list[object]:
    engine = SearchEngine(store, settings=SearchSettings("tantivy", str(folder)))
    answers: list[object] = []
    for name, km in (("Boston", 50), ("Houston", 200), ("New York", 30), ("Chicago", 100)):
        place = locate_place(name)
        near = GeoFilter(place.lat, place.lon, km, place.label)
        for query in (
            SearchQuery(geo=near, limit=50),
            SearchQuery(geo=near, site_statuses=("RECRUITING",), limit=50),
            SearchQuery(text="cancer", geo=near, sort=SortOrder.DISTANCE, limit=50),
        ):
            found = engine.search(query)
            answers.append((found.total, [h.nct_id for h in found.hits], found.facets))
    return answers


def test_the_index_writer_logs_each_studys_cells(backend: Backend) -> None:
    with backend.open() as store:
        import_paths(store, FILES)
        search_index.refresh(store)
        logged = _logged(store)
        assert len(logged) > 100
        from_sites = _site_cells(store.conn, sorted(logged))
        assert sum(bool(cells) for cells in from_sites.values()) > 50
        for nct_id, data in logged.items():
            assert data[LOGGED_AS] == from_sites.get(nct_id, []), nct_id


def test_a_replay_indexes_the_logged_cells_and_reads_no_site(backend: Backend) -> None:
    """And an index rebuilt from documents logged without cells (an older store) is the
    same, file for file, and answers every radius alike."""
    with backend.open() as store:
        import_paths(store, FILES)
        search_index.refresh(store)
        engine = SearchEngine(store)
        assert engine.top is not None
        base = engine.top.folder.parent
        statements: list[str] = []
        if store.dialect == "sqlite":
            store.conn.set_trace_callback(statements.append)  # type: ignore[attr-defined]
        logged = TantivyIndex(base / "logged")
        logged.catch_up(store)
        if store.dialect == "sqlite":
            store.conn.set_trace_callback(None)  # type: ignore[attr-defined]
            assert any("search_log" in s for s in statements)
            assert not any("search_sites" in s for s in statements)
        # the same log as an older trialscope wrote it: no cells in the documents
        old = [
            (compress(orjson.dumps({k: v for k, v in data.items() if k != LOGGED_AS})), nct_id)
            for nct_id, data in _logged(store).items()
        ]
        with store.transaction() as db:
            db.executemany("UPDATE search_log SET doc = ? WHERE nct_id = ?", old)
        assert not any(LOGGED_AS in data for data in _logged(store).values())
        unlogged = TantivyIndex(base / "unlogged")
        unlogged.catch_up(store)
        assert _content(base / "unlogged") == _content(base / "logged")
        answers = _radius_answers(store, base / "logged")
        assert sum(total for total, _, _ in answers) > 0  # type: ignore[misc]
        assert _radius_answers(store, base / "unlogged") == answers
