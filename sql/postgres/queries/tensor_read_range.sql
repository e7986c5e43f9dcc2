-- The chunks of one tensor that overlap the byte range [start, stop), in order, with offsets
-- and hashes (chunks are row-aligned, so a row range needs only its own chunks).
SELECT tc.byte_offset, c.bytes, c.hash
FROM tensor_chunks tc
JOIN chunks c ON c.hash = tc.chunk_hash
WHERE tc.tensor_id = %(tensor_id)s
  AND tc.byte_offset < %(stop)s
  AND tc.byte_offset + c.length > %(start)s
ORDER BY tc.ordinal
