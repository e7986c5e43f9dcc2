-- Which of these tensor contents have their weight rows stored already.
SELECT h FROM unnest(%(hashes)s::text[]) AS h
WHERE EXISTS (SELECT 1 FROM weight_rows w WHERE w.content_hash = h)
