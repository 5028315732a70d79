-- weft schema v4 (SQLite): fewer index entries on the hot path. A run is created 'running' and settles
-- 'success'; with v1's indexes that cost six index inserts at creation and four index updates at
-- settle. Measured on scenario b (10-step runs, 100 in flight) dropping them took ~20 % off a step.
--
-- Timers: only waiting runs have a wake time, so only they are indexed.
DROP INDEX runs_status_wake;
CREATE INDEX runs_waiting_wake ON runs (wake_at) WHERE status = 'waiting';

-- Status: successful runs are the bulk of the table and a listing of them reads newest first through
-- runs_workflow_created / runs_created (nearly every row matches), so they are left out. Queries that
-- filter on another status repeat `status <> 'success'` so the planner may use this partial index.
DROP INDEX runs_status_created;
CREATE INDEX runs_unsettled_status ON runs (status, created_at) WHERE status <> 'success';

-- Resource: most runs have none.
DROP INDEX runs_resource_created;
CREATE INDEX runs_resource_created ON runs (resource_id, created_at) WHERE resource_id IS NOT NULL;
