-- Run once by the pgvector image on a fresh volume (docker-compose.yml mounts it into
-- /docker-entrypoint-initdb.d). The embedded server does the same in hartonomous.stack.postgres.
CREATE EXTENSION IF NOT EXISTS vector;
