// What happened between $from (inclusive) and $to (exclusive): each event in time order, the
// activity it triggered, what that activity generated and what it used.
// params: $from, $to (ISO-8601 date-times), $limit
MATCH (e:Event)
WHERE e.time >= datetime($from) AND e.time < datetime($to)
WITH e ORDER BY e.time, e.id LIMIT $limit
OPTIONAL MATCH (a)-[:TRIGGERED_BY]->(e)
WHERE NOT a:Event
CALL (a) {
  OPTIONAL MATCH (x)-[:WAS_GENERATED_BY]->(a)
  RETURN collect(DISTINCT labels(x)[0] + ':' + coalesce(x.id, x.key, x.name))[..10] AS generated
}
CALL (a) {
  OPTIONAL MATCH (a)-[:USED|USED_MODEL|GENERATED_FROM]->(u)
  RETURN collect(DISTINCT labels(u)[0] + ':' + coalesce(u.id, u.key, u.name))[..10] AS used
}
RETURN toString(e.time) AS time, e.type AS type, e.id AS event, e.source AS source,
       CASE WHEN a IS NULL THEN null ELSE labels(a)[0] END AS activity,
       CASE WHEN a IS NULL THEN null ELSE a.id END AS activity_id,
       generated, used
ORDER BY e.time, e.id, activity_id
