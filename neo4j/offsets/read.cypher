// The stored offsets of one projector (for tools and tests), without taking locks.
MATCH (o:Offset)
WHERE o.projector = $projector AND ($topic IS NULL OR o.topic = $topic)
RETURN o.key AS key, o.topic AS topic, o.partition AS partition, o.offset AS offset,
       o.failed AS failed
ORDER BY topic, partition
