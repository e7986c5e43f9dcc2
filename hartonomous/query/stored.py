"""Stored models made runnable: an encoder or a decoder over weights read from the database.

:class:`StoredEncoder` embeds texts like sentence-transformers would with the stored model's own
tokenizer, pooling and normalisation files; :class:`StoredDecoder` generates with the stored
model's tokenizer (forward pass with KV cache, or the cheap nearest-neighbour walk).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import psycopg

from hartonomous.config import Settings
from hartonomous.query.exceptions import InvalidQueryError, UnsupportedModelError
from hartonomous.query.forward import (
    Decoder,
    Generation,
    Pooling,
    Sampling,
    TextTokenizer,
    build_decoder,
    build_encoder,
    generate,
    is_encoder,
    walk,
)
from hartonomous.query.weights import LoadedModel, load_weights

DEFAULT_MAX_SEQ = 256


def _tokenizer_json(model: LoadedModel) -> str:
    text = model.file_text("tokenizer.json")
    if text is None:
        raise UnsupportedModelError(f"stored model {model.name!r} has no tokenizer.json stored with it")
    return text


def _pooling(model: LoadedModel) -> Pooling:
    modules = model.file_json("modules.json") or []
    normalize = any(str(m.get("type", "")).endswith("Normalize") for m in modules) if modules else True
    pooling_path = next(
        (f"{m['path']}/config.json" for m in modules if str(m.get("type", "")).endswith("Pooling") and m.get("path")),
        "1_Pooling/config.json",
    )
    return Pooling.from_config(model.file_json(pooling_path), normalize)


class StoredEncoder:
    """A sentence encoder (BERT family) whose weights were read from the database."""

    def __init__(self, model: LoadedModel, *, batch_size: int = 32) -> None:
        if not is_encoder(model.config):
            raise UnsupportedModelError(f"stored model {model.name!r} ({model.config.get('model_type')}) is not an encoder")
        self.model = model
        self.name = model.name
        self.batch_size = batch_size
        self.encoder = build_encoder(model.weights, model.config, _pooling(model))
        self.dimension = self.encoder.dimension
        st_config = model.file_json("sentence_bert_config.json") or {}
        self.max_seq_length = int(st_config.get("max_seq_length") or min(DEFAULT_MAX_SEQ, self.encoder.max_positions))
        self.tokenizer = TextTokenizer(_tokenizer_json(model), max_length=self.max_seq_length)

    @classmethod
    def from_model_id(cls, settings: Settings, conn: psycopg.Connection, model_id: int) -> StoredEncoder:
        """Load the stored model ``model_id`` as an encoder."""
        return cls(load_weights(settings, conn, model_id=model_id))

    @classmethod
    def from_name(cls, settings: Settings, conn: psycopg.Connection, name: str) -> StoredEncoder:
        """Load the stored model called ``name`` as an encoder."""
        return cls(load_weights(settings, conn, name=name))

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Sentence embeddings ``(n, dimension)``; batches are formed by length, like sentence-transformers."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        order = np.argsort([-len(t) for t in texts], kind="stable")
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            chosen = order[start : start + self.batch_size]
            batch = self.tokenizer.batch([texts[i] for i in chosen])
            out[chosen] = self.encoder.embed(batch.ids, batch.mask, batch.type_ids)
        return out


@dataclass(frozen=True)
class GeneratedText:
    """A generation's text and tokens, and how it was produced (``forward`` or ``walk``)."""

    prompt: str
    text: str
    generation: Generation


class StoredDecoder:
    """A causal language model (GPT-2 or Llama family) whose weights were read from the database."""

    def __init__(self, model: LoadedModel) -> None:
        self.model = model
        self.name = model.name
        self.decoder: Decoder = build_decoder(model.weights, model.config)
        self.tokenizer = TextTokenizer(_tokenizer_json(model))
        eos = model.config.get("eos_token_id")
        self.eos_ids = frozenset(int(e) for e in (eos if isinstance(eos, list) else [eos]) if e is not None)
        generation_config = model.file_json("generation_config.json") or {}
        extra = generation_config.get("eos_token_id")
        if extra is not None:
            self.eos_ids |= frozenset(int(e) for e in (extra if isinstance(extra, list) else [extra]))

    @classmethod
    def from_name(cls, settings: Settings, conn: psycopg.Connection, name: str) -> StoredDecoder:
        """Load the stored model called ``name`` as a decoder."""
        return cls(load_weights(settings, conn, name=name))

    def generate(self, prompt: str, sampling: Sampling, *, mode: str = "forward") -> GeneratedText:
        """Continue ``prompt``: ``mode="forward"`` runs the model; ``"walk"`` is the cheap NN walk."""
        if not prompt.strip():
            raise InvalidQueryError("the prompt is empty")
        ids = self.tokenizer.encode(prompt)
        sampling = Sampling(sampling.max_new_tokens, sampling.temperature, sampling.top_k, sampling.seed,
                            sampling.eos_ids or self.eos_ids)
        if mode == "forward":
            result = generate(self.decoder, ids, sampling)
        elif mode == "walk":
            result = walk(self.decoder.token_embeddings(), ids, sampling, exclude=self.tokenizer.special_ids())
        else:
            raise InvalidQueryError(f"unknown mode {mode!r}: forward or walk")
        return GeneratedText(prompt, self.tokenizer.decode(result.token_ids), result)


def describe_config(model: LoadedModel) -> str:
    """A one-line summary of a stored model's architecture (for the CLI)."""
    keys = ("model_type", "num_hidden_layers", "n_layer", "hidden_size", "n_embd", "num_attention_heads", "n_head",
            "intermediate_size", "vocab_size")
    return json.dumps({k: model.config[k] for k in keys if k in model.config})
