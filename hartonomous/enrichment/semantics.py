"""What a change means: operation, entity, the text it carries, whether that text changed.

Pure functions over the change model (``data`` of ``com.hartonomous.cdc.row.changed.v1``).

- ``entity``: the table-to-entity map (defaults for the project's own tables, overridden by
  ``HARTONOMOUS_ENRICH_ENTITY_MAP="table=entity,schema.table=entity"``); an unmapped table is
  its own entity.
- Tables in ``HARTONOMOUS_ENRICH_IGNORE_TABLES`` (the pipeline's own outputs: embeddings,
  embedders, jobs) are ignored altogether, so the pipeline's writes never loop back.
- Text: tables in :data:`TEXT_COLUMNS` carry embeddable text; its content hash is the hex
  SHA-256 of the text. ``text_changed`` is True for an insert or snapshot with text, compares
  the before and after hashes of an update when the before image has the text column, and is
  None (unknown: the store decides) when it does not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hartonomous.cdc import RowChange
from hartonomous.config import Settings
from hartonomous.ingest.rows import content_hash

DEFAULT_ENTITIES: dict[str, str] = {
    "documents": "document",
    "embeddings": "embedding",
    "embedders": "embedder",
    "models": "model",
    "layers": "layer",
    "tensors": "tensor",
    "chunks": "chunk",
    "tensor_chunks": "tensor_chunk",
    "weight_rows": "weight_row",
    "vocab": "token",
    "inference_requests": "inference",
    "jobs": "job",
}
TEXT_COLUMNS: dict[str, str] = {"documents": "content"}
"""Tables whose rows are embedded, and the column holding the text."""


def _pairs(spec: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in spec.split(","):
        if not item.strip():
            continue
        table, sep, entity = item.partition("=")
        if not sep or not table.strip() or not entity.strip():
            raise ValueError(f"entity map item {item!r} is not table=entity")
        out[table.strip()] = entity.strip()
    return out


@dataclass(frozen=True)
class EnrichmentRules:
    """The configurable part of enrichment."""

    entities: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_ENTITIES))
    ignored: frozenset[str] = frozenset({"embeddings", "embedders", "jobs", "schema_migrations"})

    @classmethod
    def from_settings(cls, settings: Settings) -> EnrichmentRules:
        """Defaults merged with ``enrich_entity_map``; ``enrich_ignore_tables`` as given."""
        ignored = frozenset(t.strip() for t in settings.enrich_ignore_tables.split(",") if t.strip())
        return cls({**DEFAULT_ENTITIES, **_pairs(settings.enrich_entity_map)}, ignored)

    def is_ignored(self, schema: str, table: str) -> bool:
        return table in self.ignored or f"{schema}.{table}" in self.ignored

    def entity_of(self, schema: str, table: str) -> str:
        return self.entities.get(f"{schema}.{table}") or self.entities.get(table) or table


@dataclass(frozen=True)
class ChangeFacts:
    """The semantic facts of one row change."""

    schema: str
    table: str
    operation: str
    entity: str
    key: dict[str, Any]
    text: str | None = None
    content_hash: str | None = None
    text_changed: bool | None = None
    document_id: int | None = None
    given_category: str | None = None

    @property
    def embeddable(self) -> bool:
        """A ``documents`` row whose current text may need an embedding."""
        return (
            self.table in TEXT_COLUMNS
            and self.operation != "delete"
            and self.content_hash is not None
            and self.document_id is not None
            and self.text_changed is not False
        )


def facts_of(change: RowChange, rules: EnrichmentRules) -> ChangeFacts | None:
    """The facts of a change, or None for a table the enricher ignores."""
    src = change.source
    table = src.table.rsplit(".", 1)[-1]
    schema = src.schema or (src.table.rsplit(".", 1)[0] if "." in src.table else "")
    if rules.is_ignored(schema, table):
        return None
    base: dict[str, Any] = {
        "schema": schema, "table": table, "operation": change.op,
        "entity": rules.entity_of(schema, table), "key": dict(change.key),
    }
    column = TEXT_COLUMNS.get(table)
    if column is None:
        return ChangeFacts(**base)
    after, before = change.after, change.before
    current = after if after is not None else before
    text = current.get(column) if current else None
    if not isinstance(text, str) or not text:
        return ChangeFacts(**base)
    digest = content_hash(text)
    if change.op in ("insert", "snapshot"):
        changed: bool | None = True
    elif change.op == "delete":
        changed = False
    elif before is not None and isinstance(before.get(column), str):
        changed = content_hash(before[column]) != digest  # type: ignore[arg-type]
    else:
        changed = None
    doc_id = change.key.get("id", current.get("id") if current else None)
    category = current.get("category") if current else None
    return ChangeFacts(
        **base,
        text=text,
        content_hash=digest,
        text_changed=changed,
        document_id=int(doc_id) if isinstance(doc_id, (int, str)) and str(doc_id).isdigit() else None,
        given_category=category if isinstance(category, str) and category else None,
    )
