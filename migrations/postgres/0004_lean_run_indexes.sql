-- weft schema v4 (PostgreSQL): fewer index entries on the hot path. A run is created 'running' and
-- settles 'success', and settling changes `status`, so it is never a HOT update: every index on runs
-- gets a new entry. With v1's indexes that was 8 index inserts at creation and 8 more at settle.
--
-- Timers: only waiting runs have a wake time, so only they are indexed.
DROP INDEX runs_status_wake;
CREATE INDEX runs_waiting_wake ON runs (wake_at) WHERE status = 'waiting';

-- Running runs (expired-lease claims, listOwners) are few and found through runs_status_created.
DROP INDEX runs_status_lease;

-- Resource: most runs have none.
DROP INDEX runs_resource_created;
CREATE INDEX runs_resource_created ON runs (resource_id, created_at DESC) WHERE resource_id IS NOT NULL;

-- Keys compare byte-wise: run ids and journal paths are machine-made, and under the database's
-- collation (C.UTF-8, en_US.UTF-8, ...) every index comparison went through strcoll.
ALTER TABLE runs ALTER COLUMN id TYPE text COLLATE "C";
ALTER TABLE journal ALTER COLUMN run_id TYPE text COLLATE "C", ALTER COLUMN path TYPE text COLLATE "C";
