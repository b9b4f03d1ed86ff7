-- PostgreSQL twin of ../0002_sync.sql.
CREATE TABLE sync_profiles (
    name       TEXT PRIMARY KEY,
    selection  TEXT NOT NULL,
    base_url   TEXT NOT NULL,
    watermark  TEXT COLLATE "C",
    last_run   BIGINT REFERENCES import_runs (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE sync_checkpoints (
    profile         TEXT PRIMARY KEY REFERENCES sync_profiles (name),
    run_id          BIGINT REFERENCES import_runs (id),
    request         TEXT NOT NULL,
    next_page_token TEXT,
    pages           INTEGER NOT NULL DEFAULT 0,
    records         INTEGER NOT NULL DEFAULT 0,
    total           INTEGER,
    max_update      TEXT COLLATE "C",
    updated_at      TEXT NOT NULL
);

CREATE TABLE nct_aliases (
    alias   TEXT PRIMARY KEY,
    nct_id  TEXT NOT NULL,
    seen_at TEXT NOT NULL
);

CREATE TABLE history_fetched (
    nct_id       TEXT    NOT NULL,
    version      INTEGER NOT NULL,
    version_date TEXT,
    fetched_at   TEXT    NOT NULL,
    PRIMARY KEY (nct_id, version)
);
