-- weft schema v5 (SQLite): settled runs still held by their owner.
--
-- A run whose workflow has lifecycle callbacks (onFinish/onError) settles without being released: its
-- owner keeps the lease while it calls the callbacks, and releasing the run (owner cleared) afterwards
-- is the durable record that they ran. A settled run that still has an owner whose lease expired was
-- settled by a process that died before that record: a worker claims it to call the callbacks again.
-- Such runs are few and short-lived, so the index is nearly always empty; it costs the hot path one
-- predicate check per update and no index write.
CREATE INDEX runs_unreleased ON runs (lease_expires_at)
  WHERE owner IS NOT NULL AND status IN ('success', 'failed', 'canceled', 'suspended');
