-- WAL the slot keeps (bytes from restart_lsn / confirmed_flush_lsn to the current end).
SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), s.restart_lsn)::bigint,
       pg_wal_lsn_diff(pg_current_wal_lsn(), s.confirmed_flush_lsn)::bigint
FROM pg_replication_slots s WHERE s.slot_name = %(slot)s
