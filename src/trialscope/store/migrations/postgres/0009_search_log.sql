-- PostgreSQL twin of ../0009_search_log.sql: the search index's change log, replayed by
-- every tantivy index (one per host) from its own watermark. search_state (0003) gains
-- the store's identity; its generation row lock orders the index batches' commits.
ALTER TABLE search_state ADD COLUMN store_id TEXT;
UPDATE search_state SET store_id = md5(random()::text || clock_timestamp()::text);
ALTER TABLE search_state ALTER COLUMN store_id SET NOT NULL;

CREATE TABLE search_log (
    nct_id TEXT   PRIMARY KEY,
    seq    BIGINT NOT NULL,
    doc    BYTEA             -- compressed JSON (trialscope.search.rows.engine_doc)
);
CREATE INDEX search_log_seq ON search_log (seq);

INSERT INTO search_dirty (nct_id) SELECT nct_id FROM studies ON CONFLICT DO NOTHING;
