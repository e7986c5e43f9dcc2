-- Which tensors two models share, by content hash (stored once, whatever the names).
SELECT a.name AS tensor, b.name AS tensor_in_other, a.nbytes, left(a.content_hash, 16) AS content_hash
FROM models ma
JOIN tensors a ON a.model_id = ma.id
JOIN tensors b ON b.content_hash = a.content_hash
JOIN models mb ON mb.id = b.model_id
WHERE ma.name = %(a)s AND mb.name = %(b)s
ORDER BY a.ordinal
