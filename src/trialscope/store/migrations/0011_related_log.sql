-- The related trials' change log (trialscope.search.related): each batch of the features
-- stage takes the next generation (its row lock orders the batches' commits, as
-- search_state's does) and stamps every study it stored features for. A related corpus
-- kept in a file beside the store (trialscope.search.related_cache) records the generation
-- it was read at and re-reads only the studies stamped above it.
CREATE TABLE related_state (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL
);
INSERT INTO related_state (id, generation) VALUES (1, 0);

CREATE TABLE related_log (
    nct_id TEXT    PRIMARY KEY,
    seq    INTEGER NOT NULL
);
CREATE INDEX related_log_seq ON related_log (seq);
