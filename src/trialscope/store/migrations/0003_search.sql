-- Search index over each study's current version, kept by trialscope.search.
-- Studies whose current version changed wait in search_dirty until the next refresh,
-- so imports and syncs stay fast and the index catches up in one batch.
CREATE TABLE search_dirty (
    nct_id TEXT PRIMARY KEY
);
INSERT INTO search_dirty (nct_id) SELECT nct_id FROM studies;

-- The filterable facts of a study, and its result card as JSON.
CREATE TABLE search_docs (
    rowid              INTEGER PRIMARY KEY,
    nct_id             TEXT    NOT NULL UNIQUE,
    overall_status     TEXT,
    phases             TEXT,    -- '|PHASE2|PHASE3|' so LIKE '%|PHASE2|%' matches one
    study_type         TEXT,
    intervention_types TEXT,    -- '|DRUG|PROCEDURE|'
    min_age_years      REAL,
    max_age_years      REAL,
    sex                TEXT,
    healthy_volunteers INTEGER,
    start_date         TEXT,
    last_update        TEXT,
    has_results        INTEGER,
    lead_sponsor       TEXT,
    card               TEXT    NOT NULL
);
CREATE INDEX search_docs_status ON search_docs (overall_status);
CREATE INDEX search_docs_updated ON search_docs (last_update);
CREATE INDEX search_docs_start ON search_docs (start_date);

-- Ranked full text (BM25 with per-column weights at query time).
CREATE VIRTUAL TABLE search_fts USING fts5 (
    title, official_title, acronym, summary, conditions, keywords, interventions,
    outcomes, eligibility, sponsor, locations,
    tokenize = 'porter unicode61 remove_diacritics 2'
);

-- Every site with its own status and a point: the record's geoPoint, else its city
-- placed by the gazetteer.
CREATE TABLE search_sites (
    nct_id   TEXT NOT NULL,
    facility TEXT,
    city     TEXT,
    state    TEXT,
    country  TEXT,
    status   TEXT,
    lat      REAL,
    lon      REAL,
    placed   TEXT    -- 'record', 'gazetteer' or NULL (unplaced)
);
CREATE INDEX search_sites_study ON search_sites (nct_id);
CREATE INDEX search_sites_point ON search_sites (lat, lon);
CREATE INDEX search_sites_country ON search_sites (country COLLATE NOCASE);

-- Normalised condition, MeSH and intervention terms: facets, filters, related trials.
CREATE TABLE search_terms (
    nct_id TEXT NOT NULL,
    kind   TEXT NOT NULL,   -- condition, mesh, intervention
    term   TEXT NOT NULL
);
CREATE INDEX search_terms_term ON search_terms (kind, term);
CREATE INDEX search_terms_study ON search_terms (nct_id);
