-- weft schema v14 (SQLite): stored events can be pruned by retention without a scan.
--
-- expires_at: when the record may go (the end of the event's early-event window, or a token record's
-- expiry); consumed_at: when the run an event was sent to took it (a run takes an event once, so
-- nothing can take it again). Both are read through their own index by Store.pruneEvents.
ALTER TABLE events ADD COLUMN expires_at INTEGER;
ALTER TABLE events ADD COLUMN consumed_at INTEGER;

-- Existing rows: token records keep their expiry, other events one day from when they were sent.
UPDATE events SET expires_at = CASE
  WHEN name = 'weft.token.issued' THEN COALESCE(json_extract(data, '$.expiresAt'), created_at + 86400000)
  ELSE created_at + 86400000 END;
UPDATE events SET consumed_at = (SELECT d.delivered_at FROM event_deliveries d WHERE d.event_id = events.id AND d.run_id = events.run_id)
  WHERE run_id IS NOT NULL;

CREATE INDEX events_expiry ON events (expires_at);
CREATE INDEX events_consumed ON events (consumed_at) WHERE consumed_at IS NOT NULL;
