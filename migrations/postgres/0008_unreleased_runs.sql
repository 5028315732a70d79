-- weft schema v7 (PostgreSQL): settled runs still held by their owner.
--
-- A run whose workflow has lifecycle callbacks (onFinish/onError) settles without being released: its
-- owner keeps the lease while it calls the callbacks, and releasing the run (owner cleared) afterwards
-- is the durable record that they ran. A settled run that still has an owner whose lease expired was
-- settled by a process that died before that record: a worker claims it to call the callbacks again.
--
-- Keyed by workflow_id, not lease_expires_at: lease renewals change only lease_expires_at, and an index
-- on it would make every renewal a non-HOT update. The index is nearly always empty (its rows live for
-- the length of a callback), so the lease is checked on the few rows it returns.
CREATE INDEX runs_unreleased ON runs (workflow_id)
  WHERE owner IS NOT NULL AND status IN ('success', 'failed', 'canceled', 'suspended');
