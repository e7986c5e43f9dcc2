-- Reserve ids for the tensors of a model (written by COPY).
SELECT nextval(pg_get_serial_sequence('tensors', 'id')) FROM generate_series(1, %(count)s)
