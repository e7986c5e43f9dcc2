-- Audit rows of the query side, by id.
SELECT id, kind, models, result_ids, coalesce(duration_ms, 0) FROM inference_requests
WHERE id = ANY (%(ids)s) ORDER BY id
