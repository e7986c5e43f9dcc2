"""A BERT-family encoder (BERT, MiniLM, sentence-transformers) and its sentence pooling, in numpy.

Mirrors ``transformers``' ``BertModel`` (absolute positions, post-LayerNorm blocks) followed by
sentence-transformers' ``Pooling`` (mean, CLS or max over the real tokens) and ``Normalize``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from hartonomous.query.exceptions import UnsupportedModelError
from hartonomous.query.forward import ops
from hartonomous.query.forward.ops import Array
from hartonomous.query.forward.params import Params

PREFIXES = ("", "bert.", "model.", "0.auto_model.")


@dataclass(frozen=True)
class Pooling:
    """How token states become one sentence vector (sentence-transformers' pooling config)."""

    mode: str = "mean"  # mean | cls | max
    normalize: bool = True

    @classmethod
    def from_config(cls, pooling: Mapping[str, Any] | None, normalize: bool = True) -> Pooling:
        """From a ``1_Pooling/config.json`` dict (mean when absent)."""
        if not pooling:
            return cls("mean", normalize)
        if pooling.get("pooling_mode_cls_token"):
            return cls("cls", normalize)
        if pooling.get("pooling_mode_max_tokens"):
            return cls("max", normalize)
        return cls("mean", normalize)


class BertEncoder:
    """``BertModel`` forward over weights in a dict; see :meth:`hidden_states` and :meth:`embed`."""

    def __init__(self, weights: Mapping[str, np.ndarray], config: Mapping[str, Any], pooling: Pooling | None = None):
        if config.get("position_embedding_type", "absolute") != "absolute":
            raise UnsupportedModelError(f"position_embedding_type {config['position_embedding_type']!r}")
        self.p = Params(weights, PREFIXES, "embeddings.word_embeddings.weight")
        self.hidden = int(config["hidden_size"])
        self.heads = int(config["num_attention_heads"])
        self.head_dim = self.hidden // self.heads
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.act = ops.activation(str(config.get("hidden_act", "gelu")))
        self.max_positions = int(config.get("max_position_embeddings", 512))
        self.pooling = pooling or Pooling()
        self.dimension = self.hidden
        for i in range(self.layers):  # fail now, not in the middle of a batch
            self.p.get(f"encoder.layer.{i}.output.dense.weight")

    def _embeddings(self, ids: np.ndarray, type_ids: np.ndarray) -> Array:
        p = self.p
        t = ids.shape[1]
        if t > self.max_positions:
            raise UnsupportedModelError(f"{t} tokens exceed max_position_embeddings={self.max_positions}")
        x = p.get("embeddings.word_embeddings.weight")[ids]
        x = x + p.get("embeddings.position_embeddings.weight")[:t][None]
        token_types = p.optional("embeddings.token_type_embeddings.weight")
        if token_types is not None:
            x = x + token_types[type_ids]
        return ops.layer_norm(x, p.get("embeddings.LayerNorm.weight"), p.get("embeddings.LayerNorm.bias"), self.eps)

    def _layer(self, i: int, x: Array, mask: Array) -> Array:
        p, name = self.p, f"encoder.layer.{i}."
        b, t, _ = x.shape
        heads, d = self.heads, self.head_dim

        def project(part: str) -> Array:
            y = ops.linear(x, p.get(name + part + ".weight"), p.optional(name + part + ".bias"))
            return y.reshape(b, t, -1, d).transpose(0, 2, 1, 3)

        q, k, v = project("attention.self.query"), project("attention.self.key"), project("attention.self.value")
        heads = q.shape[1]  # an extracted student may keep fewer heads than the config's original
        ctx = ops.attention(q, k, v, mask, 1.0 / math.sqrt(d)).transpose(0, 2, 1, 3).reshape(b, t, heads * d)
        attn = ops.linear(ctx, p.get(name + "attention.output.dense.weight"), p.optional(name + "attention.output.dense.bias"))
        x = ops.layer_norm(
            attn + x, p.get(name + "attention.output.LayerNorm.weight"), p.get(name + "attention.output.LayerNorm.bias"), self.eps
        )
        h = self.act(ops.linear(x, p.get(name + "intermediate.dense.weight"), p.optional(name + "intermediate.dense.bias")))
        out = ops.linear(h, p.get(name + "output.dense.weight"), p.optional(name + "output.dense.bias"))
        return ops.layer_norm(out + x, p.get(name + "output.LayerNorm.weight"), p.get(name + "output.LayerNorm.bias"), self.eps)

    def hidden_states(self, ids: np.ndarray, attention_mask: np.ndarray, type_ids: np.ndarray | None = None) -> Array:
        """The last layer's token states, ``(batch, tokens, hidden)``."""
        ids = np.asarray(ids, dtype=np.int64)
        attention_mask = np.asarray(attention_mask)
        type_ids = np.zeros_like(ids) if type_ids is None else np.asarray(type_ids, dtype=np.int64)
        x = self._embeddings(ids, type_ids)
        additive = np.where(attention_mask[:, None, None, :] > 0, 0.0, np.finfo(np.float32).min).astype(np.float32)
        for i in range(self.layers):
            x = self._layer(i, x, additive)
        return x

    def pool(self, states: Array, attention_mask: np.ndarray) -> Array:
        """Sentence vectors from token states, pooled and normalised as configured."""
        mask = np.asarray(attention_mask, dtype=np.float32)[:, :, None]
        if self.pooling.mode == "cls":
            pooled = states[:, 0]
        elif self.pooling.mode == "max":
            pooled = np.where(mask > 0, states, np.float32(-1e9)).max(axis=1)
        else:
            pooled = (states * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
        if self.pooling.normalize:
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            pooled = pooled / np.clip(norms, 1e-12, None)
        return pooled.astype(np.float32, copy=False)

    def embed(self, ids: np.ndarray, attention_mask: np.ndarray, type_ids: np.ndarray | None = None) -> Array:
        """Sentence embeddings of a padded batch of token ids."""
        return self.pool(self.hidden_states(ids, attention_mask, type_ids), attention_mask)
