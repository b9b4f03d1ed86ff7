-- The parse key of a stored criteria parse: trialscope.criteria.PARSER_VERSION and a hash
-- of the data files the parser reads (criteria.parser.parse_key()). A parse whose key
-- differs from the running parser's is stale, so editing a data file re-parses without a
-- hand-raised PARSER_VERSION. Parses from before this column have none: stale.
ALTER TABLE criteria_parses ADD COLUMN parse_key TEXT;
