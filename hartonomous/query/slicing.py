"""Structured slicing of a layer's tensors (pure numpy): FFN neurons and attention heads.

A neuron or a head is removed along one axis of every tensor that carries it, so the student is
really smaller (a dense file cannot shrink by zeroing scattered weights). Which axis is found
from the tensor's role and shape: the axis whose size is the intermediate size (FFN) or the
head-blocked projection width (attention).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from hartonomous.query.exceptions import ExtractionError

FFN_ROLES = ("ffn_up", "ffn_gate", "ffn_down")
HEAD_ROLES = ("q", "k", "v", "o")


@dataclass(frozen=True)
class Plan:
    """What to keep inside every kept layer: FFN neuron count/fraction/threshold, query heads."""

    ffn_keep: float | None = None
    importance_threshold: float | None = None
    heads: tuple[int, ...] | None = None

    @property
    def slices(self) -> bool:
        """Whether any tensor inside a layer is sliced."""
        return self.ffn_keep is not None or self.importance_threshold is not None or self.heads is not None


def intermediate_key(config: Mapping[str, Any]) -> str:
    """The config key of the FFN width (GPT-2: ``n_inner``, others ``intermediate_size``)."""
    return "n_inner" if config.get("model_type") == "gpt2" else "intermediate_size"


def intermediate_size(config: Mapping[str, Any]) -> int:
    """The FFN width of a config (GPT-2's default is 4 x n_embd)."""
    if config.get("model_type") == "gpt2":
        return int(config.get("n_inner") or 4 * int(config["n_embd"]))
    return int(config["intermediate_size"])


def hidden_size(config: Mapping[str, Any]) -> int:
    """The model width."""
    return int(config.get("hidden_size") or config.get("n_embd") or 0)


def neuron_axis(shape: Sequence[int], intermediate: int, hidden: int) -> int | None:
    """The axis of a tensor indexed by FFN neurons (``None``: the tensor has none, e.g. a down bias)."""
    if intermediate == hidden:
        raise ExtractionError("intermediate size equals hidden size: which axis holds the neurons is ambiguous")
    axes = [i for i, size in enumerate(shape) if size == intermediate]
    return axes[0] if axes else None


def count_to_keep(importances: Sequence[np.ndarray], plan: Plan, intermediate: int) -> int:
    """Neurons kept per layer (one number: a Hugging Face config has one intermediate size).

    ``ffn_keep``: that fraction of the width. ``importance_threshold`` X: neurons whose importance
    is at least X times their layer's mean, counted over all kept layers and averaged per layer.
    """
    if plan.ffn_keep is not None:
        return max(1, round(intermediate * plan.ffn_keep))
    assert plan.importance_threshold is not None
    above = sum(int((imp >= plan.importance_threshold * imp.mean()).sum()) for imp in importances)
    keep = round(above / max(1, len(importances)))
    if keep < 1:
        raise ExtractionError(f"no FFN neuron reaches {plan.importance_threshold} x its layer's mean importance")
    return keep


def top_neurons(importance: np.ndarray, keep: int) -> np.ndarray:
    """Indices of the ``keep`` most important neurons, ascending (ties to the lower index)."""
    order = np.argsort(-importance, kind="stable")[:keep]
    return np.sort(order)


def numpy_importance(arrays: Sequence[np.ndarray], intermediate: int, hidden: int) -> np.ndarray:
    """The importance ``ffn_neuron_importance`` computes, from the tensors themselves: per neuron,
    the product of its L2 norms in every 2-D FFN projection."""
    importance = np.ones(intermediate, dtype=np.float64)
    for array in arrays:
        if array.ndim != 2:
            continue
        axis = neuron_axis(array.shape, intermediate, hidden)
        if axis is None:
            continue
        other = 1 - axis
        importance *= np.sqrt(np.square(array.astype(np.float64)).sum(axis=other))
    return importance


def head_indices(heads: Sequence[int], head_dim: int) -> np.ndarray:
    """The projection rows/columns of the given heads (``head_dim`` consecutive each)."""
    return np.concatenate([np.arange(h * head_dim, (h + 1) * head_dim) for h in heads])


def check_llama_heads(heads: Sequence[int], config: Mapping[str, Any]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """``(query heads, key/value heads)`` kept; query heads must form whole GQA groups."""
    n_heads = int(config["num_attention_heads"])
    n_kv = int(config.get("num_key_value_heads") or n_heads)
    chosen = tuple(sorted(set(heads)))
    if not chosen or chosen[0] < 0 or chosen[-1] >= n_heads or len(chosen) != len(heads):
        raise ExtractionError(f"heads must be distinct indices in 0..{n_heads - 1}, got {list(heads)}")
    group = n_heads // n_kv
    kv = tuple(sorted({h // group for h in chosen}))
    whole = tuple(h for g in kv for h in range(g * group, (g + 1) * group))
    if whole != chosen:
        raise ExtractionError(
            f"with {n_kv} key/value heads each serving {group} query heads, keep whole groups: e.g. {list(whole)}"
        )
    return chosen, kv


def take(storage: np.ndarray, axis: int, indices: np.ndarray) -> np.ndarray:
    """The kept slices of a tensor's raw storage along ``axis`` (bytes stay exact)."""
    return np.ascontiguousarray(np.take(storage, indices, axis=axis))
