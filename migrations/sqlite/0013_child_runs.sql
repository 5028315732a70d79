-- weft schema v13 (SQLite): child runs (docs/concepts.md, "Child runs").
--
-- A run started by a step (ctx.startWorkflow) names its parent and the path of the parent's journal row
-- that waits for it. The parent -> children link is the partial index below (only child runs are in it).
ALTER TABLE runs ADD COLUMN parent_run_id TEXT;
ALTER TABLE runs ADD COLUMN parent_path TEXT;
CREATE INDEX runs_parent ON runs (parent_run_id, created_at) WHERE parent_run_id IS NOT NULL;

-- A child's outcome wakes its parent in the same transaction as the outcome, whichever statement wrote
-- it (the run's final write, a cancel, a singleton start replacing it): the parent's waiting row becomes
-- 'resumed' and a running or waiting parent becomes pending with a new epoch (an owner that was about
-- to park it is fenced), as an event delivery does. A parent that has not written its waiting row yet
-- finds the child settled when it does (Store.registerChildWait reads the child in its transaction).
-- Runs without a parent pay the WHEN check only.
CREATE TRIGGER runs_child_settled AFTER UPDATE OF status ON runs
  WHEN NEW.parent_run_id IS NOT NULL AND NEW.status IN ('success', 'failed', 'canceled')
    AND OLD.status NOT IN ('success', 'failed', 'canceled')
BEGIN
  UPDATE runs SET
    status = CASE WHEN status IN ('running', 'waiting') THEN 'pending' ELSE status END,
    owner = CASE WHEN status IN ('running', 'waiting') THEN NULL ELSE owner END,
    lease_expires_at = CASE WHEN status IN ('running', 'waiting') THEN NULL ELSE lease_expires_at END,
    lease_epoch = CASE WHEN status IN ('running', 'waiting') THEN lease_epoch + 1 ELSE lease_epoch END,
    wake_at = NULL,
    updated_at = NEW.updated_at
  WHERE id = NEW.parent_run_id AND status NOT IN ('success', 'failed', 'canceled')
    AND EXISTS (SELECT 1 FROM journal j WHERE j.run_key = runs.rk AND j.path = NEW.parent_path AND j.status = 'waiting');
  UPDATE journal SET status = 'resumed'
  WHERE run_key = (SELECT rk FROM runs WHERE id = NEW.parent_run_id AND status NOT IN ('success', 'failed', 'canceled'))
    AND path = NEW.parent_path AND status = 'waiting';
END;

-- A child deleted before it settled wakes its parent the same way (the parent then finds it gone:
-- CHILD_RUN_NOT_FOUND), so a parent never waits for a run that no longer exists.
CREATE TRIGGER runs_child_deleted AFTER DELETE ON runs
  WHEN OLD.parent_run_id IS NOT NULL AND OLD.status NOT IN ('success', 'failed', 'canceled')
BEGIN
  UPDATE runs SET
    status = CASE WHEN status IN ('running', 'waiting') THEN 'pending' ELSE status END,
    owner = CASE WHEN status IN ('running', 'waiting') THEN NULL ELSE owner END,
    lease_expires_at = CASE WHEN status IN ('running', 'waiting') THEN NULL ELSE lease_expires_at END,
    lease_epoch = CASE WHEN status IN ('running', 'waiting') THEN lease_epoch + 1 ELSE lease_epoch END,
    wake_at = NULL
  WHERE id = OLD.parent_run_id AND status NOT IN ('success', 'failed', 'canceled')
    AND EXISTS (SELECT 1 FROM journal j WHERE j.run_key = runs.rk AND j.path = OLD.parent_path AND j.status = 'waiting');
  UPDATE journal SET status = 'resumed'
  WHERE run_key = (SELECT rk FROM runs WHERE id = OLD.parent_run_id AND status NOT IN ('success', 'failed', 'canceled'))
    AND path = OLD.parent_path AND status = 'waiting';
END;
