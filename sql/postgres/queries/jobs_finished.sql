-- Record the outcome of jobs (done or failed), counting the attempt.
INSERT INTO jobs (kind, natural_key, status, attempts, last_error, event_id)
SELECT %(kind)s, t.natural_key, t.status, 1, t.last_error, t.event_id
FROM unnest(%(natural_keys)s::text[], %(statuses)s::text[], %(errors)s::text[], %(event_ids)s::text[])
     AS t(natural_key, status, last_error, event_id)
ON CONFLICT (kind, natural_key) DO UPDATE
SET status = EXCLUDED.status, attempts = jobs.attempts + 1, last_error = EXCLUDED.last_error,
    updated_at = now()
