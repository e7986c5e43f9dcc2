-- Names of the stored models (for the error that lists them).
SELECT name FROM models ORDER BY name
