-- weft schema v13 (PostgreSQL): searchable runs and reruns (docs/operations.md, "Search", "Rerun from a
-- step").
--
-- labels: JSON array of a run's search labels (its tags, and the values of the metadata keys its
-- workflow declares `searchable`), written once with the run. A row trigger (guarded by WHEN, so a run
-- without labels never calls it) copies them into run_labels in the inserting statement.
ALTER TABLE runs ADD COLUMN labels TEXT, ADD COLUMN rerun_of TEXT, ADD COLUMN rerun_step TEXT;

-- One row per (label, run), in listing order: a filtered page reads the newest rows of one label and
-- joins their runs, however many runs are stored. `at` is the run's created_at; the workflow is kept
-- in the index (it never changes), so a filter by workflow and the count of a label are answered by
-- index-only scans, without reading runs.
CREATE TABLE run_labels (
  label       TEXT NOT NULL,
  at          BIGINT NOT NULL,
  run_id      TEXT NOT NULL,
  workflow_id TEXT NOT NULL,
  PRIMARY KEY (label, at, run_id) INCLUDE (workflow_id)
);

-- SET search_path FROM CURRENT: the migration runs with search_path set to weft's schema, and the
-- functions must find run_labels there whatever the search_path of the session that fires them.
CREATE FUNCTION weft_label_run() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO run_labels (label, at, run_id, workflow_id)
      SELECT DISTINCT l, NEW.created_at, NEW.id, NEW.workflow_id FROM jsonb_array_elements_text(NEW.labels::jsonb) AS l
      ON CONFLICT DO NOTHING;
  ELSE
    DELETE FROM run_labels
      WHERE label IN (SELECT jsonb_array_elements_text(OLD.labels::jsonb)) AND at = OLD.created_at AND run_id = OLD.id;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER runs_labels_insert AFTER INSERT ON runs FOR EACH ROW WHEN (NEW.labels IS NOT NULL)
  EXECUTE FUNCTION weft_label_run();
CREATE TRIGGER runs_labels_delete AFTER DELETE ON runs FOR EACH ROW WHEN (OLD.labels IS NOT NULL)
  EXECUTE FUNCTION weft_label_run();

-- The reruns of a run (its reverse link). Only reruns are in it.
CREATE INDEX runs_rerun_of ON runs (rerun_of, created_at) WHERE rerun_of IS NOT NULL;
