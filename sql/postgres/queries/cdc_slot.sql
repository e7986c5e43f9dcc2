SELECT s.plugin, s.active_pid, s.confirmed_flush_lsn::text
FROM pg_replication_slots s
WHERE s.slot_name = %(slot)s AND s.database = current_database()
