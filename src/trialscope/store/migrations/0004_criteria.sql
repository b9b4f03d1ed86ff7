-- Parsed eligibility criteria of a record version (trialscope.criteria). `data` is the
-- zstd-compressed JSON of ParsedCriteria.to_json(); `parser_version` is the parser that
-- wrote it, so parses older than trialscope.criteria.PARSER_VERSION are known stale.
-- Versions without eligibility text get a row too (no items), so they are not re-read.
CREATE TABLE criteria_parses (
    version_id     INTEGER PRIMARY KEY REFERENCES versions (id),
    nct_id         TEXT    NOT NULL,
    parser_version INTEGER NOT NULL,
    parsed_at      TEXT    NOT NULL,
    items          INTEGER NOT NULL,
    constraints    INTEGER NOT NULL,
    data           BLOB    NOT NULL
);
CREATE INDEX criteria_parses_by_study ON criteria_parses (nct_id);
CREATE INDEX criteria_parses_by_version ON criteria_parses (parser_version);
