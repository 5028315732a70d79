-- weft schema v14 (PostgreSQL): the wake-up for new pending runs is sent once per statement instead of
-- once per row. A batch of creations (group commit, workflow.startMany) inserts thousands of runs in
-- one statement; the row trigger of 0002 called pg_notify for each of them, only for PostgreSQL to
-- fold the identical payloads at commit. Now one call per workflow that got pending runs.
-- Updates keep their row trigger: its WHEN clause skips the updates nobody needs to hear about (lease
-- renewals, patches), which a statement trigger with transition tables cannot do.
CREATE FUNCTION weft_notify_runs_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ch TEXT := left('weft_' || TG_TABLE_SCHEMA, 63);
  wf TEXT;
BEGIN
  FOR wf IN SELECT DISTINCT workflow_id FROM new_rows WHERE status = 'pending' LOOP
    PERFORM pg_notify(ch, 'p' || chr(10) || wf);
  END LOOP;
  RETURN NULL;
END
$$;

DROP TRIGGER runs_notify_insert ON runs;
CREATE TRIGGER runs_notify_insert AFTER INSERT ON runs REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION weft_notify_runs_inserted();
