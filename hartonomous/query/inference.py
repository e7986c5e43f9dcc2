"""Inference from stored weights: ``embed`` (encoders) and ``generate`` (decoders), each logged.

    from hartonomous.query import embed, generate
    vectors = embed(settings, "all-MiniLM-L6-v2", ["a sentence"]).vectors
    print(generate(settings, "tiny-gpt2", "A model is", max_tokens=20).text)
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import psycopg

from hartonomous.config import Settings
from hartonomous.query.audit import Stopwatch, log_inference
from hartonomous.query.db import open_connection
from hartonomous.query.exceptions import InvalidQueryError
from hartonomous.query.forward import Sampling
from hartonomous.query.stored import StoredDecoder, StoredEncoder
from hartonomous.query.weights import load_weights


@dataclass(frozen=True)
class EmbedResult:
    """Sentence embeddings computed from stored weights."""

    model: str
    vectors: np.ndarray
    timings_ms: dict[str, float] = field(default_factory=dict)
    request_id: int | None = None


@dataclass(frozen=True)
class GenerateResult:
    """A generation from stored weights; ``mode`` says ``forward`` (the model) or ``walk``."""

    model: str
    prompt: str
    text: str
    token_ids: tuple[int, ...]
    finish_reason: str
    mode: str
    timings_ms: dict[str, float] = field(default_factory=dict)
    request_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"model": self.model, "prompt": self.prompt, "text": self.text, "token_ids": list(self.token_ids),
                "finish_reason": self.finish_reason, "mode": self.mode, "timings_ms": self.timings_ms,
                "request_id": self.request_id}


def embed(
    settings: Settings, model: str, texts: Sequence[str], *, conn: psycopg.Connection | None = None, log: bool = True
) -> EmbedResult:
    """Embed ``texts`` with the stored encoder ``model`` (weights read from the database)."""
    cleaned = [t for t in texts if t and t.strip()]
    if not texts or len(cleaned) != len(texts):
        raise InvalidQueryError("nothing to embed: give at least one non-empty text")
    watch = Stopwatch()
    own = conn is None
    conn = conn or open_connection(settings)
    try:
        started = time.perf_counter()
        encoder = StoredEncoder(load_weights(settings, conn, name=model))
        watch.lap("load_weights", started)
        started = time.perf_counter()
        vectors = encoder.encode(list(texts))
        watch.lap("forward", started)
        watch.laps["total"] = round(watch.elapsed_ms(), 3)
        request_id = None
        if log:
            request_id = log_inference(
                settings, conn, kind="embed", inputs={"texts": [t[:500] for t in texts[:20]], "count": len(texts)},
                models=[model], results={"dimension": encoder.dimension, "norms": [round(float(n), 6) for n in
                                         np.linalg.norm(vectors[:20], axis=1)], "timings_ms": watch.laps},
                duration_ms=watch.laps["total"],
            )
        return EmbedResult(model, vectors, dict(watch.laps), request_id)
    finally:
        if own:
            conn.close()


def generate(
    settings: Settings,
    model: str,
    prompt: str,
    *,
    max_tokens: int = 32,
    temperature: float = 0.0,
    top_k: int | None = None,
    seed: int | None = None,
    mode: str = "forward",
    conn: psycopg.Connection | None = None,
    log: bool = True,
) -> GenerateResult:
    """Continue ``prompt`` with the stored decoder ``model``; greedy when ``temperature`` is 0."""
    sampling = Sampling(max_tokens, temperature, top_k, seed)
    if mode not in ("forward", "walk"):
        raise InvalidQueryError(f"unknown mode {mode!r}: forward or walk")
    if not (prompt or "").strip():
        raise InvalidQueryError("the prompt is empty")
    watch = Stopwatch()
    own = conn is None
    conn = conn or open_connection(settings)
    try:
        started = time.perf_counter()
        decoder = StoredDecoder(load_weights(settings, conn, name=model))
        watch.lap("load_weights", started)
        started = time.perf_counter()
        out = decoder.generate(prompt, sampling, mode=mode)
        watch.lap("generate", started)
        tokens = len(out.generation.token_ids)
        watch.laps["tokens_per_s"] = round(tokens / max(watch.laps["generate"] / 1000.0, 1e-9), 2)
        watch.laps["total"] = round(watch.elapsed_ms(), 3)
        request_id = None
        if log:
            request_id = log_inference(
                settings, conn, kind="generate",
                inputs={"prompt": prompt[:2000], "max_tokens": max_tokens, "temperature": temperature,
                        "top_k": top_k, "seed": seed, "mode": mode},
                models=[model],
                results={"text": out.text[:4000], "token_ids": list(out.generation.token_ids),
                         "finish_reason": out.generation.finish_reason, "mode": mode, "timings_ms": watch.laps},
                duration_ms=watch.laps["total"],
            )
        return GenerateResult(model, prompt, out.text, out.generation.token_ids, out.generation.finish_reason,
                              mode, dict(watch.laps), request_id)
    finally:
        if own:
            conn.close()
