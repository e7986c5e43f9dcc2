-- A transactional logical message: it reaches the slot as Begin/Message/Commit, so an idle
-- publication still gets a commit LSN to confirm and the slot does not pin WAL.
SELECT pg_logical_emit_message(true, %(prefix)s, now()::text)::text
