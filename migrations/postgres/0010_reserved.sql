-- Placeholder on branch flow-control for a migration number another branch takes (delete at merge).
SELECT 1;
