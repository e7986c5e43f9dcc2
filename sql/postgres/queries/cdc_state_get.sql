SELECT consistent_point::text, completed_at IS NOT NULL
FROM hartonomous_cdc.snapshot_state WHERE slot_name = %(slot)s
