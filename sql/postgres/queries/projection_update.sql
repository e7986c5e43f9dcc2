UPDATE embeddings SET projection = %(projection)s::vector(3), projection_version = %(version)s
WHERE embedder_id = %(embedder_id)s AND document_id = %(document_id)s
