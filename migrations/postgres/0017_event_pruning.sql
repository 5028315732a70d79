-- weft schema v17 (PostgreSQL): stored events can be pruned by retention without a scan.
--
-- expires_at: when the record may go (the end of the event's early-event window, or a token record's
-- expiry); consumed_at: when the run an event was sent to took it (a run takes an event once, so
-- nothing can take it again). Both are read through their own index by Store.pruneEvents.
ALTER TABLE events ADD COLUMN expires_at BIGINT, ADD COLUMN consumed_at BIGINT;

-- Existing rows: token records keep their expiry, other events one day from when they were sent.
UPDATE events SET expires_at = CASE
  WHEN name = 'weft.token.issued' THEN COALESCE((data::jsonb ->> 'expiresAt')::bigint, created_at + 86400000)
  ELSE created_at + 86400000 END;
UPDATE events e SET consumed_at = d.delivered_at
  FROM event_deliveries d WHERE e.run_id IS NOT NULL AND d.event_id = e.id AND d.run_id = e.run_id;

ALTER TABLE events ALTER COLUMN expires_at SET NOT NULL;
CREATE INDEX events_expiry ON events (expires_at);
CREATE INDEX events_consumed ON events (consumed_at) WHERE consumed_at IS NOT NULL;

