-- weft schema v3 (SQLite): a partial index over pending runs in claim order. Only queued runs are in
-- it (runs a process starts and executes itself are created 'running' and never enter it), so the hot
-- path does not pay for it, and a claim reads the first runs in order instead of sorting the backlog.
CREATE INDEX runs_pending_claim ON runs (priority DESC, created_at, id) WHERE status = 'pending';
