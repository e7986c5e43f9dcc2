"""Models as rows: ingest a model file into the store, read it back, export it bit-exact.

:func:`ingest_model` decomposes a file (or a folder holding one) into models, layers, tensors,
content-addressed chunks, weight rows and vocabulary in one transaction; :class:`StoredModel`
reads a stored model like a file; :func:`export_model` writes it back to safetensors or GGUF;
:func:`ensure_embedder_model` stores the embedder's own encoder once.
"""

from __future__ import annotations

from hartonomous.models.catalog import (
    Collected,
    ModelDetails,
    ModelRef,
    collect_garbage,
    delete_model,
    list_models,
    model_by_name,
    model_details,
    require_model,
    stored_result,
)
from hartonomous.models.chunking import ChunkPolicy, chunk_tensor, row_boundaries, row_bytes
from hartonomous.models.embedder import ensure_embedder_model
from hartonomous.models.exceptions import (
    ExportError,
    ModelExistsError,
    ModelNotFoundError,
    ModelStoreError,
    NoModelFileError,
    StoredModelCorruptError,
)
from hartonomous.models.export import ExportResult, export_model
from hartonomous.models.ingest import ingest_model
from hartonomous.models.plan import IngestOptions, IngestResult, Progress, TensorSummary
from hartonomous.models.source import ModelSource, Sidecar, resolve_source
from hartonomous.models.stored import StoredModel

__all__ = [
    "ChunkPolicy",
    "Collected",
    "ExportError",
    "ExportResult",
    "IngestOptions",
    "IngestResult",
    "ModelDetails",
    "ModelExistsError",
    "ModelNotFoundError",
    "ModelRef",
    "ModelSource",
    "ModelStoreError",
    "NoModelFileError",
    "Progress",
    "Sidecar",
    "StoredModel",
    "StoredModelCorruptError",
    "TensorSummary",
    "chunk_tensor",
    "collect_garbage",
    "delete_model",
    "ensure_embedder_model",
    "export_model",
    "ingest_model",
    "list_models",
    "model_by_name",
    "model_details",
    "require_model",
    "resolve_source",
    "row_boundaries",
    "row_bytes",
    "stored_result",
]
