-- weft schema v12 (SQLite): durable run streams (docs/durability.md, "Run streams").
--
-- A run's stream is its journal rows' events and the output chunks its steps wrote, in one order: the
-- stream position. stream_clock hands positions out; every write transaction that writes journal rows
-- or chunks takes the next ones, so a position is unique in the file and grows with commit order (the
-- write lock orders transactions, across processes too). A reader continues after any position.
CREATE TABLE stream_clock (
  id  INTEGER PRIMARY KEY CHECK (id = 1),
  pos INTEGER NOT NULL
);
INSERT INTO stream_clock (id, pos) VALUES (1, 0);

-- pos: the position of the row's latest outcome (a new status or start time takes a new one);
-- first_pos: of the first write of the step call (its start). Rows written before this migration read 0.
ALTER TABLE journal ADD COLUMN pos INTEGER NOT NULL DEFAULT 0;
ALTER TABLE journal ADD COLUMN first_pos INTEGER NOT NULL DEFAULT 0;

-- Output chunks and resets. open = 1 until the outcome that keeps the call's chunks is recorded: a new
-- owner (epoch) deletes the open chunks of earlier epochs, a retry those of earlier attempts, and each
-- deletion appends a reset row naming the positions it voided. Keyed by run like the journal, so a
-- run's stream sits together and reads in order from any position.
CREATE TABLE run_stream (
  run_key    INTEGER NOT NULL,
  pos        INTEGER NOT NULL,
  path       TEXT NOT NULL,
  step       TEXT NOT NULL,
  attempt    INTEGER NOT NULL,
  epoch      INTEGER NOT NULL,
  open       INTEGER NOT NULL,
  type       TEXT NOT NULL,
  payload    TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (run_key, pos)
) WITHOUT ROWID;
