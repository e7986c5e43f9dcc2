SELECT sys.fn_cdc_increment_lsn(?);
