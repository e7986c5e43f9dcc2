-- Record job requests whose events Kafka acknowledged (status pending).
INSERT INTO jobs (kind, natural_key, status, event_id)
SELECT %(kind)s, t.natural_key, 'pending', t.event_id
FROM unnest(%(natural_keys)s::text[], %(event_ids)s::text[]) AS t(natural_key, event_id)
ON CONFLICT (kind, natural_key) DO UPDATE
SET status = 'pending', event_id = EXCLUDED.event_id, last_error = NULL, updated_at = now()
WHERE jobs.status <> 'running'
