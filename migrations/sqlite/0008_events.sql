-- weft schema v8 (SQLite): events, the waits for them, and their deliveries.
--
-- An event is stored first, then delivered. Sending looks up the waits for its (name, key) through
-- event_waits_match; a run reaching a wait looks up the events sent earlier through events_match (or
-- events_run for events sent to that run). Neither scans: 100,000 runs waiting on distinct keys cost one
-- index lookup per send.
CREATE TABLE events (
  seq        INTEGER PRIMARY KEY,
  id         TEXT NOT NULL UNIQUE,
  name       TEXT NOT NULL,
  match_key  TEXT,
  run_id     TEXT,
  data       TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX events_match ON events (name, match_key, created_at) WHERE run_id IS NULL;
CREATE INDEX events_run ON events (run_id, name, created_at) WHERE run_id IS NOT NULL;

-- One row per (run, wait path, event name). match_key NULL: the wait takes any event of the name.
CREATE TABLE event_waits (
  run_id     TEXT NOT NULL,
  path       TEXT NOT NULL,
  name       TEXT NOT NULL,
  match_key  TEXT,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (run_id, path, name)
) WITHOUT ROWID;
CREATE INDEX event_waits_match ON event_waits (name, match_key);

-- A run gets an event once, whichever of its waits took it.
CREATE TABLE event_deliveries (
  event_id     TEXT NOT NULL,
  run_id       TEXT NOT NULL,
  path         TEXT NOT NULL,
  delivered_at INTEGER NOT NULL,
  PRIMARY KEY (event_id, run_id)
) WITHOUT ROWID;
