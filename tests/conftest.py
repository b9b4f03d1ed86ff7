"""Shared fixtures: the real corpus in ../shared/data, and a real store per test on each
backend (an SQLite file, and a database on a PostgreSQL server this session starts).

Under ``CI=true`` a skip is a failure (``ci_strict``): a missing corpus, PostgreSQL server
or Chromium must not let CI pass on what it never ran. Locally they skip, with the reason
in the summary (``-ra``)."""

from __future__ import annotations

import csv
import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import pg_server

# the hooks are found by name in a conftest, so importing them here installs them
from tests.ci_strict import in_ci, pytest_make_collect_report, pytest_runtest_makereport  # noqa: F401
from trialscope.store import Store, open_store
from trialscope.store.codec import decompress

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
CTGOV = SHARED_DATA / "ctgov"
FIXTURES = Path(__file__).parent / "fixtures"
RECORD_FOLDERS = ("v2", "classic_api", "legacy_xml", "seeds")

needs_corpus = pytest.mark.skipif(
    not CTGOV.is_dir(), reason=f"shared corpus not found at {CTGOV} (clone ../shared beside)"
)

ALL_BACKENDS = ("sqlite", "postgres")
#: TRIALSCOPE_TEST_BACKENDS=sqlite runs the parametrised suites on SQLite only (not in CI)
BACKENDS = tuple((os.environ.get("TRIALSCOPE_TEST_BACKENDS") or ",".join(ALL_BACKENDS)).split(","))


def pytest_configure(config: pytest.Config) -> None:
    if in_ci() and sorted(BACKENDS) != sorted(ALL_BACKENDS):
        raise pytest.UsageError(
            f"CI runs every backend: unset TRIALSCOPE_TEST_BACKENDS (it is {','.join(BACKENDS)})"
        )


@pytest.fixture(scope="session")
def pg() -> Iterator[pg_server.PgServer]:
    started = pg_server.start()
    if isinstance(started, str):
        pytest.skip(started)
    yield started
    started.stop()


class Backend:
    """Where a test's stores live: fresh SQLite files or fresh PostgreSQL databases."""

    def __init__(self, name: str, folder: Path, server: pg_server.PgServer | None) -> None:
        self.name = name
        self.folder = folder
        self.server = server
        self._count = itertools.count()

    def __repr__(self) -> str:
        return self.name

    def location(self) -> str:
        """A new, empty database: a file path or a postgresql:// URL."""
        if self.server is not None:
            return self.server.new_database()
        return str(self.folder / f"db{next(self._count)}" / "test.db")

    def open(self, location: str | None = None) -> Store:
        return open_store(location or self.location())


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    server = request.getfixturevalue("pg") if request.param == "postgres" else None
    folder = tmp_path_factory.mktemp(request.param)
    with pytest.MonkeyPatch.context() as patch:
        if server is not None and "TRIALSCOPE_INDEX_DIR" not in os.environ:
            # a PostgreSQL store's tantivy index needs a local folder (one per host);
            # an SQLite store's lives beside its file (<db>.tantivy)
            patch.setenv("TRIALSCOPE_INDEX_DIR", str(folder / "indexes"))
        yield Backend(request.param, folder, server)


@pytest.fixture
def store(backend: Backend) -> Iterator[Store]:
    with backend.open() as opened:
        yield opened


def store_state(location: str | Path) -> dict[str, Any]:
    """What must be equal between an interrupted-then-resumed run and an uninterrupted one:
    every version, each study's current version, and the field changes between versions
    (by content hash, since row ids and timestamps legitimately differ)."""
    with open_store(location) as opened:
        conn = opened.conn
        return {
            "versions": sorted(
                tuple(r) for r in conn.execute("SELECT nct_id, content_hash FROM versions")
            ),
            "current": sorted(
                tuple(r)
                for r in conn.execute(
                    "SELECT s.nct_id, v.content_hash FROM studies s"
                    " JOIN versions v ON v.id = s.current_version_id"
                )
            ),
            "changes": sorted(
                tuple(r)
                for r in conn.execute(
                    "SELECT c.nct_id, a.content_hash, b.content_hash, c.path, c.kind,"
                    " c.old_value, c.new_value FROM changes c"
                    " JOIN versions a ON a.id = c.from_version_id"
                    " JOIN versions b ON b.id = c.to_version_id"
                )
            ),
        }


#: what the index keeps of a study beside its full text (all but the rowid, which differs)
DOC_COLUMNS = (
    "nct_id, overall_status, phases, study_type, intervention_types, min_age_years,"
    " max_age_years, sex, healthy_volunteers, start_date, last_update, has_results"
)
#: the full text of a study: FTS5 rows on SQLite, weighted and scoped vectors on PostgreSQL
FULL_TEXT = {
    "sqlite": "SELECT d.nct_id, f.* FROM search_fts f JOIN search_docs d ON d.rowid = f.rowid",
    "postgres": "SELECT nct_id, title, tsv::text, cond_tsv::text, intr_tsv::text,"
    " titles_tsv::text, locn_tsv::text, sponsor_tsv::text FROM search_docs",
}


def derived_state(location: str | Path) -> dict[str, Any]:
    """What a store derives from its versions, to compare an interrupted-then-resumed run
    with an uninterrupted one: every criteria parse (by study and content hash, with the
    parsed JSON), the whole search index by study (row ids legitimately differ) and the
    stored related trials."""
    with open_store(location) as opened:
        conn = opened.conn

        def rows(sql: str) -> list[tuple[Any, ...]]:
            return sorted((tuple(r) for r in conn.execute(sql)), key=repr)

        return {
            "parses": sorted(
                (str(r[0]), str(r[1]), r[2], r[3], r[4], decompress(bytes(r[5])))
                for r in conn.execute(
                    "SELECT c.nct_id, v.content_hash, c.parser_version, c.items,"
                    " c.constraints, c.data FROM criteria_parses c"
                    " JOIN versions v ON v.id = c.version_id"
                )
            ),
            "docs": rows(f"SELECT {DOC_COLUMNS} FROM search_docs"),
            "text": rows(FULL_TEXT[opened.dialect]),
            "cards": rows(
                "SELECT d.nct_id, c.card FROM search_cards c JOIN search_docs d"
                " ON d.rowid = c.rowid"
            ),
            "places": rows(
                "SELECT d.nct_id, p.kind, p.value FROM search_places p JOIN search_docs d"
                " ON d.rowid = p.doc"
            ),
            "sites": rows(
                "SELECT nct_id, facility, city, state, country, status, lat, lon, placed"
                " FROM search_sites"
            ),
            "terms": rows("SELECT nct_id, kind, term FROM search_terms"),
            "dirty": rows("SELECT nct_id FROM search_dirty"),
            # what every tantivy index replays (generations legitimately differ)
            "log": sorted(
                (str(r[0]), None if r[1] is None else decompress(bytes(r[1])))
                for r in conn.execute("SELECT nct_id, doc FROM search_log")
            ),
            "related_features": rows("SELECT nct_id, kind, feature FROM related_features"),
            "related_lists": rows("SELECT nct_id, neighbours FROM related_lists"),
            "related": rows(
                "SELECT nct_id, rank, other, score, title_similarity FROM related_trials"
            ),
            "related_dirty": rows("SELECT nct_id FROM related_dirty"),
        }


def catalog_record_ids() -> set[str]:
    """Distinct NCT ids that catalog.tsv lists as full CT.gov records."""
    with open(CTGOV / "catalog.tsv", newline="", encoding="utf-8") as handle:
        rows = csv.DictReader(handle, delimiter="\t")
        return {row["nct_id"] for row in rows if row["format"].startswith("ctgov_")}


def record_paths() -> list[Path]:
    return [CTGOV / name for name in RECORD_FOLDERS]
