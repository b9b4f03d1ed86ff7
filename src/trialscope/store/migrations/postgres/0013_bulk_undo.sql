-- What a bulk fill (trialscope.store.bulk) owes its tables: the statement that makes each
-- secondary index it dropped, or undoes a setting it changed, recorded in the transaction
-- that drops or changes it and removed in the one that runs it, so whatever a killed fill
-- left undone is always known and done by the next open of the store.
CREATE TABLE bulk_undo (
    name TEXT PRIMARY KEY,
    sql  TEXT NOT NULL
);
