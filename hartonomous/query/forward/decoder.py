"""What the decoders share: the :class:`Decoder` protocol and a preallocated KV cache."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from hartonomous.query.forward import ops
from hartonomous.query.forward.ops import Array


class KVCache:
    """Keys and values of the positions already seen, per layer: ``(kv_heads, max_len, head_dim)``."""

    def __init__(self, layers: int, kv_heads: int, head_dim: int, max_len: int) -> None:
        self.keys = [np.zeros((kv_heads, max_len, head_dim), dtype=np.float32) for _ in range(layers)]
        self.values = [np.zeros((kv_heads, max_len, head_dim), dtype=np.float32) for _ in range(layers)]
        self.length = 0
        self.max_len = max_len

    def append(self, layer: int, k: Array, v: Array) -> tuple[Array, Array]:
        """Store ``k``/``v`` ``(kv_heads, t, d)`` after the cached positions; all keys/values so far."""
        start, t = self.length, k.shape[1]
        if start + t > self.max_len:
            raise ValueError(f"KV cache full: {start} + {t} > {self.max_len} positions")
        self.keys[layer][:, start : start + t] = k
        self.values[layer][:, start : start + t] = v
        return self.keys[layer][:, : start + t], self.values[layer][:, : start + t]

    def advance(self, t: int) -> None:
        """Mark ``t`` more positions as cached (after every layer appended them)."""
        self.length += t


def grouped_attention(q: Array, k: Array, v: Array, scale: float) -> Array:
    """Causal attention of ``q`` ``(heads, tq, d)`` on ``k``/``v`` ``(kv_heads, tk, d)`` (GQA).

    Query heads are grouped over the key/value heads by broadcasting (no copies); the last ``tq``
    key positions are the queries' own, earlier ones come from the cache.
    """
    heads, tq, d = q.shape
    kv_heads, tk, _ = k.shape
    groups = heads // kv_heads
    mask = ops.causal_mask(tq, tk) if tq > 1 else None
    out = ops.attention(q.reshape(kv_heads, groups, tq, d), k[:, None], v[:, None], mask, scale)
    return out.reshape(heads, tq, d)


class Decoder(Protocol):
    """A causal language model run one chunk of positions at a time with a KV cache."""

    vocab_size: int
    max_positions: int

    def new_cache(self, max_len: int) -> KVCache:
        """An empty cache for up to ``max_len`` positions."""
        ...

    def forward(self, ids: np.ndarray, cache: KVCache, *, all_logits: bool = False) -> Array:
        """Logits ``(vocab,)`` of the last new position (``(t, vocab)`` with ``all_logits``)."""
        ...

    def token_embeddings(self) -> Array:
        """The input token-embedding matrix ``(vocab, hidden)``."""
        ...
