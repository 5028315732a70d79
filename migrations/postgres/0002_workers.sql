-- weft schema v2 (PostgreSQL): many workers. Applied with search_path set to weft's schema.

-- Cron schedules: one row per scheduled workflow, shared by every worker. The cron expression itself
-- lives in code (createWorkflow({ schedule })); the store keeps only what must be shared: whether the
-- schedule is paused, and since when fires count (missed-fire policy, docs/operations.md).
CREATE TABLE schedules (
  workflow_id  TEXT PRIMARY KEY,
  paused       BOOLEAN NOT NULL DEFAULT FALSE,
  -- Fires at or after this time are due; set when the schedule is first seen and when it is resumed,
  -- so fires missed while it was paused (or before it existed) are never caught up.
  since        BIGINT NOT NULL,
  last_fire_at BIGINT,
  updated_at   BIGINT NOT NULL
);

-- Wake-ups for other processes: LISTEN on the channel 'weft_<schema>' (cut to 63 bytes) gets
--   p\n<workflowId>            a run became claimable now (created pending, resumed, released)
--   c\n<workflowId>\n<runId>   a run was canceled (its owner aborts its steps)
--   s\n<workflowId>\n<runId>   a run settled (success, failed, suspended): waiters reload it
-- NOTIFY is transactional (sent at commit, identical payloads folded), so a batch of pending runs of one
-- workflow costs one notification. Polling stays the fallback; notifications only make things faster.
CREATE FUNCTION weft_notify_run() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ch TEXT := left('weft_' || TG_TABLE_SCHEMA, 63);
BEGIN
  IF NEW.status = 'pending' OR NEW.status = 'running' THEN
    PERFORM pg_notify(ch, 'p' || chr(10) || NEW.workflow_id);
  ELSIF NEW.status = 'canceled' THEN
    PERFORM pg_notify(ch, 'c' || chr(10) || NEW.workflow_id || chr(10) || NEW.id);
  ELSE
    PERFORM pg_notify(ch, 's' || chr(10) || NEW.workflow_id || chr(10) || NEW.id);
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER runs_notify_insert AFTER INSERT ON runs
  FOR EACH ROW WHEN (NEW.status = 'pending')
  EXECUTE FUNCTION weft_notify_run();

-- Status changes that matter to someone else, plus a release (stop() gives a running run up: owner
-- cleared) so other workers take it over at once instead of at their next poll.
CREATE TRIGGER runs_notify_update AFTER UPDATE OF status, owner ON runs
  FOR EACH ROW WHEN (
    (NEW.status IS DISTINCT FROM OLD.status AND NEW.status IN ('pending', 'canceled', 'success', 'failed', 'suspended'))
    OR (NEW.status = 'running' AND NEW.owner IS NULL AND OLD.owner IS NOT NULL)
  )
  EXECUTE FUNCTION weft_notify_run();
