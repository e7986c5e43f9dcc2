"""Structured slicing decisions: which axis holds the neurons, how many to keep, which heads."""

from __future__ import annotations

import numpy as np
import pytest

from hartonomous.query import slicing
from hartonomous.query.exceptions import ExtractionError


class TestNeurons:
    """FFN neurons are found by the axis of size intermediate, ranked by the product of their norms."""

    def test_axis_of_each_projection(self) -> None:
        """BERT up (I,H) -> 0, down (H,I) -> 1, up bias (I,) -> 0, down bias (H,) -> none."""
        assert [0, 1, 0, None] == [slicing.neuron_axis(s, 8, 4) for s in [(8, 4), (4, 8), (8,), (4,)]]

    def test_ambiguous_width_refused(self) -> None:
        """Intermediate equal to hidden cannot tell rows from columns."""
        with pytest.raises(ExtractionError, match="ambiguous"):
            slicing.neuron_axis((4, 4), 4, 4)

    def test_importance_is_product_of_norms(self) -> None:
        """Neuron j scores |up row j| x |down column j|; the top two are kept in index order."""
        up = np.array([[3.0, 4.0], [1.0, 0.0], [0.0, 2.0]])  # row norms 5, 1, 2
        down = np.array([[1.0, 10.0, 1.0], [0.0, 0.0, 0.0]])  # column norms 1, 10, 1
        importance = slicing.numpy_importance([up, down, np.ones(3)], 3, 2)
        assert ([5.0, 10.0, 2.0], [0, 1]) == (importance.tolist(), slicing.top_neurons(importance, 2).tolist())

    def test_count_by_fraction_and_threshold(self) -> None:
        """ffn_keep 0.25 of 8 keeps 2; threshold 1.0 keeps the average count at or above the mean."""
        layers = [np.array([1, 1, 1, 5.0]), np.array([2, 2, 2, 2.0])]
        assert 2 == slicing.count_to_keep(layers, slicing.Plan(ffn_keep=0.25), 8)
        assert 2 == slicing.count_to_keep(layers, slicing.Plan(importance_threshold=1.0), 4)  # (1 + 4) / 2 -> 2

    def test_take_keeps_exact_bytes(self) -> None:
        """Slicing raw storage copies the kept values bit for bit."""
        raw = np.arange(12, dtype=np.uint16).reshape(3, 4)
        assert [[1, 3], [5, 7], [9, 11]] == slicing.take(raw, 1, np.array([1, 3])).tolist()


class TestHeads:
    """Llama heads are kept by whole grouped-query groups."""

    CONFIG = {"num_attention_heads": 4, "num_key_value_heads": 2, "hidden_size": 64}

    def test_whole_group(self) -> None:
        """Query heads 2,3 serve key/value head 1."""
        assert ((2, 3), (1,)) == slicing.check_llama_heads([2, 3], self.CONFIG)

    def test_partial_group_refused(self) -> None:
        """Keeping head 1 without head 0 splits a group and is refused, naming a whole group."""
        with pytest.raises(ExtractionError, match=r"\[0, 1\]"):
            slicing.check_llama_heads([1], self.CONFIG)

    def test_head_rows(self) -> None:
        """Heads 0 and 2 of size 2 are rows 0,1,4,5."""
        assert [0, 1, 4, 5] == slicing.head_indices([0, 2], 2).tolist()
