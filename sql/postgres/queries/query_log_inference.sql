-- One inference_requests row for a search/embed/generate/extract call (log_inference, 030).
SELECT log_inference(%(kind)s, %(inputs)s, %(models)s, %(result_ids)s, %(results)s, %(duration_ms)s,
                     %(requested_by)s)
