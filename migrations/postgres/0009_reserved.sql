-- Placeholder for schema v9, taken by another branch. Merging replaces this file with that branch's
-- migration (events use v10 and do not depend on it).
SELECT 1;
