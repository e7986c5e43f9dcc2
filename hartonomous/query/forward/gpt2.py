"""GPT-2 (``GPT2LMHeadModel``) in numpy: pre-LayerNorm blocks, learned positions, tied head."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from hartonomous.query.forward import ops
from hartonomous.query.forward.decoder import KVCache, grouped_attention
from hartonomous.query.forward.ops import Array
from hartonomous.query.forward.params import Params

PREFIXES = ("transformer.", "", "model.")


class GPT2Decoder:
    """A :class:`~hartonomous.query.forward.decoder.Decoder` for GPT-2 weights and config."""

    def __init__(self, weights: Mapping[str, np.ndarray], config: Mapping[str, Any]) -> None:
        self.p = Params(weights, PREFIXES, "wte.weight")
        self.hidden = int(config.get("n_embd", config.get("hidden_size", 768)))
        self.heads = int(config.get("n_head", config.get("num_attention_heads", 12)))
        self.layers = int(config.get("n_layer", config.get("num_hidden_layers", 12)))
        self.head_dim = self.hidden // self.heads
        self.eps = float(config.get("layer_norm_epsilon", 1e-5))
        self.max_positions = int(config.get("n_positions", config.get("max_position_embeddings", 1024)))
        self.act = ops.activation(str(config.get("activation_function", "gelu_new")))
        self.scale_by_layer = bool(config.get("scale_attn_by_inverse_layer_idx", False))
        self.scale_weights = bool(config.get("scale_attn_weights", True))
        wte = self.p.get("wte.weight")
        self.vocab_size = int(wte.shape[0])
        head = weights.get("lm_head.weight")
        self.lm_head = wte if head is None else np.ascontiguousarray(head, dtype=np.float32)
        for i in range(self.layers):
            self.p.get(f"h.{i}.mlp.c_proj.weight")

    def new_cache(self, max_len: int) -> KVCache:
        """An empty cache for up to ``max_len`` positions."""
        return KVCache(self.layers, self.heads, self.head_dim, max_len)

    def token_embeddings(self) -> Array:
        """``wte``."""
        return self.p.get("wte.weight")

    def _block(self, i: int, x: Array, cache: KVCache) -> Array:
        p, name, t = self.p, f"h.{i}.", x.shape[0]
        a = ops.layer_norm(x, p.get(name + "ln_1.weight"), p.optional(name + "ln_1.bias"), self.eps)
        qkv = ops.conv1d(a, p.get(name + "attn.c_attn.weight"), p.optional(name + "attn.c_attn.bias"))
        q, k, v = (part.reshape(t, -1, self.head_dim).transpose(1, 0, 2) for part in np.split(qkv, 3, axis=-1))
        keys, values = cache.append(i, k, v)
        scale = 1.0 / math.sqrt(self.head_dim) if self.scale_weights else 1.0
        if self.scale_by_layer:
            scale /= float(i + 1)
        ctx = grouped_attention(q, keys, values, scale).transpose(1, 0, 2).reshape(t, -1)
        x = x + ops.conv1d(ctx, p.get(name + "attn.c_proj.weight"), p.optional(name + "attn.c_proj.bias"))
        m = ops.layer_norm(x, p.get(name + "ln_2.weight"), p.optional(name + "ln_2.bias"), self.eps)
        h = self.act(ops.conv1d(m, p.get(name + "mlp.c_fc.weight"), p.optional(name + "mlp.c_fc.bias")))
        return x + ops.conv1d(h, p.get(name + "mlp.c_proj.weight"), p.optional(name + "mlp.c_proj.bias"))

    def forward(self, ids: np.ndarray, cache: KVCache, *, all_logits: bool = False) -> Array:
        """Logits of the last new position (all new positions with ``all_logits``)."""
        ids = np.asarray(ids, dtype=np.int64)
        start, t = cache.length, len(ids)
        if start + t > self.max_positions:
            raise ValueError(f"{start + t} positions exceed n_positions={self.max_positions}")
        x = self.p.get("wte.weight")[ids] + self.p.get("wpe.weight")[start : start + t]
        for i in range(self.layers):
            x = self._block(i, x, cache)
        cache.advance(t)
        x = x if all_logits else x[-1:]
        x = ops.layer_norm(x, self.p.get("ln_f.weight"), self.p.optional("ln_f.bias"), self.eps)
        logits = x @ self.lm_head.T
        return logits if all_logits else logits[0]
