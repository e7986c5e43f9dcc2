-- Serialise writers of one model name, and hold off chunk garbage collection (shared lock).
SELECT pg_advisory_xact_lock(hashtextextended('hartonomous.model:' || %(name)s, 0)),
       pg_advisory_xact_lock_shared(%(gc_key)s)
