DELETE FROM hartonomous_cdc.snapshot_state WHERE slot_name = %(slot)s
