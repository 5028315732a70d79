-- weft schema v5 (SQLite): run options and journal history.
--
-- options: JSON text of how a run executes (e.g. {"perStep":true}: one step per execution, then the run
-- is paused). Stored with the run, so a process that takes the run over after a crash honours it too.
ALTER TABLE runs ADD COLUMN options TEXT;

-- The journals a run had before it was rewound (time travel): each rewind keeps the whole journal as
-- one generation, so the history stays readable after the run went another way. Written only by
-- rewinds (rare); deleteRun removes them with the run.
CREATE TABLE journal_history (
  run_id      TEXT NOT NULL,
  generation  INTEGER NOT NULL,
  reason      TEXT NOT NULL,
  archived_at INTEGER NOT NULL,
  path        TEXT NOT NULL,
  kind        TEXT NOT NULL,
  status      TEXT NOT NULL,
  attempt     INTEGER NOT NULL,
  input       TEXT,
  output      TEXT,
  error       TEXT,
  meta        TEXT,
  started_at  INTEGER NOT NULL,
  ended_at    INTEGER,
  seq         INTEGER NOT NULL,
  PRIMARY KEY (run_id, generation, path)
) WITHOUT ROWID;
