-- The models row, written last in the ingest transaction, with every total known.
INSERT INTO models (id, name, format, architecture, family, config, file_hash, hash_algorithm, bytes,
                    tensor_bytes, parameter_count, tensor_count, layer_count, chunk_count, new_chunk_bytes,
                    parent_id, derivation, source_uri, chunking, weight_rows_note, metadata)
VALUES (%(id)s, %(name)s, %(format)s, %(architecture)s, %(family)s, %(config)s, %(file_hash)s,
        %(hash_algorithm)s, %(bytes)s, %(tensor_bytes)s, %(parameter_count)s, %(tensor_count)s,
        %(layer_count)s, %(chunk_count)s, %(new_chunk_bytes)s, %(parent_id)s, %(derivation)s,
        %(source_uri)s, %(chunking)s, %(weight_rows_note)s, %(metadata)s)
