SELECT sys.fn_cdc_get_min_lsn(?);
