-- Whether the initial snapshot of a slot completed (the slot itself cannot say).
CREATE SCHEMA IF NOT EXISTS hartonomous_cdc;
CREATE TABLE IF NOT EXISTS hartonomous_cdc.snapshot_state (
    slot_name        text PRIMARY KEY,
    consistent_point pg_lsn NOT NULL,
    started_at       timestamptz NOT NULL DEFAULT now(),
    completed_at     timestamptz
);
