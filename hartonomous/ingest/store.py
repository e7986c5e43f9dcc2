"""Writing chunks to ``documents``: insert the new ones, find the ones already there."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from psycopg import AsyncConnection

from hartonomous.ingest.rows import ChunkRow
from hartonomous.store import Queries

SLICE = 1000


@dataclass(frozen=True)
class StoredChunks:
    """Ids by content hash of every chunk of a request, and which of them were inserted now."""

    ids: dict[str, int]
    inserted: frozenset[int]


async def store_chunks(conn: AsyncConnection, sql: Queries, rows: Sequence[ChunkRow]) -> StoredChunks:
    """Insert the chunks (slice by slice, each slice its own transaction); existing ones are kept."""
    ids: dict[str, int] = {}
    inserted: set[int] = set()
    for start in range(0, len(rows), SLICE):
        part = rows[start:start + SLICE]
        async with conn.transaction():
            cur = await conn.execute(sql["documents_insert_chunks"], {
                "source_uris": [r.source_uri for r in part],
                "titles": [r.title for r in part],
                "contents": [r.content for r in part],
                "content_hashes": [r.content_hash for r in part],
                "categories": [r.category for r in part],
                "metadata": [json.dumps(r.metadata) for r in part],
                "chunk_indexes": [r.chunk_index for r in part],
            })
            for doc_id, digest in await cur.fetchall():
                ids[digest] = doc_id
                inserted.add(doc_id)
            missing = [r.content_hash for r in part if r.content_hash not in ids]
            if missing:
                cur = await conn.execute(sql["documents_by_hash"], {"content_hashes": missing})
                for doc_id, digest in await cur.fetchall():
                    ids[digest] = doc_id
    return StoredChunks(ids, frozenset(inserted))
