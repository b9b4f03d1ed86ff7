-- PostgreSQL twin of ../0010_match_views.sql.
CREATE TABLE match_views (
    version_id BIGINT  PRIMARY KEY REFERENCES versions (id),
    nct_id     TEXT    NOT NULL,
    view_key   TEXT    NOT NULL,
    made_at    TEXT    NOT NULL,
    data       BYTEA   NOT NULL
);
CREATE INDEX match_views_by_study ON match_views (nct_id);
