-- Whether the rows of a tensor with this content are stored already (and their width).
SELECT dim FROM weight_rows WHERE content_hash = %(content_hash)s LIMIT 1
