"""The two search engines side by side on each backend: the tantivy index beside the store
must answer as the SQL engine does (hit sets, totals, facets, site and distance filters,
exact cursor paging), and catch up by itself after changes made by other processes, on
other hosts, or cut short by kill -9."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import orjson
import pytest

from tests.conftest import CTGOV, FIXTURES, Backend, needs_corpus
from trialscope.config import SearchSettings, search_settings
from trialscope.importer import import_paths
from trialscope.search import (
    GeoFilter,
    SearchEngine,
    SearchQuery,
    SortOrder,
    locate_place,
    tantivy_index,
)
from trialscope.search.engine import clear_caches
from trialscope.search.tantivy_index import TantivyIndex, store_position
from trialscope.store import SQLiteStore, Store

pytestmark = needs_corpus

FILES = [
    CTGOV / "v2" / "DhanasaiBontu__clinical_trial_matchers.jsonl.gz",
    CTGOV / "v2" / "dgg32__graph_bigquery.jsonl.gz",
    CTGOV / "v2" / "vrinda2019__NSCLCBench.jsonl.gz",
    CTGOV / "legacy_xml" / "datasets__clinical-trials-us.jsonl",
]
SEED_OLD = CTGOV / "seeds" / "NCT04416854.legacy_ctgov.xml"
SEED_NEW = FIXTURES / "NCT04416854.2026.v2.json"
SQL = SearchSettings("sql")


def _near(name: str, km: float) -> GeoFilter:
    place = locate_place(name)
    return GeoFilter(place.lat, place.lon, km, place.label)


#: no text: the two engines must find exactly the same studies
FILTERS = [
    SearchQuery(),
    SearchQuery(statuses=("RECRUITING",)),
    SearchQuery(statuses=("RECRUITING", "NOT_YET_RECRUITING"), phases=("PHASE2", "PHASE3")),
    SearchQuery(study_types=("OBSERVATIONAL",), has_results=False),
    SearchQuery(intervention_types=("BEHAVIORAL", "DEVICE")),
    SearchQuery(age_years=10),
    SearchQuery(age_years=70, sex="MALE", healthy_volunteers=True),
    SearchQuery(has_results=True),
    SearchQuery(start_from="2020-01", start_to="2022-06-30"),
    SearchQuery(updated_from="2023-01-01"),
    SearchQuery(country="India"),
    SearchQuery(country="united states", statuses=("COMPLETED",)),
    SearchQuery(country="India", site_statuses=("RECRUITING",)),
    SearchQuery(city="Boston", state="Massachusetts"),
    SearchQuery(site_statuses=("RECRUITING", "NOT_YET_RECRUITING")),
    SearchQuery(geo=_near("Shanghai", 100)),
    SearchQuery(geo=_near("Boston", 50), site_statuses=("RECRUITING",)),
    SearchQuery(geo=_near("Mumbai", 200), statuses=("RECRUITING",), sort=SortOrder.DISTANCE),
    SearchQuery(nct_ids=("nct04416854", "NCT00000102", "NCT99999999")),
]
#: text whose words both engines' stemmers reduce alike (Porter and Snowball differ on a
#: few, e.g. "palliative": those totals may differ a little)
TEXTS = [
    SearchQuery(text="cancer"),
    SearchQuery(text="liver metastases", statuses=("RECRUITING",)),
    SearchQuery(cond="breast cancer", phases=("PHASE3",)),
    SearchQuery(text='"heart failure" OR asthma'),
    SearchQuery(intr="pembrolizumab", cond="lung cancer"),
    SearchQuery(titles="randomized", sponsor="National Cancer Institute"),
    SearchQuery(text="leukemia", geo=_near("Houston", 100), sort=SortOrder.DISTANCE),
    SearchQuery(text="diabetes", country="India", sort=SortOrder.START_DATE),
    SearchQuery(text="Sjögren café"),
]


@dataclass
class Pair:
    store: Store
    sql: SearchEngine
    top: SearchEngine
    #: the text reference: the FTS5 engine (PostgreSQL's tsvector engine stems and drops
    #: stop words its own way; the tantivy index reads text as FTS5 does on both backends)
    fts5: SearchEngine


@pytest.fixture(scope="module")
def pair(backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    with contextlib.ExitStack() as stack:
        store = stack.enter_context(backend.open())
        import_paths(store, [*FILES, SEED_NEW])
        top = SearchEngine(store)
        assert top.engine_name == "tantivy"  # the default, on both backends here
        sql = SearchEngine(store, settings=SQL)
        fts5 = sql
        if store.dialect != "sqlite":
            path = tmp_path_factory.mktemp("fts5") / "reference.db"
            reference = stack.enter_context(SQLiteStore(path))
            import_paths(reference, [*FILES, SEED_NEW])
            fts5 = SearchEngine(reference, settings=SQL)
        yield Pair(store, sql, top, fts5)


def every_page(engine: SearchEngine, query: SearchQuery, size: int) -> list[str]:
    result = engine.search(replace(query, limit=size))
    ids = [h.nct_id for h in result.hits]
    while result.next_cursor:
        result = engine.search(replace(query, limit=size, cursor=result.next_cursor))
        ids += [h.nct_id for h in result.hits]
    return ids


@pytest.mark.parametrize("query", FILTERS, ids=range(len(FILTERS)))
def test_filters_find_the_same_studies(pair: Pair, query: SearchQuery) -> None:
    want, got = pair.sql.search(query), pair.top.search(query)
    assert got.total == want.total
    assert got.facets == want.facets
    found = every_page(pair.top, query, 1000)
    assert len(found) == len(set(found)) == got.total
    assert set(found) == set(every_page(pair.sql, query, 1000))


@pytest.mark.parametrize("query", TEXTS, ids=range(len(TEXTS)))
def test_text_totals_and_facets_agree(pair: Pair, query: SearchQuery) -> None:
    want, got = pair.fts5.search(query), pair.top.search(query)
    assert got.total == want.total and got.facets == want.facets
    assert {h.nct_id for h in got.hits} <= set(every_page(pair.fts5, query, 1000))
    # without facets the total is counted by the top k itself, not by the facets' pass
    clear_caches()
    bare = pair.top.search(replace(query, with_facets=False, cursor=None))
    assert bare.total == want.total and bare.facets == {}


@pytest.mark.parametrize(
    "query",
    [
        SearchQuery(text="cancer"),
        SearchQuery(statuses=("RECRUITING",), sort=SortOrder.START_DATE),
        SearchQuery(text="trial", sort=SortOrder.LAST_UPDATE),
        SearchQuery(geo=_near("Shanghai", 300), sort=SortOrder.DISTANCE),
    ],
    ids=["relevance", "start", "update", "distance"],
)
def test_cursor_pages_are_one_list(pair: Pair, query: SearchQuery) -> None:
    """Paging 7 at a time gives exactly the list one big page gives, in its order."""
    whole = pair.top.search(replace(query, limit=1000))
    assert [h.nct_id for h in whole.hits] == every_page(pair.top, query, 7)
    if query.sort is SortOrder.DISTANCE:
        km = [h.nearest_site.distance_km for h in whole.hits if h.nearest_site]
        assert len(km) == len(whole.hits) and km == sorted(km)
    if query.sort is SortOrder.START_DATE:
        dates = [h.start_date for h in whole.hits]
        dated = [d for d in dates if d]
        assert dated == sorted(dated, reverse=True) and dates[: len(dated)] == dated


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (SearchQuery(text="palliative primary tumor resection colon"), "NCT04416854"),
        (SearchQuery(cond="metastatic colon cancer"), "NCT04416854"),
        (SearchQuery(text="congenital adrenal hyperplasia nifedipine"), "NCT00000102"),
    ],
)
def test_ranking_is_sane(pair: Pair, query: SearchQuery, expected: str) -> None:
    hits = pair.top.search(query).hits
    assert expected in [h.nct_id for h in hits[:5]]
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def _folder(engine: SearchEngine) -> Path:
    assert engine.top is not None
    return engine.top.folder


def test_follows_changes_made_by_another_process(backend: Backend) -> None:
    location = backend.location()
    with backend.open(location) as store:
        import_paths(store, [SEED_OLD])
        engine = SearchEngine(store)
        assert engine.search(SearchQuery(statuses=("RECRUITING",))).total == 1
        cli = [sys.executable, "-m", "trialscope", "--db", location]
        done = subprocess.run(
            [*cli, "import", "--quiet", str(SEED_NEW)], capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        assert engine.search(SearchQuery(statuses=("RECRUITING",))).total == 0
        assert engine.search(SearchQuery(statuses=("UNKNOWN",))).total == 1
        # and the other way: a change made here is found by a search in another process
        import_paths(store, [CTGOV / "v2" / "alexxpz__LLM.jsonl"])
        wanted = SearchEngine(store, settings=SQL).search(SearchQuery(text="cancer")).total
        found = subprocess.run(
            [*cli, "search", "cancer", "--json"], capture_output=True, text=True, check=True
        )
        assert orjson.loads(found.stdout)["total"] == wanted > 0


def test_a_replay_cut_before_its_watermark_duplicates_nothing(backend: Backend) -> None:
    with backend.open() as store:
        import_paths(store, [*FILES[:2]])
        engine = SearchEngine(store)
        before = engine.search(SearchQuery()).total
        folder = _folder(engine)
        state = orjson.loads((folder / "state.json").read_bytes())
        # as if the process died after tantivy's commit, before writing its watermark
        (folder / "state.json").write_bytes(orjson.dumps({**state, "watermark": 0}))
        again = SearchEngine(store)
        assert again.top is not None
        again.top._seen = None
        assert again.search(SearchQuery()).total == before
        assert again.search(SearchQuery(text="cancer")).total == (
            SearchEngine(store, settings=SQL).search(SearchQuery(text="cancer")).total
        )


def test_a_deleted_index_is_rebuilt(backend: Backend) -> None:
    with backend.open() as store:
        import_paths(store, [FILES[0]])
        engine = SearchEngine(store)
        total = engine.search(SearchQuery()).total
        folder = _folder(engine)
        shutil.rmtree(folder)
        fresh = TantivyIndex(folder)
        assert fresh.searcher(store)[1].num_docs == total


def test_a_rebuild_reads_the_log_with_a_small_page_cache(backend: Backend) -> None:
    """A rebuild reads each page of the log once: SQLite keeps a small page cache while it
    does (the store's own made most of the replay's memory), and the connection has its
    own cache size back after, also when the read fails."""
    with backend.open() as store:
        import_paths(store, [*FILES[:2]])
        engine = SearchEngine(store)
        assert engine.top is not None
        total = engine.search(SearchQuery()).total
        if store.dialect == "sqlite":
            size = store.conn.execute("PRAGMA cache_size").fetchone()[0]
            with contextlib.suppress(RuntimeError), tantivy_index._read_once(store):
                small = store.conn.execute("PRAGMA cache_size").fetchone()[0]
                assert small == -tantivy_index.READ_ONCE_CACHE_KIB
                raise RuntimeError("the read failed")
            assert store.conn.execute("PRAGMA cache_size").fetchone()[0] == size
        done = engine.top.rebuild(store)
        assert done.everything is not None and done.everything["total"] == total
        if store.dialect == "sqlite":
            assert store.conn.execute("PRAGMA cache_size").fetchone()[0] == size
        engine.top._seen = None
        assert engine.search(SearchQuery()).total == total
        assert engine.search(SearchQuery(text="cancer")).total == (
            SearchEngine(store, settings=SQL).search(SearchQuery(text="cancer")).total
        )


def test_two_hosts_catch_up_independently(backend: Backend, tmp_path: Path) -> None:
    """Two indexes of one store (one per host) each replay what they missed."""
    with backend.open() as store:
        hosts = [
            SearchEngine(store, settings=SearchSettings("tantivy", str(tmp_path / h), True))
            for h in ("a", "b")
        ]
        import_paths(store, [SEED_OLD])
        assert hosts[0].search(SearchQuery(statuses=("RECRUITING",))).total == 1
        import_paths(store, [SEED_NEW, FILES[0]])
        total = SearchEngine(store, settings=SQL).search(SearchQuery()).total
        # host b replays everything at once; host a what it missed since
        for host in reversed(hosts):
            assert host.search(SearchQuery(statuses=("UNKNOWN",), nct_ids=("NCT04416854",))).total
            assert host.search(SearchQuery()).total == total
        watermarks = {h.top.watermark for h in hosts if h.top is not None}
        assert len(watermarks) == 1


def test_kill_during_a_build_then_the_next_run_finishes(backend: Backend) -> None:
    location = backend.location()
    with backend.open(location) as store:
        import_paths(store, [*FILES, CTGOV / "legacy_xml" / "ctti-clinicaltrials__aact.jsonl.gz"])
        want = SearchEngine(store, settings=SQL).search(SearchQuery(text="cancer"))
        settings = search_settings(location)
        folder = Path(str(settings.index_dir))
        if settings.per_store:
            folder = folder / store_position(store)[1]
    # no index yet: `trialscope index` builds it from the whole change log
    cli = [sys.executable, "-m", "trialscope", "--db", location, "index", "--json"]
    env = {**os.environ, "RUST_BACKTRACE": "0"}
    killed = False
    for _attempt in range(3):
        started = subprocess.Popen(cli, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # kill it while its build folder is being written (before a state names it)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and started.poll() is None:
            if list(folder.glob("build-*")) and not (folder / "state.json").exists():
                time.sleep(0.05)
                started.send_signal(signal.SIGKILL)
                killed = True
                break
            time.sleep(0.01)
        started.wait()
        if killed and started.returncode == -signal.SIGKILL:
            break
        shutil.rmtree(folder, ignore_errors=True)  # it finished first: start again
    assert killed and not (folder / "state.json").exists()
    with backend.open(location) as store:
        engine = SearchEngine(store)
        got = engine.search(SearchQuery(text="cancer"))
        assert got.total == want.total and got.facets == want.facets
        assert len(list(folder.glob("build-*"))) == 1


def test_threads_share_cached_answers_that_follow_changes(backend: Backend) -> None:
    """A server's threads (one engine each) share totals, facets and the studies near a
    place, kept per index state: a change to the store is never answered from them."""
    with backend.open() as store:
        import_paths(store, [FILES[0]])
        first, second = SearchEngine(store), SearchEngine(store)
        sql = SearchEngine(store, settings=SQL)
        queries = [
            SearchQuery(geo=_near("Boston", 100)),
            SearchQuery(text="cancer", geo=_near("Boston", 100), sort=SortOrder.DISTANCE),
            SearchQuery(statuses=("RECRUITING",)),
        ]

        def answers(engine: SearchEngine) -> list[tuple[int, list[str]]]:
            found = [engine.search(replace(q, limit=1000)) for q in queries]
            return [(r.total, [h.nct_id for h in r.hits]) for r in found]

        before = answers(first)
        assert answers(second) == before  # the second engine reads the first's cache
        assert [t for t, _ in before] == [t for t, _ in answers(sql)]
        import_paths(store, [FILES[1]])  # more trials near Boston
        after = answers(second)
        assert answers(first) == after
        assert [t for t, _ in after] == [t for t, _ in answers(sql)]
        assert after[0][0] > before[0][0] and after[2][0] > before[2][0]
        # the distance order: the same studies, nearest first (ties by score, which the
        # two engines' BM25s compute differently)
        near = first.search(replace(queries[1], limit=1000)).hits
        km = [h.nearest_site.distance_km for h in near if h.nearest_site]
        assert len(km) == len(near) and km == sorted(km)
        assert sorted(after[1][1]) == sorted(answers(sql)[1][1])


def test_the_search_without_criteria_is_counted_by_the_replay(backend: Backend) -> None:
    """The total and facets over every study are written with the index state, so no
    process counts them on a search; they are the sql engine's."""
    with backend.open() as store:
        import_paths(store, [FILES[0], FILES[1]])
        engine = SearchEngine(store)
        got = engine.search(SearchQuery(sort=SortOrder.LAST_UPDATE, limit=3))
        state = orjson.loads((_folder(engine) / "state.json").read_bytes())
        want = SearchEngine(store, settings=SQL).search(SearchQuery())
        assert state["everything"]["total"] == got.total == want.total
        assert state["everything"]["facets"] == got.facets == want.facets
        assert engine.search(SearchQuery(with_facets=False)).facets == {}


def test_preload_keeps_the_searched_segments_mapped(backend: Backend) -> None:
    """A server reads the index into memory at start and keeps it mapped; the segments a
    later replay writes are mapped as they come, and those merged away are let go."""
    with backend.open() as store:
        import_paths(store, [FILES[0]])
        engine = SearchEngine(store)
        assert engine.top is not None
        engine.refresh()  # the store's own index first: the import leaves it pending
        mapped = engine.top.preload(store)
        build = engine.top.folder / engine.top._build
        live = {p.name for p in build.iterdir() if p.suffix in (".idx", ".term", ".fast")}
        assert live and live <= set(engine.top._maps)
        assert mapped == sum(len(m) for _, m in engine.top._maps.values()) > 0
        before = dict(engine.top._maps)
        for path in FILES[1:]:  # a replay per import: new segments, some merged
            import_paths(store, [path])
            engine.search(SearchQuery(text="cancer", with_facets=False))
        now = {p.name for p in build.iterdir()}
        assert set(engine.top._maps) <= now
        assert {p for p in now if p.endswith(".idx")} <= set(engine.top._maps)
        assert all(m.closed for name, (_, m) in before.items() if name not in engine.top._maps)
        want = SearchEngine(store, settings=SQL).search(SearchQuery(text="cancer"))
        got = engine.search(SearchQuery(text="cancer"))
        assert got.total == want.total and got.facets == want.facets
        # a rebuild switches to a new folder: its files are mapped, the old ones let go
        old = dict(engine.top._maps)
        engine.top.rebuild(store)
        assert engine.search(SearchQuery(text="cancer")).total == want.total
        assert engine.top._build != build.name and not set(old) & set(engine.top._maps)
        assert engine.top._maps and all(m.closed for _, m in old.values())


def test_a_server_preloads_its_index_at_start(backend: Backend) -> None:
    """`serve` (create_app with preload) catches the index up and maps it at start, on a
    thread of its own, before any search."""
    from fastapi.testclient import TestClient

    from trialscope.config import Settings
    from trialscope.search.tantivy_index import top_index
    from trialscope.web.app import create_app

    location = backend.location()
    with backend.open(location) as store:
        import_paths(store, [FILES[0]])
        SearchEngine(store).refresh()
        top = top_index(store)
        assert top is not None and not top._maps
    with TestClient(create_app(Settings(db=location), preload=True)) as client:
        deadline = time.monotonic() + 60
        while not top._maps and time.monotonic() < deadline:
            time.sleep(0.05)
        assert top._maps
        found = client.get("/api/v2/studies", params={"query.term": "cancer", "countTotal": "true"})
        assert found.status_code == 200 and found.json()["totalCount"] > 0
