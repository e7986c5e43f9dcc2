"""The audit library: one function per question, each running one query of ``neo4j/queries``.

- :func:`lineage`: where did this embedding, model, answer or document come from?
- :func:`used_by`: which inferences used model M (and what knowledge), what else used it?
- :func:`window`: what happened between A and B?
- :func:`shared_tensors`: which models share tensors with M, by content hash?
- :func:`reconcile`: counts at the source tables, in the store and in the graph side by side.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any

from hartonomous.config import Settings
from hartonomous.graph.client import GraphClient
from hartonomous.graph.exceptions import GraphError

Row = dict[str, Any]

LINEAGE_KINDS = {
    "embedding": "Embedding", "model": "Model", "inference": "Inference", "document": "Document", "event": "Event",
}
DEFAULT_LIMIT = 50


@dataclass(frozen=True)
class Reconciled:
    """One entity's counts: at the source tables (CDC captures them), in the store (the
    consumers write them), in the graph. ``None`` where not applicable or the table is missing."""

    entity: str
    table: str
    source: int | None
    store: int | None
    graph: int

    @property
    def postgres(self) -> int | None:
        """The PostgreSQL count, wherever it sits."""
        return self.source if self.source is not None else self.store

    @property
    def status(self) -> str:
        """``ok``, ``MISMATCH`` or ``table missing``."""
        if self.postgres is None:
            return "table missing"
        return "ok" if self.postgres == self.graph else "MISMATCH"

    def as_row(self) -> Row:
        """As a dict with the status, for tables and JSON."""
        return {**asdict(self), "status": self.status}


# entity -> (table in PostgreSQL, where it sits: "source" or "store", column of queries/reconcile)
RECONCILED: tuple[tuple[str, str, str, str], ...] = (
    ("document", "documents", "source", "documents"),
    ("embedding", "embeddings", "store", "embeddings"),
    ("model", "models", "store", "models"),
    ("inference", "inference_requests", "source", "inferences"),
)


async def lineage(client: GraphClient, node_id: str, *, kind: str | None = None) -> list[Row]:
    """The lineage edges of the node(s) keyed ``node_id`` (restricted to ``kind`` if given)."""
    label = None
    if kind is not None:
        try:
            label = LINEAGE_KINDS[kind.lower()]
        except KeyError:
            raise GraphError(f"unknown kind {kind!r}; one of {sorted(LINEAGE_KINDS)}") from None
    return await client.read("queries/lineage", id=node_id, kind=label)


async def used_by(client: GraphClient, model: str, *, limit: int = DEFAULT_LIMIT) -> dict[str, Any]:
    """Totals and the latest ``limit`` users of each kind (inference, embedding, derived model)."""
    counts = await client.read("queries/used_by_counts", model=model)
    rows = await client.read("queries/used_by", model=model, limit=limit)
    return {"model": model, "found": bool(counts), "counts": counts[0] if counts else {}, "rows": rows}


async def window(client: GraphClient, start: str, end: str, *, limit: int = 1000) -> list[Row]:
    """Events in ``[start, end)`` with the activity each triggered (ISO dates; naive means UTC)."""
    return await client.read("queries/window", **{"from": normalise_time(start), "to": normalise_time(end)},
                             limit=limit)


async def shared_tensors(client: GraphClient, model: str) -> list[Row]:
    """Models sharing tensor content with ``model``, most shared first."""
    return await client.read("queries/shared_tensors", model=model)


async def graph_counts(client: GraphClient) -> dict[str, int]:
    """The graph's side of reconcile (``queries/reconcile``)."""
    (row,) = await client.read("queries/reconcile")
    return {k: int(v) for k, v in row.items()}


def postgres_counts(settings: Settings) -> dict[str, int | None]:
    """Row counts of the reconciled tables; None for a table that does not exist yet."""
    from hartonomous.store import connect, queries

    sql = queries(settings)
    tables = [table for _, table, _, _ in RECONCILED]
    counts: dict[str, int | None] = dict.fromkeys(tables)
    with connect(settings) as conn:
        existing = {row[0] for row in conn.execute(sql["graph_reconcile_exists"], {"tables": tables})}
        for table in tables:
            if table in existing:
                row = conn.execute(sql[f"graph_reconcile_count_{table}"]).fetchone()
                counts[table] = int(row[0]) if row else 0
    return counts


def reconcile(pg: Mapping[str, int | None], graph: Mapping[str, int]) -> list[Reconciled]:
    """Side by side; compare with :func:`agree`."""
    out: list[Reconciled] = []
    for entity, table, where, column in RECONCILED:
        count = pg.get(table)
        out.append(Reconciled(entity, table, count if where == "source" else None,
                              count if where == "store" else None, graph.get(column, 0)))
    return out


def agree(rows: list[Reconciled]) -> bool:
    """True when every entity whose table exists has the same count in PostgreSQL and the graph."""
    return all(r.status != "MISMATCH" for r in rows)


def normalise_time(text: str) -> str:
    """An ISO date or date-time as an aware ISO date-time (naive means UTC)."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise GraphError(f"not an ISO-8601 date or date-time: {text!r}") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.isoformat()
