-- weft schema v2 (SQLite): cron schedules shared by the processes on one file. The cron expression
-- lives in code (createWorkflow({ schedule })); the store keeps whether a schedule is paused and since
-- when fires count (missed-fire policy, docs/operations.md).
CREATE TABLE schedules (
  workflow_id  TEXT PRIMARY KEY,
  paused       INTEGER NOT NULL DEFAULT 0,
  since        INTEGER NOT NULL,
  last_fire_at INTEGER,
  updated_at   INTEGER NOT NULL
);
