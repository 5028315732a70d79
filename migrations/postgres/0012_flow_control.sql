-- weft schema v12 (PostgreSQL): flow control declared on workflows (docs/operations.md "Flow control").
-- Only workflows that declare it write here: the runs table and the plain claim path are unchanged.

-- Which run holds a key: an idempotency key until it expires, the live run of a singleton key, the
-- open (waiting) run of a debounce or batch key, with when it opened and how many starts it holds.
CREATE TABLE flow_keys (
  workflow_id TEXT NOT NULL,
  kind        TEXT NOT NULL,
  key         TEXT NOT NULL,
  run_id      TEXT NOT NULL,
  opened_at   BIGINT NOT NULL,
  expires_at  BIGINT,
  size        INTEGER NOT NULL DEFAULT 1,
  PRIMARY KEY (workflow_id, kind, key)
);

-- Runs under a rate limit or throttle: their key and when they started (null: queued, not started).
-- A window counts started_at > now - period per (workflow, key); rows older than every window go.
CREATE TABLE flow_runs (
  run_id      TEXT PRIMARY KEY,
  workflow_id TEXT NOT NULL,
  key         TEXT NOT NULL,
  started_at  BIGINT
);
CREATE INDEX flow_runs_window ON flow_runs (workflow_id, key, started_at);
