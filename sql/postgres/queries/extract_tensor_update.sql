-- A sliced tensor's new shape, size, statistics and content hash.
UPDATE tensors
SET shape = %(shape)s, numel = %(numel)s, nbytes = %(nbytes)s, content_hash = %(content_hash)s,
    mean = %(mean)s, std = %(std)s, min = %(min)s, max = %(max)s, l2 = %(l2)s, nonfinite = %(nonfinite)s,
    importance = %(importance)s
WHERE id = %(tensor_id)s
