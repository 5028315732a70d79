-- weft schema v15 (PostgreSQL): durable run streams (docs/durability.md, "Run streams").
--
-- A run's stream is its journal rows' events and the output chunks its steps wrote, in one order: the
-- stream position, taken from stream_pos. A run's writes come from its one lease owner, a batch at a
-- time (each commits before the next is sent), so within a run positions grow with commit order and a
-- reader can continue after any position in any process.
CREATE SEQUENCE stream_pos AS BIGINT;

-- pos: the position of the row's latest outcome (a new status or start time takes a new one);
-- first_pos: of the first write of the step call (its start). Rows written before this migration read 0.
ALTER TABLE journal ADD COLUMN pos BIGINT NOT NULL DEFAULT 0;
ALTER TABLE journal ADD COLUMN first_pos BIGINT NOT NULL DEFAULT 0;

-- Output chunks and resets. open until the outcome that keeps the call's chunks is recorded: a new
-- owner (epoch) deletes the open chunks of earlier epochs, a retry those of earlier attempts, and each
-- deletion appends a reset row naming the positions it voided.
CREATE TABLE run_stream (
  run_id     TEXT NOT NULL,
  pos        BIGINT NOT NULL,
  path       TEXT NOT NULL,
  step       TEXT NOT NULL,
  attempt    INTEGER NOT NULL,
  epoch      BIGINT NOT NULL,
  open       BOOLEAN NOT NULL,
  type       TEXT NOT NULL,
  payload    TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (run_id, pos)
);
