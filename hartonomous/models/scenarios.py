"""Derived models for measuring deduplication, written from a base safetensors file.

Each function writes ``out`` and returns its path: the four cases of the dedup measurement (a
copy; a fine-tune with frozen lower layers; the token embedding extended by a few tokens; a layer
subset, renumbered) and a student without some attention heads. Unchanged tensors are views of
the base file; changed ones are held in memory until written (meant for small models such as
MiniLM). Deterministic for a seed. Used by ``bench/model_ingest.py`` and the tests.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from hartonomous.formats import TensorInfo, dtypes, open_model, parse_tensor_name, write_safetensors
from hartonomous.formats.model import Buffer
from hartonomous.models.roles import assign_roles


def _rewrite(base: Path, out: Path, edit: Callable[[TensorInfo, np.ndarray], tuple[str, np.ndarray] | None]) -> Path:
    """Write ``out`` with ``edit(info, array)`` applied to each tensor (``None`` drops it)."""
    with open_model(base) as model:
        meta = dict(model.metadata.get("safetensors_metadata") or {})
        plan: list[tuple[TensorInfo, np.ndarray]] = []
        for info in model.tensors():
            edited = edit(info, model.read_array(info.name))
            if edited is None:
                continue
            name, arr = edited
            arr = np.ascontiguousarray(arr)
            plan.append((TensorInfo(name, dtypes.dtype_name(arr.dtype), arr.shape, arr.nbytes), arr))
        arrays = {info.name: arr for info, arr in plan}

        def read(name: str) -> Buffer:
            return arrays[name].tobytes()

        write_safetensors(out, [info for info, _ in plan], read, meta)
    return out


def copy_of(base: Path, out: Path) -> Path:
    """The same file under another name."""
    shutil.copyfile(base, out)
    return out


def fine_tune_frozen(base: Path, out: Path, frozen_layers: int, *, scale: float = 1e-3, seed: int = 0) -> Path:
    """Layers ``>= frozen_layers`` and the non-layer tensors after them (pooler, head) perturbed by
    ``scale`` x their std; embeddings and the lower layers byte-identical."""
    rng = np.random.default_rng(seed)

    def edit(info: TensorInfo, arr: np.ndarray) -> tuple[str, np.ndarray]:
        role = parse_tensor_name(info.name)
        frozen = role.component == "embedding" or (role.layer_index is not None and role.layer_index < frozen_layers)
        if frozen or not np.issubdtype(arr.dtype, np.floating):
            return info.name, arr
        noise = rng.standard_normal(arr.shape).astype(arr.dtype) * (scale * (float(arr.std()) or 1.0))
        return info.name, arr + noise

    return _rewrite(base, out, edit)


def extend_embedding(base: Path, out: Path, extra_tokens: int, *, seed: int = 0) -> Path:
    """The token embedding with ``extra_tokens`` new rows appended; everything else identical."""
    with open_model(base) as model:
        roles = assign_roles(list(model.tensors()))
    rng = np.random.default_rng(seed)

    def edit(info: TensorInfo, arr: np.ndarray) -> tuple[str, np.ndarray]:
        if roles.get(info.name) != "token_embedding":
            return info.name, arr
        new = rng.standard_normal((extra_tokens, arr.shape[1])).astype(arr.dtype) * arr.std()
        return info.name, np.concatenate([arr, new])

    return _rewrite(base, out, edit)


def layer_subset(base: Path, out: Path, keep: Sequence[int]) -> Path:
    """Only the layers in ``keep`` (renumbered 0..n-1, bytes unchanged) and the non-layer tensors."""
    renumber = {old: new for new, old in enumerate(keep)}

    def edit(info: TensorInfo, arr: np.ndarray) -> tuple[str, np.ndarray] | None:
        role = parse_tensor_name(info.name)
        if role.layer_index is None:
            return info.name, arr
        if role.layer_index not in renumber:
            return None
        old = role.layer_name or ""
        new = re.sub(r"\d+$", str(renumber[role.layer_index]), old)
        return new + info.name[len(old):], arr

    return _rewrite(base, out, edit)


def prune_heads(base: Path, out: Path, heads: int, drop: Sequence[int]) -> Path:
    """A student without attention heads ``drop`` (of ``heads``) in every layer: their rows of
    Q/K/V (weights and biases) and their columns of the output projection are removed."""
    with open_model(base) as model:
        roles = assign_roles(list(model.tensors()))

    def edit(info: TensorInfo, arr: np.ndarray) -> tuple[str, np.ndarray]:
        role = roles.get(info.name)
        if role not in ("q", "k", "v", "o"):
            return info.name, arr
        size = arr.shape[0] // heads if role != "o" or arr.ndim == 1 else arr.shape[1] // heads
        gone = np.concatenate([np.arange(h * size, (h + 1) * size) for h in drop])
        if role == "o":
            return info.name, arr if arr.ndim == 1 else np.delete(arr, gone, axis=1)
        return info.name, np.delete(arr, gone, axis=0)

    return _rewrite(base, out, edit)
