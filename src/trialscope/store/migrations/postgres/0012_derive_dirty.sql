-- PostgreSQL twin of ../0012_derive_dirty.sql: the studies whose criteria parse and match
-- view are still to be looked at, and the keys of the last refresh that looked at them all.
CREATE TABLE derive_dirty (
    nct_id     TEXT   PRIMARY KEY,
    version_id BIGINT NOT NULL
);

CREATE TABLE derive_state (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    parse_key TEXT,
    view_key  TEXT
);
INSERT INTO derive_state (id, parse_key, view_key) VALUES (1, NULL, NULL);
