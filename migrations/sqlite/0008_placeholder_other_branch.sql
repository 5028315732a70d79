-- Placeholder for a migration number reserved by another branch (issue 18 helpers). The integrator
-- drops this file when that branch's migration of the same number is merged.
SELECT 1;
