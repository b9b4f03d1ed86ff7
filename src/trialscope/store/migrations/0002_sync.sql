-- Named selections to sync, each with its watermark: the newest CT.gov last
-- update post date a completed run has seen.
CREATE TABLE sync_profiles (
    name       TEXT PRIMARY KEY,
    selection  TEXT NOT NULL,
    base_url   TEXT NOT NULL,
    watermark  TEXT,
    last_run   INTEGER REFERENCES import_runs (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- The unfinished run of a profile: written in the same transaction as each
-- page's records, so a killed sync resumes exactly after the last stored page.
CREATE TABLE sync_checkpoints (
    profile         TEXT PRIMARY KEY REFERENCES sync_profiles (name),
    run_id          INTEGER REFERENCES import_runs (id),
    request         TEXT NOT NULL,
    next_page_token TEXT,
    pages           INTEGER NOT NULL DEFAULT 0,
    records         INTEGER NOT NULL DEFAULT 0,
    total           INTEGER,
    max_update      TEXT,
    updated_at      TEXT NOT NULL
);

-- Old NCT ids CT.gov redirects (301) to the current one.
CREATE TABLE nct_aliases (
    alias   TEXT PRIMARY KEY,
    nct_id  TEXT NOT NULL,
    seen_at TEXT NOT NULL
);

-- Which of CT.gov's numbered history versions were fetched, so re-runs skip them.
CREATE TABLE history_fetched (
    nct_id       TEXT    NOT NULL,
    version      INTEGER NOT NULL,
    version_date TEXT,
    fetched_at   TEXT    NOT NULL,
    PRIMARY KEY (nct_id, version)
);
