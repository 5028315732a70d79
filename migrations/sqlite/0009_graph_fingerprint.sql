-- weft schema v9 (SQLite): the graph fingerprint of the workflow definition each run started on.
--
-- `weft check` and the workers compare a run's journal with a new definition only when the run's
-- fingerprint differs from it; NULL for runs created before this migration (always compared).
ALTER TABLE runs ADD COLUMN fingerprint TEXT;
