-- Placeholder for schema v7, taken by another branch. Merging replaces this file with that branch's
-- migration (events use v8 and do not depend on it).
SELECT 1;
