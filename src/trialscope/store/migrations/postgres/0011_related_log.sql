-- PostgreSQL twin of ../0011_related_log.sql: the related trials' change log, which a
-- related corpus kept in a file (trialscope.search.related_cache) reads from its generation.
CREATE TABLE related_state (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation BIGINT  NOT NULL
);
INSERT INTO related_state (id, generation) VALUES (1, 0);

CREATE TABLE related_log (
    nct_id TEXT   PRIMARY KEY,
    seq    BIGINT NOT NULL
);
CREATE INDEX related_log_seq ON related_log (seq);
