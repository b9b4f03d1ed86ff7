-- Search index, second layout: narrow document rows (the result card moves to its
-- own table), and each study's distinct countries and site statuses in a small table
-- so facets never walk every site of every match. The index is rebuilt from the store.
DROP TABLE search_docs;
DROP TABLE search_fts;
DROP TABLE search_sites;
DROP TABLE search_terms;

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
    has_results        INTEGER
);
CREATE INDEX search_docs_status ON search_docs (overall_status);
CREATE INDEX search_docs_updated ON search_docs (last_update);
CREATE INDEX search_docs_start ON search_docs (start_date);

-- What a result card shows, as JSON: read only for the page's rows.
CREATE TABLE search_cards (
    rowid INTEGER PRIMARY KEY,
    card  TEXT NOT NULL
);

CREATE VIRTUAL TABLE search_fts USING fts5 (
    title, official_title, acronym, summary, conditions, keywords, interventions,
    outcomes, eligibility, sponsor, locations,
    tokenize = 'porter unicode61 remove_diacritics 2'
);

CREATE TABLE search_sites (
    nct_id   TEXT NOT NULL,
    facility TEXT,
    city     TEXT,
    state    TEXT,
    country  TEXT,
    status   TEXT,
    lat      REAL,
    lon      REAL,
    placed   TEXT
);
CREATE INDEX search_sites_study ON search_sites (nct_id);
CREATE INDEX search_sites_point ON search_sites (lat, lon);
CREATE INDEX search_sites_country ON search_sites (country COLLATE NOCASE);

-- Distinct site countries and site statuses per document, for facets.
CREATE TABLE search_places (
    doc   INTEGER NOT NULL,
    kind  TEXT    NOT NULL,   -- country, site_status
    value TEXT    NOT NULL
);
CREATE INDEX search_places_doc ON search_places (doc);

CREATE TABLE search_terms (
    nct_id TEXT NOT NULL,
    kind   TEXT NOT NULL,
    term   TEXT NOT NULL
);
CREATE INDEX search_terms_term ON search_terms (kind, term);
CREATE INDEX search_terms_study ON search_terms (nct_id);

DELETE FROM search_dirty;
INSERT INTO search_dirty (nct_id) SELECT nct_id FROM studies;
