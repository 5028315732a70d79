-- weft schema v5 (PostgreSQL): run counts per (workflow, status), so a listing's `total` is a lookup
-- instead of a COUNT(*) over every stored run (~100 ms per count at a million runs). Listings filtered
-- by resource or date still count the matching rows through their indexes.
--
-- Kept by statement-level triggers over transition tables: one upsert per (workflow, status) group per
-- statement, not per row, so a batch of 100 settling runs costs one or two counter updates. Each
-- connection adds to its own slot (backend pid modulo 16) so concurrent writers rarely wait on the
-- same counter row; readers sum the slots. Groups are updated in sorted order so two statements never
-- lock the same counters in opposite orders.
CREATE TABLE run_counts (
  workflow_id TEXT NOT NULL,
  status      TEXT NOT NULL,
  slot        INTEGER NOT NULL,
  n           BIGINT NOT NULL,
  PRIMARY KEY (workflow_id, status, slot)
);

INSERT INTO run_counts (workflow_id, status, slot, n)
  SELECT workflow_id, status, 0, count(*) FROM runs GROUP BY workflow_id, status;

-- SET search_path FROM CURRENT: the migration runs with search_path set to weft's schema, and the
-- functions must find run_counts there whatever the search_path of the session that fires them.
CREATE FUNCTION weft_count_runs() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO run_counts AS c (workflow_id, status, slot, n)
      SELECT workflow_id, status, pg_backend_pid() % 16, count(*) FROM new_rows
      GROUP BY workflow_id, status ORDER BY workflow_id, status
      ON CONFLICT (workflow_id, status, slot) DO UPDATE SET n = c.n + EXCLUDED.n;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO run_counts AS c (workflow_id, status, slot, n)
      SELECT workflow_id, status, pg_backend_pid() % 16, -count(*) FROM old_rows
      GROUP BY workflow_id, status ORDER BY workflow_id, status
      ON CONFLICT (workflow_id, status, slot) DO UPDATE SET n = c.n + EXCLUDED.n;
  ELSE
    INSERT INTO run_counts AS c (workflow_id, status, slot, n)
      SELECT workflow_id, status, pg_backend_pid() % 16, sum(d) FROM (
        SELECT workflow_id, status, -1 AS d FROM old_rows
        UNION ALL
        SELECT workflow_id, status, 1 AS d FROM new_rows
      ) t
      GROUP BY workflow_id, status HAVING sum(d) <> 0 ORDER BY workflow_id, status
      ON CONFLICT (workflow_id, status, slot) DO UPDATE SET n = c.n + EXCLUDED.n;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER runs_count_insert AFTER INSERT ON runs REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION weft_count_runs();
CREATE TRIGGER runs_count_update AFTER UPDATE ON runs REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION weft_count_runs();
CREATE TRIGGER runs_count_delete AFTER DELETE ON runs REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION weft_count_runs();
