-- Delete a model and its layers, tensors, chunk lists, vocabulary and files (chunks and weight
-- rows shared by content stay until garbage collection).
DELETE FROM models WHERE name = %(name)s RETURNING id
