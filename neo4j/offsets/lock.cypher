// The projector's last applied offset for one (projector, topic, partition), read under a write
// lock: setting a property takes the node's write lock until the transaction ends, so two
// writers of one partition are serialised and the value returned is the latest committed one.
MERGE (o:Offset {key: $key})
  ON CREATE SET o.offset = -1, o.failed = [], o.failed_errors = []
SET o._lock = true
REMOVE o._lock
RETURN o.offset AS offset, coalesce(o.failed, []) AS failed, coalesce(o.failed_errors, []) AS failed_errors
