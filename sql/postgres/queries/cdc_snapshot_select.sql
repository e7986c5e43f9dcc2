-- Every column as text: the same output forms the replication stream sends.
SELECT {columns} FROM {table}
