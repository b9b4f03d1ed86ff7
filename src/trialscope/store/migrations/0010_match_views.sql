-- What matching needs of a current record version, worked out ahead (trialscope.match.views):
-- title, status and eligibility fields, the trial's own condition concepts, the keys each
-- criterion may read of a patient and every criterion's results for synthetic blank
-- patients (no real patient's data). `data` is zstd-compressed JSON; a row whose
-- `view_key` (parse key + matcher code and data + vocabulary) is not the running
-- matcher's is stale and ignored.
CREATE TABLE match_views (
    version_id INTEGER PRIMARY KEY REFERENCES versions (id),
    nct_id     TEXT    NOT NULL,
    view_key   TEXT    NOT NULL,
    made_at    TEXT    NOT NULL,
    data       BLOB    NOT NULL
);
CREATE INDEX match_views_by_study ON match_views (nct_id);
