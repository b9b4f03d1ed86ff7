-- PostgreSQL twin of ../0007_parse_key.sql (the parser version and data-file hash of a parse).
ALTER TABLE criteria_parses ADD COLUMN parse_key TEXT;
