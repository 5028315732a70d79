-- weft schema v6 (PostgreSQL): leases follow the database's clock.
--
-- Lease expiry, and whether a lease has expired, used to come from each worker's own clock: a worker
-- 60 s behind wrote leases the others saw as already expired (they took its runs over and ran its steps
-- again), and a worker ahead took over leases that were still live. Every statement that grants or
-- judges a lease now reads this function instead.
--
-- statement_timestamp() is fixed for the statement, so the planner can use it as an index bound. When a
-- statement waited (for a lock, say) it is earlier than the moment the lease is granted or judged, which
-- errs on the safe side: a lease granted ends a little sooner, a lease judged looks alive a little
-- longer. Milliseconds since the epoch, like every weft timestamp.
CREATE FUNCTION weft_now_ms() RETURNS bigint LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT (extract(epoch FROM statement_timestamp()) * 1000)::bigint $$;
