-- Placeholder: migration numbers 0007 and 0008 belong to other branches merged before this one (the
-- loader requires numbers without gaps). Delete this file at merge; issue 16's migration is 0009.
SELECT 1;
