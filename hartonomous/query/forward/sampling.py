"""The decoding loop: greedy, or temperature sampling with an optional top-k, seeded; KV cached."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from hartonomous.query.exceptions import InvalidQueryError
from hartonomous.query.forward.decoder import Decoder
from hartonomous.query.forward.ops import Array


@dataclass(frozen=True)
class Sampling:
    """How to pick each next token. ``temperature == 0`` is greedy (argmax, ties to the lowest id)."""

    max_new_tokens: int = 32
    temperature: float = 0.0
    top_k: int | None = None
    seed: int | None = None
    eos_ids: frozenset[int] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.max_new_tokens < 1:
            raise InvalidQueryError(f"max_new_tokens must be >= 1, got {self.max_new_tokens}")
        if self.temperature < 0 or not np.isfinite(self.temperature):
            raise InvalidQueryError(f"temperature must be >= 0, got {self.temperature}")
        if self.top_k is not None and self.top_k < 1:
            raise InvalidQueryError(f"top_k must be >= 1, got {self.top_k}")


@dataclass(frozen=True)
class Generation:
    """What a generation produced: the new token ids and why it stopped (``eos`` or ``length``)."""

    prompt_ids: tuple[int, ...]
    token_ids: tuple[int, ...]
    finish_reason: str
    mode: str


class TokenPicker:
    """Greedy or seeded temperature/top-k choice of the next token from logits."""

    def __init__(self, sampling: Sampling) -> None:
        self.sampling = sampling
        self._rng = np.random.default_rng(sampling.seed)

    def __call__(self, logits: Array) -> int:
        """The chosen id."""
        s = self.sampling
        if s.temperature == 0:
            return int(np.argmax(logits))
        scores = logits.astype(np.float64) / s.temperature
        if s.top_k is not None and s.top_k < scores.shape[-1]:
            cutoff = np.partition(scores, -s.top_k)[-s.top_k]
            scores = np.where(scores >= cutoff, scores, -np.inf)
        scores -= scores.max()
        probs = np.exp(scores)
        probs /= probs.sum()
        return int(self._rng.choice(probs.shape[-1], p=probs))


def _check_ids(ids: Sequence[int], vocab_size: int) -> tuple[int, ...]:
    if not ids:
        raise InvalidQueryError("the prompt has no tokens")
    out = tuple(int(i) for i in ids)
    if min(out) < 0 or max(out) >= vocab_size:
        raise InvalidQueryError(f"prompt token ids must lie in [0, {vocab_size})")
    return out


def generate(decoder: Decoder, prompt_ids: Sequence[int], sampling: Sampling) -> Generation:
    """Run the forward pass on the prompt, then one position at a time with the KV cache."""
    prompt = _check_ids(prompt_ids, decoder.vocab_size)
    total = min(len(prompt) + sampling.max_new_tokens, decoder.max_positions)
    if total <= len(prompt):
        raise InvalidQueryError(f"the prompt ({len(prompt)} tokens) fills the context of {decoder.max_positions}")
    cache = decoder.new_cache(total)
    pick = TokenPicker(sampling)
    logits = decoder.forward(np.asarray(prompt), cache)
    new: list[int] = []
    while True:
        token = pick(logits)
        new.append(token)
        if token in sampling.eos_ids:
            return Generation(prompt, tuple(new), "eos", "forward")
        if len(prompt) + len(new) >= total:
            return Generation(prompt, tuple(new), "length", "forward")
        logits = decoder.forward(np.asarray([token]), cache)


def walk(
    embeddings: Array,
    prompt_ids: Sequence[int],
    sampling: Sampling,
    *,
    exclude: Iterable[int] = (),
) -> Generation:
    """The cheap mode: NOT a forward pass. Each next token is the nearest neighbour (cosine) of
    the previous token in the token-embedding space, among tokens not used yet.

    With ``temperature > 0`` the neighbour is sampled from the 50 nearest by ``softmax(cos / T)``.
    """
    prompt = _check_ids(prompt_ids, embeddings.shape[0])
    norms = np.linalg.norm(embeddings, axis=1, keepdims=True)
    unit = embeddings / np.clip(norms, 1e-12, None)
    banned = np.zeros(embeddings.shape[0], dtype=bool)
    banned[list(exclude)] = True
    banned[list(prompt)] = True
    pick = TokenPicker(Sampling(1, sampling.temperature, sampling.top_k or 50, sampling.seed))
    current, new = prompt[-1], list[int]()
    for _ in range(sampling.max_new_tokens):
        scores = unit @ unit[current]
        scores[banned] = -np.inf
        if not np.isfinite(scores).any():
            return Generation(prompt, tuple(new), "vocabulary", "walk")
        current = pick(scores)
        new.append(current)
        banned[current] = True
        if current in sampling.eos_ids:
            return Generation(prompt, tuple(new), "eos", "walk")
    return Generation(prompt, tuple(new), "length", "walk")
