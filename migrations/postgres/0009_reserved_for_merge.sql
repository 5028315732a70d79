-- Placeholder: migration numbers 0009 and 0010 belong to other branches merged before this one (the
-- loader requires numbers without gaps). Delete this file at merge; issue 16's migration is 0011.
SELECT 1;
