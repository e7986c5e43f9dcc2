from __future__ import annotations

import pytest

from hartonomous.graph import GraphError
from hartonomous.graph.audit import agree, normalise_time, reconcile


class TestReconcile:
    """PostgreSQL counts sit next to the graph's; a missing table is reported, not a mismatch."""

    def test_side_by_side(self) -> None:
        """Documents and inferences are source tables, embeddings and models the store's."""
        rows = reconcile({"documents": 3, "embeddings": 3, "models": None, "inference_requests": 2},
                         {"documents": 3, "embeddings": 2, "models": 1, "inferences": 2})
        assert [("document", 3, None, 3, "ok"), ("embedding", None, 3, 2, "MISMATCH"),
                ("model", None, None, 1, "table missing"), ("inference", 2, None, 2, "ok")] == [
            (r.entity, r.source, r.store, r.graph, r.status) for r in rows]
        assert not agree(rows)

    def test_agreement(self) -> None:
        """Equal counts everywhere (missing tables aside) agree."""
        rows = reconcile({"documents": 1, "embeddings": 1, "models": 0, "inference_requests": None},
                         {"documents": 1, "embeddings": 1, "models": 0, "inferences": 5})
        assert agree(rows)


class TestTimes:
    """Window bounds: ISO dates or date-times, naive meaning UTC."""

    @pytest.mark.parametrize(("text", "expected"), [
        ("2025-03-01", "2025-03-01T00:00:00+00:00"),
        ("2025-03-01T12:30:00+02:00", "2025-03-01T12:30:00+02:00"),
    ])
    def test_normalise(self, text: str, expected: str) -> None:
        """A date is midnight UTC; an offset is kept."""
        assert expected == normalise_time(text)

    def test_refuses_junk(self) -> None:
        """Not a date: a GraphError naming the text."""
        with pytest.raises(GraphError, match="yesterday"):
            normalise_time("yesterday")
