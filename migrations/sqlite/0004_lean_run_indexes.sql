-- weft schema v4 (SQLite): fewer index entries on the hot path. A run is created 'running' and settles
-- 'success'; with v1's indexes that cost six index inserts at creation and four index updates at
-- settle.
--
-- Timers: only waiting runs have a wake time, so only they are indexed. Claims of expired leases and
-- listOwners find running runs through runs_status_created.
DROP INDEX runs_status_wake;
CREATE INDEX runs_waiting_wake ON runs (wake_at) WHERE status = 'waiting';

-- Resource: most runs have none.
DROP INDEX runs_resource_created;
CREATE INDEX runs_resource_created ON runs (resource_id, created_at) WHERE resource_id IS NOT NULL;

-- runs_status_created stays a full index. Leaving successful runs out of it saved one index insert per
-- run, but then a listing of successful runs read the newest runs of all statuses until it found
-- some: behind a backlog of 460,000 queued runs that took a second per listing.
