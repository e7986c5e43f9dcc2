"""Which rows become weight rows, and how an ingest reports dedup."""

from __future__ import annotations

import pytest

from hartonomous.formats import TensorInfo
from hartonomous.models.plan import IngestOptions, IngestResult, plan_weight_rows


class TestPlanWeightRows:
    """2-D float tensors only; wide ones skipped, tall ones sampled, token embeddings whole."""

    OPTIONS = IngestOptions(weight_rows_max_rows=100, weight_rows_max_dim=64)

    def test_small_2d_float_keeps_all_rows(self) -> None:
        """Within the limits every row is kept, with no note."""
        keep, note = plan_weight_rows(TensorInfo("w", "F32", (10, 8), 320), None, self.OPTIONS)
        assert keep is not None
        assert (list(range(10)), None) == (keep.tolist(), note)

    def test_wide_tensor_is_skipped_with_a_reason(self) -> None:
        """Wider than max_dim: no rows, a note saying why."""
        keep, note = plan_weight_rows(TensorInfo("w", "F32", (10, 65), 2600), None, self.OPTIONS)
        assert note is not None
        assert (None, 0, "width 65 > 64") == (keep, note["kept"], note["reason"])

    def test_tall_tensor_is_sampled_but_not_the_token_embedding(self) -> None:
        """More rows than max_rows: sampled, except the vocabulary's embedding matrix."""
        info = TensorInfo("e", "F32", (500, 8), 16000)
        keep, note = plan_weight_rows(info, None, self.OPTIONS)
        assert keep is not None and note is not None
        assert (100, 100) == (keep.size, note["kept"])
        whole, none = plan_weight_rows(info, "token_embedding", self.OPTIONS)
        assert whole is not None
        assert (500, None) == (whole.size, none)

    @pytest.mark.parametrize("info", [
        TensorInfo("b", "F32", (8,), 32), TensorInfo("i", "I64", (2, 8), 128), TensorInfo("c", "F32", (2, 2, 2), 32),
    ])
    def test_no_rows_for_vectors_integers_and_3d(self, info: TensorInfo) -> None:
        """Only 2-D float tensors have weight rows."""
        assert (None, None) == plan_weight_rows(info, None, self.OPTIONS)

    def test_disabled(self) -> None:
        """max_rows 0 turns weight rows off."""
        assert (None, None) == plan_weight_rows(TensorInfo("w", "F32", (2, 2), 16), None, IngestOptions(weight_rows_max_rows=0))


class TestIngestResult:
    """The dedup ratio is the share of tensor bytes that were stored already."""

    def test_dedup_ratio(self) -> None:
        """25 new bytes of 100: 75% dedup; an empty model counts as fully deduplicated."""
        result = IngestResult(1, "m", "safetensors", None, "h", 120, 100, 25, 0, 4, 25, 0, 0, False)
        assert 0.75 == result.dedup_ratio
        assert 1.0 == IngestResult(1, "m", "safetensors", None, "h", 8, 0, 0, 0, 0, 0, 0, 0, False).dedup_ratio
