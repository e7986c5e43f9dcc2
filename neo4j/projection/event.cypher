// Every event that caused something: one (:Event) per CloudEvent id, linked to its causes
// (the CDC event an enriched change came from, a `causationid` extension) by TRIGGERED_BY.
// rows: {id, type, source, subject, time, topic, partition, offset, causes: [{id, type}]}
UNWIND $rows AS row
MERGE (e:Event {id: row.id})
  ON CREATE SET e.type = row.type, e.source = row.source, e.subject = row.subject,
                e.time = datetime(row.time), e.topic = row.topic, e.partition = row.partition,
                e.offset = row.offset
FOREACH (cause IN row.causes |
  MERGE (c:Event {id: cause.id})
    ON CREATE SET c.type = cause.type
  MERGE (e)-[:TRIGGERED_BY]->(c))
