"""Named access to a model's weights: a plain ``dict[str, np.ndarray]`` with its prefix found.

The same architecture is saved under several prefixes (``bert.``/none, ``transformer.``/none,
``model.``), so a forward pass asks for canonical names and :class:`Params` finds the prefix the
weights actually use. Every tensor comes out as a float32 array; a missing one raises
:class:`~hartonomous.query.exceptions.MissingWeightsError` naming it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from hartonomous.query.exceptions import MissingWeightsError
from hartonomous.query.forward.ops import Array


class Params:
    """The weights of one model, looked up by canonical name under a detected prefix."""

    def __init__(self, weights: Mapping[str, np.ndarray], prefixes: Sequence[str], probe: str) -> None:
        self._weights = weights
        for prefix in prefixes:
            if prefix + probe in weights:
                self.prefix = prefix
                break
        else:
            raise MissingWeightsError(
                f"no tensor {probe!r} under any of the prefixes {list(prefixes)}; "
                f"got {len(weights)} tensors, e.g. {sorted(weights)[:3]}"
            )
        self._cache: dict[str, Array] = {}

    def __contains__(self, name: str) -> bool:
        return self.prefix + name in self._weights

    def raw(self, name: str) -> np.ndarray | None:
        """A tensor without prefix or conversion, looked up by its full stored name."""
        return self._weights.get(name)

    def get(self, name: str) -> Array:
        """The tensor ``name`` (canonical, without the prefix) as float32."""
        cached = self._cache.get(name)
        if cached is not None:
            return cached
        array = self._weights.get(self.prefix + name)
        if array is None:
            raise MissingWeightsError(f"missing tensor {self.prefix + name!r}")
        converted = np.ascontiguousarray(array, dtype=np.float32)
        self._cache[name] = converted
        return converted

    def optional(self, name: str) -> Array | None:
        """The tensor ``name`` as float32, or ``None`` if the model has none (e.g. no bias)."""
        return self.get(name) if name in self else None

    def expect_shape(self, name: str, shape: tuple[int, ...]) -> Array:
        """The tensor ``name``, refused unless it has exactly ``shape``."""
        array = self.get(name)
        if tuple(array.shape) != shape:
            raise MissingWeightsError(f"tensor {self.prefix + name!r} has shape {array.shape}, config says {shape}")
        return array
