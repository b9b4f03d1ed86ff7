-- Saved searches (trialscope watch): the search as typed (search.options.SearchOptions
-- JSON) and when it last ran. Adding a watch takes its first snapshot, so a run reports
-- only what happened after the watch was saved.
CREATE TABLE watches (
    name        TEXT PRIMARY KEY,
    options     TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    last_run_at TEXT    NOT NULL,
    runs        INTEGER NOT NULL DEFAULT 0
);

-- The result set as of the last run: each trial with its current version then.
CREATE TABLE watch_members (
    watch      TEXT    NOT NULL REFERENCES watches (name) ON DELETE CASCADE,
    nct_id     TEXT    NOT NULL,
    version_id INTEGER NOT NULL,
    PRIMARY KEY (watch, nct_id)
);

-- What runs found: a trial new to the result set, or a member whose current version
-- changed; one row per trial and version (the entries of the Atom feed), with the
-- field-level changes as they were when found.
CREATE TABLE watch_events (
    id           INTEGER PRIMARY KEY,
    watch        TEXT    NOT NULL REFERENCES watches (name) ON DELETE CASCADE,
    nct_id       TEXT    NOT NULL,
    version_id   INTEGER NOT NULL,
    content_hash TEXT    NOT NULL,
    kind         TEXT    NOT NULL,  -- new | changed
    title        TEXT,
    status       TEXT,
    changes      TEXT    NOT NULL,  -- JSON list of field changes
    updated      TEXT    NOT NULL,  -- when this mirror first saw the version
    found_at     TEXT    NOT NULL,
    UNIQUE (watch, nct_id, version_id)
);
CREATE INDEX watch_events_by_time ON watch_events (watch, found_at);
