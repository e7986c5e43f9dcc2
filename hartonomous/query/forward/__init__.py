"""Forward passes written with numpy over a plain ``dict[str, np.ndarray]`` of weights + HF config.

- :class:`BertEncoder` (BERT, MiniLM, sentence-transformers pooling) — :func:`build_encoder`;
- :class:`GPT2Decoder`, :class:`LlamaDecoder` — :func:`build_decoder`;
- :func:`generate` (greedy / temperature / top-k, seeded, KV cache) and :func:`walk` (the cheap
  nearest-neighbour mode, not a forward pass).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from hartonomous.query.exceptions import UnsupportedModelError
from hartonomous.query.forward.bert import BertEncoder, Pooling
from hartonomous.query.forward.decoder import Decoder, KVCache
from hartonomous.query.forward.gpt2 import GPT2Decoder
from hartonomous.query.forward.llama import LlamaDecoder
from hartonomous.query.forward.sampling import Generation, Sampling, generate, walk
from hartonomous.query.forward.tokenizer import Batch, TextTokenizer

ENCODER_TYPES = frozenset({"bert"})
DECODER_TYPES: dict[str, Callable[[Mapping[str, np.ndarray], Mapping[str, Any]], Decoder]] = {
    "gpt2": GPT2Decoder,
    "llama": LlamaDecoder,
}


def model_type(config: Mapping[str, Any]) -> str:
    """``model_type`` of a Hugging Face config, guessed from ``architectures`` when absent."""
    kind = config.get("model_type")
    if isinstance(kind, str) and kind:
        return kind
    for arch in config.get("architectures") or ():
        lowered = str(arch).lower()
        for known in (*ENCODER_TYPES, *DECODER_TYPES):
            if lowered.startswith(known):
                return known
    raise UnsupportedModelError("the config names no model_type or known architecture")


def is_encoder(config: Mapping[str, Any]) -> bool:
    """Whether the config describes an encoder (sentence embeddings) rather than a decoder."""
    return model_type(config) in ENCODER_TYPES


def build_encoder(weights: Mapping[str, np.ndarray], config: Mapping[str, Any], pooling: Pooling | None = None) -> BertEncoder:
    """The encoder for ``config`` over ``weights``."""
    kind = model_type(config)
    if kind not in ENCODER_TYPES:
        raise UnsupportedModelError(f"{kind!r} is not an encoder this can run (known: {sorted(ENCODER_TYPES)})")
    return BertEncoder(weights, config, pooling)


def build_decoder(weights: Mapping[str, np.ndarray], config: Mapping[str, Any]) -> Decoder:
    """The decoder for ``config`` over ``weights``."""
    kind = model_type(config)
    cls = DECODER_TYPES.get(kind)
    if cls is None:
        raise UnsupportedModelError(f"{kind!r} is not a decoder this can run (known: {sorted(DECODER_TYPES)})")
    decoder: Decoder = cls(weights, config)
    return decoder


__all__ = [
    "Batch",
    "BertEncoder",
    "Decoder",
    "GPT2Decoder",
    "Generation",
    "KVCache",
    "LlamaDecoder",
    "Pooling",
    "Sampling",
    "TextTokenizer",
    "build_decoder",
    "build_encoder",
    "generate",
    "is_encoder",
    "model_type",
    "walk",
]
