-- Reserve the id of a model about to be written (its row is inserted last, FKs deferred).
SELECT nextval(pg_get_serial_sequence('models', 'id'))
