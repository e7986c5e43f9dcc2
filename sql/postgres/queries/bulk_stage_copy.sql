COPY bulk_stage FROM STDIN
