-- Parameter counts of parent and student, and the student's composition hash.
SELECT (SELECT parameter_count FROM models WHERE id = %(parent_id)s), parameter_count, file_hash
FROM models WHERE id = %(model_id)s
