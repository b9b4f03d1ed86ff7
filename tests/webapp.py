"""A real store for the web tests: a few files of the shared corpus, the seed trial in
two versions, and a hand-made record whose text holds markup (to test escaping).

It is imported once per backend per test session; every module then gets its own copy
(an SQLite file copied with the backup API, a PostgreSQL database made from it as a
template), so a module may write to its store without touching another's."""

from __future__ import annotations

import json
import sqlite3
import warnings
from contextlib import closing
from pathlib import Path

from tests.conftest import CTGOV, FIXTURES, Backend
from trialscope.config import Settings
from trialscope.importer import import_paths
from trialscope.service import refresh_index
from trialscope.store import open_store

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

CORPUS_FILES = (
    "v2/scampbe3__my-website.jsonl.gz",
    "v2/dgg32__graph_bigquery.jsonl.gz",
    "v2/genomoncology__biomcp.jsonl",
    "seeds/NCT04416854.legacy_ctgov.xml",
)
SEED = "NCT04416854"
#: a copy of the seed trial under another id, with markup in its registry text
HOSTILE = "NCT99999901"
SCRIPT = '<script>alert("x")</script>'

__all__ = [
    "HOSTILE",
    "SCRIPT",
    "SEED",
    "TestClient",
    "build_db",
    "client_for",
    "files_beside",
    "stored_anywhere",
]


def _hostile_record(folder: Path) -> Path:
    data = json.loads((FIXTURES / "NCT04416854.2026.v2.json").read_text("utf-8"))
    protocol = data["protocolSection"]
    protocol["identificationModule"]["nctId"] = HOSTILE
    protocol["identificationModule"]["briefTitle"] = "Escaping <b>test</b> & trial"
    protocol["eligibilityModule"]["eligibilityCriteria"] = (
        f"Inclusion Criteria:\n\n* Adults {SCRIPT}\n* <img src=x onerror=alert(1)>\n\n"
        "Exclusion Criteria:\n\n* Pregnancy \\<= 12 weeks"
    )
    path = folder / f"{HOSTILE}.json"
    path.write_text(json.dumps(data), "utf-8")
    return path


#: the imported store per backend (and server): built once, copied per module
_BUILT: dict[tuple[str, int], str] = {}


def _import(location: str, folder: Path) -> None:
    """Import the web test records (about 210 studies)."""
    paths: list[Path] = [CTGOV / name for name in CORPUS_FILES]
    paths += [FIXTURES / "NCT04416854.2026.v2.json", _hostile_record(folder)]
    with open_store(location) as store:
        summary = import_paths(store, paths, workers=1)
        # as `trialscope import` leaves it: indexed, related trials stored (a page only
        # reads them)
        refresh_index(store)
    assert summary.counts["new"] >= 200, summary.as_dict()


def build_db(folder: Path, backend: Backend | None = None) -> str:
    """A store holding the web test records, of its own, on ``backend`` (SQLite when
    None): a file path in ``folder`` or a postgresql:// URL."""
    name = "sqlite" if backend is None else backend.name
    server = None if backend is None else backend.server
    key = (name, id(server))
    if key not in _BUILT:
        built = server.new_database() if server is not None else str(folder / "built.db")
        _import(built, folder)
        _BUILT[key] = built
    if server is not None:
        return server.new_database(template=server.name_of(_BUILT[key]))
    copy = folder / "web.db"
    with closing(sqlite3.connect(_BUILT[key])) as source, closing(sqlite3.connect(copy)) as to:
        source.backup(to)
    return str(copy)


def files_beside(db: str) -> list[str]:
    """The files in an SQLite store's folder (none for a PostgreSQL URL)."""
    if db.startswith("postgresql://"):
        return []
    return sorted(p.name for p in Path(db).parent.iterdir())


def stored_anywhere(db: str, text: str) -> list[str]:
    """Where ``text`` is stored: the files beside an SQLite store (the database, its
    journal, the search index folder, anything written next to it), or the tables of a
    PostgreSQL database."""
    if not db.startswith("postgresql://"):
        folder = Path(db).parent
        return [
            str(p.relative_to(folder))
            for p in sorted(folder.rglob("*"))
            if p.is_file() and text.encode() in p.read_bytes()
        ]
    with open_store(db) as store:
        tables = [
            str(r[0])
            for r in store.conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            )
        ]
        like = f"%{text}%"
        return [
            table
            for table in tables
            if store.conn.execute(
                f"SELECT 1 FROM {table} t WHERE t::text LIKE ?", (like,)
            ).fetchone()
        ]


def client_for(db: str | Path, **settings: object) -> TestClient:
    from trialscope.web import create_app

    app = create_app(Settings(db=str(db), **settings))  # type: ignore[arg-type]
    return TestClient(app, raise_server_exceptions=False)
