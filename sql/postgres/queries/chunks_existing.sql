-- Which of these chunk hashes are stored already.
SELECT hash FROM chunks WHERE hash = ANY(%(hashes)s::text[])
