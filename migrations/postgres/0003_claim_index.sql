-- weft schema v3 (PostgreSQL): a partial index over pending runs in claim order. Only queued runs are
-- in it, so runs executed by the process that started them do not pay for it, and a claim reads the
-- first runs in order (SKIP LOCKED) instead of sorting the whole backlog.
CREATE INDEX runs_pending_claim ON runs (priority DESC, created_at, id COLLATE "C") WHERE status = 'pending';
