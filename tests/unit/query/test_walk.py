"""The cheap mode: a nearest-neighbour walk in the token-embedding space."""

from __future__ import annotations

import numpy as np

from hartonomous.query.forward import Sampling, walk


class TestWalk:
    """Each next token is the nearest unused neighbour (cosine) of the previous one."""

    def test_follows_nearest_unused_neighbours(self) -> None:
        """On points along an arc, the walk from token 0 visits 1, 2, 3 in order, never repeating."""
        angles = np.array([0.0, 0.1, 0.25, 0.45, 3.0])
        embeddings = np.stack([np.cos(angles), np.sin(angles)], axis=1).astype(np.float32) * np.array([[1], [2], [3], [1], [5]])
        result = walk(embeddings, [0], Sampling(3))
        assert ((1, 2, 3), "length", "walk") == (result.token_ids, result.finish_reason, result.mode)

    def test_excluded_tokens_are_skipped(self) -> None:
        """An excluded (e.g. special) token is never chosen."""
        embeddings = np.array([[1.0, 0.0], [0.99, 0.1], [0.9, 0.4]], dtype=np.float32)
        assert (2,) == walk(embeddings, [0], Sampling(1), exclude=[1]).token_ids

    def test_stops_when_vocabulary_is_used_up(self) -> None:
        """With every token used, the walk ends with finish_reason 'vocabulary'."""
        embeddings = np.eye(3, dtype=np.float32)
        result = walk(embeddings, [0], Sampling(10))
        assert (2, "vocabulary") == (len(result.token_ids), result.finish_reason)
