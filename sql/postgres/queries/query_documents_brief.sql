-- What a search shows of each hit: title, source, category and the start of the text.
SELECT id, title, source_uri, category, left(content, %(chars)s) AS snippet
FROM documents
WHERE id = ANY (%(ids)s)
