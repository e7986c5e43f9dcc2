INSERT INTO hartonomous_cdc.snapshot_state (slot_name, consistent_point)
VALUES (%(slot)s, %(consistent_point)s::pg_lsn)
ON CONFLICT (slot_name) DO UPDATE
SET consistent_point = EXCLUDED.consistent_point, started_at = now(), completed_at = NULL
