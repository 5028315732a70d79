-- weft schema v19 (PostgreSQL): registering a wait for events is one round trip, and two sends that
-- reach one wait at once deliver one event to it (see weft_send_event at the end).
--
-- Store.registerWait as one statement calling weft_register_wait, outside any explicit transaction (the
-- statement is the transaction), instead of about nine (BEGIN, the advisory locks, the run row, the
-- old registration's removal, two early-event lookups per name, the row, the delivery or the
-- registration, COMMIT). The same steps in the same order:
--
-- 1. The advisory locks of the wait (events.ts waitLocks: (name, key) per name, or (name, *) without a
--    key), exclusive, in byte order of their keys, before any row lock. A send of a matching event
--    holds one of them while it stores the event and reads the waits (weft_send_event, migration 0017).
-- 2. The run's row FOR UPDATE (an event sent to this run locks it first); a missing run or another
--    lease epoch is fenced: nothing is written.
-- 3. The previous registration of this wait row goes.
-- 4. The earliest event not yet delivered to this run, sent at or after p_since, of any of the names:
--    sent to this run, or sent to nobody in particular with the wait's key (any key when the wait has
--    none); earliest by created_at, then seq. Each lookup goes through its index (events_run,
--    events_match) and takes one row.
-- 5. With such an event: the delivery is recorded (and an event sent to this run is consumed), and the
--    wait row is written 'resumed' with the event in its meta. Without: the row as given, and the
--    registration in event_waits.
--
-- Snapshots: every query of a VOLATILE plpgsql function takes a new snapshot under READ COMMITTED, so
-- the lookups of step 4, made after the locks of steps 1-2 were granted, see every event whose send
-- held those locks before (a send commits before it releases them). A send that comes later waits for
-- this statement's commit, then reads the registration: the two never miss each other.
--
-- The row's meta with an event: p_meta_before || the event's id, name, key and data || p_meta_after,
-- the two ends made by the caller from the row's meta (journal-meta.ts deliveredMetaAround), so the
-- text is exactly deliveredMeta's; the event's strings are escaped by to_json as JSON.stringify does,
-- and its data, JSON text as the engine writes it (JSON.stringify's), is spliced in as it is.
-- Stream positions as the batch write gives them (write-batch.ts JOURNAL_UPSERT).
--
-- Returns one row: fenced, then the event taken (all NULL when none was).
CREATE FUNCTION weft_register_wait(p_run_id TEXT, p_epoch BIGINT, p_locks TEXT[], p_names TEXT[], p_key TEXT,
    p_since BIGINT, p_now BIGINT,
    p_row_run_id TEXT, p_path TEXT, p_kind TEXT, p_status TEXT, p_attempt INT, p_input TEXT, p_output TEXT,
    p_error TEXT, p_meta TEXT, p_started_at BIGINT, p_ended_at BIGINT,
    p_meta_before TEXT, p_meta_after TEXT)
  RETURNS TABLE (fenced BOOLEAN, ev_id TEXT, ev_name TEXT, ev_key TEXT, ev_run_id TEXT, ev_data TEXT, ev_created_at BIGINT)
  LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
#variable_conflict use_column
DECLARE
  epoch BIGINT;
  ev RECORD;
  row_status TEXT := p_status;
  row_meta TEXT := p_meta;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended(x, 0)) FROM unnest(p_locks) AS l(x) ORDER BY x COLLATE "C";
  SELECT r.lease_epoch INTO epoch FROM runs r WHERE r.id = p_run_id FOR UPDATE;
  IF NOT FOUND OR epoch IS DISTINCT FROM p_epoch THEN
    RETURN QUERY SELECT true, NULL::TEXT, NULL::TEXT, NULL::TEXT, NULL::TEXT, NULL::TEXT, NULL::BIGINT;
    RETURN;
  END IF;
  DELETE FROM event_waits ew WHERE ew.run_id = p_run_id AND ew.path = p_path;
  -- Two forms rather than one with "p_key IS NULL OR ...", so each keeps its index condition.
  IF p_key IS NULL THEN
    SELECT f.* INTO ev FROM unnest(p_names) AS n(name), LATERAL (
        (SELECT e.id, e.name, e.match_key, e.run_id, e.data, e.created_at, e.seq FROM events e
          WHERE e.run_id = p_run_id AND e.name = n.name AND e.created_at >= p_since
            AND NOT EXISTS (SELECT 1 FROM event_deliveries d WHERE d.event_id = e.id AND d.run_id = p_run_id)
          ORDER BY e.created_at, e.seq LIMIT 1)
        UNION ALL
        (SELECT e.id, e.name, e.match_key, e.run_id, e.data, e.created_at, e.seq FROM events e
          WHERE e.run_id IS NULL AND e.name = n.name AND e.created_at >= p_since
            AND NOT EXISTS (SELECT 1 FROM event_deliveries d WHERE d.event_id = e.id AND d.run_id = p_run_id)
          ORDER BY e.created_at, e.seq LIMIT 1)
      ) f ORDER BY f.created_at, f.seq LIMIT 1;
  ELSE
    SELECT f.* INTO ev FROM unnest(p_names) AS n(name), LATERAL (
        (SELECT e.id, e.name, e.match_key, e.run_id, e.data, e.created_at, e.seq FROM events e
          WHERE e.run_id = p_run_id AND e.name = n.name AND e.created_at >= p_since
            AND NOT EXISTS (SELECT 1 FROM event_deliveries d WHERE d.event_id = e.id AND d.run_id = p_run_id)
          ORDER BY e.created_at, e.seq LIMIT 1)
        UNION ALL
        (SELECT e.id, e.name, e.match_key, e.run_id, e.data, e.created_at, e.seq FROM events e
          WHERE e.run_id IS NULL AND e.name = n.name AND e.match_key = p_key AND e.created_at >= p_since
            AND NOT EXISTS (SELECT 1 FROM event_deliveries d WHERE d.event_id = e.id AND d.run_id = p_run_id)
          ORDER BY e.created_at, e.seq LIMIT 1)
      ) f ORDER BY f.created_at, f.seq LIMIT 1;
  END IF;
  IF ev.id IS NOT NULL THEN
    UPDATE events e SET consumed_at = p_now WHERE e.id = ev.id AND e.run_id = p_run_id;
    INSERT INTO event_deliveries (event_id, run_id, path, delivered_at) VALUES (ev.id, p_run_id, p_path, p_now);
    row_status := 'resumed';
    row_meta := p_meta_before || '{"id":' || to_json(ev.id)::text || ',"name":' || to_json(ev.name)::text
      || ',"key":' || COALESCE(to_json(ev.match_key)::text, 'null')
      || CASE WHEN ev.data IS NULL THEN '' ELSE ',"data":' || ev.data END || p_meta_after;
  END IF;
  INSERT INTO journal AS j (run_id, path, kind, status, attempt, input, output, error, meta, started_at, ended_at, pos, first_pos)
    SELECT x.*, x.pos FROM (SELECT p_row_run_id, p_path, p_kind, row_status, p_attempt, p_input, p_output, p_error, row_meta,
        p_started_at, p_ended_at, nextval('stream_pos') AS pos) x
    ON CONFLICT (run_id, path) DO UPDATE SET kind = EXCLUDED.kind, status = EXCLUDED.status, attempt = EXCLUDED.attempt,
      input = EXCLUDED.input, output = EXCLUDED.output, error = EXCLUDED.error, meta = EXCLUDED.meta,
      started_at = EXCLUDED.started_at, ended_at = EXCLUDED.ended_at,
      pos = CASE WHEN j.started_at = EXCLUDED.started_at AND j.status = EXCLUDED.status THEN j.pos ELSE EXCLUDED.pos END,
      first_pos = CASE WHEN j.started_at = EXCLUDED.started_at THEN j.first_pos ELSE EXCLUDED.first_pos END;
  IF ev.id IS NULL THEN
    INSERT INTO event_waits (run_id, path, name, match_key, created_at)
      SELECT p_run_id, p_path, n, p_key, p_now FROM unnest(p_names) AS n
      ON CONFLICT (run_id, path, name) DO UPDATE SET match_key = EXCLUDED.match_key;
  END IF;
  RETURN QUERY SELECT false, ev.id, ev.name, ev.match_key, ev.run_id, ev.data, ev.created_at;
END
$$;


-- weft_send_event (migration 0017) with one change: a send that waited for the run's row lock read the
-- wait row in the snapshot of the query that waited (PostgreSQL re-reads only the locked row), so when
-- two sends that do not share an advisory lock (two sends without a key, or a keyed one and one sent to
-- the run) reached the same wait, both delivered: the run saw the second event, the first was lost. The
-- row is now locked by one query and read by the next, whose snapshot sees the other send's delivery.
CREATE OR REPLACE FUNCTION weft_send_event(p_id TEXT, p_name TEXT, p_key TEXT, p_run_id TEXT, p_data TEXT, p_now BIGINT,
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
    -- The run's row locked first, its wait row read after (a new snapshot): read in one query, a wait
    -- row another send resumed while this one waited for the run's lock was seen as still waiting.
    PERFORM 1 FROM runs r WHERE r.id = w.run_id FOR UPDATE;
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
