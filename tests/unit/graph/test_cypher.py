from __future__ import annotations

import re

import pytest

from hartonomous.config import Settings
from hartonomous.graph import STATEMENT_ORDER, CypherLibrary, CypherNotFoundError

LIBRARY = CypherLibrary.of(Settings())
KEYED_LABELS = {"Document", "Embedding", "Model", "Layer", "Tensor", "Table", "Ingestion", "EmbeddingJob",
                "Decomposition", "Inference", "Extraction", "Service", "User", "Event", "Offset"}


class TestCypherLibrary:
    """Cypher is loaded by name from neo4j/, every node key is constrained, all is parameterised."""

    def test_every_projection_statement_exists(self) -> None:
        """Each statement the projector runs is a file, and every file is run."""
        assert sorted(f"projection/{n}" for n in STATEMENT_ORDER) == LIBRARY.names("projection")

    def test_every_merged_label_has_a_uniqueness_constraint(self) -> None:
        """MERGE without a uniqueness constraint is slow: each merged label's key is constrained."""
        merged: set[tuple[str, str]] = set()
        for name in LIBRARY.names("projection") + LIBRARY.names("offsets"):
            merged |= set(re.findall(r"MERGE \(\w*:(\w+) \{(\w+):", LIBRARY[name]))
        constrained = set(re.findall(r"FOR \(n:(\w+)\) REQUIRE n\.(\w+) IS UNIQUE", LIBRARY["constraints"]))
        assert KEYED_LABELS == {label for label, _ in constrained}
        assert merged <= constrained

    def test_projection_statements_are_batched_and_parameterised(self) -> None:
        """Each projection statement UNWINDs $rows and has no string building."""
        for name in LIBRARY.names("projection"):
            text = LIBRARY[name]
            assert "UNWIND $rows AS row" in text, name
            assert not re.search(r"\{\d*\}|%s|\+ *\$", text), name

    def test_constraints_split_into_idempotent_statements(self) -> None:
        """The schema file splits into statements that all say IF NOT EXISTS."""
        statements = LIBRARY.statements("constraints")
        assert len(statements) == len([s for s in statements if "IF NOT EXISTS" in s]) > 15

    @pytest.mark.parametrize("name", ["missing", "../pyproject", "projection/none"])
    def test_unknown_names_are_refused(self, name: str) -> None:
        """A name that is not a file under neo4j/ raises CypherNotFoundError."""
        with pytest.raises(CypherNotFoundError):
            LIBRARY[name]
