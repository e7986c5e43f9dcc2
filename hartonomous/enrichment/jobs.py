"""Deciding and recording embed jobs, so each version of each chunk is embedded once.

The rule, shared by the ingest path and the change (CDC) path:

    an embed job for (document, embedder, content hash) is requested when the document holding
    that hash has no embedding computed from it, and no job for it is pending (within the lease).

A job row (``jobs``, kind ``embed``, status ``pending``) is written only *after* Kafka
acknowledged the job event. So a crash before the publish leaves no row and the redelivered
input requests the job again; a crash after leaves a row, and the job is already on Kafka. When
both paths see a new chunk (the ingest step inserts it, then CDC reports the insert), the first
one publishes and records the job and the second finds it pending. The embedder marks the row
``done`` (or ``failed``); a duplicate request that slips through (two enrichers racing) is
harmless: the embedder skips a document whose embedding is already current.
"""

from __future__ import annotations

from collections.abc import Sequence

from psycopg import AsyncConnection

from hartonomous.embedding.store import EMBED_JOB_KIND, embed_job_key
from hartonomous.events import Event
from hartonomous.store import Queries


async def plan_embeds(
    conn: AsyncConnection, sql: Queries, content_hashes: Sequence[str], *, embedder: str, lease_s: float
) -> dict[str, int]:
    """Content hash -> document id, for the hashes that need an embed job now."""
    if not content_hashes:
        return {}
    cur = await conn.execute(sql["embed_plan"], {
        "content_hashes": list(dict.fromkeys(content_hashes)), "embedder": embedder, "lease_s": lease_s,
    })
    return {digest: int(doc_id) for doc_id, digest in await cur.fetchall()}


async def record_requested(conn: AsyncConnection, sql: Queries, jobs: Sequence[Event]) -> None:
    """Write ``pending`` job rows for embed job events Kafka has acknowledged."""
    if not jobs:
        return
    keys, ids = [], []
    for job in jobs:
        data = job.get_data()
        assert isinstance(data, dict)
        keys.append(embed_job_key(data["document_id"], data["embedder"], data["content_hash"]))
        ids.append(job.get_id())
    await conn.execute(sql["jobs_requested"], {"kind": EMBED_JOB_KIND, "natural_keys": keys, "event_ids": ids})
