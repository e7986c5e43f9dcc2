-- How the parent's tensor bytes were chunked (a sliced tensor is chunked the same way).
SELECT chunking FROM models WHERE id = %(id)s
