// Advance the offset in the same transaction as the batch it covers.
MATCH (o:Offset {key: $key})
SET o.offset = $offset,
    o.failed = $failed,
    o.failed_errors = $failed_errors,
    o.projector = $projector,
    o.topic = $topic,
    o.partition = $partition,
    o.updated_at = datetime()
