-- What the criteria parses and match views still have to look at (trialscope.derived):
-- a study is marked, with its new current version, in the transaction that makes that
-- version current, and unmarked once that version's parse and view are written. A
-- refresh reads the marks instead of scanning every study. `derive_state` keeps the parse
-- key and view key under which a refresh last looked at every study: under any other key
-- (a parser or matcher change, a store from before this table) the next one scans them all.
CREATE TABLE derive_dirty (
    nct_id     TEXT    PRIMARY KEY,
    version_id INTEGER NOT NULL
);

CREATE TABLE derive_state (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    parse_key TEXT,
    view_key  TEXT
);
INSERT INTO derive_state (id, parse_key, view_key) VALUES (1, NULL, NULL);
