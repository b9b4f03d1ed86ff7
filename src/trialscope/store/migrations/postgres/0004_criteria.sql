-- PostgreSQL twin of ../0004_criteria.sql.
CREATE TABLE criteria_parses (
    version_id     BIGINT  PRIMARY KEY REFERENCES versions (id),
    nct_id         TEXT    NOT NULL,
    parser_version INTEGER NOT NULL,
    parsed_at      TEXT    NOT NULL,
    items          INTEGER NOT NULL,
    constraints    INTEGER NOT NULL,
    data           BYTEA   NOT NULL
);
CREATE INDEX criteria_parses_by_study ON criteria_parses (nct_id);
CREATE INDEX criteria_parses_by_version ON criteria_parses (parser_version);
