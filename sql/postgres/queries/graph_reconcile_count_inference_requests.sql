-- Rows of inference_requests, for `hartonomous audit reconcile` (run only when the table exists).
SELECT count(*) AS n FROM inference_requests;
