-- The search index's change log (trialscope.search.index), which every tantivy index
-- (trialscope.search.tantivy_index) replays from its own watermark. Each index batch
-- takes the next generation (its row lock orders the batches' commits, so a reader that
-- sees generation G sees every batch up to G) and writes, per study, that generation and
-- the study's engine document (NULL: it left the index). store_id tells an index built
-- from another store (a file replaced, a database restored) from this one's.
CREATE TABLE search_state (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL,
    store_id   TEXT    NOT NULL
);
INSERT INTO search_state (id, generation, store_id) VALUES (1, 0, lower(hex(randomblob(16))));

CREATE TABLE search_log (
    nct_id TEXT    PRIMARY KEY,
    seq    INTEGER NOT NULL,
    doc    BLOB              -- compressed JSON (trialscope.search.rows.engine_doc)
);
CREATE INDEX search_log_seq ON search_log (seq);

-- The documents are made by the index writer: index every study again.
INSERT INTO search_dirty (nct_id) SELECT nct_id FROM studies WHERE true
    ON CONFLICT DO NOTHING;
