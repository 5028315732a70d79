-- weft schema v17 (PostgreSQL): stored events can be pruned by retention without a scan, and a send
-- to waiting runs is one round trip.
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


-- A send to the runs waiting now, in one round trip (Store.sendEvent without triggered runs; the same
-- rules as src/store/postgres/events.ts's statement-by-statement path, which sends that start runs
-- still take). Called as one statement outside any explicit transaction: the statement is the
-- transaction. Each query in a VOLATILE plpgsql function takes a new snapshot under READ COMMITTED, so
-- the waits read after the advisory locks include every wait registered before the locks were granted
-- (a wait registration holds the same lock until it commits): the send and the wait never miss each
-- other, as with the statement-by-statement path. Returns one row per run delivered to, or one row
-- (created, NULL, NULL) when none was; created is false when an event with this id exists.
-- p_lock_any / p_lock_key: the advisory lock keys (events.ts lockKey), p_lock_key NULL without a key.
CREATE FUNCTION weft_send_event(p_id TEXT, p_name TEXT, p_key TEXT, p_run_id TEXT, p_data TEXT, p_now BIGINT,
    p_expires_at BIGINT, p_lock_any TEXT, p_lock_key TEXT)
  RETURNS TABLE (created BOOLEAN, run_id TEXT, workflow_id TEXT)
  LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
#variable_conflict use_column
DECLARE
  waits REFCURSOR;
  w RECORD;
  t RECORD;
  part TEXT;
  any_delivered BOOLEAN := false;
BEGIN
  IF p_run_id IS NOT NULL THEN
    PERFORM 1 FROM runs r WHERE r.id = p_run_id FOR UPDATE;
  ELSIF p_lock_key IS NULL THEN
    PERFORM pg_advisory_xact_lock_shared(hashtextextended(p_lock_any, 0));
  ELSE
    PERFORM pg_advisory_xact_lock_shared(hashtextextended(p_lock_any, 0)), pg_advisory_xact_lock(hashtextextended(p_lock_key, 0));
  END IF;
  INSERT INTO events (id, name, match_key, run_id, data, created_at, expires_at)
    VALUES (p_id, p_name, p_key, p_run_id, p_data, p_now, p_expires_at) ON CONFLICT (id) DO NOTHING;
  IF NOT FOUND THEN
    RETURN QUERY SELECT false, NULL::TEXT, NULL::TEXT;
    RETURN;
  END IF;
  -- The event as the delivered row's meta records it (journal-meta.ts deliveredMeta): appended to the
  -- row's meta object; a key already there is overridden, as JSON.parse takes the last of duplicates.
  part := '"event":{"id":' || to_json(p_id)::text || ',"name":' || to_json(p_name)::text
    || ',"key":' || COALESCE(to_json(p_key)::text, 'null')
    || CASE WHEN p_data IS NULL THEN '' ELSE ',"data":' || p_data END
    || ',"receivedAt":' || p_now || '},"resumedAt":' || p_now;
  -- The waits this event may end (one query per case, each through its index).
  IF p_run_id IS NOT NULL THEN
    OPEN waits FOR SELECT ew.run_id, ew.path FROM event_waits ew WHERE ew.run_id = p_run_id AND ew.name = p_name
      ORDER BY ew.path COLLATE "C";
  ELSIF p_key IS NULL THEN
    OPEN waits FOR SELECT ew.run_id, ew.path FROM event_waits ew WHERE ew.name = p_name AND ew.match_key IS NULL
      ORDER BY ew.run_id COLLATE "C", ew.path COLLATE "C";
  ELSE
    OPEN waits FOR SELECT ew.run_id, ew.path FROM event_waits ew WHERE ew.name = p_name AND (ew.match_key = p_key OR ew.match_key IS NULL)
      ORDER BY ew.run_id COLLATE "C", ew.path COLLATE "C";
  END IF;
  LOOP
    FETCH waits INTO w;
    EXIT WHEN NOT FOUND;
    SELECT r.workflow_id, r.status, j.status AS row_status, j.meta,
        EXISTS (SELECT 1 FROM event_deliveries d WHERE d.event_id = p_id AND d.run_id = r.id) AS already
      INTO t FROM runs r LEFT JOIN journal j ON j.run_id = r.id AND j.path = w.path WHERE r.id = w.run_id FOR UPDATE OF r;
    IF FOUND AND t.already THEN
      CONTINUE;
    END IF;
    IF NOT FOUND OR t.status IN ('success', 'failed', 'canceled') OR t.row_status IS DISTINCT FROM 'waiting' THEN
      DELETE FROM event_waits ew WHERE ew.run_id = w.run_id AND ew.path = w.path;
      CONTINUE;
    END IF;
    DELETE FROM event_waits ew WHERE ew.run_id = w.run_id AND ew.path = w.path;
    INSERT INTO event_deliveries (event_id, run_id, path, delivered_at) VALUES (p_id, w.run_id, w.path, p_now);
    UPDATE journal j SET status = 'resumed',
        meta = CASE WHEN t.meta IS NULL OR t.meta = '{}' THEN '{' || part || '}' ELSE left(t.meta, -1) || ',' || part || '}' END
      WHERE j.run_id = w.run_id AND j.path = w.path;
    IF p_run_id IS NOT NULL THEN
      UPDATE events e SET consumed_at = p_now WHERE e.id = p_id;
    END IF;
    UPDATE runs r SET
        status = CASE WHEN r.status IN ('running', 'waiting') THEN 'pending' ELSE r.status END,
        owner = CASE WHEN r.status IN ('running', 'waiting') THEN NULL ELSE r.owner END,
        lease_expires_at = CASE WHEN r.status IN ('running', 'waiting') THEN NULL ELSE r.lease_expires_at END,
        lease_epoch = CASE WHEN r.status IN ('running', 'waiting') THEN r.lease_epoch + 1 ELSE r.lease_epoch END,
        wake_at = NULL, updated_at = p_now
      WHERE r.id = w.run_id;
    any_delivered := true;
    RETURN QUERY SELECT true, w.run_id, t.workflow_id;
  END LOOP;
  CLOSE waits;
  IF NOT any_delivered THEN
    RETURN QUERY SELECT true, NULL::TEXT, NULL::TEXT;
  END IF;
END
$$;
