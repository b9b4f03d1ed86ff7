"""Configuration in one place: flag > TRIALSCOPE_* environment variable > default."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from trialscope.errors import ConfigError

ENV_PREFIX = "TRIALSCOPE_"
DEFAULT_DB_NAME = "trialscope.db"


def default_db_path() -> Path:
    return Path(platformdirs.user_data_dir("trialscope")) / DEFAULT_DB_NAME


def default_vocab_dir() -> Path | None:
    """TRIALSCOPE_VOCAB_DIR, else the first existing ``../shared/data/vocab`` beside the
    working folder or the repository; None means the built-in disease vocabulary."""
    chosen = env("VOCAB_DIR")
    if chosen:
        return Path(chosen).expanduser()
    repo = Path(__file__).resolve().parents[2]
    for base in (Path.cwd(), repo):
        candidate = base.parent / "shared" / "data" / "vocab"
        if candidate.is_dir():
            return candidate
    return None


def env(name: str) -> str | None:
    value = os.environ.get(ENV_PREFIX + name)
    return value if value else None


@dataclass(frozen=True)
class Settings:
    db: str
    batch_size: int = 500
    #: processes that parse and map records during an import (1 = in-process)
    workers: int = 1
    #: the CT.gov API v2 base URL that sync talks to
    ctgov_url: str = "https://clinicaltrials.gov/api/v2"
    #: requests per second to CT.gov (0 = unlimited)
    sync_rate: float = 1.0
    #: public address of this mirror, for canonical links in pages (no trailing slash)
    base_url: str | None = None
    #: where `trialscope serve` listens, and how many worker processes it runs
    host: str = "127.0.0.1"
    port: int = 8000
    serve_workers: int = 1
    #: the disease vocabularies folder (MeSH, DO, OncoTree); None = the built-in table
    vocab_dir: str | None = None

    @classmethod
    def resolve(
        cls,
        db: str | Path | None = None,
        batch_size: int | None = None,
        base_url: str | None = None,
        workers: int | None = None,
        ctgov_url: str | None = None,
        sync_rate: float | None = None,
        host: str | None = None,
        port: int | None = None,
        serve_workers: int | None = None,
    ) -> Settings:
        chosen_db = str(db) if db else env("DB") or str(default_db_path())
        batch = batch_size or _positive_int("BATCH_SIZE", env("BATCH_SIZE"), default=500)
        url = base_url or env("BASE_URL")
        default_workers = os.cpu_count() or 1
        processes = workers or _positive_int("WORKERS", env("WORKERS"), default=default_workers)
        rate = sync_rate if sync_rate is not None else _rate(env("SYNC_RATE"))
        return cls(
            db=chosen_db,
            batch_size=batch,
            base_url=url.rstrip("/") if url else None,
            workers=processes,
            ctgov_url=(ctgov_url or env("CTGOV_URL") or cls.ctgov_url).rstrip("/"),
            sync_rate=rate,
            host=host or env("HOST") or cls.host,
            port=port or _positive_int("PORT", env("PORT"), default=cls.port),
            serve_workers=serve_workers
            or _positive_int("SERVE_WORKERS", env("SERVE_WORKERS"), default=1),
            vocab_dir=str(vocab) if (vocab := default_vocab_dir()) else None,
        )


def _positive_int(name: str, text: str | None, default: int) -> int:
    if text is None:
        return default
    if not text.strip().isdigit() or int(text) < 1:
        raise ConfigError(
            f"{ENV_PREFIX}{name}={text!r} is not a positive whole number.",
            hint=f"Unset it or give a number, e.g. {ENV_PREFIX}{name}={default}.",
        )
    return int(text)


def _rate(text: str | None) -> float:
    if text is None:
        return 1.0
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value < 0:
        raise ConfigError(
            f"{ENV_PREFIX}SYNC_RATE={text!r} is not a number of requests per second >= 0.",
            hint=f"For example {ENV_PREFIX}SYNC_RATE=1 (0 turns spacing off).",
        )
    return value


#: the search engines ``TRIALSCOPE_SEARCH_ENGINE`` chooses from
SEARCH_ENGINES = ("tantivy", "sql")


@dataclass(frozen=True)
class SearchSettings:
    """Which search engine answers, and where its top-k index lives.

    ``tantivy`` (the default wherever an index folder is known): text, filters, totals,
    facets and top-k from a tantivy index beside the store, kept up to date from the
    store's change log by every process. ``sql``: the store's own full text (SQLite FTS5,
    PostgreSQL tsvector), the reference engine.
    """

    engine: str
    #: the index folder: ``<db>.tantivy`` beside an SQLite file, or
    #: ``TRIALSCOPE_INDEX_DIR/<store id>`` (any backend); None with the sql engine
    index_dir: str | None = None
    #: True when the folder is TRIALSCOPE_INDEX_DIR's, shared by several stores: each
    #: gets a subfolder named by its store id
    per_store: bool = False


def search_settings(db: str) -> SearchSettings:
    """TRIALSCOPE_SEARCH_ENGINE (tantivy|sql) and TRIALSCOPE_INDEX_DIR for the store at
    ``db`` (a file path or a postgresql:// URL). A PostgreSQL store has no folder of its
    own, so without TRIALSCOPE_INDEX_DIR it searches with the sql engine."""
    chosen = (env("SEARCH_ENGINE") or "").strip().lower()
    if chosen and chosen not in SEARCH_ENGINES:
        raise ConfigError(
            f"{ENV_PREFIX}SEARCH_ENGINE={chosen!r} is not a search engine.",
            hint=f"Use one of: {', '.join(SEARCH_ENGINES)}.",
        )
    if chosen == "sql":
        return SearchSettings("sql")
    folder = env("INDEX_DIR")
    if folder:
        return SearchSettings("tantivy", str(Path(folder).expanduser()), per_store=True)
    text = db.removeprefix("sqlite:///")
    if "://" not in text and text != ":memory:":
        return SearchSettings("tantivy", text + ".tantivy")
    if chosen == "tantivy":
        raise ConfigError(
            f"{ENV_PREFIX}SEARCH_ENGINE=tantivy needs a folder for the index of this database.",
            hint=f"Set {ENV_PREFIX}INDEX_DIR to a local folder (one per host), or use sql.",
        )
    return SearchSettings("sql")
