-- SQLite's second search layout (../0005_search_layout.sql) is where PostgreSQL's
-- index started (0003); nothing to change, the number keeps both schemas in step.
SELECT 1;
