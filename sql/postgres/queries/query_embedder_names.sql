-- Names of all embedders (for the error that lists them).
SELECT name FROM embedders ORDER BY name
