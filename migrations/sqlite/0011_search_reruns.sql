-- weft schema v11 (SQLite): searchable runs and reruns (docs/operations.md, "Search", "Rerun from a step").
--
-- labels: JSON array of a run's search labels (its tags, and the values of the metadata keys its
-- workflow declares `searchable`), written once with the run. A trigger copies them into run_labels,
-- so the insert paths stay one statement and a run without labels pays one WHEN check.
ALTER TABLE runs ADD COLUMN labels TEXT;
-- A rerun's source run and the step it was rerun from (the source itself is never changed).
ALTER TABLE runs ADD COLUMN rerun_of TEXT;
ALTER TABLE runs ADD COLUMN rerun_step TEXT;

-- One row per (label, run), in listing order: a filtered page reads the newest rows of one label and
-- joins their runs, however many runs are stored. `at` is the run's created_at; the workflow is kept
-- in the row (it never changes), so a filter by workflow and the count of a label need no run reads.
CREATE TABLE run_labels (
  label       TEXT NOT NULL,
  at          INTEGER NOT NULL,
  run_key     INTEGER NOT NULL,
  workflow_id TEXT NOT NULL,
  PRIMARY KEY (label, at, run_key)
) WITHOUT ROWID;

CREATE TRIGGER runs_labels_insert AFTER INSERT ON runs WHEN NEW.labels IS NOT NULL BEGIN
  INSERT OR IGNORE INTO run_labels (label, at, run_key, workflow_id)
    SELECT value, NEW.created_at, NEW.rk, NEW.workflow_id FROM json_each(NEW.labels);
END;

-- Deleted through the primary key (the labels are in the row): no second index to maintain.
CREATE TRIGGER runs_labels_delete AFTER DELETE ON runs WHEN OLD.labels IS NOT NULL BEGIN
  DELETE FROM run_labels WHERE label IN (SELECT value FROM json_each(OLD.labels)) AND at = OLD.created_at AND run_key = OLD.rk;
END;

-- The reruns of a run (its reverse link). Only reruns are in it.
CREATE INDEX runs_rerun_of ON runs (rerun_of, created_at) WHERE rerun_of IS NOT NULL;
