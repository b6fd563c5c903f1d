-- The demo center keeps its scenarios in its own code: the production schema
-- has no demo column. Every other column and row is kept.
ALTER TABLE users DROP COLUMN demo_after_setup;
