-- Hold off ingests (they take this lock shared) while garbage-collecting, so no ingest is
-- between finding a chunk stored and referencing it. Run the GC statements after this one.
SELECT pg_advisory_xact_lock(%(gc_key)s)
