-- Drop a sliced tensor's old chunk list (it pointed at the parent's full-size chunks).
DELETE FROM tensor_chunks WHERE tensor_id = %(tensor_id)s
