"""Ingest a model file as rows: one transaction per model, tensors streamed one at a time.

A first pass hashes every tensor (BLAKE3, about 3 GB/s) and asks the store what it has of those
contents (:mod:`hartonomous.models.known`): a tensor stored already, chunked the same way, lends
its chunk list and statistics, so a shared tensor costs a hash and a few rows. Then, for the other
tensors in file order, this thread cuts the bytes into chunks (:mod:`hartonomous.models.chunking`)
and makes one pass over the values for the statistics and the rows kept as weight rows, while a
writer thread (:mod:`hartonomous.models.background`) COPYs what the previous tensors produced: the
chunks the store lacks, then the tensors and their chunk lists, and the weight rows (keyed by
tensor content, so shared tensors are stored once). The vocabulary, the sidecar files and, last, the models row
follow. All of it is one transaction: a file found corrupt half-way leaves nothing behind. The
same file under the same name again changes nothing (the stored model is returned,
``unchanged``); a different file under a stored name is refused. Memory: the current tensor's
values block and kept rows, plus the chunks and rows queued for the writer (a few times
``IngestOptions.flush_bytes``).
"""

from __future__ import annotations

import time
from dataclasses import replace
from functools import partial
from typing import Any

from psycopg import Connection
from psycopg.types.json import Jsonb

from hartonomous.formats import (
    ModelFile,
    TensorInfo,
    detect_family,
    hash_bytes,
    hash_file,
    layer_table,
    open_model,
    parse_tensor_name,
)
from hartonomous.logging import get_logger
from hartonomous.models.background import BackgroundWriter, InlineWriter
from hartonomous.models.catalog import GC_LOCK_KEY, model_by_name, stored_result
from hartonomous.models.chunking import chunk_tensor
from hartonomous.models.known import KnownTensor, look_up
from hartonomous.models.exceptions import ModelExistsError, ModelNotFoundError
from hartonomous.models.metadata import GGUF_KVS_PATH, clean_text, gguf_kvs_document, jsonb_safe, summary, tokens_of
from hartonomous.models.plan import IngestOptions, IngestResult, Progress, TensorSummary, plan_weight_rows
from hartonomous.models.roles import assign_roles
from hartonomous.models.scan import is_float, scan_tensor
from hartonomous.models.sinks import TENSOR_TYPES, ChunkSink, WeightRowSink, copy_rows
from hartonomous.models.source import ModelSource
from hartonomous.store import Queries

NOTE_LIST_MAX = 200


def ingest_model(
    conn: Connection[Any],
    sql: Queries,
    source: ModelSource,
    *,
    name: str | None = None,
    options: IngestOptions | None = None,
    parent: str | None = None,
    derivation: str | None = None,
    source_uri: str | None = None,
    progress: Progress | None = None,
) -> IngestResult:
    """Store the model of ``source`` under ``name`` (default: from the file) and report it.

    ``conn`` must be in autocommit mode (the ingest opens its own transaction). Raises the
    :mod:`hartonomous.formats` errors for a corrupt, unsafe or unsupported file (nothing is
    stored), :class:`ModelExistsError` for a different file under a stored name and
    :class:`ModelNotFoundError` for an unknown ``parent``.
    """
    started = time.perf_counter()
    options = options or IngestOptions()
    name = name or source.default_name
    uri = source_uri or source.weights.as_uri()
    file_hash = hash_file(str(source.weights), options.chunking.algorithm)
    with open_model(source.weights) as model, conn.transaction():
        conn.execute(sql["model_lock"], {"name": name, "gc_key": GC_LOCK_KEY})
        existing = model_by_name(conn, sql, name)
        if existing is not None:
            if existing.file_hash != file_hash:
                raise ModelExistsError(
                    f"a model named {name!r} is stored already from another file "
                    f"(hash {existing.file_hash[:16]}..., this file {file_hash[:16]}...): choose another name"
                )
            return stored_result(conn, sql, existing.id, unchanged=True)
        parent_id = None
        if parent is not None:
            found = model_by_name(conn, sql, parent)
            if found is None:
                raise ModelNotFoundError(f"parent model {parent!r} is not stored: ingest it first")
            parent_id = found.id
        writer = _ModelWriter(conn, sql, model, options, progress)
        result = writer.write(name, file_hash, source, uri, parent_id, parent, derivation)
    result = replace(result, seconds=time.perf_counter() - started)
    get_logger("models.ingest", model=name).info(
        "model_ingested", model_id=result.model_id, tensors=result.tensor_count, bytes=result.tensor_bytes,
        new_chunk_bytes=result.new_chunk_bytes, weight_rows=result.weight_rows, seconds=round(result.seconds, 3),
    )
    return result


class _ModelWriter:
    """The state of one ingest transaction: this thread reads and computes, a writer thread writes."""

    def __init__(self, conn: Connection[Any], sql: Queries, model: ModelFile, options: IngestOptions,
                 progress: Progress | None) -> None:
        self.conn, self.sql, self.model, self.options = conn, sql, model, options
        self.progress = progress
        self.infos: list[TensorInfo] = list(model.tensors())
        self.tokens = tokens_of(model)
        self.roles = assign_roles(self.infos, len(self.tokens) or None)
        self.chunks = ChunkSink(conn, sql)
        self.rows = WeightRowSink(conn, sql)
        self.tensor_rows: list[tuple[Any, ...]] = []
        self.chunk_refs: list[tuple[Any, ...]] = []
        self.reused: list[tuple[int, int]] = []  # (new tensor id, stored tensor id with the same content)
        self.summaries: list[TensorSummary] = []
        self.notes: dict[str, list[dict[str, Any]]] = {"sampled": [], "skipped": []}
        self.rows_with_content: set[str] = set()
        self.rows_kept = 0
        self.chunk_count = 0

    def write(self, name: str, file_hash: str, source: ModelSource, uri: str, parent_id: int | None,
              parent: str | None, derivation: str | None) -> IngestResult:
        """Write every row of the model; return what was stored."""
        (model_id,) = self.conn.execute(self.sql["model_next_id"]).fetchone() or (0,)
        layer_ids, layer_index = self._layers(model_id)
        ids = [row[0] for row in self.conn.execute(self.sql["tensor_next_ids"], {"count": len(self.infos)})]
        known = look_up(self.conn, self.sql, self.model, self.infos, self.options.chunking)
        self.rows_with_content.update(known.rows_stored)
        total = sum(i.nbytes for i in self.infos)
        done = 0
        writer: BackgroundWriter | InlineWriter = BackgroundWriter() if self.options.background else InlineWriter()
        try:
            for ordinal, (info, tensor_id) in enumerate(zip(self.infos, ids)):
                self._tensor(model_id, tensor_id, ordinal, info, known.hashes[ordinal], known.tensors.get(ordinal),
                             layer_ids, layer_index)
                done += info.nbytes
                if self.chunks.pending_bytes >= self.options.flush_bytes:
                    self._flush(writer)
                if self.rows.pending_bytes >= self.options.flush_bytes:
                    payloads = self.rows.take()
                    writer.submit(partial(self.rows.write, payloads))
                if self.progress is not None:
                    self.progress(done, total, info.name)
            self._flush(writer)
            payloads = self.rows.take()
            writer.submit(partial(self.rows.write, payloads))
            writer.drain()
        finally:
            writer.close()
        copy_rows(self.conn, self.sql["vocab_tokens_copy"], ["int8", "int4", "text"],
                  [(model_id, i, t) for i, t in enumerate(self.tokens)])
        self._files(model_id, source)
        params = sum(i.numel for i in self.infos if is_float(i))
        meta = summary(self.model)
        meta.update(weights_path=source.weights_path, sidecars=[s.path for s in source.sidecars],
                    skipped_files=[{"path": p, "reason": r} for p, r in source.skipped[:NOTE_LIST_MAX]])
        self.conn.execute(self.sql["model_insert"], {
            "id": model_id, "name": name, "format": self.model.format,
            "architecture": self._architecture(), "family": detect_family(i.name for i in self.infos),
            "config": Jsonb(jsonb_safe(self.model.metadata.get("config"))) if self.model.metadata.get("config") else None,
            "file_hash": file_hash, "hash_algorithm": self.options.chunking.algorithm,
            "bytes": source.weights.stat().st_size, "tensor_bytes": total, "parameter_count": params,
            "tensor_count": len(self.infos), "layer_count": len(layer_ids), "chunk_count": self.chunk_count,
            "new_chunk_bytes": self.chunks.new_bytes, "parent_id": parent_id, "derivation": derivation,
            "source_uri": uri, "chunking": Jsonb(self.options.chunking.describe()),
            "weight_rows_note": Jsonb(self._note()), "metadata": Jsonb(meta),
        })
        return IngestResult(
            model_id=model_id, name=name, format=self.model.format, architecture=self._architecture(),
            file_hash=file_hash, bytes=source.weights.stat().st_size, tensor_bytes=total,
            parameter_count=params, layer_count=len(layer_ids), chunk_count=self.chunk_count,
            new_chunk_bytes=self.chunks.new_bytes, weight_rows=self.rows.written, vocab_size=len(self.tokens),
            unchanged=False, source_uri=uri, parent=parent, derivation=derivation, tensors=tuple(self.summaries),
        )

    def _architecture(self) -> str | None:
        arch = self.model.metadata.get("architecture")
        return clean_text(str(arch)) if arch else None

    def _layers(self, model_id: int) -> tuple[dict[str, int], dict[str, int]]:
        table = layer_table(i.name for i in self.infos)
        if not table:
            return {}, {}
        rows = self.conn.execute(self.sql["layers_insert"], {
            "model_id": model_id, "indexes": [i for i, _ in table], "names": [n for _, n in table],
        }).fetchall()
        return {n: int(i) for i, n in rows}, {n: i for i, n in table}

    def _tensor(self, model_id: int, tensor_id: int, ordinal: int, info: TensorInfo, content_hash: str,
                known: KnownTensor | None, layer_ids: dict[str, int], layer_index: dict[str, int]) -> None:
        role = self.roles.get(info.name)
        keep, note = plan_weight_rows(info, role, self.options)
        if note is not None:
            self.notes["skipped" if note["kept"] == 0 else "sampled"].append(note)
        if keep is not None and content_hash in self.rows_with_content:
            self.rows_kept += int(keep.size)
            keep = None
        if known is not None and keep is None:  # stored already: reuse its chunk list and statistics
            self.reused.append((tensor_id, known.tensor_id))
            self.chunk_count += known.chunks
            stats: tuple[Any, ...] = known.stats
        else:
            stats = self._scan(tensor_id, info, content_hash, keep)
        parsed = parse_tensor_name(info.name)
        layer_id = layer_ids.get(parsed.layer_name) if parsed.layer_name else None
        self.tensor_rows.append((
            tensor_id, model_id, layer_id, ordinal, clean_text(info.name), parsed.component, role,
            clean_text(parsed.part), clean_text(parsed.param), info.dtype, list(info.shape), info.numel,
            info.nbytes, info.quant_type, info.block_size, info.block_bytes, *stats, content_hash,
        ))
        self.summaries.append(TensorSummary(
            clean_text(info.name), content_hash, parsed.layer_name,
            layer_index.get(parsed.layer_name) if parsed.layer_name else None,
            parsed.component, role, info.dtype, info.shape, info.nbytes,
        ))

    def _scan(self, tensor_id: int, info: TensorInfo, content_hash: str, keep: Any) -> tuple[Any, ...]:
        """Chunk the tensor's bytes and pass over its values; the statistics for its row."""
        raw = memoryview(self.model.read_raw(info.name)).cast("B")
        pieces = chunk_tensor(raw, info, self.options.chunking)
        for index, piece in enumerate(pieces):
            self.chunks.add(piece.hash, raw[piece.offset : piece.offset + piece.length])
            self.chunk_refs.append((tensor_id, index, piece.hash, piece.offset))
        self.chunk_count += len(pieces)
        scan = scan_tensor(info, raw, keep)
        if scan.rows is not None:
            self.rows.add(content_hash, scan.rows)
            self.rows_kept += len(scan.rows)
            self.rows_with_content.add(content_hash)
        st = scan.stats
        return st.mean, st.std, st.min, st.max, st.l2, st.nonfinite, st.importance if is_float(info) else None

    def _flush(self, writer: BackgroundWriter | InlineWriter) -> None:
        """Hand the writer the chunks, then the tensors and chunk lists that reference them."""
        pending, tensors, refs, reused = self.chunks.take(), self.tensor_rows, self.chunk_refs, self.reused
        self.tensor_rows, self.chunk_refs, self.reused = [], [], []

        def job() -> None:
            self.chunks.write(pending)
            copy_rows(self.conn, self.sql["tensors_copy"], TENSOR_TYPES, tensors)
            copy_rows(self.conn, self.sql["tensor_chunks_copy"], ["int8", "int4", "text", "int8"], refs)
            if reused:
                self.conn.execute(self.sql["tensor_chunks_reuse"], {
                    "new_ids": [n for n, _ in reused], "old_ids": [o for _, o in reused]})

        writer.submit(job)

    def _files(self, model_id: int, source: ModelSource) -> None:
        files = [(s.path, "sidecar", s.content) for s in source.sidecars]
        document = gguf_kvs_document(self.model)
        if document is not None:
            files.append((GGUF_KVS_PATH, "metadata", document))
        for path, kind, content in files:
            self.conn.execute(self.sql["model_files_insert"], {
                "model_id": model_id, "path": clean_text(path), "kind": kind, "content": content,
                "content_hash": hash_bytes(content, self.options.chunking.algorithm),
            })

    def _note(self) -> dict[str, Any]:
        return {
            "max_rows": self.options.weight_rows_max_rows, "max_dim": self.options.weight_rows_max_dim,
            "rows": self.rows_kept, "rows_written": self.rows.written,
            "sampled": self.notes["sampled"][:NOTE_LIST_MAX], "skipped": self.notes["skipped"][:NOTE_LIST_MAX],
            "sampled_count": len(self.notes["sampled"]), "skipped_count": len(self.notes["skipped"]),
        }
