-- PostgreSQL twin of ../0008_related.sql. Related trials (trialscope.search.related), computed when the search index is
-- refreshed. The index queues each study it writes in related_dirty (same transaction);
-- the related stage stores its features, then its neighbours, and clears the claim.
CREATE TABLE related_dirty (
    nct_id        TEXT    PRIMARY KEY,
    features_done INTEGER NOT NULL DEFAULT 0,  -- 1: features stored, neighbours next
    spread        INTEGER NOT NULL DEFAULT 1   -- 1: queue the trials it may enter or leave
);

-- What a study is compared by: c own concept, a specific ancestor, i intervention,
-- t title word.
CREATE TABLE related_features (
    nct_id  TEXT NOT NULL,
    kind    TEXT NOT NULL,
    feature TEXT NOT NULL,
    PRIMARY KEY (nct_id, kind, feature)
);

-- One row per study whose list was computed (an empty list too), and its neighbours.
CREATE TABLE related_lists (
    nct_id TEXT    PRIMARY KEY,
    neighbours INTEGER NOT NULL
);
CREATE TABLE related_trials (
    nct_id           TEXT    NOT NULL,
    rank             INTEGER NOT NULL,
    other            TEXT    NOT NULL,
    score            DOUBLE PRECISION NOT NULL,
    title_similarity DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (nct_id, rank)
);
CREATE INDEX related_trials_other ON related_trials (other);

INSERT INTO related_dirty (nct_id, features_done, spread) SELECT nct_id, 0, 0 FROM search_docs;
