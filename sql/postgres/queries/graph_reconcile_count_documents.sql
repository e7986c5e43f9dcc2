-- Rows of documents, for `hartonomous audit reconcile` (run only when the table exists).
SELECT count(*) AS n FROM documents;
