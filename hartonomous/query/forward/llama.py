"""Llama (``LlamaForCausalLM``) in numpy: RMSNorm, rotary positions, grouped-query attention, SwiGLU."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from hartonomous.query.exceptions import UnsupportedModelError
from hartonomous.query.forward import ops
from hartonomous.query.forward.decoder import KVCache, grouped_attention
from hartonomous.query.forward.ops import Array
from hartonomous.query.forward.params import Params

PREFIXES = ("model.", "")


def rope_settings(config: Mapping[str, Any]) -> tuple[float, dict[str, Any]]:
    """``(theta, scaling)`` from a config of transformers 4 (``rope_theta``) or 5 (``rope_parameters``)."""
    params = config.get("rope_parameters") or {}
    scaling = dict(config.get("rope_scaling") or params or {})
    theta = float(params.get("rope_theta", config.get("rope_theta", 10000.0)))
    return theta, scaling


def inverse_frequencies(head_dim: int, theta: float, scaling: Mapping[str, Any]) -> np.ndarray:
    """The rotary inverse frequencies (default, ``linear`` or ``llama3`` scaling), float64."""
    inv = 1.0 / (theta ** (np.arange(0, head_dim, 2, dtype=np.float64) / head_dim))
    kind = scaling.get("rope_type", scaling.get("type", "default"))
    if kind == "default":
        return inv
    if kind == "linear":
        return inv / float(scaling["factor"])
    if kind == "llama3":
        factor = float(scaling["factor"])
        low, high = float(scaling["low_freq_factor"]), float(scaling["high_freq_factor"])
        original = float(scaling["original_max_position_embeddings"])
        wavelen = 2 * math.pi / inv
        scaled = np.where(wavelen > original / low, inv / factor, inv)
        smooth = (original / wavelen - low) / (high - low)
        smoothed = (1 - smooth) * scaled / factor + smooth * scaled
        medium = (wavelen >= original / high) & (wavelen <= original / low)
        return np.where(medium, smoothed, scaled)
    raise UnsupportedModelError(f"rope scaling {kind!r} is not supported (default, linear, llama3 are)")


def rotate(x: Array, cos: Array, sin: Array) -> Array:
    """Apply rotary embedding to ``x`` ``(heads, t, d)`` (the ``rotate_half`` convention)."""
    half = x.shape[-1] // 2
    rotated = np.concatenate((-x[..., half:], x[..., :half]), axis=-1)
    return x * cos + rotated * sin


class LlamaDecoder:
    """A :class:`~hartonomous.query.forward.decoder.Decoder` for Llama weights and config."""

    def __init__(self, weights: Mapping[str, np.ndarray], config: Mapping[str, Any]) -> None:
        self.p = Params(weights, PREFIXES, "embed_tokens.weight")
        self.hidden = int(config["hidden_size"])
        self.heads = int(config["num_attention_heads"])
        self.kv_heads = int(config.get("num_key_value_heads") or self.heads)
        self.layers = int(config["num_hidden_layers"])
        self.head_dim = int(config.get("head_dim") or self.hidden // self.heads)
        self.eps = float(config.get("rms_norm_eps", 1e-6))
        self.max_positions = int(config.get("max_position_embeddings", 2048))
        self.act = ops.activation(str(config.get("hidden_act", "silu")))
        theta, scaling = rope_settings(config)
        self.inv_freq = inverse_frequencies(self.head_dim, theta, scaling)
        embed = self.p.get("embed_tokens.weight")
        self.vocab_size = int(embed.shape[0])
        head = weights.get("lm_head.weight")
        self.lm_head = embed if head is None else np.ascontiguousarray(head, dtype=np.float32)
        for i in range(self.layers):
            self.p.get(f"layers.{i}.mlp.down_proj.weight")

    def new_cache(self, max_len: int) -> KVCache:
        """An empty cache for up to ``max_len`` positions."""
        return KVCache(self.layers, self.kv_heads, self.head_dim, max_len)

    def token_embeddings(self) -> Array:
        """``embed_tokens``."""
        return self.p.get("embed_tokens.weight")

    def _rope(self, start: int, t: int) -> tuple[Array, Array]:
        angles = np.arange(start, start + t, dtype=np.float64)[:, None] * self.inv_freq[None, :]
        angles = np.concatenate((angles, angles), axis=-1)
        return np.cos(angles).astype(np.float32), np.sin(angles).astype(np.float32)

    def _block(self, i: int, x: Array, cache: KVCache, cos: Array, sin: Array) -> Array:
        p, name, t, d = self.p, f"layers.{i}.", x.shape[0], self.head_dim
        a = ops.rms_norm(x, p.get(name + "input_layernorm.weight"), self.eps)

        def project(part: str) -> Array:
            y = ops.linear(a, p.get(name + f"self_attn.{part}.weight"), p.optional(name + f"self_attn.{part}.bias"))
            return y.reshape(t, -1, d).transpose(1, 0, 2)

        q = rotate(project("q_proj"), cos, sin)
        k = rotate(project("k_proj"), cos, sin)
        keys, values = cache.append(i, k, project("v_proj"))
        ctx = grouped_attention(q, keys, values, 1.0 / math.sqrt(d)).transpose(1, 0, 2).reshape(t, -1)
        x = x + ops.linear(ctx, p.get(name + "self_attn.o_proj.weight"), p.optional(name + "self_attn.o_proj.bias"))
        m = ops.rms_norm(x, p.get(name + "post_attention_layernorm.weight"), self.eps)
        gate = self.act(ops.linear(m, p.get(name + "mlp.gate_proj.weight"), p.optional(name + "mlp.gate_proj.bias")))
        up = ops.linear(m, p.get(name + "mlp.up_proj.weight"), p.optional(name + "mlp.up_proj.bias"))
        return x + ops.linear(gate * up, p.get(name + "mlp.down_proj.weight"), p.optional(name + "mlp.down_proj.bias"))

    def forward(self, ids: np.ndarray, cache: KVCache, *, all_logits: bool = False) -> Array:
        """Logits of the last new position (all new positions with ``all_logits``)."""
        ids = np.asarray(ids, dtype=np.int64)
        start, t = cache.length, len(ids)
        if start + t > self.max_positions:
            raise ValueError(f"{start + t} positions exceed max_position_embeddings={self.max_positions}")
        x = self.p.get("embed_tokens.weight")[ids]
        cos, sin = self._rope(start, t)
        for i in range(self.layers):
            x = self._block(i, x, cache, cos, sin)
        cache.advance(t)
        x = ops.rms_norm(x if all_logits else x[-1:], self.p.get("norm.weight"), self.eps)
        logits = x @ self.lm_head.T
        return logits if all_logits else logits[0]
