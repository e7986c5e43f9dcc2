-- Truncate is not published: the change model has no truncate operation.
CREATE PUBLICATION {publication} FOR TABLE {tables} WITH (publish = 'insert, update, delete')
