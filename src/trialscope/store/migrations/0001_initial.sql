-- Every distinct version of every study. `data` is the v2 JSON (zstd), verbatim
-- when the source was v2; `original` keeps the source bytes of other formats
-- (legacy XML, classic JSON) so nothing without a v2 home is ever lost.
CREATE TABLE versions (
    id                    INTEGER PRIMARY KEY,
    nct_id                TEXT    NOT NULL,
    content_hash          TEXT    NOT NULL,
    source                TEXT    NOT NULL,
    source_format         TEXT    NOT NULL,
    last_update_post_date TEXT,
    -- when the source snapshot was taken (v2 versionHolder, legacy download_date):
    -- orders versions that share a last update post date
    snapshot_date         TEXT,
    is_partial            INTEGER NOT NULL DEFAULT 0,
    first_seen            TEXT    NOT NULL,
    last_seen             TEXT    NOT NULL,
    data                  BLOB    NOT NULL,
    original              BLOB,
    UNIQUE (nct_id, content_hash)
);
CREATE INDEX versions_by_study ON versions (nct_id, last_update_post_date);

-- The current version of each study, with the columns listings and stats need.
CREATE TABLE studies (
    nct_id                TEXT PRIMARY KEY,
    current_version_id    INTEGER NOT NULL REFERENCES versions (id),
    brief_title           TEXT,
    overall_status        TEXT,
    phases                TEXT,
    study_type            TEXT,
    lead_sponsor          TEXT,
    last_update_post_date TEXT,
    source_format         TEXT    NOT NULL,
    is_partial            INTEGER NOT NULL DEFAULT 0,
    first_seen            TEXT    NOT NULL,
    last_seen             TEXT    NOT NULL
);
CREATE INDEX studies_by_status ON studies (overall_status);

-- Field-level changes between consecutive versions (ordered by CT.gov last
-- update post date, then snapshot date). A study's first version has no rows here: its "added"
-- fields are derived from that version when asked for.
CREATE TABLE changes (
    id              INTEGER PRIMARY KEY,
    nct_id          TEXT NOT NULL,
    from_version_id INTEGER NOT NULL REFERENCES versions (id),
    to_version_id   INTEGER NOT NULL REFERENCES versions (id),
    path            TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('added', 'removed', 'changed')),
    old_value       TEXT,
    new_value       TEXT,
    detected_at     TEXT NOT NULL,
    ct_date         TEXT
);
CREATE INDEX changes_by_study ON changes (nct_id, detected_at);
CREATE INDEX changes_by_time ON changes (detected_at);
CREATE INDEX changes_by_pair ON changes (from_version_id, to_version_id);

CREATE TABLE import_runs (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL DEFAULT 'import',
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    status      TEXT NOT NULL DEFAULT 'running',
    sources     TEXT NOT NULL DEFAULT '[]',
    counts      TEXT NOT NULL DEFAULT '{}'
);

-- Records that could not be read, with why and the bytes, so nothing is lost.
CREATE TABLE quarantine (
    id         INTEGER PRIMARY KEY,
    run_id     INTEGER REFERENCES import_runs (id),
    source     TEXT NOT NULL,
    position   TEXT NOT NULL,
    reason     TEXT NOT NULL,
    raw        BLOB,
    created_at TEXT NOT NULL
);
