-- {capture_instance} is substituted only after it was checked against cdc.change_tables and
-- [A-Za-z0-9_]+; the LSN bounds are parameters. Both bounds are inclusive.
SELECT sys.fn_cdc_map_lsn_to_time(c.__$start_lsn) AS __hartonomous_commit_time, c.*
FROM cdc.[fn_cdc_get_all_changes_{capture_instance}](?, ?, N'all update old') AS c
ORDER BY c.__$start_lsn, c.__$seqval, c.__$operation;
