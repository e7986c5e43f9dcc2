"""Student extraction: a smaller model chosen with SQL from a parent's rows.

1. ``extract_layers`` (SQL, ``031_extract.sql``) creates the student from whole layers: rows
   only, every chunk shared with the parent, config rewritten, ``parent_id`` recorded.
2. Optionally, inside every kept layer, FFN neurons ranked by importance (``ffn_neuron_importance``
   in SQL over the stored weight rows; the same product of norms in numpy when weight rows are
   missing) and attention heads (Llama family: whole GQA groups) are sliced out. Only the sliced
   tensors get new chunks; chunks whose bytes already exist are shared.
3. One transaction; then ``com.hartonomous.model.extracted.v1`` (the graph's
   ``WAS_DERIVED_FROM {method}``) and an ``inference_requests`` row of kind ``extract``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import psycopg
import psycopg.errors
from psycopg.types.json import Jsonb

from hartonomous.config import Settings
from hartonomous.formats import TensorInfo, hash_bytes, tensor_stats
from hartonomous.formats import dtypes as fdtypes
from hartonomous.query import slicing
from hartonomous.query.audit import Stopwatch, log_inference, publish_lifecycle
from hartonomous.query.db import open_connection, sql_errors
from hartonomous.query.exceptions import ExtractionError
from hartonomous.query.forward import model_type
from hartonomous.query.weights import model_head
from hartonomous.store import Queries, queries


@dataclass(frozen=True)
class ExtractResult:
    """The student: its id, sizes next to the parent's, and how much it shares."""

    model_id: int
    name: str
    parent: str
    method: str
    selection: dict[str, Any]
    parameters: int
    parent_parameters: int
    tensors: int
    shared_tensors: int
    new_chunk_bytes: int
    timings_ms: dict[str, float] = field(default_factory=dict)
    request_id: int | None = None


def _layer_count(config: dict[str, Any]) -> int:
    return int(config.get("num_hidden_layers") or config.get("n_layer") or 0)


def _validate(config: dict[str, Any], layers: Sequence[int] | None, plan: slicing.Plan) -> list[int]:
    total = _layer_count(config)
    chosen = list(range(total)) if layers is None else list(layers)
    if not chosen:
        raise ExtractionError("a student needs at least one layer (got an empty layer list)")
    bad = [i for i in chosen if i < 0 or i >= total]
    if bad:
        raise ExtractionError(f"layer out of range: {bad} (the parent has layers 0..{total - 1})")
    if len(set(chosen)) != len(chosen):
        raise ExtractionError(f"layer list {chosen} repeats a layer")
    if plan.ffn_keep is not None and plan.importance_threshold is not None:
        raise ExtractionError("give --ffn-keep or --importance-threshold, not both")
    if plan.ffn_keep is not None and not 0 < plan.ffn_keep <= 1:
        raise ExtractionError(f"ffn_keep must be in (0, 1], got {plan.ffn_keep}")
    if plan.importance_threshold is not None and plan.importance_threshold <= 0:
        raise ExtractionError(f"importance_threshold must be > 0, got {plan.importance_threshold}")
    if plan.heads is not None and model_type(config) != "llama":
        raise ExtractionError(
            f"attention heads can be removed from Llama-family models only: {model_type(config)} configs tie the "
            "head size to hidden_size / num_attention_heads (transformers 5 dropped pruned_heads), so a "
            "head-pruned student would not load; keep whole layers and/or prune FFN neurons instead"
        )
    return sorted(chosen)


class _Slicer:
    """Rewrites sliced tensors of the student inside the open transaction."""

    def __init__(self, conn: psycopg.Connection, sql: Queries, model_id: int, algorithm: str, chunking: dict[str, Any]):
        from hartonomous.models.chunking import ChunkPolicy

        self.conn, self.sql, self.model_id, self.algorithm = conn, sql, model_id, algorithm
        self.policy = ChunkPolicy(str(chunking.get("strategy", "rows")), int(chunking.get("max_bytes", 65536)), algorithm)
        self.new_chunk_bytes = 0

    def tensors(self, layer: int, roles: Sequence[str]) -> list[tuple[int, str, str, str, tuple[int, ...]]]:
        rows = self.conn.execute(self.sql["extract_layer_tensors"],
                                 {"model_id": self.model_id, "layer_index": layer, "roles": list(roles)}).fetchall()
        return [(int(r[0]), r[1], r[2], r[3], tuple(int(s) for s in r[4])) for r in rows]

    def storage(self, tensor_id: int, dtype: str, shape: tuple[int, ...]) -> np.ndarray:
        with self.conn.cursor(binary=True) as cur:
            data = b"".join(bytes(r[0]) for r in cur.execute(self.sql["tensor_read"], {"tensor_id": tensor_id}))
        return fdtypes.decode(data, dtype, shape, as_float=False)

    def replace(self, tensor_id: int, name: str, dtype: str, kept: np.ndarray) -> None:
        from hartonomous.models.chunking import chunk_tensor

        data = kept.tobytes()
        info = TensorInfo(name, dtype, tuple(kept.shape), len(data))
        for i, chunk in enumerate(chunk_tensor(data, info, self.policy)):
            piece = data[chunk.offset : chunk.offset + chunk.length]
            cur = self.conn.execute(self.sql["extract_chunk_insert"], {"hash": chunk.hash, "length": chunk.length, "bytes": piece})
            self.new_chunk_bytes += chunk.length if cur.rowcount == 1 else 0
            if i == 0:
                self.conn.execute(self.sql["extract_tensor_chunks_clear"], {"tensor_id": tensor_id})
            self.conn.execute(self.sql["extract_tensor_chunk_insert"],
                              {"tensor_id": tensor_id, "ordinal": i, "hash": chunk.hash, "offset": chunk.offset})
        stats = tensor_stats(fdtypes.decode(data, dtype, info.shape, as_float=True))
        self.conn.execute(self.sql["extract_tensor_update"], {
            "tensor_id": tensor_id, "shape": list(kept.shape), "numel": int(kept.size), "nbytes": len(data),
            "content_hash": hash_bytes(data, self.algorithm), "mean": stats.mean, "std": stats.std, "min": stats.min,
            "max": stats.max, "l2": stats.l2, "nonfinite": stats.nonfinite, "importance": stats.importance,
        })


def _slice_ffn(slicer: _Slicer, config: dict[str, Any], layers: int, plan: slicing.Plan) -> tuple[int, str]:
    inter, hidden = slicing.intermediate_size(config), slicing.hidden_size(config)
    per_layer: list[tuple[list[tuple[int, str, str, str, tuple[int, ...]]], np.ndarray]] = []
    sources = set()
    for layer in range(layers):
        found = slicer.tensors(layer, slicing.FFN_ROLES)
        if not found:
            raise ExtractionError(f"layer {layer} has no tensors with FFN roles {slicing.FFN_ROLES}")
        rows = slicer.conn.execute(slicer.sql["extract_ffn_importance"],
                                   {"model_id": slicer.model_id, "layer_index": layer, "intermediate": inter}).fetchall()
        if len(rows) == inter:
            importance, source = np.array([float(r[1]) for r in rows]), "sql:weight_rows"
        else:
            arrays = [fdtypes.decode(slicer.storage(t[0], t[3], t[4]).tobytes(), t[3], t[4], as_float=True) for t in found]
            importance, source = slicing.numpy_importance(arrays, inter, hidden), "numpy:tensors"
        sources.add(source)
        per_layer.append((found, importance))
    keep = slicing.count_to_keep([imp for _, imp in per_layer], plan, inter)
    for found, importance in per_layer:
        chosen = slicing.top_neurons(importance, keep)
        for tensor_id, name, _role, dtype, shape in found:
            axis = slicing.neuron_axis(shape, inter, hidden)
            if axis is not None:
                slicer.replace(tensor_id, name, dtype, slicing.take(slicer.storage(tensor_id, dtype, shape), axis, chosen))
    return keep, "+".join(sorted(sources))


def _slice_heads(slicer: _Slicer, config: dict[str, Any], layers: int, heads: Sequence[int]) -> dict[str, int]:
    q_heads, kv_heads = slicing.check_llama_heads(heads, config)
    d = int(config.get("head_dim") or slicing.hidden_size(config) // int(config["num_attention_heads"]))
    q_idx, kv_idx = slicing.head_indices(q_heads, d), slicing.head_indices(kv_heads, d)
    n_q, n_kv = int(config["num_attention_heads"]) * d, int(config.get("num_key_value_heads") or config["num_attention_heads"]) * d
    for layer in range(layers):
        for tensor_id, name, role, dtype, shape in slicer.tensors(layer, slicing.HEAD_ROLES):
            if role == "o":
                axis, idx = (1 if len(shape) == 2 else None), q_idx
            else:
                axis, idx = 0, (q_idx if role == "q" else kv_idx)
                if shape[0] not in (n_q, n_kv):
                    axis = None
            if axis is not None:
                slicer.replace(tensor_id, name, dtype, slicing.take(slicer.storage(tensor_id, dtype, shape), axis, idx))
    return {"num_attention_heads": len(q_heads), "num_key_value_heads": len(kv_heads), "head_dim": d}


def extract_student(
    settings: Settings,
    parent: str,
    name: str,
    *,
    layers: Sequence[int] | None = None,
    heads: Sequence[int] | None = None,
    ffn_keep: float | None = None,
    importance_threshold: float | None = None,
    conn: psycopg.Connection | None = None,
    log: bool = True,
) -> ExtractResult:
    """Create the student ``name`` from ``parent``'s rows (see the module docstring)."""
    plan = slicing.Plan(ffn_keep, importance_threshold, tuple(heads) if heads is not None else None)
    watch = Stopwatch()
    own = conn is None
    conn = conn or open_connection(settings)
    sql = queries(settings)
    try:
        if not name or not name.strip():
            raise ExtractionError("the student needs a name")
        parent_id, _, _, _, config, _, algorithm = model_head(settings, conn, name=parent)
        config = dict(config or {})
        kept = _validate(config, layers, plan)
        selection: dict[str, Any] = {"layers": kept}
        method = "layer-selection"
        with conn.transaction(), sql_errors(), _name_taken(name):
            derivation = f"extract:layers={','.join(map(str, kept))}"
            row = conn.execute(sql["extract_layers"], {"parent": parent, "name": name, "layers": kept,
                                                        "derivation": derivation}).fetchone()
            assert row is not None
            student_id = int(row[0])
            new_config = {**config, slicing_layer_key(config): len(kept)}
            chunking = conn.execute(sql["extract_parent_chunking"], {"id": parent_id}).fetchone()
            slicer = _Slicer(conn, sql, student_id, algorithm, dict(chunking[0]) if chunking else {})
            if plan.ffn_keep is not None or plan.importance_threshold is not None:
                keep, source = _slice_ffn(slicer, new_config, len(kept), plan)
                new_config[slicing.intermediate_key(new_config)] = keep
                selection.update({"ffn_neurons": keep, "ffn_keep": ffn_keep, "importance_threshold": importance_threshold,
                                  "importance": f"product of neuron L2 norms ({source})"})
                method = "layer-selection+ffn-pruning"
            if plan.heads is not None:
                new_config.update(_slice_heads(slicer, new_config, len(kept), plan.heads))
                selection["heads"] = sorted(plan.heads)
                method += "+head-pruning"
            derivation = f"{method}:{json.dumps(selection, sort_keys=True)}"
            content = json.dumps(new_config, indent=2, sort_keys=True).encode("utf-8")
            conn.execute(sql["extract_config_file"], {"model_id": student_id, "content": content,
                                                      "content_hash": hash_bytes(content, algorithm)})
            conn.execute(sql["extract_model_finish"], {
                "model_id": student_id, "config": Jsonb(new_config), "derivation": derivation,
                "selection": Jsonb({"selection": selection, "method": method}), "new_chunk_bytes": slicer.new_chunk_bytes,
            })
        return _announce(settings, conn, sql, parent, parent_id, name, student_id, method, selection, slicer.new_chunk_bytes, watch, log)
    finally:
        if own:
            conn.close()


@contextmanager
def _name_taken(name: str) -> Iterator[None]:
    try:
        yield
    except psycopg.errors.UniqueViolation as exc:
        raise ExtractionError(f"a model named {name!r} exists already: choose another name") from exc


def slicing_layer_key(config: dict[str, Any]) -> str:
    """The config key of the layer count (as ``config_layer_key`` in SQL)."""
    return "n_layer" if "n_layer" in config and "num_hidden_layers" not in config else "num_hidden_layers"


def _announce(settings: Settings, conn: psycopg.Connection, sql: Queries, parent: str, parent_id: int, name: str,
              student_id: int, method: str, selection: dict[str, Any], new_bytes: int, watch: Stopwatch, log: bool) -> ExtractResult:
    rows = conn.execute(sql["extract_student_tensors"], {"model_id": student_id, "parent_id": parent_id}).fetchall()
    tensors = [{"name": r[0], "content_hash": r[1], "layer": r[2], "layer_index": r[3], "component": r[4],
                "dtype": r[5], "shape": list(r[6]), "bytes": int(r[7])} for r in rows]
    sizes = conn.execute(sql["extract_sizes"], {"parent_id": parent_id, "model_id": student_id}).fetchone()
    assert sizes is not None
    publish_lifecycle(settings, "com.hartonomous.model.extracted.v1", {
        "model_id": student_id, "name": name, "parent": parent, "method": method, "selection": selection,
        "tensors": tensors, "file_hash": sizes[2],
    }, key=f"models:{student_id}")
    watch.laps["total"] = round(watch.elapsed_ms(), 3)
    shared = sum(1 for r in rows if r[8])
    request_id = None
    if log:
        request_id = log_inference(settings, conn, kind="extract",
                                   inputs={"parent": parent, "name": name, "method": method, **selection},
                                   models=[parent, name], result_ids=[student_id],
                                   results={"parameters": int(sizes[1]), "parent_parameters": int(sizes[0]),
                                            "tensors": len(rows), "shared_tensors": shared, "new_chunk_bytes": new_bytes},
                                   duration_ms=watch.laps["total"])
    return ExtractResult(student_id, name, parent, method, selection, int(sizes[1]), int(sizes[0]), len(rows), shared,
                         new_bytes, dict(watch.laps), request_id)
