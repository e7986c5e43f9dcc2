"""Building blocks of the PostgreSQL logical-replication producer (``producers.postgres_cdc``)."""
