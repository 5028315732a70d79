-- weft schema v16 (PostgreSQL): child runs (docs/concepts.md, "Child runs").
--
-- A run started by a step (ctx.startWorkflow) names its parent and the path of the parent's journal row
-- that waits for it. The parent -> children link is the partial index below (only child runs are in it).
ALTER TABLE runs ADD COLUMN parent_run_id TEXT, ADD COLUMN parent_path TEXT;
CREATE INDEX runs_parent ON runs (parent_run_id, created_at) WHERE parent_run_id IS NOT NULL;

-- A child's outcome wakes its parent in the same transaction as the outcome, whichever statement wrote
-- it (the run's final write, a cancel, a singleton start replacing it): the parent's waiting row becomes
-- 'resumed' and a running or waiting parent becomes pending with a new epoch (an owner that was about
-- to park it is fenced; runs_notify_update tells the workers), as an event delivery does.
--
-- The parent's row is locked first. Store.registerChildWait locks it too before it reads the child and
-- writes the waiting row, so the two are serialised: either the registration commits first and the
-- statements below (each with a fresh snapshot) see its waiting row, or it waits for this transaction
-- and then reads the child settled. Lock order child -> parent here; the registration reads the child
-- without locking it, so the two never wait for each other in a cycle.
-- The same function serves a child deleted before it settled (runs_child_deleted): the parent then
-- finds it gone (CHILD_RUN_NOT_FOUND) instead of waiting for a run that no longer exists.
CREATE FUNCTION weft_child_settled() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  parent_status TEXT;
  pid TEXT := CASE WHEN TG_OP = 'DELETE' THEN OLD.parent_run_id ELSE NEW.parent_run_id END;
  ppath TEXT := CASE WHEN TG_OP = 'DELETE' THEN OLD.parent_path ELSE NEW.parent_path END;
  at BIGINT := CASE WHEN TG_OP = 'DELETE' THEN OLD.updated_at ELSE NEW.updated_at END;
BEGIN
  SELECT status INTO parent_status FROM runs WHERE id = pid FOR NO KEY UPDATE;
  IF parent_status IS NULL OR parent_status IN ('success', 'failed', 'canceled') THEN
    RETURN NULL;
  END IF;
  UPDATE journal SET status = 'resumed' WHERE run_id = pid AND path = ppath AND status = 'waiting';
  IF FOUND AND parent_status IN ('running', 'waiting') THEN
    UPDATE runs SET status = 'pending', owner = NULL, lease_expires_at = NULL, lease_epoch = lease_epoch + 1,
      wake_at = NULL, updated_at = GREATEST(updated_at, at)
    WHERE id = pid;
  ELSIF FOUND THEN
    UPDATE runs SET wake_at = NULL, updated_at = GREATEST(updated_at, at) WHERE id = pid;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER runs_child_settled AFTER UPDATE OF status ON runs FOR EACH ROW
  WHEN (NEW.parent_run_id IS NOT NULL AND NEW.status IN ('success', 'failed', 'canceled')
    AND OLD.status NOT IN ('success', 'failed', 'canceled'))
  EXECUTE FUNCTION weft_child_settled();

CREATE TRIGGER runs_child_deleted AFTER DELETE ON runs FOR EACH ROW
  WHEN (OLD.parent_run_id IS NOT NULL AND OLD.status NOT IN ('success', 'failed', 'canceled'))
  EXECUTE FUNCTION weft_child_settled();
