UPDATE hartonomous_cdc.snapshot_state SET completed_at = now() WHERE slot_name = %(slot)s
